"""Acceptance criteria over many seeds and sizes of both generators.

The criteria: roles, coordination and MCNs, ranking and tiers, protection of the person
under attack (alerts and evidence), and the early warning on the right people.

Runs, for every seed and size of the independent generator (``tests/altgen``), the same
CLI round as ``tests/test_acceptance_alt.py`` (``tests/altgen/acceptance.py``: ingest,
analyze, alerts, evidence, train, analyze with the model) on a fresh temporary store; and,
for every seed and scale of the project's own sample (``pileon sample``), ingest and
``alerts --json`` with the early-warning criteria (``tests/alert_acceptance.py``, the same
code as for the independent generator).  Prints one table per generator: a row per
criterion, a column per run, each cell ``ok``/``FAIL`` with the criterion's main number.

Usage::

    .venv/bin/python bench/acceptance.py --seeds 0 1 2 3 4 --sizes small medium \
        --sample-seeds 7 1 3 --sample-scales 0.25 1 [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.alert_acceptance import evaluate_alerts, run_sample, truth_sample
from tests.altgen.acceptance import evaluate, run_incident

#: the number shown beside ok/FAIL for each criterion
HEADLINE = {
    "roles.first_poster": lambda r: f"p{r['precision']:.2f} r{r['recall']:.2f}",
    "roles.inciter": lambda r: (
        f"p{r['precision']:.2f} r{r['recall']:.2f}"
        + ("" if r["repost_comment_inciter_found"] else " noRC")
    ),
    "roles.splicer": lambda r: f"p{r['precision']:.2f} r{r['recall']:.2f}",
    "roles.impersonator": lambda r: f"{r['found']}/{r['planted']} x{len(r['extra'])}",
    "roles.multi_poster": lambda r: f"p{r['precision']:.2f} r{r['recall']:.2f}",
    "roles.no_other_event": lambda r: f"{r['n']} leaked",
    "coordination.coordinated": lambda r: f"p{r['precision']:.2f} r{r['recall']:.2f}",
    "coordination.operating_mcn_first": lambda r: (
        f"{(r['first'] or '-').split(':')[-1][:10]} {(r['measures'] or ['-'])[-1][:8]}"
    ),
    "coordination.news_bystander_mcns": lambda r: ",".join(
        (v or ["-"])[-1][:4] for v in r["listed"].values()
    ),
    "ranking.top10_culprits": lambda r: f"{10 - len(r['not_culprits'])}/10",
    "ranking.precision_at_50": lambda r: f"{r['p50']:.2f}",
    "ranking.no_news_top100": lambda r: f"{len(r['news'])} in",
    "ranking.tiers": lambda r: (
        f"a{r['army_tier2']:.2f} o{r['ordinary_tier1']:.2f}"
        + (f" h{len(r['heavy_below3'])}" if r["heavy_below3"] else "")
        + (f" z{len(r['targets_news_nonzero'])}" if r["targets_news_nonzero"] else "")
    ),
    "ranking.minor_attacker": lambda r: r["marked"],
    "ranking.model_used": lambda r: r["accounts_with_model_evidence"],
    "ranking.model_ranking": lambda r: f"{r['top10_culprits']}/10 p{r['p50']:.2f}",
    "protection.victim_alert": lambda r: f"lag {r['lags_h'][0] if r['lags_h'] else '-'}h",
    "protection.minor_first": lambda r: "first" if r["ok"] else f"{r['minor_alerts']}",
    "protection.celebrity_quiet": lambda r: f"{len(r['alerts'])} alerts",
    "protection.evidence": lambda r: (
        f"{r['in_pack']}/{r['harmful']} b{len(r['benign_in_pack'])}"
        + ("" if r["hashes_ok"] else " HASH")
    ),
    "warning.minors_first": lambda r: f"{r['alerted']}/{r['minors']} at {r['positions']}",
    "warning.minor_at_first_harm": lambda r: (
        "n/a" if r["lags_h"] == "n/a" else " ".join(f"{v}h" for v in r["lags_h"].values())
    ),
    "warning.quiet": lambda r: f"{len(r['loud'])}/{r['checked']} loud",
    "warning.alerted": lambda r: " ".join(f"{(v or ['-'])[0]}h" for v in r["lags_h"].values()),
    "warning.event_heat": lambda r: f"{len(r['events'])} events",
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--sizes", nargs="+", default=["small", "medium"])
    ap.add_argument("--sample-seeds", type=int, nargs="*", default=[7, 1, 3])
    ap.add_argument("--sample-scales", type=float, nargs="*", default=[0.25, 1.0])
    ap.add_argument("--json", default=None, help="Also write every criterion's numbers here.")
    args = ap.parse_args(argv)
    runs: dict[str, dict] = {}
    for size in args.sizes:
        for seed in args.seeds:
            key = f"{size[0]}{seed}"
            t = time.perf_counter()
            with tempfile.TemporaryDirectory(prefix="pileon-acc-") as tmp:
                runs[key] = evaluate(run_incident(seed, size, Path(tmp)))
            print(f"{key}: {time.perf_counter() - t:.1f}s", file=sys.stderr)
    samples: dict[str, dict] = {}
    for scale in args.sample_scales:
        for seed in args.sample_seeds:
            key = f"x{scale:g}s{seed}"
            t = time.perf_counter()
            with tempfile.TemporaryDirectory(prefix="pileon-acc-") as tmp:
                out = run_sample(seed, scale, Path(tmp))
                samples[key] = evaluate_alerts(out["alerts"], truth_sample(out["truth"]))
            print(f"{key}: {time.perf_counter() - t:.1f}s", file=sys.stderr)
    if runs:
        print("independent generator (tests/altgen)")
        _table(runs)
    if samples:
        print("the project's sample (pileon sample), alerts only")
        _table(samples)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"altgen": runs, "sample": samples}, ensure_ascii=False, indent=1, default=str
            ),
            encoding="utf-8",
        )
    return 0


def _table(runs: dict[str, dict]) -> None:
    names = list(next(iter(runs.values())))
    width = 22
    label = max(len(n) for n in names) + 2
    print("criterion".ljust(label) + "".join(k.ljust(width) for k in runs))
    for n in names:
        cells = []
        for k in runs:
            r = runs[k][n]
            cells.append(
                (("ok " if r["ok"] else "FAIL ") + HEADLINE[n](r))[: width - 1].ljust(width)
            )
        print(n.ljust(label) + "".join(cells))
    passed = {k: sum(v["ok"] for v in r.values()) for k, r in runs.items()}
    print(
        "passed".ljust(label) + "".join(f"{v}/{len(names)}".ljust(width) for v in passed.values())
    )


if __name__ == "__main__":
    sys.exit(main())
