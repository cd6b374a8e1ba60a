"""First posters, repeat posters and inciters: tiny hand-made traps, then the sample incident."""

import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pileon.detectors import posters
from pileon.detectors.narratives import detect_narratives
from pileon.detectors.posters import (
    CTA_PATTERNS,
    call_to_action,
    detect_first_posters,
    detect_inciters,
    detect_multi_posters,
)
from pileon.graph.frames import coerce
from pileon.graph.model import TABLES, ColType
from pileon.graph.projection import Projection
from pileon.ingest.membership import compute_memberships
from tests.helpers import EDIT, STORY
from tests.helpers import content_row as _c
from tests.helpers import repost_row as _r

STORY2 = "听说林晓雯的老公就在东湖派出所上班，所以家长报警根本没人管，这里面水太深了，细思极恐"
NEWS = "【警情通报】网传南城七中教师体罚学生致其住院等信息经查均系编造，请广大网民不信谣不传谣"
EVENT = {"event_id": "e", "target_ids": ["victim"], "entities": ["林晓雯", "南城七中"]}


def _cascade(src, n, prefix, start=2, text=None, harm=np.nan):
    return [
        _r(f"{prefix}{i}", f"{prefix}u{i}", src, start + i, text=text, harm=harm) for i in range(n)
    ]


def _proj(event, **tables):
    return Projection.from_tables(event, **tables)


def _ids(findings):
    return [f.account_id for f in findings]


# --------------------------------------------------------------------------- first posters


def test_first_poster_of_spread_harmful_story_with_unknown_harm_on_the_first_post():
    contents = [
        _c("s1", "fp", 0, harm=np.nan),
        _c("s2", "cp1", 30, EDIT, harm=0.9),
        _c("s3", "cp2", 40, EDIT + "！", harm=0.8),
        _c("lone", "loner", 5, STORY2, harm=0.95),  # harmful but no spread
        _c("n1", "paper", 50, NEWS, harm=0.01),
    ]  # spread but benign
    reposts = _cascade("s1", 20, "a") + _cascade("n1", 40, "b")
    p = _proj(EVENT, contents=contents, reposts=reposts)
    res = detect_narratives(p)
    found = detect_first_posters(p, res)
    assert _ids(found) == ["fp"]
    f = found[0]
    assert f.role == "first_poster" and 0.5 < f.strength <= 1
    assert f.evidence[0].content_ids == ("s1",) and "22 reposts" not in f.evidence[0].detail
    assert f.numbers["reposts"] == 20 and f.numbers["copies"] == 2
    # strength grows with spread
    weak = detect_first_posters(p, res, min_strength=0.0)
    by = {x.account_id: x for x in weak}
    assert by["loner"].strength < by["fp"].strength


def test_template_comments_and_splices_have_no_first_poster():
    insult = "林晓雯你配当老师吗必须开除滚出教师队伍"
    contents = [_c("s1", "fp", 0, harm=0.9), _c("s2", "fp2", 5, STORY2, harm=0.9)]
    contents += [
        _c(f"k{i}", f"x{i}", 10 + i, insult, kind="comment", reply_to="s1", harm=0.9)
        for i in range(15)
    ]
    splice = "整理一下目前的消息：" + STORY[:30] + "。" + STORY2[:28] + "。必须严惩"
    contents += [_c("sp", "splicer", 60, splice, harm=0.9)]
    reposts = _cascade("s1", 15, "a") + _cascade("s2", 15, "b") + _cascade("sp", 15, "c", start=61)
    p = _proj(EVENT, contents=contents, reposts=reposts)
    res = detect_narratives(p)
    assert res.of_content["k3"] == "n-k0"  # the comments are one narrative ...
    assert _ids(detect_first_posters(p, res)) == ["fp", "fp2"]  # ... without a first poster
    assert "splicer" in _ids(detect_first_posters(p, res, derivative_max=1.0))


# --------------------------------------------------------------------------- repeat posters


def _crowd(n_each, n_accounts, heavy=None, heavy_n=12):
    contents = []
    k = 0
    for a in range(n_accounts):
        for _j in range(n_each):
            contents.append(
                _c(
                    f"c{k}",
                    f"u{a:03d}",
                    k % 500,
                    f"垃圾老师第{k}号评论滚出去吧",
                    kind="comment",
                    reply_to="root",
                    harm=0.8,
                )
            )
            k += 1
    if heavy:
        for j in range(heavy_n):
            contents.append(
                _c(
                    f"h{j}",
                    heavy,
                    j,
                    f"林晓雯道歉第{j}次，必须开除",
                    kind="comment",
                    reply_to="root",
                    harm=np.nan if j % 3 == 0 else 0.9,
                )
            )
    contents.append(_c("root", "fp", 0, harm=0.9))
    return contents


def test_repeat_poster_against_the_events_own_distribution():
    p = _proj(EVENT, contents=_crowd(1, 60, heavy="spammer", heavy_n=12))
    res = detect_narratives(p)
    found = detect_multi_posters(p, res)
    assert _ids(found) == ["spammer"]
    f = found[0]
    assert f.numbers["harmful_items"] >= 8  # unknown harm items count when the text model can tell
    assert "h1" in f.evidence[0].content_ids and "event median 1" in f.evidence[0].detail
    # the same 12 items are ordinary when everyone posts 8
    p2 = _proj(EVENT, contents=_crowd(8, 30, heavy="spammer", heavy_n=12))
    assert detect_multi_posters(p2, detect_narratives(p2)) == []


def test_repeat_poster_counts_harmful_repost_comments_not_plain_reposts():
    contents = _crowd(1, 40)
    reposts = [
        _r(f"r{i}", "amp", "root", 5 + i, text=f"太恶心了，第{i}次转发，开除她", harm=0.85)
        for i in range(10)
    ]
    reposts += [_r(f"q{i}", "plain", "root", 5 + i) for i in range(3)]
    reposts += [_r(f"q{i}x", "plain", f"r{i}", 50 + i) for i in range(10)]
    p = _proj(EVENT, contents=contents, reposts=reposts)
    assert _ids(detect_multi_posters(p, detect_narratives(p))) == ["amp"]


# --------------------------------------------------------------------------- inciters


def _incitement_world():
    contents = [
        _c("s1", "fp", 0, harm=0.9),  # the story
        _c("inc", "caller", 20, STORY2 + "，大家去她微博下面骂，人肉她！@林晓雯", harm=0.95),
        _c("n1", "paper", 30, NEWS, harm=0.0),  # benign, huge
        _c("inst", "org", 35, "医院领导是她亲戚，大家去医院官网留言。" + STORY2[:20], harm=0.8),
    ]
    reposts = _cascade("s1", 30, "a")
    # a repost WITH an inciting comment, itself reposted a lot (chains included)
    reposts.append(
        _r(
            "rc",
            "kai",
            "s1",
            40,
            text="大家都去@林晓雯 的评论区刷屏，不给说法就别停！//@fp:转发",
            harm=np.nan,
        )
    )
    reposts += _cascade("rc", 60, "b", start=41)
    reposts += [_r(f"bb{i}", f"bbu{i}", f"b{i}", 120 + i) for i in range(20)]
    reposts += _cascade("inc", 50, "c", start=21)
    reposts += _cascade("n1", 400, "d", start=31)
    reposts += _cascade("inst", 40, "e", start=36)
    # a harmful repost comment nobody reposted, and one by the victim
    reposts.append(_r("lonely", "angry", "s1", 50, text="人肉她！", harm=0.9))
    return _proj(
        EVENT,
        contents=contents,
        reposts=reposts,
        accounts=[
            {"account_id": "paper", "platform": "weibo", "verified": True, "followers": 12_000_000}
        ],
    )


def test_inciters_content_call_and_repost_comment_but_not_root_news_or_institution_call():
    p = _incitement_world()
    res = detect_narratives(p)
    found = detect_inciters(p, res)
    assert _ids(found) == ["caller", "kai"]
    kai = found[1]
    assert kai.evidence[0].content_ids == ("rc",) and kai.numbers["via_repost_comment"] == 1.0
    assert kai.numbers["credited_reach"] == 80  # its subtree, not the root's
    assert "aimed at a target" in kai.evidence[0].detail
    # the root story's author keeps only the reach credited to her post
    assert "fp" not in _ids(found)


def test_call_to_action_patterns():
    got = call_to_action(
        pd.Series(
            [
                "把周敏的电话挂出来，大家一起打！",
                "冲冲冲，新专辑太好听了",
                "Everyone go report her account, let's get her",
                "转发让更多人看到！",
            ]
        ),
        ["周敏"],
    )
    assert got["cta"].tolist() == [True, False, True, False]
    assert got["aimed"].tolist() == [True, False, True, False]


def test_cta_needles_follow_re_ignorecase_on_every_code_point():
    """Every character that re.IGNORECASE matches to a needle's character folds to it."""
    chars = sorted({ch for ns in posters._CTA_NEEDLES for n in ns for ch in n})
    any_of = re.compile("[" + "".join(re.escape(ch) for ch in chars) + "]", re.IGNORECASE)
    for code in range(sys.maxunicode + 1):
        c = chr(code)
        if 0xD800 <= code < 0xE000 or not any_of.fullmatch(c):
            continue
        same = {x for x in chars if re.fullmatch(re.escape(x), c, re.IGNORECASE)}
        assert same == {posters._fold(c)}, (hex(code), same, posters._fold(c))
    assert len(posters._CTA_NEEDLES) == len(CTA_PATTERNS)


@pytest.mark.parametrize("i", range(len(CTA_PATTERNS)))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_cta_needles_are_in_every_match(i, data):
    """A text that a pattern of CTA_PATTERNS matches holds one of its needles once folded,
    so the texts without any are rightly not searched; and call_to_action finds it."""
    pattern = re.compile(CTA_PATTERNS[i], re.IGNORECASE)
    text = data.draw(st.from_regex(pattern))
    assert pattern.search(text)
    folded = posters._fold(text)
    assert any(n in folded for n in posters._CTA_NEEDLES[i]), (text, folded)
    assert call_to_action(pd.Series([text, "nothing to see"]))["cta"].tolist() == [True, False]


def test_call_to_action_folds_case_like_re():
    """Upper case, and the letters re.IGNORECASE matches to s and i (ſ, İ), still match."""
    texts = pd.Series(["LET'S GET HER", "Let\u017f get him", "report H\u0130M now", "lets go"])
    got = call_to_action(texts)
    assert got["cta"].tolist() == [True, True, True, False]
    assert got["match"].tolist() == ["LET'S GET", "Let\u017f get", "report H\u0130M", ""]


def test_target_is_never_an_inciter_and_empty_inputs():
    contents = [_c("v", "victim", 0, "大家去她微博下面骂，人肉她！这是我收到的私信", harm=0.9)]
    p = _proj(EVENT, contents=contents, reposts=_cascade("v", 50, "a"))
    res = detect_narratives(p)
    assert detect_inciters(p, res) == []
    e = _proj({"event_id": "x"})
    er = detect_narratives(e)
    assert detect_inciters(e, er) == [] and detect_first_posters(e, er) == []
    assert detect_multi_posters(e, er) == []


# --------------------------------------------------------------------------- the sample incident


def _read_csv_tables(folder: Path) -> dict[str, pd.DataFrame]:
    out = {}
    for name, table in TABLES.items():
        path = folder / f"{name}.csv"
        if not path.exists():
            continue
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        df = df.astype(object).where(df.notna(), None)
        for col in table.columns:
            if col.type == ColType.LIST and col.name in df:
                df[col.name] = [[] if v is None else v.split("|") for v in df[col.name]]
        out[name] = df
    return out


def sample_projections(folder: Path) -> dict[str, Projection]:
    """Event projections of a sample incident, read straight from its CSV tables (membership
    by :func:`pileon.ingest.membership.compute_memberships`; deleted sources as placeholders)."""
    raw = _read_csv_tables(folder)
    contents, reposts = coerce("contents", raw["contents"]), coerce("reposts", raw["reposts"])
    events = coerce("events", raw["events"])
    members = compute_memberships(events, contents, reposts)
    known = set(raw["contents"]["content_id"]) | set(raw["reposts"]["repost_id"])
    out = {}
    for ev in raw["events"].to_dict("records"):
        ids = set(members.loc[members["event_id"] == ev["event_id"], "content_id"])
        c = raw["contents"][raw["contents"]["content_id"].isin(ids)]
        r = raw["reposts"][raw["reposts"]["repost_id"].isin(ids)]
        gone = sorted((set(r["source_id"]) | set(c["reply_to"].dropna())) - known)
        c = pd.concat(
            [c, pd.DataFrame({"content_id": gone, "placeholder": True})], ignore_index=True
        )
        authors = set(c["account_id"].dropna()) | set(r["account_id"])
        acc = raw["accounts"][raw["accounts"]["account_id"].isin(authors | set(ev["target_ids"]))]
        rep = raw["reports"][
            raw["reports"]["content_id"].isin(set(c["content_id"]) | set(r["repost_id"]))
        ]
        out[ev["event_id"]] = Projection.from_tables(
            ev, contents=c, reposts=r, accounts=acc, reports=rep
        )
    return out


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from pileon.ingest.sample import generate_incident

    folder = tmp_path_factory.mktemp("sample") / "incident"
    truth = generate_incident(folder, seed=7, scale=0.4)
    return truth, sample_projections(folder)


def _earlier_copy_by_other(p, res, account):
    """Whether the narrative of ``account``'s earliest harmful publication starts with someone
    else's earlier copy (then the data, not the detector, names another first poster)."""
    tab = res.table.set_index("narrative_id")
    mine = p.contents[p.contents["account_id"] == account]
    for cid in mine["content_id"]:
        nid = res.of_content[cid]
        if tab.loc[nid, "first_poster"] not in (None, account) and tab.loc[nid, "harmful"]:
            return True
    return False


def test_sample_incident_end_to_end(sample):
    truth, projections = sample
    for event_id, p in projections.items():
        roles = truth["events"][event_id]
        others = set()
        for e, r in truth["events"].items():
            if e != event_id:
                others |= {a for k, v in r.items() if isinstance(v, list) for a in v}
        mine_all = {a for k, v in roles.items() if isinstance(v, list) for a in v}
        foreign = others - mine_all
        res = detect_narratives(p)
        assert sum(n.size for n in res.narratives) == (
            len(p.contents) + len(res.missing_sources) + len(p.reposts)
        )
        for role, fn in (
            ("first_poster", detect_first_posters),
            ("multi_poster", detect_multi_posters),
            ("inciter", detect_inciters),
        ):
            found = {f.account_id for f in fn(p, res)}
            planted = set(roles[role])
            assert not (found & foreign), (event_id, role, found & foreign)
            if not planted:
                continue
            hit = found & planted
            assert len(hit) / max(len(found), 1) >= 0.6, (event_id, role, found - planted)
            if role == "multi_poster":
                assert len(hit) >= 0.8 * len(planted), (event_id, role, planted - found)
            elif role == "first_poster":
                # a planted first poster whose story another account copied EARLIER in the
                # generated data cannot be named from the data; at most one such case
                missed = planted - found
                excused = {a for a in missed if _earlier_copy_by_other(p, res, a)}
                assert missed == excused and len(excused) <= 1, (event_id, missed, excused)
            else:
                assert hit == planted, (event_id, role, planted - found)
        via = set(roles.get("inciter_via_repost_comment", []))
        if via:
            inc = {f.account_id: f for f in detect_inciters(p, res)}
            for a in via:
                assert inc[a].numbers["via_repost_comment"] == 1.0


def test_heavy_participant_with_mostly_benign_posts_needs_twice_the_bar():
    contents = _crowd(1, 60)
    for acc, bad_n, good_n in (("chatty", 10, 20), ("prolific", 20, 20), ("hater", 10, 0)):
        contents += [
            _c(
                f"{acc}b{j}",
                acc,
                100 + j,
                f"{acc}骂人第{j}条，林晓雯滚出去",
                kind="comment",
                reply_to="root",
                harm=0.9,
            )
            for j in range(bad_n)
        ]
        contents += [
            _c(f"{acc}g{j}", acc, 200 + j, f"{acc}今天天气不错第{j}条", harm=0.05)
            for j in range(good_n)
        ]
    p = _proj(EVENT, contents=contents)
    found = {f.account_id: f for f in detect_multi_posters(p, detect_narratives(p))}
    assert sorted(found) == ["hater", "prolific"]
    assert found["prolific"].numbers["harmful_share"] == pytest.approx(0.5)
    assert found["hater"].numbers["bar"] < 10 <= found["hater"].numbers["harmful_items"]


def test_row_order_of_the_projection_changes_no_finding(sample):
    """Shuffled rows (keys no longer increasing) take the general paths: same answers."""
    from dataclasses import replace

    from pileon.detectors.renames import detect_impersonators
    from pileon.detectors.splicing import detect_splicers

    _, projections = sample
    p = max(projections.values(), key=lambda q: len(q.reposts))
    q = replace(
        p,
        contents=p.contents.sample(frac=1, random_state=1).reset_index(drop=True),
        reposts=p.reposts.sample(frac=1, random_state=2).reset_index(drop=True),
        accounts=p.accounts.sample(frac=1, random_state=3).reset_index(drop=True),
    )
    a, b = detect_narratives(p), detect_narratives(q)
    assert a.narratives == b.narratives and a.of_content == b.of_content
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_series_equal(a.harm.sort_index(), b.harm.sort_index())
    pd.testing.assert_series_equal(a.harm_source.sort_index(), b.harm_source.sort_index())
    for fn in (detect_first_posters, detect_multi_posters, detect_inciters):
        assert fn(p, a) == fn(q, b), fn.__name__
    assert detect_splicers(p) == detect_splicers(q)
    assert detect_impersonators(p) == detect_impersonators(q)
    assert sum(len(f.evidence) for f in detect_multi_posters(p, a) + detect_inciters(p, a)) > 0
