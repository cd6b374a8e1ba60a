"""``--engine spark`` against the in-process path: identical results, and how it scales.

Usage::

    .venv/bin/python bench/bench_spark.py identity --datasets sample1,sample10,twitter16,ced
    .venv/bin/python bench/bench_spark.py scale --sizes 1000000,5000000 --cores 1,2

``identity``: for each data set (the sample at scale 1 or 10, seed 7; the full Twitter16
and CED data from ``PILEON_DATA_DIR`` or ``../shared/data``, converted by
:mod:`pileon.ingest.realdata` with one event for the whole set), ingest into an embedded
store, then through the CLI for the largest event: ``coactivity --window 60`` (and for
the whole store) and ``analyze --model rules`` with the default engine and with
``--engine spark --spark-master local[2]``; the CSVs and the report JSON must be byte for
byte the same (the Spark side also counts the coordination detector's pairs in sync: the
candidate pairs it counted are kept under ``--spark-dir`` and their number printed).  Prints one row per data set.

``scale``: synthetic reposts (the generator of ``bench_coactivity.py``: Pareto source
popularity, bursts, coordinated groups) written as ``reposts.parquet``; the in-process
path reads them as ingest does and runs :func:`pileon.detectors.coactivity.coactivity`
(window 60) and :func:`pileon.detectors.coactivity.coactivity_degree`; the Spark path,
``local[N]`` for each N of ``--cores``, reads the same file, computes the edge list
(written as Parquet) and the co-repost counts, and the edge counts are compared.  Each path runs
in its own process (``/usr/bin/time -v`` gives wall time and peak memory); the load
(``uptime``) is printed beside.  On a shared machine quote ratios from one run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
PILEON = str(ROOT / ".venv" / "bin" / "pileon")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _run(args: list[str], **kw) -> tuple[float, float, str]:
    """Run a command under /usr/bin/time -v: (wall s, peak MiB, stdout)."""
    t0 = time.perf_counter()
    out = subprocess.run(
        ["/usr/bin/time", "-v", *args], capture_output=True, text=True, check=False, **kw
    )
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise SystemExit(f"failed ({out.returncode}): {' '.join(args)}\n{out.stderr[-3000:]}")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr)
    return wall, (int(m.group(1)) / 1024 if m else float("nan")), out.stdout


def _load() -> str:
    return open("/proc/loadavg").read().split()[0]


# ------------------------------------------------------------------------------- identity


def _dataset(name: str, root: Path) -> Path:
    folder = root / name
    if name.startswith("sample"):
        scale = name[len("sample") :] or "1"
        subprocess.run(
            [PILEON, "sample", str(folder), "--seed", "7", "--scale", scale],
            check=True,
            capture_output=True,
        )
        return folder
    from pileon.ingest.realdata import ced_tables, twitter16_tables, write_tables
    from tests.helpers import real_data

    if name == "twitter16":
        tables = twitter16_tables(real_data("twitter16", "full"), events="all")
    else:
        tables = ced_tables(real_data("ced-sample", "full"), events="all")
    return write_tables(tables, folder)


def identity(datasets: list[str], work: Path, master: str) -> None:
    print(
        "| data set | reposts | event items | coactivity pairs (event / store) | report | "
        "coordination pairs counted on Spark | in-process analyze s | spark analyze s | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name in datasets:
        folder = _dataset(name, work)
        db = work / f"{name}.db"
        subprocess.run(
            [PILEON, "--store", str(db), "ingest", str(folder), "--json"],
            check=True,
            capture_output=True,
        )
        from pileon.graph.embedded import EmbeddedStore

        store = EmbeddedStore(str(db))
        try:
            sizes = {e: len(store.memberships(e)) for e in store.event_ids()}
            n_reposts = len(store.frame("reposts"))
        finally:
            store.close()
        event = max(sizes, key=lambda e: (sizes[e], e))
        same = []
        pairs = []
        for scope in (["--event", event], []):
            files = []
            for engine in ("python", "spark"):
                out = work / f"{name}-{engine}-{len(scope)}.csv"
                extra = ["--engine", "spark", "--input", str(folder), "--spark-master", master]
                _run(
                    [
                        PILEON,
                        "--store",
                        str(db),
                        "coactivity",
                        *scope,
                        "--window",
                        "60",
                        "--out",
                        str(out),
                        *(extra if engine == "spark" else []),
                    ]
                )
                files.append(out.read_bytes())
            same.append(files[0] == files[1])
            pairs.append(files[0].count(b"\n") - 1)
        times = []
        reports = []
        for engine in ("python", "spark"):
            copy = work / f"{name}-{engine}.db"
            copy.write_bytes(db.read_bytes())
            out = work / f"{name}-{engine}.json"
            extra = ["--engine", "spark", "--input", str(folder), "--spark-master", master]
            extra += ["--spark-dir", str(work / f"{name}-joins")]
            wall, _, _ = _run(
                [
                    PILEON,
                    "--store",
                    str(copy),
                    "analyze",
                    "--event",
                    event,
                    "--model",
                    "rules",
                    "--no-progress",
                    "--out",
                    str(out),
                    *(extra if engine == "spark" else []),
                ]
            )
            times.append(wall)
            reports.append(out.read_bytes())
        report = json.loads(reports[0])
        import pyarrow.parquet as pq

        cand = work / f"{name}-joins" / "coordination-1" / "pairs"
        counted = pq.read_table(cand).num_rows if cand.exists() else "none"
        verdict = "identical" if reports[0] == reports[1] else "DIFFERENT"
        csv = "identical" if all(same) else "DIFFERENT"
        print(
            f"| {name} | {n_reposts} | {sizes[event]} | {pairs[0]} / {pairs[1]} ({csv}) | "
            f"{verdict} ({len(report['accounts'])} accounts, {len(report['narratives'])} "
            f"narratives, {len(report['clusters'])} clusters) | {counted} candidate pairs | "
            f"{times[0]:.1f} | {times[1]:.1f} | {_load()} |",
            flush=True,
        )


# ---------------------------------------------------------------------------------- scale

_IN_PROCESS = """
import sys, time, json
import pandas as pd
from pileon.ingest.tables import validate
from pileon.ingest.readers import parquet_cells
from pileon.detectors.coactivity import coactivity, coactivity_degree
import numpy as np
t0 = time.perf_counter()
raw = parquet_cells(pd.read_parquet(sys.argv[1]))
good, rej = validate("reposts", raw, np.arange(len(raw)))
t1 = time.perf_counter()
edges = coactivity(good, window=60)
t2 = time.perf_counter()
deg = coactivity_degree(good, window=60)
t3 = time.perf_counter()
print(json.dumps({"read": t1 - t0, "edges": t2 - t1, "counts": t3 - t2,
                  "pairs": len(edges), "with_counts": int((deg > 0).sum())}))
"""

_SPARK = """
import sys, time, json
t0 = time.perf_counter()
from pileon.spark import session
from pileon.spark.tables import read_reposts
from pileon.spark.joins import coactivity_edges, corepost_counts
spark = session(sys.argv[2], driver_memory=sys.argv[4])
t1 = time.perf_counter()
r = read_reposts(spark, sys.argv[1]).cache()
n = r.count()
t2 = time.perf_counter()
coactivity_edges(r, window=60).write.mode("overwrite").parquet(sys.argv[3] + "/edges")
t3 = time.perf_counter()
p = corepost_counts(r, window=60).where("coreposts > 0").count()
t4 = time.perf_counter()
pairs = spark.read.parquet(sys.argv[3] + "/edges").count()
print(json.dumps({"start": t1 - t0, "read": t2 - t1, "edges": t3 - t2, "counts": t4 - t3,
                  "pairs": pairs, "with_counts": p, "reposts": n}))
spark.stop()
"""


def scale(sizes: list[int], cores: list[int], work: Path, memory: str) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_coactivity import make_reposts  # type: ignore[import-not-found]

    print(
        "| reposts | path | cores | read s | edge list s | counts s | wall s | peak MiB | "
        "pairs | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in sizes:
        folder = work / f"r{n}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "reposts.parquet"
        if not path.exists():
            df = make_reposts(n, seed=1)
            df["reposted_at"] = df["reposted_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
            df.to_parquet(path, index=False)
        wall, peak, out = _run([PY, "-c", _IN_PROCESS, str(path)], cwd=str(ROOT))
        r = json.loads(out)
        print(
            f"| {n} | in process | 1 | {r['read']:.1f} | {r['edges']:.1f} | "
            f"{r['counts']:.1f} | {wall:.1f} | {peak:.0f} | {r['pairs']} | {_load()} |",
            flush=True,
        )
        want = r["pairs"]
        for c in cores:
            with tempfile.TemporaryDirectory(dir=work) as tmp:
                wall, peak, out = _run(
                    [PY, "-c", _SPARK, str(folder), f"local[{c}]", tmp, memory], cwd=str(ROOT)
                )
            s = json.loads(out)
            ok = "" if s["pairs"] == want else " (DIFFERENT)"
            print(
                f"| {n} | spark | {c} | {s['read']:.1f} | {s['edges']:.1f} | "
                f"{s['counts']:.1f} | {wall:.1f} | {peak:.0f} | {s['pairs']}{ok} | {_load()} |",
                flush=True,
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="what", required=True)
    a = sub.add_parser("identity")
    a.add_argument("--datasets", default="sample1,sample10,twitter16,ced")
    a.add_argument("--master", default="local[2]")
    a.add_argument("--work", default=None)
    b = sub.add_parser("scale")
    b.add_argument("--sizes", default="1000000,5000000")
    b.add_argument("--cores", default="1,2")
    b.add_argument("--memory", default="3g", help="spark.driver.memory (local mode)")
    b.add_argument("--work", default=None)
    args = ap.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="bench-spark-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PYSPARK_PYTHON", PY)
    print(f"work folder {work}; load {_load()}", file=sys.stderr)
    if args.what == "identity":
        identity(args.datasets.split(","), work, args.master)
    else:
        scale(
            [int(x) for x in args.sizes.split(",")],
            [int(x) for x in args.cores.split(",")],
            work,
            args.memory,
        )


if __name__ == "__main__":
    main()
