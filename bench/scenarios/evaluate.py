"""Score clusters against a scenario's truth, pileon's beside the naive baseline's.

``score(clusters, truth)`` is what the benchmark table and the tests read:

* ``army``: army accounts that took part in at least two waves (reposts, near-copies or
  comments): fewer is not coordination any method could see;
* ``recall``: share of them in a reported cluster (of three or more accounts);
* ``precision``: share of clustered accounts that belong to an army;
* ``fans``, ``news``, ``organic``, ``culprits``: accounts of each negative kind clustered;
* ``mixed``: clusters holding accounts of more than one army (operations merged).
"""

from __future__ import annotations

import time
from typing import Any

from bench.naive import naive_clusters
from bench.scenarios.generator import Generated

__all__ = ["score", "pileon_clusters", "compare"]


def score(clusters: list[list[str]], truth: dict[str, Any], *, min_size: int = 3) -> dict[str, Any]:
    """Recall, precision and negatives clustered (module docstring)."""
    clusters = [set(c) for c in clusters if len(c) >= min_size]
    found = set().union(*clusters) if clusters else set()
    waves = truth.get("waves_of", {})
    army_all = set(truth["army"])
    army = {a for a in army_all if waves.get(a, 0) >= 2}
    tp = len(found & army_all)
    of_army = {a: k for k, members in enumerate(truth["armies"]) for a in members}
    mixed = sum(1 for c in clusters if len({of_army[a] for a in c if a in of_army}) > 1)
    return {
        "army": len(army),
        "clusters": len(clusters),
        "clustered": len(found),
        "recall": round(len(found & army) / len(army), 3) if army else 1.0,
        "precision": round(tp / len(found), 3) if found else 1.0,
        "fans": len(found & set(truth["fans"])),
        "news": len(found & (set(truth["news_followers"]) | set(truth["outlets"]))),
        "organic": len(found & set(truth["organic"])),
        "culprits": len(found & (set(truth["culprits"]) | set(truth["idols"]))),
        "mixed": mixed,
    }


def pileon_clusters(
    gen: Generated, *, seed: int = 0, detector: str = "coordination", **options: Any
) -> tuple[list[list[str]], float]:
    """pileon's significant clusters on the scenario's projection, and the detector's seconds
    (narratives included, as in ``analyze``).  ``detector`` names the module of
    ``pileon.detectors`` whose ``detect_coordinated`` runs (to compare with an older one)."""
    import importlib

    from pileon.detectors.narratives import detect_narratives

    module = importlib.import_module(f"pileon.detectors.{detector}")
    detect_coordinated = module.detect_coordinated

    p = gen.projection()
    t = time.perf_counter()
    nres = detect_narratives(p, seed=seed)
    res = detect_coordinated(p, narratives=nres, seed=seed, **options)
    took = time.perf_counter() - t
    return [list(c.accounts) for c in res.clusters if c.significant], took


def compare(
    gen: Generated, *, ks: tuple[int, ...] = (2, 3), seed: int = 0, detector: str = "coordination"
) -> dict[str, Any]:
    """pileon's score and the naive baseline's at each K, on one generated scenario."""
    mine, took = pileon_clusters(gen, seed=seed, detector=detector)
    out = {"pileon": dict(score(mine, gen.truth), seconds=round(took, 2))}
    reposts = gen.tables["reposts"]
    for k in ks:
        out[f"naive{k}"] = score(naive_clusters(reposts, window=60.0, min_weight=k), gen.truth)
    return out
