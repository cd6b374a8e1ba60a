"""Venues (SPEC §7): hand-made venues for each rule, the venue creators' tiers, impersonation by
new accounts, and the acceptance check on the sample incident with its look-alike negatives."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pileon.detectors.grading import grade
from pileon.detectors.pipeline import account_roles, role_tiers
from pileon.detectors.venues import detect_venues, named_after, venue_terms
from pileon.graph.projection import Projection
from tests.helpers import load_sample

E = "evt:t"
T0 = pd.Timestamp("2026-03-01T12:00:00Z")
VICTIM = "weibo:victim"


def at(hours: float) -> str:
    return (T0 + pd.Timedelta(hours=hours)).isoformat()


def posts(venue: str, n: int, n_bad: int, *, prefix: str = "", kind: str = "post", by=None):
    """``n`` contents in ``venue``, the first ``n_bad`` harmful (harm 0.9, else 0.05)."""
    return [
        {
            "content_id": f"{venue}:{prefix}{i}",
            "account_id": by or f"weibo:{venue}-{prefix}{i}",
            "platform": "weibo",
            "posted_at": at(1 + i / 100),
            "venue_id": venue,
            "kind": kind,
            "harm": 0.9 if i < n_bad else 0.05,
            "text": "滚出南城" if i < n_bad else "今天天气不错",
        }
        for i in range(n)
    ]


def proj(contents, venues, **frames) -> Projection:
    event = {
        "event_id": E,
        "name": "南城七中教师林晓雯遭网暴事件",
        "started_at": T0.isoformat(),
        "entities": ["林晓雯", "南城七中"],
        "target_ids": [VICTIM],
    }
    accounts = frames.pop("accounts", None)
    if accounts is None:
        ids = sorted({c["account_id"] for c in contents} | {VICTIM})
        accounts = [
            {"account_id": a, "platform": "weibo", "name": "林晓雯" if a == VICTIM else a}
            for a in ids
        ]
    return Projection.from_tables(
        event, contents=contents, venues=venues, accounts=accounts, **frames
    )


def venue(vid: str, name: str, kind: str = "topic", **kw) -> dict:
    return {"venue_id": vid, "platform": "weibo", "kind": kind, "name": name, **kw}


def found(p: Projection):
    res = detect_venues(p, p.contents["harm"] >= 0.5)
    return res, {v.venue_id: v for v in res.venues}


# ------------------------------------------------------------------ ranking: count and share
def test_a_huge_benign_topic_ranks_below_a_small_topic_made_for_abuse():
    contents = posts("big", 3000, 20) + posts("small", 30, 26) + posts("tiny", 2, 2)
    venues = [venue("big", "许星野超话"), venue("small", "#七中那个老师#"), venue("tiny", "小组")]
    res, by = found(proj(contents, venues))
    assert res.venues[0].venue_id == "small"
    assert by["small"].score > by["big"].score and by["small"].score > by["tiny"].score
    # the huge topic has more harmful items than the small one has, yet gets clean at most
    assert by["big"].harmful == 20 and by["big"].measures == ("clean",)
    assert set(by["small"].measures) >= {"dissolve", "clean"}
    # two harmful items are no concentration, however high the share
    assert "dissolve" not in by["tiny"].measures
    assert by["small"].to_dict(1)["harmful_share"] == pytest.approx(26 / 30, abs=1e-6)


def test_ranking_is_stable_and_ties_break_by_venue_id():
    contents = posts("b", 10, 8) + posts("a", 10, 8)
    res, _ = found(proj(contents, [venue("a", "甲"), venue("b", "乙")]))
    assert [v.venue_id for v in res.venues] == ["a", "b"]
    again, _ = found(proj(list(reversed(contents)), [venue("b", "乙"), venue("a", "甲")]))
    assert again == res


# ------------------------------------------------------------------ named after, created during
@pytest.mark.parametrize(
    "name,term",
    [
        ("#林晓雯滚出教师队伍#", "林晓雯"),  # a name about her
        ("林小雯吧", "林晓雯"),  # a homophone, decorated
        ("南城七中黑幕", "南城七中"),
        ("南城七中教师林晓雯遭网暴事件", "南城七中教师林晓雯遭网暴事件"),  # the event's name
    ],
)
def test_names_built_from_the_events_names(name, term):
    p = proj(posts("v", 3, 0), [venue("v", name)])
    assert term in [t for t, _ in named_after(name, venue_terms(p))]


@pytest.mark.parametrize("name", ["许星野超话", "南城美食", "晓雯的小店", None])
def test_names_not_built_from_them(name):
    p = proj(posts("v", 3, 0), [venue("v", name)])
    assert named_after(name, venue_terms(p)) == []


def test_target_names_count_as_persons():
    p = proj(posts("v", 3, 0), [venue("v", "x")])
    terms = dict(venue_terms(p))
    assert terms["林晓雯"] is True and terms["南城七中教师林晓雯遭网暴事件"] is False


def test_created_during_event_and_freeze_new():
    contents = posts("new", 20, 18) + posts("old", 20, 18)
    venues = [
        venue("new", "#冲七中#", created_at=at(0.5), creator_id="weibo:maker"),
        venue("old", "南城同城", created_at=at(-24 * 400)),
    ]
    _, by = found(proj(contents, venues))
    assert by["new"].created_during_event and not by["old"].created_during_event
    assert "freeze_new" in by["new"].measures and "freeze_new" not in by["old"].measures
    assert "dissolve" in by["old"].measures  # abuse concentrates there all the same


# ------------------------------------------------------------------ anonymous boards
def test_anonymous_board_by_name_and_by_content():
    texts = ["投稿：七中老师打人", "匿名投稿：林老师", "树洞：喊话七中", "今天天气不错", "吃饭"]
    by_text = [
        {**c, "text": texts[i % 5], "harm": 0.9 if i % 5 < 3 else 0.05}
        for i, c in enumerate(posts("box", 20, 0))
    ]
    contents = posts("wall", 20, 6) + by_text + posts("plain", 20, 6)
    venues = [
        venue("wall", "南城表白墙", "forum"),
        venue("box", "同城小组", "group"),
        venue("plain", "同城"),
    ]
    _, by = found(proj(contents, venues))
    assert by["wall"].anonymous_board and by["box"].anonymous_board
    assert not by["plain"].anonymous_board
    # an anonymous board carrying abuse is dissolved from a lower share (6 of 20)
    assert "dissolve" in by["wall"].measures and "dissolve" not in by["plain"].measures
    assert {e.kind for e in by["box"].evidence} >= {"anonymous_board"}


# ------------------------------------------------------------------ live rooms
def test_a_targets_live_room_is_protected_never_closed():
    flood = posts("room", 200, 160, kind="comment")
    mine = posts("troll", 50, 45, kind="comment")
    venues = [
        venue(
            "room",
            "林晓雯的直播间",
            "live_room",
            host_id=VICTIM,
            creator_id=VICTIM,
            created_at=at(20),
        ),
        venue("troll", "真相哥直播间", "live_room", host_id="weibo:host"),
    ]
    res, by = found(proj(flood + mine, venues))
    assert by["room"].measures == ("clean", "filter_comments", "protect")
    assert not by["room"].concentrated
    assert set(by["troll"].measures) == {"close_room", "clean", "filter_comments"}
    # the victim created her own room during the event, named after herself: no creator role
    assert [f.account_id for f in res.creators] == []


# ------------------------------------------------------------------ venue creators
def test_venue_creator_tier_2_or_3_with_own_harmful_posts():
    own = posts("v1", 5, 5, prefix="own", by="weibo:maker")
    contents = posts("v1", 30, 28) + own + posts("v2", 30, 28) + posts("v3", 30, 28)
    venues = [
        venue("v1", "#林晓雯滚出教师队伍#", created_at=at(0.5), creator_id="weibo:maker"),
        venue("v2", "南城七中黑幕", created_at=at(0.5), creator_id="weibo:army"),
        # named after the event's name only, not a person: no creator role
        venue("v3", "网暴事件讨论", created_at=at(0.5), creator_id="weibo:other"),
    ]
    accounts = [
        {"account_id": a, "platform": "weibo", "name": a}
        for a in sorted({c["account_id"] for c in contents} | {"weibo:army", "weibo:other"})
    ] + [{"account_id": VICTIM, "platform": "weibo", "name": "林晓雯"}]
    p = proj(contents, venues, accounts=accounts)
    res, _ = found(p)
    makers = {f.account_id: f for f in res.creators}
    assert sorted(makers) == ["weibo:army", "weibo:maker"]
    assert makers["weibo:maker"].numbers["own_harmful"] == 5
    assert makers["weibo:army"].numbers["own_harmful"] == 0
    # graded: tier 3 with harmful posts of its own there, else tier 2
    from dataclasses import replace

    from pileon.detectors.findings import Detections

    det = replace(Detections(), roles=tuple(res.creators))
    ids = ["weibo:army", "weibo:maker"]
    features = pd.DataFrame(
        {"n_harmful": [0, 5], "n_harmful_reposts": [0, 0], "n_reports": [0, 0]}, index=ids
    )
    from pileon.detectors.features import FEATURES

    for f in FEATURES:
        if f not in features:
            features[f] = 0
    g = grade(features, account_roles(det), role_tiers=role_tiers(det, features))
    assert g["weibo:maker"].tier == 3 and g["weibo:army"].tier == 2


def test_a_venue_created_before_the_event_makes_no_creator():
    contents = posts("v", 30, 28)
    venues = [venue("v", "林晓雯吧", created_at=at(-48), creator_id="weibo:early")]
    res, by = found(proj(contents, venues))
    assert res.creators == () and not by["v"].created_during_event


def test_bad_options_are_refused():
    p = proj(posts("v", 3, 0), [venue("v", "x")])
    with pytest.raises(ValueError):
        detect_venues(p, p.contents["harm"] >= 0.5, min_harmful=0)
    with pytest.raises(ValueError):
        detect_venues(p, p.contents["harm"] >= 0.5, saturate=0)


def test_no_venue_no_finding():
    c = posts("v", 3, 3)
    for x in c:
        x["venue_id"] = None
    res, _ = found(proj(c, []))
    assert res.venues == () and res.creators == ()


# ------------------------------------------------------------------ the sample incident
@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from pileon.service.analysis import analyze

    tmp = tmp_path_factory.mktemp("venues")
    store, truth = load_sample(tmp, seed=3, scale=0.25)
    e1 = "evt:2026-03-nancheng-teacher"
    report = analyze(store, e1, seed=0, model=None, save=False)
    store.close()
    return truth["events"][e1], json.loads(json.dumps(report))


def test_sample_planted_venues_are_found_and_negatives_spared(sample):
    truth, report = sample
    planted = truth["venues"]
    by = {v["venue_id"]: v for v in report["venues"]}
    sanctioned = {v for v, x in by.items() if {"dissolve", "close_room"} & set(x["measures"])}
    assert sanctioned == set(planted["sanction"])
    assert {v for v, x in by.items() if x["named_after"]} == set(planted["named_after"])
    assert {v for v, x in by.items() if x["created_during_event"]} == set(
        planted["created_during_event"]
    )
    assert {v for v, x in by.items() if x["anonymous_board"]} == set(planted["anonymous_board"])
    for v in planted["close_room"]:
        assert "close_room" in by[v]["measures"]
    # negatives: the huge benign fan topic is cleaned at most, ranked last; the victim's
    # own room is protected, not closed
    for v in planted["benign"]:
        assert set(by[v]["measures"]) <= {"clean"} and by[v]["rank"] == len(by)
        assert by[v]["harmful"] >= 5  # it does carry harmful posts
    for v in planted["protect"]:
        assert "protect" in by[v]["measures"] and "close_room" not in by[v]["measures"]
        assert by[v]["harmful_share"] > 0.5  # flooded, yet not closed
    # ranked by score, ranks 1..n
    assert [v["rank"] for v in report["venues"]] == list(range(1, len(by) + 1))
    scores = [v["score"] for v in report["venues"]]
    assert scores == sorted(scores, reverse=True)


def test_sample_venue_creators_and_impersonators(sample):
    truth, report = sample
    acc = {a["account_id"]: a for a in report["accounts"]}
    creators = {a for a, x in acc.items() if "venue_creator" in x["roles"]}
    assert creators == set(truth["venue_creator"])
    for a in creators:
        assert acc[a]["tier"] >= 2
    for a in truth["venues"]["venue_creator_own_posts"]:
        assert acc[a]["tier"] >= 3
    imps = {a for a, x in acc.items() if "impersonator" in x["roles"]}
    assert imps == set(truth["impersonator"])
    assert set(truth["venues"]["new_account_impersonators"]) <= imps
    assert not imps & set(truth["not_impersonator"])
    for a in imps:
        assert acc[a]["measures"] == ["verify_identity"]
    for a, x in acc.items():
        assert ("measures" in x) == (a in imps)


# ------------------------------------------------------------------ the other generator
def test_other_generator_planted_venues(tmp_path):
    """tests/altgen (written apart from the sample): the owner's topic and the submission
    board are sanctioned, the topic's army creator graded, the celebrity's huge super-topic
    cleaned at most, the owner's live room protected."""
    from pileon.graph.embedded import EmbeddedStore
    from pileon.ingest.load import load_folder
    from pileon.service.analysis import analyze
    from tests.altgen.generator import generate, write_incident

    inc = generate(1, "small")
    store = EmbeddedStore(str(tmp_path / "alt.db"))
    load_folder(store, write_incident(inc, tmp_path / "alt"), reject_path=tmp_path / "rej.csv")
    report = analyze(store, inc.truth["event"], model=None, save=False)
    store.close()
    planted = inc.truth["venues"]
    by = {v["venue_id"]: v for v in report["venues"]}
    assert set(by) == set(planted["ids"].values())
    closed = {v for v, x in by.items() if {"dissolve", "close_room"} & set(x["measures"])}
    assert closed == set(planted["sanction"])
    assert {v for v, x in by.items() if x["named_after"]} == set(planted["named_after"])
    assert {v for v, x in by.items() if x["anonymous_board"]} == set(planted["anonymous_board"])
    for v in planted["benign"]:
        assert by[v]["measures"] == ["clean"] and by[v]["harmful"] >= 5
        assert by[v]["rank"] == len(by)
    for v in planted["protect"]:
        assert "protect" in by[v]["measures"] and "close_room" not in by[v]["measures"]
    acc = {a["account_id"]: a for a in report["accounts"]}
    makers = {a for a, x in acc.items() if "venue_creator" in x["roles"]}
    assert makers == set(planted["venue_creator"])
    assert all(acc[a]["tier"] >= 2 for a in makers)
    imps = {a for a, x in acc.items() if "impersonator" in x["roles"]}
    assert imps == set(inc.truth["impersonators"])  # by rename and by a new account
    for a in planted["new_account_impersonators"]:
        assert acc[a]["measures"] == ["verify_identity"] and acc[a]["tier"] == 3
    weibo = next(p for p in report["platforms"] if p["platform"] == "weibo")
    douyin = next(p for p in report["platforms"] if p["platform"] == "douyin")
    assert weibo["report_to_action_median_s"] < douyin["report_to_action_median_s"]
