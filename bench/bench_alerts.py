"""Stored alerts: the alert pass at the end of ingest, and the API reading them.

Usage::

    .venv/bin/python bench/bench_alerts.py --scales 1,10,47 [--out alerts.jsonl]

Each scale runs in a fresh child process: generate the sample incident (seed 7) ->
``pileon.service.ingest.ingest`` into a new embedded store (the load, then the alert pass,
timed apart; wall and CPU seconds, with the alert pass's stages) -> the same ingest again
(nothing changes: no key is computed) -> ``pileon alerts --recompute``'s pass (every key
computed) -> the API served by uvicorn on 127.0.0.1 in one worker process, measuring p50 and
p99 of ``GET /v1/targets/{id}/alerts`` for the victim, the minor within the main event,
and an account nothing aims at (``--api-requests`` requests per path, by one client and
then by ``--api-concurrency`` clients at a time (default ``1,8``), the clients in the
benchmark process on the same cores), with the server process's CPU time per request
(from ``/proc``; independent of the machine's load), and the same for ``/healthz`` (what
the server costs per request before any route's work).  Up to ``--before-max`` (default
10), one call of the per-request computation the API made before alerts were stored
(:func:`pileon.detectors.alerts.detect_alerts` of the store's frames for the victim) is
timed too.

Prints one JSON object per scale and a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _latency(base: str, path: str, key: str, *, requests: int, concurrency: int) -> dict:
    """p50/p99 of ``GET path`` with the viewer's ``key``, ``concurrency`` clients at a time."""
    import httpx

    lat: list[float] = []
    errors = 0
    lock = threading.Lock()
    todo = iter(range(requests))
    headers = {"Authorization": f"Bearer {key}"}

    def worker() -> None:
        nonlocal errors
        with httpx.Client(base_url=base, timeout=60) as client:
            while True:
                with lock:
                    if next(todo, None) is None:
                        return
                t0 = time.perf_counter()
                r = client.get(path, headers=headers)
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
        "p50_ms": round(1000 * lat[len(lat) // 2], 1),
        "p99_ms": round(1000 * lat[min(len(lat) - 1, int(len(lat) * 0.99))], 1),
        "max_ms": round(1000 * lat[-1], 1),
        "rps": round(len(lat) / wall, 1),
    }


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _serve(db: str, paths: dict[str, str], *, requests: int, concurrency: list[int]) -> dict:
    """p50/p99 of each path at each concurrency: ``{concurrency: {name: figures}}``, with
    the server's CPU milliseconds per request (``server_cpu_ms``, load-independent), and
    ``{"healthz": ...}`` for the same server's ``/healthz`` (no key, no store)."""
    import httpx

    port = _free_port()
    key = secrets.token_urlsafe(32)  # the API refuses weak keys
    env = dict(os.environ, PILEON_STORE=db, PILEON_API_KEYS=f"bench:{key}:viewer")
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
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline or proc.poll() is not None:
                raise RuntimeError(f"the API did not start on {base}")
            time.sleep(0.2)
        for path in paths.values():
            _latency(base, path, key, requests=20, concurrency=2)  # warm-up

        def measured(path: str, c: int) -> dict:
            cpu = _cpu_seconds(proc.pid)
            out = _latency(base, path, key, requests=requests, concurrency=c)
            out["server_cpu_ms"] = round(1000 * (_cpu_seconds(proc.pid) - cpu) / requests, 2)
            return out

        res = {
            str(c): {name: measured(path, c) for name, path in paths.items()} for c in concurrency
        }
        res["healthz"] = {"healthz": measured("/healthz", 1)}
        return res
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _timed(fn, *a, **k):
    w, c = time.perf_counter(), time.process_time()
    r = fn(*a, **k)
    return r, round(time.perf_counter() - w, 2), round(time.process_time() - c, 2)


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def run_one(
    scale: float, seed: int, requests: int, concurrency: list[int], before_max: float
) -> dict:
    from pileon.detectors.alerts import detect_alerts
    from pileon.graph.embedded import EmbeddedStore
    from pileon.ingest.sample import generate_incident
    from pileon.service import alerts as service
    from pileon.service import ingest as ingest_mod

    res: dict = {"scale": scale, "seed": seed, "load_before": _load()}
    with tempfile.TemporaryDirectory(prefix="pileon-bench-alerts-") as tmp:
        folder = Path(tmp) / "incident"
        truth = generate_incident(folder, seed=seed, scale=scale)
        res["reposts"] = truth["counts"]["reposts"]
        res["rows"] = sum(truth["counts"].values())
        db = str(Path(tmp) / "pileon.db")
        store = EmbeddedStore(db)
        # the alert pass inside ingest, timed apart from the load
        passes: list[tuple[float, float]] = []
        refresh = service.refresh_alerts

        def timed_refresh(*a, **k):
            r, w, c = _timed(refresh, *a, **k)
            passes.append((w, c))
            return r

        ingest_mod.refresh_alerts = timed_refresh
        summary, w, c = _timed(ingest_mod.ingest, store, folder, reject_path=Path(tmp) / "r.csv")
        res["ingest_wall"], res["ingest_cpu"] = w, c
        res["alerts_wall"], res["alerts_cpu"] = passes[-1]
        res["load_wall"], res["load_cpu"] = round(w - passes[-1][0], 2), round(c - passes[-1][1], 2)
        res["first_pass"] = summary.alerts
        summary, w, c = _timed(ingest_mod.ingest, store, folder, reject_path=Path(tmp) / "r.csv")
        res["again_ingest_wall"], res["again_ingest_cpu"] = w, c
        res["again_alerts_wall"], res["again_alerts_cpu"] = passes[-1]
        res["again_pass"] = summary.alerts
        ingest_mod.refresh_alerts = refresh
        r, w, c = _timed(service.refresh_alerts, store, recompute=True)
        res["recompute_wall"], res["recompute_cpu"], res["recompute_pass"] = w, c, r.to_dict()
        a = truth["alerts"]
        event = next(e for e, roles in truth["events"].items() if a["victim"] in roles["targets"])
        quiet = store.frame("accounts").sort_values("account_id")["account_id"].iloc[0]
        if scale <= before_max:
            _, w, c = _timed(
                lambda: detect_alerts(service.alert_frames(store), target_id=a["victim"])
            )
            res["per_request_before_wall"], res["per_request_before_cpu"] = w, c
        store.close()
        res["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        res["api"] = _serve(
            db,
            {
                "victim": f"/v1/targets/{a['victim']}/alerts",
                "minor_in_event": f"/v1/targets/{a['minor']}/alerts?event={event}",
                "quiet": f"/v1/targets/{quiet}/alerts",
            },
            requests=requests,
            concurrency=concurrency,
        )
    res["load_after"] = _load()
    return res


def table(results: list[dict]) -> str:
    head = (
        "| scale | reposts | rows | load (1/5/15 min) | load s (CPU) | alert pass s (CPU) "
        "| again: alert pass s (CPU) | recompute s (CPU) | clients "
        "| API p50/p99 ms: victim | minor in event | quiet | errors "
        "| server CPU ms per request |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in results:
        runs = [(c, api) for c, api in r["api"].items() if c != "healthz"]
        for i, (clients, api) in enumerate(runs):
            lead = (
                f"| {r['scale']:g} | {r['reposts']:,} | {r['rows']:,} | {r['load_before']} "
                f"| {r['load_wall']} ({r['load_cpu']}) | {r['alerts_wall']} ({r['alerts_cpu']}) "
                f"| {r['again_alerts_wall']} ({r['again_alerts_cpu']}) "
                f"| {r['recompute_wall']} ({r['recompute_cpu']}) "
            )
            lines.append(
                (lead if i == 0 else "| " * 8)
                + f"| {clients} "
                + "".join(f"| {api[k]['p50_ms']}/{api[k]['p99_ms']} " for k in api)
                + f"| {sum(v['errors'] for v in api.values())} "
                + "| "
                + "/".join(f"{api[k]['server_cpu_ms']}" for k in api)
                + (
                    f" (healthz {r['api']['healthz']['healthz']['server_cpu_ms']})"
                    if i == 0
                    else ""
                )
                + " |"
            )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="1,10,47")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--api-requests", type=int, default=400)
    ap.add_argument("--api-concurrency", default="1,8", help="clients at a time, each in turn")
    ap.add_argument("--before-max", type=float, default=10.0)
    ap.add_argument("--out", help="also write the figures here (JSON lines)")
    ap.add_argument("--one", type=float, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one is not None:
        clients = [int(c) for c in args.api_concurrency.split(",")]
        res = run_one(args.one, args.seed, args.api_requests, clients, args.before_max)
        print(json.dumps(res))
        return
    results = []
    for scale in [float(s) for s in args.scales.split(",")]:
        cmd = [sys.executable, __file__, "--one", str(scale), "--seed", str(args.seed)]
        cmd += ["--api-requests", str(args.api_requests)]
        cmd += ["--api-concurrency", str(args.api_concurrency)]
        cmd += ["--before-max", str(args.before_max)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        res = json.loads(out.strip().splitlines()[-1])
        results.append(res)
        print(json.dumps(res), flush=True)
        if args.out:
            with open(args.out, "a", encoding="utf-8") as f:
                f.write(json.dumps(res) + "\n")
    print(table(results))


if __name__ == "__main__":
    main()
