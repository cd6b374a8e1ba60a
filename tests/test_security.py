"""The served API's defences, over real HTTP on loopback (uvicorn in a thread).

A small store holds what the defences are about: a target whose ID has Chinese
characters, an account and a content whose IDs hold ``/``, a minor who posts and is
attacked, an account with an ``identity_key``, and harmful contents whose URLs include a
``javascript:`` one.  Every test talks to the server through a socket, as a client would.
"""

from __future__ import annotations

import io
import json
import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
import pandas as pd
import pytest

from pileon.api.app import create_app
from pileon.api.deps import get_store
from pileon.graph.embedded import EmbeddedStore
from pileon.settings import Settings
from tests.apikeys import KEYS, bearer, keys_setting

VICTIM = "weibo:张三"
SLASHED = "weibo:a/b"
SLASHED_CONTENT = "weibo:x/1"
PERCENT = "weibo:pct%2Fx"  # a literal "%2F", not a slash
MINOR = "weibo:kid"
TROLL = "weibo:troll"
EVENT = "ev:campus"
IDENTITY = "ID-SECRET-42"
T0 = pd.Timestamp("2026-03-01T00:00:00Z")


def _t(minutes: int) -> str:
    return (T0 + pd.Timedelta(minutes=minutes)).isoformat()


def write_tables(folder: Path) -> None:
    """The tables of the small world (SPEC §2), as CSV."""
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        [
            {"account_id": VICTIM, "platform": "weibo", "name": "张三", "is_minor": "false"},
            {"account_id": SLASHED, "platform": "weibo", "name": "slash", "is_minor": "false"},
            {"account_id": MINOR, "platform": "weibo", "name": "kid", "is_minor": "true"},
            {"account_id": PERCENT, "platform": "weibo", "name": "percent", "is_minor": "false"},
            {
                "account_id": TROLL,
                "platform": "weibo",
                "name": "troll",
                "is_minor": "false",
                "identity_key": IDENTITY,
            },
        ]
    ).to_csv(folder / "accounts.csv", index=False)
    rows = [
        # (content_id, author, minutes, text, url, harm, targets)
        (
            "weibo:c1",
            TROLL,
            10,
            "ATTACK-ONE 滚出微博",
            "javascript:alert(document.domain)",
            0.9,
            VICTIM,
        ),
        ("weibo:c2", TROLL, 20, "ATTACK-TWO", "https://weibo.com/c2", 0.95, VICTIM),
        ("weibo:c3", MINOR, 30, "KID-OWN-TEXT", "https://weibo.com/kid", 0.0, ""),
        ("weibo:c4", TROLL, 40, "ATTACK-ON-KID", "https://weibo.com/c4", 0.9, MINOR),
        (SLASHED_CONTENT, SLASHED, 50, "SLASHED-TEXT", "https://weibo.com/x1", 0.7, VICTIM),
    ]
    pd.DataFrame(
        [
            {
                "content_id": cid,
                "account_id": who,
                "platform": "weibo",
                "posted_at": _t(m),
                "text": text,
                "url": url,
                "harm": harm,
                "target_ids": targets,
                "event_id": EVENT,
            }
            for cid, who, m, text, url, harm, targets in rows
        ]
    ).to_csv(folder / "contents.csv", index=False)
    pd.DataFrame(
        [
            {
                "event_id": EVENT,
                "name": "campus",
                "started_at": _t(0),
                "keywords": "campus",
                "target_ids": f"{VICTIM}|{MINOR}",
            }
        ]
    ).to_csv(folder / "events.csv", index=False)


def world_report() -> dict:
    """A SPEC §4 report of the world's event (evidence details quote texts, as splices do)."""
    evidence = [
        {
            "kind": "splice",
            "content_ids": ["weibo:c4", "weibo:c3"],
            "detail": "weibo:c4 (weibo, 2026-03-01T00:40:00+00:00) splices 1 earlier contents "
            "of other accounts, covering 50% of its text: 「KID-OWN-TEXT」 from weibo:c3 by "
            "weibo:kid (weibo, 2026-03-01T00:30:00+00:00)",
        }
    ]
    return {
        "event_id": EVENT,
        "generated_at": _t(60),
        "accounts": [
            {
                "account_id": TROLL,
                "rank": 1,
                "score": 0.9,
                "tier": 3,
                "roles": ["splicer"],
                "cluster_id": None,
                "mcn_ids": [],
                "priority": "minor",
                "evidence": evidence,
            },
            {
                "account_id": SLASHED,
                "rank": 2,
                "score": 0.5,
                "tier": 1,
                "roles": ["participant"],
                "cluster_id": None,
                "mcn_ids": [],
                "priority": None,
                "evidence": [],
            },
        ],
        "mcns": [],
        "clusters": [],
        "narratives": [
            {
                "narrative_id": "n1",
                "first_poster": TROLL,
                "first_content_id": "weibo:c4",
                "platforms": ["weibo"],
                "size": 1,
                "harmful": True,
            }
        ],
    }


@pytest.fixture(scope="module")
def world_store(tmp_path_factory) -> Iterator[EmbeddedStore]:
    from pileon.ingest.load import load_folder

    root = tmp_path_factory.mktemp("secure-world")
    write_tables(root / "tables")
    store = EmbeddedStore(str(root / "pileon.db"))
    load_folder(store, root / "tables", reject_path=root / "rejects.csv")
    store.save_report(world_report())
    yield store
    store.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(store, **settings) -> Iterator[str]:
    """The API over ``store`` served by uvicorn on 127.0.0.1; yields its base URL."""
    import uvicorn

    app = create_app(
        Settings(api_keys=keys_setting(), store="/nonexistent/never-opened.db", **settings)
    )
    app.dependency_overrides[get_store] = lambda: store
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def base(world_store) -> Iterator[str]:
    with serving(world_store) as url:
        yield url


def path_id(value: str) -> str:
    """An ID as one path segment (``/`` and every non-ASCII character percent-encoded)."""
    return quote(value, safe="")


# ------------------------------------------------------ evidence file names (item 2)
def test_evidence_download_of_a_target_with_chinese_characters(base):
    r = httpx.get(f"{base}/v1/targets/{path_id(VICTIM)}/evidence", headers=bearer(KEYS["enforcer"]))
    assert r.status_code == 200, r.text
    disposition = r.headers["content-disposition"]
    assert disposition.isascii()
    assert disposition.startswith('attachment; filename="evidence-weibo_')
    assert "filename*=UTF-8''evidence-weibo%3A%E5%BC%A0%E4%B8%89.zip" in disposition
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(r.content)).read("manifest.json"))
    assert manifest["target_id"] == VICTIM and len(manifest["items"]) == 3


# ------------------------------------------------------------- IDs with "/" (item 9)
def test_ids_holding_a_slash_or_a_percent_sign_are_reachable(base):
    viewer = bearer(KEYS["viewer"])
    for account in (SLASHED, PERCENT, VICTIM):
        r = httpx.get(f"{base}/v1/accounts/{path_id(account)}", headers=viewer)
        assert r.status_code == 200, (account, r.text)
        assert r.json()["profile"]["account_id"] == account
    r = httpx.get(f"{base}/v1/targets/{path_id(SLASHED)}/alerts", headers=viewer)
    assert r.status_code == 200, r.text
    r = httpx.get(
        f"{base}/v1/targets/{path_id(SLASHED)}/evidence", headers=bearer(KEYS["enforcer"])
    )
    assert r.status_code == 200, r.text
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(r.content)).read("manifest.json"))
    assert manifest["target_id"] == SLASHED
    # an unencoded slash separates path segments: that path names nothing
    assert httpx.get(f"{base}/v1/accounts/{SLASHED}", headers=viewer).status_code == 404
    # the neighbourhood takes IDs as a query parameter: a content ID with a slash
    r = httpx.get(f"{base}/v1/graph/neighborhood", params={"node": SLASHED_CONTENT}, headers=viewer)
    assert r.status_code == 200 and r.json()["center"] == SLASHED_CONTENT


def test_the_page_encodes_every_id_it_puts_in_a_path():
    """Every path the page builds from a value passes it through encodeURIComponent."""
    import re

    import pileon.api.app

    js = (pileon.api.app.STATIC_DIR / "app.js").read_text(encoding="utf-8")
    paths = re.findall(r"`(/v1/[^`]*)`", js)
    assert paths, "the page builds no API paths?"
    for p in paths:
        for expr in re.findall(r"\$\{([^}]*)\}", p):
            assert expr.startswith("enc("), (p, expr)
