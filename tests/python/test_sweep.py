"""Seed sweeps on local processes, on a concurrent.futures executor and on a Dask LocalCluster:
the same seed gives the same digest wherever it runs."""

import concurrent.futures

import pytest

import rmqsim
from rmqsim.simulation import scenario_text

TEXT = scenario_text(groups=["broker-a"], rate=10, warmup="10s", chaos="40s", quiet="20s",
                     checks=("delivery", "liveness", "metrics"))


def test_local_processes_grid_of_overrides():
    df = rmqsim.sweep(TEXT, seeds=[1, 2],
                      overrides={"topology.broker_groups[0].flush": ["SYNC_FLUSH", "ASYNC_FLUSH"]},
                      max_workers=2)
    assert len(df) == 4
    assert list(df.columns[:2]) == ["seed", "knob.topology.broker_groups[0].flush"]
    assert df["ok"].all(), df[["seed", "error"]]
    assert set(df["check.delivery"]) == {"PASS"}
    assert (df["delivery.send_ok"] > 0).all()
    assert (df["replay"] == "").all()
    # The same seed and knobs in another process: the same run.
    again = rmqsim.sweep(TEXT, seeds=[2], overrides={"topology.broker_groups[0].flush": "ASYNC_FLUSH"},
                         executor=concurrent.futures.ThreadPoolExecutor(max_workers=1))
    row = df[(df["seed"] == 2) & (df["knob.topology.broker_groups[0].flush"] == "ASYNC_FLUSH")]
    assert again["digest"].iloc[0] == row["digest"].iloc[0]


def test_a_failing_run_carries_its_replay_command():
    df = rmqsim.sweep(rmqsim.library("proxy_chaos"), seeds=[1],
                      overrides={"phases.chaos": "1m", "phases.quiet": "30s"},
                      planted_bugs=["proxy.response_counted_twice"], max_workers=1)
    assert not df["ok"].iloc[0]
    assert df["check.proxy"].iloc[0] == "FAIL"
    assert "--plant proxy.response_counted_twice" in df["replay"].iloc[0]
    assert "--set phases.chaos=1m" in df["replay"].iloc[0]


def test_a_bad_override_is_a_failed_row_not_a_crash():
    df = rmqsim.sweep(TEXT, seeds=[1], overrides={"phases.chaos": "soon"}, max_workers=1)
    assert not df["ok"].iloc[0]
    assert "phases.chaos" in df["error"].iloc[0]


def test_dask_local_cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        df = rmqsim.sweep(TEXT, seeds=[3, 4], executor=client)
    local = rmqsim.sweep(TEXT, seeds=[3, 4], max_workers=2)
    assert df["ok"].all()
    assert list(df["digest"]) == list(local["digest"])
