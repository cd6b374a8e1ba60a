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

>>> from pileon.graph.projection import Projection
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

import re
import weakref
from typing import NamedTuple

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from pileon.detectors.harm import HARM_THRESHOLD, repost_harm
from pileon.graph.projection import Projection

FOREST_COLUMNS = [
    "repost_id",
    "account_id",
    "source_id",
    "root_id",
    "depth",
    "reposted_at",
    "text",
    "root_kind",
    "comment",
]

#: ``//@name: …`` chains that Weibo appends to a repost comment: everything from the first
#: ``//@`` on is the earlier reposters' text, not this repost's own comment
_CHAIN = re.compile(r"\s*//\s*@.*$", re.DOTALL)
#: default texts platforms put on a plain repost (no comment of the reposter's own)
DEFAULT_REPOST_TEXTS = frozenset(
    {
        "转发微博",
        "轉發微博",
        "转发",
        "轉發",
        "repost",
        "retweet",
        "rt",
        "forward",
        "分享",
        "分享微博",
    }
)
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
    """:func:`own_comment` over a series (pandas string methods over its distinct texts).

    Notes
    -----
    O(n) to factorize the texts plus the string work on the distinct ones (reposts
    repeat a few texts: platform defaults, copied slogans).
    """
    out = pd.Series("", index=texts.index, dtype=object)
    has = texts.notna().to_numpy() & (texts.astype(object) != "").to_numpy()
    if not has.any():
        return out
    codes, uniq = pd.factorize(texts[has].astype(str).to_numpy(dtype=object))
    s = pd.Series(uniq, dtype=object)
    s = s.str.replace(_CHAIN, "", regex=True).str.strip()
    bare = s.str.replace(_TRIM, "", regex=True)
    own = s.where((bare != "") & ~bare.str.lower().isin(DEFAULT_REPOST_TEXTS), "").to_numpy()
    out[has] = own[codes]
    return out


def _increasing(values: np.ndarray) -> bool:
    """Whether ``values`` are strings in strictly increasing order (hence distinct): O(n)."""
    return infer_dtype(values, skipna=False) == "string" and bool((values[1:] > values[:-1]).all())


def _first_rows(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """``frame.drop_duplicates(subset=[key])``; ``frame`` itself (not a copy) when its keys
    already increase, as the stores give them."""
    if _increasing(frame[key].to_numpy(dtype=object)):
        return frame
    return frame.drop_duplicates(subset=[key])


def _time_order(tkey: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Positions sorted by ``tkey``, then ID: a stable sort on the time alone when the IDs
    already increase (as the stores give them), else ``np.lexsort``."""
    if _increasing(ids):
        return np.argsort(tkey, kind="stable")
    return np.lexsort((ids, tkey))


def _jump(
    parent: np.ndarray, weight: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    dist = has.astype(np.int64) if weight is None else np.where(has, weight, 0).astype(np.int64)
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


class _Nodes(NamedTuple):
    """The nodes of an event's repost forest (:func:`_nodes`)."""

    #: node IDs: the distinct contents, then the reposts used, then the missing sources (sorted)
    ids: np.ndarray
    #: ``content``, ``repost`` or ``missing`` per node
    kind: np.ndarray
    #: position of each node's parent (its repost's source), -1 for none
    parent: np.ndarray
    #: the reposts used, in order (node positions ``n_contents`` onwards)
    src: pd.DataFrame
    #: the first row of every content ID of ``p.contents``
    contents: pd.DataFrame
    #: their positions in ``p.contents``
    content_rows: np.ndarray
    #: node position of each row of ``contents``
    content_at: np.ndarray
    #: how many content nodes (positions ``0 .. n_contents - 1``)
    n_contents: int
    #: node position of each ID of the ``lookup`` argument, -1 for none
    found: np.ndarray


def _nodes(p: Projection, *, lookup: np.ndarray | None = None) -> _Nodes:
    """All nodes (contents, reposts, missing sources) with integer parent pointers.

    The reposts used are the first row per ID, less those whose ID is also a content's.
    Every ID (contents, reposts, sources and ``lookup``, compared as strings) is hashed
    once, by one factorization: contents take codes in order of first appearance, then
    the reposts used, so codes are node positions.

    Notes
    -----
    O(C + R) hashing for C contents and R reposts, and a sort of the missing sources.
    """
    reps = p.reposts
    cstr = p.contents["content_id"].astype(str).to_numpy(dtype=object)
    rstr = reps["repost_id"].astype(str).to_numpy(dtype=object)
    sstr = reps["source_id"].astype(str).to_numpy(dtype=object)
    extra = np.zeros(0, dtype=object) if lookup is None else np.asarray(lookup, dtype=object)
    if len(rstr) > 1 and bool((rstr[1:] > rstr[:-1]).all()):
        return _sorted_nodes(p, cstr, rstr, sstr, extra)
    return _hashed_nodes(p, cstr, rstr, sstr, extra)


def _hashed_nodes(
    p: Projection, cstr: np.ndarray, rstr: np.ndarray, sstr: np.ndarray, extra: np.ndarray
) -> _Nodes:
    """:func:`_nodes` for any reposts: every ID hashed by one factorization."""
    reps = p.reposts
    codes, uniq = pd.factorize(np.concatenate([cstr, rstr, sstr, extra]))
    nc, nr = len(cstr), len(rstr)
    cc, rc, sc = codes[:nc], codes[nc : nc + nr], codes[nc + nr : nc + 2 * nr]
    n_c = int(cc.max()) + 1 if nc else 0
    # a repost is used at the first occurrence of its ID, unless the ID is a content's: its
    # code is then above every code seen before (codes are given in order of appearance)
    used = rc > np.maximum.accumulate(np.concatenate([[n_c - 1], rc]))[:-1]
    keep = np.flatnonzero(used)
    n_k = n_c + len(keep)
    s_used = sc[keep]
    absent = (s_used >= n_k) & reps["source_id"].notna().to_numpy()[keep]
    miss = np.unique(s_used[absent])
    miss = miss[np.argsort(uniq[miss], kind="stable")]  # the missing sources, by ID
    at = np.full(len(uniq), -1, dtype=np.int64)
    at[:n_k] = np.arange(n_k)
    at[miss] = n_k + np.arange(len(miss))
    parent = np.full(n_k + len(miss), -1, dtype=np.int64)
    parent[n_c:n_k] = at[s_used]
    rows, contents, kind = _content_rows(p, n_c, nc, len(keep), len(miss))
    return _Nodes(
        ids=np.concatenate([uniq[:n_k], uniq[miss]]).astype(object),
        kind=kind,
        parent=parent,
        src=reps if len(keep) == nr else reps.iloc[keep],
        contents=contents,
        content_rows=rows,
        content_at=cc[rows].astype(np.int64),
        n_contents=n_c,
        found=at[codes[nc + 2 * nr :]],
    )


def _content_rows(
    p: Projection, n_c: int, n_rows: int, n_rep: int, n_miss: int
) -> tuple[np.ndarray, pd.DataFrame, np.ndarray]:
    """The contents' first rows (``n_c`` distinct IDs among ``n_rows`` rows), their frame,
    and the nodes' kinds (``n_c`` contents, ``n_rep`` reposts, ``n_miss`` missing)."""
    if n_c == n_rows:  # every content ID is distinct
        rows = np.arange(n_rows)
        contents = p.contents
    else:
        rows = np.flatnonzero(~p.contents["content_id"].duplicated().to_numpy())
        contents = p.contents.iloc[rows]
    kind = np.repeat(np.array(["content", "repost", "missing"], dtype=object), [n_c, n_rep, n_miss])
    return rows, contents, kind


def _sorted_nodes(
    p: Projection, cstr: np.ndarray, rstr: np.ndarray, sstr: np.ndarray, extra: np.ndarray
) -> _Nodes:
    """:func:`_nodes` when the repost IDs are distinct and sorted (a projection's reposts
    are, by key): the same nodes without hashing every repost ID into one table of all
    the IDs.  The contents' IDs are hashed; each repost ID is looked up among them (a
    repost whose ID is a content's is not used); the sources and ``lookup`` IDs, few
    distinct ones, are hashed and found among the contents, else by binary search among
    the sorted repost IDs used.  O(C + R) look-ups in a table of the C contents, and
    O(S log R) for S distinct sources."""
    reps = p.reposts
    cc, c_uniq = pd.factorize(cstr)
    c_uniq = np.asarray(c_uniq, dtype=object)
    n_c = len(c_uniq)
    c_index = pd.Index(c_uniq, dtype=object)
    keep = np.flatnonzero(c_index.get_indexer(rstr) < 0)
    n_k = n_c + len(keep)
    used = rstr[keep]
    v_codes, vals = pd.factorize(np.concatenate([sstr[keep], extra]))
    vals = np.asarray(vals, dtype=object)
    pos = c_index.get_indexer(vals).astype(np.int64)
    rest = np.flatnonzero(pos < 0)
    if len(rest) and len(used):
        j = np.searchsorted(used, vals[rest])
        hit = used[np.minimum(j, len(used) - 1)] == vals[rest]
        pos[rest[hit]] = n_c + j[hit]
    s_used = v_codes[: len(keep)]
    absent = (pos[s_used] < 0) & reps["source_id"].notna().to_numpy()[keep]
    miss = np.unique(s_used[absent])
    miss = miss[np.argsort(vals[miss], kind="stable")]  # the missing sources, by ID
    pos[miss] = n_k + np.arange(len(miss))
    parent = np.full(n_k + len(miss), -1, dtype=np.int64)
    parent[n_c:n_k] = pos[s_used]
    rows, contents, kind = _content_rows(p, n_c, len(cstr), len(keep), len(miss))
    return _Nodes(
        ids=np.concatenate([c_uniq, used, vals[miss]]).astype(object),
        kind=kind,
        parent=parent,
        src=reps if len(keep) == len(rstr) else reps.iloc[keep],
        contents=contents,
        content_rows=rows,
        content_at=cc[rows].astype(np.int64),
        n_contents=n_c,
        found=pos[v_codes[len(keep) :]] if len(extra) else np.zeros(0, dtype=np.int64),
    )


class CodedForest(NamedTuple):
    """An event's repost forest on integer node codes (:func:`coded_forest`): built once per
    projection, read by every stage that walks reposts to their roots."""

    #: the nodes and their parents before cycles are cut (:func:`_nodes`, with ``found``
    #: the node of each row's ``reply_to`` of ``nodes.contents``' frame, ``p.contents``)
    nodes: _Nodes
    #: the root each node reaches (node position)
    root: np.ndarray
    #: its depth (edges to its root)
    depth: np.ndarray
    #: each node's parent with one node of each cycle cut (-1: a root)
    parent: np.ndarray
    #: the own comment (:func:`own_comments`) of each repost of ``nodes.src``, row by row
    comment: np.ndarray


def coded_forest(p: Projection) -> CodedForest:
    """The repost forest of ``p`` on integer codes, built at the first call and kept on the
    projection for the next ones (while its ``contents`` and ``reposts`` frames are the same
    objects: a projection's frames are read, never changed in place).

    :func:`repost_forest` and :func:`reach` read it, so an event's IDs are hashed and its
    chains resolved once, whichever of the narratives, the role detectors, the clusters and
    the features asks first.

    Notes
    -----
    O(C + R) hashing of the C contents', R reposts' and their sources' and reply targets'
    IDs, O(n log d) pointer jumping; the forest holds integer arrays of the nodes and object
    arrays that point at the projection's own strings.
    """
    held = p.derived.get("coded_forest")
    if held is not None and held[0]() is p.contents and held[1]() is p.reposts:
        return held[2]  # type: ignore[no-any-return]
    c = p.contents
    lookup = c["reply_to"].astype(str).to_numpy(dtype=object) if "reply_to" in c else None
    nd = _nodes(p, lookup=lookup)
    root, depth, parent = _resolve(nd.parent)
    forest = CodedForest(nd, root, depth, parent, own_comments(nd.src["text"]).to_numpy())
    p.derived["coded_forest"] = (weakref.ref(p.contents), weakref.ref(p.reposts), forest)
    return forest


def repost_authors(p: Projection) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize`` of ``p.reposts["account_id"]``: each repost's author code (-1 where
    missing) and the distinct authors, in order of first appearance; computed at the first
    call and kept on the projection (as :func:`coded_forest`) for the repeat posters and
    the features, which both count per author.

    Notes
    -----
    O(R) hashing of the R reposts' author IDs, once per projection.
    """
    held = p.derived.get("repost_authors")
    if held is not None and held[0]() is p.reposts:
        return held[1]  # type: ignore[no-any-return]
    codes, names = pd.factorize(p.reposts["account_id"].to_numpy(dtype=object))
    out = (codes.astype(np.int64, copy=False), np.asarray(names, dtype=object))
    p.derived["repost_authors"] = (weakref.ref(p.reposts), out)
    return out


def _by_ids(values: pd.Series, ids: np.ndarray) -> np.ndarray:
    """``pd.to_numeric(values.reindex(ids), errors="coerce")`` as floats.

    Without hashing when ``values`` is indexed by the first IDs of ``ids`` in order (the
    usual case: a series built over the same contents and reposts).
    """
    m = len(values)
    if m <= len(ids) and np.array_equal(values.index.to_numpy(dtype=object), ids[:m]):
        out = np.full(len(ids), np.nan)
        out[:m] = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        return out
    return pd.to_numeric(values.reindex(ids), errors="coerce").to_numpy(dtype=float)


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
    Every ID is hashed once (:func:`coded_forest`, kept on the projection), then pointer
    jumping over integer parent arrays: O(n log d) numpy work for n reposts and the longest
    chain d, no per-repost Python recursion; cycles are cut, so the call always terminates.
    The frame is built once, in ``repost_id`` order.
    """
    cf = coded_forest(p)
    nd, root, depth = cf.nodes, cf.root, cf.depth
    src = nd.src
    ids, kinds = nd.ids, nd.kind
    root_kind = kinds[root].copy()
    root_kind[(kinds[root] == "repost")] = "cycle"
    at = nd.n_contents + np.arange(len(src))
    columns = {
        "repost_id": ids[at],
        "account_id": src["account_id"].to_numpy(),
        "source_id": src["source_id"].to_numpy(),
        "root_id": ids[root[at]],
        "depth": depth[at].astype(np.int64),
        "reposted_at": pd.to_datetime(src["reposted_at"], utc=True).array,
        "text": src["text"].to_numpy(),
        "root_kind": root_kind[at],
        "comment": cf.comment,
    }
    by_id = np.argsort(ids[at], kind="stable")
    return pd.DataFrame({k: columns[k][by_id] for k in FOREST_COLUMNS}, copy=False)


REACH_COLUMNS = [
    "node_id",
    "kind",
    "account_id",
    "parent_id",
    "root_id",
    "depth",
    "time",
    "has_comment",
    "harm",
    "spread_harm",
    "downstream",
    "replies",
    "activity",
    "harmful_activity",
    "harmful_share",
    "inciting",
    "credited_to",
    "attributed",
    "attributed_harmful",
]


def reach(
    p: Projection, *, harm: pd.Series | None = None, harm_threshold: float = HARM_THRESHOLD
) -> pd.DataFrame:
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
    Every ID is hashed once (:func:`coded_forest`, kept on the projection); pointer jumping
    for roots and nearest inciting ancestors, then the reposts sorted by depth once and one
    ``np.add.at`` per tree level for subtree sums: O(n log n) numpy work with no per-repost Python loop.
    """
    return reach_rows(p, harm=harm, harm_threshold=harm_threshold)[0]


def reach_rows(
    p: Projection, *, harm: pd.Series | None = None, harm_threshold: float = HARM_THRESHOLD
) -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`reach`, and the node of each of its rows: positions in
    :func:`coded_forest` ``(p).nodes`` (contents, then the reposts of ``nodes.src``, then
    the missing sources), so a caller that knows a row's node reads its figures without
    looking its ID up."""
    ra = reach_nodes(p, harm=harm, harm_threshold=harm_threshold)
    # rows in ID order (timsort: the three parts are each sorted already)
    by_id = np.argsort(ra.forest.nodes.ids, kind="stable")
    return ra.frame(by_id), by_id


class Reach(NamedTuple):
    """:func:`reach`'s figures as arrays over the nodes of :func:`coded_forest` (node
    positions), before any frame is built (:func:`reach_nodes`)."""

    forest: CodedForest
    account: np.ndarray
    time: np.ndarray
    has_comment: np.ndarray
    harm: np.ndarray
    spread_harm: np.ndarray
    downstream: np.ndarray
    replies: np.ndarray
    activity: np.ndarray
    harmful_activity: np.ndarray
    harmful_share: np.ndarray
    inciting: np.ndarray
    credited: np.ndarray
    attributed: np.ndarray
    attributed_harmful: np.ndarray

    def frame(self, at: np.ndarray) -> pd.DataFrame:
        """The rows of :func:`reach` of the nodes ``at`` (node positions), in that order;
        each column gathered once, object columns straight from node positions."""
        cf = self.forest
        ids = cf.nodes.ids

        def id_at(pos: np.ndarray) -> np.ndarray:
            return np.where(pos >= 0, ids[np.maximum(pos, 0)], None)

        columns = {
            "node_id": ids[at],
            "kind": cf.nodes.kind[at],
            "account_id": self.account[at],
            "parent_id": id_at(cf.parent[at]),
            "root_id": ids[cf.root[at]],
            "depth": cf.depth[at].astype(np.int64),
            "time": pd.to_datetime(self.time[at].view("M8[ns]"), utc=True),
            "has_comment": self.has_comment[at],
            "harm": self.harm[at],
            "spread_harm": self.spread_harm[at],
            "downstream": self.downstream[at],
            "replies": self.replies[at],
            "activity": self.activity[at],
            "harmful_activity": self.harmful_activity[at],
            "harmful_share": self.harmful_share[at],
            "inciting": self.inciting[at],
            "credited_to": id_at(self.credited[at]),
            "attributed": self.attributed[at].astype(np.int64),
            "attributed_harmful": self.attributed_harmful[at],
        }
        # fresh arrays: no copy into consolidated blocks
        return pd.DataFrame(columns, columns=REACH_COLUMNS, copy=False)


def reach_nodes(
    p: Projection,
    *,
    harm: pd.Series | None = None,
    harm_threshold: float = HARM_THRESHOLD,
    node_harm: np.ndarray | None = None,
) -> Reach:
    """:func:`reach` as arrays over the nodes of :func:`coded_forest` (no frame, no ID
    sorted): for callers that read a few nodes (:meth:`Reach.frame`) or sum over them.

    ``node_harm``: the harm per node position, instead of ``harm`` by ID (which is then
    ignored).
    """
    answers = "reply_to" in p.contents
    cf = coded_forest(p)
    nd, depth, parent = cf.nodes, cf.depth, cf.parent
    src, c = nd.src, nd.contents
    ids, kinds = nd.ids, nd.kind
    n = len(ids)

    account = np.full(n, None, dtype=object)
    nat = np.iinfo(np.int64).min
    time = np.full(n, nat, dtype=np.int64)
    at_c = nd.content_at
    at_r = nd.n_contents + np.arange(len(src))
    account[at_c] = c["account_id"].to_numpy()
    account[at_r] = src["account_id"].to_numpy()
    time[at_c] = pd.to_datetime(c["posted_at"], utc=True).dt.as_unit("ns").array.asi8
    time[at_r] = pd.to_datetime(src["reposted_at"], utc=True).dt.as_unit("ns").array.asi8

    has_text = np.zeros(n, dtype=bool)
    placeholder = (
        c["placeholder"].to_numpy(dtype=bool) if "placeholder" in c else np.zeros(len(c), bool)
    )
    has_text[at_c] = ~placeholder
    comment = cf.comment
    has_comment = np.zeros(n, dtype=bool)
    has_comment[at_r] = comment != ""
    has_text[at_r] = has_comment[at_r]

    # harm of each node's own text
    own_harm = np.full(n, np.nan)
    given = node_harm is not None or harm is not None  # else the data's own harm
    if node_harm is not None:
        own_harm = np.array(node_harm, dtype=float)
    elif harm is None:
        own_harm[at_c] = pd.to_numeric(c["harm"], errors="coerce").to_numpy(dtype=float)
        own_harm[at_r] = repost_harm(src).to_numpy()
    else:
        own_harm = _by_ids(harm, ids)
    given_harm = own_harm.copy()
    own_harm[~has_text & (kinds == "repost")] = np.nan

    # nearest ancestor-or-self that carries text: a plain repost spreads its source
    carrier_parent = np.where(has_text | (parent < 0), -1, parent)
    carrier, _, _ = _jump(carrier_parent)
    spread = own_harm[carrier]

    # children counts, to know which commented reposts were reposted in turn
    child_count = np.bincount(parent[parent >= 0], minlength=n)
    inciting = ((kinds == "content") & has_text) | (
        (kinds == "repost") & has_comment & (child_count > 0)
    )
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
    attributed_harmful = np.bincount(
        credited[is_rep], weights=(spread_bad[is_rep]).astype(float), minlength=n
    ).astype(np.int64)

    # replies (comments answering a node) count as activity of that node and its ancestors
    replies = np.zeros(n, dtype=np.int64)
    reply_bad = np.zeros(n, dtype=np.int64)
    reply_known = np.zeros(n, dtype=np.int64)
    if answers and c["reply_to"].notna().any():
        replying = c["reply_to"].notna().to_numpy()
        # each reply's target node (-1: none), looked up with the forest's IDs
        tgt = nd.found[nd.content_rows][replying]
        ok = tgt >= 0
        tgt = tgt[ok]
        if not given:
            rh = pd.to_numeric(c["harm"], errors="coerce").to_numpy(dtype=float)[replying][ok]
        else:
            rh = given_harm[at_c[replying]][ok]
        replies = np.bincount(tgt, minlength=n).astype(np.int64)
        reply_bad = np.bincount(
            tgt, weights=(np.nan_to_num(rh, nan=0.0) >= harm_threshold).astype(float), minlength=n
        ).astype(np.int64)
        reply_known = np.bincount(tgt, weights=(~np.isnan(rh)).astype(float), minlength=n).astype(
            np.int64
        )

    # subtree sums, level by level from the deepest
    down = np.zeros(n, dtype=np.int64)
    act = replies.copy()
    bad = reply_bad.copy()
    known = reply_known.copy()
    if n:
        reps = np.flatnonzero(is_rep)
        reps = reps[np.argsort(-depth[reps], kind="stable")]
        for sel in np.split(reps, np.flatnonzero(np.diff(depth[reps])) + 1):
            par = parent[sel]
            np.add.at(down, par, down[sel] + 1)
            np.add.at(act, par, act[sel] + 1)
            np.add.at(bad, par, bad[sel] + spread_bad[sel].astype(np.int64))
            np.add.at(known, par, known[sel] + spread_known[sel].astype(np.int64))
    share = np.where(known > 0, bad / np.maximum(known, 1), np.nan)

    return Reach(
        cf,
        account,
        time,
        has_comment,
        own_harm,
        spread,
        down,
        replies,
        act,
        bad,
        share,
        inciting,
        credited,
        attributed.astype(np.int64),
        attributed_harmful,
    )


__all__ = [
    "CodedForest",
    "coded_forest",
    "repost_authors",
    "repost_forest",
    "reach",
    "reach_rows",
    "reach_nodes",
    "Reach",
    "own_comment",
    "own_comments",
    "FOREST_COLUMNS",
    "REACH_COLUMNS",
    "DEFAULT_REPOST_TEXTS",
]
