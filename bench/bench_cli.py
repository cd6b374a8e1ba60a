"""Start-up time of the command line: ``pileon --help`` and ``pileon COMMAND --help``.

Target: under 0.3 s each (the commands are registered lazily and import their
libraries only when they run).  Each figure is the median of ``--runs`` runs of
the installed ``pileon`` script, after one warm-up: wall time, and CPU time (user +
system, from the kernel's accounting of the child), which a busy shared machine
disturbs less than wall time; next to ``python -c pass`` measured the same way
(the interpreter's own start-up).

    .venv/bin/python bench/bench_cli.py --runs 15
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path


def timed(cmd: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of each run."""
    subprocess.run(cmd, capture_output=True, check=False)  # warm-up
    walls, cpus = [], []
    for _ in range(runs):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=False)
        walls.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
    return walls, cpus


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--target", type=float, default=0.3)
    args = ap.parse_args(argv)
    from pileon.cli import COMMANDS

    script = str(Path(sys.executable).with_name("pileon"))
    cases = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("pileon --help", [script, "--help"]),
    ]
    cases += [(f"pileon {c} --help", [script, c, "--help"]) for c in sorted(COMMANDS)]
    print(f"load average {os.getloadavg()[0]:.2f}; median (min-max) of {args.runs} runs, seconds")
    print(f"{'command':<28} {'wall':<20} cpu")
    worst = 0.0
    for label, cmd in cases:
        w, c = timed(cmd, args.runs)
        if label != "python -c pass":
            worst = max(worst, statistics.median(w))
        print(
            f"{label:<28} {statistics.median(w):.3f} ({min(w):.3f}-{max(w):.3f})  "
            f"{statistics.median(c):.3f} ({min(c):.3f}-{max(c):.3f})"
        )
    print(
        f"slowest median wall {worst:.3f} s: {'within' if worst < args.target else 'OVER'} "
        f"the {args.target} s target"
    )
    return 0 if worst < args.target else 1


if __name__ == "__main__":
    raise SystemExit(main())
