"""Tests of pileon.detectors.mcn: affiliation windows, the measures ladder, the sample incident."""

from __future__ import annotations

import pytest

from pileon.detectors.affiliations import affiliation_valid
from pileon.detectors.findings import Cluster
from pileon.detectors.mcn import rollup_mcns
from pileon.graph.errors import InputError
from pileon.graph.model import MCN_MEASURES
from pileon.graph.projection import Projection

LADDER = {m: i for i, m in enumerate(MCN_MEASURES, start=1)}


def level(m):
    return max((LADDER[x] for x in m.measures), default=0)


def proj(affiliations, reposts=()):
    return Projection.from_tables(
        {"event_id": "e", "started_at": "2026-03-01T00:00:00Z"},
        affiliations=list(affiliations),
        reposts=list(reposts),
    )


def acc(a, roles, tier):
    return {"account_id": a, "roles": roles, "tier": tier}


ARMY = Cluster("c1", ("b1", "b2", "b3", "b4", "b5"), 0.9, True)


def test_ladder_levels_and_ranking():
    aff = (
        [{"account_id": a, "mcn_id": "op"} for a in ("lead", "b1", "b2", "b3")]
        + [{"account_id": "b4", "mcn_id": "half"}, {"account_id": "b5", "mcn_id": "half"}]
        + [{"account_id": "fp", "mcn_id": "leadonly"}]
        + [{"account_id": "h", "mcn_id": "harm"}]
        + [{"account_id": "n1", "mcn_id": "news"}, {"account_id": "n2", "mcn_id": "news"}]
        + [{"account_id": "nobody", "mcn_id": "uninvolved"}]
    )
    accounts = (
        [acc("lead", ["first_poster"], 3)]
        + [acc(b, ["coordinated"], 2) for b in ("b1", "b2", "b3", "b4", "b5")]
        + [
            acc("fp", ["inciter"], 3),
            acc("h", ["participant"], 1),
            acc("n1", ["participant"], 0),
            acc("n2", ["participant"], 0),
        ]
    )
    out = rollup_mcns(proj(aff), accounts, [ARMY])
    got = {m.mcn_id: level(m) for m in out}
    assert got == {"op": 4, "half": 2, "leadonly": 2, "harm": 1, "news": 0}
    assert [m.mcn_id for m in out][0] == "op"
    assert "uninvolved" not in got
    # measures are the ladder's prefix, scores rank by level
    op = out[0]
    assert op.measures == tuple(MCN_MEASURES)
    assert [level(m) for m in out] == sorted((level(m) for m in out), reverse=True)
    assert all(0 <= m.score < 1 for m in out)
    kinds = {e.kind for e in op.evidence}
    assert {"operates_cluster", "lead_accounts", "measures"} <= kinds


def test_only_participants_get_at_most_a_warning():
    aff = [{"account_id": f"p{i}", "mcn_id": "m"} for i in range(6)]
    accounts = [acc(f"p{i}", ["participant"], 1) for i in range(6)]
    (m,) = rollup_mcns(proj(aff), accounts, [ARMY])
    assert m.measures == ("warning",)


def test_one_coordinated_member_is_not_operating():
    aff = [{"account_id": "b1", "mcn_id": "m"}]
    (m,) = rollup_mcns(
        proj(aff),
        [acc("b1", ["coordinated"], 2)],
        [Cluster("c1", tuple(f"b{i}" for i in range(1, 11)), 0.9, True)],
    )
    assert m.measures == ("warning",)


def test_insignificant_clusters_do_not_count():
    aff = [{"account_id": b, "mcn_id": "m"} for b in ARMY.accounts]
    weak = Cluster("c9", ARMY.accounts, 0.2, False)
    (m,) = rollup_mcns(proj(aff), [acc(b, ["participant"], 0) for b in ARMY.accounts], [weak])
    assert m.measures == ()


def test_affiliation_must_be_valid_while_the_account_acted():
    reposts = [
        {
            "repost_id": "r1",
            "account_id": "x",
            "source_id": "s",
            "reposted_at": "2026-03-02T10:00:00Z",
        },
        {
            "repost_id": "r2",
            "account_id": "y",
            "source_id": "s",
            "reposted_at": "2026-03-02T10:00:00Z",
        },
    ]
    aff = [
        {
            "account_id": "x",
            "mcn_id": "ended",
            "since": "2025-01-01T00:00:00Z",
            "until": "2026-01-31T23:59:00Z",
        },
        {"account_id": "x", "mcn_id": "later", "since": "2026-04-01T00:00:00Z"},
        {"account_id": "x", "mcn_id": "open"},
        {
            "account_id": "y",
            "mcn_id": "during",
            "since": "2026-03-02T09:00:00Z",
            "until": "2026-03-03T00:00:00Z",
        },
    ]
    p = proj(aff, reposts)
    ok = affiliation_valid(p)
    assert sorted(p.affiliations["mcn_id"][ok]) == ["during", "open"]
    assert sorted(p.affiliations["mcn_id"][~ok]) == ["ended", "later"]
    out = rollup_mcns(p, [acc("x", ["first_poster"], 3), acc("y", ["participant"], 1)])
    assert sorted(m.mcn_id for m in out) == ["during", "open"]


def test_bad_input():
    with pytest.raises(InputError):
        rollup_mcns(proj([]), [{"roles": []}])
    with pytest.raises(InputError):
        rollup_mcns(proj([]), [], operate_share=0)


# ----------------------------------------------------------------- the sample incident

E1 = "evt:2026-03-nancheng-teacher"


@pytest.fixture(scope="module")
def analyzed(tmp_path_factory):
    from pileon.service.analysis import analyze
    from tests.helpers import load_sample

    store, truth = load_sample(tmp_path_factory.mktemp("incident"), seed=5, scale=0.4)
    return analyze(store, E1, seed=0), truth["events"][E1]


def test_sample_operating_mcn_first_and_others_mild(analyzed):
    report, truth = analyzed
    mcns = report["mcns"]
    lv = {m["mcn_id"]: max((LADDER[x] for x in m["measures"]), default=0) for m in mcns}
    assert mcns[0]["mcn_id"] == truth["operating_mcn"]
    assert lv[truth["operating_mcn"]] >= LADDER["suspend_revenue"]
    for other in [truth["news_mcn"], *truth["bystander_mcns"]]:
        assert lv.get(other, 0) <= LADDER["warning"]
    assert not set(truth["uninvolved_mcns"]) & set(lv)
    # the expired contract does not make its account a member
    op = mcns[0]
    assert not set(truth["expired_affiliation"]) & set(op["accounts"])
