"""Plots of a run with matplotlib: the failover timeline with fault spans, throughput and latency
over time, consumer lag, route membership per name server. Each function takes a Simulation
(any time during or after the run) and returns the matplotlib Axes it drew on."""

from __future__ import annotations

from typing import Optional

import matplotlib.pyplot as plt
import pandas as pd

from rmqsim.simulation import Simulation

_FAULT_COLORS = {
    "KILL": "tab:red",
    "STOP": "tab:orange",
    "POWER_CYCLE": "tab:purple",
    "POWER_CYCLE_AFTER_SEND": "tab:purple",
    "DESTROY": "black",
    "PARTITION": "tab:blue",
    "ISOLATE": "tab:blue",
}


def _axes(ax):
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 3))
    return ax


def fault_spans(sim: Simulation, ax=None, *, label: bool = True):
    """Shades each fault window (kind and target) on an existing time axis."""
    ax = _axes(ax)
    end = sim.now
    for _, f in sim.faults().iterrows():
        start = f["start_ns"] / 1e9
        stop = end if f["end_ns"] < 0 else max(f["end_ns"] / 1e9, start + 0.2)
        color = _FAULT_COLORS.get(f["kind"], "tab:gray")
        ax.axvspan(start, stop, color=color, alpha=0.15, lw=0)
        if label:
            ax.text(start, 1.0, f" {f['kind']} {f['target']}", transform=ax.get_xaxis_transform(),
                    rotation=90, va="top", ha="left", fontsize=7, color=color)
    return ax


def throughput(sim: Simulation, ax=None, *, bin: float = 1.0):
    """SEND_OK and deliveries per second, with the fault spans."""
    ax = _axes(ax)
    sends = sim.sends()
    ok = sends[sends["status"] == "SEND_OK"]
    deliveries = sim.deliveries()
    for frame, col, name in ((ok, "complete_s", "SEND_OK/s"), (deliveries, "time", "delivered/s")):
        if len(frame):
            counts = (frame[col] // bin).value_counts().sort_index() / bin
            ax.plot(counts.index * bin, counts.values, label=name, lw=1)
    fault_spans(sim, ax)
    ax.set_xlabel("simulated seconds")
    ax.set_ylabel("messages per second")
    ax.legend(loc="lower right", fontsize=8)
    return ax


def latency(sim: Simulation, ax=None, *, bin: float = 1.0, quantile: float = 0.99):
    """The send latency (invoke to answer) per time bin: median and a high quantile."""
    ax = _axes(ax)
    s = sim.sends()
    s = s[s["complete_ns"] > 0]
    if len(s):
        lat = (s["complete_s"] - s["invoke_s"]) * 1e3
        b = (s["invoke_s"] // bin) * bin
        g = lat.groupby(b)
        ax.plot(g.median().index, g.median().values, label="median", lw=1)
        ax.plot(g.quantile(quantile).index, g.quantile(quantile).values,
                label=f"p{quantile * 100:g}", lw=1)
    fault_spans(sim, ax)
    ax.set_xlabel("simulated seconds")
    ax.set_ylabel("send latency (ms)")
    ax.set_yscale("symlog")
    ax.legend(loc="upper right", fontsize=8)
    return ax


def consumer_lag(sim: Simulation, ax=None, *, bin: float = 1.0):
    """Messages sent (SEND_OK) but not yet delivered to each group, over time."""
    ax = _axes(ax)
    sends = sim.sends()
    ok = sends[sends["status"] == "SEND_OK"]
    d = sim.deliveries()
    if len(ok):
        sent = (ok["complete_s"] // bin).value_counts().sort_index().cumsum()
        for group, frame in d.groupby("group"):
            first = frame.drop_duplicates("key")
            got = (first["time"] // bin).value_counts().sort_index().cumsum()
            idx = sent.index.union(got.index)
            lag = sent.reindex(idx).ffill().fillna(0) - got.reindex(idx).ffill().fillna(0)
            ax.plot(idx * bin, lag.values, label=group, lw=1)
    fault_spans(sim, ax)
    ax.set_xlabel("simulated seconds")
    ax.set_ylabel("messages behind")
    ax.legend(loc="upper right", fontsize=8)
    return ax


def route_membership(sim: Simulation, ax=None):
    """For each name server, which brokers its table lists over time (one row per pair)."""
    ax = _axes(ax)
    routes = sim.history("routes")
    if routes.empty:
        return ax
    end = sim.now
    pairs = []
    for ns, samples in routes.groupby("name_server"):
        times = sorted(samples["time"].unique())
        listed_by_time = {t: set(samples.loc[samples["time"] == t, "broker_name"]
                                 + "/" + samples.loc[samples["time"] == t, "broker_id"].astype(str))
                          for t in times}
        brokers = sorted({b for s in listed_by_time.values() for b in s if not b.startswith("/")})
        for b in brokers:
            y = len(pairs)
            pairs.append(f"{ns}: {b}")
            for i, t in enumerate(times):
                stop = times[i + 1] if i + 1 < len(times) else end
                if b in listed_by_time[t]:
                    ax.broken_barh([(t, stop - t)], (y - 0.4, 0.8), color="tab:green")
    ax.set_yticks(range(len(pairs)))
    ax.set_yticklabels(pairs, fontsize=7)
    fault_spans(sim, ax, label=False)
    ax.set_xlabel("simulated seconds")
    ax.set_title("routes listed by each name server")
    return ax


def failover_timeline(sim: Simulation, fig: Optional[plt.Figure] = None):
    """Throughput, consumer lag and route membership stacked on one time axis, with the fault
    spans: the picture of a failover."""
    if fig is None:
        fig = plt.figure(figsize=(11, 8))
    axes = fig.subplots(3, 1, sharex=True)
    throughput(sim, axes[0])
    consumer_lag(sim, axes[1])
    route_membership(sim, axes[2])
    fig.tight_layout()
    return axes


def proxy_statistics(sim: Simulation, stats=("request", "response_success", "request_active",
                                               "maintenance_failure"), ax=None):
    """The proxies' sampled statistics over time."""
    ax = _axes(ax)
    px = sim.history("proxies")
    for (proxy, stat) in ((p, s) for p in px["proxy"].unique() for s in stats):
        frame = px[(px["proxy"] == proxy) & px["up"]]
        if stat in frame:
            ax.plot(frame["time"], pd.to_numeric(frame[stat]), label=f"{proxy} {stat}", lw=1)
    fault_spans(sim, ax)
    ax.set_xlabel("simulated seconds")
    ax.legend(loc="upper left", fontsize=7)
    return ax
