"""A node's neighbourhood: the nodes and edges around it, for a graph view (``GET /v1/graph/neighborhood``).

The walk is breadth-first, ``hops`` levels out from the centre, reading the
store in batches per level (one query per table and level, not per node).
New nodes are taken in a fixed order until ``limit`` nodes are held: by edge
type (targets, findings, affiliations, authorship, reposts, replies, event
membership), then by the finding's rank, then by ID, so the same store gives
the same answer.  Edges between held nodes are all returned, including those
between nodes of the outermost level.

Edges (as in :mod:`pileon.graph.model`): ``POSTED`` account→content/repost,
``REPOST_OF`` repost→its immediate source, ``REPLY_TO`` content→parent,
``TARGETS`` content/event→account, ``IN_EVENT`` content/repost→event,
``AFFILIATED_WITH`` account→MCN, ``FINDING`` account/MCN→event (the latest
analysis; properties rank, tier, roles or measures).

Not walked: from an account to the contents that target it (``target_ids`` is
a list column; the event node links its targets instead).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd

from pileon.graph.errors import NotFound
from pileon.graph.frames import frame_records
from pileon.graph.store import Store

MAX_HOPS = 3
MAX_NODES = 1000

#: node kind -> (table, key column)
_TABLES = {
    "event": ("events", "event_id"),
    "account": ("accounts", "account_id"),
    "mcn": ("mcns", "mcn_id"),
    "content": ("contents", "content_id"),
    "repost": ("reposts", "repost_id"),
}
_TYPE_ORDER = {
    "TARGETS": 0,
    "FINDING": 1,
    "AFFILIATED_WITH": 2,
    "POSTED": 3,
    "REPOST_OF": 4,
    "REPLY_TO": 5,
    "IN_EVENT": 6,
}
_FINDING_KEYS = ("rank", "score", "tier", "roles", "cluster_id", "measures")


class _Edge:
    __slots__ = ("source", "target", "type", "properties", "order")

    def __init__(
        self,
        source: str,
        target: str,
        type_: str,
        properties: dict[str, Any] | None = None,
        order: float = 0,
    ) -> None:
        self.source, self.target, self.type = source, target, type_
        self.properties = properties or {}
        self.order = order

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.source, self.target, self.type)


class _Walk:
    """Per-request caches over the store: node rows, kinds, findings, memberships."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.rows: dict[str, dict[str, Any]] = {}
        self.kind: dict[str, str] = {}
        self._events: list[dict[str, Any]] | None = None
        self._members: pd.DataFrame | None = None
        self._latest: dict[str, str | None] = {}
        self._account_findings: dict[str, list[dict[str, Any]]] = {}
        self._mcn_findings: dict[str, list[dict[str, Any]]] | None = None

    # -------------------------------------------------------------- lookups
    def remember(self, kind: str, records: list[dict[str, Any]]) -> None:
        key = _TABLES[kind][1]
        for r in records:
            self.rows.setdefault(r[key], r)
            self.kind.setdefault(r[key], kind)

    def resolve(self, ids: set[str]) -> None:
        """Find the kind and row of each ID not seen yet (IDs are unique across the store)."""
        todo = {i for i in ids if i not in self.kind}
        for kind, (table, key) in _TABLES.items():
            if not todo:
                return
            found = frame_records(self.store.frame(table, ids=sorted(todo)))
            self.remember(kind, found)
            todo -= {r[key] for r in found}

    def events(self) -> list[dict[str, Any]]:
        if self._events is None:
            self._events = frame_records(self.store.frame("events"))
            self.remember("event", self._events)
        return self._events

    def memberships_of(self, ids: list[str]) -> list[tuple[str, str, str]]:
        """(content_id, event_id, via) of the given contents and reposts, sorted."""
        if self._members is None:
            self._members = self.store.memberships()
        m = self._members
        m = m[m["content_id"].isin(ids)]
        return sorted(m[["content_id", "event_id", "via"]].itertuples(index=False, name=None))

    def latest(self, event_id: str) -> str | None:
        if event_id not in self._latest:
            self._latest[event_id] = self.store.latest_run(event_id)
        return self._latest[event_id]

    def account_findings(self, account_id: str) -> list[dict[str, Any]]:
        if account_id not in self._account_findings:
            self._account_findings[account_id] = self.store.account_findings(account_id)
        return self._account_findings[account_id]

    def mcn_findings(self, mcn_id: str) -> list[dict[str, Any]]:
        if self._mcn_findings is None:
            self._mcn_findings = defaultdict(list)
            for ev in self.events():
                run = self.latest(ev["event_id"])
                if run is None:
                    continue
                for item in self.store.ranked(run, "mcns", limit=10**9):
                    self._mcn_findings[item["mcn_id"]].append(
                        {"event_id": ev["event_id"], "run_id": run, **item}
                    )
        return self._mcn_findings.get(mcn_id, [])

    # ------------------------------------------------------------ expansion
    def expand(self, ids: list[str], *, limit: int, held: set[str], final: bool) -> list[_Edge]:
        """The edges at the nodes ``ids`` (whose kinds are known) that may matter: all of
        them, except that an event's members are cut to those ``held`` plus (unless
        ``final``, when no node is added any more) the first ``limit`` by ID."""
        by_kind: dict[str, list[str]] = defaultdict(list)
        for i in ids:
            by_kind[self.kind[i]].append(i)
        edges: list[_Edge] = []
        if by_kind["account"]:
            edges += self._expand_accounts(sorted(by_kind["account"]))
        if by_kind["content"] or by_kind["repost"]:
            edges += self._expand_contents(sorted(by_kind["content"]), sorted(by_kind["repost"]))
        if by_kind["mcn"]:
            edges += self._expand_mcns(sorted(by_kind["mcn"]))
        if by_kind["event"]:
            edges += self._expand_events(
                sorted(by_kind["event"]), limit=limit, held=held, final=final
            )
        return edges

    def _expand_accounts(self, accounts: list[str]) -> list[_Edge]:
        s, edges = self.store, []
        contents = frame_records(s.frame("contents", ids=accounts, column="account_id"))
        reposts = frame_records(s.frame("reposts", ids=accounts, column="account_id"))
        self.remember("content", contents)
        self.remember("repost", reposts)
        edges += [_Edge(r["account_id"], r["content_id"], "POSTED") for r in contents]
        edges += [_Edge(r["account_id"], r["repost_id"], "POSTED") for r in reposts]
        for r in frame_records(s.frame("affiliations", ids=accounts, column="account_id")):
            edges.append(
                _Edge(
                    r["account_id"],
                    r["mcn_id"],
                    "AFFILIATED_WITH",
                    {k: r.get(k) for k in ("since", "until", "role")},
                )
            )
        wanted = set(accounts)
        for ev in self.events():
            edges += [
                _Edge(ev["event_id"], a, "TARGETS")
                for a in ev.get("target_ids") or []
                if a in wanted
            ]
        for a in accounts:
            for f in self.account_findings(a):
                edges.append(
                    _Edge(a, f["event_id"], "FINDING", _finding_props(f), order=f.get("rank") or 0)
                )
        return edges

    def _expand_contents(self, contents: list[str], reposts: list[str]) -> list[_Edge]:
        s, edges = self.store, []
        both = contents + reposts
        for c in contents:
            row = self.rows[c]
            if row.get("account_id"):
                edges.append(_Edge(row["account_id"], c, "POSTED"))
            if row.get("reply_to"):
                edges.append(_Edge(c, row["reply_to"], "REPLY_TO"))
            edges += [_Edge(c, t, "TARGETS") for t in row.get("target_ids") or []]
        for r in reposts:
            row = self.rows[r]
            if row.get("account_id"):
                edges.append(_Edge(row["account_id"], r, "POSTED"))
            if row.get("source_id"):
                edges.append(_Edge(r, row["source_id"], "REPOST_OF"))
        replies = (
            frame_records(s.frame("contents", ids=contents, column="reply_to")) if contents else []
        )
        self.remember("content", replies)
        edges += [_Edge(r["content_id"], r["reply_to"], "REPLY_TO") for r in replies]
        shares = frame_records(s.frame("reposts", ids=both, column="source_id"))
        self.remember("repost", shares)
        edges += [_Edge(r["repost_id"], r["source_id"], "REPOST_OF") for r in shares]
        edges += [_Edge(c, e, "IN_EVENT", {"via": via}) for c, e, via in self.memberships_of(both)]
        return edges

    def _expand_mcns(self, mcns: list[str]) -> list[_Edge]:
        edges = []
        for r in frame_records(self.store.frame("affiliations", ids=mcns, column="mcn_id")):
            edges.append(
                _Edge(
                    r["account_id"],
                    r["mcn_id"],
                    "AFFILIATED_WITH",
                    {k: r.get(k) for k in ("since", "until", "role")},
                )
            )
        for m in mcns:
            for f in self.mcn_findings(m):
                edges.append(
                    _Edge(m, f["event_id"], "FINDING", _finding_props(f), order=f.get("rank") or 0)
                )
        return edges

    def _expand_events(
        self, events: list[str], *, limit: int, held: set[str], final: bool
    ) -> list[_Edge]:
        s, edges = self.store, []
        rows = {e["event_id"]: e for e in self.events()}
        for e in events:
            edges += [_Edge(e, a, "TARGETS") for a in rows[e].get("target_ids") or []]
            run = self.latest(e)
            if run is not None:
                for kind, key in (("accounts", "account_id"), ("mcns", "mcn_id")):
                    for item in s.ranked(run, kind, limit=limit + 1):
                        f = {"event_id": e, "run_id": run, **item}
                        edges.append(
                            _Edge(
                                item[key],
                                e,
                                "FINDING",
                                _finding_props(f),
                                order=item.get("rank") or 0,
                            )
                        )
            m = s.memberships(e)  # sorted by content_id: IN_EVENT candidates come by ID
            keep = m["content_id"].isin(held)
            if not final:
                keep |= pd.Series(range(len(m)), index=m.index) < limit + len(held)
            m = m[keep]
            edges += [
                _Edge(c, e, "IN_EVENT", {"via": via})
                for c, via in m[["content_id", "via"]].itertuples(index=False, name=None)
            ]
        return edges


def _finding_props(f: dict[str, Any]) -> dict[str, Any]:
    return {"run_id": f.get("run_id"), **{k: f[k] for k in _FINDING_KEYS if k in f}}


def _label(kind: str, node_id: str, row: dict[str, Any]) -> str:
    if kind in ("account", "mcn", "event") and row.get("name"):
        return str(row["name"])
    if kind in ("content", "repost") and row.get("text"):
        text = " ".join(str(row["text"]).split())
        return text if len(text) <= 80 else text[:79] + "…"
    return node_id


def _node(walk: _Walk, node_id: str) -> dict[str, Any]:
    kind, row = walk.kind[node_id], walk.rows[node_id]
    key = _TABLES[kind][1]
    props = {k: v for k, v in row.items() if k not in (key, "placeholder", "extra")}
    if kind == "account":
        findings = [
            {
                "event_id": f["event_id"],
                "run_id": f["run_id"],
                **{k: f[k] for k in _FINDING_KEYS if k in f},
            }
            for f in walk.account_findings(node_id)
        ]
    elif kind == "mcn":
        findings = [
            {
                "event_id": f["event_id"],
                "run_id": f["run_id"],
                **{k: f[k] for k in _FINDING_KEYS if k in f},
            }
            for f in walk.mcn_findings(node_id)
        ]
    else:
        findings = []
    return {
        "id": node_id,
        "kind": kind,
        "label": _label(kind, node_id, row),
        "placeholder": bool(row.get("placeholder", False)),
        "properties": props,
        "findings": findings,
    }


def neighborhood(store: Store, *, node: str, hops: int = 1, limit: int = 100) -> dict[str, Any]:
    """The nodes within ``hops`` of ``node`` (at most ``limit``) and the edges between them.

    Raises ``NotFound`` when no account, content, repost, MCN or event has the ID.
    """
    walk = _Walk(store)
    walk.resolve({node})
    if node not in walk.kind:
        raise NotFound(f"no account, content, repost, MCN or event {node!r}")
    held = {node}
    order = [node]
    edges: dict[tuple[str, str, str], _Edge] = {}
    frontier = [node]
    truncated = False
    for level in range(hops + 1):
        if not frontier:
            break
        found = walk.expand(frontier, limit=limit, held=held, final=level == hops)
        for e in found:
            edges.setdefault(e.key, e)
        if level == hops:
            break  # the outermost level only links nodes already held
        candidates: dict[str, tuple[int, float, str]] = {}  # node -> (type, order, node)
        for e in found:
            for end in (e.source, e.target):
                if end not in held:
                    rank = (_TYPE_ORDER[e.type], e.order, end)
                    candidates[end] = min(candidates.get(end, rank), rank)
        ranked = sorted(candidates, key=lambda c: candidates[c])
        room = max(limit - len(held), 0)
        new: list[str] = []
        start = 0
        while start < len(ranked) and len(new) < room:  # resolve only what may be kept
            chunk = ranked[start : start + max(2 * (room - len(new)), 16)]
            walk.resolve(set(chunk))
            new += [c for c in chunk if c in walk.kind]
            start += len(chunk)
        if len(new) > room or (len(new) == room and start < len(ranked)):
            truncated = True
        new = new[:room]
        held.update(new)
        order.extend(new)
        frontier = new
    kept = sorted(
        (e for e in edges.values() if e.source in held and e.target in held),
        key=lambda e: (_TYPE_ORDER[e.type], e.source, e.target),
    )
    return {
        "center": node,
        "hops": hops,
        "nodes": [_node(walk, n) for n in order],
        "edges": [
            {"source": e.source, "target": e.target, "type": e.type, "properties": e.properties}
            for e in kept
        ],
        "truncated": truncated,
    }
