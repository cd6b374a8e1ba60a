"""Event scoping (SPEC §2) on hand-made frames: ``pileon.ingest.membership.compute_memberships``."""

from __future__ import annotations

import pandas as pd

from pileon.graph.frames import coerce
from pileon.ingest.membership import MEMBERSHIP_COLUMNS, compute_memberships
from tests.helpers import sample_projections

E1 = {
    "event_id": "e1",
    "name": "南城七中教师遭网暴事件",
    "keywords": ["南城七中", "体罚学生"],
    "entities": ["林晓雯", "东湖派出所"],
}
E2 = {
    "event_id": "e2",
    "name": "奶茶店谣言",
    "keywords": ["茶语时光", "蟑螂奶茶"],
    "entities": ["陈建国"],
}

STORY = "网传初二班主任长期打骂学生，昨天把一个男生打到耳膜穿孔住院了，家长报警也没人管"
TEA = "北川万达那家店喝出了虫子，老板还威胁顾客删帖，这种店赶紧关门吧"


def c(
    cid,
    text=None,
    *,
    event_id=None,
    reply_to=None,
    media_hash=None,
    acc="weibo:u",
    hour=8,
    placeholder=False,
):
    return {
        "content_id": cid,
        "account_id": acc,
        "platform": "weibo",
        "posted_at": f"2026-03-01T{hour:02d}:00:00+08:00",
        "text": text,
        "event_id": event_id,
        "reply_to": reply_to,
        "media_hash": media_hash,
        "placeholder": placeholder,
    }


def r(rid, source, text=None, acc="weibo:r", hour=9):
    return {
        "repost_id": rid,
        "account_id": acc,
        "source_id": source,
        "reposted_at": f"2026-03-01T{hour:02d}:00:00+08:00",
        "text": text,
    }


def run(contents, reposts=(), events=(E1, E2), **kw):
    ev = coerce("events", pd.DataFrame(list(events)))
    cf = coerce("contents", pd.DataFrame(list(contents)))
    rf = coerce(
        "reposts",
        pd.DataFrame(
            list(reposts), columns=["repost_id", "account_id", "source_id", "reposted_at", "text"]
        ),
    )
    return compute_memberships(ev, cf, rf, **kw)


def of(m):
    """content_id -> {event_id: via}"""
    out: dict[str, dict[str, str]] = {}
    for row in m.itertuples(index=False):
        out.setdefault(row.content_id, {})[row.event_id] = row.via
    return out


def test_shape_and_order():
    m = run([c("w:2", "南城七中的事"), c("w:1", "茶语时光又上热搜")])
    assert list(m.columns) == MEMBERSHIP_COLUMNS
    assert m.values.tolist() == [["w:2", "e1", "text"], ["w:1", "e2", "text"]]


def test_event_id_wins_and_other_events_never_leak_in():
    m = of(
        run(
            [
                c("w:1", "南城七中老师体罚学生", event_id="e2"),  # says e2, mentions e1
                c("w:2", "与事件无关的一条微博", event_id="e1"),
            ]
        )
    )
    assert m == {"w:1": {"e2": "event_id"}, "w:2": {"e1": "event_id"}}


def test_joins_by_keyword_and_by_entity():
    m = of(
        run(
            [
                c("w:1", "听说南城七中出事了"),
                c("w:2", "林晓雯老师人很好的"),
                c("w:3", "@东湖派出所 请查一下"),
                c("w:4", "今天天气不错"),
                c("w:5", "老板陈建国出来道歉"),
                c("w:6", None),
            ]
        )
    )
    assert m == {
        "w:1": {"e1": "text"},
        "w:2": {"e1": "text"},
        "w:3": {"e1": "text"},
        "w:5": {"e2": "text"},
    }


def test_one_content_can_join_two_events():
    m = of(run([c("w:1", "南城七中和茶语时光都上热搜了")]))
    assert m == {"w:1": {"e1": "text", "e2": "text"}}


def test_joins_by_reply_down_the_thread():
    m = of(
        run(
            [
                c("w:1", STORY, event_id="e1"),
                c("w:2", "太过分了", reply_to="w:1"),
                c("w:3", "确实", reply_to="w:2"),
                c("w:4", "这是哪里", reply_to="w:9"),
                c("w:5", "回复一下", reply_to="w:6", event_id="e2"),
                c("w:6", "e2的帖子", event_id="e2"),
            ]
        )
    )
    assert m["w:2"] == {"e1": "reply"} and m["w:3"] == {"e1": "reply"}
    assert "w:4" not in m
    # a reply that carries its own event_id does not follow its parent elsewhere
    assert m["w:5"] == {"e2": "event_id"}


def test_a_reply_with_its_own_event_id_stops_the_thread_from_crossing():
    m = of(
        run(
            [
                c("w:1", STORY, event_id="e1"),
                c("w:2", "说点别的", reply_to="w:1", event_id="e2"),
                c("w:3", "嗯嗯", reply_to="w:2"),
            ]
        )
    )
    assert m["w:2"] == {"e2": "event_id"}
    assert m["w:3"] == {"e2": "reply"}  # follows its own parent only


def test_joins_by_repost_chain():
    m = of(
        run(
            [c("w:1", STORY, event_id="e1"), c("w:8", "无关的微博")],
            [r("r:1", "w:1"), r("r:2", "r:1", "转发"), r("r:3", "r:2"), r("r:4", "w:8")],
        )
    )
    assert m["r:1"] == m["r:2"] == m["r:3"] == {"e1": "repost"}
    assert "r:4" not in m and "w:8" not in m


def test_joins_by_near_duplicate_copy():
    edited = "转：" + STORY.replace("长期", "一直") + "！！"
    m = of(
        run(
            [
                c("w:1", STORY, event_id="e1"),
                c("d:2", edited, acc="douyin:x"),
                c("w:3", "网传初二班主任今天去植物园写生，孩子们都画得很认真"),
                c("w:4", TEA, event_id="e2"),
                c("w:5", "扩散：" + TEA),
            ]
        )
    )
    assert m["d:2"] == {"e1": "copy"}
    assert "w:3" not in m
    assert m["w:5"] == {"e2": "copy"}


def test_every_exact_copy_joins():
    # several identical copies of one event content: each of them is a copy
    copy = "转：" + STORY + "！！"
    m = of(
        run(
            [c("w:1", STORY, event_id="e1")]
            + [c(f"w:{k}", copy, acc=f"weibo:{k}") for k in range(2, 6)]
        )
    )
    assert [m.get(f"w:{k}") for k in range(2, 6)] == [{"e1": "copy"}] * 4


def test_joins_by_equal_media():
    m = of(
        run(
            [
                c("w:1", "视频", event_id="e1", media_hash="ph:abc"),
                c("d:2", "看这个", media_hash="ph:abc"),
                c("d:3", "看那个", media_hash="ph:xyz"),
            ]
        )
    )
    assert m["d:2"] == {"e1": "copy"} and "d:3" not in m


def test_reposts_of_copies_and_replies_follow():
    m = of(
        run(
            [
                c("w:1", STORY, event_id="e1"),
                c("d:2", STORY + "。", acc="douyin:x"),
                c("w:3", "好的", reply_to="w:1"),
            ],
            [r("r:1", "d:2"), r("r:2", "w:3")],
        )
    )
    assert m["r:1"] == {"e1": "repost"} and m["r:2"] == {"e1": "repost"}


def test_reply_to_a_copy_or_a_repost_joins():
    m = of(
        run(
            [
                c("w:1", STORY, event_id="e1"),
                c("d:2", STORY + "。", acc="douyin:x"),
                c("d:3", "真的假的", reply_to="d:2"),
                c("w:4", "评论转发", reply_to="r:1"),
            ],
            [r("r:1", "w:1")],
        )
    )
    assert m["d:3"] == {"e1": "reply"}
    assert m["w:4"] == {"e1": "reply"}


def test_repost_of_deleted_source_joins_by_its_comment():
    # the source is gone (a placeholder or absent); the repost's comment names the event
    m = of(
        run(
            [c("w:gone", placeholder=True)],
            [
                r("r:1", "w:gone", "南城七中这老师太过分了"),
                r("r:2", "r:1"),
                r("r:3", "w:gone", "转发微博"),
                r("r:4", "w:missing", "茶语时光快关门"),
                r("r:5", "w:missing"),
            ],
        )
    )
    assert m["r:1"] == {"e1": "text"} and m["r:2"] == {"e1": "repost"}
    assert "r:3" not in m and "r:5" not in m
    assert m["r:4"] == {"e2": "text"}
    assert "w:gone" not in m  # placeholders belong to no event by themselves


def test_deterministic():
    rows = [c("w:1", STORY, event_id="e1"), c("w:2", "南城七中"), c("w:3", "好", reply_to="w:1")]
    reps = [r("r:1", "w:1"), r("r:2", "r:1")]
    a = run(rows, reps)
    b = run(list(reversed(rows)), list(reversed(reps)))
    pd.testing.assert_frame_equal(a, b)


def test_no_events_no_contents():
    assert run([], events=[E1]).empty
    m = run([c("w:1", "南城七中")], events=[])
    assert m.empty or set(m["via"]) == set()


# --- the sample incident, scoped from its CSV files --------------------------------------------


def test_sample_incident_scoping(tmp_path):
    from pileon.ingest.sample import generate_incident

    truth = generate_incident(tmp_path / "incident", seed=11, scale=0.1)
    projections = sample_projections(tmp_path / "incident")
    assert set(projections) == set(truth["events"])
    listed = {
        eid: {a for v in roles.values() if isinstance(v, list) for a in v}
        for eid, roles in truth["events"].items()
    }
    for eid, p in projections.items():
        roles = truth["events"][eid]
        authors = set(p.contents["account_id"].dropna()) | set(p.reposts["account_id"])
        planted = {
            a
            for k in ("first_poster", "inciter", "splicer", "impersonator")
            for a in roles.get(k, [])
        }
        assert planted <= authors, (eid, planted - authors)
        # another event's accounts never appear
        foreign = set().union(*(v for e, v in listed.items() if e != eid)) - listed[eid]
        assert not (authors & foreign), (eid, sorted(authors & foreign)[:5])
        # a content that names an event is in that event only
        assert set(p.contents["event_id"].dropna()) <= {eid}, eid
