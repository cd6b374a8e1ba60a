"""Timing harness for :func:`pileon.detectors.coordination.detect_coordinated`.

Usage::

    .venv/bin/python bench/bench_clusters.py --scales 1,2,5 [--seeds 0] [--save DIR] [--profile]

For each scale the sample incident (seed 7) is generated, ingested into an embedded
store and projected on its largest event; the projection and its narratives are cached
as a pickle under ``--cache`` (default /tmp/clbench) so later runs skip that.  Prints
wall/CPU seconds of ``detect_coordinated(p, narratives=nres, seed=s)`` per scale and
seed, and with ``--save`` writes a canonical dump of clusters and findings per run
(for before/after comparison).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def load(scale: float, cache: Path):
    path = cache / f"proj_{scale:g}.pkl"
    if path.exists():
        with open(path, "rb") as f:
            return pickle.load(f)
    import tempfile

    from pileon.detectors.narratives import detect_narratives
    from pileon.graph.embedded import EmbeddedStore
    from pileon.graph.projection import project
    from pileon.ingest.load import load_folder
    from pileon.ingest.sample import generate_incident

    d = tempfile.mkdtemp(dir=cache)
    generate_incident(d, seed=7, scale=scale)
    store = EmbeddedStore(os.path.join(d, "store.db"))
    load_folder(store, d)
    m = store.memberships()
    event = m["event_id"].value_counts().index[0]
    p = project(store, event)
    nres = detect_narratives(p, seed=0)
    with open(path, "wb") as f:
        pickle.dump((p, nres), f)
    return p, nres


def dump(res) -> dict:
    return {
        "clusters": [
            {
                "id": c.cluster_id,
                "accounts": list(c.accounts),
                "score": round(c.score, 9),
                "significant": c.significant,
                "numbers": {k: round(v, 6) for k, v in sorted(c.numbers.items())},
                "evidence": [[e.kind, list(e.content_ids), e.detail] for e in c.evidence],
            }
            for c in res.clusters
        ],
        "findings": [
            {
                "account": f.account_id,
                "strength": round(f.strength, 9),
                "numbers": {k: round(v, 6) for k, v in sorted(f.numbers.items())},
                "evidence": [[e.kind, list(e.content_ids), e.detail] for e in f.evidence],
            }
            for f in res.findings
        ],
        "n_edges": int(len(res.edges)),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", default="1,2")
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--cache", default="/tmp/clbench")
    ap.add_argument("--save", default=None)
    ap.add_argument("--profile", action="store_true")
    a = ap.parse_args()
    cache = Path(a.cache)
    cache.mkdir(parents=True, exist_ok=True)
    from pileon.detectors.coordination import detect_coordinated

    for scale in [float(x) for x in a.scales.split(",")]:
        p, nres = load(scale, cache)
        for seed in [int(x) for x in a.seeds.split(",")]:
            load_avg = os.getloadavg()[0]
            w0, c0 = time.perf_counter(), time.process_time()
            if a.profile:
                import cProfile
                import pstats

                pr = cProfile.Profile()
                res = pr.runcall(detect_coordinated, p, narratives=nres, seed=seed)
                pstats.Stats(pr).sort_stats("cumulative").print_stats(30)
            else:
                res = detect_coordinated(p, narratives=nres, seed=seed)
            w, c = time.perf_counter() - w0, time.process_time() - c0
            print(
                json.dumps(
                    {
                        "scale": scale,
                        "seed": seed,
                        "reposts": int(len(p.reposts)),
                        "wall_s": round(w, 2),
                        "cpu_s": round(c, 2),
                        "load": round(load_avg, 2),
                        "clusters": len(res.clusters),
                        "significant": len(res.significant),
                        "findings": len(res.findings),
                    }
                ),
                flush=True,
            )
            if a.save:
                Path(a.save).mkdir(parents=True, exist_ok=True)
                with open(Path(a.save) / f"s{scale:g}_seed{seed}.json", "w") as f:
                    json.dump(dump(res), f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
