"""The ``features`` stage of analyze alone: old (a git revision) against the working tree.

Usage::

    .venv/bin/python bench/bench_features.py STORE EVENT [--base main] [--repeat 2]
                                             [--profile]

Projects the event and runs the detectors once (as :func:`pileon.service.analysis
.project_and_detect` does), then times :func:`pileon.detectors.pipeline.event_features`
of the base revision (its ``harm``, ``features`` and ``cascades`` modules loaded from git
under other names) and of the working tree, alternately, in this process: CPU seconds
(``time.process_time``) and wall seconds, and checks that the features frames are equal.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: the modules of the stage, loaded from the base revision in this order
_MODULES = (
    ("coactivity", "detectors/coactivity.py"),
    ("harm", "detectors/harm.py"),
    ("cascades", "detectors/cascades.py"),
    ("features", "detectors/features.py"),
    ("pipeline", "detectors/pipeline.py"),
)


def _old_modules(base: str, modules: tuple[tuple[str, str], ...] = _MODULES) -> dict:
    """The ``(name, path)`` modules of revision ``base`` (default: the features stage's),
    each importing the others' old versions."""
    out = {}
    for name, path in modules:
        src = subprocess.run(
            ["git", "show", f"{base}:{path}"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        for other, _ in modules:
            src = src.replace(f"pileon.detectors.{other} ", f"_old_{other} ")
            src = src.replace(f"pileon.detectors.{other}\n", f"_old_{other}\n")
        spec = importlib.util.spec_from_loader(f"_old_{name}", loader=None)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[f"_old_{name}"] = mod
        exec(compile(src, f"<{base}:{path}>", "exec"), mod.__dict__)
        out[name] = mod
    return out


def _parser() -> argparse.ArgumentParser:
    """The arguments of this bench and of :mod:`bench.bench_roles`: a store, its event, the
    base revision and the runs of each."""
    ap = argparse.ArgumentParser()
    ap.add_argument("store")
    ap.add_argument("event")
    ap.add_argument("--base", default="main")
    ap.add_argument("--repeat", type=int, default=2)
    return ap


def _alternate(runs, p, det, repeat: int, *, label: str):  # type: ignore[no-untyped-def]
    """Each revision's ``event_features(p, det)`` of ``runs`` in turn, ``repeat`` times;
    prints each run's CPU and wall seconds (after ``label``) and returns the last
    ``(features, items, detections)`` of each revision."""
    got, cpu = {}, {name: [] for name in runs}  # type: ignore[var-annotated]
    for _ in range(repeat):
        for name, fn in runs.items():
            # what the detectors left on the projection (the repost forest) stays; what an
            # earlier run of the stage kept there goes
            for key in [k for k in p.derived if k != "coded_forest"]:
                del p.derived[key]
            w, c = time.perf_counter(), time.process_time()
            f, items, d2 = fn(p, det)
            cpu[name].append((time.process_time() - c, time.perf_counter() - w))
            got[name] = (f, items, d2)
            del f, items, d2
    for name, xs in cpu.items():
        print(label + name, " ".join(f"{x:.2f} cpu s ({y:.2f} wall)" for x, y in xs))
    return got


def main(argv: list[str] | None = None) -> int:
    ap = _parser()
    ap.add_argument("--profile", action="store_true")
    a = ap.parse_args(argv)

    import os

    import pandas as pd

    from pileon.detectors import pipeline
    from pileon.detectors.pipeline import detect
    from pileon.graph.embedded import EmbeddedStore
    from pileon.graph.projection import project

    old = _old_modules(a.base)
    store = EmbeddedStore(a.store)
    c = time.process_time()
    p = project(store, a.event)
    det = detect(p, seed=0, workers=1)
    print(f"project+detect {time.process_time() - c:.1f} cpu s; load {os.getloadavg()}")
    runs = {"old": old["pipeline"].event_features, "new": pipeline.event_features}
    if a.profile:
        import cProfile
        import pstats

        pr = cProfile.Profile()
        pr.runcall(pipeline.event_features, p, det)
        pstats.Stats(pr).sort_stats("cumulative").print_stats(35)
        return 0
    got = _alternate(runs, p, det, a.repeat, label="")
    pd.testing.assert_frame_equal(got["old"][0], got["new"][0], check_exact=True)
    oi, ni = got["old"][1], got["new"][1]
    pd.testing.assert_series_equal(oi.harm, ni.harm, check_exact=True)
    pd.testing.assert_series_equal(oi.contents, ni.contents, check_exact=True)
    pd.testing.assert_series_equal(oi.reposts, ni.reposts, check_exact=True)
    pd.testing.assert_frame_equal(oi.forest, ni.forest, check_exact=True)
    assert got["old"][2].roles == got["new"][2].roles
    assert got["old"][2].venues == got["new"][2].venues
    print(f"identical: features {got['new'][0].shape}, items, detections; load {os.getloadavg()}")
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
