"""The investigator page in a real headless Chromium (Debian's ``chromium``, driven by Playwright).

The analyzed sample incident is served by uvicorn on 127.0.0.1; the test signs in (first with a
wrong key), opens the main event, checks that the ranked table and the graph show the planted
culprits, clicks the first poster's node and reads its evidence, expands its neighbourhood, and
saves a screenshot to ``tests/artifacts/ui.png``.  Requests to any other host are refused and
reported: the page must work with no internet access, and so must the API docs at ``/docs``.
Both run under the Content-Security-Policy the server sends (a violation is a console error).

Without Chromium (``PILEON_CHROMIUM`` names another binary) the test is skipped, except under
``CI=true`` where it fails.
``playwright install`` is never needed: Playwright drives the system Chromium.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pileon.api.app import create_app
from pileon.api.deps import get_store
from pileon.settings import Settings
from tests.helpers import api_key

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("PILEON_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
KEY = api_key("browser")
MAIN = "evt:2026-03-nancheng-teacher"
ARTIFACTS = Path(__file__).with_name("artifacts")


@pytest.fixture
def sync_playwright():
    """Playwright's sync API, or skip (fail under CI=true) when it or Chromium is missing.

    Asked for first, so that a machine without a browser skips before building the incident.
    """
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - depends on the machine
        reason = f"playwright is not installed ({exc})"
    if reason is None and not os.access(CHROMIUM, os.X_OK):
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser test must run in CI: {reason}")
        pytest.skip(reason)
    return sync_playwright


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _serving(store) -> Iterator[str]:
    """The API and page over ``store``, served by uvicorn on 127.0.0.1: its base URL."""
    import uvicorn

    app = create_app(Settings(api_keys=f"{KEY}:viewer", store="/nonexistent/never-opened.db"))
    app.dependency_overrides[get_store] = lambda: store
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def server(sample_store):
    """Base URL of the API and page served over the analyzed sample incident."""
    with _serving(sample_store) as url:
        yield url


def _offline_page(browser, server: str):
    """A page that refuses requests to any host but ``server`` and records them, and
    records errors: ``(page, errors, foreign)``."""
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    errors, foreign = [], []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    def only_local(route):
        if route.request.url.startswith(server):
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.set_default_timeout(15_000)
    return page, errors, foreign


def test_api_docs_work_offline(sync_playwright, tmp_store):
    """/docs (Swagger UI shipped with the package) lists the operations of /openapi.json
    with no internet access and no error, under the page's Content-Security-Policy."""
    with _serving(tmp_store) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page, errors, foreign = _offline_page(browser, url)
            page.goto(url + "/docs")
            page.wait_for_selector(".opblock-summary-path")
            paths = page.eval_on_selector_all(
                ".opblock-summary-path", "els => els.map(e => e.innerText)"
            )
            assert "/v1/events/{event_id}/accounts" in [p.replace("\u200b", "") for p in paths]
            assert page.is_visible("button.authorize")
            assert not errors, errors
            assert not foreign, f"the docs tried to reach other hosts: {foreign}"
        finally:
            browser.close()


def test_evidence_page_opened_from_disk_runs_nothing(sync_playwright, tmp_path):
    """evidence.html as a victim opens it (file://): styled under its own CSP, with no
    error, http(s) URLs as links and a javascript: URL as text that clicking cannot run."""
    from pileon.detectors.evidence import build_manifest, item_hash, render_html

    items = []
    for n, url in enumerate(["javascript:window.__ran=1", "https://weibo.com/1"]):
        item = {
            "content_id": f"c{n}",
            "account_id": "weibo:9",
            "account_name": "x",
            "platform": "weibo",
            "kind": "post",
            "posted_at": "2026-03-01T00:00:00Z",
            "text": "滚",
            "url": url,
            "media_hash": None,
            "event_id": None,
        }
        item["sha256"] = item_hash(item)
        items.append(item)
    page_file = tmp_path / "evidence.html"
    page_file.write_text(
        render_html(build_manifest("weibo:1", items), target_name="x", offset=480), "utf-8"
    )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page, errors, foreign = _offline_page(browser, page_file.as_uri())
            page.goto(page_file.as_uri())
            assert (
                page.evaluate(
                    "() => getComputedStyle(document.querySelector('table')).borderCollapse"
                )
                == "collapse"
            )
            hrefs = page.eval_on_selector_all("a", "as => as.map(a => a.href)")
            assert hrefs == ["https://weibo.com/1"]
            page.click("text=javascript:window.__ran=1")
            assert page.evaluate("() => window.__ran") is None
            assert not errors, errors
            assert not foreign, foreign
        finally:
            browser.close()


def test_from_the_page_to_the_first_posters_evidence(
    sync_playwright, server, sample_store, _sample_incident_db
):
    truth = _sample_incident_db[1]["events"][MAIN]
    report = sample_store.report(sample_store.latest_run(MAIN))
    ranked = {a["account_id"]: a for a in report["accounts"]}
    # the culprits planted in the sample that the analysis found, by rank
    planted = sorted(
        (
            a
            for role in ("first_poster", "inciter")
            for a in truth[role]
            if role in ranked[a]["roles"]
        ),
        key=lambda a: ranked[a]["rank"],
    )
    assert len(planted) >= 4
    biggest = min(
        (n for n in report["narratives"] if n["harmful"]),
        key=lambda n: (-n["size"], n["narrative_id"]),
    )
    first_poster = biggest["first_poster"]
    assert first_poster in truth["first_poster"]
    # data is text, never markup: give the first poster a name that would run as HTML
    row = sample_store.frame("accounts", ids=[first_poster])
    hostile = '<img src=x onerror="window.__xss=1">' + str(row.loc[0, "name"])
    sample_store.upsert("accounts", row.assign(name=hostile).drop(columns=["extra"]))

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page, errors, foreign = _offline_page(browser, server)
            page.goto(server + "/")
            assert page.url == server + "/ui/"

            # a wrong key gets a clear message, the right one the events
            page.fill("#key-input", "not-a-key")
            page.click("#key-form button")
            page.wait_for_selector("#message:not([hidden])")
            assert "401" in page.text_content("#message")
            assert "unknown API key" in page.text_content("#message")
            errors.clear()  # the browser logs the refused request itself
            page.fill("#key-input", KEY)
            page.click("#key-form button")
            page.click(f".event-item[data-event='{MAIN}']")

            # the ranked table: planted culprits on the first page with their roles
            page.wait_for_selector("#accounts tbody tr[data-account]")
            rows = page.eval_on_selector_all(
                "#accounts tbody tr[data-account]",
                "rows => rows.map(r => [r.dataset.account, r.cells[4].innerText])",
            )
            table = dict(rows)
            on_first_page = [a for a in planted if ranked[a]["rank"] <= len(rows)]
            assert len(on_first_page) >= 4
            for a in on_first_page:
                role_text = table[a].replace("\n", " ")
                assert any(t in role_text for t in ("first poster", "inciter")), (a, role_text)

            # the graph: bounded, says so, and holds the planted culprits
            page.wait_for_function("() => window.pileon.cy() && window.pileon.cy().nodes().length")
            note = page.text_content("#graph-note")
            assert f"of {len(report['accounts']):,} accounts" in note and "Showing" in note
            ids = set(page.evaluate("() => window.pileon.cy().nodes().map(n => n.id())"))
            assert len(ids) <= 300
            assert set(planted) <= ids
            assert f"narrative:{biggest['narrative_id']}" in ids

            # a real click on the first poster's node (brought to the middle, zoomed in)
            box = page.evaluate(
                """(id) => {
                    const cy = window.pileon.cy(), node = cy.getElementById(id);
                    cy.zoom(2); cy.center(node);
                    const p = node.renderedPosition();
                    const b = document.getElementById('cy').getBoundingClientRect();
                    return {x: b.left + p.x, y: b.top + p.y};
                }""",
                first_poster,
            )
            page.mouse.click(box["x"], box["y"])
            page.wait_for_selector("#detail .evidence")
            assert page.text_content("#detail .ev-ids") is not None
            detail = page.inner_text("#detail")
            assert first_poster in detail
            assert page.text_content("#detail .detail-title") == hostile
            assert page.evaluate("() => document.querySelectorAll('#detail img').length") == 0
            assert "first post" in detail.lower() and "first of narrative" in detail
            assert page.evaluate("() => window.pileon.cy().$(':selected').map(n => n.id())") == [
                first_poster
            ]
            assert (
                page.get_attribute(f"#accounts tr[data-account='{first_poster}']", "class")
                == "selected"
            )

            # expand its neighbourhood: its contents join the graph
            before = len(ids)
            page.click("#expand")
            page.wait_for_function("() => document.getElementById('expand').disabled")
            after = page.evaluate("() => window.pileon.cy().nodes().length")
            assert after > before
            assert (
                page.evaluate(
                    "(id) => window.pileon.cy().getElementById(id).neighborhood('node.content').length",
                    first_poster,
                )
                >= 1
            )

            # a viewer's key reads no content text: the page says it is withheld
            content = page.evaluate(
                "(id) => window.pileon.cy().getElementById(id).neighborhood('node.content')[0].id()",
                first_poster,
            )
            page.evaluate("(id) => { window.pileon.cy().getElementById(id).emit('tap'); }", content)
            page.wait_for_selector("#detail .withheld")
            assert "withheld" in page.inner_text("#detail")
            assert (
                page.evaluate("() => document.querySelectorAll('#detail blockquote').length") == 0
            )

            page.evaluate("() => { window.pileon.cy().fit(undefined, 24); }")  # returns nothing
            page.click(f".event-item[data-event='{MAIN}']")  # reopen: back to the whole view
            page.wait_for_function("() => window.pileon.cy().nodes().length > 0")
            # the other way in: the biggest harmful narrative, then its first poster
            page.evaluate(
                "(id) => { window.pileon.cy().getElementById(id).emit('tap'); }",
                f"narrative:{biggest['narrative_id']}",
            )
            page.wait_for_selector("#detail >> text=harmful narrative")
            detail = page.inner_text("#detail")
            assert f"{biggest['size']:,} contents and reposts" in detail
            page.click(f"#detail button:has-text('{first_poster}')")
            page.wait_for_selector("#detail .evidence")
            assert "first of narrative" in page.inner_text("#detail .evidence")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "ui.png"), full_page=True)
            assert page.evaluate("() => window.__xss") is None
            assert not errors, errors
            assert not foreign, f"the page tried to reach other hosts: {foreign}"
        finally:
            browser.close()
