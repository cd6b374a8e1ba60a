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

from graph.textsim import near_duplicate_pairs, normalize

MEMBERSHIP_COLUMNS = ["content_id", "event_id", "via"]


def _terms_pattern(terms: list[str]) -> re.Pattern | None:
    terms = sorted({t.strip() for t in terms if t and len(t.strip()) >= 2}, key=lambda t: (-len(t), t))
    if not terms:
        return None
    return re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)


class _Nodes:
    """Integer codes of every content and repost ID, for walking parent links with numpy."""

    def __init__(self, *id_columns: pd.Series) -> None:
        ids = pd.concat([c.dropna() for c in id_columns], ignore_index=True)
        self.ids = pd.Index(pd.unique(ids.to_numpy(dtype=object)))

    def codes(self, values: pd.Series) -> np.ndarray:
        """Codes of ``values`` (-1 for missing values)."""
        v = values.to_numpy(dtype=object)
        out = self.ids.get_indexer(v)
        out[pd.isna(v)] = -1
        return out


class _Links:
    """Child -> parent links (each child has at most one parent), children found by parent."""

    def __init__(self, nodes: _Nodes, child: pd.Series, parent: pd.Series,
                 blocked: set[str]) -> None:
        c, p = nodes.codes(child), nodes.codes(parent)
        keep = (c >= 0) & (p >= 0)
        if blocked:
            keep &= ~child.isin(blocked).to_numpy()
        c, p = c[keep], p[keep]
        order = np.argsort(p, kind="stable")
        self.child, parent_sorted = c[order], p[order]
        self.start = np.searchsorted(parent_sorted, np.arange(len(nodes.ids) + 1))

    def children(self, parents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(i, child)``: every child of ``parents[i]``."""
        lo, hi = self.start[parents], self.start[parents + 1]
        n = hi - lo
        i = np.repeat(np.arange(len(parents)), n)
        pos = lo[i] + np.arange(len(i)) - np.repeat(np.cumsum(n) - n, n)
        return i, self.child[pos]


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
            self.keys = np.unique(keys)

    def add_new(self, keys: np.ndarray) -> np.ndarray:
        """Add ``keys`` (unique); return those that were not in the set."""
        if self.dense:
            keys = keys[~self.flags[keys]]
            self.flags[keys] = True
        else:
            keys = keys[~np.isin(keys, self.keys, assume_unique=True)]
            self.keys = np.union1d(self.keys, keys)
        return keys


def _propagate(nodes: _Nodes, links: _Links, seed: pd.DataFrame, via: str) -> pd.DataFrame:
    """Follow child -> parent links: each child joins its parent's events, to a fixpoint.

    Returns the (content, event) pairs reached from ``seed`` down the links that
    are not in ``seed`` (a breadth-first walk over (node, event) pairs).
    """
    if seed.empty or len(links.child) == 0:
        return pd.DataFrame(columns=MEMBERSHIP_COLUMNS)
    ev_code, events = pd.factorize(seed["event_id"].to_numpy(dtype=object))
    n_ev = np.int64(len(events))
    node = nodes.codes(seed["content_id"]).astype(np.int64)
    ok = node >= 0
    node, ev = node[ok], ev_code[ok].astype(np.int64)
    visited = _Visited(len(nodes.ids) * int(n_ev), node * n_ev + ev)
    new = []
    while len(node):
        i, child = links.children(node)
        key = visited.add_new(np.unique(child.astype(np.int64) * n_ev + ev[i]))
        if len(key) == 0:
            break
        new.append(key)
        node, ev = key // n_ev, key % n_ev
    if not new:
        return pd.DataFrame(columns=MEMBERSHIP_COLUMNS)
    key = np.concatenate(new)
    return pd.DataFrame({"content_id": nodes.ids.to_numpy()[key // n_ev],
                         "event_id": events[key % n_ev], "via": via})


def _follow(found: pd.DataFrame, nodes: _Nodes, repost_links: _Links,
            reply_links: _Links) -> pd.DataFrame:
    """Add reposts and replies of members, alternately, until nothing new joins."""
    while True:
        rep = _propagate(nodes, repost_links, found, "repost")
        found = pd.concat([found, rep], ignore_index=True)
        rpl = _propagate(nodes, reply_links, found, "reply")
        found = pd.concat([found, rpl], ignore_index=True)
        if rep.empty and rpl.empty:
            return found


def compute_memberships(events: pd.DataFrame, contents: pd.DataFrame, reposts: pd.DataFrame, *,
                        copy_threshold: float = 0.7) -> pd.DataFrame:
    """Event membership of every content and repost.

    Parameters
    ----------
    events, contents, reposts : DataFrame
        Frames as :meth:`graph.store.Store.frame` returns them.
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
    Replies and reposts are followed as a breadth-first walk over (content,
    event) pairs with integer codes: O(n + pairs) plus a few numpy operations per
    chain level; plus MinHash LSH over the texts of contents without
    ``event_id`` (no all-pairs).
    """
    parts = []
    real = contents[~contents["placeholder"]] if "placeholder" in contents else contents
    direct = real[real["event_id"].notna()][["content_id", "event_id"]].assign(via="event_id")
    parts.append(direct)
    has_event = set(direct["content_id"])

    free = real[real["event_id"].isna()]
    free_text = free["text"].fillna("")
    for ev in events.itertuples(index=False):
        pat = _terms_pattern(list(ev.keywords) + list(ev.entities) + [ev.name])
        if pat is None:
            continue
        hit = free_text.str.contains(pat, regex=True)
        parts.append(pd.DataFrame({"content_id": free.loc[hit, "content_id"].to_numpy(),
                                   "event_id": ev.event_id, "via": "text"}))
    # contents aimed at the event's targets (target_ids) from the event's start on
    free_targets = free["target_ids"].map(lambda t: set(t) if isinstance(t, (list, tuple)) else set())
    for ev in events.itertuples(index=False):
        targets = set(ev.target_ids or ())
        if not targets:
            continue
        hit = free_targets.map(lambda t: bool(t & targets))
        if ev.started_at is not None and not pd.isna(ev.started_at):
            hit &= free["posted_at"] >= ev.started_at
        parts.append(pd.DataFrame({"content_id": free.loc[hit, "content_id"].to_numpy(),
                                   "event_id": ev.event_id, "via": "target"}))
    found = pd.concat(parts, ignore_index=True)

    nodes = _Nodes(real["content_id"], real["reply_to"], reposts["repost_id"],
                   reposts["source_id"])
    reply_links = _Links(nodes, real["content_id"], real["reply_to"], has_event)
    repost_links = _Links(nodes, reposts["repost_id"], reposts["source_id"], set())

    # replies follow the content they answer (when they carry no event_id of their own)
    replies = _propagate(nodes, reply_links, found, "reply")
    found = pd.concat([found, replies], ignore_index=True)

    # copies: near-duplicate text or equal media of an event content
    member_ids = set(found["content_id"])
    cand = free[~free["content_id"].isin(member_ids)]
    if len(cand) and len(found):
        members = real[real["content_id"].isin(member_ids)]
        ev_of: dict[str, list[str]] = {}
        for cid, e in zip(found["content_id"], found["event_id"]):
            ev_of.setdefault(cid, []).append(e)
        # one entry per distinct normalised text on each side, so that every exact copy
        # gets the pairs of its text (near_duplicate_pairs pairs an exact repeat with its
        # first occurrence only)
        ev_of_text: dict[str, set[str]] = {}
        for cid, t in zip(members["content_id"], members["text"]):
            ev_of_text.setdefault(normalize(t), set()).update(ev_of.get(cid, []))
        ids_of_text: dict[str, list[str]] = {}
        for cid, t in zip(cand["content_id"], cand["text"]):
            ids_of_text.setdefault(normalize(t), []).append(cid)
        m_texts, c_texts = sorted(ev_of_text), sorted(ids_of_text)
        n_members = len(m_texts)
        pairs = [(i, j) for i, j, _ in near_duplicate_pairs(m_texts + c_texts,
                                                            threshold=copy_threshold,
                                                            normalized=True)
                 if i < n_members <= j]
        copies = []
        for i, j in pairs:
            for cid in ids_of_text[c_texts[j - n_members]]:
                for e in sorted(ev_of_text[m_texts[i]]):
                    copies.append((cid, e))
        media = members.dropna(subset=["media_hash"])[["content_id", "media_hash"]]
        same = cand.dropna(subset=["media_hash"])[["content_id", "media_hash"]].merge(
            media.rename(columns={"content_id": "source"}), on="media_hash")
        for cid, src in zip(same["content_id"], same["source"]):
            for e in ev_of.get(src, []):
                copies.append((cid, e))
        if copies:
            found = pd.concat([found, pd.DataFrame(copies, columns=["content_id", "event_id"])
                               .assign(via="copy")], ignore_index=True)

    # reposts follow their parent (content or repost), down the whole chain; replies to
    # copies and to reposts follow in turn
    found = _follow(found, nodes, repost_links, reply_links)
    # reposts of unknown (deleted) sources: by their own comment text
    known_parents = set(real["content_id"]) | set(reposts["repost_id"])
    orphan = reposts[~reposts["source_id"].isin(known_parents)
                     & ~reposts["repost_id"].isin(set(found["content_id"]))]
    if len(orphan):
        extra = []
        otext = orphan["text"].fillna("")
        for ev in events.itertuples(index=False):
            pat = _terms_pattern(list(ev.keywords) + list(ev.entities) + [ev.name])
            if pat is None:
                continue
            hit = otext.str.contains(pat, regex=True)
            extra.append(pd.DataFrame({"content_id": orphan.loc[hit, "repost_id"].to_numpy(),
                                       "event_id": ev.event_id, "via": "text"}))
        if extra:
            found = _follow(pd.concat([found] + extra, ignore_index=True), nodes, repost_links,
                            reply_links)

    found = found.drop_duplicates(subset=["content_id", "event_id"], keep="first")
    # sort by (event_id, content_id) through sorted integer codes (pairs are unique)
    e_code = pd.factorize(found["event_id"].to_numpy(dtype=object), sort=True)[0]
    c_code = pd.factorize(found["content_id"].to_numpy(dtype=object), sort=True)[0]
    found = found.iloc[np.lexsort((c_code, e_code))]
    return found.reset_index(drop=True)[MEMBERSHIP_COLUMNS].astype(object)


__all__ = ["compute_memberships", "MEMBERSHIP_COLUMNS"]
