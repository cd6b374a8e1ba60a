"""The repeat posters, first posters and inciters of analyze's ``roles`` stage alone: old
(a git revision) against the working tree.

Usage::

    .venv/bin/python bench/bench_roles.py STORE EVENT [--base main] [--repeat 2] [--features]

Projects the event and runs the narratives once, then times
:func:`pileon.detectors.posters.detect_first_posters`, ``detect_multi_posters`` and
``detect_inciters`` of the base revision (its ``harm``, ``cascades`` and ``posters`` modules
loaded from git under other names, as :mod:`bench.bench_features` does) and of the working
tree, alternately, in this process: CPU seconds (``time.process_time``) and wall seconds,
and checks that the findings are equal.  What a run keeps on the projection is dropped
before the next, but the repost forest, which the narratives build.

With ``--features``, the coordinated clusters are detected too, and then the ``features``
stage (:func:`pileon.detectors.pipeline.event_features`) is timed and compared the same
way, as :mod:`bench.bench_features` does, in the same process (one projection for both
stages: the wide stress shape takes minutes to project).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_features import _alternate, _old_modules, _parser  # noqa: E402

_DETECTORS = ("detect_first_posters", "detect_multi_posters", "detect_inciters")
#: the base revision's modules the roles and the features stage read
_MODULES = (
    ("coactivity", "detectors/coactivity.py"),
    ("harm", "detectors/harm.py"),
    ("cascades", "detectors/cascades.py"),
    ("posters", "detectors/posters.py"),
    ("features", "detectors/features.py"),
    ("pipeline", "detectors/pipeline.py"),
)


def main(argv: list[str] | None = None) -> int:
    ap = _parser()
    ap.add_argument("--features", action="store_true")
    a = ap.parse_args(argv)

    from pileon.detectors import posters
    from pileon.detectors.narratives import detect_narratives
    from pileon.graph.embedded import EmbeddedStore
    from pileon.graph.projection import project

    old = _old_modules(a.base, _MODULES)
    store = EmbeddedStore(a.store)
    c = time.process_time()
    p = project(store, a.event)
    nres = detect_narratives(p, seed=0)
    print(f"project+narratives {time.process_time() - c:.1f} cpu s; load {os.getloadavg()}")
    mods = {"old": old["posters"], "new": posters}
    got: dict[str, list] = {}
    cpu: dict[str, list] = {"old": [], "new": []}
    for _ in range(a.repeat):
        for name, mod in mods.items():
            for key in [k for k in p.derived if k != "coded_forest"]:
                del p.derived[key]
            w, c = time.perf_counter(), time.process_time()
            found = [getattr(mod, d)(p, nres, seed=0) for d in _DETECTORS]
            cpu[name].append((time.process_time() - c, time.perf_counter() - w))
            got[name] = found
    for name, xs in cpu.items():
        print(name, " ".join(f"{x:.2f} cpu s ({y:.2f} wall)" for x, y in xs))
    for d, o, n in zip(_DETECTORS, got["old"], got["new"]):
        assert o == n, f"{d}: findings differ"
    counts = [len(x) for x in got["new"]]
    print(f"identical findings {dict(zip(_DETECTORS, counts))}; load {os.getloadavg()}")
    if a.features:
        _features(p, nres, got["new"], old["pipeline"], a.repeat)
    store.close()
    return 0


def _features(p, nres, roles, old_pipeline, repeat: int) -> None:  # type: ignore[no-untyped-def]
    """The features stage of both revisions on the detections of ``p`` (as
    :func:`pileon.detectors.pipeline.detect` gathers them, in one process)."""
    import pandas as pd

    from pileon.detectors import pipeline
    from pileon.detectors.coordination import detect_coordinated
    from pileon.detectors.renames import detect_impersonators
    from pileon.detectors.splicing import detect_splicers

    c = time.process_time()
    cres = detect_coordinated(p, narratives=nres, seed=0)
    found = [f for fs in roles for f in fs] + list(detect_splicers(p))
    found += list(detect_impersonators(p)) + list(cres.findings)
    det = pipeline.gather(p, nres, cres, found)
    print(f"clusters, splicers, impersonators {time.process_time() - c:.1f} cpu s")
    runs = {"old": old_pipeline.event_features, "new": pipeline.event_features}
    got = _alternate(runs, p, det, repeat, label="features ")
    (of, oi, od), (nf, ni, nd) = got["old"], got["new"]
    pd.testing.assert_frame_equal(of, nf, check_exact=True)
    pd.testing.assert_series_equal(oi.contents, ni.contents, check_exact=True)
    pd.testing.assert_series_equal(oi.reposts, ni.reposts, check_exact=True)
    assert od.roles == nd.roles
    print(f"identical features {got['new'][0].shape}; load {os.getloadavg()}")


if __name__ == "__main__":
    raise SystemExit(main())
