"""The Neo4j store: the same :class:`pileon.graph.store.Store` on Neo4j 5, through the official driver.

Open it with ``--store neo4j://HOST:PORT`` (or ``bolt://``); the credentials are
arguments (the CLI and the API read them from ``NEO4J_USER``, default ``neo4j``, and
``NEO4J_PASSWORD`` through :class:`pileon.settings.Settings`) or part of the URI
(``neo4j://user:password@host:7687``); ``database`` (``NEO4J_DATABASE``) picks the
database (default: the server's default database).

How tables map onto nodes and relationships is written down in
:mod:`pileon.graph.queries.tables`; findings in :mod:`pileon.graph.queries.findings`.  All
Cypher lives in :mod:`pileon.graph.queries`; values always travel as parameters and
bulk rows as ``UNWIND $rows`` batches of :data:`DEFAULT_BATCH_SIZE` rows.

Writes are upserts by key (``CREATE`` for the keys no node holds, else an update in
place), batch by batch, each batch its own transaction:
an ingest interrupted half-way leaves whole batches behind, and running it
again completes it without duplicates (relationships that follow a column are
deleted and created again with their node, see :mod:`pileon.graph.queries.tables`).
Uniqueness constraints and indexes are created the first time a process opens
a database.  One ingest at a time per database.

>>> Neo4jStore("bolt://127.0.0.1:1", password="x", connection_timeout=1)  # doctest: +ELLIPSIS
Traceback (most recent call last):
pileon.graph.errors.StoreUnavailable: cannot reach Neo4j at bolt://127.0.0.1:1 ...
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import numpy as np
import pandas as pd
from neo4j import (
    READ_ACCESS,
    Driver,
    GraphDatabase,
    ManagedTransaction,
    NotificationMinimumSeverity,
    Result,
    RoutingControl,
)
from neo4j import exceptions as neo4j_errors

from pileon.graph.errors import IdempotencyConflict, NotFound, StoreAuthError, StoreUnavailable
from pileon.graph.frames import as_list, coerce, time_to_ns
from pileon.graph.model import PLACEHOLDER, ROLES, TABLES, ColType, stored_columns
from pileon.graph.queries import alerts as q_alerts
from pileon.graph.queries import bundle as q_bundle
from pileon.graph.queries import counters as q_counters
from pileon.graph.queries import decisions as q_decisions
from pileon.graph.queries import evidence as q_evidence
from pileon.graph.queries import findings as q_findings
from pileon.graph.queries import membership as q_membership
from pileon.graph.queries import schema as q_schema
from pileon.graph.queries import state as q_state
from pileon.graph.queries import tables as q_tables
from pileon.graph.store import (
    AUDIT_COLUMNS,
    BATCH_READS,
    DECISION_COLUMNS,
    EVIDENCE_ISSUE_COLUMNS,
    RANKED_LISTS,
    Read,
    Store,
    decision_json,
    decision_values,
    older_rows,
)

#: rows per ``UNWIND`` batch, from ``bench/bench_neo4j_ingest.py`` (see docs/neo4j.md)
DEFAULT_BATCH_SIZE = 1000
#: the longest a save waits, after switching an event's view, for the transactions that
#: were running at the switch (and may be reading the replaced view) before deleting it
VIEW_GRACE_S = 120.0
#: write transactions at once (threads), from ``bench/bench_neo4j_ingest.py``
DEFAULT_WORKERS = 2
#: ``LIMIT`` of a read that wants every row
_ALL_ROWS = 2**62

MEMBERSHIP_COLUMNS = ["content_id", "event_id", "via"]

# the driver logs connection failures as warnings; with no handler configured
# Python would print them to stderr beside pileon's one-line error
logging.getLogger("neo4j").addHandler(logging.NullHandler())

# databases whose schema this process has already set up: (uri, database)
_SCHEMA_READY: set[tuple[str, str | None]] = set()
_SCHEMA_LOCK = threading.Lock()


# ------------------------------------------------------------------ connection
def _split_uri(uri: str) -> tuple[str, str | None, str | None]:
    """``(uri without credentials, user, password)`` from a store URI."""
    parts = urlsplit(uri)
    if parts.username is None and parts.password is None:
        return uri, None, None
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return (
        clean,
        unquote(parts.username) if parts.username else None,
        unquote(parts.password) if parts.password is not None else None,
    )


def _first_line(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _reason(exc: BaseException) -> str:
    """Why a connection failed, short: the OS reason when the driver names one.

    >>> _reason(OSError("Couldn't connect to h:1 (reason [Errno 111] Connection refused)"))
    'connection refused'
    """
    text = " ".join(str(exc).split())
    m = re.search(r"\[Errno -?\d+\] ([^)]+)", text)
    if m:
        return m.group(1).strip().lower()
    if "timed out" in text.lower():
        return "timed out"
    return _first_line(exc, 120)


class CypherRunner:
    """The only object that touches the driver: runs queries, batches and transactions.

    Read queries go with ``RoutingControl.READ``, writes with ``WRITE``; the
    driver retries transient failures (leader switch, deadlock) on its own
    for managed transactions.  Driver errors become :mod:`pileon.graph.errors` types.
    """

    def __init__(self, driver: Driver, *, uri: str, user: str | None, database: str | None) -> None:
        self.driver = driver
        self.uri = uri
        self.user = user
        self.database = database

    @contextmanager
    def translated(self) -> Iterator[None]:
        """Turn driver errors a user can cause into one-line pileon errors."""
        try:
            yield
        except neo4j_errors.AuthError:
            raise StoreAuthError(
                f"Neo4j at {self.uri} refused the credentials of user {self.user or 'neo4j'!r}: "
                f"check NEO4J_USER and NEO4J_PASSWORD"
            ) from None
        except (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired) as exc:
            raise StoreUnavailable(
                f"cannot reach Neo4j at {self.uri} ({_reason(exc)}); is the server running? "
                f"(scripts/neo4j-local start)"
            ) from None
        except neo4j_errors.TransientError as exc:
            if exc.code and exc.code.endswith("MemoryPoolOutOfMemoryError"):
                # the server's transaction memory (a share of its heap): retrying cannot help
                raise StoreUnavailable(
                    f"Neo4j at {self.uri} ran out of transaction memory ({_first_line(exc)}): "
                    f"give the server a larger heap (NEO4J_HEAP, server.memory.heap.max_size) "
                    f"or raise dbms.memory.transaction.total.max"
                ) from None
            raise
        except neo4j_errors.ClientError as exc:
            if exc.code and exc.code.endswith("DatabaseNotFound"):
                raise StoreUnavailable(
                    f"Neo4j at {self.uri} has no database {self.database!r}: check NEO4J_DATABASE"
                ) from None
            if exc.code and ".Security." in exc.code:
                raise StoreAuthError(
                    f"Neo4j at {self.uri} refused the request: {_first_line(exc)}"
                ) from None
            raise

    def read(self, query: str, params: dict[str, Any] | None = None) -> list[Any]:
        """Records of a read query."""
        with self.translated():
            records, _, _ = self.driver.execute_query(
                query,
                parameters_=params or {},
                routing_=RoutingControl.READ,
                database_=self.database,
            )
        return records

    def bookmark(self, query: str) -> list[str]:
        """The bookmark of the read transaction of ``query`` (its values, sorted), run with
        :meth:`read`'s bookmark manager so that later reads see at least what it saw."""
        with self.translated():
            with self.driver.session(
                database=self.database,
                default_access_mode=READ_ACCESS,
                bookmark_manager=self.driver.execute_query_bookmark_manager,
            ) as session:
                session.run(query).consume()
                return sorted(session.last_bookmarks().raw_values)

    def read_df(self, query: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """A read query's result straight into a DataFrame (one column per returned key)."""
        with self.translated():
            return self.driver.execute_query(
                query,
                parameters_=params or {},
                routing_=RoutingControl.READ,
                database_=self.database,
                result_transformer_=Result.to_df,
            )

    def write(self, query: str, params: dict[str, Any] | None = None) -> list[Any]:
        """Run one write query in its own transaction; return its records."""
        with self.translated():
            records, _, _ = self.driver.execute_query(
                query,
                parameters_=params or {},
                routing_=RoutingControl.WRITE,
                database_=self.database,
            )
        return records

    def write_batches(
        self,
        query: str,
        rows: Sequence[Any],
        *,
        batch_size: int,
        key: str = "rows",
        params: dict[str, Any] | None = None,
    ) -> int:
        """Send ``rows`` as ``$rows`` (or ``$key``) in batches, one transaction each."""
        for start in range(0, len(rows), batch_size):
            self.write(query, {**(params or {}), key: list(rows[start : start + batch_size])})
        return len(rows)

    def transaction(self, work: Callable[[Callable[..., list[Any]]], Any]) -> Any:
        """``work(run)`` in one write transaction (all or nothing), where
        ``run(query, params)`` returns a query's records; returns what ``work`` returns.

        The driver may run ``work`` again on a transient failure: it must only read and
        write through ``run``."""

        def tx_work(tx: Any) -> Any:
            return work(lambda query, params=None: list(tx.run(query, params or {})))

        with self.translated():
            with self.driver.session(database=self.database) as session:
                return session.execute_write(tx_work)

    def write_parallel(
        self,
        query: str,
        batches: Sequence[dict[str, Any]],
        *,
        workers: int,
        read: bool = False,
    ) -> list[Any]:
        """Run ``query`` once per parameter set of ``batches``, each in its own transaction,
        on up to ``workers`` threads (one driver session each); return all records.

        The caller makes batches that cannot deadlock: no two of them write the same
        key.  The first failure stops the batches not started yet and is raised.
        """
        run = self.read if read else self.write
        if workers <= 1 or len(batches) <= 1:
            return [r for params in batches for r in run(query, params)]
        out: list[Any] = []
        pool = ThreadPoolExecutor(max_workers=min(workers, len(batches)))
        try:
            for records in pool.map(lambda params: run(query, params), batches):
                out.extend(records)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return out

    def write_tx(self, steps: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Run several write queries in one transaction (all or nothing)."""

        def work(tx: ManagedTransaction) -> None:
            for query, params in steps:
                tx.run(query, params).consume()

        with self.translated():
            with self.driver.session(database=self.database) as session:
                session.execute_write(work)


# ----------------------------------------------------------------- conversion
def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v))


def _iso(s: pd.Series) -> list[str | None]:
    """Times as ISO-8601 text in UTC with nanoseconds (None for missing), for ``datetime()``.

    Text, not driver ``DateTime`` objects: the driver packs those in Python at
    a cost that dominated ingest (about 0.15 ms each).  The whole column at once:
    the text ``Timestamp.isoformat()`` gives (no fraction of a second when it is zero,
    microseconds when the nanoseconds are zero, else nanoseconds).
    """
    t = pd.to_datetime(s, utc=True)
    ns = t.dt.tz_localize(None).to_numpy("datetime64[ns]")
    text = np.datetime_as_string(ns, unit="ns")  # YYYY-MM-DDTHH:MM:SS.fffffffff
    frac = np.mod(ns.view("i8"), 1_000_000_000)
    text = np.where(
        frac == 0, text.astype("<U19"), np.where(frac % 1000 == 0, text.astype("<U26"), text)
    )
    out = np.char.add(text, "+00:00").astype(object)
    out[t.isna().to_numpy()] = None
    values: list[str | None] = out.tolist()
    return values


def _values(kind: ColType | str, s: pd.Series) -> list[Any]:
    """A column as driver-ready Python values (None for missing): the whole column at
    once where its dtype allows it, value by value otherwise."""
    if kind == ColType.TIME:
        return _iso(s)
    if kind == ColType.LIST:
        return [
            [str(x) for x in v] if isinstance(v, (list, tuple, np.ndarray)) and len(v) else None
            for v in s
        ]
    if kind in (ColType.BOOL, "placeholder"):
        if s.dtype == bool:
            return s.tolist()
        return [None if _missing(v) else bool(v) for v in s]
    if kind == ColType.INT:
        if pd.api.types.is_integer_dtype(s.dtype):  # numpy ints, or Int64 with NA
            cells = s.to_numpy(dtype=object)
            cells[pd.isna(cells)] = None
            ints: list[Any] = cells.tolist()
            return ints
        return [None if _missing(v) else int(v) for v in s]
    if kind == ColType.FLOAT:
        if pd.api.types.is_float_dtype(s.dtype) and not isinstance(s.dtype, pd.Float64Dtype):
            arr = s.to_numpy(dtype="float64")
            out = arr.astype(object)
            out[np.isnan(arr)] = None
            return out.tolist()
        return [None if _missing(v) else float(v) for v in s]
    cells = s.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(cells, skipna=True) in ("string", "empty"):
        cells = cells.copy()
        cells[pd.isna(cells)] = None
        return cells.tolist()
    return [None if _missing(v) else str(v) for v in s]


def _kind(table: str, column: str) -> ColType | str:
    t = TABLES[table]
    if column in t.column_names:
        return t.column(column).type
    if column == PLACEHOLDER:
        return "placeholder"
    if column == "tz":
        return ColType.INT
    return ColType.STR  # extra


@dataclass
class _Upsert:
    """An upsert's rows as the queries of :mod:`pileon.graph.queries.tables` take them."""

    #: the time columns sent (set as DATETIME)
    times: list[str]
    #: ``{key, props, times}`` (and the two ends of a relationship row), one per key
    rows: list[dict[str, Any]]
    #: per link of the table's layout: ``[row key, other key]`` pairs
    links: list[list[list[Any]]]


def _upsert_rows(table: str, rows: pd.DataFrame) -> _Upsert:
    """The rows of an upsert of ``table`` for its queries (last row wins per key), with
    the columns :data:`pileon.graph.queries.tables.LAYOUT` fills in when missing."""
    t = TABLES[table]
    lay = q_tables.LAYOUT[table]
    if isinstance(lay, q_tables.NodeRows):
        missing = {c: v for c, v in lay.defaults if c not in rows.columns}
        if missing:
            rows = rows.assign(**missing)
    cols = [c for c in stored_columns(table) if c in rows.columns or c in t.key]
    cols += [c for c in rows.columns if c not in cols and c in dict(getattr(lay, "defaults", ()))]
    values: dict[str, list[Any]] = {}
    n = len(rows)
    for c in cols:
        s = rows[c] if c in rows.columns else pd.Series([None] * n, index=rows.index)
        values[c] = _values(_kind(table, c), s)
    endpoints = q_tables.endpoint_columns(table)
    times = [c for c in q_tables.time_columns(table) if c in cols]
    prop_cols = [c for c in cols if c not in endpoints and c not in times]
    key_times = {
        c: time_to_ns(rows[c] if c in rows.columns else pd.Series([None] * n, index=rows.index))
        for c in t.key
        if c in times or (c not in rows.columns and t.column(c).type == ColType.TIME)
    }
    keys = q_tables.row_keys(table, values, key_times)
    last: dict[Any, int] = {}
    for i, k in enumerate(keys):
        last.pop(k, None)
        last[k] = i
    order = list(last.values())
    unique = len(order) == n  # then order is 0 … n-1

    def pick(col: list[Any]) -> list[Any]:
        return col if unique else [col[i] for i in order]

    def maps(cols: list[str]) -> list[dict[str, Any]]:
        if not cols:
            return [{} for _ in order]
        return [dict(zip(cols, cells)) for cells in zip(*(pick(values[c]) for c in cols))]

    out: list[dict[str, Any]] = [
        {"props": p, "times": t} for p, t in zip(maps(prop_cols), maps(times))
    ]
    for c in endpoints:
        for row, v in zip(out, pick(values[c])):
            row[c] = v
    for row, k in zip(out, pick(keys)):
        row["key"] = k
    links: list[list[list[Any]]] = []
    if isinstance(lay, q_tables.NodeRows):
        for link in lay.links:
            pairs: list[list[Any]] = []
            if link.column in values:
                col = values[link.column]
                for i in order:
                    v = col[i]
                    if v is None:
                        continue
                    if isinstance(v, list):
                        pairs.extend([keys[i], x] for x in dict.fromkeys(v))
                    else:
                        pairs.append([keys[i], v])
            links.append(pairs)
    return _Upsert(times, out, links)


def _json_default(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, (pd.Timestamp, datetime)):
        return o.isoformat()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, default=_json_default)


# ---------------------------------------------------------------------- store
def _record_cell(kind: ColType | str, v: Any) -> Any:
    """One returned value as :func:`pileon.graph.frames.frame_records` gives it from the
    frame ``coerce`` makes of it (times back through ``pd.Timestamp``, lists as lists of
    text, ``extra`` parsed)."""
    if kind == "placeholder":
        return bool(v) if v is not None else False
    if kind == ColType.LIST:
        return as_list(v)
    if kind == "extra":
        return _extra_object(v)
    if _missing(v):
        return None
    if kind == ColType.TIME:
        return pd.Timestamp(v).tz_convert("UTC").isoformat()
    if kind == ColType.FLOAT:
        return float(v)
    if kind in (ColType.INT, "tz"):
        return int(v)
    if kind == ColType.BOOL:
        return bool(v)
    return v


def _extra_object(v: Any) -> dict[str, Any]:
    if isinstance(v, dict):
        return v
    try:
        obj = json.loads(v) if isinstance(v, str) and v else {}
    except ValueError:
        return {}
    return obj if isinstance(obj, dict) else {}


def _records(table: str, cols: list[str], rows: list[Any]) -> list[dict[str, Any]]:
    """Returned rows as :func:`pileon.graph.frames.frame_records` of their frame, in key
    order, without building the frame (a few rows: the graph view)."""
    t = TABLES[table]
    kinds = {c: _kind_of(table, c) for c in cols}
    out = [{c: _record_cell(kinds[c], r[c]) for c in cols} for r in rows]
    keys = [k for k in t.key if k in cols]
    out.sort(key=lambda r: tuple((r[k] is not None, r[k] or "") for k in keys))
    return out


def _kind_of(table: str, col: str) -> ColType | str:
    t = TABLES[table]
    if col in t.column_names:
        return t.column(col).type
    return {PLACEHOLDER: "placeholder", "tz": "tz"}.get(col, col)


#: an event with at least one content in this many is read in the contents' ID order
#: (:meth:`Neo4jStore.event_members`)
DENSE_EVENT = 100


@dataclass(frozen=True)
class _Plan:
    """One read as a query and the conversion of its rows (``query`` None: no query
    needed, the result is ``convert([])``); ``columns``: the names its ``RETURN`` gives."""

    query: str | None
    params: dict[str, Any]
    columns: list[str]
    convert: Callable[[list[Any]], Any]


class Neo4jStore(Store):
    """The Neo4j store (see the module docstring).

    Parameters
    ----------
    uri : str
        ``neo4j://``, ``bolt://`` (or their ``+s`` / ``+ssc`` forms), optionally
        with ``user:password@``.
    user, password, database : str, optional
        Credentials and database (``NEO4J_USER``, ``NEO4J_PASSWORD``,
        ``NEO4J_DATABASE`` for the CLI and the API); the URI's own user and password
        are used when these are not given; user default ``neo4j``.
    batch_size : int, optional
        Rows per write batch (default :data:`DEFAULT_BATCH_SIZE`; ``PILEON_NEO4J_BATCH``
        for the CLI and the API).
    workers : int, optional
        Write transactions run at once, each on its own thread and driver session
        (default :data:`DEFAULT_WORKERS`; ``PILEON_NEO4J_WORKERS`` for the CLI and the
        API); 1 writes one batch after the other.
    connection_timeout : float
        Seconds to wait for a connection before reporting the server unreachable.

    Raises
    ------
    StoreUnavailable
        The server cannot be reached, or the database does not exist.
    StoreAuthError
        The server refused the credentials.
    """

    def __init__(
        self,
        uri: str,
        *,
        user: str | None = None,
        password: str | None = None,
        database: str | None = None,
        batch_size: int | None = None,
        workers: int | None = None,
        connection_timeout: float = 10.0,
    ) -> None:
        clean, uri_user, uri_password = _split_uri(uri)
        self.uri = clean
        user = user or uri_user or "neo4j"
        if password is None:
            password = uri_password
        database = database or None
        self.batch_size = int(batch_size or DEFAULT_BATCH_SIZE)
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.workers = int(workers or DEFAULT_WORKERS)
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        auth = (user, password) if password is not None else None
        self._driver_options: dict[str, Any] = {
            "auth": auth,
            "connection_timeout": connection_timeout,
            "max_transaction_retry_time": max(connection_timeout, 5.0),
            "notifications_min_severity": NotificationMinimumSeverity.OFF,
        }
        try:
            driver = GraphDatabase.driver(clean, **self._driver_options)
        except (ValueError, neo4j_errors.ConfigurationError) as exc:
            raise StoreUnavailable(f"bad Neo4j URI {clean!r}: {_first_line(exc)}") from None
        self._run = CypherRunner(driver, uri=clean, user=user, database=database)
        self._connect()

    def _connect(self) -> None:
        """Check that the server answers, and set the schema up once per database."""
        try:
            with self._run.translated():
                self._run.driver.verify_connectivity()
            self._ensure_schema()
        except BaseException:
            self._run.driver.close()
            raise

    def reconnect(self) -> None:
        """Close the connection and open a new one, to a database that was replaced
        meanwhile (``neo4j-admin database import``): the old connection's bookmarks name
        transactions that the new database does not hold, and its schema is set up again.

        Raises
        ------
        StoreUnavailable, StoreAuthError
            As when the store is opened.
        """
        self._run.driver.close()
        forget_schema(self.uri, self.database)
        self._run.driver = GraphDatabase.driver(self.uri, **self._driver_options)
        self._connect()

    @property
    def database(self) -> str | None:
        return self._run.database

    def close(self) -> None:
        self._run.driver.close()

    def generation(self) -> tuple[str, ...]:
        """See :meth:`pileon.graph.store.Store.generation`: the bookmark of a read that
        touches nothing (one round trip).  Neo4j names in a transaction's bookmark the
        last transaction committed to the database, by any client, so it changes with
        every commit.  The read shares the driver's bookmark manager with every other
        read of this store (``execute_query``'s), so the reads made after it see at
        least that transaction."""
        return (self._run.database or "", *self._run.bookmark(q_state.NOTHING))

    def graph_size(self) -> tuple[int, int]:
        """``(nodes, relationships)`` of the whole database, pileon's or not."""
        nodes = int(self._run.read(q_tables.NODE_COUNT)[0]["n"])
        rels = int(self._run.read(q_tables.RELATIONSHIP_COUNT)[0]["n"])
        return nodes, rels

    def _ensure_schema(self) -> None:
        key = (self.uri, self.database)
        with _SCHEMA_LOCK:
            if key in _SCHEMA_READY:
                return
            have = {r["name"] for r in self._run.read(q_schema.SHOW_NAMES)}
            # indexes first: each populates in the background (two at a time) while the
            # constraints, which populate their index inside their own creation one after
            # the other, are created beside them
            wanted = q_schema.INDEXES + q_schema.CONSTRAINTS
            if not all(_schema_name(stmt) in have for stmt in wanted):
                for stmt in wanted:
                    self._run.write(stmt)
                self._run.write(q_schema.AWAIT_INDEXES, {"seconds": 300})
                # a store written before views were keyed by run (it lacked their indexes)
                self._run.write(q_findings.ADOPT_VIEWS)
            _SCHEMA_READY.add(key)

    # ------------------------------------------------------------------ writes
    def upsert(self, table: str, rows: pd.DataFrame) -> int:
        """Upsert in the phases of :mod:`pileon.graph.queries.tables`, the batches of each
        phase on :attr:`workers` threads (no two batches of a phase write the same key)."""
        if table not in TABLES:
            raise KeyError(table)
        if rows.empty:
            return 0
        lay = q_tables.LAYOUT[table]
        up = _upsert_rows(table, rows)
        if isinstance(lay, q_tables.RelationshipRows):
            for end in (lay.start, lay.end):
                self._ensure_nodes(end.label, (r[end.column] for r in up.rows))
            self._write(q_tables.relationship_upsert(table, up.times), "rows", up.rows)
            return len(rows)
        held = self._held(lay.labels[0], [r["key"] for r in up.rows])
        new = [r for r in up.rows if r["key"] not in held]
        old = [r for r in up.rows if r["key"] in held]
        self._write(q_tables.node_create(table, up.times), "rows", new)
        self._write(q_tables.node_update(table, up.times), "rows", old)
        drop = q_tables.drop_links(table)
        if old and drop is not None:
            self._write(drop, "keys", [r["key"] for r in old])
        for link, pairs in zip(lay.links, up.links):
            if link.create_missing:
                self._ensure_nodes(link.label, (p[1] for p in pairs))
        for link, pairs in zip(lay.links, up.links):
            # batches of neighbouring other ends: a hub's relationships in few batches
            pairs.sort(key=lambda p: p[1])
            self._write(q_tables.create_links(table, link), "pairs", pairs)
        for owner, link in q_tables.LINKED_LATER.get(table, ()):
            keys = [r["key"] for r in up.rows]
            self._write(q_tables.link_from_earlier(table, owner, link), "keys", keys)
        return len(rows)

    def _write(self, query: str, name: str, items: Sequence[Any]) -> list[Any]:
        """``query`` over ``items`` as ``$name``, in batches of :attr:`batch_size`, on
        :attr:`workers` threads; the records of all batches."""
        step = self.batch_size
        batches = [{name: list(items[i : i + step])} for i in range(0, len(items), step)]
        return self._run.write_parallel(query, batches, workers=self.workers)

    def _held(self, label: str, keys: Sequence[Any]) -> set[Any]:
        """The keys among ``keys`` that a node of ``label`` holds (dangling ones too)."""
        wanted = list(dict.fromkeys(keys))
        step = self.batch_size * 10
        batches = [{"ids": wanted[i : i + step]} for i in range(0, len(wanted), step)]
        records = self._run.write_parallel(
            q_tables.EXISTING_NODES[label], batches, workers=self.workers, read=True
        )
        return {r["id"] for r in records}

    def _absent(self, label: str, ids: Iterable[Any]) -> list[str]:
        """The IDs among ``ids`` that no node of ``label`` holds (dangling ones count as
        held), sorted."""
        wanted = sorted({str(i) for i in ids if i is not None and i != ""})
        step = self.batch_size * 10
        batches = [{"ids": wanted[i : i + step]} for i in range(0, len(wanted), step)]
        records = self._run.write_parallel(
            q_tables.MISSING_NODES[label], batches, workers=self.workers, read=True
        )
        return sorted(r["id"] for r in records)

    def _ensure_nodes(self, label: str, ids: Iterable[Any]) -> None:
        """Create the nodes of ``label`` that ``ids`` name and that do not exist (dangling:
        the key only), before relationships are created to them."""
        absent = self._absent(label, ids)
        if absent:
            self._write(q_tables.CREATE_NODES[label], "ids", absent)

    def missing_ids(self, kind: str, ids: Iterable[str]) -> set[str]:
        wanted = sorted({str(i) for i in ids if i})
        if not wanted:
            return set()
        if len(wanted) <= self.batch_size:
            result: set[str] = self._run_plan(self._plan_missing_ids(kind, wanted))  # type: ignore[arg-type]
            return result
        step = self.batch_size * 10
        batches = [{"ids": wanted[i : i + step]} for i in range(0, len(wanted), step)]
        records = self._run.write_parallel(
            q_tables.MISSING[kind], batches, workers=self.workers, read=True
        )
        return {r["id"] for r in records}

    def _plan_missing_ids(self, kind: str, ids: Iterable[str]) -> _Plan | None:
        """One query for up to a batch of IDs (None for more: :meth:`missing_ids` splits)."""
        wanted = sorted({str(i) for i in ids if i})
        if len(wanted) > self.batch_size:
            return None
        query = q_tables.MISSING[kind] if wanted else None
        return _Plan(query, {"ids": wanted}, ["id"], lambda rows: {r["id"] for r in rows})

    def create_placeholders(self, kind: str, ids: Iterable[str]) -> int:
        missing = sorted(self.missing_ids(kind, ids))
        if missing:
            self._write(q_tables.CREATE_PLACEHOLDERS[kind], "ids", missing)
        return len(missing)

    def set_memberships(self, memberships: pd.DataFrame) -> None:
        new = (
            memberships[MEMBERSHIP_COLUMNS]
            .astype(object)
            .drop_duplicates(subset=["content_id", "event_id"], keep="first")
        )
        old = self.memberships()
        both = old.merge(
            new,
            on=["content_id", "event_id"],
            how="outer",
            suffixes=("_old", "_new"),
            indicator=True,
        )
        changed = (both["_merge"] == "both") & (both["via_old"] != both["via_new"])
        gone = both[(both["_merge"] == "left_only") | changed]
        came = both[(both["_merge"] == "right_only") | changed]
        self._write(
            q_membership.REMOVE,
            "rows",
            [
                {"content_id": c, "event_id": e}
                for c, e in zip(gone["content_id"], gone["event_id"])
            ],
        )
        self._ensure_nodes("Content", came["content_id"])
        self._ensure_nodes("Event", came["event_id"])
        came = came.sort_values(["event_id", "content_id"], kind="mergesort")
        self._write(
            q_membership.ADD,
            "rows",
            [
                {"content_id": c, "event_id": e, "via": v}
                for c, e, v in zip(came["content_id"], came["event_id"], came["via_new"])
            ],
        )

    # ------------------------------------------------------------------- reads
    def frame(
        self, table: str, *, ids: Iterable[str] | None = None, column: str | None = None
    ) -> pd.DataFrame:
        if table not in TABLES:
            raise KeyError(table)
        if ids is None:
            df = self._run.read_df(q_tables.frame_query(table))
        else:
            column = column or TABLES[table].key[0]
            query = q_tables.frame_query(table, column)
            wanted = list(dict.fromkeys(str(i) for i in ids if not _missing(i)))
            df = self._run.read_df(query, {"ids": wanted})
        return coerce(table, df)

    def event_items(self, event_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """See :meth:`pileon.graph.store.Store.event_items`: one query a table, from the
        event's membership relationships (:func:`pileon.graph.queries.tables.event_frame_query`),
        instead of the default's list of every member's ID."""
        contents, reposts = (
            coerce(
                table,
                self._run.read_df(q_tables.event_frame_query(table), {"event_id": event_id}),
                keep=["via"],
            )
            for table in ("contents", "reposts")
        )
        return contents, reposts

    def memberships(self, event_id: str | None = None) -> pd.DataFrame:
        if event_id is None:
            records = self._run.read(q_membership.ALL)
        else:
            records = self._run.read(q_membership.OF_EVENT, {"event_id": event_id})
        df = pd.DataFrame([tuple(r.values()) for r in records], columns=MEMBERSHIP_COLUMNS)
        df = df.sort_values(["event_id", "content_id"], kind="mergesort").reset_index(drop=True)
        return df.astype(object)

    def _run_plan(self, plan: _Plan) -> Any:
        if plan.query is None:
            return plan.convert([])
        return plan.convert(self._run.read(plan.query, plan.params))

    def read_many(self, calls: Sequence[Read]) -> list[Any]:
        """See :meth:`pileon.graph.store.Store.read_many`: the reads go as one query
        (:func:`pileon.graph.queries.bundle.bundle_query`: one round trip, one
        transaction); each result is converted as its own method converts it."""
        plans: list[_Plan | None] = []
        for name, args, kwargs in calls:
            if name not in BATCH_READS:
                raise ValueError(f"{name!r} is not a read of read_many")
            make = getattr(self, f"_plan_{name}", None)
            plans.append(None if make is None else make(*args, **kwargs))
        out: list[Any] = [None] * len(calls)
        sent = [i for i, p in enumerate(plans) if p is not None and p.query is not None]
        if len(sent) == 1:
            out[sent[0]] = self._run_plan(plans[sent[0]])  # type: ignore[arg-type]
        elif sent:
            parts = [plans[i] for i in sent]
            query = q_bundle.bundle_query([(p.query, p.columns) for p in parts])  # type: ignore[union-attr,misc]
            row = self._run.read(query, q_bundle.bundle_params([p.params for p in parts]))[0]  # type: ignore[union-attr]
            for j, i in enumerate(sent):
                out[i] = parts[j].convert(row[f"r{j}"])  # type: ignore[union-attr]
        for i, (p, (name, args, kwargs)) in enumerate(zip(plans, calls)):
            if p is None:
                out[i] = getattr(self, name)(*args, **kwargs)
            elif p.query is None:
                out[i] = p.convert([])
        return out

    def records(
        self, table: str, *, ids: Iterable[str] | None = None, column: str | None = None
    ) -> list[dict[str, Any]]:
        """See :meth:`pileon.graph.store.Store.records`: :meth:`frame`'s query, its rows
        converted one by one (no frame)."""
        result: list[dict[str, Any]] = self._run_plan(
            self._plan_records(table, ids=ids, column=column)
        )
        return result

    def _plan_records(
        self, table: str, *, ids: Iterable[str] | None = None, column: str | None = None
    ) -> _Plan:
        if table not in TABLES:
            raise KeyError(table)
        cols = stored_columns(table)

        def convert(rows: list[Any]) -> list[dict[str, Any]]:
            return _records(table, cols, rows)

        if ids is None:
            return _Plan(q_tables.frame_query(table), {}, cols, convert)
        column = column or TABLES[table].key[0]
        wanted = list(dict.fromkeys(str(i) for i in ids if not _missing(i)))
        return _Plan(q_tables.frame_query(table, column), {"ids": wanted}, cols, convert)

    def linked(
        self,
        table: str,
        column: str,
        ids: Iterable[str],
        *,
        per_id: int,
        columns: Sequence[str] | None = None,
    ) -> tuple[list[dict[str, Any]], set[str]]:
        """See :meth:`pileon.graph.store.Store.linked`: one query, a subquery per ID that
        stops at ``per_id + 1`` rows (:func:`pileon.graph.queries.tables.linked_query`)."""
        result: tuple[list[dict[str, Any]], set[str]] = self._run_plan(
            self._plan_linked(table, column, ids, per_id=per_id, columns=columns)
        )
        return result

    def _plan_linked(
        self,
        table: str,
        column: str,
        ids: Iterable[str],
        *,
        per_id: int,
        columns: Sequence[str] | None = None,
    ) -> _Plan:
        if table not in TABLES:
            raise KeyError(table)
        if per_id < 0:
            raise ValueError("per_id must be >= 0")
        wanted = list(dict.fromkeys(str(i) for i in ids if not _missing(i)))
        query = q_tables.linked_query(table, column, list(columns) if columns else None)
        cols = [c for c in stored_columns(table) if not columns or c in columns]

        def convert(rows: list[Any]) -> tuple[list[dict[str, Any]], set[str]]:
            kept: list[Any] = []
            seen: dict[str, int] = {}
            more: set[str] = set()
            for r in rows:  # each ID's rows come in key order, per_id + 1 at most
                n = seen[r["_of"]] = seen.get(r["_of"], 0) + 1
                if n > per_id:
                    more.add(r["_of"])
                else:
                    kept.append(r)
            return _records(table, cols, kept), more

        if not wanted:
            return _Plan(None, {}, [], convert)
        return _Plan(query, {"ids": wanted, "limit": int(per_id) + 1}, ["_of", *cols], convert)

    def memberships_of(self, content_ids: Iterable[str]) -> list[tuple[str, str, str]]:
        result: list[tuple[str, str, str]] = self._run_plan(self._plan_memberships_of(content_ids))
        return result

    def _plan_memberships_of(self, content_ids: Iterable[str]) -> _Plan:
        return _Plan(
            q_membership.OF_CONTENTS,
            {"ids": list(dict.fromkeys(map(str, content_ids)))},
            MEMBERSHIP_COLUMNS,
            lambda rows: sorted((r["content_id"], r["event_id"], r["via"]) for r in rows),
        )

    def event_members(self, event_id: str, *, limit: int) -> tuple[list[tuple[str, str]], bool]:
        """See :meth:`pileon.graph.store.Store.event_members`.

        Notes
        -----
        An event holding at least one content in :data:`DENSE_EVENT` is read by walking
        the contents' ID index until ``limit + 1`` members are found (about ``limit x
        DENSE_EVENT`` entries at worst when its members are spread over the IDs); a
        smaller one from its own relationships (fewer than ``contents / DENSE_EVENT``).
        Either way bounded, whatever the event's size; one query
        (:data:`pileon.graph.queries.membership.EVENT_FIRST`)."""
        result: tuple[list[tuple[str, str]], bool] = self._run_plan(
            self._plan_event_members(event_id, limit=limit)
        )
        return result

    def _plan_event_members(self, event_id: str, *, limit: int) -> _Plan:
        def convert(rows: list[Any]) -> tuple[list[tuple[str, str]], bool]:
            got = sorted((r["content_id"], r["via"]) for r in rows)
            return got[:limit], len(got) > limit

        params = {"event_id": event_id, "limit": int(limit) + 1, "lowest": "", "dense": DENSE_EVENT}
        return _Plan(q_membership.EVENT_FIRST, params, ["content_id", "via"], convert)

    def older_contents(
        self, event_id: str, before: pd.Timestamp, terms: Sequence[str]
    ) -> pd.DataFrame:
        """See :meth:`pileon.graph.store.Store.older_contents`: one Cypher query
        (:data:`pileon.graph.queries.membership.OLDER_CONTENTS`) selects a superset, the
        exact term match is applied to what comes back."""
        lowered = sorted({t.strip().lower() for t in terms if t and len(t.strip()) >= 2})
        df = self._run.read_df(
            q_membership.OLDER_CONTENTS,
            {
                "before": pd.Timestamp(before).tz_convert("UTC").isoformat(),
                "event_id": event_id,
                "source": "source",
                "terms": lowered,
            },
        )
        events = {}
        if len(df):
            events = {
                cid: list(evs) for cid, evs in zip(df["content_id"], df["events"]) if len(evs)
            }
        cols = stored_columns("contents")
        c = coerce("contents", df[cols] if len(df) else pd.DataFrame(columns=cols))
        return older_rows(c, events, terms)

    def count(self, table: str) -> int:
        if table not in TABLES:
            raise KeyError(table)
        return int(self._run.read(q_tables.count_query(table))[0]["n"])

    # ---------------------------------------------------------------- findings
    def save_report(self, report: dict[str, Any]) -> str:
        run_id = uuid.uuid4().hex
        event_id = str(report["event_id"])
        text = _dumps(report)
        plain = json.loads(text)
        items = []
        for kind, key in RANKED_LISTS.items():
            for pos, item in enumerate(plain.get(kind, []), start=1):
                tier = item.get("tier")
                items.append(
                    {
                        "kind": kind,
                        "rank": int(item.get("rank", pos)),
                        "item_id": str(item[key]),
                        "tier": None if tier is None else int(tier),
                        "roles": [str(r) for r in item.get("roles", [])],
                        "item": _dumps(item),
                    }
                )
        self._drop_unfinished(event_id)
        seq = self._next("run")
        self._run.write(
            q_findings.CREATE_RUN,
            {
                "run_id": run_id,
                "event_id": event_id,
                "seq": seq,
                "report": text,
                "generated_at": str(plain.get("generated_at", "")),
            },
        )
        self._run.write_batches(
            q_findings.ADD_ITEMS, items, batch_size=self.batch_size, params={"run_id": run_id}
        )
        # the view, keyed by the run, in batches: readers do not see it before the switch
        params = {"event_id": event_id, "run_id": run_id}
        clusters = _cluster_view(plain, run_id)
        members = [
            {"cluster_key": c["cluster_key"], "account_id": a}
            for c in clusters
            for a in c.pop("accounts")
        ]
        for query, rows in (
            (q_findings.VIEW_ACCOUNTS, _account_view(plain)),
            (q_findings.VIEW_CLUSTERS, clusters),
            (q_findings.VIEW_MEMBERS, members),
            (q_findings.VIEW_MCNS, _mcn_view(plain)),
            (q_findings.VIEW_NARRATIVES, _narrative_view(plain, run_id)),
            (q_findings.VIEW_VENUES, _venue_view(plain)),
        ):
            self._run.write_batches(query, rows, batch_size=self.batch_size, params=params)
        stale = [str(r) for r in self._run.write(q_findings.SWITCH_VIEW, params)[0]["stale"]]
        running = self._transactions()
        # after the switch: the summaries of the accounts of the new and the replaced views
        accounts = {str(a["account_id"]) for a in plain.get("accounts", [])}
        for old in stale:
            accounts.update(
                str(r["account_id"])
                for r in self._run.read(q_findings.VIEW_ACCOUNT_IDS, {"run_id": old})
            )
        self._run.write_batches(
            q_findings.ACCOUNT_SUMMARY,
            sorted(accounts),
            batch_size=self.batch_size,
            key="account_ids",
            params={"role_order": list(ROLES)},
        )
        if stale:
            # readers that bound the replaced view before the switch finish with it whole
            deadline = time.monotonic() + VIEW_GRACE_S
            while running & self._transactions() and time.monotonic() < deadline:
                time.sleep(0.2)
        for old in stale:
            self._drop_view(old)
            self._run.write(q_findings.VIEW_DROPPED, {"event_id": event_id, "run_id": old})
        return run_id

    def _transactions(self) -> set[str]:
        """IDs of the transactions running on the server (those the user may list)."""
        return {str(r["id"]) for r in self._run.read(q_findings.RUNNING_TRANSACTIONS)}

    def _drop_batches(self, query: str, run_id: str) -> None:
        """Repeat a batched deletion of ``run_id``'s rows until none is left."""
        params = {"run_id": run_id, "limit": self.batch_size}
        while int(self._run.write(query, params)[0]["n"]) >= self.batch_size:
            pass

    def _drop_view(self, run_id: str) -> None:
        for query in q_findings.DROP_VIEW:
            self._drop_batches(query, run_id)

    def _drop_unfinished(self, event_id: str) -> None:
        """What an interrupted save of ``event_id`` left: its incomplete runs (items,
        partial view, run) and the views a switch replaced but did not finish deleting."""
        for r in self._run.read(q_findings.INCOMPLETE_RUNS, {"event_id": event_id}):
            run_id = str(r["run_id"])
            self._drop_view(run_id)
            self._drop_batches(q_findings.DROP_ITEMS, run_id)
            self._run.write(q_findings.DROP_RUN, {"run_id": run_id})
        stale = self._run.read(q_findings.STALE_VIEWS, {"event_id": event_id})
        for old in stale[0]["runs"] if stale else []:
            self._drop_view(str(old))
            self._run.write(q_findings.VIEW_DROPPED, {"event_id": event_id, "run_id": str(old)})

    def latest_run(self, event_id: str) -> str | None:
        result: str | None = self._run_plan(self._plan_latest_run(event_id))
        return result

    def _plan_latest_run(self, event_id: str) -> _Plan:
        return _Plan(
            q_findings.LATEST_RUN,
            {"event_id": event_id},
            ["run_id"],
            lambda rows: rows[0]["run_id"] if rows else None,
        )

    def report(self, run_id: str) -> dict[str, Any]:
        records = self._run.read(q_findings.REPORT, {"run_id": run_id})
        if not records:
            raise NotFound(f"no analysis run {run_id}")
        report: dict[str, Any] = json.loads(records[0]["report"])
        return report

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
        result: list[dict[str, Any]] = self._run_plan(
            self._plan_ranked(run_id, kind, after=after, limit=limit, role=role, min_tier=min_tier)
        )
        return result

    def _plan_ranked(
        self,
        run_id: str,
        kind: str,
        *,
        after: int = 0,
        limit: int = 100,
        role: str | None = None,
        min_tier: int | None = None,
    ) -> _Plan:
        return _Plan(
            q_findings.RANKED,
            {
                "run_id": run_id,
                "kind": kind,
                "after": int(after),
                "limit": int(limit),
                "role": role,
                "min_tier": None if min_tier is None else int(min_tier),
            },
            ["item"],
            lambda rows: [json.loads(r["item"]) for r in rows],
        )

    def account_findings(self, account_id: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._run_plan(self._plan_account_findings(account_id))
        return result

    def _plan_account_findings(self, account_id: str) -> _Plan:
        def convert(records: list[Any]) -> list[dict[str, Any]]:
            rows = sorted(
                ((r["event_id"], r["run_id"], r["item"]) for r in records), key=lambda r: r[0]
            )
            return [{"event_id": e, "run_id": run, **json.loads(item)} for e, run, item in rows]

        return _Plan(
            q_findings.ACCOUNT_FINDINGS,
            {"account_id": account_id, "kind": "accounts"},
            ["event_id", "run_id", "item"],
            convert,
        )

    def accounts_findings(self, account_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        result: dict[str, list[dict[str, Any]]] = self._run_plan(
            self._plan_accounts_findings(account_ids)
        )
        return result

    def _plan_accounts_findings(self, account_ids: Iterable[str]) -> _Plan:
        wanted = list(dict.fromkeys(str(a) for a in account_ids))

        def convert(records: list[Any]) -> dict[str, list[dict[str, Any]]]:
            rows = sorted(
                ((r["account_id"], r["event_id"], r["run_id"], r["item"]) for r in records),
                key=lambda r: (r[0], r[1]),
            )
            out: dict[str, list[dict[str, Any]]] = {a: [] for a in wanted}
            for a, e, run, item in rows:
                out[a].append({"event_id": e, "run_id": run, **json.loads(item)})
            return out

        return _Plan(
            q_findings.ACCOUNTS_FINDINGS,
            {"ids": wanted, "kind": "accounts"},
            ["account_id", "event_id", "run_id", "item"],
            convert,
        )

    # ------------------------------------------------------------------ alerts
    def alert_digests(self, scope: str) -> dict[str, str]:
        records = self._run.read(q_alerts.DIGESTS, {"scope": scope})
        return {r["key"]: r["digest"] for r in records}

    def write_alerts(
        self,
        scope: str,
        *,
        remove: Iterable[str] | None,
        rows: list[dict[str, Any]],
        digests: Mapping[str, str],
    ) -> None:
        params: dict[str, Any] = {"scope": scope}
        alerts = [
            {
                "key": str(r["key"]),
                "seq": int(r["seq"]),
                "target_id": _opt_str(r["target_id"]),
                "event_id": _opt_str(r["event_id"]),
                "grp": int(r["grp"]),
                "score": float(r["score"]),
                "began_ns": int(r["began_ns"]),
                "body": _dumps(r["body"]),
            }
            for r in rows
        ]
        if remove is None:
            steps = [(q_alerts.REMOVE_SCOPE, params), (q_alerts.REMOVE_SCOPE_DIGESTS, params)]
        else:
            keys = list(dict.fromkeys(chain(remove, digests, (a["key"] for a in alerts))))
            steps = [
                (q_alerts.REMOVE_KEYS, {**params, "keys": keys}),
                (q_alerts.REMOVE_DIGEST_KEYS, {**params, "keys": keys}),
            ]
        digest_rows = [{"key": str(k), "digest": str(d)} for k, d in digests.items()]
        steps += [
            (q_alerts.ADD, {**params, "rows": alerts}),
            (q_alerts.SET_DIGESTS, {**params, "rows": digest_rows}),
        ]
        self._run.write_tx(steps)

    def stored_alerts(
        self,
        scope: str,
        *,
        target_id: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[dict[str, Any]] | None:
        result: list[dict[str, Any]] | None = self._run_plan(
            self._plan_stored_alerts(scope, target_id=target_id, offset=offset, limit=limit)
        )
        return result

    def _plan_stored_alerts(
        self,
        scope: str,
        *,
        target_id: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> _Plan:
        """Whether a pass stored the scope's alerts, and the alerts: one query (a bundle)."""
        params = {
            "scope": scope,
            "offset": int(offset),
            "limit": _ALL_ROWS if limit is None else int(limit),
        }
        if target_id is None:
            read = (q_alerts.READ_SCOPE, params)
        else:
            read = (q_alerts.READ_TARGET, {**params, "target_id": target_id})
        parts = [(q_alerts.MARKER, ["n"]), (read[0], ["body"])]
        query = q_bundle.bundle_query(parts)
        both = q_bundle.bundle_params([{"scope": scope, "marker": ""}, read[1]])

        def convert(rows: list[Any]) -> list[dict[str, Any]] | None:
            if not rows[0]["r0"][0]["n"]:
                return None
            return [json.loads(r["body"]) for r in rows[0]["r1"]]

        return _Plan(query, both, ["r0", "r1"], convert)

    # -------------------------------------------------------------- decisions
    def add_decision(
        self,
        decision: dict[str, Any],
        *,
        idempotency_key: str | None = None,
        request_sha256: str | None = None,
    ) -> str:
        values = decision_values(decision)
        values["decided_at"] = values["decided_at"] or datetime.now(UTC).isoformat()
        proposed = str(decision.get("decision_id") or uuid.uuid4().hex)
        by = values["decided_by"]

        def work(run: Callable[..., list[Any]]) -> tuple[str, str]:
            # one transaction: the counter, the decision (or none) and its audit entry
            seq = run(q_counters.NEXT, {"name": "decision"})[0]["value"]
            props = {
                **values,
                "seq": seq,
                "idempotency_key": idempotency_key,
                "request_sha256": request_sha256,
            }
            decision_id, action = proposed, "recorded"
            if idempotency_key is not None:
                claim = run(
                    q_decisions.CLAIM,
                    {
                        "request_key": json.dumps([by, idempotency_key], ensure_ascii=False),
                        "decision_id": proposed,
                        "props": props,
                    },
                )[0]
                if not claim["created"]:
                    decision_id = claim["decision_id"]
                    same = claim["request_sha256"] == request_sha256
                    action = "replayed" if same else "refused"
            else:
                if run(q_decisions.EXISTS, {"decision_id": proposed})[0]["found"]:
                    action = "replaced"
                run(q_decisions.UPSERT, {"decision_id": proposed, "props": props})
            if action in ("recorded", "replaced"):
                run(q_decisions.LINK, {"decision_id": decision_id})
            audit_seq = run(q_counters.NEXT, {"name": "decision_audit"})[0]["value"]
            run(
                q_decisions.AUDIT,
                {
                    "props": {
                        "seq": audit_seq,
                        "at": datetime.now(UTC).isoformat(),
                        "action": action,
                        "decision_id": decision_id,
                        "decided_by": by,
                        "idempotency_key": idempotency_key,
                        "request_sha256": request_sha256,
                        "decision": decision_json(decision),
                    }
                },
            )
            return decision_id, action

        result: tuple[str, str] = self._run.transaction(work)
        decision_id, action = result
        if action == "refused":
            raise IdempotencyConflict(
                f"Idempotency-Key {idempotency_key!r} was used for another request "
                f"(decision {decision_id}) with a different body: use a new key"
            )
        return decision_id

    def decisions(self) -> pd.DataFrame:
        records = self._run.read(q_decisions.ALL)
        df = pd.DataFrame(
            [tuple(r.values()) for r in records], columns=DECISION_COLUMNS, dtype=object
        )
        df["tier"] = df["tier"].astype("Int64")
        return df

    def account_decisions(self, account_id: str) -> list[dict[str, Any]]:
        """See :meth:`pileon.graph.store.Store.account_decisions`: one query, no frame."""
        result: list[dict[str, Any]] = self._run_plan(self._plan_account_decisions(account_id))
        return result

    def _plan_account_decisions(self, account_id: str) -> _Plan:
        def convert(rows: list[Any]) -> list[dict[str, Any]]:
            out = []
            for r in rows:
                rec = {c: r[c] for c in DECISION_COLUMNS}
                if rec["tier"] is not None:
                    rec["tier"] = int(rec["tier"])
                out.append(rec)
            return out

        return _Plan(
            q_decisions.OF_ACCOUNT, {"account_id": account_id}, list(DECISION_COLUMNS), convert
        )

    # --------------------------------------------------------------- ingest mark
    def set_ingest_mark(self, mark: dict[str, Any] | None) -> None:
        if mark is None:
            self._run.write(q_state.CLEAR, {"name": "ingest"})
        else:
            value = json.dumps(mark, sort_keys=True, ensure_ascii=False)
            self._run.write(q_state.SET, {"name": "ingest", "value": value})

    def ingest_mark(self) -> dict[str, Any] | None:
        value = self._run.read(q_state.GET, {"name": "ingest"})[0]["value"]
        return json.loads(value) if value is not None else None

    # ---------------------------------------------------------- evidence packs
    def add_evidence_issue(self, issue: dict[str, Any]) -> None:
        def work(run: Callable[..., list[Any]]) -> None:
            seq = run(q_counters.NEXT, {"name": "evidence_issue"})[0]["value"]
            props = {c: issue.get(c) for c in EVIDENCE_ISSUE_COLUMNS[1:]}
            props["items"] = int(issue["items"])
            run(q_evidence.ADD, {"props": {**props, "seq": seq}})

        self._run.transaction(work)

    def evidence_issues(self, seal: str | None = None) -> pd.DataFrame:
        if seal is None:
            records = self._run.read(q_evidence.ALL)
        else:
            records = self._run.read(q_evidence.OF_SEAL, {"seal": seal})
        df = pd.DataFrame(
            [tuple(r.values()) for r in records], columns=EVIDENCE_ISSUE_COLUMNS, dtype=object
        )
        return df.astype({"seq": "int64", "items": "int64"})

    def decision_audit(self) -> pd.DataFrame:
        records = self._run.read(q_decisions.AUDIT_ALL)
        df = pd.DataFrame([tuple(r.values()) for r in records], columns=AUDIT_COLUMNS, dtype=object)
        df["seq"] = df["seq"].astype("int64")
        return df

    # ----------------------------------------------------------------- helpers
    def _next(self, name: str) -> int:
        return int(self._run.write(q_counters.NEXT, {"name": name})[0]["value"])


def forget_schema(uri: str, database: str | None) -> None:
    """Make the next store opened on the database set its schema up again (after a bulk
    import replaced the database's files, constraints and indexes with them)."""
    clean, _, _ = _split_uri(uri)
    with _SCHEMA_LOCK:
        _SCHEMA_READY.discard((clean, database or None))


def _schema_name(statement: str) -> str:
    """The name a ``CREATE CONSTRAINT|INDEX name IF NOT EXISTS`` statement gives."""
    return statement.split()[2]


def _opt_str(v: Any) -> str | None:
    return None if _missing(v) else str(v)


def _account_view(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "account_id": str(a["account_id"]),
            "rank": a.get("rank"),
            "score": a.get("score"),
            "tier": a.get("tier"),
            "roles": [str(r) for r in a.get("roles", [])],
            "refer": a.get("refer"),
            "priority": a.get("priority"),
            "cluster_id": a.get("cluster_id"),
            "mcn_ids": [str(m) for m in a.get("mcn_ids", [])],
            "evidence": _dumps(a.get("evidence", [])),
        }
        for a in report.get("accounts", [])
    ]


def _cluster_view(report: dict[str, Any], run_id: str) -> list[dict[str, Any]]:
    event_id = str(report["event_id"])
    return [
        {
            "cluster_key": json.dumps([event_id, str(c["cluster_id"]), run_id], ensure_ascii=False),
            "cluster_id": str(c["cluster_id"]),
            "score": c.get("score"),
            "size": len(c.get("accounts", [])),
            "accounts": [str(a) for a in c.get("accounts", [])],
            "evidence": _dumps(c.get("evidence", [])),
        }
        for c in report.get("clusters", [])
    ]


def _mcn_view(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "mcn_id": str(m["mcn_id"]),
            "rank": m.get("rank"),
            "score": m.get("score"),
            "measures": [str(x) for x in m.get("measures", [])],
            "accounts": [str(a) for a in m.get("accounts", [])],
            "evidence": _dumps(m.get("evidence", [])),
        }
        for m in report.get("mcns", [])
    ]


def _narrative_view(report: dict[str, Any], run_id: str) -> list[dict[str, Any]]:
    event_id = str(report["event_id"])
    return [
        {
            "narrative_key": json.dumps(
                [event_id, str(n["narrative_id"]), run_id], ensure_ascii=False
            ),
            "narrative_id": str(n["narrative_id"]),
            "first_poster": _opt_str(n.get("first_poster")),
            "first_content_id": _opt_str(n.get("first_content_id")),
            "platforms": [str(p) for p in n.get("platforms", [])],
            "size": n.get("size"),
            "harmful": n.get("harmful"),
        }
        for n in report.get("narratives", [])
    ]


def _venue_view(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "venue_id": str(v["venue_id"]),
            "rank": v.get("rank"),
            "score": v.get("score"),
            "items": v.get("items"),
            "harmful": v.get("harmful"),
            "measures": [str(x) for x in v.get("measures", [])],
            "named_after": [str(x) for x in v.get("named_after", [])],
            "created_during_event": v.get("created_during_event"),
            "anonymous_board": v.get("anonymous_board"),
            "evidence": _dumps(v.get("evidence", [])),
        }
        for v in report.get("venues") or []
    ]
