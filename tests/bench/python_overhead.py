"""The cost of driving a run from Python (docs/performance.md): the same scenario and seed from
the CLI, from Python straight through, in 10-second run(until=...) steps, and with a predicate
checked every simulated second. Prints wall seconds (medians) and ratios to the CLI; every way
must give the CLI's digest. Not a test: run it by hand on an idle machine.

    PYTHONPATH=build/python /usr/bin/python3 tests/bench/python_overhead.py [--runs 3]
"""

import argparse
import os
import statistics
import subprocess
import time

import rmqsim

ap = argparse.ArgumentParser()
ap.add_argument("--runs", type=int, default=3)
ap.add_argument("--scenario", default=rmqsim.library("chaos"))
ap.add_argument("--seed", type=int, default=3)
ap.add_argument("--cli", default=os.path.join("build", "scenarios", "rmqsim"))
args = ap.parse_args()


def cli():
    out = subprocess.run([args.cli, "run", args.scenario, "--seed", str(args.seed),
                          "--digest-only"], capture_output=True, text=True)
    return out.stdout.strip().split()[-1]


def straight():
    return rmqsim.Simulation.from_file(args.scenario, seed=args.seed).result().digest


def in_steps():
    sim = rmqsim.Simulation.from_file(args.scenario, seed=args.seed)
    t = 0.0
    while not sim.ended:
        t += 10
        sim.run(until=max(t, sim.now))
    return sim.result().digest


def predicate():
    sim = rmqsim.Simulation.from_file(args.scenario, seed=args.seed)
    checks = [0]

    def done():
        checks[0] += 1
        return sim.ended

    sim.run(until=done, check_every="1s")
    predicate.checks = checks[0]
    return sim.result().digest


results = {}
for name, fn in [("CLI", cli), ("Python, result()", straight),
                 ("Python, run(until=t) every 10 s", in_steps),
                 ("Python, predicate every 1 s", predicate)]:
    walls, digests = [], set()
    for _ in range(args.runs):
        t0 = time.perf_counter()
        digests.add(fn())
        walls.append(time.perf_counter() - t0)
    results[name] = (statistics.median(walls), digests)

base = results["CLI"][0]
digest = results["CLI"][1]
print(f"{os.path.basename(args.scenario)} seed {args.seed}, {args.runs} runs each, medians")
for name, (wall, digests) in results.items():
    same = "same digest" if digests == digest else f"DIGEST DIFFERS {digests} vs {digest}"
    print(f"  {name:34s} {wall:7.2f} s  x{wall / base:.2f}  {same}")
print(f"  (the predicate was called {predicate.checks} times)")
