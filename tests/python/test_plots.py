"""Each plot draws what it says: lines for the series, a shaded span per fault window."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import rmqsim  # noqa: E402
from rmqsim import plots  # noqa: E402


@pytest.fixture(scope="module")
def sim():
    s = rmqsim.Simulation.cluster(groups=["broker-a", "broker-b"], proxy=True, rate=20,
                                  warmup="10s", chaos="1m", quiet="30s", seed=9,
                                  checks=("delivery", "proxy"))
    s.run(until="25s")
    s.kill(s.master("broker-a"), duration="15s")
    s.partition(s.master("broker-b"), s.name_server(1), duration="10s")
    s.result()
    return s


def spans(ax):
    return [p for p in ax.patches if type(p).__name__ == "Polygon"] + \
        [p for p in ax.patches if type(p).__name__ == "Rectangle"]


def test_throughput_latency_lag(sim):
    for fn, lines in ((plots.throughput, 2), (plots.latency, 2), (plots.consumer_lag, 1)):
        ax = fn(sim)
        assert len(ax.get_lines()) >= lines, fn.__name__
        assert len(spans(ax)) >= 2, fn.__name__  # the kill and the partition
        plt.close(ax.figure)


def test_route_membership_has_a_row_per_name_server_and_broker(sim):
    ax = plots.route_membership(sim)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "namesrv-1: broker-a/0" in labels and "namesrv-2: broker-b/1" in labels
    assert len(ax.collections) >= len(labels)  # broken_barh bars
    plt.close(ax.figure)


def test_failover_timeline_and_proxy_statistics(sim):
    axes = plots.failover_timeline(sim)
    assert len(axes) == 3
    plt.close(axes[0].figure)
    ax = plots.proxy_statistics(sim)
    assert len(ax.get_lines()) == 4
    plt.close(ax.figure)
