"""Which contents and reposts belong to which event (SPEC §2), and when.

An event is bounded in time, so that a store holding years of data does not pull a
year-old copy of the same rumour into this year's incident.

The window
----------
An event's window opens ``margin`` before its *start* (default :data:`DEFAULT_MARGIN`,
48 hours: the hours in which a pile-on brews before anyone notices it); the start is
``events.started_at``, else the earliest content that carries the event's ``event_id``.
The window closes at ``events.ended_at`` when given; else ``margin`` after the last
activity linked to the event: its ``event_id`` contents, the contents that join it by
text or target inside the window, and every repost and reply down their chains, taken
in time order, so that the window grows with each chain that reaches past it, and the
margin lets in the stragglers of a pile-on that is dying down.  An event with no
``event_id`` content and no ``ended_at`` has no end.  An event without an
``ended_at`` ends, at the latest, where the window of a later *related* event opens (one
that started later and shares a target, keyword or entity with it): once the same
rumour comes back as a new event, the old one stops growing.  Without a start (no
``started_at`` and no ``event_id`` content) the window has no beginning.

Rules
-----
A content belongs to an event when its ``event_id`` says so (whatever its time).
A content without ``event_id`` joins an event when

* its text mentions one of the event's keywords or entities, inside the window
  (``via="text"``),
* it is aimed (``target_ids``) at one of the event's targets, from the event's start
  (no margin) to the window's end (``via="target"``): the attack on a person is part of the
  event even where the abuse names nothing else of it,
* it replies to a content of the event (``via="reply"``),
* it copies, inside the window, a content of the event or an older content that names
  the event's keywords or entities: near-duplicate text or the same media hash
  (``via="copy"``);

and a repost joins the events of its immediate parent, so whole repost chains
follow their root (``via="repost"``); a repost whose parent is unknown (a
deleted source) joins by its own comment text, inside the window.  Replies and reposts
follow their parent at any time, except past an event's ``ended_at`` (or past where a
later related event begins).

Source material
---------------
Content from before the window that would join by text, copy or media (say, last
year's post of the same rumour) does not join; but when the event acts on it (a repost
or a reply made inside the window, down any chain from it), that repost or reply joins
(``via="repost"`` / ``"reply"``), and the old content and the chain between join as
*source material* (``via="source"``): shown and linked, while its authors take no part
in the event unless they also act in it (see :mod:`pileon.graph.projection`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pileon.graph.arrays import distinct, spans
from pileon.graph.errors import InputError
from pileon.graph.frames import as_list
from pileon.graph.textsim import near_duplicate_pairs, normalize, terms_pattern

MEMBERSHIP_COLUMNS = ["content_id", "event_id", "via"]
#: how an item joins an event, in the order the rules are tried (the first that applies wins)
VIA = ("event_id", "text", "target", "reply", "copy", "repost", "source")
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
    "reposts": ("repost_id", "source_id", "reposted_at", "text"),
}
#: how long before its start an event's window opens (the hours in which a pile-on brews)
DEFAULT_MARGIN = pd.Timedelta(hours=48)
WINDOW_COLUMNS = ["event_id", "opens_at", "closes_at"]

_NAT = np.iinfo(np.int64).min  # pandas' NaT as int64 nanoseconds
_NEVER = np.iinfo(np.int64).max  # a window without an end
#: the shortest normalised text that counts as a copy (``near_duplicate_pairs``' default)
_MIN_COPY_CHARS = 6


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

    def propagate(self, links: _Links, via: str, bound: tuple | None = None) -> bool:
        """Follow child -> parent links: each child joins its parent's events, to a fixpoint.

        Adds the (content, event) pairs reached from those found down the links
        (a breadth-first walk over pairs); returns whether any was new.  ``bound``,
        ``(time of each node, limit of each event)``, keeps out children after their
        event's limit.
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
            e = ev[i]
            if bound is not None:
                keep = bound[0][child] <= bound[1][e]
                child, e = child[keep], e[keep]
            key = visited.add_new(child * n_ev + e)
            if len(key) == 0:
                break
            new.append(key)
            node, ev = key // n_ev, key % n_ev
        if not new:
            return False
        key = np.concatenate(new)
        self.add(key // n_ev, key % n_ev, via)
        return True

    def follow(self, repost_links: _Links, reply_links: _Links, bound: tuple | None = None) -> None:
        """Add reposts and replies of members, alternately, until nothing new joins."""
        while True:
            rep = self.propagate(repost_links, "repost", bound)
            rpl = self.propagate(reply_links, "reply", bound)
            if not (rep or rpl):
                return


def _ns(values: pd.Series) -> np.ndarray:
    """Times as int64 nanoseconds since the epoch (UTC), missing ones as ``_NAT``."""
    t = pd.to_datetime(values, utc=True)
    return t.dt.as_unit("ns").dt.tz_localize(None).to_numpy().view(np.int64)


def _time(ns: int) -> pd.Timestamp | None:
    """A time of ``_ns`` as a UTC timestamp (None for ``_NAT`` and ``_NEVER``)."""
    return None if ns in (_NAT, _NEVER) else pd.Timestamp(ns, tz="UTC")


def _by_event(events: pd.DataFrame, texts: pd.Series) -> list[tuple[int, np.ndarray]]:
    """Per event with terms: ``(row of the event, rows of texts that mention its terms)``."""
    out = []
    for i, ev in enumerate(events.itertuples(index=False)):
        pat = terms_pattern(list(ev.keywords) + list(ev.entities) + [ev.name])
        if pat is None:
            continue
        out.append((i, texts.str.contains(pat, regex=True).to_numpy(dtype=bool)))
    return out


def _normalized(texts: pd.Series) -> list[str]:
    """``normalize`` of every text, computed once per distinct text."""
    arr = texts.to_numpy(dtype=object)
    codes, uniq = pd.factorize(arr)
    out = np.array([normalize(t) for t in uniq] + [""], dtype=object)[codes]
    for i in np.flatnonzero(codes < 0):  # missing texts (None, NaN) as they are
        out[i] = normalize(arr[i])
    return out.tolist()


def _related_later(events: pd.DataFrame, start: np.ndarray) -> list[list[int]]:
    """Per event row: the rows of the events that started later (``start``, ns) and share a
    target, keyword or entity with it (compared trimmed and in lower case)."""
    holders: dict[tuple[str, str], list[int]] = {}
    for i, ev in enumerate(events.itertuples(index=False)):
        terms = {t.strip().lower() for t in list(ev.keywords) + list(ev.entities)}
        for t in terms:
            if len(t) >= 2:
                holders.setdefault(("term", t), []).append(i)
        for t in set(ev.target_ids):
            holders.setdefault(("target", t), []).append(i)
    related: list[set[int]] = [set() for _ in range(len(events))]
    for rows in holders.values():
        for i in rows:
            related[i].update(rows)
    return [
        sorted(j for j in rel if start[j] != _NAT and start[i] != _NAT and start[j] > start[i])
        for i, rel in enumerate(related)
    ]


@dataclass(frozen=True)
class _Windows:
    """Per event code: where its window opens (``lo``) and closes (``hi``), and how far its
    chains reach (``limit``: ``ended_at``, else where a later related event opens), in ns."""

    lo: np.ndarray
    hi: np.ndarray
    limit: np.ndarray


class _Scope:
    """What membership is computed from, whatever the windows: integer codes of every content
    and repost, their times and parents, which contents match which event by text or target,
    and which texts copy which."""

    def __init__(
        self,
        events: pd.DataFrame,
        contents: pd.DataFrame,
        reposts: pd.DataFrame,
        *,
        copy_threshold: float,
    ) -> None:
        real = contents[~contents["placeholder"]] if "placeholder" in contents else contents
        real = real.reset_index(drop=True)
        reposts = reposts.reset_index(drop=True)
        events = events.reset_index(drop=True)
        for col in ("keywords", "entities", "target_ids"):
            if col in events:
                events[col] = events[col].map(as_list)
        self.nodes = nodes = _Nodes(
            real["content_id"], real["reply_to"], reposts["repost_id"], reposts["source_id"]
        )
        n = self.n = len(nodes)
        c_node, c_reply, r_node, r_src = nodes.columns
        self.c_node, self.r_node = c_node, r_node
        self.time = np.full(n, _NAT, dtype=np.int64)
        self.time[r_node] = _ns(reposts["reposted_at"])
        self.time[c_node] = _ns(real["posted_at"])
        self.is_repost = np.zeros(n, dtype=bool)
        self.is_repost[r_node] = True
        self.row_of = np.full(n, -1, dtype=np.int64)  # content row of each node
        self.row_of[c_node] = np.arange(len(real))

        # events: those with a row, then those only named by contents' event_id
        has_ev = real["event_id"].notna().to_numpy(dtype=bool)
        direct_ev = real["event_id"].to_numpy(dtype=object)[has_ev]
        self.ev_ids = ev_ids = pd.Index(
            pd.unique(np.concatenate([events["event_id"].to_numpy(dtype=object), direct_ev]))
        )
        self.n_ev = n_ev = len(ev_ids)
        self.events = events
        self.ev_code = ev_ids.get_indexer(events["event_id"].to_numpy(dtype=object))
        self.tag = np.full(len(real), -1, dtype=np.int64)  # event code of each content's event_id
        self.tag[has_ev] = ev_ids.get_indexer(direct_ev)
        self.free = ~has_ev

        def per_event(column: str) -> np.ndarray:
            out = np.full(n_ev, _NAT, dtype=np.int64)
            if column in events:
                out[self.ev_code] = _ns(events[column])
            return out

        self.started, self.ended = per_event("started_at"), per_event("ended_at")

        # links: a reply that carries an event_id of its own does not follow its parent
        self.reply_links = _Links(n, c_node, c_reply, has_ev)
        self.repost_links = _Links(n, r_node, r_src)
        self.parent = np.full(n, -1, dtype=np.int64)
        self.parent[r_node] = r_src
        follows = ~has_ev & (c_reply >= 0)
        self.parent[c_node[follows]] = c_reply[follows]

        # what matches which event, whatever the time
        texts = real["text"].fillna("")
        self.text_hits = [(self.ev_code[i], hit) for i, hit in _by_event(events, texts)]
        self.aimed = []
        aimed_rows = [
            (i, set(t))
            for i, t in enumerate(real["target_ids"].to_numpy(dtype=object))
            if isinstance(t, (list, tuple)) and len(t)
        ]
        for i, ev in enumerate(events.itertuples(index=False)):
            targets = set(ev.target_ids or ())
            if targets:
                hit = np.zeros(len(real), dtype=bool)
                hit[[r for r, t in aimed_rows if t & targets]] = True
                self.aimed.append((self.ev_code[i], hit))
        # reposts of unknown (deleted) sources match by their own comment
        known = np.zeros(n, dtype=bool)
        known[c_node] = True
        known[r_node] = True
        self.orphan = ~known[r_src]
        self.orphan_hits = []
        if self.orphan.any():
            comments = reposts["text"].where(self.orphan, None).fillna("")
            self.orphan_hits = [(self.ev_code[i], h) for i, h in _by_event(events, comments)]

        # copies: every pair of near-duplicate texts (both ways), and each text with itself
        text_code, uniq = pd.factorize(np.asarray(_normalized(real["text"]), dtype=object))
        self.text_of = text_code
        long = np.array([len(t) >= _MIN_COPY_CHARS for t in uniq], dtype=bool)
        found = near_duplicate_pairs(list(uniq), threshold=copy_threshold, normalized=True)
        a = np.array([i for i, _, _ in found], dtype=np.int64)
        b = np.array([j for _, j, _ in found], dtype=np.int64)
        same = np.flatnonzero(long)
        self.copy_pairs = pd.DataFrame(
            {"m": np.concatenate([a, b, same]), "c": np.concatenate([b, a, same])}
        )
        self.rows_of_text = pd.DataFrame({"c": text_code, "row": np.arange(len(real))})
        self.media = real["media_hash"].to_numpy(dtype=object)
        self.has_media = ~pd.isna(self.media)

    # ------------------------------------------------------------------ windows
    def _reach(self) -> np.ndarray:
        """The latest time in each node's chains: itself, its reposts and replies, theirs…"""
        d = self.time.copy()
        frontier = np.flatnonzero(self.parent >= 0)
        while len(frontier):
            up = self.parent[frontier]
            before = d[up]
            np.maximum.at(d, up, d[frontier])
            grew = distinct(up[d[up] > before])
            frontier = grew[self.parent[grew] >= 0]
        return d

    def windows(self, margin: pd.Timedelta) -> _Windows:
        """Every event's window (see the module docstring)."""
        n_ev, time = self.n_ev, self.time
        explicit_node = self.c_node[self.tag >= 0]
        explicit_ev = self.tag[self.tag >= 0]
        first = np.full(n_ev, _NEVER, dtype=np.int64)
        np.minimum.at(first, explicit_ev, time[explicit_node])
        start = np.where(self.started != _NAT, self.started, first)
        start = np.where(start == _NEVER, _NAT, start)
        lo = np.where(start != _NAT, start - margin.value, _NAT)
        limit = np.full(n_ev, _NEVER, dtype=np.int64)
        later = _related_later(self.events, start[self.ev_code])
        for i, rows in enumerate(later):
            if rows:
                limit[self.ev_code[i]] = min(lo[self.ev_code[j]] for j in rows)
        limit = np.where(self.ended != _NAT, self.ended, limit)
        hi = limit.copy()
        reach = self._reach()
        has_explicit = np.zeros(n_ev, dtype=bool)
        has_explicit[explicit_ev] = True
        for e in np.flatnonzero(has_explicit & (self.ended == _NAT)):
            mine = explicit_node[explicit_ev == e]
            end = max(int(reach[mine].max()), int(self.started[e]))
            hi[e] = self._sweep(e, end, lo[e], limit[e], margin.value, reach)
        return _Windows(lo=lo, hi=hi, limit=limit)

    def _sweep(self, e: int, end: int, lo: int, limit: int, margin: int, reach: np.ndarray) -> int:
        """Where the window of event code ``e`` closes: ``margin`` after the last linked
        activity, starting from ``end`` (its ``event_id`` contents' chains) and pushed on by
        the chains of the contents that join it by text or target, taken in time order,
        until the next one comes after the window; never past ``limit``."""
        anchors = []
        for code, hit in self.text_hits:
            if code == e:
                anchors.append(self.c_node[self.free & hit])
        start = self.started[e] if self.started[e] != _NAT else lo
        for code, hit in self.aimed:
            if code == e:
                node = self.c_node[self.free & hit]
                anchors.append(node[self.time[node] >= start])
        for code, hit in self.orphan_hits:
            if code == e:
                anchors.append(self.r_node[self.orphan & hit])
        node = np.concatenate(anchors) if anchors else np.empty(0, np.int64)
        node = node[self.time[node] >= lo]
        order = np.argsort(self.time[node], kind="stable")
        t, r = self.time[node][order], reach[node][order]
        # the last linked activity after each anchor joined, and before it was looked at
        after = np.maximum(end, np.maximum.accumulate(r)) if len(r) else r
        before = np.concatenate([[end], after[:-1]])
        late = np.flatnonzero(t > np.minimum(limit, before + margin))
        last = before[late[0]] if len(late) else (after[-1] if len(after) else end)
        return int(min(limit, last + margin))

    # ------------------------------------------------------------------ members
    def members(self, w: _Windows) -> pd.DataFrame:
        """Every (content, event) pair with how it joined, under the windows ``w``."""
        n, n_ev, time = self.n, self.n_ev, self.time
        c_node, r_node = self.c_node, self.r_node

        def inside(node: np.ndarray, e: np.ndarray | int) -> np.ndarray:
            t = time[node]
            return (t != _NAT) & (t >= w.lo[e]) & (t <= w.hi[e])

        def older(node: np.ndarray, e: np.ndarray | int) -> np.ndarray:
            t = time[node]
            return (t != _NAT) & (t < w.lo[e])

        found = _Found(n, n_ev)
        dormant: list[tuple[np.ndarray, np.ndarray]] = []  # (node, event) from before windows
        found.add(c_node[self.tag >= 0], self.tag[self.tag >= 0], "event_id")
        for e, hit in self.text_hits:
            node = c_node[self.free & hit]
            found.add(node[inside(node, e)], e, "text")
            node = c_node[hit & (self.tag != e)]  # old mentions, tagged elsewhere or not
            node = node[older(node, e)]
            dormant.append((node, np.full(len(node), e, dtype=np.int64)))
        for e, hit in self.aimed:
            node = c_node[self.free & hit]
            t = time[node]
            start = self.started[e] if self.started[e] != _NAT else w.lo[e]
            found.add(node[(t >= start) & (t <= w.hi[e])], e, "target")

        bound = (time, w.limit)
        # replies follow the content they answer (when they carry no event_id of their own)
        found.propagate(self.reply_links, "reply", bound)

        # copies: near-duplicate text or equal media of an event content, or of older
        # content that names the event (a rumour told again in other words)
        node, ev = found.arrays()
        keys = distinct(node * np.int64(n_ev) + ev)
        node = np.concatenate([node, *(d[0] for d in dormant)]).astype(np.int64)
        ev = np.concatenate([ev, *(d[1] for d in dormant)]).astype(np.int64)
        rows = self.row_of[node]
        is_c = rows >= 0
        mrow, mev = rows[is_c], ev[is_c]
        by_text = (
            pd.DataFrame({"m": self.text_of[mrow], "e": mev})
            .drop_duplicates()
            .merge(self.copy_pairs, on="m")[["c", "e"]]
            .drop_duplicates()
            .merge(self.rows_of_text, on="c")[["row", "e"]]
        )
        with_media = self.has_media[mrow]
        media_rows = np.flatnonzero(self.has_media)
        by_media = (
            pd.DataFrame({"media": self.media[mrow][with_media], "e": mev[with_media]})
            .drop_duplicates()
            .merge(pd.DataFrame({"media": self.media[media_rows], "row": media_rows}), on="media")[
                ["row", "e"]
            ]
        )
        cp = pd.concat([by_text, by_media], ignore_index=True).drop_duplicates()
        crow, cev = cp["row"].to_numpy(dtype=np.int64), cp["e"].to_numpy(dtype=np.int64)
        cnode = c_node[crow]
        in_found = found.has_node()
        join = self.free[crow] & ~in_found[cnode] & inside(cnode, cev)
        found.add(cnode[join], cev[join], "copy")
        old = older(cnode, cev) & ~np.isin(cnode * np.int64(n_ev) + cev, keys)
        dormant.append((cnode[old], cev[old]))

        # reposts follow their parent (content or repost), down the whole chain; replies to
        # copies and to reposts follow in turn
        found.follow(self.repost_links, self.reply_links, bound)
        # reposts of unknown (deleted) sources: by their own comment text
        if self.orphan_hits:
            open_ = self.orphan & ~found.has_node()[r_node]
            for e, hit in self.orphan_hits:
                node = r_node[open_ & hit]
                found.add(node[inside(node, e)], e, "text")
                dormant.append((node[older(node, e)], np.full(int(older(node, e).sum()), e)))
            found.follow(self.repost_links, self.reply_links, bound)

        # what the event did with older content: source material
        self._act_on_older(found, dormant, inside, bound)
        return self._frame(found)

    def _act_on_older(self, found: _Found, dormant, inside, bound) -> None:
        """Reposts and replies made inside a window down the chains of older content that
        matches the event join it, and that content and the chains between as source."""
        n_ev = np.int64(self.n_ev)
        node = np.concatenate([d[0] for d in dormant]) if dormant else np.empty(0, np.int64)
        ev = np.concatenate([d[1] for d in dormant]) if dormant else np.empty(0, np.int64)
        fnode, fev = found.arrays()
        member = distinct(fnode * n_ev + fev)
        roots = distinct(node.astype(np.int64) * n_ev + ev.astype(np.int64))
        roots = roots[~np.isin(roots, member, assume_unique=True)]
        if not len(roots):
            return
        # every (descendant, event) pair below the roots
        visited = _Visited(self.n * int(n_ev), roots)
        seen, layer = [], roots
        while len(layer):
            nxt = []
            for links in (self.repost_links, self.reply_links):
                i, child = links.children(layer // n_ev)
                nxt.append(child * n_ev + layer[i] % n_ev)
            layer = visited.add_new(distinct(np.concatenate(nxt)))
            seen.append(layer)
        below = distinct(np.concatenate(seen)) if seen else np.empty(0, np.int64)
        tree = distinct(np.concatenate([roots, below]))
        in_member = np.isin(below, member, assume_unique=True)
        acts = below[in_member | inside(below // n_ev, below % n_ev)]
        if not len(acts):
            return
        new = acts[~np.isin(acts, member, assume_unique=True)]
        new_node = new // n_ev
        rep = self.is_repost[new_node]
        found.add(new_node[rep], new[rep] % n_ev, "repost")
        found.add(new_node[~rep], new[~rep] % n_ev, "reply")
        # their reposts and replies follow them, before the source joins (whose other
        # reposts and replies, outside the window, must not follow it)
        found.follow(self.repost_links, self.reply_links, bound)
        # up from each act to the older content it acts on
        marked, frontier = np.empty(0, np.int64), acts
        while len(frontier):
            up = self.parent[frontier // n_ev]
            ok = up >= 0
            frontier = distinct(up[ok] * n_ev + frontier[ok] % n_ev)
            frontier = frontier[np.isin(frontier, tree, assume_unique=True)]
            frontier = frontier[~np.isin(frontier, marked, assume_unique=True)]
            marked = distinct(np.concatenate([marked, frontier]))
        fnode, fev = found.arrays()
        marked = marked[~np.isin(marked, fnode * n_ev + fev)]
        found.add(marked // n_ev, marked % n_ev, "source")

    def _frame(self, found: _Found) -> pd.DataFrame:
        """The found pairs as membership rows: each (content, event) once, by the first rule
        that found it, sorted by (event_id, content_id)."""
        n = self.n
        node, ev = found.arrays()
        via = np.repeat(np.array(found.via, dtype=object), [len(x) for x in found.node])
        _, first = np.unique(node * np.int64(found.n_events) + ev, return_index=True)
        node, ev, via = node[first], ev[first], via[first]
        ids = self.nodes.ids.to_numpy()
        ev_ids = self.ev_ids
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

    def window_frame(self, w: _Windows) -> pd.DataFrame:
        """The windows as rows ``event_id, opens_at, closes_at`` (NaT: no bound), by event_id."""
        out = pd.DataFrame(
            {
                "event_id": self.ev_ids.to_numpy(dtype=object),
                "opens_at": pd.to_datetime([_time(x) for x in w.lo], utc=True),
                "closes_at": pd.to_datetime([_time(x) for x in w.hi], utc=True),
            },
            columns=WINDOW_COLUMNS,
        )
        return out.sort_values("event_id", kind="mergesort").reset_index(drop=True)


def window_margin(margin: pd.Timedelta | str | float) -> pd.Timedelta:
    """The margin before an event's start as a Timedelta (a number: hours).

    >>> window_margin(6)
    Timedelta('0 days 06:00:00')

    Raises
    ------
    InputError
        For a negative margin or one that is no duration.
    """
    try:
        if isinstance(margin, (int, float, np.integer, np.floating)):
            m = pd.Timedelta(hours=float(margin))
        else:
            m = pd.Timedelta(margin)
    except (ValueError, TypeError):
        m = pd.NaT
    if pd.isna(m) or m < pd.Timedelta(0):
        raise InputError(f"the window margin must be zero hours or more, not {margin!r}")
    return m


def compute_memberships(
    events: pd.DataFrame,
    contents: pd.DataFrame,
    reposts: pd.DataFrame,
    *,
    copy_threshold: float = 0.7,
    margin: pd.Timedelta | str | float = DEFAULT_MARGIN,
) -> pd.DataFrame:
    """Event membership of every content and repost.

    Parameters
    ----------
    events, contents, reposts : DataFrame
        Frames as :meth:`pileon.graph.store.Store.frame` returns them, in any row order;
        contents and reposts need only the columns of :data:`INPUT_COLUMNS` (and
        contents' ``placeholder``, when placeholders are among them); events may lack
        ``ended_at``.
    copy_threshold : float
        Character-shingle Jaccard similarity from which a content counts as a copy.
    margin : Timedelta, str or float, default :data:`DEFAULT_MARGIN` (48 hours)
        How long before its start an event's window opens (a number: hours).

    Returns
    -------
    DataFrame
        ``content_id, event_id, via`` sorted by (event_id, content_id); a content
        joins each event at most once, by the first rule that applies in the order of
        :data:`VIA`.

    Notes
    -----
    Contents, reposts and events are handled as integer codes (one hash pass over
    the ID columns).  Replies and reposts are followed as a breadth-first walk over
    (content, event) pairs: O(n + pairs) plus a few numpy operations per chain level
    (deduplicated by sorting, as a child has one parent); plus MinHash LSH over the
    distinct texts (no all-pairs), once.  Each window's end is one sweep over the
    event's text and target matches in time order, with the latest time in each
    item's chains computed once for all (a walk up the parent links, one numpy step
    per chain level).
    """
    scope = _Scope(events, contents, reposts, copy_threshold=copy_threshold)
    return scope.members(scope.windows(window_margin(margin)))


def event_windows(
    events: pd.DataFrame,
    contents: pd.DataFrame,
    reposts: pd.DataFrame,
    *,
    copy_threshold: float = 0.7,
    margin: pd.Timedelta | str | float = DEFAULT_MARGIN,
) -> pd.DataFrame:
    """Each event's window as :func:`compute_memberships` draws it: ``event_id, opens_at,
    closes_at`` (UTC; NaT where it has no bound), sorted by event_id."""
    scope = _Scope(events, contents, reposts, copy_threshold=copy_threshold)
    return scope.window_frame(scope.windows(window_margin(margin)))


__all__ = [
    "compute_memberships",
    "event_windows",
    "MEMBERSHIP_COLUMNS",
    "VIA",
    "window_margin",
    "DEFAULT_MARGIN",
    "INPUT_COLUMNS",
]
