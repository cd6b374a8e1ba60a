"""The embedded default store: one local SQLite file in WAL mode, no server.

WAL mode lets the API read while an ingest writes (readers see the last
committed state).  Every SQL statement is built from the model's fixed table
and column names only; values always travel as ``?`` parameters.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import chain
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd

from pileon.graph.arrays import distinct, is_none
from pileon.graph.codes import (
    CODES_DDL,
    RepostCodes,
    keep_repost_codes,
    kept_repost_codes,
    read_repost_codes,
    repost_codes_of,
)
from pileon.graph.errors import IdempotencyConflict, NotFound, StoreUnavailable
from pileon.graph.frames import _utc_ns, as_list, coerce, time_to_ns
from pileon.graph.model import PLACEHOLDER, PLACEHOLDER_TABLE, TABLES, TZ, ColType, stored_columns
from pileon.graph.store import (
    AUDIT_COLUMNS,
    DECISION_COLUMNS,
    EVIDENCE_ISSUE_COLUMNS,
    RANKED_LISTS,
    Store,
    decision_json,
    decision_values,
    older_rows,
)

#: a value of a stored cell, as SQLite takes it
_Cell = int | float | str | None

_SQL_TYPE = {
    ColType.STR: "TEXT",
    ColType.TIME: "INTEGER",
    ColType.FLOAT: "REAL",
    ColType.INT: "INTEGER",
    ColType.BOOL: "INTEGER",
    ColType.LIST: "TEXT",
}

_FINDINGS_DDL = """
CREATE TABLE IF NOT EXISTS memberships (content_id TEXT NOT NULL, event_id TEXT NOT NULL,
    via TEXT NOT NULL, PRIMARY KEY (event_id, content_id));
CREATE INDEX IF NOT EXISTS memberships_content ON memberships (content_id);
CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, event_id TEXT NOT NULL,
    generated_at TEXT NOT NULL, seq INTEGER NOT NULL, report TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS runs_event ON runs (event_id, seq);
CREATE TABLE IF NOT EXISTS ranked (run_id TEXT NOT NULL, kind TEXT NOT NULL,
    rank INTEGER NOT NULL, item_id TEXT NOT NULL, tier INTEGER, roles TEXT, item TEXT NOT NULL,
    PRIMARY KEY (run_id, kind, rank));
CREATE INDEX IF NOT EXISTS ranked_item ON ranked (kind, item_id);
CREATE TABLE IF NOT EXISTS decisions (decision_id TEXT PRIMARY KEY, seq INTEGER NOT NULL,
    event_id TEXT, account_id TEXT, mcn_id TEXT, tier INTEGER, measure TEXT, note TEXT,
    decided_at TEXT NOT NULL, decided_by TEXT, idempotency_key TEXT, request_sha256 TEXT);
CREATE TABLE IF NOT EXISTS alerts (scope TEXT NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL,
    target_id TEXT, event_id TEXT, grp INTEGER NOT NULL, score REAL NOT NULL,
    began_ns INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (scope, key, seq));
CREATE INDEX IF NOT EXISTS alerts_order ON alerts (scope, grp, score DESC, began_ns, key, seq);
CREATE INDEX IF NOT EXISTS alerts_target
    ON alerts (scope, target_id, grp, score DESC, began_ns, key, seq);
CREATE TABLE IF NOT EXISTS alert_digests (scope TEXT NOT NULL, key TEXT NOT NULL,
    digest TEXT NOT NULL, PRIMARY KEY (scope, key));
"""
#: columns added to ``decisions`` since its first version (added to older files on open)
_DECISION_ADDED = ("decided_by", "idempotency_key", "request_sha256")
#: the idempotency keys and the append-only audit trail (triggers refuse changes)
_AUDIT_DDL = """
CREATE UNIQUE INDEX IF NOT EXISTS decisions_idempotency ON decisions (decided_by, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS decision_audit (seq INTEGER PRIMARY KEY, at TEXT NOT NULL,
    action TEXT NOT NULL, decision_id TEXT, decided_by TEXT, idempotency_key TEXT,
    request_sha256 TEXT, decision TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS decision_audit_no_update BEFORE UPDATE ON decision_audit
    BEGIN SELECT RAISE(ABORT, 'the decision audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS decision_audit_no_delete BEFORE DELETE ON decision_audit
    BEGIN SELECT RAISE(ABORT, 'the decision audit trail is append-only'); END;
CREATE TABLE IF NOT EXISTS pileon_state (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS evidence_issued (seq INTEGER PRIMARY KEY, issued_at TEXT NOT NULL,
    issued_by TEXT, target_id TEXT NOT NULL, event_id TEXT, generated_at TEXT NOT NULL,
    items INTEGER NOT NULL, sha256 TEXT NOT NULL, seal TEXT NOT NULL, html_sha256 TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS evidence_issued_seal ON evidence_issued (seal);
CREATE TRIGGER IF NOT EXISTS evidence_issued_no_update BEFORE UPDATE ON evidence_issued
    BEGIN SELECT RAISE(ABORT, 'the record of issued evidence packs is append-only'); END;
CREATE TRIGGER IF NOT EXISTS evidence_issued_no_delete BEFORE DELETE ON evidence_issued
    BEGIN SELECT RAISE(ABORT, 'the record of issued evidence packs is append-only'); END;
"""

#: the first key of a saved report's JSON (``runs.report``): the ranked lists whose items
#: are the ``ranked`` table's rows, in its rowid order, instead of being in that JSON
_RANKED_IN_TABLE = "__ranked_in_table__"

ALERT_COLUMNS = ["scope", "key", "seq", "target_id", "event_id", "grp", "score", "began_ns", "body"]
#: the order of stored alert lists (see ``Store.stored_alerts``)
_ALERT_ORDER = "ORDER BY grp, score DESC, began_ns, key, seq"

#: how a missing time is read (the smallest int64; never a real nanosecond time)
_NO_TIME = -(2**63)

MEMBERSHIP_COLUMNS = ["content_id", "event_id", "via"]


@functools.lru_cache(maxsize=64)
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def _named(text: str | None, pattern: str | None) -> int:
    """SQL ``pileon_named(text, pattern)``: 1 when the text holds a match of the pattern (as
    :func:`pileon.graph.textsim.terms_pattern` builds it, matched case-insensitively)."""
    if not text or not pattern:
        return 0
    return 1 if _pattern(pattern).search(text) else 0


def _table_ddl(name: str) -> str:
    t = TABLES[name]
    cols = []
    for c in stored_columns(name):
        if c in t.column_names:
            cols.append(f"{c} {_SQL_TYPE[t.column(c).type]}")
        elif c == PLACEHOLDER:
            cols.append(f"{c} INTEGER NOT NULL DEFAULT 0")
        elif c == "tz":
            cols.append("tz INTEGER")
        else:
            cols.append(f"{c} TEXT")
    # keys with a missing part (affiliations.since) must still be unique: store '' in the key
    return (
        f"CREATE TABLE IF NOT EXISTS {name} ({', '.join(cols)}, PRIMARY KEY ({', '.join(t.key)}))"
    )


def _add_new_columns(con: sqlite3.Connection, name: str) -> None:
    """Add the model's optional columns that a store made by an older pileon lacks
    (``events.ended_at``, say): they read as missing in the rows it holds."""
    have = {row[1] for row in con.execute(f"PRAGMA table_info({name})")}
    t = TABLES[name]
    for c in stored_columns(name):
        if c not in have and c in t.column_names and not t.column(c).required:
            con.execute(f"ALTER TABLE {name} ADD COLUMN {c} {_SQL_TYPE[t.column(c).type]}")


# each foreign key is indexed with the table's key after it, so that the first rows of one
# ID in key order are an index walk that stops early (``linked``: a hub's first neighbours)
_INDEXES = (
    "CREATE INDEX IF NOT EXISTS contents_account_key ON contents (account_id, content_id)",
    "CREATE INDEX IF NOT EXISTS contents_reply_key ON contents (reply_to, content_id)",
    "CREATE INDEX IF NOT EXISTS contents_venue ON contents (venue_id)",
    "CREATE INDEX IF NOT EXISTS reposts_source_key ON reposts (source_id, repost_id)",
    "CREATE INDEX IF NOT EXISTS reposts_account_key ON reposts (account_id, repost_id)",
    "CREATE INDEX IF NOT EXISTS accounts_name ON accounts (name)",
)
#: indexes of older stores that those above replace (dropped when a store is opened)
_OLD_INDEXES = ("contents_account", "reposts_source", "reposts_account")
#: (index, table) of the secondary indexes above
_INDEX_TABLES = (
    ("contents_account_key", "contents"),
    ("contents_reply_key", "contents"),
    ("contents_venue", "contents"),
    ("reposts_source_key", "reposts"),
    ("reposts_account_key", "reposts"),
    ("accounts_name", "accounts"),
)
#: the triggers of ``CODES_DDL`` (dropped by a bulk load into an empty ``reposts`` table)
_CODES_TRIGGERS = ("repost_codes_insert", "repost_codes_update", "repost_codes_delete")
#: rows per INSERT statement of the bulk writes (at most 15 columns: far below the
#: 32766 parameters SQLite takes)
_ROWS_PER_INSERT = 100
#: page cache of a bulk load (KiB; SQLite's default is 2 MiB)
_BULK_CACHE_KIB = 256 * 1024


def _insert_rows(
    con: sqlite3.Connection, head: str, tail: str, width: int, rows: Sequence[tuple[Any, ...]]
) -> None:
    """``{head} VALUES (?, ...) {tail}`` for each row, many rows per statement.

    Notes
    -----
    The same rows in the same order as ``executemany`` of one row a statement, in about
    four fifths of the time (the per-statement steps of SQLite and the Python loop are
    paid once per :data:`_ROWS_PER_INSERT` rows).  O(rows x width).
    """
    one = "(" + ", ".join("?" * width) + ")"
    k = _ROWS_PER_INSERT
    whole = len(rows) // k * k
    if whole:
        flat = list(chain.from_iterable(rows[:whole]))
        step = k * width
        con.executemany(
            f"{head} VALUES {', '.join([one] * k)} {tail}",
            [flat[i : i + step] for i in range(0, len(flat), step)],
        )
    if whole < len(rows):
        con.executemany(f"{head} VALUES {one} {tail}", rows[whole:])


def _with_none(values: np.ndarray, missing: np.ndarray) -> list[_Cell]:
    """``values`` as Python numbers, None where ``missing``."""
    out = values.astype(object)
    out[missing] = None
    cells: list[_Cell] = out.tolist()
    return cells


def _text_values(s: pd.Series) -> list[str | None]:
    """Cells as text, None for missing ones (None, NA, NaN); a column of text and None as is."""
    arr = s.to_numpy(dtype=object)
    none = np.fromiter((v is None for v in arr), dtype=bool, count=len(arr))
    if pd.api.types.infer_dtype(arr[~none], skipna=False) in ("string", "empty"):
        texts: list[str | None] = arr.tolist()
        return texts
    return [
        None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else str(v)
        for v in arr
    ]


def _kind(table: str, col: str) -> ColType | str:
    """The value type of a stored column (``placeholder``, ``tz`` and ``extra`` by name)."""
    t = TABLES[table]
    return t.column(col).type if col in t.column_names else col


#: the kinds of columns stored as TEXT
_TEXT_KINDS = (ColType.STR, ColType.LIST, "extra")


def _json_ids(ids: Iterable[object]) -> str:
    """IDs as one JSON array for ``json_each``, read back ``CAST(value AS TEXT)``: what a
    TEXT column would hold of each (missing values, which match nothing, left out)."""
    ids = list(ids)
    try:
        return json.dumps(ids, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):  # NaN, or values that are no JSON: as text
        return json.dumps(
            [
                i if isinstance(i, (str, int, float)) else str(i)
                for i in ids
                if i is not None and not (isinstance(i, float) and np.isnan(i))
            ],
            ensure_ascii=False,
        )


def _shared(values: np.ndarray, pool: dict[Any, Any]) -> np.ndarray:
    """``values`` (an object array) with each repeated value one object, taken from and
    added to ``pool``: SQLite makes a new string per cell, so a column that names a few
    hundred thousand accounts for five million reposts held five million strings.
    Left as it is when every value is distinct.  ``O(n)`` hashing."""
    codes, uniq = pd.factorize(values)
    if len(uniq) == len(values):
        return values
    # text values (what a TEXT column holds) keyed by themselves, no (type, value) tuple each
    keys = uniq.tolist() if pd.api.types.infer_dtype(uniq, skipna=False) == "string" else None
    one = (
        list(map(pool.setdefault, keys, keys))
        if keys is not None
        else [pool.setdefault((type(u), u), u) for u in uniq.tolist()]
    )
    return np.array(one + [None], dtype=object)[codes]  # code -1 (missing): None


#: the first values of a chunk's ``text`` column looked at by :func:`_repeats`
_TEXT_PROBE = 4096


def _repeats(values: np.ndarray) -> bool:
    """Whether ``values`` (the first ones of a chunk's free text) hold a repeated text (None
    aside): free text is mostly distinct (ira-dev: 206283 of 207760 contents), and hashing
    every long text of a chunk to share none cost a tenth of the read.  Sharing saves memory
    only: the values read are the same either way.  O(len(values))."""
    texts = values[~is_none(values)]
    return len(set(texts.tolist())) < len(texts)


def _concat(parts: list[Any]) -> Any:
    """One array of the same-typed arrays ``parts`` (numpy or pandas extension arrays)."""
    if len(parts) == 1:
        return parts[0]
    if isinstance(parts[0], np.ndarray):
        return np.concatenate(parts)
    return type(parts[0])._concat_same_type(parts)


#: rows of an event's table read cell by cell first: its columns with few values among
#: them are then read as codes (:class:`_EventReader`)
_LEARN_ROWS = 4096
#: a column with at most this many distinct values is read as codes
_FEW_VALUES = 15
#: rows per chunk read with codes, at most
_CODED_ROWS = 1 << 16
#: at most this many new values of a chunk's coded columns are read again by key
_FEW_UNKNOWN = 256
#: the packed codes of a row stay below this (an SQLite integer)
_PACKED_MAX = 2**62
#: the kept codes of ``reposts`` are read for an event that holds at least this share of
#: the table's rows (they are 24 bytes a row of the whole table)
_CODES_SHARE = 1 / 64
#: the columns of ``reposts`` that its kept codes give
_FROM_CODES = ("account_id", "source_id", "reposted_at")
#: the kinds of columns that ``coerce(..., clean=...)`` takes as they are when their cells
#: were all seen to be text (:attr:`_EventReader.clean`)
_CLEAN_KINDS = (ColType.STR, "extra")


def _objects(values: list[Any]) -> np.ndarray:
    """``values`` as a 1-d object array (cell by cell, whatever they are)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _row_columns(rows: Sequence[tuple[Any, ...]], width: int) -> list[np.ndarray]:
    """The ``width`` columns of ``rows`` (a fetch's tuples) as object arrays of their cells:
    one pass in C per column, half the time of a 2-d array of the rows cut into columns
    (65536 rows of two cells: 6.4 ms against 14.5).  O(rows x width)."""
    return [_objects(list(map(itemgetter(j), rows))) for j in range(width)]


def _distinct_cells(values: np.ndarray, at_most: int) -> list[Any] | None:
    """The distinct cells of ``values`` in first-seen order (``1`` and ``1.0`` apart), or
    None when there are more than ``at_most``."""
    seen = dict.fromkeys(zip(map(type, values.tolist()), values.tolist()))
    return None if len(seen) > at_most else [v for _, v in seen]


def _text_cells(kind: ColType | str, values: Iterable[Any]) -> bool:
    """Whether ``values`` are cells that :func:`pileon.graph.frames.coerce` would keep as
    they are in a column of ``kind`` (its ``clean`` columns): ``str`` or None in a column of
    strings, ``str`` in ``extra``; never for other kinds."""
    if kind == ColType.STR:
        return {*map(type, values)} <= _STR_OR_NONE
    if kind == "extra":
        return {*map(type, values)} <= _STR
    return False


_STR_OR_NONE = {str, type(None)}
_STR = {str}


def _codes_match(con: sqlite3.Connection, codes: RepostCodes) -> bool:
    """Whether the first, middle and last rows of ``reposts`` (rowids 1..n) have the account
    and time of the codes' entries ``rowid - 1``: a check of the order the codes are kept in
    (:func:`pileon.graph.codes.kept_repost_codes`), three rows read."""
    n = len(codes)
    probe = sorted({1, (n + 1) // 2, n})
    rows = con.execute(
        "SELECT rowid, account_id, reposted_at FROM reposts "
        "WHERE rowid IN (SELECT value FROM json_each(?))",
        (json.dumps(probe),),
    ).fetchall()
    at = np.array([r[0] - 1 for r in rows], dtype=np.int64)
    return len(rows) == len(probe) and [(a, t) for _, a, t in rows] == list(
        zip(codes.names(codes.account[at]).tolist(), codes.time[at].tolist())
    )


class _EventReader:
    """The columns of one event's ``contents`` or ``reposts`` (:meth:`EmbeddedStore.event_items`),
    read in chunks in key order, with the memberships joined.

    A learning chunk (the first :data:`_LEARN_ROWS` rows) comes cell by cell; a column (key
    and times aside) with at most :data:`_FEW_VALUES` distinct values among them is then read
    as a code: SQLite compares each cell with those values, and the codes of a row's such
    columns travel packed into one integer, so that a row costs its other cells and one
    integer, not a Python object per cell.  Cells that match none (new values) are read again
    by their rows' keys when they are few; when they are many, the chunk ends before the
    first of them and a learning chunk follows, whose values join the columns' (a column
    with more than :data:`_FEW_VALUES` is read cell by cell from then on).  The cells are the
    same either way, and each value of a coded column is one object (what :func:`_shared`
    makes).

    Of ``reposts``, when the kept integer codes (:mod:`pileon.graph.codes`) are fresh and the
    event holds :data:`_CODES_SHARE` of the table, the rows' rowids travel packed too, and
    ``account_id``, ``source_id`` and ``reposted_at`` come from the codes: each account ID
    decoded once from the codes' names, each source ID read once by a row that has it.

    :attr:`clean` names the text columns whose cells were all seen to be text (and None):
    a coded column's by its few values, the codes' account IDs as decoded, their source IDs
    as read, the other cells by their types; so that :func:`pileon.graph.frames.coerce`
    need not look at every cell again.
    """

    def __init__(self, con: sqlite3.Connection, table: str, event_id: str) -> None:
        self.con, self.table, self.event_id = con, table, event_id
        self.key = TABLES[table].key[0]
        self.cols = stored_columns(table) + ["via"]
        self.expr = {
            c: "m.via"
            if c == "via"
            else (f"COALESCE(t.{c}, {_NO_TIME})" if _kind(table, c) == ColType.TIME else f"t.{c}")
            for c in self.cols
        }
        self.base = (
            f"FROM memberships m JOIN {table} t ON t.{self.key} = m.content_id WHERE m.event_id = ?"
        )
        #: the columns read as codes, with their values (None: not learnt yet)
        self.few: dict[str, list[Any]] | None = None
        self.codes: RepostCodes | None = None
        #: the rows of ``reposts`` (its largest rowid), once asked; 0: no codes to read
        self.top: int | None = None if table == "reposts" else 0
        self.pool: dict[Any, Any] = {}
        #: the text columns with a cell seen that is no text (nor None where allowed)
        self._unchecked: set[str] = set()

    @property
    def clean(self) -> list[str]:
        """The text columns read so far whose every cell was seen to be text (or None where
        a column of strings allows it): what ``coerce(..., clean=...)`` takes as it is."""
        return [
            c
            for c in self.cols
            if c not in self._unchecked and _kind(self.table, c) in _CLEAN_KINDS
        ]

    def _check(self, c: str, values: Iterable[Any]) -> None:
        """Note the text column ``c`` as unchecked unless ``values`` are all clean cells."""
        kind = _kind(self.table, c)
        if kind in _CLEAN_KINDS and c not in self._unchecked and not _text_cells(kind, values):
            self._unchecked.add(c)

    def read(self) -> dict[str, Any]:
        parts: list[dict[str, Any]] = []
        last: str | None = None
        seen = 0
        learn = True
        limit = _LEARN_ROWS
        while True:
            if not learn and self.codes is None and self.top != 0:
                self._try_codes(seen)
            if learn:
                raw, n = self._rows(last, _LEARN_ROWS, [])
                shared: list[str] = []
                done = n < _LEARN_ROWS
                self._learn(raw)
                learn, limit = False, _LEARN_ROWS
            else:
                # chunks grow from a learning chunk's size: the rows read after the first
                # of many new values (read again) stay fewer than those read before it
                limit = min(2 * limit, _CODED_ROWS)
                shared = [*(self.few or ()), *(_FROM_CODES if self.codes is not None else ())]
                raw, n, learn = self._coded(last, limit)
                done = n < limit and not learn
            parts.append(_columns_of_cells(self.table, raw, pool=self.pool, shared=shared))
            for c in self.cols:  # the cells read one by one (the others: by their values)
                if c not in shared and _kind(self.table, c) in _CLEAN_KINDS:
                    self._check(c, parts[-1][c].tolist())
            seen += n
            if done:
                break
            if n:
                last = raw[self.key][-1]
        return {c: _concat([p[c] for p in parts]) for c in self.cols}

    def _one(self, values: Iterable[Any]) -> list[Any]:
        """``values`` with each text the one object of its value in the pool (the pool of
        :func:`_shared`, which the cells read one by one share too)."""
        pool = self.pool
        return [pool.setdefault(v, v) if type(v) is str else v for v in values]

    def _try_codes(self, seen: int) -> None:
        """Read the kept codes when they are fresh, their rows are rowids 1..n (entry
        ``i`` the rowid ``i + 1``) and the event holds :data:`_CODES_SHARE` of them."""
        if self.top is None:
            self.top = self.con.execute("SELECT COALESCE(MAX(rowid), 0) FROM reposts").fetchone()[0]
        if self.top == 0 or seen < self.top * _CODES_SHARE:
            return
        codes = kept_repost_codes(self.con)
        if codes is None or len(codes) != self.top or not _codes_match(self.con, codes):
            self.top = 0  # none kept, or not of rowids 1..n: not asked again
            return
        self.codes = codes  # n distinct positive rowids up to n: entry i is rowid i + 1
        for c in _FROM_CODES:
            (self.few or {}).pop(c, None)
        self._names = np.empty(len(codes.name_ends), dtype=object)
        self._named = np.zeros(len(codes.name_ends), dtype=bool)
        n_src = int(codes.source.max()) + 1
        self._sources = np.empty(n_src, dtype=object)
        self._sourced = np.zeros(n_src, dtype=bool)

    def _learn(self, raw: dict[str, np.ndarray]) -> None:
        """Learn the columns of few values from a learning chunk's cells: at the first, every
        column (key and times aside); afterwards, new values of the coded columns."""
        if self.few is None:
            learnable = [
                c for c in self.cols if c != self.key and _kind(self.table, c) != ColType.TIME
            ]
            self.few = {c: [] for c in learnable}
        for c in list(self.few):
            values = _distinct_cells(
                np.concatenate([_objects(self.few[c]), raw[c]]) if self.few[c] else raw[c],
                _FEW_VALUES,
            )
            if values is None:
                del self.few[c]
            else:
                self.few[c] = self._one(values)

    def _rows(
        self, last: str | None, limit: int, select: list[str], params: Sequence[Any] = ()
    ) -> tuple[dict[str, np.ndarray], int]:
        """The raw cells of the plain columns (those neither coded nor from the codes) of the
        next ``limit`` rows after key ``last`` (from the start when None), and the extra
        columns ``select`` (with their ``params``) under their own SQL as names."""
        from_codes = _FROM_CODES if self.codes is not None and select else ()
        few = self.few if select else {}
        plain = [c for c in self.cols if c not in (few or ()) and c not in from_codes]
        sql = f"SELECT {', '.join([self.expr[c] for c in plain] + select)} {self.base}"
        args = [*params, self.event_id]
        if last is not None:
            sql += " AND m.content_id > ?"
            args.append(last)
        rows = self.con.execute(sql + " ORDER BY m.content_id LIMIT ?", [*args, limit]).fetchall()
        cells = _row_columns(rows, len(plain) + len(select))
        raw = dict(zip(plain, cells))
        raw.update(zip(select, cells[len(plain) :]))
        return raw, len(rows)

    def _coded(self, last: str | None, limit: int) -> tuple[dict[str, np.ndarray], int, bool]:
        """The raw cells of the next ``limit`` rows, the coded columns read as
        codes; whether a learning chunk must follow (the rows returned end before the first
        of many new values)."""
        few, radix = list(self.few or ()), [len((self.few or {})[c]) + 1 for c in self.few or ()]
        top = len(self.codes) + 1 if self.codes is not None else 1
        while few and int(np.prod(radix, dtype=object)) * top >= _PACKED_MAX:
            drop = int(np.argmax(radix))  # too many codes for one integer: read by cell
            del (self.few or {})[few.pop(drop)]
            radix.pop(drop)
        terms, params, step = [], [], 1
        for c, r in zip(few, radix):
            whens = " ".join(f"WHEN {self.expr[c]} IS ? THEN {i}" for i in range(r - 1))
            terms.append(f"(CASE {whens} ELSE {r - 1} END) * {step}")
            params += (self.few or {})[c]
            step *= r
        if self.codes is not None:
            terms.append(f"t.rowid * {step}")
        packed = " + ".join(terms)
        raw, n = self._rows(last, limit, [packed] if terms else [], params)
        if not terms:
            return {c: raw[c] for c in self.cols}, n, False
        rest = raw.pop(packed).astype(np.int64)
        digits = []
        unknown = np.zeros(n, dtype=bool)
        for r in radix:
            digits.append(rest % r)
            rest //= r
            unknown |= digits[-1] == r - 1
        relearn = False
        at = np.flatnonzero(unknown)
        if len(at) > _FEW_UNKNOWN:  # many new values: end before the first, learn them
            n, relearn = int(at[0]), True
            raw = {c: v[:n] for c, v in raw.items()}
            digits = [d[:n] for d in digits]
            rest, at = rest[:n], at[:0]
        for c, d in zip(few, digits):
            raw[c] = _objects([*(self.few or {})[c], None])[d]
            self._check(c, (self.few or {})[c])
        if len(at):
            self._unknown(raw, few, at)
            for c in few:
                self._check(c, raw[c][at].tolist())
        if self.codes is not None:
            self._from_codes(raw, rest - 1)  # rowid - 1: the codes' entry
        return {c: raw[c] for c in self.cols}, n, relearn

    def _unknown(self, raw: dict[str, np.ndarray], few: list[str], at: np.ndarray) -> None:
        """The cells of the columns ``few`` at rows ``at`` that matched none of their
        values, read again by key; their values join the columns' (or the column is read
        cell by cell from the next chunk on)."""
        keys = raw[self.key][at].tolist()
        sql = (
            f"SELECT m.content_id, {', '.join(self.expr[c] for c in few)} {self.base} "
            "AND m.content_id IN (SELECT CAST(value AS TEXT) FROM json_each(?))"
        )
        got = {r[0]: r[1:] for r in self.con.execute(sql, (self.event_id, _json_ids(keys)))}
        known = self.few or {}
        for j, c in enumerate(few):
            cells = _objects(self._one(got[k][j] for k in keys))
            raw[c][at] = cells
            values = _distinct_cells(np.concatenate([_objects(known[c]), cells]), _FEW_VALUES)
            if values is None:
                del known[c]
            else:
                known[c] = values

    def _from_codes(self, raw: dict[str, np.ndarray], at: np.ndarray) -> None:
        """``account_id``, ``source_id`` and ``reposted_at`` of the codes' entries ``at``."""
        codes = self.codes
        assert codes is not None
        account = codes.account[at]
        new = distinct(account[~self._named[account]])
        if len(new):
            self._names[new] = _objects(self._one(codes.names(new)))
            self._named[new] = True
        raw["account_id"] = self._names[account]
        source = codes.source[at]
        fresh = ~self._sourced[source]
        if fresh.any():
            new, first = np.unique(source[fresh], return_index=True)
            rowids = (at[fresh][first] + 1).tolist()
            got = dict(
                self.con.execute(
                    "SELECT rowid, source_id FROM reposts "
                    "WHERE rowid IN (SELECT value FROM json_each(?))",
                    (json.dumps(rowids),),
                ).fetchall()
            )
            self._sources[new] = _objects(self._one(got[r] for r in rowids))
            self._sourced[new] = True
            self._check("source_id", self._sources[new].tolist())
        raw["source_id"] = self._sources[source]
        raw["reposted_at"] = codes.time[at]


def _columns_of_rows(
    table: str,
    cols: list[str],
    rows: list[tuple[Any, ...]],
    *,
    pool: dict[Any, Any] | None = None,
) -> dict[str, Any]:
    """Rows read by :meth:`EmbeddedStore.frame` as arrays of the frame dtypes (what
    :func:`pileon.graph.frames.coerce` keeps as they are): key sentinels back to missing.
    With ``pool``, the text columns but a one-column key share their repeated values
    (:func:`_shared`)."""
    return _columns_of_cells(table, dict(zip(cols, _row_columns(rows, len(cols)))), pool=pool)


def _columns_of_cells(
    table: str,
    raw: Mapping[str, np.ndarray],
    *,
    pool: dict[Any, Any] | None = None,
    shared: Iterable[str] = (),
) -> dict[str, Any]:
    """:func:`_columns_of_rows` of the columns ``raw`` (each an array of the cells as SQLite
    gives them, in row order); the text columns named in ``shared`` already hold one object
    per distinct value and are not shared again."""
    t = TABLES[table]
    shared = set(shared)
    data: dict[str, Any] = {}
    for c, v in raw.items():
        kind = _kind(table, c)
        if kind == ColType.TIME:  # never NULL: read as COALESCE(c, _NO_TIME)
            ns = v.astype(np.int64)
            if c in t.key:
                ns[ns == -1] = _NO_TIME
            data[c] = pd.Series(ns.view("datetime64[ns]")).dt.tz_localize("UTC").array  # NaT
        elif kind == PLACEHOLDER:
            data[c] = v.astype(np.int64) != 0
        elif kind in (ColType.FLOAT, ColType.INT, ColType.BOOL, TZ):
            missing = is_none(v)
            if kind in (ColType.INT, TZ):
                if pd.api.types.infer_dtype(v[~missing], skipna=False) in ("integer", "empty"):
                    # integers and None: what pd.array(v, dtype="Int64") gives, in numpy
                    ints = np.where(missing, 0, v).astype(np.int64)
                    data[c] = pd.arrays.IntegerArray(ints, missing)
                else:
                    data[c] = pd.array(v, dtype="Int64")
                continue
            v = np.where(missing, 0, v)
            if kind == ColType.FLOAT:
                data[c] = np.where(missing, np.nan, v.astype(np.float64))
            else:
                data[c] = pd.arrays.BooleanArray(v.astype(np.int64) != 0, missing)
        else:  # text: strings, lists (JSON), extra
            v = v.copy()
            if c in t.key:
                v[v == ""] = None
            if (
                pool is not None
                and c not in shared
                and len(v)
                and not (len(t.key) == 1 and c in t.key)
                and (c != "text" or _repeats(v[:_TEXT_PROBE]))
            ):
                v = _shared(v, pool)
            data[c] = v
    return data


def _report_encoder() -> Callable[[Any], str]:
    """``json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode``, with the C encoder
    built once for all the items of a report instead of once per call (a third of the
    time of encoding 122k account entries one by one); the same text.

    >>> _report_encoder()({"b": [1.5, None], "a": "网暴"})
    '{"a": "网暴", "b": [1.5, null]}'
    """
    enc = json.JSONEncoder(ensure_ascii=False, sort_keys=True)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return enc.encode
    try:  # the arguments JSONEncoder.iterencode gives it (CPython 3.11 to 3.13)
        c = make(
            {},
            enc.default,
            json.encoder.encode_basestring,
            None,
            enc.key_separator,
            enc.item_separator,
            True,
            False,
            True,
        )
        probe = {"b": [1.5, float("inf"), None, True], "a": "网暴\n"}
        if "".join(c(probe, 0)) != enc.encode(probe):
            return enc.encode
    except (TypeError, ValueError):
        return enc.encode

    def encode(o: Any) -> str:
        if isinstance(o, (dict, list)):
            return "".join(c(o, 0))
        return enc.encode(o)

    return encode


_EPOCH = datetime(1970, 1, 1)


def _iso_ns(ns: int) -> str:
    """``pd.Timestamp(ns, tz="UTC").isoformat()`` without the Timestamp (a tenth of the
    time): seconds, then 6 digits of fraction, or 9 when there are nanoseconds."""
    sec, frac = divmod(int(ns), 1_000_000_000)
    text = (_EPOCH + timedelta(seconds=sec)).isoformat()
    if frac:
        text += f".{frac // 1000:06d}" if frac % 1000 == 0 else f".{frac:09d}"
    return text + "+00:00"


def _record_cell(kind: ColType | str, key: bool, v: Any) -> Any:
    """One stored cell as :func:`pileon.graph.frames.frame_records` gives it from a frame
    (what :func:`_columns_of_rows` and ``coerce`` make of it, then ``jsonable``)."""
    if kind == ColType.TIME:  # never NULL: read as COALESCE(c, _NO_TIME)
        if v == _NO_TIME or (key and v == -1):
            return None
        return _iso_ns(v)
    if kind == PLACEHOLDER:
        return bool(v)
    if v is None:
        return [] if kind == ColType.LIST else ("{}" if kind == "extra" else None)
    if kind == ColType.FLOAT:
        f = float(v)
        return None if math.isnan(f) else f
    if kind in (ColType.INT, TZ):
        return int(v)
    if kind == ColType.BOOL:
        return int(v) != 0
    if kind == ColType.LIST:
        return as_list(v)
    if key and v == "":
        return None
    return v


def _decision_record(row: Sequence[Any]) -> dict[str, Any]:
    """A row of ``decisions`` (:data:`DECISION_COLUMNS`) as the JSON values ``frame_records``
    makes of :meth:`EmbeddedStore.decisions`: ``tier`` an int or None."""
    rec = dict(zip(DECISION_COLUMNS, row))
    if rec["tier"] is not None:
        rec["tier"] = int(rec["tier"])
    return rec


def _records_of_rows(
    table: str, cols: list[str], rows: list[tuple[Any, ...]]
) -> list[dict[str, Any]]:
    """Rows as :func:`pileon.graph.frames.frame_records` of the frame :meth:`EmbeddedStore.frame`
    would make of them, in key order, without building the frame (a few rows: the
    graph view).  ``extra`` parsed into an object, as there."""
    t = TABLES[table]
    kinds = _cell_kinds(table, tuple(cols))
    out = []
    for row in rows:
        rec = {c: _record_cell(k, key, v) for c, (k, key), v in zip(cols, kinds, row)}
        if "extra" in rec:
            rec["extra"] = _extra_object(rec["extra"])
        out.append(rec)
    keys = [k for k in t.key if k in cols]
    out.sort(key=lambda r: tuple((r[k] is not None, r[k] or "") for k in keys))
    return out


@functools.lru_cache(maxsize=64)
def _cell_kinds(table: str, cols: tuple[str, ...]) -> list[tuple[ColType | str, bool]]:
    t = TABLES[table]
    return [(_kind(table, c), c in t.key) for c in cols]


def _extra_object(v: Any) -> dict[str, Any]:
    if v == "{}" or not v:
        return {}
    try:
        obj = json.loads(v) if isinstance(v, str) and v else {}
    except ValueError:
        return {}
    return obj if isinstance(obj, dict) else {}


class EmbeddedStore(Store):
    """The default store: a SQLite file (created on first use)."""

    def __init__(self, path: str) -> None:
        self.path = str(path)
        self.uri = self.path
        self._local = threading.local()
        self._write_lock = threading.Lock()
        # generation(): a connection that never writes, so that its data_version counts
        # every commit made to the file (by this process's other connections too)
        self._watch: sqlite3.Connection | None = None
        self._watch_lock = threading.Lock()
        self._token = uuid.uuid4().hex
        try:
            con = self._con()
            with con:
                for name in TABLES:
                    con.execute(_table_ddl(name))
                    _add_new_columns(con, name)
                for stmt in _INDEXES:
                    con.execute(stmt)
                for index in _OLD_INDEXES:
                    con.execute(f"DROP INDEX IF EXISTS {index}")
                con.executescript(_FINDINGS_DDL)
                have = {r[1] for r in con.execute("PRAGMA table_info(decisions)")}
                for column in _DECISION_ADDED:
                    if column not in have:
                        con.execute(f"ALTER TABLE decisions ADD COLUMN {column} TEXT")
                con.executescript(_AUDIT_DDL)
                con.executescript(CODES_DDL)
        except sqlite3.Error as exc:
            folder = os.path.dirname(os.path.abspath(self.path))
            why = f"its folder {folder} does not exist" if not os.path.isdir(folder) else exc
            raise StoreUnavailable(f"cannot open the embedded store {self.path}: {why}") from None

    # one connection per thread: the API serves requests from a thread pool
    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.execute("PRAGMA foreign_keys=OFF")
            con.execute("PRAGMA temp_store=MEMORY")  # the ID sets of frame(ids=...)
            con.create_function("pileon_named", 2, _named, deterministic=True)
            self._local.con = con
        return con

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Faster loading of many rows in this thread: a large page cache and temporary
        tables in memory, and the secondary indexes of tables that are empty at the
        start built once at the end instead of row by row.  Into an empty ``reposts``
        table, the triggers that empty the kept integer codes (``pileon.graph.codes``)
        are dropped too, and the codes emptied once at the start and once at the end,
        instead of by a trigger per row.  The store is the same afterwards (readers
        meanwhile see the same rows, found more slowly)."""
        con = self._con()
        cache = con.execute("PRAGMA cache_size").fetchone()[0]
        temp = con.execute("PRAGMA temp_store").fetchone()[0]
        con.execute(f"PRAGMA cache_size=-{_BULK_CACHE_KIB}")
        con.execute("PRAGMA temp_store=MEMORY")
        dropped = []
        with self._write_lock:
            with con:
                for index, table in _INDEX_TABLES:
                    if con.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is None:
                        con.execute(f"DROP INDEX IF EXISTS {index}")
                        dropped.append(index)
                triggers = con.execute("SELECT 1 FROM reposts LIMIT 1").fetchone() is None
                if triggers:
                    for trigger in _CODES_TRIGGERS:
                        con.execute(f"DROP TRIGGER IF EXISTS {trigger}")
                    con.execute("DELETE FROM repost_codes")
        try:
            yield
        finally:
            if dropped:
                with self._write_lock:
                    with con:
                        for stmt in _INDEXES:
                            con.execute(stmt)
            if triggers:
                with self._write_lock:
                    con.executescript(f"BEGIN; {CODES_DDL} DELETE FROM repost_codes; COMMIT;")
            con.execute(f"PRAGMA cache_size={int(cache)}")
            con.execute(f"PRAGMA temp_store={int(temp)}")

    def close(self) -> None:
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None
        with self._watch_lock:
            if self._watch is not None:
                self._watch.close()
                self._watch = None

    def generation(self) -> tuple[str, int]:
        """See :meth:`pileon.graph.store.Store.generation`: ``PRAGMA data_version`` of a
        connection that only asks that (SQLite changes it whenever another connection,
        of any process, commits), with a token of this store object (a reopened
        store starts counting again)."""
        with self._watch_lock:
            if self._watch is None:
                self._watch = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
            return (self._token, int(self._watch.execute("PRAGMA data_version").fetchone()[0]))

    # ------------------------------------------------------------------ writes
    def _to_rows(self, table: str, rows: pd.DataFrame) -> tuple[list[str], list[tuple[_Cell, ...]]]:
        t = TABLES[table]
        cols = [c for c in stored_columns(table) if c in rows.columns or c in t.key]
        data: list[Sequence[_Cell]] = []
        for c in cols:
            s = rows[c] if c in rows.columns else pd.Series([None] * len(rows), index=rows.index)
            kind = t.column(c).type if c in t.column_names else None
            vals: Sequence[_Cell]
            if kind == ColType.TIME:
                vals = time_to_ns(s)
            elif kind == ColType.LIST:
                vals = [
                    json.dumps(list(v), ensure_ascii=False) if v is not None and len(v) else None
                    for v in s
                ]
            elif kind in (ColType.BOOL,) or c == PLACEHOLDER:
                if s.dtype == bool:
                    vals = s.to_numpy().astype(np.int64).astype(object).tolist()
                else:
                    vals = [
                        None
                        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
                        else int(bool(v))
                        for v in s
                    ]
            elif kind in (ColType.INT,) or c == "tz":
                if isinstance(s.dtype, pd.Int64Dtype):
                    vals = _with_none(s.to_numpy(dtype=np.int64, na_value=0), s.isna().to_numpy())
                else:
                    vals = [
                        None
                        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
                        else int(v)
                        for v in s
                    ]
            elif kind == ColType.FLOAT:
                f = s.astype(float).to_numpy()
                vals = _with_none(f, np.isnan(f))
            else:
                vals = _text_values(s)
            if c in t.key and kind != ColType.TIME:
                vals = ["" if v is None else v for v in vals]
            elif c in t.key:
                vals = [-1 if v is None else v for v in vals]
            data.append(vals)
        return cols, list(zip(*data)) if data else []

    def upsert(self, table: str, rows: pd.DataFrame) -> int:
        if rows.empty:
            return 0
        t = TABLES[table]
        if t.node and PLACEHOLDER not in rows.columns:
            rows = rows.assign(**{PLACEHOLDER: False})
        cols, values = self._to_rows(table, rows)
        updates = ", ".join(f"{c}=excluded.{c}" for c in cols if c not in t.key)
        conflict = f"ON CONFLICT ({', '.join(t.key)}) DO " + (
            f"UPDATE SET {updates}" if updates else "NOTHING"
        )
        with self._write_lock:
            con = self._con()
            with con:
                _insert_rows(
                    con, f"INSERT INTO {table} ({', '.join(cols)})", conflict, len(cols), values
                )
        return len(values)

    def missing_ids(self, kind: str, ids: Iterable[str]) -> set[str]:
        ids = {i for i in ids if i}
        if not ids:
            return set()
        table, key = PLACEHOLDER_TABLE[kind]
        sql = (
            f"SELECT id FROM (SELECT CAST(value AS TEXT) AS id FROM json_each(?)) "
            f"WHERE id NOT IN (SELECT {key} FROM {table})"
        )
        if kind == "content":
            sql += " AND id NOT IN (SELECT repost_id FROM reposts)"
        return {r[0] for r in self._con().execute(sql, (_json_ids(ids),))}

    def create_placeholders(self, kind: str, ids: Iterable[str]) -> int:
        missing = sorted(self.missing_ids(kind, ids))
        if not missing:
            return 0
        table, key = PLACEHOLDER_TABLE[kind]
        with self._write_lock:
            con = self._con()
            with con:
                con.executemany(
                    f"INSERT OR IGNORE INTO {table} ({key}, {PLACEHOLDER}) VALUES (?, 1)",
                    [(i,) for i in missing],
                )
        return len(missing)

    def set_memberships(self, memberships: pd.DataFrame) -> None:
        rows = list(
            memberships[["content_id", "event_id", "via"]].itertuples(index=False, name=None)
        )
        with self._write_lock:
            con = self._con()
            with con:
                con.execute("DELETE FROM memberships")
                _insert_rows(con, "INSERT OR IGNORE INTO memberships", "", 3, rows)

    # ------------------------------------------------------------------- reads
    def _select(self, table: str, prefix: str = "") -> list[str]:
        """The stored columns of ``table`` for a SELECT (times never NULL: see ``frame``)."""
        # a missing time reads as a sentinel, so the column stays int64 (never float64,
        # which would round nanoseconds: 08:15:30.123 would come back as ...123000064)
        return [
            f"COALESCE({prefix}{c}, {_NO_TIME}) AS {c}"
            if _kind(table, c) == ColType.TIME
            else f"{prefix}{c}"
            for c in stored_columns(table)
        ]

    def frame(
        self, table: str, *, ids: Iterable[str] | None = None, column: str | None = None
    ) -> pd.DataFrame:
        """See :meth:`pileon.graph.store.Store.frame`.

        Notes
        -----
        One query: the wanted IDs travel as one JSON array parameter (``json_each``),
        or, when there are more of them than rows in the table and all they and the
        column are text, the whole table is read and its rows kept by a set of them (the
        same rows: text equals text).  Single-key tables come in key order; the rows become columns
        with vectorised conversions.  O(rows read x columns).
        """
        if table not in TABLES:
            raise KeyError(table)
        t = TABLES[table]
        cols = stored_columns(table)
        sql = f"SELECT {', '.join(self._select(table))} FROM {table}"
        params: tuple[str, ...] = ()
        keep: tuple[int, list[str]] | None = None  # (column position, IDs) to keep rows by
        if ids is not None:
            column = column or t.key[0]
            if column not in cols:
                raise KeyError(column)
            ids = list(ids)
            held = self._rows(table) if _kind(table, column) in _TEXT_KINDS else len(ids)
            # the IDs' types looked at only when there are rows to match them with (an empty
            # table, such as a store's reports, keeps none either way)
            if len(ids) > held and (not held or {*map(type, ids)} == {str}):
                keep = (cols.index(column), ids)
            else:
                sql += f" WHERE {column} IN (SELECT CAST(value AS TEXT) FROM json_each(?))"
                params = (_json_ids(ids),)
        if len(t.key) == 1:  # in key order, so that coerce need not sort (same order: UTF-8
            sql += f" ORDER BY {t.key[0]}"  # bytes sort as code points, "" first as None)
        rows = self._con().execute(sql, params).fetchall()
        if keep is not None and rows:
            # the table's values that are among the IDs (no set of every ID is built)
            j, wanted = keep[0], {r[keep[0]] for r in rows}.intersection(keep[1])
            rows = [r for r in rows if r[j] in wanted]
        return coerce(table, _columns_of_rows(table, cols, rows))

    def repost_codes(self, event_id: str | None = None) -> RepostCodes:
        """The reposts (of one event, or all) as integer codes, for ``pileon coactivity``
        (:func:`pileon.graph.codes.read_repost_codes`: the whole table's are kept)."""
        with self._write_lock:
            return read_repost_codes(self._con(), event_id)

    def keep_repost_codes(self, reposts: pd.DataFrame) -> bool:
        """Keep the integer codes of the whole ``reposts`` table from its rows as a load
        has just stored them into the empty table (``account_id, source_id, reposted_at``
        of every row, in the order stored), instead of reading the table back.

        The same codes as :meth:`repost_codes` builds from the table: accounts numbered
        in string order (pandas sorts the distinct IDs as Python does, by code points, as
        SQLite orders UTF-8 text), sources in first-seen order, the times as stored (the
        nanoseconds of :func:`pileon.graph.frames.time_to_ns`).  Returns False, keeping
        nothing, when a cell is missing or the table holds another count of rows; the first
        read then builds them.  O(n) plus the sort of the distinct accounts.
        """
        account, source, at = (reposts[c] for c in ("account_id", "source_id", "reposted_at"))
        if account.isna().any() or source.isna().any() or at.isna().any():
            return False
        account_code, names = pd.factorize(account.to_numpy(dtype=object), sort=True)
        source_code, _ = pd.factorize(source.to_numpy(dtype=object), sort=False)
        times = (at if _utc_ns(at) else pd.to_datetime(at, utc=True)).astype("int64").to_numpy()
        codes = repost_codes_of(account_code, source_code, times, list(names))
        with self._write_lock:
            return keep_repost_codes(self._con(), codes)

    def _rows(self, table: str) -> int:
        """About how many rows ``table`` has (its largest rowid: one index step)."""
        return int(
            self._con().execute(f"SELECT COALESCE(MAX(rowid), 0) FROM {table}").fetchone()[0]
        )

    def venue_contents(
        self,
        event_id: str,
        venue_ids: Sequence[str],
        start: pd.Timestamp | None,
        end: pd.Timestamp | None,
        own: pd.Series,
    ) -> pd.DataFrame:
        """See :meth:`pileon.graph.store.Store.venue_contents` (``own`` is not read: the
        event's memberships are left out here).

        Notes
        -----
        One query: the venue's contents by the ``venue_id`` index, the time span, the
        placeholders and the event's own (its memberships' key) left out in SQLite, so
        only the rows kept become Python values.  O(contents of the venues).
        """
        cols = stored_columns("contents")
        sql = (
            f"SELECT {', '.join(self._select('contents', 'c.'))} FROM contents c "
            "WHERE c.venue_id IN (SELECT CAST(value AS TEXT) FROM json_each(?)) "
            "AND c.placeholder = 0 AND NOT EXISTS (SELECT 1 FROM memberships m "
            "WHERE m.event_id = ? AND m.content_id = c.content_id)"
        )
        params: list[Any] = [_json_ids(venue_ids), event_id]
        # a missing time (NULL) is never inside the span, as NaT compares false
        if start is not None:
            sql += " AND c.posted_at >= ?"
            params.append(int(pd.Timestamp(start).value))
        if end is not None:
            sql += " AND c.posted_at <= ?"
            params.append(int(pd.Timestamp(end).value))
        rows = self._con().execute(sql + " ORDER BY c.content_id", params).fetchall()
        return coerce("contents", _columns_of_rows("contents", cols, rows))

    def event_items(self, event_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """See :meth:`pileon.graph.store.Store.event_items`.

        Notes
        -----
        Each table joined with the event's memberships (walked in its key order), so
        no ID list travels; O(items of the event).
        """
        con = self._con()
        own = not con.in_transaction
        if own:  # one snapshot for the chunks, their re-reads and the kept codes
            con.execute("BEGIN")
        try:
            out = []
            for table in ("contents", "reposts"):
                reader = _EventReader(con, table, event_id)
                cells = reader.read()
                out.append(coerce(table, cells, keep=["via"], clean=reader.clean))
        finally:
            if own:
                con.execute("COMMIT")
        return out[0], out[1]

    def older_contents(
        self, event_id: str, before: pd.Timestamp, terms: Sequence[str]
    ) -> pd.DataFrame:
        """See :meth:`pileon.graph.store.Store.older_contents`.

        Notes
        -----
        One pass over the contents table in SQLite (the terms matched by a Python function
        of the connection, the other events by the memberships' content index), then the
        events of the rows kept; O(contents) without reading them into Python.
        """
        from pileon.graph.textsim import terms_pattern

        pat = terms_pattern(terms)
        ns = int(pd.Timestamp(before).value)
        other = (
            "SELECT 1 FROM memberships m WHERE m.content_id = c.content_id "
            "AND m.event_id <> ? AND m.via <> 'source'"
        )
        sql = (
            f"SELECT {', '.join(self._select('contents', 'c.'))} FROM contents c "
            f"WHERE c.placeholder = 0 AND c.posted_at < ? "
            f"AND ((? IS NOT NULL AND pileon_named(c.text, ?)) OR EXISTS ({other})) "
            f"ORDER BY c.content_id"
        )
        pattern = pat.pattern if pat is not None else None
        con = self._con()
        rows = con.execute(sql, (ns, pattern, pattern, event_id)).fetchall()
        cols = stored_columns("contents")
        c = coerce("contents", _columns_of_rows("contents", cols, rows))
        events: dict[str, list[str]] = {}
        for cid, e in con.execute(
            "SELECT m.content_id, m.event_id FROM memberships m JOIN contents c "
            "ON c.content_id = m.content_id WHERE c.placeholder = 0 AND c.posted_at < ? "
            "AND m.event_id <> ? AND m.via <> 'source'",
            (ns, event_id),
        ):
            events.setdefault(cid, []).append(e)
        return older_rows(c, events, terms)

    def memberships(self, event_id: str | None = None) -> pd.DataFrame:
        if event_id is None:
            rows = (
                self._con()
                .execute(
                    "SELECT content_id, event_id, via FROM memberships "
                    "ORDER BY event_id, content_id"
                )
                .fetchall()
            )
            cells = np.array(rows, dtype=object) if rows else np.empty((0, 3), dtype=object)
        else:  # one event: its column is that ID
            rows = (
                self._con()
                .execute(
                    "SELECT content_id, via FROM memberships WHERE event_id = ? "
                    "ORDER BY content_id",
                    (event_id,),
                )
                .fetchall()
            )
            cells = np.array(rows, dtype=object) if rows else np.empty((0, 2), dtype=object)
            cells = np.column_stack(
                [cells[:, 0], np.full(len(rows), event_id, dtype=object), cells[:, 1]]
            )
        return pd.DataFrame(
            {c: cells[:, j].copy() for j, c in enumerate(MEMBERSHIP_COLUMNS)},
            columns=MEMBERSHIP_COLUMNS,
        )

    def records(
        self, table: str, *, ids: Iterable[str] | None = None, column: str | None = None
    ) -> list[dict[str, Any]]:
        """See :meth:`pileon.graph.store.Store.records`: the rows of the same query as
        :meth:`frame`, converted one by one (no frame)."""
        if table not in TABLES:
            raise KeyError(table)
        cols = stored_columns(table)
        column = column or TABLES[table].key[0]
        if column not in cols:
            raise KeyError(column)
        sql = f"SELECT {', '.join(self._select(table))} FROM {table}"
        if ids is None:
            return _records_of_rows(table, cols, self._con().execute(sql).fetchall())
        sql += f" WHERE {column} IN (SELECT CAST(value AS TEXT) FROM json_each(?))"
        rows = self._con().execute(sql, (_json_ids(list(ids)),)).fetchall()
        return _records_of_rows(table, cols, rows)

    def linked(
        self,
        table: str,
        column: str,
        ids: Iterable[str],
        *,
        per_id: int,
        columns: Sequence[str] | None = None,
    ) -> tuple[list[dict[str, Any]], set[str]]:
        """See :meth:`pileon.graph.store.Store.linked`.

        Notes
        -----
        One query per ID, ``LIMIT per_id + 1`` in key order: on the indexes
        ``(column, key)`` an index walk that stops there.  O(len(ids) x per_id).
        """
        if table not in TABLES:
            raise KeyError(table)
        if per_id < 0:
            raise ValueError("per_id must be >= 0")
        stored = stored_columns(table)
        if column not in stored or any(c not in stored for c in columns or ()):
            raise KeyError(column)
        cols = list(columns) if columns else stored
        select = [s for c, s in zip(stored, self._select(table)) if c in cols]
        cols = [c for c in stored if c in cols]
        order = [k for k in TABLES[table].key if k != column] or [column]
        sql = (
            f"SELECT {', '.join(select)} FROM {table} WHERE {column} = ? "
            f"ORDER BY {', '.join(order)} LIMIT ?"
        )
        con = self._con()
        rows: list[tuple[Any, ...]] = []
        more: set[str] = set()
        for i in dict.fromkeys(str(i) for i in ids):
            got = con.execute(sql, (i, per_id + 1)).fetchall()
            if len(got) > per_id:
                more.add(i)
                got = got[:per_id]
            rows += got
        return _records_of_rows(table, cols, rows), more

    def memberships_of(self, content_ids: Iterable[str]) -> list[tuple[str, str, str]]:
        """See :meth:`pileon.graph.store.Store.memberships_of` (the index on content_id)."""
        rows = self._con().execute(
            "SELECT content_id, event_id, via FROM memberships WHERE content_id IN "
            "(SELECT CAST(value AS TEXT) FROM json_each(?)) ORDER BY content_id, event_id",
            (_json_ids(list(dict.fromkeys(content_ids))),),
        )
        return [tuple(r) for r in rows.fetchall()]

    def event_members(self, event_id: str, *, limit: int) -> tuple[list[tuple[str, str]], bool]:
        """See :meth:`pileon.graph.store.Store.event_members` (the primary key's order)."""
        rows = self._con().execute(
            "SELECT content_id, via FROM memberships WHERE event_id = ? "
            "ORDER BY content_id LIMIT ?",
            (event_id, limit + 1),
        )
        got = [tuple(r) for r in rows.fetchall()]
        return got[:limit], len(got) > limit

    def count(self, table: str) -> int:
        if table not in TABLES:
            raise KeyError(table)
        return int(self._con().execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    # ---------------------------------------------------------------- findings
    def save_report(self, report: dict[str, Any]) -> str:
        run_id = uuid.uuid4().hex
        event_id = report["event_id"]
        encode = _report_encoder()
        roles_json: dict[tuple[str, ...], str] = {}
        ranked = RANKED_LISTS
        # run_id, kind, rank, item ID, tier, roles JSON, item JSON
        rows: dict[str, list[tuple[str, str, int, str, int | None, str, str]]] = {
            kind: [] for kind in ranked
        }
        # the report's JSON without its ranked lists, whose items are the ranked table's
        # rows (each item's JSON once, not twice: half the bytes written on ira-dev); the
        # first key names the lists kept there (:meth:`report` puts them back)
        in_table = sorted(k for k in report if k in ranked)
        rest = {k: v for k, v in report.items() if k not in ranked}
        whole = encode({_RANKED_IN_TABLE: in_table, **rest})
        del rest
        for k in in_table:
            key = ranked[k]
            for pos, item in enumerate(report[k], start=1):
                text = encode(item)
                roles = tuple(item.get("roles", []))
                if roles not in roles_json:
                    roles_json[roles] = json.dumps(list(roles))
                rows[k].append(
                    (
                        run_id,
                        k,
                        int(item.get("rank", pos)),
                        item[key],
                        item.get("tier"),
                        roles_json[roles],
                        text,
                    )
                )
        with self._write_lock:
            con = self._con()
            with con:
                seq = con.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM runs").fetchone()[0]
                con.execute(
                    "INSERT INTO runs VALUES (?, ?, ?, ?, ?)",
                    (run_id, event_id, report.get("generated_at", ""), seq, whole),
                )
                del whole
                for kind in ranked:
                    con.executemany("INSERT INTO ranked VALUES (?, ?, ?, ?, ?, ?, ?)", rows[kind])
        return run_id

    def latest_run(self, event_id: str) -> str | None:
        row = (
            self._con()
            .execute(
                "SELECT run_id FROM runs WHERE event_id = ? ORDER BY seq DESC LIMIT 1", (event_id,)
            )
            .fetchone()
        )
        return row[0] if row else None

    def report(self, run_id: str) -> dict[str, Any]:
        row = self._con().execute("SELECT report FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise NotFound(f"no analysis run {run_id}")
        report: dict[str, Any] = json.loads(row[0])
        in_table = report.pop(_RANKED_IN_TABLE, None)
        if in_table is None:  # saved whole (before the ranked lists were kept once)
            return report
        lists: dict[str, list[Any]] = {k: [] for k in in_table}
        sql = "SELECT kind, item FROM ranked WHERE run_id = ? ORDER BY rowid"
        for kind, item in self._con().execute(sql, (run_id,)):
            lists[kind].append(json.loads(item))
        report.update(lists)
        return {k: report[k] for k in sorted(report)}  # the key order of the saved JSON

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
        sql = "SELECT item, roles FROM ranked WHERE run_id = ? AND kind = ? AND rank > ?"
        params: list[Any] = [run_id, kind, after]
        if min_tier is not None:
            sql += " AND tier >= ?"
            params.append(min_tier)
        sql += " ORDER BY rank"
        out = []
        for item, roles in self._con().execute(sql, params):
            if role is not None and role not in json.loads(roles):
                continue
            out.append(json.loads(item))
            if len(out) >= limit:
                break
        return out

    def account_findings(self, account_id: str) -> list[dict[str, Any]]:
        sql = (
            "SELECT r.event_id, r.run_id, k.item FROM ranked k JOIN runs r ON r.run_id = k.run_id "
            "WHERE k.kind = 'accounts' AND k.item_id = ? AND r.seq = "
            "(SELECT MAX(seq) FROM runs r2 WHERE r2.event_id = r.event_id) ORDER BY r.event_id"
        )
        return [
            {"event_id": e, "run_id": run, **json.loads(item)}
            for e, run, item in self._con().execute(sql, (account_id,))
        ]

    def accounts_findings(self, account_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """See :meth:`pileon.graph.store.Store.accounts_findings`: one query."""
        wanted = list(dict.fromkeys(str(a) for a in account_ids))
        out: dict[str, list[dict[str, Any]]] = {a: [] for a in wanted}
        sql = (
            "SELECT k.item_id, r.event_id, r.run_id, k.item FROM ranked k "
            "JOIN runs r ON r.run_id = k.run_id "
            "WHERE k.kind = 'accounts' AND k.item_id IN "
            "(SELECT CAST(value AS TEXT) FROM json_each(?)) AND r.seq = "
            "(SELECT MAX(seq) FROM runs r2 WHERE r2.event_id = r.event_id) "
            "ORDER BY k.item_id, r.event_id"
        )
        for a, e, run, item in self._con().execute(sql, (_json_ids(wanted),)):
            out[a].append({"event_id": e, "run_id": run, **json.loads(item)})
        return out

    # ------------------------------------------------------------------ alerts
    def alert_digests(self, scope: str) -> dict[str, str]:
        rows = self._con().execute(
            "SELECT key, digest FROM alert_digests WHERE scope = ?", (scope,)
        )
        return dict(rows.fetchall())

    def write_alerts(
        self,
        scope: str,
        *,
        remove: Iterable[str] | None,
        rows: list[dict[str, Any]],
        digests: Mapping[str, str],
    ) -> None:
        values = [
            (scope, *(r[c] for c in ALERT_COLUMNS[1:-1]), json.dumps(r["body"], ensure_ascii=False))
            for r in rows
        ]
        with self._write_lock:
            con = self._con()
            with con:
                if remove is None:
                    con.execute("DELETE FROM alerts WHERE scope = ?", (scope,))
                    con.execute("DELETE FROM alert_digests WHERE scope = ?", (scope,))
                else:
                    keys = chain(remove, digests, (r["key"] for r in rows))
                    gone = [(scope, k) for k in dict.fromkeys(keys)]
                    con.executemany("DELETE FROM alerts WHERE scope = ? AND key = ?", gone)
                    con.executemany("DELETE FROM alert_digests WHERE scope = ? AND key = ?", gone)
                con.executemany(
                    f"INSERT INTO alerts ({', '.join(ALERT_COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(ALERT_COLUMNS))})",
                    values,
                )
                con.executemany(
                    "INSERT INTO alert_digests (scope, key, digest) VALUES (?, ?, ?)",
                    [(scope, k, d) for k, d in digests.items()],
                )

    def stored_alerts(
        self,
        scope: str,
        *,
        target_id: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[dict[str, Any]] | None:
        con = self._con()
        marker = con.execute(
            "SELECT 1 FROM alert_digests WHERE scope = ? AND key = ''", (scope,)
        ).fetchone()
        if marker is None:
            return None
        sql = "SELECT body FROM alerts WHERE scope = ?"
        params: list[str | int] = [scope]
        if target_id is not None:
            sql += " AND target_id = ?"
            params.append(target_id)
        sql += f" {_ALERT_ORDER} LIMIT ? OFFSET ?"
        params += [-1 if limit is None else int(limit), int(offset)]
        return [json.loads(body) for (body,) in con.execute(sql, params)]

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
        decision_id = str(decision.get("decision_id") or uuid.uuid4().hex)
        by = values["decided_by"]
        with self._write_lock:
            con = self._con()
            with con:  # one transaction: the decision (or none) and its audit entry
                action = "recorded"
                if idempotency_key is not None:
                    found = con.execute(
                        "SELECT decision_id, request_sha256 FROM decisions "
                        "WHERE decided_by IS ? AND idempotency_key = ?",
                        (by, idempotency_key),
                    ).fetchone()
                    if found is not None:
                        decision_id = found[0]
                        action = "replayed" if found[1] == request_sha256 else "refused"
                if action == "recorded":
                    if con.execute(
                        "SELECT 1 FROM decisions WHERE decision_id = ?", (decision_id,)
                    ).fetchone():
                        action = "replaced"
                    seq = con.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM decisions").fetchone()
                    cols = ["decision_id", "seq", *values, "idempotency_key", "request_sha256"]
                    con.execute(
                        f"INSERT OR REPLACE INTO decisions ({', '.join(cols)}) "
                        f"VALUES ({', '.join('?' * len(cols))})",
                        (decision_id, seq[0], *values.values(), idempotency_key, request_sha256),
                    )
                con.execute(
                    "INSERT INTO decision_audit (at, action, decision_id, decided_by, "
                    "idempotency_key, request_sha256, decision) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        datetime.now(UTC).isoformat(),
                        action,
                        decision_id,
                        by,
                        idempotency_key,
                        request_sha256,
                        decision_json(decision),
                    ),
                )
        if action == "refused":
            raise IdempotencyConflict(
                f"Idempotency-Key {idempotency_key!r} was used for another request "
                f"(decision {decision_id}) with a different body: use a new key"
            )
        return decision_id

    def decisions(self) -> pd.DataFrame:
        df = pd.read_sql_query(
            f"SELECT {', '.join(DECISION_COLUMNS)} FROM decisions ORDER BY seq", self._con()
        )
        df["tier"] = df["tier"].astype("Int64")
        return df.astype({c: object for c in DECISION_COLUMNS if c != "tier"})

    def account_decisions(self, account_id: str) -> list[dict[str, Any]]:
        """See :meth:`pileon.graph.store.Store.account_decisions`: one query, no frame."""
        rows = self._con().execute(
            f"SELECT {', '.join(DECISION_COLUMNS)} FROM decisions WHERE account_id = ? "
            "ORDER BY seq",
            (account_id,),
        )
        return [_decision_record(r) for r in rows.fetchall()]

    # --------------------------------------------------------------- ingest mark
    def set_ingest_mark(self, mark: dict[str, Any] | None) -> None:
        with self._write_lock:
            con = self._con()
            with con:
                if mark is None:
                    con.execute("DELETE FROM pileon_state WHERE name = 'ingest'")
                else:
                    con.execute(
                        "INSERT OR REPLACE INTO pileon_state VALUES ('ingest', ?)",
                        (json.dumps(mark, sort_keys=True, ensure_ascii=False),),
                    )

    def ingest_mark(self) -> dict[str, Any] | None:
        row = self._con().execute("SELECT value FROM pileon_state WHERE name = 'ingest'").fetchone()
        return json.loads(row[0]) if row else None

    # ---------------------------------------------------------- evidence packs
    def add_evidence_issue(self, issue: dict[str, Any]) -> None:
        cols = EVIDENCE_ISSUE_COLUMNS[1:]
        with self._write_lock:
            con = self._con()
            with con:
                con.execute(
                    f"INSERT INTO evidence_issued ({', '.join(cols)}) "
                    f"VALUES ({', '.join('?' * len(cols))})",
                    [issue.get(c) for c in cols],
                )

    def evidence_issues(self, seal: str | None = None) -> pd.DataFrame:
        sql = f"SELECT {', '.join(EVIDENCE_ISSUE_COLUMNS)} FROM evidence_issued"
        params: tuple[Any, ...] = ()
        if seal is not None:
            sql, params = sql + " WHERE seal = ?", (seal,)
        df = pd.read_sql_query(sql + " ORDER BY seq", self._con(), params=params)
        df = df.astype({c: object for c in EVIDENCE_ISSUE_COLUMNS if c not in ("seq", "items")})
        return df.astype({"seq": "int64", "items": "int64"})

    def decision_audit(self) -> pd.DataFrame:
        df = pd.read_sql_query(
            f"SELECT {', '.join(AUDIT_COLUMNS)} FROM decision_audit ORDER BY seq", self._con()
        )
        df["seq"] = df["seq"].astype("int64")
        return df.astype({c: object for c in AUDIT_COLUMNS if c != "seq"})
