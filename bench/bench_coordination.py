"""Coordinated clusters against the naive co-repost baseline: the scenario grid and the IRA data.

Usage::

    .venv/bin/python bench/bench_coordination.py grid [--only NAME ...] [--seeds 0 1 2]
        [--no-traits] [--json OUT]
    .venv/bin/python bench/bench_coordination.py ira [--data DIR]

``grid`` generates every scenario of :data:`bench.scenarios.grid.GRID` (or those named)
and prints, per scenario and seed, pileon's recall and precision on the army and the
negatives it clustered, beside the naive baseline's at K = 2 and 3 (window 60 s); with
several seeds, a summary per scenario (mean and min recall and precision, max negatives).
``--no-traits`` blanks the accounts' creation times and drops the MCN affiliations first:
what the detector finds from behaviour alone.
``ira`` runs both on ``ira-dev`` (``../shared/data`` beside the repository, or
``PILEON_DATA_DIR``, or ``--data``): clustered trolls in clusters of three or more,
category purity, synthetic source authors clustered.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.naive import naive_clusters
from bench.scenarios import generate
from bench.scenarios.evaluate import compare
from bench.scenarios.grid import GRID


def _grid(args) -> dict:
    names = args.only or list(GRID)
    rows = {}
    cols = ("army", "recall", "precision", "fans", "news", "organic", "culprits", "mixed")
    print(
        f"{'scenario':28s} seed reposts | pileon "
        + " ".join(f"{c[:5]:>5s}" for c in cols[1:])
        + " s | naive2 rec  prec neg | naive3 rec  prec neg"
    )
    for name in names:
        for seed in args.seeds:
            g = generate(GRID[name], seed=seed)
            if args.no_traits:
                g.tables["accounts"]["created_at"] = None
                g.tables["affiliations"] = g.tables["affiliations"].iloc[:0]
            r = compare(g, seed=0, detector=args.detector)
            rows[f"{name}/{seed}"] = dict(r, reposts=len(g.tables["reposts"]))
            p = r["pileon"]

            def neg(x):
                return x["fans"] + x["news"] + x["organic"] + x["culprits"]

            print(
                f"{name:28s} {seed:4d} {len(g.tables['reposts']):7d} | {p['army']:6d} "
                + " ".join(f"{p[c]:5}" for c in cols[1:])
                + f" {p['seconds']:5.1f}"
                + " | "
                + " | ".join(
                    f"{r[k]['recall']:5.2f} {r[k]['precision']:5.2f} {neg(r[k]):4d}"
                    for k in ("naive2", "naive3")
                ),
                flush=True,
            )
    if len(args.seeds) > 1:
        _summary(rows, names, args.seeds)
    return rows


def _summary(rows: dict, names: list[str], seeds: list[int]) -> None:
    """Mean and min recall and precision per scenario over the seeds, and the most
    negatives clustered in one run (fans + news + organic + culprits)."""
    print(f"\n{'scenario':28s} seeds | pileon recall mean  min | precision mean  min | neg max")
    for name in names:
        runs = [rows[f"{name}/{s}"]["pileon"] for s in seeds]
        rec = [r["recall"] for r in runs]
        pre = [r["precision"] for r in runs]
        neg = max(r["fans"] + r["news"] + r["organic"] + r["culprits"] for r in runs)
        print(
            f"{name:28s} {len(runs):5d} | {sum(rec) / len(rec):16.3f} {min(rec):5.3f} | "
            f"{sum(pre) / len(pre):14.3f} {min(pre):5.3f} | {neg:7d}"
        )


def ira_folder(explicit: str | None = None) -> Path:
    """Where ``ira-dev`` lives: ``--data``, else ``PILEON_DATA_DIR``, else ``../shared/data``."""
    base = explicit or os.environ.get("PILEON_DATA_DIR")
    root = Path(base) if base else Path(__file__).resolve().parent.parent.parent / "shared" / "data"
    return root / "ira-dev"


def ira_score(clusters: list[list[str]], categories: dict[str, str]) -> dict:
    """Trolls clustered (clusters of 3+), purity per cluster and overall, synthetic authors."""
    import pandas as pd

    big = [c for c in clusters if len(c) >= 3]
    members = [a for c in big for a in c]
    purity = []
    for c in big:
        labels = pd.Series([categories.get(a, "synthetic") for a in c]).value_counts()
        purity.append(labels.iloc[0] / len(c))
    return {
        "clusters": len(big),
        "trolls": len({a for a in members if a in categories}),
        "synthetic": len({a for a in members if a not in categories}),
        "min_purity": round(min(purity), 3) if purity else None,
        "purity": round(sum(p * len(c) for p, c in zip(purity, big)) / max(len(members), 1), 3),
        "sizes": sorted((len(c) for c in big), reverse=True),
    }


def _ira(args) -> dict:
    import pandas as pd

    from pileon.detectors.coordination import detect_coordinated
    from pileon.detectors.narratives import detect_narratives
    from pileon.graph.projection import Projection

    folder = ira_folder(args.data)
    cats = pd.read_csv(folder / "categories.csv")
    categories = dict(zip(cats["account_id"], cats["label"]))
    tables = {
        name: pd.read_csv(folder / "tables" / f"{name}.csv", dtype={"account_id": str})
        for name in ("accounts", "contents", "reposts")
    }
    out = {}
    for k in (2, 3):
        out[f"naive{k}"] = ira_score(
            naive_clusters(tables["reposts"], window=60.0, min_weight=k), categories
        )
        print(f"naive K={k}: {out[f'naive{k}']}", flush=True)
    p = Projection.from_tables({"event_id": "IRA17"}, **tables)
    t = time.perf_counter()
    nres = detect_narratives(p)
    res = detect_coordinated(p, narratives=nres, seed=0)
    out["pileon"] = ira_score([list(c.accounts) for c in res.significant], categories)
    out["pileon"]["seconds"] = round(time.perf_counter() - t, 1)
    print(f"pileon: {out['pileon']}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="what", required=True)
    g = sub.add_parser("grid")
    g.add_argument("--only", nargs="*")
    g.add_argument("--seeds", nargs="+", type=int, default=[0])
    g.add_argument("--json")
    g.add_argument("--no-traits", action="store_true")
    g.add_argument(
        "--detector",
        default="coordination",
        help="module of pileon.detectors holding detect_coordinated (default coordination)",
    )
    i = sub.add_parser("ira")
    i.add_argument("--data")
    i.add_argument("--json")
    args = ap.parse_args(argv)
    out = _grid(args) if args.what == "grid" else _ira(args)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
