"""Which MCN affiliations count for an event: one rule, the contract overlaps the account's
activity in the event (pileon.detectors.affiliations), read the same by the report, the
features, the export and the MCN roll-up."""

from __future__ import annotations

from pileon.detectors.affiliations import affiliation_valid, valid_affiliations
from pileon.detectors.export import account_graph
from pileon.detectors.mcn import rollup_mcns
from pileon.detectors.report import account_mcns
from pileon.graph.projection import Projection

START = "2026-03-01T00:00:00Z"


def aff(account, mcn, since=None, until=None):
    return {"account_id": account, "mcn_id": mcn, "since": since, "until": until}


def post(cid, account, at):
    return {"content_id": cid, "account_id": account, "platform": "weibo", "posted_at": at}


def projection(event=None):
    """``a``'s contract ended before the event; ``b`` signed after the start but before it
    posted; ``c`` signed after it posted; ``d`` has an open contract and posted nothing."""
    return Projection.from_tables(
        {"event_id": "e", "started_at": START} if event is None else event,
        affiliations=[
            aff("a", "m1", until="2026-02-01T00:00:00Z"),
            aff("b", "m1", since="2026-03-01T06:00:00Z"),
            aff("c", "m2", since="2026-03-02T00:00:00Z"),
            aff("d", "m2"),
        ],
        contents=[
            post("c1", "a", "2026-03-01T01:00:00Z"),
            post("c2", "b", "2026-03-01T08:00:00Z"),
            post("c3", "c", "2026-03-01T09:00:00Z"),
        ],
    )


def signed(frame):
    return sorted(frame["account_id"])


def test_a_contract_counts_when_it_overlaps_the_accounts_activity():
    """``a`` ended before it acted, ``c`` began after it acted: neither counts; ``b`` signed
    after the start but before it posted, ``d`` is open and counts at the start."""
    p = projection()
    assert signed(valid_affiliations(p)) == ["b", "d"]
    assert account_mcns(p) == {"b": ["m1"], "d": ["m2"]}
    accounts = [{"account_id": x, "roles": ["participant"], "tier": 1} for x in "abcd"]
    assert {m.mcn_id: m.accounts for m in rollup_mcns(p, accounts)} == {
        "m1": ("b",),
        "m2": ("d",),
    }
    g = account_graph(p)
    assert {(a, b) for a, b, k in g.edges(data="kind") if k == "mcn"} == {("b", "m1"), ("d", "m2")}


def test_an_event_without_any_time_counts_no_affiliation_unless_asked():
    p = Projection.from_tables(
        {"event_id": "e"}, affiliations=[aff("a", "m1"), aff("b", "m2", until=START)]
    )
    assert p.start is None
    assert not affiliation_valid(p).any()
    assert affiliation_valid(p, keep_undated=True).all()
    # the export draws every affiliation of such an event
    g = account_graph(p)
    assert {(a, b) for a, b, k in g.edges(data="kind") if k == "mcn"} == {("a", "m1"), ("b", "m2")}


def test_no_affiliations():
    p = Projection.from_tables({"event_id": "e", "started_at": START})
    assert affiliation_valid(p).shape == (0,) and valid_affiliations(p).empty
