"""End-to-end scale benchmark: ingest, analyze per stage, peak memory, API latency.

Usage::

    .venv/bin/python bench/bench_scale.py --scales 1,10,50          # ~20k, 200k, 1M reposts
    .venv/bin/python bench/bench_scale.py --scales 1 --api           # plus API latency

Each scale runs in a fresh child process (so its peak RSS is its own):
generate the sample incident (seeded) -> ``load_folder`` into a new embedded
store (rows/second) -> ``analyze`` of the main event with the wall time of
every pipeline stage -> peak resident memory (``ru_maxrss``).  With ``--api``
the child also serves the analyzed store with uvicorn on 127.0.0.1 and
measures p50/p99 latency of ``GET /v1/events/{id}/accounts?limit=100`` under a
bounded concurrent load (``--api-requests`` requests, ``--api-concurrency``
at a time), from this machine only.

Prints one JSON object per scale and a Markdown table.
"""

from __future__ import annotations

import argparse
import json
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
    import httpx

    port = _free_port()
    env = dict(os.environ, PILEON_STORE=db, PILEON_API_KEYS="bench-key:viewer")
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                            cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}/v1/events/{event_id}/accounts?limit=100"
    headers = {"Authorization": "Bearer bench-key"}
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
        return {"requests": len(lat), "errors": errors, "concurrency": concurrency,
                "p50_ms": round(1000 * lat[len(lat) // 2], 1),
                "p99_ms": round(1000 * lat[min(len(lat) - 1, int(len(lat) * 0.99))], 1),
                "rps": round(len(lat) / wall, 1)}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def run_one(scale: float, seed: int, api: bool, api_requests: int, api_concurrency: int) -> dict:
    """One scale, in this process: returns the measured figures."""
    import detectors.pipeline as pipeline
    from graph.embedded import EmbeddedStore
    from ingest.load import load_folder
    from ingest.sample import generate_incident

    timings: dict[str, float] = {}
    original = pipeline._Stages.stage

    @contextmanager
    def timed(self, name):
        t0 = time.perf_counter()
        with original(self, name):
            yield
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - t0

    pipeline._Stages.stage = timed
    out: dict = {"scale": scale, "seed": seed}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "incident"
        t0 = time.perf_counter()
        truth = generate_incident(folder, seed=seed, scale=scale)
        out["generate_s"] = round(time.perf_counter() - t0, 2)
        db = str(Path(tmp) / "bench.db")
        store = EmbeddedStore(db)
        t0 = time.perf_counter()
        summary = load_folder(store, folder, reject_path=Path(tmp) / "rejects.csv")
        ingest_s = time.perf_counter() - t0
        rows = sum(c.read for c in summary.tables.values())
        out.update(rows=rows, reposts=summary.tables["reposts"].read,
                   ingest_s=round(ingest_s, 2), ingest_rows_per_s=round(rows / ingest_s))
        main_event = max(summary.memberships, key=lambda e: (summary.memberships[e], e))
        out["event"] = main_event
        out["event_items"] = summary.memberships[main_event]
        t0 = time.perf_counter()
        report = pipeline.analyze(store, main_event, model=None)
        out["analyze_s"] = round(time.perf_counter() - t0, 2)
        out["stages_s"] = {k: round(v, 2) for k, v in timings.items()}
        out["accounts_ranked"] = len(report["accounts"])
        store.close()
        out["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        if api:
            out["api"] = _api_latency(db, main_event, api_requests, api_concurrency)
        _ = truth
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="1,10,50")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--api", action="store_true", help="also measure API latency")
    ap.add_argument("--api-requests", type=int, default=400)
    ap.add_argument("--api-concurrency", type=int, default=8)
    ap.add_argument("--one", type=float, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one is not None:
        print(json.dumps(run_one(args.one, args.seed, args.api, args.api_requests,
                                 args.api_concurrency)))
        return
    results = []
    for s in [float(x) for x in args.scales.split(",") if x]:
        cmd = [sys.executable, __file__, "--one", str(s), "--seed", str(args.seed),
               "--api-requests", str(args.api_requests),
               "--api-concurrency", str(args.api_concurrency)] + (["--api"] if args.api else [])
        res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if res.returncode != 0:
            print(res.stderr[-3000:], file=sys.stderr)
            raise SystemExit(f"scale {s} failed")
        r = json.loads(res.stdout.strip().splitlines()[-1])
        print(json.dumps(r), flush=True)
        results.append(r)
    stages = sorted({k for r in results for k in r["stages_s"]},
                    key=lambda k: list(results[0]["stages_s"]).index(k)
                    if k in results[0]["stages_s"] else 99)
    print()
    print("| scale | reposts | rows | ingest s | rows/s | analyze s | "
          + " | ".join(stages) + " | peak RSS MiB |" + (" API p50 ms | p99 ms |" if args.api else ""))
    print("|" + "---|" * (7 + len(stages) + (2 if args.api else 0)))
    for r in results:
        line = (f"| {r['scale']:g} | {r['reposts']} | {r['rows']} | {r['ingest_s']} | "
                f"{r['ingest_rows_per_s']} | {r['analyze_s']} | "
                + " | ".join(str(r['stages_s'].get(k, '')) for k in stages)
                + f" | {r['peak_rss_mib']} |")
        if args.api:
            line += f" {r['api']['p50_ms']} | {r['api']['p99_ms']} |"
        print(line)


if __name__ == "__main__":
    main()
