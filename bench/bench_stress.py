"""analyze on the stress shapes of :mod:`bench.stress`: every stage's time and peak memory.

Usage::

    .venv/bin/python bench/bench_stress.py [--shapes burst,viral,wide,incident] [--seed 0]
                                           [--cache /tmp/pileon-stress] [--out FILE.jsonl]
                                           [--workers N]
    .venv/bin/python bench/bench_stress.py --analyze STORE EVENT [--workers N]

For each shape, one child process generates the tables, writes them as CSV and ingests
them into an embedded store (cached in ``--cache`` by shape and seed); a second child
opens that store and runs ``analyze`` of the event with the transparent rules, so that
its peak memory is its own.  Each stage's peak is the kernel's high-water mark of the
resident memory (``VmHWM``, reset at the stage's start through ``/proc/self/clear_refs``;
no sampling thread, which would also keep analyze from forking), the whole run's is
``ru_maxrss``.  Times are wall seconds and the process's CPU seconds, plus its forked
children's (``--workers``; the machine is shared: the load average is recorded before and
after).

Prints one JSON object per shape and a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def _hwm() -> int:
    """This process's peak resident memory (``VmHWM``, bytes) since the last :func:`_reset_hwm`."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return _rss()


def _reset_hwm() -> None:
    """Start a new peak (Linux: ``5`` into ``/proc/self/clear_refs``; else the peak goes on)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def prepare(shape: str, seed: int, db: Path) -> dict:
    """Generate, write and ingest one shape (in this process)."""
    import tempfile

    import numpy as np

    from bench.stress import generate
    from pileon.detectors.coactivity import window_counts
    from pileon.graph.embedded import EmbeddedStore
    from pileon.ingest.load import load_folder

    t0 = time.perf_counter()
    g = generate(shape, seed=seed)
    r = g.tables["reposts"]
    src = r["source_id"].astype("category").cat.codes.to_numpy().astype(np.int64)
    t = r["reposted_at"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    order = np.lexsort((t, src))
    pairs = int(window_counts(src[order], t[order], 60 * 10**9).sum())
    out = {
        "shape": shape,
        "seed": seed,
        "reposts": len(r),
        "contents": len(g.tables["contents"]),
        "accounts": len(g.tables["accounts"]),
        "pairs_60s": pairs,
        "event": g.event_id,
        "generate_s": round(time.perf_counter() - t0, 1),
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = g.write(Path(tmp) / "tables")
        del g, r
        t0 = time.perf_counter()
        store = EmbeddedStore(str(db))
        load_folder(store, folder, reject_path=Path(tmp) / "rejects.csv")
        store.close()
        out["ingest_s"] = round(time.perf_counter() - t0, 1)
    return out


def run_analyze(db: Path, event: str, workers: int | None = None) -> dict:
    """analyze of ``event`` in ``db`` (in this process): per-stage wall, CPU, peak RSS.

    ``workers``: :func:`pileon.service.analysis.analyze`'s (default: as many as it takes,
    2 on two cores).  A stage during which a forked child ended also gives the child's CPU
    seconds (``child_cpu_s``); ``children_cpu_s`` and ``children_peak_rss_mib`` are the
    children's over the whole run (the peak is the largest child's)."""
    import pileon.service.analysis as analysis
    import pileon.service.stages as stages
    from pileon.graph.embedded import EmbeddedStore

    figures: dict[str, dict] = {}
    original = stages.Stages.stage

    def children_cpu() -> float:
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        return ru.ru_utime + ru.ru_stime

    @contextmanager
    def measured(self, name):
        _reset_hwm()
        w, c, k = time.perf_counter(), time.process_time(), children_cpu()
        with original(self, name):
            yield
        figures[name] = {
            "wall_s": round(time.perf_counter() - w, 2),
            "cpu_s": round(time.process_time() - c, 2),
            "peak_mib": round(max(_hwm(), _rss()) / 2**20),
        }
        if children_cpu() > k:  # a forked detector (pipeline.detect with workers >= 2) ended
            figures[name]["child_cpu_s"] = round(children_cpu() - k, 2)
        print(json.dumps({name: figures[name]}), file=sys.stderr, flush=True)

    stages.Stages.stage = measured  # type: ignore[method-assign]
    store = EmbeddedStore(str(db))
    w, c, k = time.perf_counter(), time.process_time(), children_cpu()
    report = analysis.analyze(store, event, model=None, workers=workers)
    out = {
        "analyze_s": round(time.perf_counter() - w, 1),
        "analyze_cpu_s": round(time.process_time() - c, 1),
        "children_cpu_s": round(children_cpu() - k, 1),
        "workers": workers,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "children_peak_rss_mib": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        ),
        "stages": figures,
        "accounts_ranked": len(report["accounts"]),
        "clusters": [len(c["accounts"]) for c in report["clusters"]],
    }
    store.close()
    return out


def _child(args: list[str]) -> dict:
    res = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT, check=False
    )
    if res.returncode != 0:
        return {"error": (res.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shapes", default="burst,viral,wide,incident")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache", default="/tmp/pileon-stress")
    ap.add_argument("--out")
    ap.add_argument("--prepare", help=argparse.SUPPRESS)
    ap.add_argument("--analyze", nargs=2, metavar=("STORE", "EVENT"))
    ap.add_argument("--workers", type=int, help="analyze's workers (default: its own choice)")
    a = ap.parse_args(argv)
    if a.prepare:
        print(json.dumps(prepare(a.prepare, a.seed, Path(a.cache))))
        return 0
    if a.analyze:
        print(json.dumps(run_analyze(Path(a.analyze[0]), a.analyze[1], a.workers)))
        return 0
    cache = Path(a.cache)
    cache.mkdir(parents=True, exist_ok=True)
    rows = []
    for shape in a.shapes.split(","):
        db = cache / f"{shape}-{a.seed}.db"
        meta_path = cache / f"{shape}-{a.seed}.json"
        if not (db.exists() and meta_path.exists()):
            db.unlink(missing_ok=True)
            meta = _child(["--prepare", shape, "--seed", str(a.seed), "--cache", str(db)])
            if "error" in meta:
                print(json.dumps({"shape": shape, **meta}), flush=True)
                continue
            meta_path.write_text(json.dumps(meta))
        meta = json.loads(meta_path.read_text())
        load = [round(x, 1) for x in os.getloadavg()]
        more = ["--workers", str(a.workers)] if a.workers is not None else []
        res = _child(["--analyze", str(db), meta["event"], *more])
        row = {
            **meta,
            **res,
            "load_before": load,
            "load_after": [round(x, 1) for x in os.getloadavg()],
        }
        print(json.dumps(row), flush=True)
        rows.append(row)
        if a.out:
            with open(a.out, "a") as f:
                f.write(json.dumps(row) + "\n")
    stages = [s for r in rows for s in r.get("stages", {})]
    names = list(dict.fromkeys(stages))
    print(
        "\n| shape | reposts | pairs within 60 s | load | analyze s (CPU) | peak MiB | "
        + " | ".join(names)
        + " |"
    )
    print("|---" * (5 + len(names)) + "|")
    for r in rows:
        if "stages" not in r:
            continue
        cells = [
            f"{r['stages'][n]['wall_s']} s, {r['stages'][n]['peak_mib']:,}"
            if n in r["stages"]
            else ""
            for n in names
        ]
        print(
            f"| {r['shape']} | {r['reposts']:,} | {r['pairs_60s']:,} | "
            f"{r['load_before'][0]}–{r['load_after'][0]} | {r['analyze_s']} ({r['analyze_cpu_s']}) "
            f"| {r['peak_rss_mib']:,} | " + " | ".join(cells) + " |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
