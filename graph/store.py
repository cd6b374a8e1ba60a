"""The store interface that ingest, detectors and the API use.

Two implementations behave the same (the contract tests prove it):

* :class:`pileon.graph.embedded.EmbeddedStore`: one local SQLite file, WAL mode, no server;
* :class:`pileon.graph.neo4j_store.Neo4jStore`: Neo4j 5 through the official driver.

Open one with :func:`open_store`, which reads a store URI: a file path or
``sqlite:///path`` for the embedded store (default ``./pileon.db``), ``neo4j://`` /
``bolt://`` URIs for Neo4j.  Nothing here reads the environment: the CLI, the API
and :func:`pileon.open_store` take the URI and the Neo4j credentials from
:class:`pileon.settings.Settings` (``--store``, ``PILEON_STORE``, ``NEO4J_*``).

Frames
------
:meth:`Store.frame` returns a table as a pandas DataFrame with exactly the
columns of :func:`pileon.graph.model.stored_columns`, sorted by the table's key, with
these dtypes on both stores: strings ``object`` (``None`` when missing), times
``datetime64[ns, UTC]`` (``NaT``), floats ``float64`` (``NaN``), ints
``Int64``, bools ``boolean``, lists python ``list`` of ``str`` (``[]`` when
missing), ``extra`` a JSON object text with sorted keys (``"{}"`` when none),
``placeholder`` ``bool``, ``tz`` ``Int64`` (minutes).

Alerts
------
Early-warning alerts (SPEC §6) are stored when data lands, per *scope* (``""``: the
whole store; an event ID: counting only that event's contents) and per *key* (a target
or an event, as :mod:`pileon.service.alerts` names them), each key with the digest of
the inputs its alerts were computed from, so that a later pass recomputes only the keys
whose digest changed.  The key ``""`` of a scope marks a completed pass.

Findings
--------
``analyze`` saves one report per run (:meth:`save_report`); every run gets a
new ``run_id`` and older runs stay readable, so that a client paging with a
cursor keeps reading the run it started with while a new analysis lands.
"""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from pileon.graph.model import TABLES
from pileon.graph.uri import DEFAULT_STORE, embedded_path
from pileon.graph.uri import NEO4J_SCHEMES as NEO4J_SCHEMES  # where it was before

#: the report's lists that :meth:`Store.ranked` pages through, and the key of their items
#: (``venues`` and ``platforms``: SPEC §7; clusters and platforms are ranked by position)
RANKED_LISTS = {
    "accounts": "account_id",
    "mcns": "mcn_id",
    "clusters": "cluster_id",
    "venues": "venue_id",
    "platforms": "platform",
}

#: the columns of :meth:`Store.decisions`
DECISION_COLUMNS = [
    "decision_id",
    "event_id",
    "account_id",
    "mcn_id",
    "tier",
    "measure",
    "note",
    "decided_at",
    "decided_by",
]
#: the columns of :meth:`Store.decision_audit`
AUDIT_COLUMNS = [
    "seq",
    "at",
    "action",
    "decision_id",
    "decided_by",
    "idempotency_key",
    "request_sha256",
    "decision",
]


#: the columns of :meth:`Store.evidence_issues`
EVIDENCE_ISSUE_COLUMNS = [
    "seq",
    "issued_at",
    "issued_by",
    "target_id",
    "event_id",
    "generated_at",
    "items",
    "sha256",
    "seal",
    "html_sha256",
]


def decision_values(decision: dict[str, Any]) -> dict[str, Any]:
    """A decision's columns (but ``decision_id``) as stored: text or None, ``tier`` an int.

    >>> decision_values({"account_id": "a", "tier": 3.0, "note": float("nan")})["tier"]
    3
    """

    def plain(k: str, v: Any) -> Any:
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            return None
        return int(v) if k == "tier" else str(v)

    return {k: plain(k, decision.get(k)) for k in DECISION_COLUMNS if k != "decision_id"}


def decision_json(decision: dict[str, Any]) -> str:
    """The audit trail's ``decision``: :func:`decision_values` as JSON, keys sorted."""
    return json.dumps(decision_values(decision), sort_keys=True, ensure_ascii=False)


#: one read of :meth:`Store.read_many`: ``(method, args, kwargs)``
Read = tuple[str, tuple[Any, ...], dict[str, Any]]
#: the methods :meth:`Store.read_many` runs (reads with no side effect)
BATCH_READS = frozenset(
    {
        "records",
        "linked",
        "memberships_of",
        "event_members",
        "latest_run",
        "ranked",
        "account_findings",
        "accounts_findings",
        "account_decisions",
        "missing_ids",
        "stored_alerts",
    }
)


class Store(ABC):
    """Where pileon's graph lives. See the module docstring for the frame conventions."""

    uri: str

    # ------------------------------------------------------------------ writes
    @abstractmethod
    def upsert(self, table: str, rows: pd.DataFrame) -> int:
        """Insert or replace rows of ``table`` by key; return the number of rows written.

        ``rows`` holds normalised values (the dtypes of :meth:`frame`) and may
        lack optional columns (then they are stored missing).  Upserting a row
        whose key exists as a placeholder replaces the placeholder.
        Loading the same rows twice changes nothing.
        """

    @abstractmethod
    def create_placeholders(self, kind: str, ids: Iterable[str]) -> int:
        """Create placeholder nodes (``account``, ``content`` or ``mcn``) for the IDs
        not already stored (as contents *or* reposts, for ``content``); return how many were new."""

    @abstractmethod
    def missing_ids(self, kind: str, ids: Iterable[str]) -> set[str]:
        """The IDs among ``ids`` that no node of ``kind`` holds (placeholders count as held)."""

    @abstractmethod
    def set_memberships(self, memberships: pd.DataFrame) -> None:
        """Replace the event membership of contents and reposts.

        ``memberships`` has columns ``content_id, event_id, via`` (``via``: how the
        content joined: ``event_id``, ``text``, ``target``, ``repost``, ``reply``, ``copy``, or
        ``source`` for source material, see :mod:`pileon.ingest.membership`).
        """

    # ------------------------------------------------------------------- reads
    @abstractmethod
    def frame(
        self, table: str, *, ids: Iterable[str] | None = None, column: str | None = None
    ) -> pd.DataFrame:
        """A whole table, or its rows whose ``column`` (default: the first key) is in ``ids``."""

    @abstractmethod
    def memberships(self, event_id: str | None = None) -> pd.DataFrame:
        """Event membership rows ``content_id, event_id, via`` sorted by (event_id, content_id)."""

    def event_items(self, event_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The event's member contents and reposts, ``(contents, reposts)``, as :meth:`frame`
        gives them, each with one more column ``via`` (how each joined, as in
        :meth:`memberships`; ``source`` for source material).

        This default selects both tables by the IDs of :meth:`memberships`; a store may
        join them with its memberships in one query each.
        """
        members = self.memberships(event_id)
        ids = members["content_id"].tolist()
        via = pd.Index(members["content_id"])
        out = []
        for table in ("contents", "reposts"):
            df = self.frame(table, ids=ids)
            at = via.get_indexer(df[TABLES[table].key[0]])
            df["via"] = members["via"].to_numpy(dtype=object)[at]
            out.append(df)
        return out[0], out[1]

    def venue_contents(
        self,
        event_id: str,
        venue_ids: Sequence[str],
        start: pd.Timestamp | None,
        end: pd.Timestamp | None,
        own: pd.Series,
    ) -> pd.DataFrame:
        """The contents posted in ``venue_ids`` from ``start`` to ``end`` (both included;
        None: unbounded) that are not the event's own and no placeholders, as :meth:`frame`
        gives them (in key order).

        ``own``: the IDs of the event's contents as the caller holds them (those of
        :meth:`event_items`, i.e. its member contents).  This default reads every content
        of the venues and keeps those not in ``own``; a store may select them in its own
        query language, leaving out the event's memberships instead (the same contents).
        """
        others = self.frame("contents", ids=list(venue_ids), column="venue_id")
        keep = ~others["content_id"].isin(own).to_numpy(dtype=bool)
        keep &= ~others["placeholder"].to_numpy(dtype=bool)
        t = others["posted_at"]
        if start is not None:
            keep &= (t >= start).to_numpy(dtype=bool)
        if end is not None:
            keep &= (t <= end).to_numpy(dtype=bool)
        return others[keep].reset_index(drop=True)

    def older_contents(
        self, event_id: str, before: pd.Timestamp, terms: Sequence[str]
    ) -> pd.DataFrame:
        """Contents posted before ``before`` where a story of the event may have been told
        earlier: those whose text names one of ``terms`` (as
        :func:`pileon.graph.textsim.terms_pattern` finds them) and those that belong to another
        event than ``event_id`` (as more than source material); placeholders aside.

        As :meth:`frame` gives them, with one more column ``events``: the events other than
        ``event_id`` that each belongs to, as more than source material (sorted list).

        This default reads the whole ``contents`` table and every membership; a store may
        select them in its own query language.
        """
        c = self.frame("contents")
        c = c[
            ~c["placeholder"].to_numpy(dtype=bool) & (c["posted_at"] < before).to_numpy(dtype=bool)
        ]
        m = self.memberships()
        m = m[(m["event_id"] != event_id) & (m["via"] != "source")]
        events: dict[str, list[str]] = {}
        for cid, e in zip(m["content_id"], m["event_id"]):
            events.setdefault(cid, []).append(e)
        return older_rows(c, events, terms)

    def records(
        self, table: str, *, ids: Iterable[str] | None = None, column: str | None = None
    ) -> list[dict[str, Any]]:
        """:meth:`frame` as JSON-able dicts, exactly :func:`pileon.graph.frames.frame_records`
        of it, for reads of a few rows (or a small table whole) where a frame's
        construction would cost more than the read (the graph view).  This default builds
        the frame; a store may convert its rows directly."""
        from pileon.graph.frames import frame_records

        return frame_records(self.frame(table, ids=ids, column=column))

    def linked(
        self,
        table: str,
        column: str,
        ids: Iterable[str],
        *,
        per_id: int,
        columns: Sequence[str] | None = None,
    ) -> tuple[list[dict[str, Any]], set[str]]:
        """The rows of ``table`` whose ``column`` is one of ``ids``, at most ``per_id`` of
        them for each ID: the first by the table's key; as :meth:`records` gives them (in
        key order; only ``columns`` when given), and the IDs that have more rows than
        were kept.

        A graph view reads a node's neighbours through this, so that a hub (the source
        of a viral cascade: 100k reposts) costs ``per_id`` rows, not its whole degree.
        This default reads every row of the IDs and cuts them; both stores override it
        with a read that stops at ``per_id + 1`` rows per ID (an index on ``column`` and
        the key).
        """
        from pileon.graph.frames import frame_records

        if per_id < 0:
            raise ValueError("per_id must be >= 0")
        df = self.frame(table, ids=ids, column=column)
        rank = df.groupby(column, sort=False).cumcount()
        more = set(df.loc[rank >= per_id, column])
        return frame_records(df[rank < per_id], list(columns) if columns else None), more

    def read_many(self, calls: Sequence[Read]) -> list[Any]:
        """The results of several reads at once: ``calls`` are ``(method, args, kwargs)``
        of the methods of :data:`BATCH_READS`; the results come in the same order, each
        exactly what the method returns.

        For views that need a few independent reads (a node's neighbourhood, an
        account's page).  This default calls them one after the other; the Neo4j store
        sends them as one query (one round trip)."""
        out = []
        for name, args, kwargs in calls:
            if name not in BATCH_READS:
                raise ValueError(f"{name!r} is not a read of read_many")
            out.append(getattr(self, name)(*args, **kwargs))
        return out

    def memberships_of(self, content_ids: Iterable[str]) -> list[tuple[str, str, str]]:
        """The memberships ``(content_id, event_id, via)`` of the given contents and
        reposts, sorted.  This default reads every membership."""
        m = self.memberships()
        m = m[m["content_id"].isin(set(content_ids))]
        return sorted(m[["content_id", "event_id", "via"]].itertuples(index=False, name=None))

    def event_members(self, event_id: str, *, limit: int) -> tuple[list[tuple[str, str]], bool]:
        """The event's first ``limit`` members ``(content_id, via)`` by content_id, and
        whether it has more.  This default reads them all."""
        m = self.memberships(event_id)
        rows = list(m[["content_id", "via"]].itertuples(index=False, name=None))
        return rows[:limit], len(rows) > limit

    @abstractmethod
    def count(self, table: str) -> int:
        """Number of stored rows of a table (placeholders included)."""

    def event_ids(self) -> list[str]:
        """IDs of the stored events, sorted."""
        return sorted(self.frame("events")["event_id"].tolist())

    # ---------------------------------------------------------------- findings
    @abstractmethod
    def save_report(self, report: dict[str, Any]) -> str:
        """Store an ``analyze`` report (SPEC §4) as a new run; return its run_id."""

    @abstractmethod
    def latest_run(self, event_id: str) -> str | None:
        """The run_id of the event's latest report, or None when never analyzed."""

    @abstractmethod
    def report(self, run_id: str) -> dict[str, Any]:
        """The whole report of a run (raises ``NotFound``)."""

    @abstractmethod
    def ranked(
        self,
        run_id: str,
        kind: str,
        *,
        after: int = 0,
        limit: int = 100,
        role: str | None = None,
        min_tier: int | None = None,
    ) -> list[dict[str, Any]]:
        """Items of a run's ranked list in rank order, starting after rank ``after``.

        ``kind`` is a key of :data:`RANKED_LISTS`: ``accounts``, ``mcns``, ``clusters``,
        ``venues`` or ``platforms`` (clusters and platforms are ranked by their position in
        the report).  ``role`` and ``min_tier`` filter accounts.
        """

    @abstractmethod
    def account_findings(self, account_id: str) -> list[dict[str, Any]]:
        """The account's entries in the latest run of every event, sorted by event_id."""

    def accounts_findings(self, account_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """:meth:`account_findings` of several accounts at once (every ID a key).  This
        default asks once per account; a store may answer in one query."""
        return {a: self.account_findings(a) for a in dict.fromkeys(account_ids)}

    def generation(self) -> Hashable | None:
        """A value that changes whenever anything is written to the store (by this process
        or another), so that answers computed from it can be kept until then; None when
        the store cannot say (nothing may then be kept).  This default: None."""
        return None

    # -------------------------------------------------------------- decisions
    @abstractmethod
    def add_decision(
        self,
        decision: dict[str, Any],
        *,
        idempotency_key: str | None = None,
        request_sha256: str | None = None,
    ) -> str:
        """Record a measure actually taken (on an account or an MCN); return its ID.

        ``decision`` holds the columns of :meth:`decisions` (``decision_id`` and
        ``decided_at`` are made when missing; a given ``decision_id`` that exists is
        replaced).  With ``idempotency_key`` (unique per ``decided_by``), the first call
        records the decision; a later call with the same ``decided_by`` and key records
        nothing and returns the first decision's ID when its ``request_sha256`` (the hash
        of the request's body) is the same, and raises
        :class:`pileon.graph.errors.IdempotencyConflict` when it differs.  Atomic: two
        concurrent calls with one key record one decision.

        Every call appends one entry to the audit trail (:meth:`decision_audit`), which
        nothing changes or deletes.
        """

    @abstractmethod
    def decisions(self) -> pd.DataFrame:
        """Recorded decisions, oldest first: decision_id, event_id, account_id, mcn_id,
        tier, measure, note, decided_at, decided_by."""

    def account_decisions(self, account_id: str) -> list[dict[str, Any]]:
        """The rows of :meth:`decisions` about ``account_id``, oldest first, as JSON values
        (``tier`` an int or None, the rest text or None).  This default reads every
        decision; a store may ask for the account's alone."""
        from pileon.graph.frames import frame_records

        df = self.decisions()
        return frame_records(df[df["account_id"] == account_id])

    @abstractmethod
    def decision_audit(self) -> pd.DataFrame:
        """The append-only audit trail of :meth:`add_decision`, oldest first: ``seq``
        (1, 2, ...), ``at`` (when, UTC ISO), ``action`` (``recorded``, ``replaced``,
        ``replayed``: an idempotent repeat, ``refused``: an idempotency conflict),
        ``decision_id`` (the decision recorded or answered), ``decided_by``,
        ``idempotency_key``, ``request_sha256``, ``decision`` (the call's decision as
        JSON with sorted keys)."""

    # --------------------------------------------------------------- ingest mark
    @abstractmethod
    def set_ingest_mark(self, mark: dict[str, Any] | None) -> None:
        """Set the mark of an ingest in progress (a JSON object: ``started_at``,
        ``source``), or clear it (None); written at once, in its own transaction.

        :func:`pileon.ingest.load.load_folder` sets it before storing anything and clears
        it once the load is whole (tables, placeholders, membership, indexes): a load
        that was interrupted leaves it set.
        """

    @abstractmethod
    def ingest_mark(self) -> dict[str, Any] | None:
        """The mark of an ingest in progress (see :meth:`set_ingest_mark`), or None."""

    # ---------------------------------------------------------- evidence packs
    @abstractmethod
    def add_evidence_issue(self, issue: dict[str, Any]) -> None:
        """Record that an evidence pack was handed out: the columns of
        :meth:`evidence_issues` but ``seq`` (appended; nothing changes or deletes it)."""

    @abstractmethod
    def evidence_issues(self, seal: str | None = None) -> pd.DataFrame:
        """The evidence packs handed out (all, or those of one ``seal``), oldest first:
        ``seq``, ``issued_at`` (UTC ISO), ``issued_by``, ``target_id``, ``event_id``,
        ``generated_at``, ``items`` (how many), ``sha256`` and ``seal`` (the manifest's),
        ``html_sha256`` (of its ``evidence.html``)."""

    # ------------------------------------------------------------------ alerts
    @abstractmethod
    def alert_digests(self, scope: str) -> dict[str, str]:
        """The stored digests of ``scope``: key -> digest (key ``""``: the pass marker)."""

    @abstractmethod
    def write_alerts(
        self,
        scope: str,
        *,
        remove: Iterable[str] | None,
        rows: list[dict[str, Any]],
        digests: Mapping[str, str],
    ) -> None:
        """Replace stored alerts of ``scope`` in one transaction.

        First the alerts and digests of the keys in ``remove`` go (every key of the scope
        when ``remove`` is None), then ``rows`` and ``digests`` are stored.  A row is
        ``key, seq, target_id, event_id, grp, score, began_ns, body``: ``body`` the alert's
        JSON object, the other fields what lists are ordered and filtered by.
        """

    @abstractmethod
    def stored_alerts(
        self,
        scope: str,
        *,
        target_id: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[dict[str, Any]] | None:
        """The stored alerts of ``scope`` (those of ``target_id`` only, when given) in list
        order: ``grp``, ``score`` highest first, ``began_ns``, ``key``, ``seq``; at most
        ``limit`` of them after the first ``offset``.  None when no pass ever completed
        for the scope (no marker).
        """

    # --------------------------------------------------------------- lifecycle
    def close(self) -> None:  # noqa: B027 - optional: stores without connections keep it
        """Release connections."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def older_rows(
    contents: pd.DataFrame, events: dict[str, list[str]], terms: Sequence[str]
) -> pd.DataFrame:
    """The rows of ``contents`` that name one of ``terms`` or have ``events`` (content_id ->
    other events), with the column ``events`` (sorted lists), in key order: the end of
    :meth:`Store.older_contents`, shared by the stores."""
    from pileon.graph.textsim import terms_pattern  # datasketch: only when needed

    pat = terms_pattern(terms)
    has = contents["content_id"].isin(events.keys()).to_numpy(dtype=bool)
    if pat is not None:
        has |= contents["text"].fillna("").str.contains(pat, regex=True).to_numpy(dtype=bool)
    out = contents[has].reset_index(drop=True)
    out["events"] = [sorted(set(events.get(x, ()))) for x in out["content_id"]]
    return out


def open_store(
    uri: str | None = None,
    *,
    user: str | None = None,
    password: str | None = None,
    database: str | None = None,
    batch_size: int | None = None,
    workers: int | None = None,
) -> Store:
    """Open the store named by ``uri`` (default :data:`DEFAULT_STORE`).

    ``user``, ``password``, ``database``, ``batch_size`` and ``workers`` go to the Neo4j store
    (credentials in the URI, ``neo4j://user:password@host``, work as well); the
    embedded store needs none of them.
    """
    uri = uri or DEFAULT_STORE
    path = embedded_path(uri)
    if path is None:
        from pileon.graph.neo4j_store import Neo4jStore

        return Neo4jStore(
            uri,
            user=user,
            password=password,
            database=database,
            batch_size=batch_size,
            workers=workers,
        )
    from pileon.graph.embedded import EmbeddedStore

    return EmbeddedStore(path)
