"""A node's neighbourhood: the nodes and edges around it, for a graph view (``GET /v1/graph/neighborhood``).

The walk is breadth-first, ``hops`` levels out from the centre, reading the
store in batches per level (one query per table and level, not per node).
New nodes are taken in a fixed order until ``limit`` nodes are held: by edge
type (targets, findings, affiliations, authorship, reposts, replies, event
membership), then by the finding's rank, then by ID, so the same store gives
the same answer.  Edges between held nodes are all returned, including those
between nodes of the outermost level (read from the held nodes' own rows, their
memberships, affiliations and findings: never by expanding the outermost level).

Bounded around hubs: from one node the walk reads at most ``fanout`` neighbours
of each kind (:data:`DEFAULT_FANOUT`): the first by ID of its posts, of the
reposts of it, of the replies to it, of its affiliations, of an event's members,
and the first by rank of an event's ranked accounts and MCNs
(:meth:`pileon.graph.store.Store.linked`, an index walk that stops there).  So the
source of a viral cascade (100k reposts) costs ``fanout`` rows, and a request at
most about ``limit x fanout`` rows per level whatever the data.  The answer says
so: ``sample`` holds the rule, the ``fanout`` and every ``capped`` expansion
(node, edge type, how many neighbours were read), deterministic like the rest.

Edges (as in :mod:`pileon.graph.model`): ``POSTED`` account→content/repost,
``REPOST_OF`` repost→its immediate source, ``REPLY_TO`` content→parent,
``TARGETS`` content/event→account, ``IN_EVENT`` content/repost→event,
``AFFILIATED_WITH`` account→MCN, ``FINDING`` account/MCN→event (the latest
analysis; properties rank, tier, roles or measures).

Not walked: from an account to the contents that target it (``target_ids`` is
a list column; the event node links its targets instead).

Reads go in batches (:meth:`pileon.graph.store.Store.read_many`: one query, one round
trip on Neo4j): the IDs to resolve in every table at once, and each level's
expansion (every kind's neighbours, memberships, findings, latest runs) at once, then
the ranked lists of those runs; the walk itself takes each result from what the batch
read, so the answer is the one the reads one by one give.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from typing import Any

from pileon.graph.errors import NotFound
from pileon.graph.store import Read, Store

#: ``limit`` of a ranked list read whole
_ALL = 10**9
MAX_HOPS = 3
MAX_NODES = 1000
#: neighbours of one kind read from one node (see the module docstring)
DEFAULT_FANOUT = 50
MAX_FANOUT = 500
#: what ``sample.rule`` says
SAMPLE_RULE = (
    "from each node at most `fanout` neighbours of each kind are read: the first by ID "
    "(an event's ranked accounts and MCNs: the first by rank); `capped` lists the "
    "expansions that had more"
)

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
_AFFILIATION_KEYS = ("since", "until", "role")


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
    """Per-request caches over the store: node rows, kinds, findings; the capped reads."""

    def __init__(self, store: Store, fanout: int) -> None:
        self.store = store
        self.fanout = fanout
        self.rows: dict[str, dict[str, Any]] = {}
        self.kind: dict[str, str] = {}
        self.hint: dict[str, str] = {}  # ID -> kind, known from the read that found it
        self.capped: dict[tuple[str, str], int] = {}  # (node, edge type) -> neighbours read
        self._events: list[dict[str, Any]] | None = None
        self._latest: dict[str, str | None] = {}
        self._account_findings: dict[str, list[dict[str, Any]]] = {}
        self._mcn_findings: dict[str, list[dict[str, Any]]] | None = None
        self._read: dict[Hashable, Any] = {}  # results of reads, by their call

    # ----------------------------------------------------------------- reads
    def read(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """The store's ``name(*args, **kwargs)``, from a batch read before if there was one."""
        key = _call_key(name, args, kwargs)
        if key not in self._read:
            self._read[key] = getattr(self.store, name)(*args, **kwargs)
        return self._read[key]

    def prefetch(self, calls: Sequence[Read]) -> None:
        """Read ``calls`` (those not read yet) in one batch, for :meth:`read` to give."""
        todo: dict[Hashable, Read] = {}
        for call in calls:
            key = _call_key(*call)
            if key not in self._read:
                todo.setdefault(key, call)
        if todo:
            for key, result in zip(todo, self.store.read_many(list(todo.values()))):
                self._read[key] = result

    def _linked_call(
        self, table: str, column: str, ids: list[str], *, kind: str | None = None
    ) -> Read:
        if kind is None:
            return ("linked", (table, column, ids), {"per_id": self.fanout})
        key = _TABLES[kind][1]
        return ("linked", (table, column, ids), {"per_id": self.fanout, "columns": (key, column)})

    # -------------------------------------------------------------- lookups
    def remember(self, kind: str, records: list[dict[str, Any]]) -> None:
        key = _TABLES[kind][1]
        for r in records:
            self.rows.setdefault(r[key], r)
            self.kind.setdefault(r[key], kind)

    def resolve(self, ids: set[str]) -> None:
        """Find the kind and row of each ID not seen yet (IDs are unique across the store)."""
        todo = {i for i in ids if i not in self.kind}
        if not todo:
            return
        # the kinds found with the IDs first, then every table for the rest; one batch
        # asks each table for every ID it may be asked for below (a superset: the
        # events are not known yet), the loop keeps the rows of the IDs it asks
        hinted = [k for k in _TABLES if any(self.hint.get(i) == k for i in todo)]
        order = [k for k in (*hinted, *(k for k in _TABLES if k not in hinted)) if k != "event"]
        calls: list[Read] = []
        if self._events is None:  # read whole and kept: events are few, their IDs resolve here
            calls.append(("records", ("events",), {}))
        for kind in order:
            asked = sorted(
                todo if kind not in hinted else (i for i in todo if self.hint.get(i) == kind)
            )
            calls.append(("records", (_TABLES[kind][0],), {"ids": asked}))
        got = self.store.read_many(calls)
        if self._events is None:
            self._events = got.pop(0)
            self.remember("event", self._events)
        todo = {i for i in todo if i not in self.kind}
        for kind, rows in zip(order, got):
            if not todo:
                return
            key = _TABLES[kind][1]
            wanted = {i for i in todo if self.hint.get(i, kind) == kind}
            if kind not in hinted:
                wanted = set(todo)
            if not wanted:
                continue
            found = [r for r in rows if r[key] in wanted]
            self.remember(kind, found)
            todo -= {r[key] for r in found}

    def linked(
        self, table: str, column: str, ids: list[str], edge: str, *, kind: str | None = None
    ) -> list[dict[str, Any]]:
        """The first ``fanout`` rows of ``table`` per ID of ``column``; the IDs that had
        more are recorded as capped expansions of ``edge``.  With ``kind``: only the
        rows' keys and ``column`` (their nodes' rows are read if they are kept)."""
        if not ids:
            return []
        name, args, kwargs = self._linked_call(table, column, ids, kind=kind)
        rows: list[dict[str, Any]]
        rows, more = self.read(name, *args, **kwargs)
        if kind is not None:
            key = _TABLES[kind][1]
            for r in rows:
                self.hint.setdefault(r[key], kind)
        for i in more:
            self.capped[(i, edge)] = self.capped.get((i, edge), 0) + self.fanout
        return rows

    def events(self) -> list[dict[str, Any]]:
        if self._events is None:
            self._events = self.read("records", "events")
            self.remember("event", self._events)
        return self._events

    def latest(self, event_id: str) -> str | None:
        if event_id not in self._latest:
            self._latest[event_id] = self.read("latest_run", event_id)
        return self._latest[event_id]

    def account_findings(self, account_id: str) -> list[dict[str, Any]]:
        if account_id not in self._account_findings:
            self.prefetch_findings([account_id])
        return self._account_findings[account_id]

    def prefetch_findings(self, accounts: list[str]) -> None:
        todo = [a for a in accounts if a not in self._account_findings]
        if todo:
            self._account_findings.update(self.read("accounts_findings", todo))

    def mcn_findings(self, mcn_id: str) -> list[dict[str, Any]]:
        if self._mcn_findings is None:
            self._mcn_findings = defaultdict(list)
            for ev in self.events():
                run = self.latest(ev["event_id"])
                if run is None:
                    continue
                for item in self.read("ranked", run, "mcns", limit=_ALL):
                    self._mcn_findings[item["mcn_id"]].append(
                        {"event_id": ev["event_id"], "run_id": run, **item}
                    )
        return self._mcn_findings.get(mcn_id, [])

    # ------------------------------------------------------------ expansion
    def expand(self, ids: list[str]) -> list[_Edge]:
        """The edges at the nodes ``ids`` (whose kinds are known) that lead to new nodes,
        at most ``fanout`` of each kind per node."""
        by_kind: dict[str, list[str]] = defaultdict(list)
        for i in ids:
            by_kind[self.kind[i]].append(i)
        self._prefetch_expand({k: sorted(v) for k, v in by_kind.items()})
        edges: list[_Edge] = []
        if by_kind["account"]:
            edges += self._expand_accounts(sorted(by_kind["account"]))
        if by_kind["content"] or by_kind["repost"]:
            edges += self._expand_contents(sorted(by_kind["content"]), sorted(by_kind["repost"]))
        if by_kind["mcn"]:
            edges += self._expand_mcns(sorted(by_kind["mcn"]))
        if by_kind["event"]:
            edges += self._expand_events(sorted(by_kind["event"]))
        return edges

    def _prefetch_expand(self, by_kind: dict[str, list[str]]) -> None:
        """Everything :meth:`expand` reads for these nodes, in two batches (the ranked
        lists need the latest runs' IDs)."""
        accounts, mcns, events = (by_kind.get(k, []) for k in ("account", "mcn", "event"))
        contents, reposts = by_kind.get("content", []), by_kind.get("repost", [])
        calls: list[Read] = []
        if accounts:
            calls += [
                self._linked_call("contents", "account_id", accounts, kind="content"),
                self._linked_call("reposts", "account_id", accounts, kind="repost"),
                self._linked_call("affiliations", "account_id", accounts),
            ]
            calls += self._findings_calls(accounts)
        if contents:
            calls.append(self._linked_call("contents", "reply_to", contents, kind="content"))
        if contents or reposts:
            both = contents + reposts
            calls.append(self._linked_call("reposts", "source_id", both, kind="repost"))
            calls.append(("memberships_of", (both,), {}))
        if mcns:
            calls.append(self._linked_call("affiliations", "mcn_id", mcns))
        if mcns or events:
            calls += [("latest_run", (e["event_id"],), {}) for e in self.events()]
        calls += [("event_members", (e,), {"limit": self.fanout}) for e in events]
        self.prefetch(calls)
        ranked: list[Read] = []
        if mcns:
            ranked += self._mcn_findings_calls()
        for e in events:
            run = self.latest(e)
            if run is not None:
                ranked += [
                    ("ranked", (run, kind), {"limit": self.fanout + 1})
                    for kind in ("accounts", "mcns")
                ]
        self.prefetch(ranked)

    def _findings_calls(self, accounts: list[str]) -> list[Read]:
        todo = [a for a in accounts if a not in self._account_findings]
        return [("accounts_findings", (todo,), {})] if todo else []

    def _mcn_findings_calls(self) -> list[Read]:
        """The ranked MCNs of every event's latest run (whose IDs must have been read)."""
        if self._mcn_findings is not None:
            return []
        runs = [self.latest(e["event_id"]) for e in self.events()]
        return [("ranked", (run, "mcns"), {"limit": _ALL}) for run in runs if run is not None]

    def _expand_accounts(self, accounts: list[str]) -> list[_Edge]:
        edges = []
        contents = self.linked("contents", "account_id", accounts, "POSTED", kind="content")
        reposts = self.linked("reposts", "account_id", accounts, "POSTED", kind="repost")
        edges += [_Edge(r["account_id"], r["content_id"], "POSTED") for r in contents]
        edges += [_Edge(r["account_id"], r["repost_id"], "POSTED") for r in reposts]
        edges += [
            _affiliation(r)
            for r in self.linked("affiliations", "account_id", accounts, "AFFILIATED_WITH")
        ]
        edges += self._event_targets(set(accounts))
        self.prefetch_findings(accounts)
        for a in accounts:
            edges += self._findings(a, self.account_findings(a))
        return edges

    def _expand_contents(self, contents: list[str], reposts: list[str]) -> list[_Edge]:
        edges = []
        both = contents + reposts
        for c in both:
            edges += self._own_edges(c)
        replies = self.linked("contents", "reply_to", contents, "REPLY_TO", kind="content")
        edges += [_Edge(r["content_id"], r["reply_to"], "REPLY_TO") for r in replies]
        shares = self.linked("reposts", "source_id", both, "REPOST_OF", kind="repost")
        edges += [_Edge(r["repost_id"], r["source_id"], "REPOST_OF") for r in shares]
        edges += self._memberships(both)
        return edges

    def _expand_mcns(self, mcns: list[str]) -> list[_Edge]:
        edges = [
            _affiliation(r) for r in self.linked("affiliations", "mcn_id", mcns, "AFFILIATED_WITH")
        ]
        for m in mcns:
            edges += self._findings(m, self.mcn_findings(m))
        return edges

    def _expand_events(self, events: list[str]) -> list[_Edge]:
        edges: list[_Edge] = []
        rows = {e["event_id"]: e for e in self.events()}
        for e in events:
            edges += [_Edge(e, a, "TARGETS") for a in rows[e].get("target_ids") or []]
            run = self.latest(e)
            if run is not None:
                for kind, key in (("accounts", "account_id"), ("mcns", "mcn_id")):
                    items = self.read("ranked", run, kind, limit=self.fanout + 1)
                    if len(items) > self.fanout:
                        self.capped[(e, "FINDING")] = (
                            self.capped.get((e, "FINDING"), 0) + self.fanout
                        )
                    for item in items[: self.fanout]:
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
            members, more = self.read("event_members", e, limit=self.fanout)
            if more:
                self.capped[(e, "IN_EVENT")] = self.fanout
            edges += [_Edge(c, e, "IN_EVENT", {"via": via}) for c, via in members]
        return edges

    # ------------------------------------------------------ edges of rows held
    def _own_edges(self, node: str) -> list[_Edge]:
        """The edges a content's or repost's own row names (author, source, parent, targets)."""
        row, edges = self.rows[node], []
        if row.get("account_id"):
            edges.append(_Edge(row["account_id"], node, "POSTED"))
        if self.kind[node] == "repost":
            if row.get("source_id"):
                edges.append(_Edge(node, row["source_id"], "REPOST_OF"))
            return edges
        if row.get("reply_to"):
            edges.append(_Edge(node, row["reply_to"], "REPLY_TO"))
        edges += [_Edge(node, t, "TARGETS") for t in row.get("target_ids") or []]
        return edges

    def _event_targets(self, accounts: set[str]) -> list[_Edge]:
        return [
            _Edge(ev["event_id"], a, "TARGETS")
            for ev in self.events()
            for a in ev.get("target_ids") or []
            if a in accounts
        ]

    def _memberships(self, ids: list[str]) -> list[_Edge]:
        if not ids:
            return []
        return [
            _Edge(c, e, "IN_EVENT", {"via": via}) for c, e, via in self.read("memberships_of", ids)
        ]

    def _findings(self, node: str, findings: list[dict[str, Any]]) -> list[_Edge]:
        return [
            _Edge(node, f["event_id"], "FINDING", _finding_props(f), order=f.get("rank") or 0)
            for f in findings
        ]

    def closure(self, held: set[str]) -> list[_Edge]:
        """Every edge between two held nodes, from what the held nodes' rows name and from
        their memberships, affiliations and findings (bounded by the held nodes)."""
        by_kind: dict[str, list[str]] = defaultdict(list)
        for i in held:
            by_kind[self.kind[i]].append(i)
        accounts, mcns, events = (sorted(by_kind[k]) for k in ("account", "mcn", "event"))
        items = sorted(by_kind["content"]) + sorted(by_kind["repost"])
        # what this and the nodes' findings (:func:`_node`) read, in two batches
        calls: list[Read] = self._findings_calls(accounts)
        if events and items:
            calls.append(("memberships_of", (items,), {}))
        if accounts and mcns:
            calls.append(("records", ("affiliations",), {"ids": accounts, "column": "account_id"}))
        if mcns:
            calls += [("latest_run", (e["event_id"],), {}) for e in self.events()]
        self.prefetch(calls)
        if mcns:
            self.prefetch(self._mcn_findings_calls())
        edges: list[_Edge] = []
        for c in items:
            edges += self._own_edges(c)
        if events:
            for e in self.events():
                if e["event_id"] in held:
                    edges += [_Edge(e["event_id"], a, "TARGETS") for a in e.get("target_ids") or []]
            edges += self._memberships(items)
        if accounts and mcns:
            aff = self.read("records", "affiliations", ids=accounts, column="account_id")
            edges += [_affiliation(r) for r in aff]
        self.prefetch_findings(accounts)
        if events:
            for a in accounts:
                edges += self._findings(a, self.account_findings(a))
            for m in mcns:
                edges += self._findings(m, self.mcn_findings(m))
        return [e for e in edges if e.source in held and e.target in held]


def _call_key(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Hashable:
    def plain(v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            return tuple(plain(x) for x in v)
        if isinstance(v, (set, frozenset)):
            return ("set", tuple(sorted(v)))
        return v

    return (name, plain(args), tuple(sorted((k, plain(v)) for k, v in kwargs.items())))


def _affiliation(r: dict[str, Any]) -> _Edge:
    return _Edge(
        r["account_id"], r["mcn_id"], "AFFILIATED_WITH", {k: r.get(k) for k in _AFFILIATION_KEYS}
    )


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
        found = walk.account_findings(node_id)
    elif kind == "mcn":
        found = walk.mcn_findings(node_id)
    else:
        found = []
    findings = [
        {
            "event_id": f["event_id"],
            "run_id": f["run_id"],
            **{k: f[k] for k in _FINDING_KEYS if k in f},
        }
        for f in found
    ]
    return {
        "id": node_id,
        "kind": kind,
        "label": _label(kind, node_id, row),
        "placeholder": bool(row.get("placeholder", False)),
        "properties": props,
        "findings": findings,
    }


def neighborhood(
    store: Store, *, node: str, hops: int = 1, limit: int = 100, fanout: int = DEFAULT_FANOUT
) -> dict[str, Any]:
    """The nodes within ``hops`` of ``node`` (at most ``limit``, each node's expansion cut
    to ``fanout`` neighbours of each kind) and the edges between them.

    Returns ``center, hops, nodes, edges, truncated`` (``limit`` cut the walk short) and
    ``sample``: ``{"fanout", "rule", "capped": [{"node", "edge", "read"}...]}``, the
    expansions that had more neighbours than were read (sorted by node, then edge type).

    Raises ``NotFound`` when no account, content, repost, MCN or event has the ID.

    Notes
    -----
    Reads at most about ``fanout`` rows per node, table and level expanded (levels
    ``0 .. hops-1``; the outermost level is only linked), so O(limit x fanout x hops)
    whatever the degree of the nodes met.
    """
    if fanout < 1:
        raise ValueError("fanout must be >= 1")
    walk = _Walk(store, fanout)
    walk.resolve({node})
    if node not in walk.kind:
        raise NotFound(f"no account, content, repost, MCN or event {node!r}")
    held = {node}
    order = [node]
    frontier = [node]
    truncated = False
    for _level in range(hops):
        room = max(limit - len(held), 0)
        if not frontier:
            break
        if room == 0:  # the limit is reached with levels left to walk: not expanded
            truncated = True
            break
        found = walk.expand(frontier)
        candidates: dict[str, tuple[int, float, str]] = {}  # node -> (type, order, node)
        for e in found:
            for end in (e.source, e.target):
                if end not in held:
                    rank = (_TYPE_ORDER[e.type], e.order, end)
                    candidates[end] = min(candidates.get(end, rank), rank)
        ranked = sorted(candidates, key=lambda c: candidates[c])
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
    edges = {e.key: e for e in walk.closure(held)}
    kept = sorted(edges.values(), key=lambda e: (_TYPE_ORDER[e.type], e.source, e.target))
    return {
        "center": node,
        "hops": hops,
        "nodes": [_node(walk, n) for n in order],
        "edges": [
            {"source": e.source, "target": e.target, "type": e.type, "properties": e.properties}
            for e in kept
        ],
        "truncated": truncated,
        "sample": {
            "fanout": fanout,
            "rule": SAMPLE_RULE,
            "capped": [
                {"node": n, "edge": t, "read": k} for (n, t), k in sorted(walk.capped.items())
            ],
        },
    }
