"""Splicers (跨平台搬运拼接) on tiny hand-made projections, with the traps of the issue."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pileon.detectors.splicing import detect_splicers, find_splices
from pileon.graph.projection import Projection
from pileon.graph.textsim import jaccard, normalize

A1 = "南城七中初二班主任长期体罚学生，昨天把一个男生打到耳膜穿孔住院了"
A2 = "家长去学校讨说法被保安赶了出来，学校还想把事情压下去"
B1 = "听说她的老公就在东湖派出所上班，所以家长报警根本没人管"
B2 = "学校和教育局都在护着她，这里面水太深了，细思极恐"
OTHER = "今天天气很好，适合带孩子们去植物园写生，大家画得都很认真"


def c(cid, acc, plat, hour, text, harm=None, kind="post"):
    return {
        "content_id": cid,
        "account_id": acc,
        "platform": plat,
        "kind": kind,
        "posted_at": f"2026-03-01T{hour:02d}:00:00+08:00",
        "text": text,
        "harm": harm,
    }


def proj(*rows):
    return Projection.from_tables({"event_id": "e1"}, contents=list(rows))


def base():
    return [
        c("douyin:1", "douyin:a", "douyin", 8, A1 + "，" + A2, harm=0.9),
        c("bili:2", "bili:b", "bilibili", 9, B1 + "，" + B2, harm=0.8),
    ]


def test_two_sources_on_other_platforms_make_a_splice():
    p = proj(
        *base(), c("weibo:3", "weibo:s", "weibo", 12, "震惊！" + A1 + "。" + B1 + "！！", harm=0.9)
    )
    f = detect_splicers(p)
    assert [x.account_id for x in f] == ["weibo:s"]
    ev = f[0].evidence[0]
    assert ev.kind == "splice"
    assert set(ev.content_ids) == {"weibo:3", "douyin:1", "bili:2"}
    assert "douyin:a" in ev.detail and "bili:b" in ev.detail and "bilibili" in ev.detail
    assert f[0].numbers["cross_platform"] == 1.0 and f[0].numbers["harmful"] == 1.0
    s = find_splices(p)[0]
    assert [fr.source_id for fr in s.fragments] == ["douyin:1", "bili:2"]  # in text order
    # the fragments are disjoint parts of the splice
    assert s.fragments[0].end <= s.fragments[1].start


def test_single_source_copy_is_not_a_splice():
    edited = "转：" + (A1 + "，" + A2).replace("长期", "一直").replace("学生", "学生们") + "😡"
    p = proj(
        *base(),
        c("weibo:3", "weibo:s", "weibo", 12, edited),
        c("weibo:4", "weibo:t", "weibo", 13, A1 + A2 + "大家评评理"),
    )
    assert detect_splicers(p) == []


def test_self_splice_is_not_counted():
    rows = [
        c("weibo:1", "weibo:s", "weibo", 8, A1),
        c("weibo:2", "weibo:s", "weibo", 9, B1),
        c("weibo:3", "weibo:s", "weibo", 12, A1 + "。" + B1),
    ]
    assert detect_splicers(proj(*rows)) == []
    # one own source and one foreign one: still only one source by another account
    rows[1] = c("weibo:2", "weibo:x", "weibo", 9, B1)
    assert detect_splicers(proj(*rows)) == []
    assert detect_splicers(proj(*rows), min_sources=2) == []


def test_sources_must_be_earlier():
    p = proj(c("weibo:3", "weibo:s", "weibo", 7, A1 + "。" + B1), *base())
    assert detect_splicers(p) == []


def test_same_time_is_not_earlier():
    rows = base()
    p = proj(
        rows[0],
        c("bili:2", "bili:b", "bilibili", 8, B1 + "，" + B2),
        c("weibo:3", "weibo:s", "weibo", 8, A1 + "。" + B1),
    )
    assert detect_splicers(p) == []


def test_copy_of_a_splice_is_a_copy():
    splice = A1 + "。" + B1
    p = proj(
        *base(),
        c("weibo:3", "weibo:s", "weibo", 12, splice),
        c("weibo:4", "weibo:u", "weibo", 14, splice + "扩散"),
        c("weibo:5", "weibo:v", "weibo", 15, splice),
    )
    assert [x.account_id for x in detect_splicers(p)] == ["weibo:s"]


def test_short_shared_phrases_do_not_splice():
    # stock openers and closers recombined: fragments shorter than min_fragment_chars
    rows = [
        c("weibo:1", "weibo:a", "weibo", 8, "林晓雯你配当老师吗？必须开除！"),
        c("weibo:2", "weibo:b", "weibo", 9, "这种人赶紧滚出教师队伍！等着被挂吧。"),
        c("weibo:3", "weibo:c", "weibo", 10, "林晓雯你配当老师吗？等着被挂吧。"),
    ]
    assert detect_splicers(proj(*rows)) == []


def test_fragments_must_cover_enough():
    long_own = "我自己写了很长很长的一段话来表达观点，这些内容和别人都没有关系，纯属原创评论，" * 3
    p = proj(*base(), c("weibo:3", "weibo:s", "weibo", 12, A1 + long_own + B1))
    assert detect_splicers(p) == []
    assert [x.account_id for x in detect_splicers(p, min_coverage=0.2)] == ["weibo:s"]


def test_three_sources_and_strength_order():
    rows = base() + [c("xhs:3", "xhs:c", "xiaohongshu", 10, OTHER)]
    same = c("weibo:5", "weibo:q", "weibo", 11, "我看到的：" + A1)  # same-platform source
    p = proj(
        *rows,
        same,
        c("weibo:4", "weibo:s", "weibo", 12, A1 + B1 + OTHER, harm=0.95),
        c("douyin:6", "douyin:r", "douyin", 13, A1 + "，" + A2[:4] + B2),
    )
    f = {x.account_id: x for x in detect_splicers(p)}
    assert set(f) == {"weibo:s", "douyin:r"}
    assert f["weibo:s"].numbers["sources"] == 3
    assert f["weibo:s"].strength > f["douyin:r"].strength
    assert all(0 < x.strength <= 1 for x in f.values())


def test_placeholders_and_missing_text_are_ignored():
    rows = base() + [
        {"content_id": "weibo:gone", "placeholder": True},
        c("weibo:7", "weibo:z", "weibo", 12, None),
    ]
    assert detect_splicers(proj(*rows)) == []


def test_sorted_and_deterministic():
    rows = base()
    for k, (acc, text) in enumerate(
        [("weibo:z", A2 + B2), ("weibo:m", A1 + B2), ("weibo:a2", B1 + A2)]
    ):
        rows.append(c(f"weibo:{10 + k}", acc, "weibo", 12 + k, text))
    f1 = detect_splicers(proj(*rows))
    f2 = detect_splicers(proj(*reversed(rows)))
    assert [x.account_id for x in f1] == ["weibo:a2", "weibo:m", "weibo:z"]
    assert f1 == f2


@pytest.mark.parametrize(
    "kw",
    [
        {"min_sources": 1},
        {"min_fragment_chars": 3},
        {"k": 1},
        {"min_coverage": 0},
        {"copy_coverage": 1.5},
        {"max_gap": -1},
    ],
)
def test_bad_options(kw):
    with pytest.raises(ValueError):
        detect_splicers(proj(*base()), **kw)


OPENERS = [
    "这种人根本就不配当老师吧",
    "学校到底什么时候给个说法",
    "我们家长绝对不会善罢甘休",
    "教育系统里怎么会有这种人",
    "看完气得我晚饭都吃不下了",
    "真不知道她是怎么当上老师",
]
CLOSERS = [
    "建议有关部门立刻严肃处理",
    "大家一定要帮忙扩散出去啊",
    "这件事情必须一查到底才行",
    "希望记者朋友们跟进报道下",
    "不给个说法我们绝不罢休",
    "请教育局尽快出来回应一下",
]


def test_long_stock_phrases_recombined_are_not_splices():
    # many posts and comments recombine the same long stock phrases: no one spliced a story
    rows, n = [], 0
    for o in OPENERS:
        for cl in CLOSERS:
            for kind in ("post", "comment"):
                n += 1
                rows.append(
                    c(f"weibo:{n}", f"weibo:u{n}", "weibo", 8 + (n % 14), o + "，" + cl, kind=kind)
                )
    # fragments as short as the phrases (the default minimum, 14, is longer than they are)
    assert detect_splicers(proj(*rows)) == []
    assert detect_splicers(proj(*rows), min_fragment_chars=10) == []
    # the stock-phrase test is what keeps them out: without it they would all be splices
    assert len(detect_splicers(proj(*rows), min_fragment_chars=10, stock_hosts=10_000)) > 5


def test_story_sentences_reused_by_a_few_splicers_still_count():
    rows = base()
    rows += [
        c("weibo:3", "weibo:s1", "weibo", 12, A1 + "。" + B1),
        c("weibo:4", "weibo:s2", "weibo", 13, A1 + "。" + B2),
        c("xhs:5", "xhs:s3", "xiaohongshu", 14, A2 + "。" + B1),
    ]
    assert [x.account_id for x in detect_splicers(proj(*rows))] == [
        "weibo:s1",
        "weibo:s2",
        "xhs:s3",
    ]


def test_edited_fragments_from_cross_platform_copies():
    # the splicer lifts from edited copies (搬运) rather than from the originals
    rows = base() + [
        c("weibo:3", "weibo:x", "weibo", 10, "转：" + (A1 + A2).replace("长期", "一直")),
        c("weibo:4", "weibo:y", "weibo", 11, "扩散！" + B1 + B2 + "😡"),
        c(
            "weibo:5",
            "weibo:s",
            "weibo",
            12,
            "整理一下："
            + A1.replace("长期", "一直").replace("学生", "学生们")
            + "。更离谱的是，"
            + B1
            + "！",
        ),
    ]
    f = detect_splicers(proj(*rows))
    assert [x.account_id for x in f] == ["weibo:s"]
    assert f[0].numbers["sources"] == 2


def test_kinds_option():
    splice = c("weibo:3", "weibo:s", "weibo", 12, A1 + "。" + B1, kind="comment")
    assert detect_splicers(proj(*base(), splice)) == []  # comments are not examined by default
    assert [x.account_id for x in detect_splicers(proj(*base(), splice), kinds=None)] == ["weibo:s"]
    missing = dict(splice, kind=None)  # a missing kind is a post
    assert [x.account_id for x in detect_splicers(proj(*base(), missing))] == ["weibo:s"]


# --- the sample incident ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The sample incident through the real path: files -> ingest -> store -> projection."""
    from pileon.graph.projection import project
    from tests.rows import load_sample

    store, truth = load_sample(tmp_path_factory.mktemp("splice-sample"), seed=3, scale=0.3)
    try:
        return truth, {eid: project(store, eid) for eid in truth["events"]}
    finally:
        store.close()


def test_sample_incident_splicers(sample):
    truth, projections = sample
    for eid, p in projections.items():
        planted = set(truth["events"][eid]["splicer"])
        found = {f.account_id for f in detect_splicers(p)}
        assert planted <= found, (eid, planted - found)
        if found:
            assert len(found & planted) / len(found) >= 0.6, (eid, found - planted)
    # the evidence names the planted sources
    e1 = next(e for e, r in truth["events"].items() if r["splicer"])
    spliced = {s.content_id: set(s.source_ids) for s in find_splices(projections[e1])}
    text = {
        cid: normalize(t)
        for cid, t in zip(projections[e1].contents["content_id"], projections[e1].contents["text"])
    }
    for content_id, sources in truth["extras"]["splices"].items():
        named = spliced[content_id]
        assert len(named) == len(sources)
        # each planted source is named, or a copy of it that the data shows was posted earlier
        for src in sources:
            assert src in named or any(jaccard(text[n], text[src]) >= 0.7 for n in named), src


def test_rebuttal_quoting_two_rumours_is_not_a_splice():
    rebuttal = "【辟谣】网传“" + A1 + "”“" + B1 + "”，经核实均系谣言。"
    p = proj(*base(), c("weibo:9", "weibo:police", "weibo", 15, rebuttal, harm=0.03))
    assert detect_splicers(p) == []
    # it is the known low harm that clears it: unknown harm is examined
    q = proj(*base(), c("weibo:9", "weibo:police", "weibo", 15, rebuttal))
    assert [x.account_id for x in detect_splicers(q)] == ["weibo:police"]
    assert [x.account_id for x in detect_splicers(p, benign_harm=None)] == ["weibo:police"]


def test_copies_of_a_viral_splice_do_not_hide_another_splice():
    first = A1 + "。" + B1 + "！"
    rows = base() + [c("weibo:3", "weibo:s1", "weibo", 12, first)]
    rows += [c(f"weibo:{10 + k}", f"weibo:cp{k}", "weibo", 13, "转发：" + first) for k in range(8)]
    rows += [
        c(
            "xhs:4",
            "xhs:q",
            "xiaohongshu",
            14,
            B1 + "。我觉得还是要等官方的调查结果，不能只听一面之词，大家理性讨论。",
        ),
        c("douyin:5", "douyin:s2", "douyin", 15, B1.replace("就在", "正在") + "，而且" + A2 + "。"),
    ]
    assert [x.account_id for x in detect_splicers(proj(*rows))] == ["douyin:s2", "weibo:s1"]


# --- an incident in another style (not our generator): other names, conventions and traps --------


def other_incident(seed=0, n_crowd=400, with_old_name=True, n_templates=160):
    """A small incident written independently of ``pileon.ingest.sample``: three stories copied only a
    few times, posts and comments recombined from long stock phrases, three splicers (one
    a video with an edit, one copied virally), a self-splice, a rebuttal quoting two
    rumours, three impersonators (a decorated name renamed back, an institution's
    department before the start, a homophone) and five traps (a similar name taken long
    before, an unrelated rename, the verified company tidying its name, a different
    person's similar name, the victim herself).  Returns ``(projection, splicers,
    impersonators, not_impersonators)``."""
    rng = np.random.default_rng(seed)
    T0 = pd.Timestamp("2026-05-10T09:00:00+08:00")
    ev = {
        "event_id": "evt:hy",
        "name": "恒远科技员工赵雅琴被网暴",
        "started_at": T0.isoformat(),
        "keywords": ["恒远科技", "赵雅琴", "HR霸凌"],
        "entities": ["赵雅琴", "恒远科技有限公司", "恒远科技", "滨江区人社局"],
        "target_ids": ["douyin:victim"],
    }
    C, RN, A = [], [], []

    def acc(aid, name, **kw):
        A.append({"account_id": aid, "platform": aid.split(":")[0], "name": name, **kw})

    n = [0]

    def post(aid, t, text, harm=None, kind="post", reply_to=None):
        n[0] += 1
        cid = f"{aid.split(':')[0]}:p{n[0]}"
        C.append(
            {
                "content_id": cid,
                "account_id": aid,
                "platform": aid.split(":")[0],
                "posted_at": t.isoformat(),
                "text": text,
                "harm": harm,
                "kind": kind,
                "reply_to": reply_to,
            }
        )
        return cid

    acc("douyin:victim", "赵雅琴Zoe")
    acc("weibo:company", "恒远科技", verified=True)
    S1 = [
        "恒远科技的HR赵雅琴私下克扣实习生工资，还威胁不签字就不给开实习证明",
        "有同事实名举报她，结果被公司约谈劝退",
        "这种人凭什么还能留在公司",
    ]
    S2 = [
        "赵雅琴在面试时当众嘲讽求职者的学历和长相，录音已经流出来了",
        "恒远科技一直在包庇她，人社局也不管",
        "建议大家都去看看录音",
    ]
    S3 = [
        "知情人爆料：赵雅琴的舅舅是滨江区人社局的领导，所以投诉全都石沉大海",
        "难怪公司对她这么客气",
    ]
    fp = {}
    fp[1] = post("douyin:f1", T0, "，".join(S1), harm=0.85)
    acc("douyin:f1", "真相挖掘机")
    fp[2] = post("xiaohongshu:f2", T0 + pd.Timedelta(hours=3), "。".join(S2), harm=0.8)
    acc("xiaohongshu:f2", "职场吐槽君")
    fp[3] = post("bilibili:f3", T0 + pd.Timedelta(hours=5), "，".join(S3), harm=None)
    acc("bilibili:f3", "打工人日报")
    crowd = [
        f"{p}:u{i}"
        for i, p in enumerate(rng.choice(["weibo", "douyin", "xiaohongshu", "bilibili"], n_crowd))
    ]
    for a in crowd:
        acc(a, f"网友{rng.integers(10**5, 10**6)}")
    stories = [S1, S2, S3]
    # copies with edits, a few per story only
    for k in range(12):
        s = stories[k % 3]
        a = crowd[k]
        txt = "，".join(s).replace("赵雅琴", "赵某琴" if k % 4 == 0 else "赵雅琴")
        post(
            a,
            T0 + pd.Timedelta(hours=6 + k),
            "搬运：" + txt + rng.choice(["", "！！", "…"]),
            harm=0.7,
        )
    # template posts and comments from long stock phrases
    OPEN = [
        "这种职场霸凌必须严肃处理才行",
        "恒远科技这家公司我记住你了",
        "打工人太难了真的受够这种人",
        "人事部门不作为简直令人心寒",
        "看完真的气得我一晚上没睡着",
    ]
    Z = [
        "希望相关部门尽快介入调查吧",
        "大家一起帮忙扩散让更多人看到",
        "不给个说法这事就没完",
        "以后再也不会投这家公司的简历",
    ]
    for k in range(n_templates):
        a = crowd[12 + k % 300]
        post(
            a,
            T0 + pd.Timedelta(hours=8, minutes=7 * k),
            rng.choice(OPEN) + "，" + rng.choice(Z),
            harm=float(rng.uniform(0.3, 0.7)),
            kind="post" if k % 3 else "comment",
            reply_to=None,
        )
    # splicers
    sp = {}
    acc("weibo:sp1", "热点搬运站")
    acc("bilibili:sp2", "吃瓜前线")
    acc("weibo:sp3", "一线爆料")
    sp["weibo:sp1"] = post(
        "weibo:sp1",
        T0 + pd.Timedelta(hours=20),
        "汇总：" + S1[0] + "。" + S2[0] + "。" + S3[0] + "！",
        harm=0.9,
    )
    sp["bilibili:sp2"] = post(
        "bilibili:sp2",
        T0 + pd.Timedelta(hours=26),
        S2[0].replace("当众", "公开") + "，而且" + S1[1] + "。",
        harm=None,
        kind="video",
    )
    sp["weibo:sp3"] = post(
        "weibo:sp3", T0 + pd.Timedelta(hours=30), S3[0] + "，" + S1[0] + "，太黑了", harm=0.75
    )
    # copies of a splice (copies, not splices)
    for k in range(5):
        post(
            crowd[320 + k],
            T0 + pd.Timedelta(hours=31 + k),
            "转发：汇总：" + S1[0] + "。" + S2[0] + "。" + S3[0],
            harm=0.8,
        )
    # self-splice (own earlier posts) -> not
    acc("weibo:self", "自说自话")
    post(
        "weibo:self",
        T0 + pd.Timedelta(hours=1),
        "恒远科技今天又开了一次全员大会，说是要整顿工作作风",
    )
    post("weibo:self", T0 + pd.Timedelta(hours=2), "听说赵雅琴下周要调去别的部门了，消息来源可靠")
    post(
        "weibo:self",
        T0 + pd.Timedelta(hours=40),
        "恒远科技今天又开了一次全员大会，说是要整顿工作作风。听说赵雅琴下周要调去别的部门了",
    )
    # debunk quoting two rumors
    acc("weibo:news", "滨江日报", verified=True)
    post(
        "weibo:news",
        T0 + pd.Timedelta(hours=50),
        "【辟谣】网传“" + S1[0] + "”“" + S3[0] + "”，经核实均系谣言。",
        harm=0.05,
    )
    # a single-source quote with long own commentary
    post(
        crowd[330],
        T0 + pd.Timedelta(hours=44),
        S2[0]
        + "。我觉得这件事还需要等待官方调查结果，不能只听一面之词，网络不是法外之地，大家理性讨论，不要人身攻击。",
        harm=0.2,
    )
    # comments replying to the victim
    vpost = post("douyin:victim", T0 - pd.Timedelta(days=3), "周末去爬山，风景很好")
    for k in range(60):
        post(
            crowd[k],
            T0 + pd.Timedelta(hours=10, minutes=13 * k),
            rng.choice(OPEN) + "，" + rng.choice(Z),
            harm=0.6,
            kind="comment",
            reply_to=vpost,
        )
    # impersonators
    imp = ["weibo:imp1", "douyin:imp2", "xiaohongshu:imp3"]
    acc("weibo:imp1", "快乐小狗")
    acc("douyin:imp2", "路人甲乙丙")
    acc("xiaohongshu:imp3", "momo")

    def rn(a, old, new, t):
        row = {"account_id": a, "new_name": new, "renamed_at": t.isoformat()}
        if with_old_name:
            row["old_name"] = old
        RN.append(row)

    rn("weibo:imp1", "快乐小狗", "赵雅琴本人", T0 + pd.Timedelta(hours=12))
    rn("weibo:imp1", "赵雅琴本人", "快乐小狗", T0 + pd.Timedelta(days=4))
    rn("douyin:imp2", "路人甲乙丙", "恒远科技HR部", T0 - pd.Timedelta(hours=10))
    rn("xiaohongshu:imp3", "momo", "赵亚琴", T0 + pd.Timedelta(days=1))
    for a in imp:
        post(a, T0 + pd.Timedelta(days=1, hours=3), "我是赵雅琴，我承认这些都是真的，对不起大家")
    # traps
    nots = ["weibo:old", "weibo:unrel", "weibo:company", "weibo:othername", "douyin:victim"]
    acc("weibo:old", "雅琴的小屋")
    acc("weibo:unrel", "小雨点")
    acc("weibo:othername", "阿婷")
    rn("weibo:old", "琴琴", "雅琴的小屋", T0 - pd.Timedelta(days=60))
    rn("weibo:unrel", "小雨点", "今天也要加油鸭", T0 + pd.Timedelta(days=1))
    rn("weibo:company", "恒远科技", "恒远科技有限公司", T0 + pd.Timedelta(days=2))
    rn("weibo:othername", "阿婷", "赵雅婷", T0 + pd.Timedelta(days=1))
    rn("douyin:victim", "赵雅琴Zoe", "用户已注销", T0 + pd.Timedelta(days=2))
    for a in ["weibo:old", "weibo:unrel", "weibo:company", "weibo:othername"]:
        post(a, T0 + pd.Timedelta(days=1, hours=5), "关于恒远科技的事情，大家等官方消息吧")
    # random crowd renames at random times
    for a in crowd[:40]:
        rn(
            a,
            "x",
            f"网友{rng.integers(10**5, 10**6)}",
            T0 + pd.Timedelta(days=int(rng.integers(-200, 5))),
        )
    accounts = pd.DataFrame(A).drop_duplicates("account_id")
    p = Projection.from_tables(ev, contents=C, renames=RN, accounts=accounts)
    return p, set(sp), set(imp), set(nots)


@pytest.mark.parametrize("seed", [0, 1])
def test_other_incident_splicers(seed):
    p, splicers, _, _ = other_incident(seed)
    assert {f.account_id for f in detect_splicers(p)} == splicers
