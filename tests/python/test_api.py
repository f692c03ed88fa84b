"""The Python API: building, driving, faults as verbs, state, history, results, errors."""

import os
import subprocess

import pandas as pd
import pytest

import rmqsim

LIB = rmqsim.library()
RMQSIM = os.environ.get("RMQSIM_CLI", "")

# A short fault-free cluster: 2 groups, a producer and a push group.
SMALL = dict(groups=["broker-a", "broker-b"], rate=20, warmup="10s", chaos="1m", quiet="30s")


@pytest.fixture
def sim():
    return rmqsim.Simulation.cluster(seed=7, **SMALL)


def test_build_from_code_runs_to_time_and_reports(sim):
    assert sim.phase == "warmup"
    assert 0 < sim.now < 10
    assert sim.run(until="20s")
    assert sim.now == pytest.approx(20.0)
    assert sim.phase == "chaos"
    sends = sim.sends()
    assert len(sends) > 100
    assert {"producer", "key", "status", "invoke_ns", "time"} - set(sends.columns) == {"time"}
    assert (sends["status"] == "SEND_OK").sum() > 100
    r = sim.result()
    assert r.ok, r.summary
    assert sim.ended and sim.phase == "finished"
    assert set(r.checks["checker"]) >= {"delivery", "routes", "liveness"}
    assert (r.checks.set_index("checker").loc["delivery", "verdict"]) == "PASS"
    assert "digest" in r.summary and r.digest in r.summary
    assert repr(r).startswith("<Result python seed=7 OK")


def test_step_and_predicates(sim):
    t0 = sim.now
    assert sim.step() == 1
    assert sim.step(100) == 100
    assert sim.now >= t0
    seen = []

    def enough():
        seen.append(sim.now)
        return len(sim.sends()) >= 50

    assert sim.run(until=enough, check_every="2s")
    assert len(sim.sends()) >= 50
    assert all(b - a == pytest.approx(2.0) for a, b in zip(seen[1:], seen[2:]))
    assert not sim.run(until=lambda: False, timeout="5s")
    assert sim.run(until=lambda: True)


def test_a_predicate_that_raises_stops_the_run_cleanly(sim):
    def boom():
        if sim.now > 15:
            raise KeyError("stop here")
        return False

    with pytest.raises(KeyError, match="stop here"):
        sim.run(until=boom)
    t = sim.now
    assert 15 < t <= 17
    sim.run(until=t + 1)  # the run goes on from there
    assert sim.now == pytest.approx(t + 1)


def test_same_seed_same_digest_as_the_cli():
    path = os.path.join(LIB, "proxy_chaos.textproto")
    overrides = {"phases.chaos": "1m", "phases.quiet": "30s"}
    a = rmqsim.Simulation.from_file(path, seed=4, overrides=overrides)
    a.run(until="40s")
    a.step(1000)
    ra = a.result()
    b = rmqsim.Simulation.from_file(path, seed=4, overrides=overrides).result()
    assert ra.digest == b.digest and ra.events == b.events
    assert rmqsim.Simulation.from_file(path, seed=5, overrides=overrides).result().digest != ra.digest
    if RMQSIM:
        out = subprocess.run(
            [RMQSIM, "run", path, "--seed", "4", "--set", "phases.chaos=1m", "--set",
             "phases.quiet=30s", "--digest-only"],
            capture_output=True, text=True, check=True).stdout
        assert ra.digest in out


def test_fault_verbs_hit_and_heal(sim):
    sim.run(until="15s")
    m = sim.master("broker-a")
    assert m.role == "master" and m.group == "broker-a"
    f = sim.kill(m)
    assert f.open and f.kind == "KILL"
    sim.run_for("5s")
    procs = sim.processes().set_index("name")
    assert not procs.loc["broker-a", "running"]
    assert sim.restart(m)
    assert not f.open
    sim.run_for("2s")
    assert sim.processes().set_index("name").loc["broker-a", "running"]

    s = sim.slave("broker-b", 1)
    p = sim.power_off(s, duration="10s")
    assert p is not None
    assert not sim.processes().set_index("name").loc[s.name, "machine_up"]
    assert sim.power_on(s)
    part = sim.partition(sim.master("broker-b"), sim.name_server(1), duration="20s")
    hb = sim.drop_heartbeats(sim.consumers()[0], duration="10s")
    clog = sim.clog(sim.master("broker-a"), sim.slave("broker-a"), duration="5s")
    disk = sim.disk_fault(sim.master("broker-b"), "slow", duration="5s")
    jump = sim.clock_jump(sim.name_server(2))
    stop = sim.stop(sim.producers()[0], duration="3s")
    assert None not in (part, hb, clog, disk, jump, stop)
    assert jump.window["end_ns"] == jump.window["start_ns"]  # instant
    assert len(sim.open_faults()) >= 4
    assert sim.heal() >= 4
    assert sim.open_faults() == []
    faults = sim.faults()
    assert set(faults["kind"]) >= {"KILL", "POWER_CYCLE", "PARTITION", "DROP_CLIENT_HEARTBEATS",
                                   "CLOG", "SLOW_DISK", "CLOCK_JUMP", "STOP"}
    assert (faults["end_ns"] >= faults["start_ns"]).all()
    assert faults["scripted"].all()
    d = sim.destroy(sim.slave("broker-a"), duration="5s")
    assert d is not None
    assert sim.kill(sim.slave("broker-a")) is None  # its machine is off: hits nothing
    r = sim.result()
    assert r.ok, r.summary
    fo = r.failover
    assert len(fo) >= 3 and {"send_unavailable_s", "read_resume_s", "route_purge_s"} <= set(fo.columns)
    assert (fo.loc[fo["kind"] == "KILL", "group"] == "broker-a").any()


def test_no_fault_after_the_chaos_phase(sim):
    sim.run(until=sim.chaos_end + 1)
    assert sim.phase == "quiet"
    with pytest.raises(rmqsim.RmqsimError, match="chaos phase has ended"):
        sim.kill(sim.master("broker-a"))


def test_state_queries(sim):
    sim.run(until="30s")
    routes = sim.routes()
    assert set(routes["name_server"]) == {"namesrv-1", "namesrv-2"}
    assert set(routes["broker_name"]) == {"broker-a", "broker-b"}
    brokers = sim.brokers().set_index("broker")
    assert brokers.loc["broker-a", "role"] == "MASTER"
    assert brokers.loc["broker-a-s1", "role"] == "SLAVE"
    assert brokers["max_phy_offset"].max() > 0
    lag = sim.slave_lag()
    assert list(lag["broker"]) == ["broker-a-s1", "broker-b-s1"]
    q = sim.consumer_lag()
    assert set(q["group"]) == {"cg"} and len(q) == 8
    assert (q["max_offset"] >= q["committed_offset"]).all()
    assert sim.proxy_stats().empty
    samples = sim.history("routes")
    assert {"time", "name_server", "broker_name", "last_update_s"} <= set(samples.columns)
    assert "<Simulation <python> seed=7" in repr(sim)


def test_proxy_statistics_through_python():
    sim = rmqsim.Simulation.cluster(seed=3, proxy=True, checks=("delivery", "proxy"), **SMALL)
    sim.run(until="40s")
    stats = sim.proxy_stats()
    assert list(stats.columns) == ["proxy-1"]
    assert stats.loc["send_message_v2", "proxy-1"] > 100
    assert stats.loc["request_decoding_error", "proxy-1"] == 0
    f = sim.inject("MALFORMED_FRAME", sim.proxy())
    assert f is not None
    sim.run_for("1s")
    assert sim.proxy_stats().loc["request_decoding_error", "proxy-1"] == 1
    r = sim.result()
    assert r.ok, r.summary
    px = sim.history("proxies")
    assert {"proxy", "request", "send_message_v2", "at_rest"} <= set(px.columns)
    assert px["at_rest"].iloc[-1]


def test_bad_input_raises_with_the_cause():
    with pytest.raises(ValueError, match="phases.chaos"):
        rmqsim.Simulation.cluster(seed=1, groups=["broker-a"], chaos="1m",
                                  overrides={"phases.chaos": "soon"})
    with pytest.raises(ValueError, match=r"<scenario>:1:.*nosuch"):
        rmqsim.Simulation.from_text("nosuch: 1\n")
    with pytest.raises(FileNotFoundError):
        rmqsim.Simulation.from_file("/nonexistent.textproto")
    sim = rmqsim.Simulation.cluster(seed=1, **SMALL)
    with pytest.raises(ValueError, match="no process named 'broker-z'"):
        sim.kill("broker-z")
    with pytest.raises(ValueError, match="unknown fault kind 'EXPLODE'"):
        sim.inject("EXPLODE", sim.master("broker-a"))
    with pytest.raises(ValueError, match="DROP_CLIENT_HEARTBEATS cannot hit broker-a"):
        sim.drop_heartbeats(sim.master("broker-a"))
    with pytest.raises(ValueError, match="no broker group named 'broker-z'"):
        sim.master("broker-z")
    with pytest.raises(ValueError, match="in the past"):
        sim.run(until=0)
    with pytest.raises(ValueError, match="unknown planted bug"):
        rmqsim.Simulation.cluster(seed=1, planted_bugs=["nope"], **SMALL)
    with pytest.raises(ValueError, match="history table"):
        sim.history("nope")
    sim.result()
    with pytest.raises(rmqsim.RmqsimError, match="the run has ended"):
        sim.run(until=1e6)


def test_a_planted_bug_is_caught_and_replayable():
    path = os.path.join(LIB, "proxy_chaos.textproto")
    sim = rmqsim.Simulation.from_file(path, seed=1, planted_bugs=["proxy.response_counted_twice"],
                                      overrides={"phases.chaos": "1m", "phases.quiet": "30s"})
    r = sim.result()
    assert not r.ok
    assert r.checks.set_index("checker").loc["proxy", "verdict"] == "FAIL"
    assert any("response" in v for v in r.violations("proxy"))
    assert "--plant proxy.response_counted_twice" in r.replay
    assert "proxy.response_counted_twice" in rmqsim.planted_bugs()


def test_trace_lines_when_asked():
    sim = rmqsim.Simulation.cluster(seed=2, trace=True, **SMALL)
    sim.run(until="12s")
    lines = sim.trace()
    assert any("BrokerStarted" in line or "Broker" in line for line in lines)
    assert rmqsim.Simulation.cluster(seed=2, **SMALL).trace() == []


def test_logs_per_process_and_level():
    sim = rmqsim.Simulation.cluster(seed=2, **SMALL)
    sim.run(until="12s")
    logs = sim.logs()
    assert list(logs.columns) == ["time_ns", "time_s", "process", "level", "text"]
    boot = logs[logs["text"].str.contains(r"RocketmqBroker - The broker\[broker-a, ")]
    assert sorted(boot["process"]) == ["broker-a", "broker-a-s1"]  # the master and its slave
    assert set(boot["level"]) == {"INFO"}
    one = sim.logs(process="broker-a")
    assert set(one["process"]) == {"broker-a"}
    assert one["text"].str.contains("boot success").sum() == 1
    assert set(sim.logs(level="warn")["level"]) <= {"WARN", "ERROR"}
    with pytest.raises(ValueError):
        sim.logs(level="loud")


def test_frames_have_seconds_beside_nanoseconds(sim):
    sim.run(until="20s")
    d = sim.deliveries()
    assert len(d) > 0
    assert (d["time"] == d["time_ns"] / 1e9).all()
    s = sim.sends()
    ok = s[s["status"] == "SEND_OK"]
    assert (ok["complete_s"] >= ok["invoke_s"]).all()
    assert isinstance(s, pd.DataFrame)
