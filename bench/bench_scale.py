"""End-to-end scale benchmark: ingest, analyze per stage, peak memory, API latency.

Usage::

    .venv/bin/python bench/bench_scale.py --scales 1,10,50          # ~20k, 200k, 1M reposts
    .venv/bin/python bench/bench_scale.py --scales 1 --api           # plus API latency
    .venv/bin/python bench/bench_scale.py --scales 47 --without-clusters   # all but clusters
    .venv/bin/python bench/bench_scale.py --scales 47 --ingest-only

Each scale runs in a fresh child process (so its peak RSS is its own):
generate the sample incident (seeded) -> ``load_folder`` into a new embedded
store (rows/second) -> ``analyze`` of the main event with the wall time of
every pipeline stage -> peak resident memory (``ru_maxrss``).  Every timing is
given as wall seconds and CPU seconds of the process (``time.process_time``):
on a shared machine the wall time grows with the load average, the CPU time
much less (the load average before and after each scale is recorded).  Besides
the pipeline's stages, the main detector calls (``DETECTOR_CALLS``) and the
parts of the ingest (read, validate, upsert, placeholders, membership) are
timed by wrapping them.  With ``--api``
the child also serves the analyzed store with uvicorn on 127.0.0.1 and
measures p50/p99 latency of ``GET /v1/events/{id}/accounts?limit=100`` under a
bounded concurrent load (``--api-requests`` requests, ``--api-concurrency``
at a time), from this machine only.

Prints one JSON object per scale and a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api_latency(db: str, event_id: str, requests: int, concurrency: int) -> dict:
    import secrets

    import httpx

    port = _free_port()
    key = secrets.token_urlsafe(32)
    env = dict(os.environ, PILEON_STORE=db, PILEON_API_KEYS=f"{key}:viewer")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "pileon.api.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}/v1/events/{event_id}/accounts?limit=100"
    headers = {"Authorization": f"Bearer {key}"}
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        lat: list[float] = []
        errors = 0
        lock = threading.Lock()
        todo = iter(range(requests))

        def worker() -> None:
            nonlocal errors
            with httpx.Client(timeout=30) as client:
                while True:
                    with lock:
                        if next(todo, None) is None:
                            return
                    t0 = time.perf_counter()
                    r = client.get(url, headers=headers)
                    dt = time.perf_counter() - t0
                    with lock:
                        lat.append(dt)
                        errors += r.status_code != 200

        threads = [threading.Thread(target=worker) for _ in range(concurrency)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        lat.sort()
        return {
            "requests": len(lat),
            "errors": errors,
            "concurrency": concurrency,
            "p50_ms": round(1000 * lat[len(lat) // 2], 1),
            "p99_ms": round(1000 * lat[min(len(lat) - 1, int(len(lat) * 0.99))], 1),
            "rps": round(len(lat) / wall, 1),
        }
    finally:
        proc.terminate()
        proc.wait(timeout=30)


_END = object()


class _Clock:
    """Wall and CPU seconds (this process) spent inside named, possibly nested, calls."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str):
        w, c = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - w
            self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - c

    def wrap(self, owner, attr: str, name: str) -> None:
        """Time every call of ``owner.attr`` under ``name`` (patches the attribute; an
        attribute the code no longer has is skipped)."""
        fn = getattr(owner, attr, None)
        if fn is None:
            return

        def timed(*a, **k):
            with self(name):
                return fn(*a, **k)

        setattr(owner, attr, timed)

    def wrap_iter(self, owner, attr: str, name: str) -> None:
        """Time the iteration of the generator ``owner.attr`` returns."""
        fn = getattr(owner, attr)

        def timed(*a, **k):
            it = iter(fn(*a, **k))
            while True:
                with self(name):
                    item = next(it, _END)
                if item is _END:
                    return
                yield item

        setattr(owner, attr, timed)

    def figures(self, keys) -> dict[str, dict[str, float]]:
        return {
            k: {"wall": round(self.wall[k], 2), "cpu": round(self.cpu[k], 2)}
            for k in keys
            if k in self.wall
        }


#: detector calls timed inside the pipeline's stages (module, attribute, label);
#: ``clusters.*`` run inside ``clusters``; names the code lacks are skipped.
DETECTOR_CALLS = (
    ("pileon.detectors.narratives", "detect_narratives", "narratives"),
    ("pileon.detectors.narratives", "repost_forest", "narratives.repost_forest"),
    ("pileon.detectors.posters", "detect_first_posters", "roles.first_posters"),
    ("pileon.detectors.posters", "detect_multi_posters", "roles.multi_posters"),
    ("pileon.detectors.posters", "detect_inciters", "roles.inciters"),
    ("pileon.detectors.splicing", "detect_splicers", "roles.splicers"),
    ("pileon.detectors.renames", "detect_impersonators", "roles.impersonators"),
    ("pileon.detectors.coordination", "detect_coordinated", "clusters"),
    ("pileon.detectors.coordination", "coordination_acts", "clusters.acts"),
    ("pileon.detectors.coordination", "synced_pairs", "clusters.pairs"),
    ("pileon.detectors.coordination", "expected_sync", "clusters.chance"),
    ("pileon.detectors.coordination", "_clusters", "clusters.groups"),
    ("pileon.detectors.cascades", "reach", "clusters.reach"),  # posters hold their own reference
)


def run_one(
    scale: float,
    seed: int,
    api: bool,
    api_requests: int,
    api_concurrency: int,
    ingest_only: bool = False,
    without_clusters: bool = False,
) -> dict:
    """One scale, in this process: returns the measured figures."""
    import importlib

    import pileon.ingest.load as load
    import pileon.service.analysis as analysis
    import pileon.service.stages as stages
    from pileon.graph.embedded import EmbeddedStore
    from pileon.ingest.sample import generate_incident

    clock = _Clock()
    if without_clusters:  # every stage but the coordinated clusters (none found)
        import pileon.detectors.coordination as coordination

        coordination.detect_coordinated = lambda p, **kw: coordination.ClusterResult()
    original = stages.Stages.stage

    @contextmanager
    def timed(self, name):
        with clock("stage." + name), original(self, name):
            yield

    stages.Stages.stage = timed  # type: ignore[method-assign]
    for mod, attr, label in DETECTOR_CALLS:
        clock.wrap(importlib.import_module(mod), attr, "detector." + label)
    for attr in ("validate", "compute_memberships"):
        clock.wrap(load, attr, "ingest." + attr)
    clock.wrap_iter(load, "read_chunks", "ingest.read_chunks")
    out: dict = {
        "scale": scale,
        "seed": seed,
        "cpus": os.cpu_count(),
        "load_before": [round(x, 2) for x in os.getloadavg()],
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "incident"
        t0 = time.perf_counter()
        truth = generate_incident(folder, seed=seed, scale=scale)
        out["generate_s"] = round(time.perf_counter() - t0, 2)
        db = str(Path(tmp) / "bench.db")
        store = EmbeddedStore(db)
        for attr in ("upsert", "create_placeholders", "set_memberships", "frame"):
            clock.wrap(store, attr, "ingest." + attr)
        with clock("ingest"):
            summary = load.load_folder(store, folder, reject_path=Path(tmp) / "rejects.csv")
        for attr in ("upsert", "create_placeholders", "set_memberships", "frame"):
            delattr(store, attr)  # back to the class's methods
        ingest_s = clock.wall["ingest"]
        rows = sum(c.read for c in summary.tables.values())
        out.update(
            rows=rows,
            reposts=summary.tables["reposts"].read,
            ingest_s=round(ingest_s, 2),
            ingest_cpu_s=round(clock.cpu["ingest"], 2),
            ingest_rows_per_s=round(rows / ingest_s),
            ingest_rows_per_cpu_s=round(rows / clock.cpu["ingest"]),
        )
        out["ingest_parts"] = clock.figures(
            sorted(k for k in clock.wall if k.startswith("ingest."))
        )
        main_event = max(summary.memberships, key=lambda e: (summary.memberships[e], e))
        out["event"] = main_event
        out["event_items"] = summary.memberships[main_event]
        if ingest_only:
            store.close()
            out["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
            out["load_after"] = [round(x, 2) for x in os.getloadavg()]
            return out
        out["without_clusters"] = without_clusters
        with clock("analyze"):
            report = analysis.analyze(store, main_event, model=None)
        out["analyze_s"] = round(clock.wall["analyze"], 2)
        out["analyze_cpu_s"] = round(clock.cpu["analyze"], 2)
        out["stages"] = {
            k[len("stage.") :]: v
            for k, v in clock.figures([k for k in clock.wall if k.startswith("stage.")]).items()
        }
        out["detectors"] = {
            k[len("detector.") :]: v
            for k, v in clock.figures([k for k in clock.wall if k.startswith("detector.")]).items()
        }
        out["accounts_ranked"] = len(report["accounts"])
        store.close()
        out["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        if api:
            out["api"] = _api_latency(db, main_event, api_requests, api_concurrency)
        out["load_after"] = [round(x, 2) for x in os.getloadavg()]
        _ = truth
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="1,10,50")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--api", action="store_true", help="also measure API latency")
    ap.add_argument("--api-requests", type=int, default=400)
    ap.add_argument("--api-concurrency", type=int, default=8)
    ap.add_argument("--out", help="also write the figures here (JSON lines)")
    ap.add_argument("--ingest-only", action="store_true", help="generate and ingest only")
    ap.add_argument(
        "--without-clusters",
        action="store_true",
        help="analyze without the coordinated-clusters detector (it finds none)",
    )
    ap.add_argument("--one", type=float, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one is not None:
        print(
            json.dumps(
                run_one(
                    args.one,
                    args.seed,
                    args.api,
                    args.api_requests,
                    args.api_concurrency,
                    args.ingest_only,
                    args.without_clusters,
                )
            )
        )
        return
    results = []
    for s in [float(x) for x in args.scales.split(",") if x]:
        cmd = (
            [
                sys.executable,
                __file__,
                "--one",
                str(s),
                "--seed",
                str(args.seed),
                "--api-requests",
                str(args.api_requests),
                "--api-concurrency",
                str(args.api_concurrency),
            ]
            + (["--api"] if args.api else [])
            + (["--ingest-only"] if args.ingest_only else [])
            + (["--without-clusters"] if args.without_clusters else [])
        )
        res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if res.returncode != 0:
            print(res.stderr[-3000:], file=sys.stderr)
            raise SystemExit(f"scale {s} failed")
        r = json.loads(res.stdout.strip().splitlines()[-1])
        print(json.dumps(r), flush=True)
        results.append(r)
    print()
    print(table(results, api=args.api))
    print()
    print(parts_table(results))
    if len(results) > 1:
        print()
        print(growth_table(results))
    if args.out:
        Path(args.out).write_text("".join(json.dumps(r) + "\n" for r in results))


def table(results: list[dict], *, api: bool = False) -> str:
    """A Markdown table of the figures: wall seconds, CPU seconds in brackets."""
    results = [
        dict({"stages": {}, "detectors": {}, "analyze_s": "", "analyze_cpu_s": ""}, **r)
        for r in results
    ]
    stages = list(dict.fromkeys(k for r in results for k in r["stages"]))
    head = (
        "| scale | reposts | rows | load (1 min) | ingest s | rows/s | analyze s | "
        + " | ".join(stages)
        + " | peak RSS MiB |"
        + (" API p50 ms | p99 ms | req/s |" if api else "")
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in results:
        st = r["stages"]
        line = (
            f"| {r['scale']:g} | {r['reposts']} | {r['rows']} | "
            f"{r['load_before'][0]:.1f}–{r['load_after'][0]:.1f} | "
            f"{r['ingest_s']} ({r['ingest_cpu_s']}) | {r['ingest_rows_per_s']} | "
            f"{r['analyze_s']} ({r['analyze_cpu_s']}) | "
            + " | ".join(f"{st[k]['wall']} ({st[k]['cpu']})" if k in st else "" for k in stages)
            + f" | {r['peak_rss_mib']} |"
        )
        if api:
            line += f" {r['api']['p50_ms']} | {r['api']['p99_ms']} | {r['api']['rps']} |"
        lines.append(line)
    return "\n".join(lines)


def parts_table(results: list[dict]) -> str:
    """Wall (CPU) seconds of the ingest's parts and of the detector calls, one column a scale."""
    results = [dict({"detectors": {}}, **r) for r in results]
    keys = list(
        dict.fromkeys(
            [f"ingest.{k[len('ingest.') :]}" for r in results for k in r["ingest_parts"]]
            + [f"detector.{k}" for r in results for k in r["detectors"]]
        )
    )
    lines = [
        "| part | " + " | ".join(f"scale {r['scale']:g}" for r in results) + " |",
        "|---|" + "---|" * len(results),
    ]
    for k in keys:
        cells = []
        for r in results:
            v = (
                r["ingest_parts"].get(k)
                if k.startswith("ingest.")
                else r["detectors"].get(k[len("detector.") :])
            )
            cells.append(f"{v['wall']} ({v['cpu']})" if v else "")
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def growth_table(results: list[dict]) -> str:
    """How each stage's CPU time grows with the reposts between consecutive scales: the
    exponent ``k`` of ``cpu ~ reposts ** k`` (1 linear; ``n log n`` shows as slightly
    above 1; 2 quadratic).  CPU seconds, since wall time moves with the load."""
    results = sorted(results, key=lambda r: r["reposts"])
    rows: dict[str, list[str]] = {}

    def cpu_of(r: dict) -> dict[str, float]:
        out = {"ingest": r.get("ingest_cpu_s"), "analyze": r.get("analyze_cpu_s")}
        out.update({k: v["cpu"] for k, v in r.get("stages", {}).items()})
        out.update({k: v["cpu"] for k, v in r.get("ingest_parts", {}).items()})
        return {k: v for k, v in out.items() if isinstance(v, (int, float)) and v > 0}

    pairs = list(zip(results, results[1:]))
    for a, b in pairs:
        ca, cb = cpu_of(a), cpu_of(b)
        ratio = b["reposts"] / a["reposts"]
        for k in ca.keys() & cb.keys():
            rows.setdefault(k, [""] * len(pairs))
    for j, (a, b) in enumerate(pairs):
        ca, cb = cpu_of(a), cpu_of(b)
        ratio = b["reposts"] / a["reposts"]
        for k in rows:
            if k in ca and k in cb and ca[k] >= 0.05:
                rows[k][j] = f"{math.log(cb[k] / ca[k]) / math.log(ratio):.2f}"
    head = (
        "| stage (CPU) | "
        + " | ".join(f"scale {a['scale']:g} -> {b['scale']:g}" for a, b in pairs)
        + " |"
    )
    lines = [head, "|---|" + "---|" * len(pairs)]
    order = ["ingest", "analyze"] + sorted(k for k in rows if k not in ("ingest", "analyze"))
    lines += [f"| {k} | " + " | ".join(rows[k]) + " |" for k in order if k in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
