"""``--engine spark`` against the in-process path: identical results, and how it scales.

Usage::

    .venv/bin/python bench/bench_spark.py identity --datasets sample1,sample10,twitter16,ced
    .venv/bin/python bench/bench_spark.py scale --sizes 1000000,5000000 --cores 1,2
    .venv/bin/python bench/bench_spark.py coordination --sizes 1000000,5000000 --cores 1,2
    .venv/bin/python bench/bench_spark.py hottexts --sizes 2000,20000 --cap 64

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

``coordination``: the coordination detector's pairs in sync and its chance test on acts
built from the same synthetic reposts (each source an item, about ten per voice, two
platforms), in process and with the pairs on Spark ``local[N]``; wall time, CPU seconds
and peak memory of the whole process tree (the JVM and its Python workers included),
and a digest of the pairs, expectations and p-values, which must be the same.

``hottexts``: the skew of the narratives' text candidates.  ``N`` distinct near-copies of
one post (a counter appended) fill the same LSH buckets; the Spark text pairs
(``local[2]``, capped at ``--cap`` texts a bucket) against
:func:`pileon.graph.textsim.near_duplicate_links` in process: wall seconds, the
candidates the cap allows and those an uncapped bucket join would make (counted from the
bucket sizes, not built), and whether the two group the texts alike.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
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


def _reposts_file(folder: Path, n: int, seed: int, tile: int) -> Path:
    """The synthetic reposts of ``bench_coactivity.make_reposts`` as Parquet, cached.

    With ``tile`` > 0 and ``n`` > ``tile``, ``n / tile`` copies of the ``tile``-repost
    frame of that seed, each with its own prefix on every ID (independent incidents side
    by side), so that within-window pairs per repost stay those of the tile: the
    generator's one Pareto tail otherwise grows a single source to 10⁹ pairs at 5 M
    reposts (seed 0), which is the exact edge list's work on any engine.
    """
    import pandas as pd

    sys.path.insert(0, str(ROOT / "bench"))
    from bench_coactivity import make_reposts  # type: ignore[import-not-found]

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "reposts.parquet"
    if not path.exists():
        if tile and n > tile:
            base = make_reposts(tile, seed=seed)
            parts = []
            for i in range(-(-n // tile)):
                part = base.copy()
                for col in ("repost_id", "account_id", "source_id"):
                    part[col] = f"t{i}:" + part[col].astype(str)
                parts.append(part)
            df = pd.concat(parts, ignore_index=True).iloc[:n]
        else:
            df = make_reposts(n, seed=seed)
        df["reposted_at"] = df["reposted_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        df.to_parquet(path, index=False)
    return path


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


def scale(
    sizes: list[int], cores: list[int], work: Path, memory: str, seed: int, tile: int
) -> None:
    print(
        "| reposts | path | cores | read s | edge list s | counts s | wall s | CPU s (tree) | "
        "peak MiB (tree) | pairs | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n in sizes:
        folder = work / f"r{n}-s{seed}-t{tile}"
        path = _reposts_file(folder, n, seed, tile)
        want = None
        for engine, c in [("python", 1), *((f"local[{c}]", c) for c in cores)]:
            name = "in process" if engine == "python" else "spark"
            load = _load()
            tmp = tempfile.mkdtemp(dir=work)
            if engine == "python":
                args = [PY, "-c", _IN_PROCESS, str(path)]
            else:
                args = [PY, "-c", _SPARK, str(folder), engine, tmp, memory]
            try:
                wall, cpu, peak, out = _run_tree(args, cwd=str(ROOT))
            except SystemExit as e:  # a failed run is a row of the table, not the end of it
                print(f"| {n} | {name} | {c} | {str(e).splitlines()[0]} | | | | | | | {load} |")
                continue
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            r = json.loads(out)
            want = want if want is not None else r["pairs"]
            ok = "" if r["pairs"] == want else " (DIFFERENT)"
            print(
                f"| {n} | {name} | {c} | {r['read']:.1f} | {r['edges']:.1f} | "
                f"{r['counts']:.1f} | {wall:.1f} | {cpu:.1f} | {peak:.0f} | {r['pairs']}{ok} | "
                f"{load}-{_load()} |",
                flush=True,
            )


# --------------------------------------------------------------- coordination, at scale

_ACTS = """
import hashlib, json, sys, time
import numpy as np, pandas as pd
from pileon.detectors.coordination.acts import Acts
from pileon.detectors.coordination import _in_play


def bench_acts(path):
    # reposts (bench_coactivity's generator) as the coordination detector's acts: each
    # source an item whose voice is one of n/200 authors (about ten sources each), two
    # platforms, the lag since the source's first repost
    r = pd.read_parquet(path)
    ns = pd.to_datetime(r["reposted_at"], utc=True).dt.tz_localize(None).to_numpy().view("i8")
    account, accounts = pd.factorize(r["account_id"].to_numpy(), sort=True)
    item, items = pd.factorize(("r:" + r["source_id"]).to_numpy(), sort=True)
    n_auth = max(len(items) // 10, 2)
    context = item % n_auth
    stratum = item % 2
    first = pd.Series(ns).groupby(item).transform("min").to_numpy()
    lag = (ns - first) / 1e9
    ns = ns - ns.min()
    act = pd.factorize(r["repost_id"].to_numpy(), sort=True)[0]
    order = np.lexsort((act, account, ns, item))
    return Acts(account=account.astype(np.int64)[order], item=item.astype(np.int64)[order],
                context=context.astype(np.int64)[order], stratum=stratum.astype(np.int64)[order],
                kind=np.zeros(len(ns), np.int64), t=(ns / 1e9)[order], lag=lag[order],
                act_id=r["repost_id"].to_numpy(dtype=object)[order],
                accounts=np.asarray(accounts, object), items=np.asarray(items, object),
                contexts=np.asarray([f"a:{i}" for i in range(n_auth)], object),
                strata=np.asarray(["p0", "p1"], object))


def digest(pairs, expected, tests):
    h = hashlib.sha256()
    for x in (pairs.a, pairs.b, pairs.observed, pairs.contexts, pairs.in_sync, expected,
              tests.p_value):
        h.update(np.ascontiguousarray(x).tobytes())
    return h.hexdigest()[:16]


OPTS = dict(windows=(60.0, 300.0), min_items=2, min_contexts=2, max_partners=32,
            pair_budget=16_000_000, seed=0)
"""

_COORD = (
    _ACTS
    + """
from pileon.detectors.coordination.chance import expected_sync, test_pairs
engine = sys.argv[2]
c0, t0 = time.process_time(), time.perf_counter()
every = bench_acts(sys.argv[1])
acts = _in_play(every, 2, 2)
t1 = time.perf_counter()
if engine == "python":
    from pileon.detectors.coordination.pairs import synced_pairs
    start = 0.0
    t2 = time.perf_counter()
    pairs = synced_pairs(acts, every=every, **OPTS)
else:
    from pileon.spark import session
    from pileon.spark.coordination import synced_pairs
    spark = session(engine, driver_memory=sys.argv[3], local_dir=sys.argv[4])
    t2 = time.perf_counter()
    start = t2 - t1
    pairs = synced_pairs(spark, acts, every=every, **OPTS)
t3 = time.perf_counter()
e = expected_sync(acts, pairs, every)
n = float(len(np.unique(acts.account)))
tests = test_pairs(pairs.observed, e, pairs.contexts, min_items=2, min_contexts=2, alpha=1e-4,
                   strong_alpha=1.0 / max(n * (n - 1) / 2, 1.0))
t4 = time.perf_counter()
if engine != "python":
    spark.stop()
print(json.dumps({"acts": len(every), "in_play": len(acts), "build": t1 - t0, "start": start,
                  "pairs_s": t3 - t2, "chance_s": t4 - t3, "enumerated": pairs.enumerated,
                  "tested": pairs.tested, "candidates": len(pairs.a),
                  "kept": int((tests.weak | tests.strong).sum()),
                  "digest": digest(pairs, e, tests)}))
"""
)


def _run_tree(args: list[str], **kw) -> tuple[float, float, float, str]:
    """Run a command, polling its process tree (the JVM and Python workers of Spark
    included): (wall s, CPU s user+sys of the tree, peak MiB of the tree's summed RSS,
    stdout).  A process that ends between two polls (every 0.2 s) loses up to 0.2 s."""
    import psutil

    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    root = psutil.Process(proc.pid)
    cpu: dict[int, float] = {}
    peak = 0.0
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.Error:
            break
        rss = 0
        for p in tree:
            try:
                with p.oneshot():
                    ct = p.cpu_times()
                    cpu[p.pid] = ct.user + ct.system
                    rss += p.memory_info().rss
            except psutil.Error:
                continue
        peak = max(peak, rss / 2**20)
        time.sleep(0.2)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(args[:3])}\n{err[-3000:]}")
    return wall, sum(cpu.values()), peak, out


def coordination(
    sizes: list[int], cores: list[int], work: Path, memory: str, seed: int, tile: int
) -> None:
    """The coordination detector's pairs in sync and chance test: in process against
    Spark local[N], on acts built from the synthetic reposts; the same digest of the
    pairs, expectations and p-values is required."""

    print(
        "| reposts | path | cores | acts in play | JVM start s | pairs s | chance s | wall s | "
        "CPU s (tree) | peak MiB (tree) | enumerated | candidates | kept | same | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n in sizes:
        folder = work / f"r{n}-s{seed}-t{tile}"
        path = _reposts_file(folder, n, seed, tile)
        want = None
        for engine, c in [("python", 1), *((f"local[{c}]", c) for c in cores)]:
            tmp = tempfile.mkdtemp(dir=work)
            load = _load()
            wall, cpu, peak, out = _run_tree(
                [PY, "-c", _COORD, str(path), engine, memory, tmp], cwd=str(ROOT)
            )
            shutil.rmtree(tmp, ignore_errors=True)
            r = json.loads(out)
            want = want or r["digest"]
            path_name = "in process" if engine == "python" else "spark"
            print(
                f"| {n} | {path_name} | {c} | {r['in_play']} | {r['start']:.1f} | "
                f"{r['pairs_s']:.1f} | {r['chance_s']:.1f} | {wall:.1f} | {cpu:.1f} | "
                f"{peak:.0f} | {r['enumerated']} | {r['candidates']} | {r['kept']} | "
                f"{'yes' if r['digest'] == want else 'NO'} | {load}-{_load()} |",
                flush=True,
            )


def _near_copies(n: int, seed: int) -> list[str]:
    import numpy as np

    rng = np.random.default_rng(seed)
    base = "网传某中学老师体罚学生，大家都去她的主页骂她，转发让更多人看到"
    texts = {f"{base}{int(x):07d}" for x in rng.choice(10**7, size=n, replace=False)}
    return sorted(texts)


def hot_texts(sizes: list[int], cap: int, memory: str, seed: int) -> None:
    """Spark text pairs on ``n`` near-copies against the in-process links (see the module)."""
    import numpy as np
    import pandas as pd
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from pileon.graph.textsim import NUM_PERM, _lsh_bands, _signatures, near_duplicate_links
    from pileon.spark import session
    from pileon.spark.joins import text_pairs

    spark = session("local[2]", shuffle_partitions=8, driver_memory=memory)
    print(
        "| texts | candidates uncapped | capped (≤) | Spark s | in process s | same groups | load |"
    )
    print("|---|---|---|---|---|---|---|")
    for n in sizes:
        texts = _near_copies(n, seed)
        sig = _signatures(texts, num_perm=NUM_PERM, seed=1)
        b, r = _lsh_bands(0.6, NUM_PERM)
        full = capped = 0
        for band in range(b):
            key = np.ascontiguousarray(sig[:, band * r : (band + 1) * r])
            _, k = np.unique(key.view(np.dtype((np.void, 4 * r))).ravel(), return_counts=True)
            k = k.astype(np.int64)
            full += int((k * (k - 1) // 2).sum())
            m = np.minimum(k, cap)  # places 0..k-1, each paired with min(place, cap) earlier
            capped += int((m * (m - 1) // 2 + (k - m) * cap).sum())
        df = spark.createDataFrame([(t,) for t in texts], schema="norm string")
        t0 = time.perf_counter()
        out = Path(tempfile.mkdtemp(prefix="bench-hottexts-"))
        text_pairs(df, bucket_cap=cap).write.parquet(str(out / "pairs"))  # as spark_joins does
        got = pd.read_parquet(out / "pairs", columns=["text_a", "text_b"])
        shutil.rmtree(out, ignore_errors=True)
        spark_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        li, lj = near_duplicate_links(texts, normalized=True, bucket_cap=cap)
        local_s = time.perf_counter() - t0
        at = {t: i for i, t in enumerate(texts)}

        def comp(i, j, n=n):
            g = coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
            return connected_components(g, directed=False)[1]

        a = comp([at[x] for x in got["text_a"]], [at[x] for x in got["text_b"]])
        c = comp(li, lj)
        same = len(set(zip(a.tolist(), c.tolist()))) == len(set(a.tolist())) == len(set(c.tolist()))
        print(
            f"| {n:,} | {full:,} | {capped:,} | {spark_s:.1f} | {local_s:.1f} | {same} | {_load()} |",
            flush=True,
        )
    spark.stop()


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
    b.add_argument("--seed", type=int, default=1, help="make_reposts seed")
    b.add_argument(
        "--tile", type=int, default=0, help="sizes above it: copies of a tile of this size"
    )
    c = sub.add_parser("coordination")
    c.add_argument("--sizes", default="1000000,5000000")
    c.add_argument("--cores", default="1,2")
    c.add_argument("--memory", default="3g", help="spark.driver.memory (local mode)")
    c.add_argument("--work", default=None)
    c.add_argument("--seed", type=int, default=1, help="make_reposts seed")
    c.add_argument(
        "--tile", type=int, default=0, help="sizes above it: copies of a tile of this size"
    )
    h = sub.add_parser("hottexts")
    h.add_argument("--sizes", default="2000,20000")
    h.add_argument("--cap", type=int, default=64)
    h.add_argument("--memory", default="3g", help="spark.driver.memory (local mode)")
    h.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.what == "hottexts":
        os.environ.setdefault("PYSPARK_PYTHON", PY)
        hot_texts([int(x) for x in args.sizes.split(",")], args.cap, args.memory, args.seed)
        return
    work = Path(args.work or tempfile.mkdtemp(prefix="bench-spark-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PYSPARK_PYTHON", PY)
    print(f"work folder {work}; load {_load()}", file=sys.stderr)
    if args.what == "identity":
        identity(args.datasets.split(","), work, args.master)
    elif args.what == "coordination":
        coordination(
            [int(x) for x in args.sizes.split(",")],
            [int(x) for x in args.cores.split(",")],
            work,
            args.memory,
            args.seed,
            args.tile,
        )
    else:
        scale(
            [int(x) for x in args.sizes.split(",")],
            [int(x) for x in args.cores.split(",")],
            work,
            args.memory,
            args.seed,
            args.tile,
        )


if __name__ == "__main__":
    main()
