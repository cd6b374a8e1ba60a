"""Which contents and reposts belong to which event (SPEC §2).

A content belongs to an event when its ``event_id`` says so.  A content
without ``event_id`` joins an event when

* its text mentions one of the event's keywords or entities (``via="text"``),
* it is aimed (``target_ids``) at one of the event's targets and posted from the
  event's start on (``via="target"``): the attack on a person is part of the event
  even where the abuse names nothing else of it,
* it replies to a content of the event (``via="reply"``),
* it copies a content of the event: near-duplicate text or the same media
  hash (``via="copy"``);

and a repost joins the events of its immediate parent, so whole repost chains
follow their root (``via="repost"``); a repost whose parent is unknown (a
deleted source) joins by its own comment text.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from pileon.graph.arrays import distinct, spans
from pileon.graph.textsim import near_duplicate_pairs, normalize

MEMBERSHIP_COLUMNS = ["content_id", "event_id", "via"]
#: the columns of contents and reposts that membership reads (and contents' ``placeholder``)
INPUT_COLUMNS = {
    "contents": (
        "content_id",
        "reply_to",
        "event_id",
        "text",
        "target_ids",
        "posted_at",
        "media_hash",
    ),
    "reposts": ("repost_id", "source_id", "text"),
}


def _terms_pattern(terms: list[str]) -> re.Pattern | None:
    terms = sorted(
        {t.strip() for t in terms if t and len(t.strip()) >= 2}, key=lambda t: (-len(t), t)
    )
    if not terms:
        return None
    return re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)


class _Nodes:
    """Integer codes of every content and repost ID, for walking parent links with numpy.

    ``ids`` holds the distinct IDs of the given columns in the order they first appear;
    ``columns`` the codes of each column's cells (-1 for missing values).
    """

    def __init__(self, *id_columns: pd.Series) -> None:
        arrays = [c.to_numpy(dtype=object) for c in id_columns]
        codes, uniques = pd.factorize(np.concatenate(arrays))
        self.ids = pd.Index(uniques, dtype=object)
        ends = np.cumsum([len(a) for a in arrays])
        self.columns = [c.astype(np.int64) for c in np.split(codes, ends[:-1])]

    def __len__(self) -> int:
        return len(self.ids)


class _Links:
    """Child -> parent links (each child has at most one parent), children found by parent."""

    def __init__(
        self, n_nodes: int, child: np.ndarray, parent: np.ndarray, blocked: np.ndarray | None = None
    ) -> None:
        keep = (child >= 0) & (parent >= 0)
        if blocked is not None:
            keep &= ~blocked
        c, p = child[keep], parent[keep]
        order = np.argsort(p, kind="stable")
        self.child, parent_sorted = c[order], p[order]
        self.start = np.searchsorted(parent_sorted, np.arange(n_nodes + 1))

    def children(self, parents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(i, child)``: every child of ``parents[i]``."""
        lo, hi = self.start[parents], self.start[parents + 1]
        n = hi - lo
        return np.repeat(np.arange(len(parents)), n), self.child[spans(lo, n)]


class _Visited:
    """A set of integer keys below ``size``: a flag array when that is small enough, else a
    sorted array."""

    DENSE = 1 << 27

    def __init__(self, size: int, keys: np.ndarray) -> None:
        self.dense = size <= self.DENSE
        if self.dense:
            self.flags = np.zeros(size, dtype=bool)
            self.flags[keys] = True
        else:
            self.keys = distinct(keys)

    def add_new(self, keys: np.ndarray) -> np.ndarray:
        """Add ``keys`` (unique); return those that were not in the set."""
        if self.dense:
            keys = keys[~self.flags[keys]]
            self.flags[keys] = True
        else:
            keys = keys[~np.isin(keys, self.keys, assume_unique=True)]
            self.keys = distinct(np.concatenate((self.keys, keys)))
        return keys


class _Found:
    """(content, event) pairs found so far, in the order found, with how each joined."""

    def __init__(self, n_nodes: int, n_events: int) -> None:
        self.n_nodes, self.n_events = n_nodes, max(n_events, 1)
        self.node: list[np.ndarray] = []
        self.event: list[np.ndarray] = []
        self.via: list[str] = []

    def add(self, node: np.ndarray, event: np.ndarray, via: str) -> None:
        node = np.asarray(node, dtype=np.int64)
        event = np.broadcast_to(np.asarray(event, dtype=np.int64), node.shape)
        ok = node >= 0
        self.node.append(node[ok])
        self.event.append(np.array(event[ok]))
        self.via.append(via)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.node:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        return np.concatenate(self.node), np.concatenate(self.event)

    def has_node(self) -> np.ndarray:
        """Flags by node code: in some event."""
        flags = np.zeros(self.n_nodes, dtype=bool)
        flags[self.arrays()[0]] = True
        return flags

    def propagate(self, links: _Links, via: str) -> bool:
        """Follow child -> parent links: each child joins its parent's events, to a fixpoint.

        Adds the (content, event) pairs reached from those found down the links
        (a breadth-first walk over pairs); returns whether any was new.
        """
        node, ev = self.arrays()
        if len(node) == 0 or len(links.child) == 0:
            return False
        n_ev = np.int64(self.n_events)
        key = distinct(node * n_ev + ev)
        visited = _Visited(self.n_nodes * int(n_ev), key)
        node, ev = key // n_ev, key % n_ev
        new = []
        while len(node):
            # a child has one parent, so the children of distinct pairs are distinct pairs
            i, child = links.children(node)
            key = visited.add_new(child * n_ev + ev[i])
            if len(key) == 0:
                break
            new.append(key)
            node, ev = key // n_ev, key % n_ev
        if not new:
            return False
        key = np.concatenate(new)
        self.add(key // n_ev, key % n_ev, via)
        return True

    def follow(self, repost_links: _Links, reply_links: _Links) -> None:
        """Add reposts and replies of members, alternately, until nothing new joins."""
        while True:
            rep = self.propagate(repost_links, "repost")
            rpl = self.propagate(reply_links, "reply")
            if not (rep or rpl):
                return


def _by_event(events: pd.DataFrame, texts: pd.Series) -> list[tuple[str, np.ndarray]]:
    """Per event with terms: ``(event_id, rows of texts that mention its terms)``."""
    out = []
    for ev in events.itertuples(index=False):
        pat = _terms_pattern(list(ev.keywords) + list(ev.entities) + [ev.name])
        if pat is None:
            continue
        out.append((ev.event_id, texts.str.contains(pat, regex=True).to_numpy(dtype=bool)))
    return out


def _normalized(texts: pd.Series) -> list[str]:
    """``normalize`` of every text, computed once per distinct text."""
    arr = texts.to_numpy(dtype=object)
    codes, uniq = pd.factorize(arr)
    out = np.array([normalize(t) for t in uniq] + [""], dtype=object)[codes]
    for i in np.flatnonzero(codes < 0):  # missing texts (None, NaN) as they are
        out[i] = normalize(arr[i])
    return out.tolist()


def compute_memberships(
    events: pd.DataFrame,
    contents: pd.DataFrame,
    reposts: pd.DataFrame,
    *,
    copy_threshold: float = 0.7,
) -> pd.DataFrame:
    """Event membership of every content and repost.

    Parameters
    ----------
    events, contents, reposts : DataFrame
        Frames as :meth:`pileon.graph.store.Store.frame` returns them, in any row order;
        contents and reposts need only the columns of :data:`INPUT_COLUMNS` (and
        contents' ``placeholder``, when placeholders are among them).
    copy_threshold : float
        Character-shingle Jaccard similarity from which a content counts as a copy.

    Returns
    -------
    DataFrame
        ``content_id, event_id, via`` sorted by (event_id, content_id); a content
        joins each event at most once, by the first rule that applies in the order
        ``event_id``, ``text``, ``target``, ``reply``, ``copy``, ``repost``.

    Notes
    -----
    Contents, reposts and events are handled as integer codes (one hash pass over
    the ID columns).  Replies and reposts are followed as a breadth-first walk over
    (content, event) pairs: O(n + pairs) plus a few numpy operations per chain level
    (deduplicated by sorting, as a child has one parent); plus MinHash LSH over the
    texts of contents without ``event_id`` (no all-pairs).
    """
    real = contents[~contents["placeholder"]] if "placeholder" in contents else contents
    nodes = _Nodes(real["content_id"], real["reply_to"], reposts["repost_id"], reposts["source_id"])
    n = len(nodes)
    c_node, c_reply, r_node, r_src = nodes.columns
    has_ev = real["event_id"].notna().to_numpy(dtype=bool)
    direct_ev = real["event_id"].to_numpy(dtype=object)[has_ev]
    ev_ids = pd.Index(
        pd.unique(np.concatenate([events["event_id"].to_numpy(dtype=object), direct_ev]))
    )
    ev_code = {e: i for i, e in enumerate(ev_ids)}
    found = _Found(n, len(ev_ids))
    found.add(c_node[has_ev], ev_ids.get_indexer(direct_ev), "event_id")

    free = real[~has_ev]
    free_node = c_node[~has_ev]
    for e, hit in _by_event(events, free["text"].fillna("")):
        found.add(free_node[hit], ev_code[e], "text")
    # contents aimed at the event's targets (target_ids) from the event's start on
    aimed = [
        (i, set(t))
        for i, t in enumerate(free["target_ids"].to_numpy(dtype=object))
        if isinstance(t, (list, tuple)) and len(t)
    ]
    for ev in events.itertuples(index=False):
        targets = set(ev.target_ids or ())
        if not targets:
            continue
        hit = np.zeros(len(free), dtype=bool)
        hit[[i for i, t in aimed if t & targets]] = True
        if ev.started_at is not None and not pd.isna(ev.started_at):
            hit &= (free["posted_at"] >= ev.started_at).to_numpy(dtype=bool)
        found.add(free_node[hit], ev_code[ev.event_id], "target")

    reply_links = _Links(n, c_node, c_reply, has_ev)
    repost_links = _Links(n, r_node, r_src)

    # replies follow the content they answer (when they carry no event_id of their own)
    found.propagate(reply_links, "reply")

    # copies: near-duplicate text or equal media of an event content
    in_found = found.has_node()
    is_cand = ~in_found[free_node]
    if is_cand.any() and in_found.any():
        cand = free[is_cand]
        cand_node = free_node[is_cand]
        is_member = in_found[c_node]
        members = real[is_member]
        member_node = c_node[is_member]
        ev_of: dict[int, list[int]] = {}
        for c, e in zip(*(a.tolist() for a in found.arrays())):
            ev_of.setdefault(c, []).append(e)
        # one entry per distinct normalised text on each side, so that every exact copy
        # gets the pairs of its text (near_duplicate_pairs pairs an exact repeat with its
        # first occurrence only)
        ev_names = ev_ids.tolist()
        ev_of_text: dict[str, set[str]] = {}
        for c, t in zip(member_node.tolist(), _normalized(members["text"])):
            ev_of_text.setdefault(t, set()).update(ev_names[e] for e in ev_of.get(c, []))
        nodes_of_text: dict[str, list[int]] = {}
        for c, t in zip(cand_node.tolist(), _normalized(cand["text"])):
            nodes_of_text.setdefault(t, []).append(c)
        m_texts, c_texts = sorted(ev_of_text), sorted(nodes_of_text)
        n_members = len(m_texts)
        pairs = [
            (i, j)
            for i, j, _ in near_duplicate_pairs(
                m_texts + c_texts, threshold=copy_threshold, normalized=True
            )
            if i < n_members <= j
        ]
        copies = []
        for i, j in pairs:
            for c in nodes_of_text[c_texts[j - n_members]]:
                for e in sorted(ev_of_text[m_texts[i]]):
                    copies.append((c, ev_code[e]))
        m_media = members["media_hash"].to_numpy(dtype=object)
        c_media = cand["media_hash"].to_numpy(dtype=object)
        m_ok, c_ok = ~pd.isna(m_media), ~pd.isna(c_media)
        if m_ok.any() and c_ok.any():
            media = pd.DataFrame({"media_hash": m_media[m_ok], "source": member_node[m_ok]})
            same = pd.DataFrame({"node": cand_node[c_ok], "media_hash": c_media[c_ok]}).merge(
                media, on="media_hash"
            )
            for c, src in zip(same["node"].tolist(), same["source"].tolist()):
                for e in ev_of.get(src, []):
                    copies.append((c, e))
        if copies:
            cp = np.array(copies, dtype=np.int64)
            found.add(cp[:, 0], cp[:, 1], "copy")

    # reposts follow their parent (content or repost), down the whole chain; replies to
    # copies and to reposts follow in turn
    found.follow(repost_links, reply_links)
    # reposts of unknown (deleted) sources: by their own comment text
    known_parent = np.zeros(n, dtype=bool)
    known_parent[c_node[c_node >= 0]] = True
    known_parent[r_node[r_node >= 0]] = True
    in_found = found.has_node()
    orphan = ~np.where(r_src >= 0, known_parent[np.maximum(r_src, 0)], False) & ~np.where(
        r_node >= 0, in_found[np.maximum(r_node, 0)], False
    )
    if orphan.any():
        added = False
        for e, hit in _by_event(events, reposts.loc[orphan, "text"].fillna("")):
            found.add(r_node[orphan][hit], ev_code[e], "text")
            added = True
        if added:
            found.follow(repost_links, reply_links)

    node, ev = found.arrays()
    via = np.repeat(np.array(found.via, dtype=object), [len(x) for x in found.node])
    # a content joins each event once, by the first rule that found it
    _, first = np.unique(node * np.int64(found.n_events) + ev, return_index=True)
    node, ev, via = node[first], ev[first], via[first]
    # sorted by (event_id, content_id)
    ids = nodes.ids.to_numpy()
    uniq = distinct(node)
    rank = np.empty(n, dtype=np.int64)
    rank[uniq[sorted(range(len(uniq)), key=ids[uniq].__getitem__)]] = np.arange(len(uniq))
    ev_rank = np.empty(len(ev_ids), dtype=np.int64)
    ev_rank[sorted(range(len(ev_ids)), key=ev_ids.__getitem__)] = np.arange(len(ev_ids))
    order = np.lexsort((rank[node], ev_rank[ev]))
    return pd.DataFrame(
        {
            "content_id": ids[node[order]],
            "event_id": ev_ids.to_numpy()[ev[order]],
            "via": via[order],
        },
        columns=MEMBERSHIP_COLUMNS,
    ).astype(object)


__all__ = ["compute_memberships", "MEMBERSHIP_COLUMNS"]
