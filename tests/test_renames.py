"""Impersonators (临时改名) on tiny hand-made projections, and the renames that are not
impersonation: a similar name taken long before, an unrelated rename, the real entity
and the targets themselves."""

from __future__ import annotations

import pytest

from pileon.detectors.renames import detect_impersonators, find_impersonations, name_similarity
from pileon.graph.projection import Projection
from tests.helpers import other_incident, sample_projections

EVENT = {
    "event_id": "e1",
    "started_at": "2026-03-01T08:00:00+08:00",
    "entities": ["林晓雯", "南城市第七中学", "南城七中", "东湖派出所"],
    "target_ids": ["weibo:victim"],
}


def post(cid, acc, when, text="随便说说"):
    return {
        "content_id": cid,
        "account_id": acc,
        "platform": acc.split(":")[0],
        "posted_at": when,
        "text": text,
    }


def rn(acc, new, when, old=None):
    return {"account_id": acc, "new_name": new, "renamed_at": when, "old_name": old}


def acct(acc, name, **kw):
    return {"account_id": acc, "platform": acc.split(":")[0], "name": name, **kw}


CONTENTS = [
    post("weibo:1", "weibo:a", "2026-03-01T09:00:00+08:00"),
    post("weibo:2", "weibo:imp", "2026-03-02T10:00:00+08:00", "我承认，是我做的，对不起大家。"),
    post("weibo:3", "weibo:b", "2026-03-04T20:00:00+08:00"),
]


def proj(renames, accounts=None, event=EVENT, contents=CONTENTS):
    tables = {"contents": contents, "renames": renames}
    if accounts is not None:
        tables["accounts"] = accounts
    return Projection.from_tables(event, **tables)


def ids(findings):
    return [f.account_id for f in findings]


@pytest.mark.parametrize(
    "name,entity,rule",
    [
        ("林晓雯", "林晓雯", "exact"),
        ("林晓雯老师", "林晓雯", "decorated"),
        ("【南城七中官方】", "南城七中", "decorated"),
        ("林小雯", "林晓雯", "homophone"),
        ("林晓雯2008", "林晓雯", "contains"),
        ("南城七中教务处", "南城七中", "contains"),
        ("真林晓雯", "林晓雯", "contains"),
        ("林小雯官方客服", "林晓雯", "contains_homophone"),
        ("南城七中", "南城市第七中学", "abbreviation"),
    ],
)
def test_name_similarity_matches(name, entity, rule):
    s, r = name_similarity(name, entity)
    assert s >= 0.8 and r == rule


@pytest.mark.parametrize(
    "name,entity",
    [
        ("小猫爱吃鱼", "林晓雯"),
        ("南城吃瓜群众", "南城七中"),
        ("林晓雯的粉丝后援会", "林晓雯"),
        ("支持林晓雯", "林晓雯"),
        ("林晓雯滚出教师队伍", "林晓雯"),
        ("南城七中学生", "南城七中"),
        ("心疼林小雯", "林晓雯"),
        ("林晓峰", "林晓雯"),
        ("用户58231", "东湖派出所"),
        ("老师", "林晓雯"),
        ("x", "林晓雯"),
    ],
)
def test_name_similarity_rejects(name, entity):
    assert name_similarity(name, entity)[0] < 0.8


def test_rename_during_event_with_rename_back():
    p = proj(
        [
            rn("weibo:imp", "林晓雯本人", "2026-03-02T09:00:00+08:00", "咸鱼不翻身"),
            rn("weibo:imp", "咸鱼不翻身", "2026-03-03T09:00:00+08:00", "林晓雯本人"),
        ]
    )
    f = detect_impersonators(p)
    assert ids(f) == ["weibo:imp"]
    ev = f[0].evidence[0]
    assert ev.kind == "rename" and ev.content_ids == ("weibo:2",)
    assert "咸鱼不翻身 → 林晓雯本人" in ev.detail and "林晓雯" in ev.detail
    assert "renamed back to 咸鱼不翻身" in ev.detail
    assert f[0].numbers["renamed_back"] == 1.0
    # without the rename back: still found, but weaker
    q = proj([rn("weibo:imp", "林晓雯本人", "2026-03-02T09:00:00+08:00", "咸鱼不翻身")])
    g = detect_impersonators(q)
    assert ids(g) == ["weibo:imp"] and g[0].strength < f[0].strength


def test_pinyin_homophone():
    p = proj([rn("weibo:imp", "林小雯", "2026-03-01T12:00:00+08:00", "桃子酱")])
    f = detect_impersonators(p)
    assert ids(f) == ["weibo:imp"]
    assert "homophone" in f[0].evidence[0].detail


def test_rename_long_before_is_not_impersonation():
    p = proj([rn("weibo:imp", "林晓雯老师", "2025-09-01T12:00:00+08:00", "桃子酱")])
    assert detect_impersonators(p) == []
    # nor long after the event's activity
    p = proj([rn("weibo:imp", "林晓雯老师", "2026-05-01T12:00:00+08:00", "桃子酱")])
    assert detect_impersonators(p) == []


def test_unrelated_rename_is_not_impersonation():
    p = proj(
        [
            rn("weibo:a", "快乐的咸鱼", "2026-03-01T12:00:00+08:00", "桃子酱"),
            rn("weibo:b", "南城吃瓜群众", "2026-03-02T12:00:00+08:00", "用户123"),
        ]
    )
    assert detect_impersonators(p) == []


def test_real_entity_and_targets_are_not_impersonators():
    accounts = [
        acct("weibo:victim", "林晓雯"),
        acct("weibo:school", "南城七中官方", verified=True),
        acct("douyin:victim2", "植物园写生", identity_key="id:lxw"),
        acct("weibo:victim3", "林晓雯", identity_key="id:lxw"),
        acct("weibo:police", "东湖派出所警务", verified=True),
        acct("weibo:imp", "咸鱼"),
    ]
    ev = dict(EVENT, target_ids=["weibo:victim", "weibo:victim3"])
    p = proj(
        [
            # the victim renames herself during the event
            rn("weibo:victim", "林晓雯老师", "2026-03-02T09:00:00+08:00", "林晓雯"),
            # the school's official account tidies its name: it already bore it
            rn("weibo:school", "南城七中官方", "2026-03-02T09:00:00+08:00", "南城七中"),
            # the victim's account on another platform (same identity)
            rn("douyin:victim2", "林晓雯", "2026-03-02T09:00:00+08:00", "植物园写生"),
            # a verified account of unknown former name
            rn("weibo:police", "东湖派出所警务", "2026-03-02T09:00:00+08:00"),
            rn("weibo:imp", "东湖派出所", "2026-03-02T09:00:00+08:00", "咸鱼"),
        ],
        accounts=accounts,
        event=ev,
    )
    assert ids(detect_impersonators(p)) == ["weibo:imp"]


def test_target_account_names_are_entities():
    ev = dict(EVENT, entities=[], target_ids=["weibo:minor"])
    accounts = [acct("weibo:minor", "雨桐不吃香菜"), acct("weibo:imp", "咸鱼")]
    p = proj(
        [rn("weibo:imp", "雨桐不吃香菜", "2026-03-02T09:00:00+08:00", "咸鱼")],
        accounts=accounts,
        event=ev,
    )
    f = detect_impersonators(p)
    assert ids(f) == ["weibo:imp"] and "雨桐不吃香菜" in f[0].evidence[0].detail


def test_former_name_from_previous_rename_or_account_name():
    # the old name comes from the previous rename: it already resembled -> not impersonation
    p = proj(
        [
            rn("weibo:imp", "林晓雯的小号", "2025-01-01T00:00:00+08:00"),
            rn("weibo:imp", "林晓雯", "2026-03-02T09:00:00+08:00"),
        ]
    )
    assert detect_impersonators(p) == []
    # the account's name (not one of its renames) is its former name
    p = proj(
        [rn("weibo:imp", "林晓雯", "2026-03-02T09:00:00+08:00")],
        accounts=[acct("weibo:imp", "咸鱼")],
    )
    f = find_impersonations(p)
    assert [(i.old_name, i.new_name) for i in f] == [("咸鱼", "林晓雯")]


def test_window_options():
    r = [rn("weibo:imp", "林晓雯", "2026-02-20T08:00:00+08:00", "咸鱼")]  # 9 days before
    assert detect_impersonators(proj(r)) == []
    assert ids(detect_impersonators(proj(r), window_before=10 * 86400)) == ["weibo:imp"]
    with pytest.raises(ValueError):
        detect_impersonators(proj(r), min_similarity=0)
    with pytest.raises(ValueError):
        detect_impersonators(proj(r), window_before=-1)


def test_no_renames_no_times():
    assert detect_impersonators(proj([])) == []
    empty = Projection.from_tables({"event_id": "e", "entities": ["林晓雯"]})
    assert detect_impersonators(empty) == []


def test_sorted_by_account():
    r = [rn(f"weibo:{x}", "林晓雯", "2026-03-02T09:00:00+08:00", "咸鱼") for x in "zmb"]
    assert ids(detect_impersonators(proj(r))) == ["weibo:b", "weibo:m", "weibo:z"]


def test_sample_incident_impersonators_exact(tmp_path):
    from pileon.ingest.sample import generate_incident

    truth = generate_incident(tmp_path / "incident", seed=4, scale=0.1)
    for eid, p in sample_projections(tmp_path / "incident").items():
        roles = truth["events"][eid]
        found = ids(detect_impersonators(p))
        assert found == sorted(roles["impersonator"]), eid
        assert not set(found) & set(roles.get("not_impersonator", []))


@pytest.mark.parametrize("seed,old_names", [(0, True), (1, False)])
def test_other_incident_impersonators_exact(seed, old_names):
    p, _, impersonators, not_impersonators = other_incident(seed, with_old_name=old_names)
    found = ids(detect_impersonators(p))
    assert found == sorted(impersonators)
    assert not set(found) & not_impersonators
