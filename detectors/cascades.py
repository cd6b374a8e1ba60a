"""Repost forests and reach attribution, vectorised (pointer jumping, no per-repost recursion).

A repost's ``source_id`` is its IMMEDIATE parent: an original content or
another repost, so reposts form chains.  :func:`repost_forest` resolves every
chain to its root (the original content at the top) and its depth;
:func:`reach` then measures, for every content and repost, how many reposts it
drew downstream, how harmful that downstream activity is, and credits reach to
the nearest *inciting* node: the root content, or a repost WITH a comment of
its own that was itself reposted (such a repost is an inciting content of its
own, and its subtree is credited to it, not to the root).

Real data is messy, so chains are resolved defensively:

* a source that is a placeholder content (deleted source) is a root like any
  other content;
* a source that is in neither ``contents`` nor ``reposts`` of the projection is
  a *missing source*: a virtual root with that ID (``root_kind`` ``missing``);
* a cycle of reposts (A reposts B reposts A, bad data) cannot hang the
  resolution: one repost of each cycle is made a root (``root_kind``
  ``cycle``) and the rest of the cycle chains up to it.

>>> from graph.projection import Projection
>>> p = Projection.from_tables({"event_id": "e"},
...     contents=[{"content_id": "c1", "account_id": "a", "platform": "weibo",
...                "posted_at": "2026-03-01T08:00:00Z", "text": "story"}],
...     reposts=[{"repost_id": "r1", "account_id": "b", "source_id": "c1",
...               "reposted_at": "2026-03-01T09:00:00Z"},
...              {"repost_id": "r2", "account_id": "c", "source_id": "r1",
...               "reposted_at": "2026-03-01T10:00:00Z"}])
>>> repost_forest(p)[["repost_id", "root_id", "depth"]].values.tolist()
[['r1', 'c1', 1], ['r2', 'c1', 2]]
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd

from graph.projection import Projection

FOREST_COLUMNS = ["repost_id", "account_id", "source_id", "root_id", "depth", "reposted_at",
                  "text", "root_kind", "comment"]

#: ``//@name: …`` chains that Weibo appends to a repost comment: everything from the first
#: ``//@`` on is the earlier reposters' text, not this repost's own comment
_CHAIN = re.compile(r"\s*//\s*@.*$", re.DOTALL)
#: default texts platforms put on a plain repost (no comment of the reposter's own)
DEFAULT_REPOST_TEXTS = frozenset({"转发微博", "轉發微博", "转发", "轉發", "repost", "retweet", "rt",
                                  "forward", "分享", "分享微博"})
_TRIM = re.compile(r"^[\s\W_]+|[\s\W_]+$", re.UNICODE)


def own_comment(text: object) -> str:
    """The reposter's own comment: the text before any ``//@`` chain, without platform defaults.

    >>> own_comment("太恶心了//@小猫:转发让更多人看到！")
    '太恶心了'
    >>> own_comment("转发微博"), own_comment(None), own_comment("//@a: b")
    ('', '', '')
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    t = _CHAIN.sub("", str(text)).strip()
    if _TRIM.sub("", t).lower() in DEFAULT_REPOST_TEXTS or not _TRIM.sub("", t):
        return ""
    return t


def own_comments(texts: pd.Series) -> pd.Series:
    """:func:`own_comment` over a series (vectorised with pandas string methods)."""
    out = pd.Series("", index=texts.index, dtype=object)
    has = texts.notna().to_numpy() & (texts.astype(object) != "").to_numpy()
    if not has.any():
        return out
    s = texts[has].astype(str)
    s = s.str.replace(_CHAIN, "", regex=True).str.strip()
    bare = s.str.replace(_TRIM, "", regex=True)
    out[has] = s.where((bare != "") & ~bare.str.lower().isin(DEFAULT_REPOST_TEXTS), "").to_numpy()
    return out


def extra_float(frame: pd.DataFrame, column: str) -> pd.Series:
    """A numeric column of ``frame``: the column itself, else the key of its ``extra`` JSON.

    Reposts have no ``harm`` in SPEC §2, but an input file may carry one as an extra
    column; a hand-made projection keeps it as a column, a store inside ``extra``.
    """
    if column in frame.columns:
        return pd.to_numeric(frame[column], errors="coerce").astype("float64")
    out = np.full(len(frame), np.nan)
    if "extra" in frame.columns and len(frame):
        ex = frame["extra"].astype(object)
        key = f'"{column}"'
        has = ex.map(lambda v: isinstance(v, str) and key in v).to_numpy(dtype=bool)
        for i in np.flatnonzero(has):
            try:
                v = json.loads(ex.iat[i]).get(column)
                out[i] = float(v) if v is not None and v != "" else np.nan
            except (ValueError, TypeError, AttributeError):
                out[i] = np.nan
    return pd.Series(out, index=frame.index, dtype="float64")


def _jump(parent: np.ndarray, weight: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pointer jumping over a parent array (-1: root).

    Returns ``(anc, dist, stuck)``: the root each node reaches, the summed ``weight``
    of the edges on the way (edge count when ``weight`` is None) and a mask of the
    nodes that reach no root (they are on, or lead into, a cycle).  O(n log d) for
    the longest chain d.
    """
    n = len(parent)
    idx = np.arange(n)
    has = parent >= 0
    anc = np.where(has, parent, idx)
    dist = (has.astype(np.int64) if weight is None else np.where(has, weight, 0).astype(np.int64))
    for _ in range(int(np.ceil(np.log2(max(n, 2)))) + 2):
        nxt = anc[anc]
        if np.array_equal(nxt, anc):
            break
        dist = dist + dist[anc]
        anc = nxt
    stuck = parent[anc] >= 0 if n else np.zeros(0, dtype=bool)
    return anc, dist, stuck


def _resolve(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Roots and depths, breaking cycles; returns ``(root, depth, parent)`` (parent with cuts)."""
    parent = parent.copy()
    for _ in range(64):  # each round cuts every remaining cycle at least once
        anc, dist, stuck = _jump(parent)
        if not stuck.any():
            return anc, dist, parent
        # jumping 2^k steps from a stuck node lands on a cycle member; cut each cycle once,
        # at its smallest index (min-label doubling around the cycle)
        n = len(parent)
        lab = np.arange(n)
        hop = np.where(parent >= 0, parent, lab)
        for _ in range(int(np.ceil(np.log2(max(n, 2)))) + 1):
            lab = np.minimum(lab, lab[hop])
            hop = hop[hop]
        parent[np.unique(lab[np.unique(anc[stuck])])] = -1
    raise RuntimeError("repost cycles could not be resolved")  # pragma: no cover


def _nodes(p: Projection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All nodes (contents, reposts, missing sources) with integer parent pointers.

    Returns the node frame (``node_id, kind, parent``; contents first, then reposts,
    then missing sources) and the reposts used (first row per ID; a repost whose ID
    is also a content's is dropped).
    """
    cids = p.contents["content_id"].astype(str).drop_duplicates()
    src = p.reposts.drop_duplicates(subset=["repost_id"])
    src = src[~src["repost_id"].astype(str).isin(set(cids))]
    rids = src["repost_id"].astype(str)
    missing = sorted(set(src["source_id"].dropna().astype(str)) - set(cids) - set(rids))
    ids = np.array(cids.tolist() + rids.tolist() + missing, dtype=object)
    kind = np.array(["content"] * len(cids) + ["repost"] * len(rids) + ["missing"] * len(missing),
                    dtype=object)
    pos = pd.Series(np.arange(len(ids)), index=pd.Index(ids))
    parent = np.full(len(ids), -1, dtype=np.int64)
    srcpos = pos.reindex(src["source_id"].astype(str)).to_numpy()
    ok = ~np.isnan(srcpos)
    rows = np.arange(len(cids), len(cids) + len(rids))
    parent[rows[ok]] = srcpos[ok].astype(np.int64)
    return pd.DataFrame({"node_id": ids, "kind": kind, "parent": parent}), src


def repost_forest(p: Projection) -> pd.DataFrame:
    """The repost forest of an event: each repost with its root and depth.

    Parameters
    ----------
    p : Projection
        The event's projection.

    Returns
    -------
    DataFrame
        One row per repost, sorted by ``repost_id``: ``repost_id, account_id, source_id,
        root_id, depth, reposted_at, text, root_kind, comment``.  ``root_id`` is the
        original content at the top of the chain (``depth`` 1 for a direct repost);
        ``root_kind`` is ``content`` (a content of the projection, placeholders
        included), ``missing`` (the chain leaves the projection: the root is the ID of
        the missing source) or ``cycle`` (a repost cut out of a cycle, its own root);
        ``comment`` is the reposter's own comment (:func:`own_comment`, ``""`` when none).

    Notes
    -----
    Pointer jumping over integer parent arrays: O(n log d) numpy work for n reposts
    and the longest chain d, no per-repost Python recursion; cycles are cut, so the
    call always terminates.
    """
    nodes, src = _nodes(p)
    root, depth, cut = _resolve(nodes["parent"].to_numpy())
    ids = nodes["node_id"].to_numpy()
    kinds = nodes["kind"].to_numpy()
    root_kind = kinds[root].copy()
    root_kind[(kinds[root] == "repost")] = "cycle"
    pos = pd.Series(np.arange(len(ids)), index=pd.Index(ids))
    at = pos.reindex(src["repost_id"].astype(str)).to_numpy().astype(np.int64)
    out = pd.DataFrame({
        "repost_id": src["repost_id"].astype(str).to_numpy(),
        "account_id": src["account_id"].to_numpy(),
        "source_id": src["source_id"].to_numpy(),
        "root_id": ids[root[at]],
        "depth": depth[at].astype(np.int64),
        "reposted_at": pd.to_datetime(src["reposted_at"], utc=True).reset_index(drop=True),
        "text": src["text"].to_numpy(),
        "root_kind": root_kind[at],
        "comment": own_comments(src["text"]).to_numpy(),
    })
    return out.sort_values("repost_id", kind="mergesort").reset_index(drop=True)[FOREST_COLUMNS]


REACH_COLUMNS = ["node_id", "kind", "account_id", "parent_id", "root_id", "depth", "time",
                 "has_comment", "harm", "spread_harm", "downstream", "replies", "activity",
                 "harmful_activity", "harmful_share", "inciting", "credited_to", "attributed",
                 "attributed_harmful"]


def reach(p: Projection, *, harm: pd.Series | None = None, harm_threshold: float = 0.5) -> pd.DataFrame:
    """Downstream reach of every content and repost, and its attribution to inciting nodes.

    Parameters
    ----------
    p : Projection
        The event's projection.
    harm : Series, optional
        Probability of abuse per node ID (contents and reposts), NaN where unknown;
        by default the contents' ``harm`` and a ``harm`` column of reposts if any.
    harm_threshold : float
        A node whose spread harm reaches this is counted as harmful activity.

    Returns
    -------
    DataFrame
        One row per node (contents, reposts, missing sources), sorted by ``node_id``:

        - ``downstream``: reposts in its subtree (all depths), itself excluded;
        - ``replies``: comments replying to it (``reply_to``);
        - ``spread_harm``: the harm of what the node spreads: its own harm when it
          carries text of its own, else that of its nearest ancestor that does (a plain
          repost spreads its source's text);
        - ``activity`` / ``harmful_activity`` / ``harmful_share``: downstream reposts
          plus replies to any node of the subtree, how many of them are harmful
          (``spread_harm`` ≥ ``harm_threshold``; unknown counts as not harmful) and the
          share among those whose harm is known;
        - ``inciting``: a content (not a placeholder or missing source) or a repost with a
          comment of its own that was itself reposted;
        - ``credited_to``: for a repost, the nearest inciting strict ancestor that its
          reach is credited to;
        - ``attributed`` / ``attributed_harmful``: reposts credited to this node, and how
          many of them spread harm.

    Notes
    -----
    Pointer jumping for roots and nearest inciting ancestors, then one ``np.add.at``
    per tree level for subtree sums: O(n log d + n·d_levels) numpy work with no
    per-repost Python loop.
    """
    nodes, src = _nodes(p)
    n = len(nodes)
    ids = nodes["node_id"].to_numpy()
    root, depth, parent = _resolve(nodes["parent"].to_numpy())
    kinds = nodes["kind"].to_numpy()
    pos = pd.Series(np.arange(n), index=pd.Index(ids))

    c = p.contents.drop_duplicates(subset=["content_id"])
    account = np.full(n, None, dtype=object)
    nat = np.iinfo(np.int64).min
    time = np.full(n, nat, dtype=np.int64)
    at_c = pos.reindex(c["content_id"].astype(str)).to_numpy().astype(np.int64)
    at_r = pos.reindex(src["repost_id"].astype(str)).to_numpy().astype(np.int64)
    account[at_c] = c["account_id"].to_numpy()
    account[at_r] = src["account_id"].to_numpy()
    time[at_c] = pd.to_datetime(c["posted_at"], utc=True).dt.as_unit("ns").array.asi8
    time[at_r] = pd.to_datetime(src["reposted_at"], utc=True).dt.as_unit("ns").array.asi8

    has_text = np.zeros(n, dtype=bool)
    placeholder = c["placeholder"].to_numpy(dtype=bool) if "placeholder" in c else np.zeros(len(c), bool)
    has_text[at_c] = ~placeholder
    comment = own_comments(src["text"]).to_numpy()
    has_comment = np.zeros(n, dtype=bool)
    has_comment[at_r] = comment != ""
    has_text[at_r] = has_comment[at_r]

    # harm of each node's own text
    own_harm = np.full(n, np.nan)
    if harm is None:
        own_harm[at_c] = pd.to_numeric(c["harm"], errors="coerce").to_numpy(dtype=float)
        own_harm[at_r] = extra_float(src, "harm").to_numpy()
    else:
        own_harm = pd.to_numeric(harm.reindex(ids), errors="coerce").to_numpy(dtype=float)
    own_harm[~has_text & (kinds == "repost")] = np.nan

    # nearest ancestor-or-self that carries text: a plain repost spreads its source
    carrier_parent = np.where(has_text | (parent < 0), -1, parent)
    carrier, _, _ = _jump(carrier_parent)
    spread = own_harm[carrier]

    # children counts, to know which commented reposts were reposted in turn
    child_count = np.bincount(parent[parent >= 0], minlength=n)
    inciting = ((kinds == "content") & has_text) | ((kinds == "repost") & has_comment
                                                   & (child_count > 0))
    # nearest inciting ancestor-or-self; a repost is credited to that of its parent
    inc_parent = np.where(inciting | (parent < 0), -1, parent)
    inc_anc, _, _ = _jump(inc_parent)
    credited = np.full(n, -1, dtype=np.int64)
    is_rep = parent >= 0
    credited[is_rep] = inc_anc[parent[is_rep]]
    # a chain that reaches no inciting node (plain reposts of a missing source) stays with its root
    spread_bad = np.nan_to_num(spread, nan=0.0) >= harm_threshold
    spread_known = ~np.isnan(spread)
    attributed = np.bincount(credited[is_rep], minlength=n)
    attributed_harmful = np.bincount(credited[is_rep], weights=(spread_bad[is_rep]).astype(float),
                                     minlength=n).astype(np.int64)

    # replies (comments answering a node) count as activity of that node and its ancestors
    replies = np.zeros(n, dtype=np.int64)
    reply_bad = np.zeros(n, dtype=np.int64)
    reply_known = np.zeros(n, dtype=np.int64)
    if "reply_to" in c and c["reply_to"].notna().any():
        rc = c[c["reply_to"].notna()]
        tgt = pos.reindex(rc["reply_to"].astype(str)).to_numpy()
        ok = ~np.isnan(tgt)
        tgt = tgt[ok].astype(np.int64)
        rh = pd.to_numeric(rc["harm"], errors="coerce").to_numpy(dtype=float)[ok]
        if harm is not None:
            rh = pd.to_numeric(harm.reindex(rc["content_id"].astype(str)),
                               errors="coerce").to_numpy(dtype=float)[ok]
        replies = np.bincount(tgt, minlength=n).astype(np.int64)
        reply_bad = np.bincount(tgt, weights=(np.nan_to_num(rh, nan=0.0) >= harm_threshold)
                                .astype(float), minlength=n).astype(np.int64)
        reply_known = np.bincount(tgt, weights=(~np.isnan(rh)).astype(float), minlength=n).astype(np.int64)

    # subtree sums, level by level from the deepest
    down = np.zeros(n, dtype=np.int64)
    act = replies.copy()
    bad = reply_bad.copy()
    known = reply_known.copy()
    if n:
        order_levels = np.unique(depth[is_rep])[::-1]
        for d in order_levels:
            sel = np.flatnonzero(is_rep & (depth == d))
            par = parent[sel]
            np.add.at(down, par, down[sel] + 1)
            np.add.at(act, par, act[sel] + 1)
            np.add.at(bad, par, bad[sel] + spread_bad[sel].astype(np.int64))
            np.add.at(known, par, known[sel] + spread_known[sel].astype(np.int64))
    share = np.where(known > 0, bad / np.maximum(known, 1), np.nan)

    par_id = np.where(parent >= 0, ids[np.maximum(parent, 0)], None)
    out = pd.DataFrame({
        "node_id": ids, "kind": kinds, "account_id": account, "parent_id": par_id,
        "root_id": ids[root], "depth": depth.astype(np.int64),
        "time": pd.to_datetime(time, utc=True).as_unit("ns"),
        "has_comment": has_comment, "harm": own_harm, "spread_harm": spread,
        "downstream": down, "replies": replies, "activity": act, "harmful_activity": bad,
        "harmful_share": share, "inciting": inciting,
        "credited_to": np.where(credited >= 0, ids[np.maximum(credited, 0)], None),
        "attributed": attributed.astype(np.int64), "attributed_harmful": attributed_harmful,
    })
    return out.sort_values("node_id", kind="mergesort").reset_index(drop=True)[REACH_COLUMNS]


__all__ = ["repost_forest", "reach", "own_comment", "own_comments", "extra_float",
           "FOREST_COLUMNS", "REACH_COLUMNS", "DEFAULT_REPOST_TEXTS"]
