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
from tests.helpers import KEYS, bearer, keys_setting

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
    from pileon.service.ingest import ingest  # the tables, then the alerts (served from the store)

    root = tmp_path_factory.mktemp("secure-world")
    write_tables(root / "tables")
    store = EmbeddedStore(str(root / "pileon.db"))
    ingest(store, root / "tables", reject_path=root / "rejects.csv")
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


# ------------------------------------------------- bodies before the key (item 1)
class RawRequest:
    """A request written by hand on a socket, so that its body can be left unfinished."""

    def __init__(self, base: str, method: str, path: str, headers: dict[str, str]) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        head = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        self.sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        self.sent = 0

    def answered(self, wait: float = 0.0) -> bool:
        import select

        return bool(select.select([self.sock], [], [], wait)[0])

    def send(self, data: bytes, *, chunked: bool = True) -> bool:
        """Send ``data`` (as one chunk); False once the server has answered or hung up."""
        if self.answered():
            return False
        try:
            self.sock.sendall(b"%x\r\n%b\r\n" % (len(data), data) if chunked else data)
        except (BrokenPipeError, ConnectionResetError):
            return False
        self.sent += len(data)
        return True

    def response(self, wait: float = 10.0) -> tuple[int, dict[str, str], bytes]:
        """The server's answer, read while the request body is still unfinished."""
        import http.client

        assert self.answered(wait), f"no answer within {wait} s after {self.sent} body bytes"
        r = http.client.HTTPResponse(self.sock)
        r.begin()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()

    def close(self) -> None:
        self.sock.close()


def test_a_body_without_a_key_is_refused_before_it_is_read(base):
    """No key: 401 as soon as the headers are in, while the body is still coming."""
    for headers in (
        {"Transfer-Encoding": "chunked", "Content-Type": "application/json"},
        {"Content-Length": str(50 << 20), "Content-Type": "application/json"},
        {"Transfer-Encoding": "chunked", "Authorization": "Bearer wrong-key"},
    ):
        req = RawRequest(base, "POST", "/v1/decisions", headers)
        try:
            chunked = "Transfer-Encoding" in headers
            req.send(b"{" + b" " * (64 << 10), chunked=chunked)
            status, head, body = req.response(wait=5)
            assert status == 401, (headers, status, body)
            assert head["www-authenticate"] == "Bearer"
            assert req.sent <= (64 << 10) + 1
        finally:
            req.close()


def test_json_bodies_are_counted_as_they_arrive(base, world_store):
    """A key, but a chunked body past 1 MB: 413 while the body is still coming."""
    req = RawRequest(
        base,
        "POST",
        "/v1/decisions",
        {
            "Transfer-Encoding": "chunked",
            "Content-Type": "application/json",
            **bearer(KEYS["enforcer"]),
        },
    )
    try:
        req.send(b'{"note": "')
        # a little past the limit, then nothing more: the body never ends
        while req.sent < (1 << 20) + (256 << 10) and req.send(b"x" * (32 << 10)):
            pass
        status, _, body = req.response(wait=10)
        assert status == 413, (status, body)
        assert "exceeds 1 MB" in json.loads(body)["detail"]
    finally:
        req.close()
    # a declared length past the limit is refused before any byte of the body
    req = RawRequest(
        base,
        "POST",
        "/v1/decisions",
        {
            "Content-Length": str(2 << 20),
            "Content-Type": "application/json",
            **bearer(KEYS["admin"]),
        },
    )
    try:
        status, _, body = req.response(wait=5)
        assert status == 413 and req.sent == 0, (status, body)
    finally:
        req.close()
    # bodies under the limit are served as before
    r = httpx.post(
        f"{base}/v1/decisions",
        json={"event_id": EVENT, "account_id": TROLL, "tier": 3, "note": "n" * 5000},
        headers=bearer(KEYS["enforcer"]),
    )
    assert r.status_code == 201, r.text


def test_uploads_are_counted_as_they_arrive_and_only_admins_get_the_upload_limit(world_store):
    boundary = "pileonboundary"
    prelude = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
        f'filename="accounts.csv"\r\nContent-Type: text/csv\r\n\r\n'
        "account_id,platform\n"
    ).encode()
    headers = {
        "Transfer-Encoding": "chunked",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    }
    with serving(world_store, max_upload_mb=2) as url:
        for role, limit in (("admin", 3 << 20), ("viewer", 1 << 20)):
            req = RawRequest(url, "POST", "/v1/ingest", {**headers, **bearer(KEYS[role])})
            try:
                req.send(prelude)
                # a little past the limit, then nothing more: the body never ends
                while req.sent < limit + (256 << 10) and req.send(b"weibo:1,weibo\n" * 2048):
                    pass
                status, _, body = req.response(wait=10)
                assert status == 413, (role, status, body)
                assert req.sent > limit - (256 << 10), (role, req.sent)  # not refused early
            finally:
                req.close()


# ------------------------------------------------- weak keys, guessing (item 10)
WEAK = ["k1", "view-key-1", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "0123456789abcde"]
HOW = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'


@pytest.mark.parametrize("weak", WEAK)
def test_weak_keys_are_refused_at_start_up(weak, tmp_path):
    from pileon.settings import SettingsError, load_settings

    settings = load_settings(api_keys=f"{KEYS['admin']}:admin,{weak}:viewer")
    with pytest.raises(SettingsError) as exc:
        create_app(settings)
    message = str(exc.value)
    assert "\n" not in message and weak not in message
    assert message.startswith("PILEON_API_KEYS entry 2 (viewer) is too weak")
    assert "at least 128" in message and HOW in message
    keyfile = tmp_path / "keys"
    keyfile.write_text(f"{KEYS['admin']}:admin\n# comment\n{weak}:viewer\n")
    with pytest.raises(SettingsError, match=f"^{keyfile} line 3 \\(viewer\\) is too weak"):
        load_settings(api_keys=str(keyfile)).require_keys()


def test_serve_refuses_a_weak_key_in_one_line(monkeypatch):
    from click.testing import CliRunner

    from pileon.cli import cli

    served = []
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: served.append(1))  # never serve here
    monkeypatch.setenv("PILEON_API_KEYS", "s3cret:admin")
    result = CliRunner().invoke(cli, ["serve", "--port", "8765"])
    assert not served
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: PILEON_API_KEYS entry 1 (admin)")
    assert HOW in lines[0] and "s3cret" not in lines[0]


@pytest.mark.parametrize("strong", ["secrets.token_urlsafe(32)", "secrets.token_hex(16)"])
def test_keys_made_as_told_are_accepted(strong):
    import secrets  # noqa: F401 - used by eval

    from pileon.settings import load_settings

    for _ in range(50):
        key = eval(strong)
        load_settings(api_keys=f"{key}:viewer").require_keys()


def test_failed_keys_are_throttled_per_client_address(world_store):
    """After PILEON_MAX_AUTH_FAILURES 401s in a minute an address gets 429, even with a
    good key, until the minute has passed; another address is served meanwhile."""
    with serving(world_store, max_auth_failures=5) as url:
        here = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.1"))
        there = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"))
        with here, there:
            for _ in range(5):
                assert here.get(f"{url}/v1/events", headers=bearer("guess")).status_code == 401
            r = here.get(f"{url}/v1/events", headers=bearer(KEYS["viewer"]))
            assert r.status_code == 429, r.text
            assert 0 < int(r.headers["retry-after"]) <= 60
            assert "too many failed API keys" in r.json()["detail"]
            assert here.get(f"{url}/healthz").status_code == 200  # no key, no throttle
            r = there.get(f"{url}/v1/events", headers=bearer(KEYS["viewer"]))
            assert r.status_code == 200, r.text
            assert there.get(f"{url}/v1/events", headers=bearer("guess")).status_code == 401


# ------------------------------------------------------- headers, offline docs (item 6)
def check_common_headers(r: httpx.Response) -> None:
    assert r.headers["x-content-type-options"] == "nosniff", r.url
    assert r.headers["x-frame-options"] == "DENY", r.url
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"], r.url
    assert r.headers["referrer-policy"] == "no-referrer", r.url


def test_security_headers_on_data_pages_and_errors(base):
    enforcer = bearer(KEYS["enforcer"])
    for url, headers, status in (
        ("/v1/events", enforcer, 200),
        (f"/v1/accounts/{path_id(MINOR)}", enforcer, 200),
        (f"/v1/targets/{path_id(MINOR)}/evidence", enforcer, 200),
        (f"/v1/targets/{path_id(MINOR)}/alerts", enforcer, 200),
        (f"/v1/graph/neighborhood?node={path_id(MINOR)}", enforcer, 200),
        ("/v1/events", {}, 401),
        ("/v1/accounts/weibo:nobody", enforcer, 404),
        ("/healthz", {}, 200),
    ):
        r = httpx.get(base + url, headers=headers)
        assert r.status_code == status, (url, r.text)
        check_common_headers(r)
        assert "no-store" in r.headers["cache-control"], url
        assert r.headers["content-security-policy"].startswith("default-src 'none'"), url
    page = httpx.get(f"{base}/ui/")
    assert page.status_code == 200
    check_common_headers(page)
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]


def test_docs_are_served_without_the_internet(base):
    import re

    r = httpx.get(f"{base}/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    check_common_headers(r)
    html = r.text
    assert "swagger-ui" in html
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert refs and not [u for u in refs if "//" in u or u.startswith("http")], refs
    assert "<script>" not in html  # no inline script: the CSP allows none
    for ref in (r for r in refs if not r.startswith("data:")):
        asset = httpx.get(str(httpx.URL(f"{base}/docs").join(ref)))
        assert asset.status_code == 200, ref
    assert httpx.get(f"{base}/openapi.json").status_code == 200
    assert httpx.get(f"{base}/redoc").status_code == 404  # it would load from a CDN


# ------------------------------------------------ who reads what (item 3)
#: what only enforcers and admins may read: every content text, URL and media hash
#: (minors' own, aimed at a minor, any other), quoted text, and the identity key
SECRETS = ("ATTACK-", "KID-OWN-TEXT", "SLASHED-TEXT", "weibo.com", "javascript:", IDENTITY)


def viewer_urls(world_store) -> list[str]:
    """Every GET a viewer may make on the world (every node's neighbourhood included)."""
    ids = [VICTIM, SLASHED, MINOR, TROLL, PERCENT]
    contents = world_store.frame("contents")["content_id"].tolist()
    urls = ["/v1/events", f"/v1/events/{EVENT}", "/v1/decisions"]
    urls += [f"/v1/events/{EVENT}/{k}" for k in ("report", "accounts", "mcns", "clusters")]
    urls += [f"/v1/events/{EVENT}/graph"]
    urls += [f"/v1/accounts/{path_id(a)}" for a in ids]
    urls += [f"/v1/targets/{path_id(a)}/alerts" for a in ids]
    urls += [f"/v1/graph/neighborhood?node={path_id(n)}&hops=2&limit=1000" for n in [*ids, EVENT]]
    urls += [f"/v1/graph/neighborhood?node={path_id(n)}&hops=1" for n in contents]
    return urls


def test_viewers_read_no_content_text_url_or_identity_key(base, world_store):
    # a decision whose note quotes a content: staff notes are for enforcers too
    r = httpx.post(
        f"{base}/v1/decisions",
        json={"event_id": EVENT, "account_id": TROLL, "tier": 3, "note": "said ATTACK-ONE"},
        headers=bearer(KEYS["enforcer"]),
    )
    assert r.status_code == 201
    seen = {}
    for url in viewer_urls(world_store):
        r = httpx.get(base + url, headers=bearer(KEYS["viewer"]))
        assert r.status_code == 200, (url, r.text)
        text = r.text
        seen[url] = r.json()
        leaked = [s for s in SECRETS if s in text]
        assert not leaked, (url, leaked)
    # what is withheld says so, so that the page can tell the viewer
    nb = seen[f"/v1/graph/neighborhood?node={path_id(TROLL)}&hops=2&limit=1000"]
    contents = [n for n in nb["nodes"] if n["kind"] == "content"]
    assert len(contents) >= 3 and all(n["label"] == n["id"] for n in contents)
    assert all({"text", "url"} <= set(n["withheld"]) for n in contents)
    troll = next(n for n in nb["nodes"] if n["id"] == TROLL)
    assert "identity_key" in troll["withheld"] and "identity_key" not in troll["properties"]
    profile = seen[f"/v1/accounts/{path_id(TROLL)}"]["profile"]
    assert profile["identity_key"] is None and "identity_key" in profile["withheld"]
    splice = seen[f"/v1/events/{EVENT}/report"]["accounts"][0]["evidence"][0]
    assert splice["content_ids"] == ["weibo:c4", "weibo:c3"]  # the finding itself is kept
    assert "withheld" in splice["detail"] and "covering 50% of its text" in splice["detail"]


def test_enforcers_read_texts_urls_and_identity_keys(base, world_store):
    enforcer = bearer(KEYS["enforcer"])
    nb = httpx.get(
        f"{base}/v1/graph/neighborhood",
        params={"node": TROLL, "hops": 1, "limit": 100},
        headers=enforcer,
    ).json()
    c1 = next(n for n in nb["nodes"] if n["id"] == "weibo:c1")
    assert c1["properties"]["text"] == "ATTACK-ONE 滚出微博" and not c1["withheld"]
    assert c1["properties"]["url"] == "javascript:alert(document.domain)"
    profile = httpx.get(f"{base}/v1/accounts/{path_id(TROLL)}", headers=enforcer).json()
    assert profile["profile"]["identity_key"] == IDENTITY and not profile["profile"]["withheld"]
    report = httpx.get(f"{base}/v1/events/{EVENT}/report", headers=enforcer).json()
    assert "「KID-OWN-TEXT」" in report["accounts"][0]["evidence"][0]["detail"]
