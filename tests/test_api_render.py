"""Answers rendered in the route (:mod:`pileon.api.render`): FastAPI's bytes, and kept
answers that never outlive a change of the store."""

from __future__ import annotations

import json
import threading

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from pileon.api import render
from pileon.api.schemas import AccountFinding, AccountOut, Neighborhood, RankedPage
from pileon.graph.embedded import EmbeddedStore
from pileon.graph.frames import frame_records
from pileon.graph.neo4j_store import Neo4jStore
from tests.helpers import INCIDENT, KEYS, build_incident, incident_report
from tests.test_api import _without_runs, auth, make_client

EV = INCIDENT["event_id"]

URLS = [
    f"/v1/events/{EV}/accounts",
    f"/v1/events/{EV}/accounts?limit=3",
    f"/v1/events/{EV}/accounts?role=coordinated&limit=2",
    f"/v1/events/{EV}/accounts?min_tier=2&limit=1000",
    f"/v1/events/{EV}/mcns",
    f"/v1/events/{EV}/clusters?limit=1",
    f"/v1/events/{EV}/venues",
    f"/v1/events/{EV}/platforms",
    f"/v1/accounts/{INCIDENT['victim']}",
    "/v1/accounts/weibo:005",
    "/v1/accounts/weibo:040",
    "/v1/accounts/nobody:none",
    "/v1/graph/neighborhood?node=weibo:005&hops=2&limit=40",
    f"/v1/graph/neighborhood?node={INCIDENT['first_content']}&hops=2&limit=1000",
    f"/v1/graph/neighborhood?node={EV}&limit=10",
    f"/v1/targets/{INCIDENT['victim']}/alerts",
]

FINDING = {
    "account_id": "weibo:张三",
    "rank": 3,
    "score": 1e-05,
    "tier": 2,
    "roles": ["inciter"],
    "evidence": [{"kind": "k", "content_ids": ["c/1"], "detail": '「骂」 \u2028 "q"'}],
    "zeta": {"b": 1e16, "a": [1.5, -0.0, 12345678901234567890]},
    "alpha": None,
    "measures": ["ban"],
}


def _bodies(store):
    """Bodies of each model the routes render, with floats, extras and text."""
    from pileon.api import disclosure
    from pileon.api.routes.accounts import account_view
    from pileon.service.neighborhood import neighborhood
    from pileon.settings import Role

    page = {"items": [FINDING, {**FINDING, "rank": 4}], "next_cursor": "c", "run_id": "r"}
    return [
        (AccountFinding, FINDING),
        (RankedPage[AccountFinding], page),
        (AccountOut, disclosure.account_view(account_view(store, "weibo:005"), Role.viewer)),
        (AccountOut, account_view(store, INCIDENT["victim"])),
        (Neighborhood, neighborhood(store, node="weibo:005", hops=2, limit=40)),
    ]


def _answers(client: TestClient, urls: list[str]) -> list[tuple[str, str, int, bytes]]:
    out = []
    for role in KEYS:
        for url in urls:
            r = client.get(url, headers=auth(role))
            out.append((role, url, r.status_code, r.content))
    return out


def test_rendered_bytes_are_fastapis(analyzed_store):
    """json_response gives the bytes FastAPI gives for the same body and response_model."""
    analyzed_store.add_decision({"account_id": "weibo:005", "tier": 2, "note": "「n」"})
    for model, body in _bodies(analyzed_store):
        app = FastAPI()

        @app.get("/fastapi", response_model=model)
        def by_fastapi() -> dict:
            return body  # noqa: B023 - called before the loop moves on

        @app.get("/route", response_model=model)
        def by_route():
            return render.json_response(model, body)  # noqa: B023

        with TestClient(app) as c:
            a, b = c.get("/fastapi"), c.get("/route")
        assert a.status_code == b.status_code == 200, a.text
        assert a.content == b.content, model
        assert a.headers["content-type"] == b.headers["content-type"] == "application/json"


def test_kept_answers_are_the_answers_made_afresh(analyzed_store, monkeypatch):
    """Every answer, for every role, is the same bytes with answers kept (the second
    time, from memory) as with none kept; viewers never get what an enforcer was sent."""
    from pileon.service.alerts import alerts_from_store

    alerts_from_store(analyzed_store, recompute=True)  # the alert pass, as ingest runs it
    with make_client(analyzed_store) as c:
        kept = _answers(c, URLS)
        again = _answers(c, URLS)
    monkeypatch.setenv("PILEON_API_CACHE_MB", "0")
    with make_client(analyzed_store) as c:
        assert render.ANSWERS.max_bytes == 0
        fresh = _answers(c, URLS)
    assert kept == again == fresh
    assert {status for _, _, status, _ in kept} == {200, 404}
    viewer = dict(((u, b) for r, u, _, b in kept if r == "viewer"))
    enforcer = dict(((u, b) for r, u, _, b in kept if r == "enforcer"))
    assert any(viewer[u] != enforcer[u] for u in viewer)  # the policy applies to kept answers


def test_a_write_ends_kept_answers(analyzed_store):
    """A decision recorded (through the API, or by another connection to the file) shows
    in the next answer."""
    victim_url = "/v1/accounts/weibo:005"
    with make_client(analyzed_store) as c:
        before = c.get(victim_url, headers=auth("viewer")).json()
        assert before["decisions"] == []
        r = c.post(
            "/v1/decisions",
            json={"account_id": "weibo:005", "event_id": EV, "tier": 2, "measure": "warn"},
            headers=auth("enforcer"),
        )
        assert r.status_code in (200, 201), r.text
        after = c.get(victim_url, headers=auth("viewer")).json()
        assert [d["measure"] for d in after["decisions"]] == ["warn"]
        other = EmbeddedStore(analyzed_store.path)  # another connection, as another process
        other.add_decision({"account_id": "weibo:005", "measure": "suspend", "tier": 3})
        other.close()
        last = c.get(victim_url, headers=auth("viewer")).json()
        assert [d["measure"] for d in last["decisions"]] == ["warn", "suspend"]
        nb = c.get("/v1/graph/neighborhood?node=weibo:005", headers=auth("viewer")).json()
        analyzed_store.save_report(incident_report(reverse=True))  # a new run lands
        nb2 = c.get("/v1/graph/neighborhood?node=weibo:005", headers=auth("viewer")).json()
        assert nb != nb2  # the findings on the nodes name the new run


def test_generation_counts_every_commit(tmp_store):
    g0 = tmp_store.generation()
    assert tmp_store.generation() == g0
    tmp_store.latest_run("ev:none")  # a read changes nothing
    assert tmp_store.generation() == g0
    t = threading.Thread(target=lambda: tmp_store.add_decision({"account_id": "a"}))
    t.start()
    t.join()
    g1 = tmp_store.generation()
    assert g1 != g0
    other = EmbeddedStore(tmp_store.path)
    assert other.generation()[0] != g1[0]  # another store object: another token
    other.add_decision({"account_id": "b"})
    assert tmp_store.generation() not in (g0, g1)
    other.close()


def test_cache_holds_at_most_its_bytes():
    cache = render.ByteCache(100)
    for i in range(10):
        cache.put(i, b"x" * 20, i)
    assert cache.held <= 100 and cache.get(0) is None and cache.get(9) == (b"x" * 20, 9)
    cache.put("big", b"y" * 30)  # more than a quarter: not kept
    assert cache.get("big") is None
    cache.resize(0)
    cache.put("a", b"z")
    assert cache.get("a") is None and cache.held == 0


def test_account_decisions_are_the_decisions_rows(analyzed_store):
    s = analyzed_store
    s.add_decision({"account_id": "weibo:005", "tier": 2.0, "measure": "warn", "note": "n"})
    s.add_decision({"mcn_id": "m", "measure": "fine"})
    s.add_decision({"account_id": "weibo:005", "measure": "ban", "decided_by": "x"})
    df = s.decisions()
    for a in ("weibo:005", "weibo:040"):
        assert s.account_decisions(a) == frame_records(df[df["account_id"] == a])
    assert [d["tier"] for d in s.account_decisions("weibo:005")] == [2, None]


@pytest.mark.neo4j
@pytest.mark.xdist_group("neo4j")
def test_neo4j_answers_kept_or_not(analyzed_store, neo4j_store, neo4j_server, monkeypatch):
    """On Neo4j (generations: the bookmark of the last transaction) every answer for
    every role is the same bytes with answers kept or not, and what the embedded store
    answers; a write by another connection ends the kept answers (THE TEST WIPES THE
    NEO4J TEST DATABASE)."""
    neo = neo4j_store
    build_incident(neo)
    neo.save_report(incident_report())
    at = {"decided_at": "2026-03-02T10:00:00+00:00"}
    g0 = neo.generation()
    assert neo.generation() == g0  # reads change nothing
    for s in (neo, analyzed_store):
        s.add_decision(
            {"decision_id": "d1", "account_id": "weibo:005", "tier": 2, "note": "n", **at}
        )
        s.add_decision({"decision_id": "d2", "account_id": "weibo:005", "measure": "ban", **at})
    assert neo.generation() != g0
    assert neo.account_decisions("weibo:005") == analyzed_store.account_decisions("weibo:005")
    df = neo.decisions()
    assert neo.account_decisions("weibo:005") == frame_records(df[df["account_id"] == "weibo:005"])
    with make_client(neo) as c:
        kept = _answers(c, URLS)
        again = _answers(c, URLS)
    with make_client(analyzed_store) as c:
        emb = _answers(c, URLS)
    monkeypatch.setenv("PILEON_API_CACHE_MB", "0")
    with make_client(neo) as c:
        fresh = _answers(c, URLS)
    assert kept == again == fresh
    for (role, url, s1, b1), (_, _, s2, b2) in zip(kept, emb, strict=True):
        assert s1 == s2, (role, url)
        if s1 == 200:
            assert _without_runs(json.loads(b1)) == _without_runs(json.loads(b2)), (role, url)
    # a write by another connection (another process would do the same) ends them
    monkeypatch.delenv("PILEON_API_CACHE_MB")
    url = "/v1/accounts/weibo:005"
    with make_client(neo) as c:
        before = c.get(url, headers=auth("admin")).json()
        assert c.get(url, headers=auth("admin")).json() == before
        other = Neo4jStore(neo4j_server.uri, user=neo4j_server.user, password=neo4j_server.password)
        try:
            other.add_decision(
                {"decision_id": "d3", "account_id": "weibo:005", "measure": "ban", **at}
            )
        finally:
            other.close()
        after = c.get(url, headers=auth("admin")).json()
    assert [d["decision_id"] for d in after["decisions"]] == [
        *(d["decision_id"] for d in before["decisions"]),
        "d3",
    ]
