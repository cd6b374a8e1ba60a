"""Which MCN affiliations count for an event: one rule, read at the event's start or over the
account's activity (pileon.detectors.affiliations)."""

from __future__ import annotations

import pytest

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


def test_at_the_start_only_contracts_held_when_the_event_began_count():
    p = projection()
    assert signed(valid_affiliations(p)) == ["d"]
    assert account_mcns(p) == {"d": ["m2"]}


def test_over_the_activity_a_contract_signed_before_the_account_acted_counts():
    p = projection()
    assert signed(valid_affiliations(p, during="activity")) == ["b", "d"]
    accounts = [{"account_id": x, "roles": ["participant"], "tier": 1} for x in "abcd"]
    assert {m.mcn_id: m.accounts for m in rollup_mcns(p, accounts)} == {
        "m1": ("b",),
        "m2": ("d",),
    }


def test_an_event_without_any_time_counts_no_affiliation_unless_asked():
    p = Projection.from_tables(
        {"event_id": "e"}, affiliations=[aff("a", "m1"), aff("b", "m2", until=START)]
    )
    assert p.start is None
    for during in ("start", "activity"):
        assert not affiliation_valid(p, during=during).any()
        assert affiliation_valid(p, during=during, keep_undated=True).all()
    # the export draws every affiliation of such an event
    g = account_graph(p)
    assert {(a, b) for a, b, k in g.edges(data="kind") if k == "mcn"} == {("a", "m1"), ("b", "m2")}


def test_no_affiliations_and_a_bad_mode():
    p = Projection.from_tables({"event_id": "e", "started_at": START})
    assert affiliation_valid(p).shape == (0,) and valid_affiliations(p).empty
    with pytest.raises(ValueError, match="during"):
        affiliation_valid(projection(), during="end")
