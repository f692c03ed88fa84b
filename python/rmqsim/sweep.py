"""Seed sweeps: many runs of one scenario, on local processes or on any concurrent.futures-style
executor (a Dask distributed Client included), as one DataFrame."""

from __future__ import annotations

import concurrent.futures
import itertools
import os
import time
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

import pandas as pd

Overrides = Union[Mapping[str, Any], Sequence[Mapping[str, Any]], None]


def _run_one(text: str, origin: str, seed: int, knobs: Mapping[str, Any], buggify: bool,
             swarm: bool, planted: Sequence[str]) -> dict:
    """One run (in a worker): its knobs, figures, verdicts, metrics and replay command."""
    from rmqsim.simulation import Simulation  # imported in the worker

    start = time.perf_counter()
    row: dict = {"seed": seed}
    row.update({f"knob.{k}": v for k, v in knobs.items()})
    try:
        sim = Simulation(text, seed=seed, origin=origin, overrides=dict(knobs), buggify=buggify,
                         swarm=swarm, planted_bugs=planted)
        r = sim.result()
    except Exception as e:  # a bad override, a crash of the run: one failed row
        row.update({"ok": False, "error": f"{type(e).__name__}: {e}",
                    "wall_s": time.perf_counter() - start})
        return row
    row.update({
        "ok": r.ok,
        "error": "",
        "digest": r.digest,
        "events": r.events,
        "simulated_s": r.simulated,
        "wall_s": time.perf_counter() - start,
        "converged": r.converged,
    })
    for c in r._raw["checks"]:
        row[f"check.{c['checker']}"] = c["verdict"]
        for k, v in c["metrics"].items():
            row[f"{c['checker']}.{k}"] = v
    row["replay"] = sim.replay_command if not r.ok else ""
    return row


def _configs(overrides: Overrides) -> list:
    if overrides is None:
        return [{}]
    if isinstance(overrides, Mapping):
        # A mapping of lists is a grid: every combination.
        keys = list(overrides)
        values = [v if isinstance(v, (list, tuple)) else [v] for v in overrides.values()]
        return [dict(zip(keys, combo)) for combo in itertools.product(*values)]
    return [dict(o) for o in overrides]


def sweep(
    scenario: str,
    seeds: Iterable[int],
    overrides: Overrides = None,
    executor: Optional[Any] = None,
    *,
    buggify: bool = False,
    swarm: bool = False,
    planted_bugs: Sequence[str] = (),
    max_workers: Optional[int] = None,
) -> pd.DataFrame:
    """Runs ``scenario`` (a file path or Protobuf text) for every seed and configuration.

    ``overrides``: one mapping of scenario paths to values (``{"phases.chaos": "2m"}``; a list
    of values makes a grid of every combination), or a list of such mappings. ``executor``: any
    object with ``submit(fn, *args)`` returning futures with ``result()`` — a
    ``concurrent.futures`` executor or a ``dask.distributed.Client``; None runs on local
    processes (``max_workers``, default the number of CPUs). The workers import rmqsim (set
    PYTHONPATH for processes that start fresh, as Dask's do).

    Returns one row per run: seed, ``knob.*`` columns, ok, digest, events, simulated and wall
    seconds, ``check.<checker>`` verdicts, ``<checker>.<metric>`` figures, and the replay command
    of each failure.
    """
    if os.path.exists(scenario):
        origin = scenario
        with open(scenario, encoding="utf-8") as f:
            text = f.read()
    else:
        origin, text = "<sweep>", scenario
    seeds = list(seeds)
    jobs = [(text, origin, int(s), cfg, buggify, swarm, list(planted_bugs))
            for cfg in _configs(overrides) for s in seeds]
    own = executor is None
    if own:
        executor = concurrent.futures.ProcessPoolExecutor(max_workers=max_workers or os.cpu_count())
    try:
        futures = [executor.submit(_run_one, *job) for job in jobs]
        rows = [f.result() for f in futures]
    finally:
        if own:
            executor.shutdown()
    df = pd.DataFrame(rows)
    front = ["seed"] + [c for c in df.columns if c.startswith("knob.")]
    return df[front + [c for c in df.columns if c not in front]]
