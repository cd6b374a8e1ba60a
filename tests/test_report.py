"""The SPEC §4 report built from hand-made findings: shape, order, determinism."""

from __future__ import annotations

import json

import pandas as pd

from pileon.detectors.features import account_features
from pileon.detectors.findings import Evidence, MCNFinding
from pileon.detectors.grading import grade
from pileon.detectors.report import ACCOUNT_KEYS, REPORT_KEYS, build_report, data_time, iso
from pileon.detectors.rules import rule_scores
from tests.helpers import tiny_event


def make(top=None, generated_at=None):
    p, det = tiny_event()
    f = account_features(p, det)
    scored = rule_scores(f)
    roles = {r.account_id: [r.role] for r in det.roles}
    grades = grade(f, roles)
    mcns = [
        MCNFinding("m2", 0.2, ("p1",), ("warning",)),
        MCNFinding(
            "m1",
            0.9,
            ("army1",),
            ("warning", "suspend_revenue"),
            (Evidence("operates", ("c1",), "runs cluster c1"),),
        ),
    ]
    return p, build_report(p, det, scored, grades, mcns=mcns, top=top, generated_at=generated_at)


def test_report_keys_and_value_types_follow_the_contract():
    _, r = make()
    assert tuple(r) == REPORT_KEYS
    for a in r["accounts"]:
        assert tuple(a) == ACCOUNT_KEYS
        assert isinstance(a["score"], float) and 0 <= a["score"] <= 1
        assert a["tier"] in range(5) and a["roles"] and isinstance(a["refer"], bool)
        assert a["priority"] in (None, "minor")
        for e in a["evidence"]:
            assert set(e) == {"kind", "content_ids", "detail"}
    assert [m["mcn_id"] for m in r["mcns"]] == ["m1", "m2"]
    assert [m["rank"] for m in r["mcns"]] == [1, 2]
    assert set(r["mcns"][0]) == {"mcn_id", "rank", "score", "accounts", "measures", "evidence"}
    # only the significant cluster is reported
    assert [c["cluster_id"] for c in r["clusters"]] == ["c1"]
    assert set(r["clusters"][0]) == {"cluster_id", "accounts", "score", "evidence"}
    assert [n["narrative_id"] for n in r["narratives"]] == ["n1", "n2", "n3", "n4"]
    assert set(r["narratives"][0]) == {
        "narrative_id",
        "first_poster",
        "first_content_id",
        "platforms",
        "size",
        "harmful",
    }


def test_every_account_ranked_once_most_culpable_first():
    p, r = make()
    ids = [a["account_id"] for a in r["accounts"]]
    assert sorted(ids) == sorted(p.accounts["account_id"])
    assert [a["rank"] for a in r["accounts"]] == list(range(1, len(ids) + 1))
    keys = [(-a["score"], a["account_id"]) for a in r["accounts"]]
    assert keys == sorted(keys)
    by = {a["account_id"]: a for a in r["accounts"]}
    assert ids[0] == "fp" and set(ids[1:4]) == {"army1", "army2", "army3"}
    assert by["fp"]["roles"] == ["first_poster"] and by["fp"]["tier"] == 3
    assert by["army1"]["roles"] == ["coordinated"] and by["army1"]["cluster_id"] == "c1"
    assert by["army1"]["mcn_ids"] == ["m1"] and by["army2"]["mcn_ids"] == []  # expired
    assert by["p2"]["roles"] == ["participant"] and by["p2"]["cluster_id"] is None
    assert by["t"]["tier"] == 0 and by["t"]["score"] == 0
    assert by["bully"]["priority"] == "minor"
    kinds = [e["kind"] for e in by["fp"]["evidence"]]
    assert kinds[0] == "first_post" and "rules" in kinds and kinds[-1] == "grading"
    part = [e for e in by["p1"]["evidence"] if e["kind"] == "participation"]
    assert part and part[0]["content_ids"] == ["r4"]


def test_deterministic_and_generated_at_from_data():
    p, r1 = make()
    _, r2 = make()
    assert json.dumps(r1, sort_keys=True) == json.dumps(r2, sort_keys=True)
    assert r1["generated_at"] == "2026-03-01T01:30:00Z" == data_time(p)  # the last repost
    _, r3 = make(generated_at="2026-04-01T00:00:00Z")
    assert r3["generated_at"] == "2026-04-01T00:00:00Z"
    assert iso(pd.Timestamp("2026-03-01T08:00:00.5+08:00")) == "2026-03-01T00:00:00.500000Z"


def test_top_cuts_accounts_only():
    _, whole = make()
    _, r = make(top=3)
    assert r["accounts"] == whole["accounts"][:3]
    assert r["narratives"] == whole["narratives"] and r["mcns"] == whole["mcns"]
