"""rmqsim: a deterministic simulated Apache RocketMQ cluster, driven from Python.

A Simulation is one run of a scenario (the same scenario files and model as the ``rmqsim`` CLI):
build it from a file or from text, drive it with ``run(until=...)`` and ``step()``, inject faults
with verbs (``kill``, ``partition``, ...), look at the cluster's state, and read the history,
the checkers' verdicts and the failover metrics as pandas DataFrames. See docs/python.md.

    >>> import rmqsim
    >>> sim = rmqsim.Simulation.from_file("scenarios/library/chaos.textproto", seed=3)
    >>> sim.run(until="2m")
    >>> sim.kill(sim.master("broker-a"), duration="30s")
    >>> result = sim.result()          # runs to the end, then the checkers
    >>> result.ok, result.checks
"""

from rmqsim._core import parse_duration as _parse_duration_ns  # noqa: F401
from rmqsim.simulation import (
    Fault,
    Process,
    Result,
    RmqsimError,
    Simulation,
    library,
    planted_bugs,
)
from rmqsim.sweep import sweep

__all__ = [
    "Fault",
    "Process",
    "Result",
    "RmqsimError",
    "Simulation",
    "library",
    "planted_bugs",
    "sweep",
]
