"""Repost forests and reach attribution on tiny hand-made projections."""

import time
from functools import partial

import numpy as np
import pandas as pd
import pytest

from pileon.detectors.cascades import own_comment, reach, repost_forest
from pileon.graph.projection import Projection
from tests.helpers import T0, content_row
from tests.helpers import repost_row as _r

_c = partial(content_row, text="some story text here")


def test_chains_resolve_to_root_with_depth():
    p = Projection.from_tables(
        {"event_id": "e"},
        contents=[_c("c1", "a")],
        reposts=[_r("r3", "d", "r2", 3), _r("r1", "b", "c1", 1), _r("r2", "c", "r1", 2)],
    )
    f = repost_forest(p).set_index("repost_id")
    assert f["root_id"].to_dict() == {"r1": "c1", "r2": "c1", "r3": "c1"}
    assert f["depth"].to_dict() == {"r1": 1, "r2": 2, "r3": 3}
    assert set(f["root_kind"]) == {"content"}


def test_placeholder_missing_source_and_cycle_do_not_hang():
    contents = [_c("c1", "a"), {"content_id": "gone", "placeholder": True}]
    reposts = [
        _r("r1", "b", "gone"),
        _r("r2", "c", "r1"),  # deleted source (placeholder)
        _r("r3", "d", "nowhere"),
        _r("r4", "e", "r3"),  # source outside the projection
        _r("x1", "f", "x2"),
        _r("x2", "g", "x1"),
        _r("x3", "h", "x2"),
    ]  # a cycle
    p = Projection.from_tables({"event_id": "e"}, contents=contents, reposts=reposts)
    f = repost_forest(p).set_index("repost_id")
    assert f.loc["r2", "root_id"] == "gone" and f.loc["r2", "root_kind"] == "content"
    assert f.loc["r4", "root_id"] == "nowhere" and f.loc["r4", "root_kind"] == "missing"
    assert f.loc["r4", "depth"] == 2
    cyc = f.loc[["x1", "x2", "x3"]]
    assert (cyc["root_kind"] == "cycle").all()
    assert cyc["root_id"].nunique() == 1 and cyc["root_id"].iloc[0] in {"x1", "x2"}


def test_long_chain_is_fast():
    n = 20_000
    reposts = pd.DataFrame(
        {
            "repost_id": [f"r{i}" for i in range(n)],
            "account_id": [f"a{i % 50}" for i in range(n)],
            "source_id": ["c1"] + [f"r{i - 1}" for i in range(1, n)],
            "reposted_at": (T0 + pd.to_timedelta(np.arange(n), unit="s")),
        }
    )
    p = Projection.from_tables({"event_id": "e"}, contents=[_c("c1", "a")], reposts=reposts)
    t = time.perf_counter()
    f = repost_forest(p).set_index("repost_id")
    assert f.loc[f"r{n - 1}", "depth"] == n and f.loc[f"r{n - 1}", "root_id"] == "c1"
    r = reach(p).set_index("node_id")
    assert r.loc["c1", "downstream"] == n and r.loc["r0", "downstream"] == n - 1
    assert time.perf_counter() - t < 10


def test_own_comment_strips_chains_and_defaults():
    assert own_comment("冲！//@小猫:大家一起//@大狗:转发") == "冲！"
    assert own_comment("转发微博") == "" and own_comment("Retweet") == ""
    assert own_comment("  ") == ""


def test_subtree_sizes_and_inciting_repost_comment_takes_its_subtree():
    # c1 (harmless-looking root) <- r1 (plain) ; c1 <- r2 ("go attack her", harmful) <- 4 reposts
    contents = [_c("c1", "root", harm=0.2)]
    reposts = [_r("r1", "u1", "c1"), _r("r2", "inc", "c1", text="大家一起去她评论区骂她", harm=0.9)]
    reposts += [_r(f"s{i}", f"v{i}", "r2", 5 + i) for i in range(3)]
    reposts += [_r("s9", "v9", "s0", 20, text="转发微博")]
    p = Projection.from_tables({"event_id": "e"}, contents=contents, reposts=reposts)
    r = reach(p).set_index("node_id")
    assert r.loc["c1", "downstream"] == 6
    assert r.loc["r2", "downstream"] == 4 and r.loc["s0", "downstream"] == 1
    assert bool(r.loc["r2", "inciting"]) and not bool(r.loc["r1", "inciting"])
    # r2's subtree is credited to r2, not to the root; the root keeps r1 and r2 itself
    assert r.loc["r2", "attributed"] == 4 and r.loc["c1", "attributed"] == 2
    assert r.loc["s9", "credited_to"] == "r2"
    # plain reposts spread the text of their nearest commented ancestor
    assert r.loc["s9", "spread_harm"] == pytest.approx(0.9)
    assert r.loc["r2", "attributed_harmful"] == 4 and r.loc["c1", "attributed_harmful"] == 1
    assert r.loc["r2", "harmful_share"] == pytest.approx(1.0)
    assert r.loc["c1", "harmful_share"] == pytest.approx(5 / 6)


def test_commented_repost_without_reposts_is_not_inciting():
    p = Projection.from_tables(
        {"event_id": "e"},
        contents=[_c("c1", "a", harm=0.1)],
        reposts=[_r("r1", "b", "c1", text="awful, go get her", harm=0.95)],
    )
    r = reach(p).set_index("node_id")
    assert not bool(r.loc["r1", "inciting"]) and r.loc["c1", "attributed"] == 1


def test_benign_news_cascade_has_low_harmful_share_and_replies_count():
    contents = [_c("news", "paper", text="police statement: the rumour is false", harm=0.02)]
    contents += [
        _c(
            f"k{i}",
            f"x{i}",
            10 + i,
            text="harsh reply",
            kind="comment",
            reply_to="news",
            harm=0.9 if i == 0 else np.nan,
        )
        for i in range(3)
    ]
    reposts = [_r(f"r{i}", f"u{i}", "news", 2 + i) for i in range(50)]
    p = Projection.from_tables({"event_id": "e"}, contents=contents, reposts=reposts)
    r = reach(p).set_index("node_id")
    assert r.loc["news", "downstream"] == 50 and r.loc["news", "replies"] == 3
    assert r.loc["news", "activity"] == 53 and r.loc["news", "harmful_activity"] == 1
    assert r.loc["news", "harmful_share"] == pytest.approx(1 / 51)  # unknown harm not counted


def test_repost_harm_from_extra_json():
    reposts = pd.DataFrame(
        [_r("r1", "b", "c1", text="bad words", extra='{"harm": 0.8}'), _r("r2", "c", "r1")]
    )
    p = Projection.from_tables(
        {"event_id": "e"}, contents=[_c("c1", "a")], reposts=reposts.drop(columns=["extra"])
    )
    p.reposts["extra"] = ['{"harm": 0.8}', "{}"]
    r = reach(p).set_index("node_id")
    assert r.loc["r1", "harm"] == pytest.approx(0.8) and r.loc[
        "r2", "spread_harm"
    ] == pytest.approx(0.8)


def test_duplicate_and_clashing_repost_ids_unsorted_rows_and_replies_to_reposts():
    contents = [
        _c("c1", "a"),
        _c("k1", "x", 5, text="reply", kind="comment", reply_to="r1"),
        _c("k2", "y", 6, text="reply", kind="comment", reply_to="gone"),
    ]
    p = Projection.from_tables(
        {"event_id": "e"},
        contents=contents,
        reposts=[_r("r1", "b", "c1", 1), _r("r2", "c", "gone", 4)],
    )
    dup = p.reposts.iloc[[0, 0]].assign(repost_id=["r1", "c1"], account_id=["dup", "clash"])
    p.reposts = pd.concat([p.reposts.iloc[::-1], dup], ignore_index=True)  # unsorted, then repeats
    f = repost_forest(p)
    # the first row of a repeated ID is used; a repost carrying a content's ID is not a repost
    assert f["repost_id"].tolist() == ["r1", "r2"] and f["account_id"].tolist() == ["b", "c"]
    assert f["root_kind"].tolist() == ["content", "missing"]
    r = reach(p).set_index("node_id")
    assert r.index.tolist() == ["c1", "gone", "k1", "k2", "r1", "r2"]
    assert r.loc["r1", "replies"] == 1 and r.loc["gone", "replies"] == 1
    assert r.loc["c1", "activity"] == 2 and r.loc["gone", "activity"] == 2
    # the same answers as from the rows in order without the repeats
    p.reposts = p.reposts.iloc[[1, 0]].reset_index(drop=True)
    pd.testing.assert_frame_equal(reach(p), r.reset_index())
    pd.testing.assert_frame_equal(repost_forest(p), f)


def test_coded_forest_is_built_once_per_projection_and_follows_its_frames():
    import dataclasses
    import pickle

    from pileon.detectors.cascades import coded_forest

    p = Projection.from_tables(
        {"event_id": "e"},
        contents=[_c("c1", "a"), {**_c("c2", "z"), "reply_to": "r1"}],
        reposts=[_r("r1", "b", "c1", 1), _r("r2", "c", "r1", 2)],
    )
    first = coded_forest(p)
    before = reach(p)
    assert coded_forest(p) is first  # kept: repost_forest, reach and the stages share it
    assert reach(p).equals(before)
    q = dataclasses.replace(p)
    assert "coded_forest" not in q.derived
    assert pickle.loads(pickle.dumps(p)).derived == {}
    p.reposts = p.reposts[p.reposts["repost_id"] == "r1"].reset_index(drop=True)
    assert coded_forest(p) is not first  # another reposts frame: built again
    assert repost_forest(p)["repost_id"].tolist() == ["r1"]


def test_sorted_repost_ids_give_the_nodes_of_the_hashed_path():
    """The look-up path for sorted distinct repost IDs (a projection's) gives the nodes of
    the one factorization of every ID: contents with repeats, a repost carrying a
    content's ID, sources that are reposts, missing (two, out of order), a missing cell,
    replies to a repost, a missing and an unknown ID."""
    from pileon.detectors import cascades

    contents = [
        _c("c2", "a"),
        _c("c1", "a"),
        _c("k1", "x", 5, text="reply", kind="comment", reply_to="r1"),
        _c("k2", "y", 6, text="reply", kind="comment", reply_to="gone"),
        _c("k3", "y", 7, text="reply", kind="comment", reply_to="nowhere"),
    ]
    reposts = [
        _r("c1", "clash", "c2", 1),
        _r("r1", "b", "c1", 1),
        _r("r2", "c", "zz", 4),
        _r("r3", "d", "r2", 5),
        _r("r4", "e", "gone", 6),
        _r("r5", "f", None, 7),
    ]
    p = Projection.from_tables({"event_id": "e"}, contents=contents, reposts=reposts)
    p.contents = pd.concat([p.contents, p.contents.iloc[[1]]], ignore_index=True)
    lookup = p.contents["reply_to"].astype(str).to_numpy(dtype=object)
    args = [
        p.contents["content_id"].astype(str).to_numpy(dtype=object),
        p.reposts["repost_id"].astype(str).to_numpy(dtype=object),
        p.reposts["source_id"].astype(str).to_numpy(dtype=object),
        lookup,
    ]
    fast = cascades._sorted_nodes(p, *args)
    slow = cascades._hashed_nodes(p, *args)
    for name in cascades._Nodes._fields:
        a, b = getattr(fast, name), getattr(slow, name)
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, obj=name)
        elif isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and a.tolist() == b.tolist(), name
        else:
            assert a == b, name
    assert fast.ids.tolist()[-2:] == ["gone", "zz"]
    assert cascades._nodes(p, lookup=lookup).ids.tolist() == fast.ids.tolist()
