"""The API under a fixed arrival rate (open loop): p50, p99, p99.9 and errors.

Usage::

    .venv/bin/python bench/bench_api_load.py --store STORE --event EVENT_ID \\
        [--rate 200] [--duration 60] [--warmup 5] [--hubs ID,ID] [--targets ID,ID] \\
        [--workers 1] [--out result.json]

``STORE`` is an embedded store's file or ``bolt://HOST:PORT`` (with ``NEO4J_USER``,
``NEO4J_PASSWORD``, ``NEO4J_DATABASE`` in the environment), analysed for ``EVENT_ID``
and through the alert pass (``pileon ingest`` does both loads and alerts; ``pileon
analyze``).

The server is the real one: ``uvicorn pileon.api.app:create_app`` in its own process
on 127.0.0.1 (``--workers`` processes, default one), access log off.  This process is
the client: asyncio with a minimal HTTP/1.1 client (:class:`_Connections`: keep-alive
connections, as many as requests in flight; ``httpx`` costs several times its CPU per
request, which on shared cores made the client the thing that fell behind).

Open loop: request ``i`` is sent at ``t0 + i / rate`` whether or not earlier ones have
been answered (never a fixed number in flight), for ``warmup`` seconds not counted and
then ``duration`` seconds counted.  A request's latency runs from its *scheduled* time to
the end of its response, so a client that falls behind counts against the figures
(no coordinated omission); ``send_lag`` says how late the client sent.  An error is
any answer but 200, a timeout (``--timeout`` seconds) or a connection failure.

The mix, in the order of a repeating deck of 20 (a seeded shuffle picks the IDs):

* 4 ``GET /v1/events/{event}/accounts?limit=100`` (the first page);
* 3 the same with a deep cursor (ranks 10,000 to 50,000: pages walked once before the
  run with ``limit=1000``; on a store with fewer ranked accounts, any page but the first);
* 4 ``GET /v1/accounts/{id}`` (ranked accounts, first and deep pages);
* 3 ``GET /v1/graph/neighborhood?node=..&hops=2&limit=200``: ranked accounts, and every
  third one a hub of ``--hubs`` (a viral post: its cascade is capped, not walked);
* 3 ``GET /v1/targets/{id}/alerts`` (the event's targets, ``--targets``, and ranked
  accounts);
* 3 ``GET /v1/events/{event}/mcns``.

Prints one JSON object (also written to ``--out``): the figures overall and per kind,
the server's CPU seconds, the load average before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench-viewer-" + "7f3a9c" * 8  # a strong key the server is given for the run
DECK = (
    ["accounts_first"] * 4
    + ["accounts_deep"] * 3
    + ["account"] * 4
    + ["neighborhood"] * 3
    + ["alerts"] * 3
    + ["mcns"] * 3
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its reaped children (``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / ticks


def _tree_cpu(pid: int) -> float:
    """CPU seconds of the server: its process and the worker processes under it."""
    total = 0.0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            total += _cpu_seconds(p)
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        todo += [int(c) for c in children]
    return total


def start_server(
    store: str, workers: int, *, loop: str = "auto", http: str = "auto"
) -> tuple[subprocess.Popen[bytes], str]:
    import httpx

    port = _free_port()
    env = dict(os.environ, PILEON_STORE=store, PILEON_API_KEYS=f"bench:{KEY}:viewer")
    cmd = [sys.executable, "-m", "uvicorn", "pileon.api.app:create_app", "--factory"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    cmd += ["--no-access-log", "--workers", str(workers), "--loop", loop, "--http", http]
    if workers > 1:  # a worker busy on shared cores misses the 5 s ping and is killed
        cmd += ["--timeout-worker-healthcheck", "60"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}")
        time.sleep(0.3)
    proc.terminate()
    raise SystemExit("the server did not answer /healthz within 120 s")


def _server_packages() -> dict[str, bool]:
    """Whether uvicorn's fast loop and parser (the ``uvicorn[standard]`` extra) are here."""
    import importlib.util

    return {m: importlib.util.find_spec(m) is not None for m in ("uvloop", "httptools")}


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server: SIGTERM, and SIGKILL when it is still draining a backlog 20 s on."""
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # its own session: the server and its workers
        proc.wait(timeout=20)


def plan(base: str, event: str, hubs: list[str], targets: list[str], seed: int) -> dict:
    """The IDs and cursors the mix draws from, read from the server before the run."""
    import httpx

    headers = {"Authorization": f"Bearer {KEY}"}
    ev = quote(event, safe="")
    with httpx.Client(base_url=base, headers=headers, timeout=120) as c:

        def get(path: str, **params: object) -> dict:
            r = c.get(path, params=params)
            if r.status_code != 200:
                raise SystemExit(f"GET {path} answered {r.status_code}: {r.text[:200]}")
            return r.json()

        first = get(f"/v1/events/{ev}/accounts", limit=1000)
        accounts = [i["account_id"] for i in first["items"]]
        deep: list[str] = []
        cursor = first["next_cursor"]
        for page in range(2, 51):
            if not cursor:
                break
            if page > 10:
                deep.append(cursor)  # the cursor of ranks (page-1)*1000+1 ...
            body = get(f"/v1/events/{ev}/accounts", limit=1000, cursor=cursor)
            if page in (11, 21, 31, 41, 50):
                accounts += [i["account_id"] for i in body["items"][:200]]
            cursor = body["next_cursor"]
        if not deep:  # fewer than 10,000 ranked accounts: every page of 100 but the first
            cursor = get(f"/v1/events/{ev}/accounts", limit=100)["next_cursor"]
            while cursor and len(deep) < 100:
                deep.append(cursor)
                cursor = get(f"/v1/events/{ev}/accounts", limit=100, cursor=cursor)["next_cursor"]
        event_row = get(f"/v1/events/{ev}")
    rng = random.Random(seed)
    return {
        "accounts": accounts,
        "deep": deep,
        "hubs": hubs,
        "targets": list(dict.fromkeys(targets + (event_row.get("target_ids") or []))),
        "rng": rng,
    }


def request_path(kind: str, n: int, event: str, p: dict) -> str:
    """The path of the ``n``-th request of ``kind`` (deterministic for a seed)."""
    rng: random.Random = p["rng"]
    ev = quote(event, safe="")
    if kind == "accounts_first":
        return f"/v1/events/{ev}/accounts?limit=100"
    if kind == "accounts_deep":
        return f"/v1/events/{ev}/accounts?limit=100&cursor={quote(rng.choice(p['deep']))}"
    if kind == "account":
        return f"/v1/accounts/{quote(rng.choice(p['accounts']), safe='')}"
    if kind == "neighborhood":
        node = p["hubs"][n // 3 % len(p["hubs"])] if p["hubs"] and n % 3 == 2 else None
        node = node or rng.choice(p["accounts"])
        return f"/v1/graph/neighborhood?node={quote(node, safe='')}&hops=2&limit=200"
    if kind == "alerts":
        pool = p["targets"] if n % 3 != 2 else p["accounts"]
        return f"/v1/targets/{quote(rng.choice(pool), safe='')}/alerts"
    if kind == "mcns":
        return f"/v1/events/{ev}/mcns"
    raise ValueError(kind)


async def calibrate(base: str, event: str, p: dict, *, per_kind: int) -> dict:
    """One request at a time, ``per_kind`` of each kind (after 3 not counted): the median
    wall time and the server's CPU milliseconds per request of each kind."""
    host, port = base.removeprefix("http://").rsplit(":", 1)
    conns = _Connections(host, int(port), {"Authorization": f"Bearer {KEY}"})
    out = {}
    for kind in sorted(set(DECK)):
        paths = [request_path(kind, n, event, p) for n in range(per_kind + 3)]
        for path in paths[:3]:
            await conns.get(path)
        cpu0 = _tree_cpu(p["server_pid"])
        walls = []
        for path in paths[3:]:
            t = time.perf_counter()
            status = await conns.get(path)
            walls.append(time.perf_counter() - t)
            if status != 200:
                raise SystemExit(f"{kind}: GET {path} answered {status}")
        cpu = _tree_cpu(p["server_pid"]) - cpu0
        out[kind] = {
            "median_ms": _pct(walls, 0.5),
            "max_ms": _pct(walls, 1.0),
            "server_cpu_ms": round(1000 * cpu / per_kind, 1),
        }
    conns.close()
    return out


def _pct(values: list[float], q: float) -> float | None:
    """The ``q`` quantile by the nearest-rank method (ms, one decimal)."""
    if not values:
        return None
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(-(-q * len(v) // 1)) - 1))
    return round(1000 * v[k], 1)


def summary(rows: list[tuple[str, float, float, float, int | str]]) -> dict:
    """rows: (kind, scheduled, sent, done, status or error name)."""
    lat = [d - s for _, s, _, d, st in rows if st == 200]
    out = {
        "requests": len(rows),
        "ok": len(lat),
        "errors": len(rows) - len(lat),
        "p50_ms": _pct(lat, 0.50),
        "p99_ms": _pct(lat, 0.99),
        "p999_ms": _pct(lat, 0.999),
        "max_ms": _pct(lat, 1.0),
    }
    bad: dict[str, int] = {}
    for *_, st in rows:
        if st != 200:
            bad[str(st)] = bad.get(str(st), 0) + 1
    if bad:
        out["error_kinds"] = bad
    return out


class _Connections:
    """A minimal HTTP/1.1 client over asyncio streams: keep-alive connections to one
    server, as many as requests in flight (a new one when none is idle).  A fraction of
    a general client's CPU per request, so that the client is not what falls behind
    (it shares the cores with the server)."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        lines = [f"Host: {host}:{port}", *(f"{k}: {v}" for k, v in headers.items())]
        self.head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.opened = 0

    async def open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        self.opened += 1
        return await asyncio.open_connection(self.host, self.port)

    async def get(self, path: str) -> int:
        """GET ``path``; the status (the body is read whole and dropped).  A kept-alive
        connection the server closed meanwhile is replaced once, as clients do."""
        if self.idle:
            try:
                return await self._get(self.idle.pop(), path)
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                if isinstance(exc, asyncio.IncompleteReadError) and exc.partial:
                    raise
        return await self._get(await self.open(), path)

    async def _get(self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], path: str) -> int:
        reader, writer = conn
        try:
            writer.write(b"GET " + path.encode("ascii") + b" HTTP/1.1\r\n" + self.head)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            lower = head.lower()
            keep = b"connection: close" not in lower
            at = lower.find(b"content-length:")
            if at >= 0:
                n = int(lower[at + 15 : lower.index(b"\r\n", at)])
                await reader.readexactly(n)
            elif b"transfer-encoding: chunked" in lower:
                while True:
                    size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            else:
                keep = False
                await reader.read()
        except BaseException:
            writer.close()
            raise
        if keep:
            self.idle.append(conn)
        else:
            writer.close()
        return status

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


async def run_load(
    base: str, event: str, p: dict, *, rate: float, duration: float, warmup: float, timeout: float
) -> tuple[list, int, int]:
    host, port = base.removeprefix("http://").rsplit(":", 1)
    total = int(round((warmup + duration) * rate))
    counted_from = int(round(warmup * rate))
    counts = {k: 0 for k in set(DECK)}
    deck_rng = random.Random(p["rng"].random())
    kinds: list[str] = []
    while len(kinds) < total:
        deck = list(DECK)
        deck_rng.shuffle(deck)
        kinds += deck
    paths = []
    for kind in kinds[:total]:
        paths.append((kind, request_path(kind, counts[kind], event, p)))
        counts[kind] += 1
    rows: list[tuple[str, float, float, float, int | str]] = []
    conns = _Connections(host, int(port), {"Authorization": f"Bearer {KEY}"})
    conns.idle = [await conns.open() for _ in range(32)]  # opened before the clock starts

    async def one(i: int, kind: str, path: str, scheduled: float) -> None:
        sent = time.perf_counter()
        try:
            status: int | str = await asyncio.wait_for(conns.get(path), timeout)
        except TimeoutError:
            status = "timeout"
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            status = type(exc).__name__
        if i >= counted_from:
            rows.append((kind, scheduled, sent, time.perf_counter(), status))

    tasks = []
    t0 = time.perf_counter() + 0.2
    for i, (kind, path) in enumerate(paths):
        at = t0 + i / rate
        delay = at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, kind, path, at)))
    await asyncio.gather(*tasks)
    conns.close()
    return rows, total, conns.opened


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--event", required=True)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--hubs", default="", help="contents with huge cascades (comma-separated)")
    ap.add_argument("--targets", default="", help="accounts to read alerts of (comma-separated)")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--loop",
        default="auto",
        help="uvicorn's event loop: auto (uvloop when installed), asyncio, uvloop",
    )
    ap.add_argument(
        "--http", default="auto", help="uvicorn's HTTP parser: auto (httptools when installed), h11"
    )
    ap.add_argument(
        "--without",
        default="",
        help="kinds left out of the deck (comma-separated), e.g. alerts on a store "
        "that has not been through the alert pass",
    )
    ap.add_argument("--out", type=Path)
    ap.add_argument(
        "--calibrate",
        type=int,
        default=30,
        metavar="N",
        help="first, N requests of each kind one at a time (0: none)",
    )
    args = ap.parse_args(argv)
    split = lambda s: [x for x in s.split(",") if x]  # noqa: E731
    res: dict = {
        "store": args.store if "://" in args.store else Path(args.store).name,
        "event": args.event,
        "rate": args.rate,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "workers": args.workers,
        "cores": os.cpu_count(),
        "load_before": _load(),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    global DECK
    DECK = [k for k in DECK if k not in split(args.without)]
    res["deck"] = DECK
    res["server"] = {"loop": args.loop, "http": args.http, **_server_packages()}
    proc, base = start_server(args.store, args.workers, loop=args.loop, http=args.http)
    try:
        p = plan(base, args.event, split(args.hubs), split(args.targets), args.seed)
        res["pool"] = {k: len(p[k]) for k in ("accounts", "deep", "hubs", "targets")}
        p["server_pid"] = proc.pid
        if args.calibrate:
            res["one_at_a_time"] = asyncio.run(
                calibrate(base, args.event, p, per_kind=args.calibrate)
            )
        if args.duration <= 0:  # --duration 0: the one-at-a-time figures only
            res["load_after"] = _load()
            return _emit(res, args.out)
        cpu0, client0 = _tree_cpu(proc.pid), time.process_time()
        rows, sent, opened = asyncio.run(
            run_load(
                base,
                args.event,
                p,
                rate=args.rate,
                duration=args.duration,
                warmup=args.warmup,
                timeout=args.timeout,
            )
        )
        server_cpu = _tree_cpu(proc.pid) - cpu0
        client_cpu = time.process_time() - client0
    finally:
        stop(proc)
    counted = rows
    first = min(r[1] for r in counted)
    last = max(r[1] for r in counted)
    res["sent_over_s"] = round(last - first, 2)
    res["achieved_rate"] = round((len(counted) - 1) / (last - first), 1) if last > first else None
    lags = [r[2] - r[1] for r in counted]
    res["send_lag_p99_ms"] = _pct(lags, 0.99)
    res["connections_opened"] = opened
    res["server_cpu_s"] = round(server_cpu, 1)
    res["server_cpu_ms_per_request"] = round(1000 * server_cpu / max(sent, 1), 2)
    res["client_cpu_s"] = round(client_cpu, 1)
    res["all"] = summary(counted)
    res["by_kind"] = {k: summary([r for r in counted if r[0] == k]) for k in sorted(set(DECK))}
    res["load_after"] = _load()
    return _emit(res, args.out)


def _emit(res: dict, out: Path | None) -> dict:
    text = json.dumps(res, indent=1)
    print(text)
    if out:
        out.write_text(text + "\n")
    return res


if __name__ == "__main__":
    main()
