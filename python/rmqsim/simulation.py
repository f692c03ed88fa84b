"""The Simulation object: one deterministic run of a scenario, driven from Python."""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence, Union

import pandas as pd

from rmqsim import _core

Duration = Union[str, int, float, pd.Timedelta, None]

#: A fault left without a duration lasts until it is healed (or until the chaos phase ends,
#: when every fault is healed): 100 simulated days.
_UNTIL_HEALED_NS = 100 * 24 * 3600 * 10**9

_HERE = os.path.dirname(os.path.abspath(__file__))


class RmqsimError(RuntimeError):
    """A run cannot do what was asked (it has ended, no fault can be injected now, ...)."""


def _ns(d: Duration, what: str = "duration") -> int:
    """A duration as nanoseconds: "1m30s", seconds as a number, or a pandas Timedelta."""
    if d is None:
        raise ValueError(f"{what}: missing")
    if isinstance(d, str):
        return _core.parse_duration(d)
    if isinstance(d, pd.Timedelta):
        return int(d.value)
    if isinstance(d, bool) or not isinstance(d, (int, float)):
        raise TypeError(f"{what}: expected a duration string, seconds or a Timedelta, got {d!r}")
    if d < 0:
        raise ValueError(f"{what}: negative ({d})")
    return int(round(d * 1e9))


def _overrides(overrides: Union[Mapping[str, Any], Sequence[str], None]) -> list:
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        return [f"{k}={v}" for k, v in overrides.items()]
    return [str(o) for o in overrides]


def library(name: Optional[str] = None) -> str:
    """The directory of the library scenarios, or the path of one (``library("chaos")``)."""
    candidates = [
        os.environ.get("RMQSIM_LIBRARY", ""),
        os.path.join(_HERE, "library"),
        os.path.join(_HERE, "..", "..", "..", "scenarios", "library"),
    ]
    for c in candidates:
        if c and os.path.isdir(c):
            base = os.path.abspath(c)
            break
    else:
        raise FileNotFoundError("the scenario library was not found (set RMQSIM_LIBRARY)")
    if name is None:
        return base
    path = os.path.join(base, name if name.endswith(".textproto") else name + ".textproto")
    if not os.path.exists(path):
        raise FileNotFoundError(path)
    return path


def planted_bugs() -> list:
    """The names of the planted bugs (test-only defects) a run can turn on."""
    return list(_core.planted_bugs())


def _frame(columns: Mapping[str, list]) -> pd.DataFrame:
    df = pd.DataFrame(dict(columns))
    # Nanosecond times become seconds since the start of the run, beside the raw column.
    for col in list(df.columns):
        if col.endswith("_ns") and col != "time_ns" and df[col].dtype.kind in "iu":
            df[col[:-3] + "_s"] = df[col].where(df[col] >= 0) / 1e9
    if "time_ns" in df.columns:
        df.insert(0, "time", df["time_ns"] / 1e9)
    return df


@dataclasses.dataclass(frozen=True)
class Process:
    """A process of the cluster, as a fault target and for state queries."""

    name: str
    role: str
    group: str
    broker_id: int
    machine: str
    address: str

    def __str__(self) -> str:
        return self.name


@dataclasses.dataclass
class Fault:
    """A fault window injected by hand; ``sim.heal(fault)`` ends it early."""

    id: int
    kind: str
    target: str
    _sim: "Simulation" = dataclasses.field(repr=False, compare=False)

    @property
    def open(self) -> bool:
        return self.id in self._sim._run.open_faults()

    @property
    def window(self) -> dict:
        """The recorded window: start, end (-1 while open), processes hit, detail."""
        w = self._sim._run.fault(self.id)
        return dict(w) if w is not None else {}

    def __repr__(self) -> str:
        state = "open" if self.open else "healed"
        return f"<Fault {self.id} {self.kind} {self.target} {state}>"


class Result:
    """The end of a run: the checkers' verdicts, the failover metrics, the summary."""

    def __init__(self, raw: dict, sim: "Simulation"):
        self._raw = raw
        self._sim = sim
        self.ok: bool = bool(raw["ok"])
        self.digest: str = f"{raw['digest']:016x}"
        self.events: int = int(raw["events"])
        self.simulated: float = raw["simulated_ns"] / 1e9
        self.converged: bool = bool(raw["converged"])
        self.summary: str = raw["summary"]
        self.seed: int = int(raw["seed"])
        self.scenario: str = raw["scenario"]

    @property
    def checks(self) -> pd.DataFrame:
        """One row per checker: verdict (PASS, FAIL, SKIP), headline, violations."""
        rows = [
            {
                "checker": c["checker"],
                "verdict": c["verdict"],
                "violations": c["violations"],
                "headline": c["headline"],
            }
            for c in self._raw["checks"]
        ]
        return pd.DataFrame(rows, columns=["checker", "verdict", "violations", "headline"])

    def violations(self, checker: Optional[str] = None) -> list:
        """The violation lines kept by the checkers (all, or one checker's)."""
        out = []
        for c in self._raw["checks"]:
            if checker is None or c["checker"] == checker:
                out.extend(f"{c['checker']}: {v}" for v in c["violation_lines"])
        return out

    def metrics(self, checker: Optional[str] = None) -> pd.DataFrame:
        """Every checker's figures as (checker, metric, value) rows."""
        rows = []
        for c in self._raw["checks"]:
            if checker is None or c["checker"] == checker:
                rows.extend(
                    {"checker": c["checker"], "metric": k, "value": v}
                    for k, v in sorted(c["metrics"].items())
                )
        return pd.DataFrame(rows, columns=["checker", "metric", "value"])

    @property
    def failover(self) -> pd.DataFrame:
        """The metrics checker's figures per fault that hit a broker: how long sends and reads
        stayed away, how soon the name servers purged the broker, the duplicates after it."""
        columns = ["fault", "start_s", "kind", "target", "group", "send_unavailable_s",
                   "read_resume_s", "route_purge_s", "duplicates_before_next_fault"]
        for c in self._raw["checks"]:
            if c["checker"] == "metrics" and c.get("table"):
                df = pd.DataFrame(c["table"])[columns]
                for col in ("fault", "duplicates_before_next_fault"):
                    df[col] = df[col].astype("int64")
                return df
        return pd.DataFrame(columns=columns)

    @property
    def replay(self) -> str:
        """The command line that replays this run."""
        return self._sim.replay_command

    def __repr__(self) -> str:
        verdicts = ", ".join(f"{c['checker']} {c['verdict']}" for c in self._raw["checks"])
        return (
            f"<Result {self.scenario} seed={self.seed} {'OK' if self.ok else 'VIOLATION'} "
            f"digest={self.digest} simulated={self.simulated:.1f}s: {verdicts}>"
        )

    def _repr_html_(self) -> str:
        return f"<p><b>{self!r}</b></p>" + self.checks.to_html(index=False)


class Simulation:
    """One run of a scenario, driven step by step.

    Build it with :meth:`from_file`, :meth:`from_text` or :meth:`cluster`; the cluster is built
    and brought up at once (name servers, brokers, topics, clients started). Time is simulated:
    ``now`` is in seconds since the run began.
    """

    def __init__(
        self,
        text: str,
        *,
        seed: int = 1,
        origin: str = "<scenario>",
        overrides: Union[Mapping[str, Any], Sequence[str], None] = None,
        buggify: bool = False,
        swarm: bool = False,
        planted_bugs: Iterable[str] = (),
        trace: bool = False,
    ):
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
        self.seed = seed
        self.origin = origin
        checked = _core.parse_scenario(text, origin, _overrides(overrides))
        self._overrides = _overrides(overrides)
        self._planted = list(planted_bugs)
        self._swarm = swarm
        self._buggify = buggify
        self._run = _core.Run(
            checked,
            origin,
            seed,
            buggify=buggify,
            swarm=seed if swarm else None,
            planted_bugs=self._planted,
            trace=trace,
        )
        self._result: Optional[Result] = None

    # ------------------------------------------------------------------ building

    @classmethod
    def from_file(cls, path: str, seed: int = 1, **kwargs) -> "Simulation":
        """A scenario file (Protobuf text, the CLI's format). ``overrides`` as ``rmqsim run
        --set``: ``{"phases.chaos": "2m"}``."""
        with open(path, encoding="utf-8") as f:
            text = f.read()
        return cls(text, seed=seed, origin=path, **kwargs)

    @classmethod
    def from_text(cls, text: str, seed: int = 1, **kwargs) -> "Simulation":
        """A scenario given as Protobuf text."""
        return cls(text, seed=seed, **kwargs)

    @classmethod
    def cluster(
        cls,
        *,
        seed: int = 1,
        overrides: Union[Mapping[str, Any], Sequence[str], None] = None,
        buggify: bool = False,
        swarm: bool = False,
        planted_bugs: Iterable[str] = (),
        trace: bool = False,
        **spec,
    ) -> "Simulation":
        """A cluster built in code, on the same scenario model as the files. ``spec`` is
        :func:`scenario_text`'s keywords: broker groups (names, or dicts with name, role, flush,
        slaves), name servers, a producer group and a push consumer group on one topic,
        optionally through a proxy, the phases, the checks. No faults unless ``nemesis`` is on
        or ``timeline`` has entries (scenario-file text: ``'at: "20s" kind: KILL target { role:
        MASTER }'``): inject them with the verbs."""
        name = spec.get("name", "python")
        return cls(scenario_text(**spec), seed=seed, origin=f"<{name}>", overrides=overrides,
                   buggify=buggify, swarm=swarm, planted_bugs=planted_bugs, trace=trace)

    # ------------------------------------------------------------------ time

    @property
    def now(self) -> float:
        """Simulated seconds since the run began."""
        return self._run.now_ns / 1e9

    @property
    def phase(self) -> str:
        """warmup, chaos, quiet, drain, settle, ended or finished."""
        return self._run.phase

    @property
    def chaos_start(self) -> float:
        return self._run.chaos_start_ns / 1e9

    @property
    def chaos_end(self) -> float:
        """When every fault is healed and no more can be injected."""
        return self._run.chaos_end_ns / 1e9

    @property
    def quiet_end(self) -> float:
        return self._run.quiet_end_ns / 1e9

    @property
    def ended(self) -> bool:
        return self._run.ended

    @property
    def events(self) -> int:
        return self._run.events

    @property
    def digest(self) -> str:
        """The run's digest so far (the same seed gives the same digest)."""
        return f"{self._run.digest:016x}"

    @property
    def scenario_text(self) -> str:
        """The scenario as run (defaults filled in; a swarm draw applied)."""
        return self._run.scenario_text

    @property
    def replay_command(self) -> str:
        cmd = f"rmqsim run {self.origin} --seed {self.seed}"
        for o in self._overrides:
            cmd += f" --set {o}"
        if self._buggify:
            cmd += " --buggify"
        if self._swarm:
            cmd += " --swarm"
        for b in self._planted:
            cmd += f" --plant {b}"
        return cmd

    def run(
        self,
        until: Union[Duration, Callable[[], bool]] = None,
        *,
        check_every: Duration = "1s",
        timeout: Duration = None,
    ) -> bool:
        """Runs the simulation.

        ``until`` is a simulated time (seconds since the start, or "5m"), a predicate called
        every ``check_every`` of simulated time (and before the first step), or None: to the end
        of the run. A predicate gives up after ``timeout`` (default: the end of the run).
        Returns whether the predicate held (True for a time). The GIL is released while the
        simulation runs; an exception in the predicate stops the run where it is and propagates.
        """
        if until is None:
            self._require_running()
            self._run.run_until(2**62)
            return True
        if callable(until):
            self._require_running()
            every = _ns(check_every, "check_every")
            deadline = 2**62 if timeout is None else self._run.now_ns + _ns(timeout, "timeout")
            return bool(self._run.run_until_pred(until, every, deadline))
        t = _ns(until, "until")
        if t < self._run.now_ns:
            raise ValueError(f"until: {t / 1e9:g}s is in the past (now {self.now:g}s)")
        self._require_running()
        self._run.run_until(t)
        return True

    def run_for(self, duration: Duration) -> None:
        """Runs for a stretch of simulated time."""
        self.run(until=(self._run.now_ns + _ns(duration)) / 1e9)

    def step(self, n: int = 1) -> int:
        """Runs ``n`` events (phase milestones count as one). Returns how many ran."""
        self._require_running()
        return int(self._run.step(n))

    def _require_running(self) -> None:
        if self._run.ended:
            raise RmqsimError(
                f"the run has ended at {self.now:.3f}s (phase {self.phase}): call result()"
            )

    # ------------------------------------------------------------------ processes

    def processes(self) -> pd.DataFrame:
        """Every process: role, group, machine, address, running, incarnation."""
        return pd.DataFrame(self._run.processes())

    def process(self, name: Union[str, Process]) -> Process:
        if isinstance(name, Process):
            return name
        for p in self._run.processes():
            if p["name"] == name:
                return self._process(p)
        raise ValueError(f"no process named {name!r}")

    @staticmethod
    def _process(p: dict) -> Process:
        return Process(p["name"], p["role"], p["group"], p["broker_id"], p["machine"], p["address"])

    def _with_role(self, role: str, group: Optional[str] = None) -> list:
        return [
            self._process(p)
            for p in self._run.processes()
            if p["role"] == role and (group is None or p["group"] == group)
        ]

    def master(self, group: str) -> Process:
        """The master of a broker group (``sim.master("broker-a")``)."""
        found = self._with_role("master", group)
        if not found:
            raise ValueError(f"no broker group named {group!r}")
        return found[0]

    def slaves(self, group: str) -> list:
        return self._with_role("slave", group)

    def slave(self, group: str, index: int = 1) -> Process:
        """A slave of a group: its brokerId (1, 2, ...)."""
        for p in self._with_role("slave", group):
            if p.broker_id == index:
                return p
        raise ValueError(f"broker group {group!r} has no slave {index}")

    def name_server(self, index: int = 1) -> Process:
        return self.process(f"namesrv-{index}")

    def name_servers(self) -> list:
        return self._with_role("name-server")

    def masters(self) -> list:
        return self._with_role("master")

    def producers(self) -> list:
        return self._with_role("producer")

    def consumers(self, group: Optional[str] = None) -> list:
        return self._with_role("consumer", group)

    def proxy(self, name: str = "proxy-1") -> Process:
        return self.process(name)

    # ------------------------------------------------------------------ faults

    def inject(
        self,
        kind: str,
        target: Union[str, Process, Sequence[Union[str, Process]]],
        peer: Union[str, Process, Sequence[Union[str, Process]], None] = None,
        duration: Duration = None,
        *,
        suppress: bool = False,
    ) -> Optional[Fault]:
        """Any fault kind of the scenario files (KILL, PARTITION, DISK_ERRORS, ...), now.
        Returns the Fault, or None when it would hit nothing (its target already down, ...)."""
        targets = [target] if isinstance(target, (str, Process)) else list(target)
        peers = [] if peer is None else [peer] if isinstance(peer, (str, Process)) else list(peer)
        names = [self.process(t).name for t in targets]
        peer_names = [self.process(p).name for p in peers]
        d = _UNTIL_HEALED_NS if duration is None else _ns(duration)
        try:
            fid = self._run.inject(kind.upper(), names, peer_names, d, suppress)
        except RuntimeError as e:  # the chaos phase has ended
            raise RmqsimError(str(e)) from None
        if fid is None:
            return None
        return Fault(int(fid), kind.upper(), names[0] if not peer_names else
                     f"{names[0]} <-> {peer_names[0]}", self)

    def kill(self, p, duration: Duration = None) -> Optional[Fault]:
        """kill -9; restarted when healed (``restart``, ``heal``, the duration, or the end of
        the chaos phase)."""
        return self.inject("KILL", p, duration=duration)

    def stop(self, p, duration: Duration = None) -> Optional[Fault]:
        """A graceful stop (10 s grace); started again when healed."""
        return self.inject("STOP", p, duration=duration)

    def restart(self, p) -> bool:
        """Ends the kills and stops holding a process down (it starts again at once); a running
        process is killed and started again. Returns whether anything was done."""
        name = self.process(p).name
        healed = self._heal_where(lambda w: w["kind"] in ("KILL", "STOP") and name in w["processes"])
        if healed:
            return True
        return self.inject("KILL", name, duration=0) is not None

    def power_off(self, p, duration: Duration = None) -> Optional[Fault]:
        """The process's machine loses power (unsynced data lost); powered on when healed."""
        return self.inject("POWER_CYCLE", p, duration=duration)

    def power_on(self, p) -> bool:
        """Ends the power-offs of the process's machine."""
        name = self.process(p).name
        return self._heal_where(
            lambda w: w["kind"] in ("POWER_CYCLE", "DESTROY") and name in w["processes"]
        )

    def destroy(self, p, duration: Duration = None) -> Optional[Fault]:
        """Power loss and the disk wiped; the machine comes back empty when healed."""
        return self.inject("DESTROY", p, duration=duration)

    def partition(self, a, b, duration: Duration = None, *, one_way: bool = False):
        """Blocks the link between the two processes' machines (a -> b only with one_way)."""
        return self.inject("PARTITION_ONE_WAY" if one_way else "PARTITION", a, b, duration)

    def isolate(self, p, duration: Duration = None) -> Optional[Fault]:
        """Cuts the process's machine from every other machine."""
        return self.inject("ISOLATE", p, duration=duration)

    def clog(self, a, b, duration: Duration = None) -> Optional[Fault]:
        """Extra delay both ways between the two machines."""
        return self.inject("CLOG", a, b, duration)

    def reset_connections(self, a, b) -> Optional[Fault]:
        """Resets every connection between the two machines (instant)."""
        return self.inject("RESET_CONNECTIONS", a, b, 0)

    def drop_heartbeats(self, client, duration: Duration = None) -> Optional[Fault]:
        """A producer's or consumer's HEART_BEAT to the brokers is suppressed."""
        return self.inject("DROP_CLIENT_HEARTBEATS", client, duration=duration)

    def drop_registrations(self, broker, name_server=None, duration: Duration = None):
        """A broker's REGISTER_BROKER to one name server (or all) is lost."""
        return self.inject("DROP_REGISTRATIONS", broker, name_server, duration)

    def disk_fault(self, p, kind: str = "errors", duration: Duration = None):
        """``errors`` (EIO on writes and fsyncs), ``read_errors``, ``slow`` (fsync 20-200x
        slower) or ``full`` (ENOSPC) on the process's machine."""
        kinds = {
            "errors": "DISK_ERRORS",
            "read_errors": "READ_ERRORS",
            "slow": "SLOW_DISK",
            "full": "DISK_FULL",
        }
        if kind not in kinds:
            raise ValueError(f"disk_fault kind: one of {sorted(kinds)}, not {kind!r}")
        return self.inject(kinds[kind], p, duration=duration)

    def clock_jump(self, p) -> Optional[Fault]:
        """The machine's wall clock jumps by 10 s .. 10 min, either way (instant)."""
        return self.inject("CLOCK_JUMP", p, duration=0)

    def clock_drift(self, p, duration: Duration = None) -> Optional[Fault]:
        return self.inject("CLOCK_DRIFT", p, duration=duration)

    def proxy_maintenance(self, p="proxy-1", duration: Duration = None) -> Optional[Fault]:
        """Every upstream cluster of the proxy in maintenance mode."""
        return self.inject("PROXY_MAINTENANCE", p, duration=duration)

    def heal(self, fault: Union[Fault, int, None] = None) -> int:
        """Ends one fault now (a Fault or its id), or every open one. Returns how many."""
        if fault is None:
            return sum(1 for fid in self._run.open_faults() if self._run.heal(fid))
        fid = fault.id if isinstance(fault, Fault) else int(fault)
        return 1 if self._run.heal(fid) else 0

    def open_faults(self) -> list:
        """The ids of the fault windows open now."""
        return list(self._run.open_faults())

    def _heal_where(self, pred) -> bool:
        done = False
        for fid in self._run.open_faults():
            w = self._run.fault(fid)
            if w is not None and pred(w) and self._run.heal(fid):
                done = True
        return done

    # ------------------------------------------------------------------ state now

    def routes(self) -> pd.DataFrame:
        """What each running name server lists now: one row per broker registration."""
        return pd.DataFrame(self._run.routes_now())

    def brokers(self) -> pd.DataFrame:
        """Every broker now: up, role, commit-log offsets, a slave's lag behind its master."""
        return pd.DataFrame(self._run.brokers_now())

    def slave_lag(self) -> pd.DataFrame:
        """The slaves' lag behind their masters, in commit-log bytes."""
        b = self.brokers()
        return b[b["broker_id"] > 0][["broker", "group", "up", "connected_to_master", "slave_lag_bytes"]]

    def queues(self) -> pd.DataFrame:
        """Per master, topic and queue: consume-queue offsets and each group's committed offset
        and lag."""
        return pd.DataFrame(self._run.queues_now())

    def consumer_lag(self) -> pd.DataFrame:
        """Per group and queue: the messages not yet committed."""
        q = self.queues()
        return q[q["group"] != ""][["group", "broker", "topic", "queue", "max_offset", "committed_offset", "lag"]]

    def proxy_stats(self) -> pd.DataFrame:
        """Every running proxy's 27 statistics now (a column per proxy)."""
        return pd.DataFrame(self._run.proxy_stats_now())

    # ------------------------------------------------------------------ history

    _TABLES = ("sends", "deliveries", "faults", "routes", "brokers", "replicas", "lags", "proxies")

    def history(self, table: str) -> pd.DataFrame:
        """A table of the recorded history so far: sends, deliveries, faults, routes (samples of
        the name servers' tables), brokers (samples), replicas and lags (at the end), proxies
        (statistics samples). Times are nanoseconds (``*_ns``) and seconds (``time``, ``*_s``)."""
        if table not in self._TABLES:
            raise ValueError(f"history table: one of {', '.join(self._TABLES)}, not {table!r}")
        return _frame(self._run.table(table))

    def sends(self) -> pd.DataFrame:
        return self.history("sends")

    def deliveries(self) -> pd.DataFrame:
        return self.history("deliveries")

    def faults(self) -> pd.DataFrame:
        return self.history("faults")

    def trace(self) -> list:
        """The trace events as text lines (only with ``trace=True``)."""
        return list(self._run.trace_lines())

    def logs(self, process: Optional[str] = None, level: str = "DEBUG") -> pd.DataFrame:
        """The processes' log lines so far (the servers' INFO/WARN/ERROR lines and every WARN or
        ERROR event), as the real servers write them: columns time_ns, time_s, process, level and
        text ("RocketmqBroker - register broker[0]to name server ... OK"). ``process`` keeps one
        process; ``level`` keeps that level and above."""
        order = ["DEBUG", "INFO", "WARN", "ERROR"]
        if level.upper() not in order:
            raise ValueError(f"level must be one of {', '.join(order)}, got {level!r}")
        df = pd.DataFrame(self._run.log_rows(), columns=["time_ns", "process", "level", "text"])
        df.insert(1, "time_s", df["time_ns"] / 1e9)
        if process is not None:
            df = df[df["process"] == process]
        df = df[df["level"].map(order.index) >= order.index(level.upper())]
        return df.reset_index(drop=True)

    # ------------------------------------------------------------------ the end

    def result(self) -> Result:
        """Runs to the end (drain, last samples), runs the checkers once, returns the Result."""
        if self._result is None:
            self._result = Result(self._run.finish(), self)
        return self._result

    def __repr__(self) -> str:
        return (
            f"<Simulation {self.origin} seed={self.seed} t={self.now:.3f}s phase={self.phase} "
            f"events={self.events} open_faults={len(self._run.open_faults())}>"
        )


def scenario_text(
    *,
    groups: Sequence[Union[str, Mapping[str, Any]]] = ("broker-a",),
    name_servers: int = 2,
    role: str = "SYNC_MASTER",
    flush: str = "SYNC_FLUSH",
    slaves: int = 1,
    topic: str = "TopicTest",
    queues: int = 4,
    producers: int = 1,
    rate: float = 20,
    consumers: int = 2,
    proxy: bool = False,
    warmup: Duration = "30s",
    chaos: Duration = "5m",
    quiet: Duration = "1m",
    nemesis: bool = False,
    timeline: Sequence[str] = (),
    checks: Sequence[str] = ("delivery", "routes", "liveness", "replicas", "metrics"),
    broker_conf: Optional[Mapping[str, Any]] = None,
    name: str = "python",
) -> str:
    """The Protobuf text of a scenario built from keyword arguments (Simulation.cluster): broker
    groups with their role, flush mode and slaves, name servers, one topic, ``producers``
    processes at ``rate`` msg/s each, a push group of ``consumers``, optionally everything
    through one proxy, the phases, the random nemesis on or off, timeline entries, the checks
    and broker settings (``broker_conf``, Java's names)."""

    def dur(d: Duration) -> str:
        return f"{_ns(d) // 10**6}ms"

    lines = [f'name: "{name}"', "topology {", f"  name_servers: {name_servers}"]
    for g in groups:
        spec = {"name": g} if isinstance(g, str) else dict(g)
        lines.append(
            f'  broker_groups {{ name: "{spec["name"]}" role: {spec.get("role", role)} '
            f'flush: {spec.get("flush", flush)} slaves: {spec.get("slaves", slaves)} }}'
        )
    for k, v in (broker_conf or {}).items():
        lines.append(f'  broker_conf {{ key: "{k}" value: "{v}" }}')
    if proxy:
        lines.append('  proxies { name: "proxy-1" }')
    lines.append("}")
    via = ' via_proxy: "proxy-1"' if proxy else ""
    lines += [
        "workload {",
        f'  topics {{ name: "{topic}" queues: {queues} }}',
    ]
    if producers > 0:
        lines.append(f'  producers {{ name: "producer" count: {producers} rate: {rate} topic: "{topic}"{via} }}')
    if consumers > 0:
        lines.append(f'  consumer_groups {{ group: "cg" consumers: {consumers} topic: "{topic}"{via} }}')
    lines.append("}")
    lines.append("faults {")
    lines.append(f"  nemesis {{ enabled: {'true' if nemesis else 'false'} }}")
    # Timeline entries as in a scenario file: 'at: "20s" kind: KILL target { role: MASTER }'.
    lines += [f"  timeline {{ {t} }}" for t in timeline]
    lines.append("}")
    lines.append(f'phases {{ warmup: "{dur(warmup)}" chaos: "{dur(chaos)}" quiet: "{dur(quiet)}" }}')
    lines.append("checks { " + " ".join(f"{c} {{}}" for c in checks) + " }")
    return "\n".join(lines) + "\n"
