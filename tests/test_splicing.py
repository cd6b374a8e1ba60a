"""Splicers (跨平台搬运拼接) on tiny hand-made projections, and what is not a splice: a
copy of one source, a self-splice, later or simultaneous sources, short shared phrases,
recombined stock phrases, a rebuttal quoting two rumours."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pileon.detectors.splicing import detect_splicers, find_splices
from pileon.graph.projection import Projection
from pileon.graph.textsim import jaccard, normalize
from tests.helpers import other_incident

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
    from tests.helpers import load_sample

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


@pytest.mark.parametrize("seed", [0, 1])
def test_other_incident_splicers(seed):
    p, splicers, _, _ = other_incident(seed)
    assert {f.account_id for f in detect_splicers(p)} == splicers


def _stock_shape(n):
    """A candidate splice of A1 and B1 whose B1 fragment ``n`` comments of unrelated wording
    also carry (a stock phrase): ``n`` distinct host texts, none a near-copy of another."""
    import random

    rng = random.Random(n)
    alphabet = [chr(0x4E00 + i) for i in range(2000)]
    rows = base()[:1] + [
        c("weibo:b", "weibo:b", "weibo", 9, B1 + "，" + B2, harm=0.8),
        c("weibo:s", "weibo:s", "weibo", 12, A1 + "，" + B1, harm=0.9),
    ]
    for q in range(n):
        tail = "".join(rng.choice(alphabet) for _ in range(40))
        rows.append(c(f"weibo:h{q}", f"weibo:h{q}", "weibo", 10, B1 + tail, kind="comment"))
    return proj(*rows)


@pytest.mark.parametrize("n", [50, 400])
def test_stock_phrase_hosts_are_judged_in_linear_work(n):
    # Each distinct host text of a fragment is compared at most four times (splice, source,
    # two contexts): counting contexts stops at 2, the only number asked.  Grouping all of
    # them into contexts (as before) made n * (n - 1) / 2 comparisons for n hosts.
    from pileon.detectors import splicing as S

    p = _stock_shape(n)
    opts = _opts()
    texts = S._Texts.of(p, S.PUBLISHED_KINDS)
    prelim = S._candidate_splices(texts, opts)
    assert [texts.ids[i] for i, _, _ in prelim] == ["weibo:s"]
    ht = S._HostTexts(opts.k)
    out = S._lifted_splices(prelim, texts, opts, ht=ht)
    assert out == []  # B1 is carried by n unrelated texts: a stock phrase, so one source only
    assert n <= ht.comparisons <= 4 * (n + 4)
    assert find_splices(p) == []


# --- the bound on the host search (_hosts) ------------------------------------------------------


def _opts():
    from pileon.detectors import splicing as S

    return S._Options(
        min_fragment_chars=14,
        min_sources=2,
        min_coverage=0.4,
        copy_coverage=0.9,
        k=5,
        max_gap=3,
        min_dominance=0.5,
        stock_hosts=5,
        benign_harm=0.2,
    )


def _fragments(p):
    """The examined texts, the candidates and every fragment as (distinct text, start, end)."""
    from pileon.detectors import splicing as S

    texts = S._Texts.of(p, S.PUBLISHED_KINDS)
    prelim = S._candidate_splices(texts, _opts())
    pg = texts.grams(5)
    u = pg.codes[texts.pool_rows].tolist()
    frags = [(u[i], s, e) for i, chosen, _ in prelim for _, runs in chosen for s, e in runs]
    return texts, prelim, pg, frags


def _exact_hosts(pool, frag, k=5):
    """The hosts of a fragment by brute force: distinct texts with 60% of its k-grams."""
    g = {frag[q : q + k] for q in range(len(frag) - k + 1)}
    counts: dict[str, int] = {}
    for t in pool:
        if len(g & {t[q : q + k] for q in range(len(t) - k + 1)}) >= 0.6 * len(g):
            counts[t] = counts.get(t, 0) + 1
    return sorted(counts.items())


def _copied_source_shape(n):
    """A splice of A1 and B1 whose source of B1 was copied ``n`` times (with a short tag)
    and whose B1 ``n`` unrelated comments also carry: B1 is heavy to search, yet belongs
    to its source (half of its hosts are the source's copies and more)."""
    p = _stock_shape(n)
    rows = list(p.contents.to_dict("records"))
    src = B1 + "，" + B2
    for q in range(2 * n):
        rows.append(c(f"weibo:cp{q}", f"weibo:cp{q}", "weibo", 10, f"转{q % 7}：" + src))
    keep = ["content_id", "account_id", "platform", "kind", "posted_at", "text", "harm"]
    return proj(*({k: r[k] for k in keep} for r in rows))


@pytest.mark.parametrize("shape", ["stock", "copied"])
def test_host_search_within_budget_is_exact(shape):
    from pileon.detectors import splicing as S

    p = _stock_shape(60) if shape == "stock" else _copied_source_shape(60)
    texts, _, pg, frags = _fragments(p)
    h = S._hosts(pg, frags, 5)
    assert (h.rates == 1.0).all()
    for (u, s, e), hosts in zip(frags, h.texts):
        assert sorted(hosts) == _exact_hosts(texts.pool, pg.uniq[u][s:e])


def test_host_search_past_budget_samples_as_documented():
    from pileon.detectors import splicing as S

    p = _stock_shape(2000)
    texts, _, pg, frags = _fragments(p)
    exact = S._hosts(pg, frags, 5)
    budget = exact.meetings // 8
    h = S._hosts(pg, frags, 5, budget=budget)
    # the work stays within the budget (an expected bound: a little slack for the draws)
    assert h.meetings <= 1.1 * budget < exact.meetings
    heavy = int(np.argmin(h.rates))
    r = float(h.rates[heavy])
    assert 0.0 < r < 1.0
    # the heavy fragment's hosts are a sample of its exact hosts, each decided exactly ...
    full = dict(exact.texts[heavy])
    assert all(t in full and 1 <= m <= full[t] for t, m in h.texts[heavy])
    # ... of about r times their number (binomial: within 4 standard deviations)
    n = sum(full.values())
    drawn = sum(m for _, m in h.texts[heavy])
    assert abs(drawn - r * n) <= 4 * (n * r * (1 - r)) ** 0.5
    # a fragment whose load is under the cap is untouched
    light = int(np.argmax(h.rates))
    assert h.rates[light] == 1.0 and h.texts[light] == exact.texts[light]


@pytest.mark.parametrize("shape", ["stock", "copied"])
def test_stock_phrase_judged_the_same_when_sampled(shape, monkeypatch):
    # A1 + B1 where many contents carry B1: when B1 is a stock phrase (unrelated comments),
    # A1 + B1 is no splice; when most carriers are copies of B1's source, it is one.  The
    # sampled host search (an eighth of the exact work) reaches the same verdicts.
    from pileon.detectors import splicing as S

    p = _stock_shape(800) if shape == "stock" else _copied_source_shape(800)
    want = [] if shape == "stock" else ["weibo:s"]
    assert [s.account_id for s in find_splices(p)] == want
    _, _, pg, frags = _fragments(p)
    exact = S._hosts(pg, frags, 5)
    monkeypatch.setattr(S, "HOST_BUDGET", exact.meetings // 8)
    assert S._hosts(pg, frags, 5).rates.min() < 0.5  # the bound is what acts
    assert [s.account_id for s in find_splices(p)] == want


# --- the bulk steps on k-gram codes against plain per-content references ----------------------


def _greedy_reference(masks, max_gap, min_len):
    """The greedy choice of sources one content at a time (as before it ran in bulk)."""
    from pileon.detectors import splicing as S

    covered = np.zeros(len(next(iter(masks.values()))), dtype=bool)
    chosen = []
    while True:
        options = []
        for j in masks:
            if any(j == cj for cj, _ in chosen):
                continue
            runs = S._runs(masks[j] & ~covered, max_gap, min_len)
            gain = sum(int((masks[j] & ~covered)[s:e].sum()) for s, e in runs)
            if gain:
                options.append((gain, j, runs))
        if not options:
            return chosen, int(covered.sum())
        top = max(g for g, _, _ in options)
        _, best, runs = min((o for o in options if o[0] >= 0.9 * top), key=lambda o: o[1])
        chosen.append((best, runs))
        for s, e in runs:
            covered[s:e] |= masks[best][s:e]


@pytest.mark.parametrize("seed", range(4))
def test_sources_chosen_in_bulk_as_one_content_at_a_time(seed):
    # random masks of random contents (stretches of covered characters with small holes):
    # the rounds over all contents choose what the greedy of each content alone chooses
    from pileon.detectors import splicing as S

    rng = np.random.default_rng(seed)
    opts = _opts()
    contents = []
    for _ in range(60):
        size = int(rng.integers(28, 120))
        masks = {}
        for j in sorted(rng.choice(500, size=int(rng.integers(1, 9)), replace=False).tolist()):
            m = np.zeros(size, dtype=bool)
            for _ in range(int(rng.integers(1, 4))):
                a = int(rng.integers(0, size))
                m[a : a + int(rng.integers(5, 40))] = True
            m &= rng.random(size) > 0.1
            masks[j] = m
        contents.append((size, masks))
    flat = [m for _, masks in contents for m in masks.values()]
    chosen, covered = S._choose_sources(
        np.concatenate(flat),
        np.r_[0, np.cumsum([len(m) for m in flat])],
        np.repeat(np.arange(len(contents)), [len(masks) for _, masks in contents]),
        np.array([j for _, masks in contents for j in masks], dtype=np.int64),
        np.array([size for size, _ in contents], dtype=np.int64),
        opts,
    )
    for (_, masks), got, cov in zip(contents, chosen, covered):
        assert (got, cov) == _greedy_reference(masks, opts.max_gap, opts.min_fragment_chars)


def test_gram_sets_count_what_sets_of_k_gram_strings_count():
    # the exact overlap tests on codes (prefix filter, join) against Python sets of k-grams
    from pileon.detectors import splicing as S

    rng = np.random.default_rng(3)
    alphabet = [chr(0x4E00 + i) for i in range(12)]  # few letters: many shared k-grams
    pool = ["".join(rng.choice(alphabet, size=int(rng.integers(3, 40)))) for _ in range(80)]
    pool += [t[2:] + "了" for t in pool[:20]]  # near-copies
    codes, uniq = pd.factorize(np.asarray(pool, dtype=object))
    gc, bounds = S.gram_codes(uniq.tolist(), 3)
    pg = S._PoolGrams(codes.astype(np.int64), uniq, gc, bounds)
    n = len(uniq)
    gs = S._GramSets(pg, np.arange(n // 2), np.arange(n // 3, n))
    sets = [{t[q : q + 3] for q in range(len(t) - 2)} for t in uniq.tolist()]
    a, b = np.meshgrid(np.arange(n), np.arange(n // 3, n), indexing="ij")
    a, b = a.ravel(), b.ravel()
    shared = np.array([len(sets[x] & sets[y]) for x, y in zip(a.tolist(), b.tolist())])
    assert (gs._held(a, b, gs.size[a]) == shared).all()
    for share in (0.3, 0.7, 0.8):
        need = S._least(gs.size[a], share)
        want = np.array(
            [
                bool(sets[x]) and len(sets[x] & sets[y]) / len(sets[x]) >= share
                for x, y in zip(a.tolist(), b.tolist())
            ]
        )
        assert (gs.at_least(a, b, need) == want).all()
        texts = np.arange(n // 2)
        y, h = gs.join(texts, S._least(gs.size[texts], share))
        joined = set(zip(texts[y].tolist(), h.tolist()))
        assert joined == {
            (x, z) for x, z, w in zip(a.tolist(), b.tolist(), want) if w and x < n // 2
        }
