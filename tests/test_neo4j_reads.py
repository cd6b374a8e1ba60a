"""Reads in batches (:meth:`pileon.graph.store.Store.read_many`): one query on Neo4j
(:mod:`pileon.graph.queries.bundle`), each result what its method gives alone; and the
views that use them (a 2-hop neighbourhood, an account, a target's alerts) in a few
round trips."""

from __future__ import annotations

import pytest

from pileon.api.routes.accounts import account_view
from pileon.graph.queries.bundle import bundle_params, bundle_query
from pileon.service.alerts import alerts_from_store, stored_alert_page
from pileon.service.neighborhood import neighborhood
from tests.helpers import INCIDENT, build_incident, incident_report
from tests.test_api import _without_runs

EV = INCIDENT["event_id"]


def test_bundle_query_renames_each_parts_parameters():
    q = bundle_query(
        [("MATCH (n:A {k: $id}) RETURN n.k AS k", ["k"]), ("RETURN $id AS v, $x AS w", ["v", "w"])]
    )
    assert "$p0_id" in q and "$p1_id" in q and "$p1_x" in q
    assert "$id" not in q and "$x" not in q
    assert q.rstrip().endswith("RETURN r0, r1")
    assert bundle_params([{"id": 1}, {"id": 2, "x": 3}]) == {"p0_id": 1, "p1_id": 2, "p1_x": 3}
    with pytest.raises(ValueError):
        bundle_query([])
    with pytest.raises(ValueError):
        bundle_query([("RETURN 1 AS x", ["x y"])])


def _calls(run: str) -> list:
    victim, first = INCIDENT["victim"], INCIDENT["first_content"]
    return [
        ("records", ("accounts",), {"ids": [victim, "weibo:005", "nobody:none"]}),
        ("records", ("events",), {}),
        ("records", ("affiliations",), {"ids": ["weibo:005"], "column": "account_id"}),
        ("linked", ("reposts", "source_id", [first]), {"per_id": 2}),
        (
            "linked",
            ("contents", "account_id", ["weibo:005", "weibo:006"]),
            {"per_id": 1, "columns": ("content_id", "account_id")},
        ),
        ("linked", ("contents", "reply_to", []), {"per_id": 3}),
        ("memberships_of", ([first, "weibo:c002", "nobody"],), {}),
        ("event_members", (EV,), {"limit": 3}),
        ("event_members", ("ev:none",), {"limit": 3}),
        ("latest_run", (EV,), {}),
        ("latest_run", (INCIDENT["other_event_id"],), {}),
        ("ranked", (run, "accounts"), {"after": 2, "limit": 5}),
        ("ranked", (run, "mcns"), {"limit": 10**9}),
        ("account_findings", ("weibo:005",), {}),
        ("accounts_findings", (["weibo:005", victim, "nobody:none"],), {}),
        ("account_decisions", ("weibo:005",), {}),
        ("missing_ids", ("account", [victim, "nobody:none"]), {}),
        ("stored_alerts", ("",), {"target_id": victim, "limit": 10}),
    ]


@pytest.mark.neo4j
@pytest.mark.xdist_group("neo4j")
def test_read_many_is_one_query_and_each_methods_result(analyzed_store, neo4j_store, monkeypatch):
    """(THE TEST WIPES THE NEO4J TEST DATABASE)"""
    neo = neo4j_store
    build_incident(neo)
    neo.save_report(incident_report())
    calls = _calls(neo.latest_run(EV))
    alone = [getattr(neo, name)(*args, **kwargs) for name, args, kwargs in calls]
    sent: list[str] = []
    read = neo._run.read
    monkeypatch.setattr(neo._run, "read", lambda q, p=None: sent.append(q) or read(q, p))
    assert neo.read_many(calls) == alone
    assert len(sent) == 1  # one query (the empty linked read needs none)
    # the embedded store's answers, one by one (its default read_many), but for run IDs
    emb = analyzed_store.read_many(_calls(analyzed_store.latest_run(EV)))
    for (name, _, _), a, b in zip(calls, alone, emb, strict=True):
        if name != "latest_run":
            assert _without_runs(a) == _without_runs(b), name
    with pytest.raises(ValueError, match="not a read"):
        neo.read_many([("save_report", ({},), {})])


@pytest.mark.neo4j
@pytest.mark.xdist_group("neo4j")
def test_views_read_in_few_round_trips(analyzed_store, neo4j_store, monkeypatch):
    """A 2-hop neighbourhood was about 30 queries (one per table, level and kind), an
    account 5-6, a target's alerts 3: now a handful, one and one, with the same answers
    as the embedded store (THE TEST WIPES THE NEO4J TEST DATABASE)."""
    neo = neo4j_store
    build_incident(neo)
    neo.save_report(incident_report())
    sent: list[str] = []
    read = neo._run.read
    monkeypatch.setattr(neo._run, "read", lambda q, p=None: sent.append(q) or read(q, p))
    for node, limit in (("weibo:005", 40), (INCIDENT["first_content"], 1000), (EV, 60)):
        sent.clear()
        got = neighborhood(neo, node=node, hops=2, limit=limit)
        assert len(sent) <= 9, (node, len(sent))
        want = neighborhood(analyzed_store, node=node, hops=2, limit=limit)
        assert _without_runs(got) == _without_runs(want)
    sent.clear()
    assert _without_runs(account_view(neo, "weibo:005")) == _without_runs(
        account_view(analyzed_store, "weibo:005")
    )
    assert len(sent) <= 2
    for s in (neo, analyzed_store):
        alerts_from_store(s, recompute=True)  # the alert pass, as ingest runs it
    sent.clear()
    victim = INCIDENT["victim"]
    assert stored_alert_page(neo, target_id=victim) == stored_alert_page(
        analyzed_store, target_id=victim
    )
    assert len(sent) == 1
