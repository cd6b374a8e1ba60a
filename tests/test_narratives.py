"""Narratives on tiny hand-made projections: grouping, first posters, sizes, harm."""

import numpy as np
import pandas as pd
import pytest

from pileon.detectors.harm import text_harm_model
from pileon.detectors.narratives import detect_narratives, near_media_pairs
from pileon.graph.projection import Projection
from pileon.graph.textsim import normalize
from tests.helpers import EDIT, STORY, T0
from tests.helpers import content_row as _c
from tests.helpers import repost_row as _r

OTHER = "今天带初二三班去植物园写生，孩子们画得真好，春天来了校园里的玉兰开了"


def _sizes_add_up(p, res):
    total = sum(n.size for n in res.narratives)
    assert total == len(p.contents) + len(res.missing_sources) + len(p.reposts)
    assert set(res.of_content) >= set(p.contents["content_id"]) | set(p.reposts["repost_id"])


def test_copies_across_platforms_group_and_first_poster_is_earliest():
    contents = [
        _c("d1", "dy", 30, EDIT, platform="douyin"),
        _c("w1", "wb", 10),
        _c("x1", "xhs", 50, OTHER, platform="xiaohongshu"),
    ]
    p = Projection.from_tables({"event_id": "e"}, contents=contents)
    res = detect_narratives(p)
    by = res.by_id()
    assert set(by) == {"n-w1", "n-x1"}
    n = by["n-w1"]
    assert n.first_poster == "wb" and n.first_content_id == "w1"
    assert n.platforms == ("douyin", "weibo") and n.content_ids == ("w1", "d1") and n.size == 2
    assert [x.narrative_id for x in res.narratives] == ["n-w1", "n-x1"]  # by first time
    _sizes_add_up(p, res)


def test_ties_break_by_content_id():
    p = Projection.from_tables({"event_id": "e"}, contents=[_c("b", "u2", 0), _c("a", "u1", 0)])
    n = detect_narratives(p).narratives
    assert len(n) == 1 and n[0].first_content_id == "a" and n[0].first_poster == "u1"


def test_sizes_count_reposts_through_chains_placeholders_and_missing_sources():
    contents = [
        _c("c1", "a", 0),
        _c("c2", "b", 5, EDIT),
        _c("z", "q", 7, OTHER),
        {"content_id": "gone", "placeholder": True},
    ]
    reposts = [
        _r("r1", "u1", "c1"),
        _r("r2", "u2", "r1"),
        _r("r3", "u3", "c2"),  # chain to c1, c2
        _r("r4", "u4", "gone"),
        _r("r5", "u5", "r4"),  # deleted source
        _r("r6", "u6", "elsewhere"),  # outside the projection
        _r("y1", "u7", "y2"),
        _r("y2", "u8", "y1"),
    ]  # a cycle
    p = Projection.from_tables({"event_id": "e"}, contents=contents, reposts=reposts)
    res = detect_narratives(p)
    by = res.by_id()
    assert by["n-c1"].size == 2 + 3
    assert by["n-gone"].size == 1 + 2 and by["n-gone"].first_poster is None
    assert by["n-elsewhere"].size == 1 + 1 and res.missing_sources == ("elsewhere",)
    assert by["n-z"].size == 1
    assert res.of_content["r2"] == "n-c1" and res.of_content["r5"] == "n-gone"
    assert res.of_content["y1"] == res.of_content["y2"]
    _sizes_add_up(p, res)


def test_no_text_is_own_narrative_unless_media_matches():
    h = "a3f09c1d77e2b450"
    near = f"{int(h, 16) ^ 0b101:016x}"  # two bits flipped
    far = f"{int(h, 16) ^ 0xFFFF:016x}"
    contents = [
        _c("v1", "a", 0, None, media_hash=h),
        _c("v2", "b", 3, None, media_hash=near),
        _c("v3", "c", 4, None, media_hash=far),
        _c("v4", "d", 5, None),
        _c("v5", "e", 6, None),
    ]
    p = Projection.from_tables({"event_id": "e"}, contents=contents)
    res = detect_narratives(p, media_max_distance=4)
    assert res.of_content["v2"] == "n-v1"
    assert res.of_content["v3"] == "n-v3" and res.of_content["v4"] == "n-v4"
    assert res.of_content["v5"] == "n-v5"
    assert detect_narratives(p, media_max_distance=0).of_content["v2"] == "n-v2"


def test_near_media_pairs_buckets_find_near_hashes_only():
    rng = np.random.default_rng(0)
    base = [f"{int(x):016x}" for x in rng.integers(0, 2**63, 300)]
    near = [f"{int(b, 16) ^ (1 << 7) ^ (1 << 40):016x}" for b in base[:50]]
    pairs = near_media_pairs(pd.Series(base + near + [base[3], None, "not-hex"]), max_distance=3)
    got = {tuple(sorted(p)) for p in pairs}
    assert {(i, 300 + i) for i in range(50)} <= got
    assert (3, 350) in got
    for i, j in got:
        a, b = (base + near + [base[3]])[i], (base + near + [base[3]])[j]
        assert bin(int(a, 16) ^ int(b, 16)).count("1") <= 3


def test_harm_known_mean_and_copy_with_unknown_harm_gets_narrative_harm():
    contents = [
        _c("c1", "a", 0, harm=np.nan),
        _c("c2", "b", 5, EDIT, harm=0.9),
        _c("c3", "c", 6, EDIT + "！", harm=0.7),
        _c("n1", "news", 1, OTHER, harm=0.05),
    ]
    p = Projection.from_tables({"event_id": "e"}, contents=contents)
    res = detect_narratives(p)
    n = res.by_id()["n-c1"]
    assert n.harmful and n.harm == pytest.approx(0.8)
    assert res.harm["c1"] == pytest.approx(0.8) and res.harm_source["c1"] == "narrative"
    assert not res.by_id()["n-n1"].harmful


def test_harm_absent_everywhere_decided_from_reactions_and_reports_but_not_for_targets():
    contents = [
        _c("s1", "liar", 0, harm=np.nan, target_ids="victim"),
        _c("v1", "victim", 1, OTHER, harm=np.nan),
    ]
    contents += [
        _c(
            f"k{i}",
            f"x{i}",
            10 + i,
            f"abusive reply number {i} to the story",
            kind="comment",
            reply_to="s1",
            harm=0.85,
        )
        for i in range(4)
    ]
    contents += [
        _c(
            f"m{i}",
            f"y{i}",
            20 + i,
            f"abusive reply number {i} to the victim",
            kind="comment",
            reply_to="v1",
            harm=0.9,
        )
        for i in range(4)
    ]
    reports = [
        {"report_id": f"rep{i}", "reported_at": T0.isoformat(), "content_id": cid}
        for i, cid in enumerate(["s1", "s1", "v1", "v1", "v1"])
    ]
    p = Projection.from_tables(
        {"event_id": "e", "target_ids": ["victim"]}, contents=contents, reports=reports
    )
    res = detect_narratives(p, text_model=False)
    by = res.by_id()
    assert by["n-s1"].harmful and by["n-s1"].harm is not None
    assert res.table.set_index("narrative_id").loc["n-s1", "harm_source"] == "inferred"
    # the victim's post drew abuse and reports: that does not make it harmful
    assert not by["n-v1"].harmful and by["n-v1"].harm is None


def test_text_model_learns_the_events_own_scored_texts():
    bad = [
        "林晓雯滚出教师队伍",
        "垃圾老师必须开除",
        "林晓雯你配当老师吗",
        "这种人赶紧滚",
        "恶心的老师滚出去",
    ]
    good = [
        "等官方通报再说",
        "希望早日查清真相",
        "不信谣不传谣",
        "理性吃瓜等反转",
        "支持依法处理造谣者",
    ]
    texts = pd.Series([normalize(t) for t in bad * 5 + good * 5])
    harm = pd.Series([0.9] * 25 + [0.05] * 25)
    model = text_harm_model(texts, harm, min_per_class=3)
    pred = model(pd.Series([normalize("垃圾老师滚出去"), normalize("等通报，理性吃瓜"), ""]))
    assert pred[0] > 0.5 > pred[1] and np.isnan(pred[2])
    assert text_harm_model(texts[:3], harm[:3], min_per_class=3) is None


def test_short_texts_do_not_match_and_comments_are_contents():
    contents = [
        _c("a", "u1", 0, "滚"),
        _c("b", "u2", 1, "滚"),
        _c("c", "u3", 2, STORY, kind="comment", reply_to="a"),
    ]
    p = Projection.from_tables({"event_id": "e"}, contents=contents)
    res = detect_narratives(p)
    assert res.of_content["a"] != res.of_content["b"]
    assert res.of_content["c"] == "n-c"
    _sizes_add_up(p, res)


def test_empty_projection():
    res = detect_narratives(Projection.from_tables({"event_id": "e"}))
    assert res.narratives == [] and res.of_content == {}


def test_many_near_copies_scale_without_all_pairs():
    rng = np.random.default_rng(1)
    n = 3000
    words = list(
        "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处府"
    )
    texts = ["".join(rng.choice(words, 40)) for _ in range(n // 3)]
    contents = []
    for i in range(n):
        t = texts[i % len(texts)]
        if i >= len(texts):
            t = t[:5] + "！" + t[5:] + "转发"
        contents.append(_c(f"c{i:05d}", f"a{i}", i, t))
    p = Projection.from_tables({"event_id": "e"}, contents=contents)
    res = detect_narratives(p)
    assert len(res.narratives) == len(texts)
    assert all(n.size == 3 for n in res.narratives)


def test_last_resort_is_the_narratives_inferred_harm_never_for_targets():
    contents = [
        _c("s1", "liar", 0, harm=np.nan),
        _c("s2", "copier", 9, EDIT, harm=np.nan),
        _c("lone", "troll", 3, OTHER, harm=np.nan),
        _c("v1", "victim", 4, "我是被造谣的老师，请大家不要再转发不实信息了", harm=np.nan),
    ]
    contents += [
        _c(
            f"k{i}",
            f"x{i}",
            10 + i,
            f"abusive reply number {i} to the story",
            kind="comment",
            reply_to="s1",
            harm=0.9,
        )
        for i in range(3)
    ]
    reports = [
        {"report_id": f"rep{i}", "reported_at": T0.isoformat(), "content_id": cid}
        for i, cid in enumerate(["lone", "lone", "v1", "v1", "v1"])
    ]
    p = Projection.from_tables(
        {"event_id": "e", "target_ids": ["victim"]}, contents=contents, reports=reports
    )
    res = detect_narratives(p, text_model=False)
    assert res.harm_source["s2"] == "narrative" and res.harm["s2"] == pytest.approx(0.9)
    # two reports on a lone content: its narrative's report signal 1 - 0.5 ** (2 reports / 1 content)
    assert res.harm_source["lone"] == "narrative" and res.harm["lone"] == pytest.approx(0.75)
    assert np.isnan(res.harm["v1"]) and res.harm_source["v1"] == "none"


@pytest.mark.parametrize("hex_len", [16, 32])
def test_near_media_pairs_are_exactly_the_near_hashes_once_each(hex_len):
    """Every pair within the distance, whatever the hash length (several 64-bit words), once."""
    rng = np.random.default_rng(hex_len)
    bits = 4 * hex_len
    base = [int(rng.integers(0, 2**62)) << (bits - 62) for _ in range(4)]
    vals = []
    for i in range(120):
        v = base[i % 4]
        for _ in range(int(rng.integers(0, 6))):
            v ^= 1 << int(rng.integers(0, bits))
        vals.append(v)
    hashes = [f"{v:0{hex_len}x}" for v in vals] + [f"0x{vals[0]:0{hex_len}X}", None, " "]
    pairs = near_media_pairs(pd.Series(hashes), max_distance=3)
    assert len(pairs) == len(set(pairs)) and all(i < j for i, j in pairs)
    first = {}
    for i, h in enumerate(hashes[:-2]):
        first.setdefault(h, i)
    equal = {(first[h], i) for i, h in enumerate(hashes[:-2]) if first[h] != i}
    distinct = sorted(set(first.values()))
    value = [int(hashes[i].lower().replace("0x", ""), 16) for i in range(len(hashes) - 2)]
    near = {
        (a, b)
        for x, a in enumerate(distinct)
        for b in distinct[x + 1 :]
        if bin(value[a] ^ value[b]).count("1") <= 3
    }
    assert set(pairs) == equal | near


def test_text_before_chain_is_the_chain_pattern_s():
    """own_texts cuts a ``//@`` chain by a search for its start, then ``rstrip``: the same
    text as cascades' chain pattern (leading whitespace of every kind, several chains,
    ``//`` that starts no chain, a chain at the start, line breaks after it)."""
    from pileon.detectors import narratives as N
    from pileon.detectors.cascades import _CHAIN

    rng = np.random.default_rng(2)
    pieces = ["a", "网", " ", "\u3000", "\t", "\n", "//", "@", "//@", "// @", ":", "http://x"]
    texts = ["".join(rng.choice(pieces, int(rng.integers(0, 14)))) for _ in range(5000)]
    assert [N._before_chain(t) for t in texts] == [_CHAIN.sub("", t) for t in texts]
    assert sum(N._before_chain(t) != t for t in texts) > 500
