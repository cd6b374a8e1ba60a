"""Features, transparent rules and graded tiers on a tiny hand-made event."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pileon.detectors.affiliations import valid_affiliations
from pileon.detectors.features import FEATURES, account_features
from pileon.detectors.findings import Detections, Evidence, Narrative, RoleFinding
from pileon.detectors.grading import grade
from pileon.detectors.harm import corroborate
from pileon.detectors.rules import banded, rule_scores
from pileon.graph.projection import Projection
from tests.helpers import at, tiny_event


def test_features_measure_what_they_say():
    p, det = tiny_event()
    f = account_features(p, det)
    assert list(f.columns) == list(FEATURES)
    assert f.index.tolist() == sorted(f.index)
    assert f.loc["fp", "n_posts"] == 1 and f.loc["fp", "n_harmful"] == 1
    # r1, r2, r3 and r4 (through r1) all lead back to c1
    assert f.loc["fp", "reach_log"] == pytest.approx(math.log1p(4))
    assert f.loc["fp", "harmful_reach_log"] == pytest.approx(math.log1p(4))
    assert f.loc["army1", "reach_log"] == pytest.approx(math.log1p(1))  # p1 reposted r1
    assert f.loc["news", "reach_log"] == pytest.approx(math.log1p(4))
    assert f.loc["news", "harmful_reach_log"] == 0
    assert f.loc["news", "downstream_harm_share"] == 0
    assert f.loc["fp", "downstream_harm_share"] == 1
    assert f.loc["p1", "n_harmful_reposts"] == 1 and f.loc["p2", "n_harmful_reposts"] == 0
    assert f.loc["army1", "in_cluster"] == 1 and f.loc["o0", "in_cluster"] == 0
    assert f.loc["t", "is_target"] == 1 and f.loc["fp", "is_target"] == 0
    assert f.loc["bully", "minor_attacks"] == 1 and f.loc["bully", "reports_minor"] == 1
    assert f.loc["fp", "minor_attacks"] == 0
    assert f.loc["fp", "identity_peers"] == 1 and f.loc["army2", "identity_peers"] == 0
    assert f.loc["fp", "account_age_days"] == pytest.approx(30)
    assert math.isnan(f.loc["army1", "account_age_days"])
    assert f.loc["news", "verified"] == 1
    assert f.loc["news", "followers_log"] == pytest.approx(math.log1p(5_000_000))
    # army2's affiliation ended before the event
    assert f.loc["army1", "mcn_affiliated"] == 1 and f.loc["army2", "mcn_affiliated"] == 0
    assert f.loc["fp", "role_first_poster"] == 0.95
    assert f.loc["fp", "lead_hours"] > 0 > f.loc["p1", "lead_hours"]


def test_valid_affiliations_respect_since_until():
    p, _ = tiny_event()
    assert valid_affiliations(p)["account_id"].tolist() == ["army1"]


def test_rules_rank_culprits_above_participants_and_targets_last():
    p, det = tiny_event()
    f = account_features(p, det)
    s = rule_scores(f)
    assert s.score["fp"] > s.score["army1"] > s.score["bully"] > s.score["p1"]
    assert s.score["p1"] > s.score["p2"] == 0
    assert s.score["news"] == 0 and s.score["t"] == 0
    assert min(s.score[a] for a in ("fp", "army1", "army2", "army3")) >= 0.5
    assert max(s.score[a] for a in ("p1", "p2", "bully", "news", "o0")) < 0.5
    assert "first_poster" in s.explain["fp"].detail
    assert "minor_attacked" in s.explain["bully"].detail
    assert s.explain["p2"].detail.endswith("no rule fired")


def test_grading():
    p, det = tiny_event()
    f = account_features(p, det)
    roles = {r.account_id: [r.role] for r in det.roles}
    g = grade(f, roles)
    assert g["fp"].tier == 3 and g["army1"].tier == 2
    assert g["p1"].tier == 1 and g["bully"].tier == 1
    assert g["news"].tier == 0 and g["p2"].tier == 0 and g["t"].tier == 0
    assert g["bully"].priority == "minor" and g["fp"].priority is None
    # a minor attack alone is not referred; reach under 500 is not either
    assert not g["bully"].refer and not g["fp"].refer
    g = grade(f, roles, refer_reposts=3)
    assert g["fp"].refer
    g = grade(
        f, roles, repeated={"fp": ["e0"], "army2": ["e0"], "p1": ["e0"]}, shared_identity={"army1"}
    )
    assert g["fp"].tier == 4 and g["army2"].tier == 3 and g["army1"].tier == 4
    assert g["p1"].tier == 1  # an ordinary participant is never raised above 1
    assert any("e0" in r for r in g["fp"].reasons)


def test_empty_event():
    p = Projection.from_tables({"event_id": "e0"})
    f = account_features(p, Detections())
    assert f.empty and list(f.columns) == list(FEATURES)
    assert rule_scores(f).score.empty


def test_reach_through_a_repost_comment_is_credited_to_the_commenter():
    contents = [
        {
            "content_id": "c1",
            "account_id": "news",
            "platform": "weibo",
            "posted_at": at(0),
            "text": "statement",
            "harm": 0.05,
        }
    ]
    reposts = [
        {
            "repost_id": "r1",
            "account_id": "inc",
            "source_id": "c1",
            "reposted_at": at(5),
            "text": "everyone go and curse her",
        }
    ] + [
        {"repost_id": f"r{i}", "account_id": f"x{i}", "source_id": "r1", "reposted_at": at(5 + i)}
        for i in range(2, 5)
    ]
    p = Projection.from_tables({"event_id": "e"}, contents=contents, reposts=reposts)
    det = Detections(
        narratives=(
            Narrative("n1", "news", "c1", ("weibo",), 1, False, ("c1",), 0.05),
            Narrative("n2", "inc", "r1", ("weibo",), 4, True, ("r1",), 0.9),
        ),
        of_content={"c1": "n1", "r1": "n2", "r2": "n2", "r3": "n2", "r4": "n2"},
    )
    f = account_features(p, det)
    assert f.loc["inc", "credited_harmful_log"] == pytest.approx(math.log1p(3))
    assert f.loc["news", "credited_log"] == pytest.approx(math.log1p(1))
    # the news drew r1 only (itself harmful); the three reposts of r1 go to the commenter
    assert f.loc["news", "credited_harmful_log"] == pytest.approx(math.log1p(1))
    assert f.loc["x2", "n_harmful_reposts"] == 1


def test_banded_keeps_culprits_above_others_and_targets_at_zero():
    p, det = tiny_event()
    f = account_features(p, det)
    prob = pd.Series(0.0, index=f.index)
    prob["p2"] = 1.0  # a model sure of a bystander cannot lift it over a detected culprit
    s = banded(f, prob)
    assert s["army1"] == 0.5 > s["p2"] and s["t"] == 0
    # p1 reposted the rumour: above the news and the benign p2 whatever the model says
    assert banded(f, pd.Series(0.0, index=f.index))["p1"] == 0.2
    assert s["p2"] == pytest.approx(0.19) and s["p2"] < 0.2
    assert banded(f, pd.Series(1.0, index=f.index))["t"] == 0


def test_an_account_under_attack_by_several_is_a_target():
    contents = [
        {
            "content_id": f"x{i}",
            "account_id": f"h{i}",
            "platform": "weibo",
            "posted_at": at(i),
            "harm": 0.9,
            "target_ids": ["victim"],
        }
        for i in range(3)
    ]
    contents.append(
        {
            "content_id": "v1",
            "account_id": "victim",
            "platform": "weibo",
            "posted_at": at(10),
            "harm": 0.1,
            "text": "this is not true",
        }
    )
    contents.append(
        {
            "content_id": "y1",
            "account_id": "h0",
            "platform": "weibo",
            "posted_at": at(11),
            "harm": 0.9,
            "target_ids": ["h1"],
        }
    )
    p = Projection.from_tables({"event_id": "e"}, contents=contents)
    f = account_features(p, Detections())
    assert f.loc["victim", "is_target"] == 1 and f.loc["victim", "attacked_by_log"] > 0
    assert f.loc["h1", "is_target"] == 0  # one attacker only, and it attacks too
    assert f.loc["h0", "is_target"] == 0
    assert grade(f, {})["victim"].tier == 0
    f2 = account_features(p, Detections(), min_attackers=4)
    assert f2.loc["victim", "is_target"] == 0


def test_corroborate_sets_aside_harmless_splices():
    p, det = tiny_event()
    splice = Evidence("splice", ("c4", "c2", "c1"), "kid's post splices news and rumour")
    roles = det.roles + (
        RoleFinding("kid", "splicer", 0.8, (splice,), {"harmful": 0.0}),
        RoleFinding("fp", "splicer", 0.8, (), {"harmful": 0.0}),
        RoleFinding("p2", "splicer", 0.8, (), {"harmful": 1.0}),
    )
    out = corroborate(p, Detections(det.narratives, det.of_content, roles, det.clusters))
    kept = {(f.account_id, f.role) for f in out.roles}
    assert ("kid", "splicer") not in kept  # c4 is harmless, and so is everything kid posted
    assert ("fp", "splicer") in kept  # fp posted a harmful rumour
    assert ("p2", "splicer") in kept  # the detector saw harm in the splice
    assert out.notes["kid"][0].kind == "splice_not_harmful"
    assert out.notes["kid"][0].content_ids == ("c4",)


def test_coact_degree_counts_co_reposts_without_building_pairs():
    """``coact_degree_log`` is log1p of pileon.detectors.coactivity.coactivity_degree (the
    account's co-reposts within 60 s), which tests/test_coactivity.py checks against the
    exact network."""
    from pileon.detectors.coactivity import coactivity_degree

    p, det = tiny_event()
    f = account_features(p, det)
    deg = coactivity_degree(p.reposts, window=60.0)
    want = np.log1p(deg.reindex(f.index, fill_value=0).to_numpy(dtype=float))
    np.testing.assert_allclose(f["coact_degree_log"].to_numpy(), want)
    assert f["coact_degree_log"].max() > 0


def test_node_harm_takes_estimates_by_id_in_any_order():
    """The detectors' estimates fill unknown harm by ID, whether they come in the nodes' own
    order or not (and with an ID given twice, its first estimate counts)."""
    from pileon.detectors.harm import node_harm

    p, det = tiny_event()
    ids = list(p.contents["content_id"]) + list(p.reposts["repost_id"])
    est = pd.Series([0.1 * (i % 7) for i in range(len(ids))], index=ids, dtype=float)
    aligned = node_harm(
        p, Detections(det.narratives, det.of_content, det.roles, det.clusters, harm=est)
    )
    shuffled = est.iloc[::-1]
    shuffled = pd.concat([shuffled, pd.Series([0.99], index=[ids[-1]])])
    other = node_harm(
        p, Detections(det.narratives, det.of_content, det.roles, det.clusters, harm=shuffled)
    )
    assert aligned.index.tolist() == ids
    assert other.equals(aligned)
    known = p.contents.set_index("content_id")["harm"]
    assert aligned[known.index].tolist() == known.tolist()  # the data's own harm first
    assert aligned["r1"] == pytest.approx(est["r1"])
