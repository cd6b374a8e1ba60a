"""The API's answers to a fixed list of requests, in process: for byte-identical checks
before and after a change, and for CPU profiles of one kind of request.

Usage::

    .venv/bin/python bench/api_bodies.py --store STORE --event EVENT_ID \\
        [--hubs ID,ID] [--targets ID,ID] [--deep-pages 5] --out DIR
    .venv/bin/python bench/api_bodies.py ... --compare DIR     # exit 1 on any difference
    .venv/bin/python bench/api_bodies.py ... --cpu [--repeat 30] [--profile KIND]

The app is :func:`pileon.api.app.create_app` with one key per role; requests go straight
to its ASGI interface (no socket, no HTTP parser), one at a time.  The list: for each of
the three roles, ranked accounts (first page, filters, pages reached through the
cursors of ``limit=1000`` pages), accounts (first page, deep pages, an unknown one),
2-hop and 1-hop neighbourhoods (accounts, ``--hubs``, contents), alerts (``--targets``,
accounts), MCNs, clusters, venues, platforms, the event and the event list.  ``--out``
writes each answer as ``NNNN.txt`` (the request, the status, the content-type, the body)
and ``index.tsv``; ``--compare`` reads them back and names every answer that differs.

``--cpu`` times the kinds of the load mix of ``bench/bench_api_load.py`` (process CPU
ms per request, ``--repeat`` requests of each); ``--profile KIND`` prints a cProfile of
that kind (routes run in this thread, not in the thread pool, so the profile sees them).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import hashlib
import json
import pstats
import sys
import time
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

ROLES = ("viewer", "enforcer", "admin")
KEYS = {r: f"bodies-{r}-" + "5c1e9a" * 8 for r in ROLES}


def make_app(store: str):
    from pileon.api.app import create_app
    from pileon.settings import Settings

    keys = ",".join(f"{k}:{r}" for r, k in KEYS.items())
    return create_app(Settings(api_keys=keys, store=store))


async def call(app, url: str, role: str) -> tuple[int, str, bytes]:
    """GET ``url`` from ``app`` as ``role``: status, content-type, body."""
    parts = urlsplit(url)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(parts.path),
        "raw_path": parts.path.encode("latin-1"),
        "query_string": parts.query.encode("latin-1"),
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"authorization", f"Bearer {KEYS[role]}".encode()),
        ],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    out: dict = {"body": []}

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
            out["type"] = dict(message.get("headers", [])).get(b"content-type", b"").decode()
        elif message["type"] == "http.response.body":
            out["body"].append(message.get("body", b""))

    await app(scope, receive, send)
    return out["status"], out["type"], b"".join(out["body"])


def _q(x: str) -> str:
    return quote(x, safe="")


async def request_list(app, event: str, hubs: list[str], targets: list[str], deep: int):
    """The fixed list of (role, url), read from the store through the API itself."""
    ev = _q(event)
    status, _, body = await call(app, f"/v1/events/{ev}/accounts?limit=1000", "admin")
    if status != 200:
        raise SystemExit(f"the ranked accounts answered {status}: {body[:200]!r}")
    page = json.loads(body)
    accounts = [i["account_id"] for i in page["items"][:5]]
    cursors = []
    for _ in range(deep):
        if not page["next_cursor"]:
            break
        cursors.append(page["next_cursor"])
        url = f"/v1/events/{ev}/accounts?limit=1000&cursor={_q(page['next_cursor'])}"
        page = json.loads((await call(app, url, "admin"))[2])
        accounts += [i["account_id"] for i in page["items"][:: max(1, len(page["items"]) // 3)]]
    contents = []
    for a in accounts[:3]:
        nb = json.loads(
            (await call(app, f"/v1/graph/neighborhood?node={_q(a)}&hops=1", "admin"))[2]
        )
        contents += [n["id"] for n in nb.get("nodes", []) if n["kind"] == "content"][:2]
    status, _, body = await call(app, f"/v1/events/{ev}", "admin")
    target_ids = json.loads(body).get("target_ids") or [] if status == 200 else []
    urls = [
        f"/v1/events/{ev}/accounts?limit=100",
        f"/v1/events/{ev}/accounts?limit=7",
        f"/v1/events/{ev}/accounts?limit=100&min_tier=2",
        f"/v1/events/{ev}/accounts?limit=50&role=amplifier",
        f"/v1/events/{ev}/accounts?limit=50&role=inciter",
        f"/v1/events/{ev}/accounts?limit=50&role=coordinated&min_tier=1",
        *(f"/v1/events/{ev}/accounts?limit=100&cursor={_q(c)}" for c in cursors),
        *(f"/v1/accounts/{_q(a)}" for a in accounts),
        "/v1/accounts/nobody%3Ano-such-account",
        *(f"/v1/graph/neighborhood?node={_q(n)}&hops=2&limit=200" for n in accounts[:6] + hubs),
        *(f"/v1/graph/neighborhood?node={_q(n)}&hops=1" for n in accounts[:2] + contents + hubs),
        *(f"/v1/targets/{_q(t)}/alerts" for t in dict.fromkeys(targets + target_ids)),
        *(f"/v1/targets/{_q(a)}/alerts?limit=5" for a in accounts[:4]),
        f"/v1/events/{ev}/mcns",
        f"/v1/events/{ev}/mcns?limit=3",
        f"/v1/events/{ev}/clusters?limit=50",
        f"/v1/events/{ev}/venues",
        f"/v1/events/{ev}/platforms",
        f"/v1/events/{ev}",
        "/v1/events",
    ]
    return [(role, url) for role in ROLES for url in urls]


MIX = {  # the kinds of bench/bench_api_load.py's deck, and their weights in it
    "accounts_first": 4,
    "accounts_deep": 3,
    "account": 4,
    "neighborhood": 3,
    "alerts": 3,
    "mcns": 3,
}


def kind_of(url: str) -> str | None:
    path = urlsplit(url).path
    if path.endswith("/accounts") and "limit=100" in url and "role=" not in url:
        if "min_tier" in url:
            return None
        return "accounts_deep" if "cursor=" in url else "accounts_first"
    if path.startswith("/v1/accounts/") and "no-such-account" not in path:
        return "account"
    if path.startswith("/v1/graph/neighborhood") and "hops=2" in url:
        return "neighborhood"
    if path.endswith("/alerts"):
        return "alerts"
    if path.endswith("/mcns") and "limit" not in url:
        return "mcns"
    return None


def _inline_threadpool() -> None:
    """Run sync routes and dependencies in this thread (for profiles)."""
    import fastapi.dependencies.utils as dep_utils
    import fastapi.routing as routing

    async def inline(func, *args, **kwargs):
        return func(*args, **kwargs)

    routing.run_in_threadpool = inline
    dep_utils.run_in_threadpool = inline


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--event", required=True)
    ap.add_argument("--hubs", default="")
    ap.add_argument("--targets", default="")
    ap.add_argument("--deep-pages", type=int, default=5)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--compare", type=Path)
    ap.add_argument("--cpu", action="store_true")
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--profile", default="")
    args = ap.parse_args(argv)
    split = lambda s: [x for x in s.split(",") if x]  # noqa: E731
    _inline_threadpool()
    app = make_app(args.store)

    async def run() -> int:
        reqs = await request_list(
            app, args.event, split(args.hubs), split(args.targets), args.deep_pages
        )
        if args.cpu or args.profile:
            return await cpu(reqs)
        answers = []
        for role, url in reqs:
            status, ctype, body = await call(app, url, role)
            answers.append((role, url, status, ctype, body))
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            index = []
            for n, (role, url, status, ctype, body) in enumerate(answers):
                head = f"{role} GET {url}\n{status} {ctype}\n".encode()
                (args.out / f"{n:04d}.txt").write_bytes(head + body)
                index.append(
                    f"{n:04d}\t{role}\t{status}\t{hashlib.sha256(body).hexdigest()}\t{url}"
                )
            (args.out / "index.tsv").write_text("\n".join(index) + "\n")
            print(f"{len(answers)} answers written to {args.out}")
        if args.compare:
            diff = 0
            for n, (role, url, status, ctype, body) in enumerate(answers):
                head = f"{role} GET {url}\n{status} {ctype}\n".encode()
                f = args.compare / f"{n:04d}.txt"
                if not f.is_file() or f.read_bytes() != head + body:
                    diff += 1
                    print(f"differs: {n:04d} {role} {url}")
            print(f"{len(answers)} answers, {diff} differ from {args.compare}")
            return 1 if diff else 0
        return 0

    async def cpu(reqs: list[tuple[str, str]]) -> int:
        by_kind: dict[str, list[str]] = {}
        for role, url in reqs:
            k = kind_of(url)
            if role == "viewer" and k:
                by_kind.setdefault(k, []).append(url)
        res = {}
        for kind in MIX:
            urls = by_kind.get(kind) or []
            if not urls or (args.profile and kind != args.profile):
                continue
            for u in urls[:3]:
                await call(app, u, "viewer")  # warm
            todo = [urls[i % len(urls)] for i in range(args.repeat)]
            prof = cProfile.Profile() if args.profile else None
            t0 = time.process_time()
            if prof:
                prof.enable()
            for u in todo:
                status, _, body = await call(app, u, "viewer")
                if status != 200:
                    raise SystemExit(f"{u} answered {status}: {body[:200]!r}")
            if prof:
                prof.disable()
            res[kind] = round(1000 * (time.process_time() - t0) / len(todo), 2)
            if prof:
                pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
                pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        if len(res) == len(MIX):
            res["mix"] = round(sum(res[k] * w for k, w in MIX.items()) / sum(MIX.values()), 2)
        print(json.dumps(res))
        return 0

    return asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
