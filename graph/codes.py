"""The reposts of the embedded store as integer codes: account, source, time.

``pileon coactivity`` needs three columns of every repost.  Read as text they cost
a Python string per cell and a sort of strings per run; read here they are three
int64 arrays and the account names, for :func:`pileon.detectors.coactivity_codes.
coactivity_codes`.  This module needs only sqlite3 and numpy (no pandas), so the
command starts fast.

The whole table's codes are kept in the store itself, in ``repost_codes`` (one BLOB
per array), built by the first read after the reposts changed.  Triggers on
``reposts`` empty ``repost_codes`` in the same transaction as any insert, update (of
the three columns) or delete, whoever writes, so a read never sees codes older than
the rows.  Building takes a write transaction (``BEGIN IMMEDIATE``): two builders
wait for each other and the second finds the codes built.  When the file cannot be
written (read-only), the codes are computed and not kept.

Codes, one entry per repost in the table's rowid order: ``account`` is each repost's
account's position among the distinct account IDs of the reposts read, in string order
(SQLite orders text by its UTF-8 bytes, i.e. by code points, as Python does); ``source``
numbers the distinct source IDs (any order); ``time`` is the stored nanoseconds (UTC).
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass

import numpy as np

from pileon.graph.errors import InputError, NotFound

__all__ = [
    "CODES_DDL",
    "RepostCodes",
    "keep_repost_codes",
    "kept_repost_codes",
    "read_repost_codes",
    "repost_codes_of",
]

#: the table of kept codes and the triggers that empty it when the reposts change
CODES_DDL = """
CREATE TABLE IF NOT EXISTS repost_codes (part TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TRIGGER IF NOT EXISTS repost_codes_insert AFTER INSERT ON reposts
    BEGIN DELETE FROM repost_codes; END;
CREATE TRIGGER IF NOT EXISTS repost_codes_update
    AFTER UPDATE OF account_id, source_id, reposted_at ON reposts
    BEGIN DELETE FROM repost_codes; END;
CREATE TRIGGER IF NOT EXISTS repost_codes_delete AFTER DELETE ON reposts
    BEGIN DELETE FROM repost_codes; END;
"""

#: the parts kept in ``repost_codes`` (``version`` names this layout)
_PARTS = ("version", "account", "source", "time", "names", "name_ends")
_VERSION = b"1"


@dataclass(frozen=True)
class RepostCodes:
    """Reposts as integer codes (see the module docstring).

    Attributes
    ----------
    account, source, time : numpy.ndarray
        int64, one entry per repost.
    names_utf8 : bytes
        The distinct account IDs in string order, UTF-8, concatenated.
    name_ends : numpy.ndarray
        int64 end offset of each name in ``names_utf8``.
    """

    account: np.ndarray
    source: np.ndarray
    time: np.ndarray
    names_utf8: bytes
    name_ends: np.ndarray

    def __len__(self) -> int:
        return len(self.time)

    def names(self, codes: np.ndarray) -> np.ndarray:
        """The account IDs of ``codes`` (object array of str).  O(len(codes))."""
        ends = self.name_ends
        blob = self.names_utf8
        out = np.empty(len(codes), dtype=object)
        for i, c in enumerate(np.asarray(codes, dtype=np.int64).tolist()):
            out[i] = blob[(ends[c - 1] if c else 0) : ends[c]].decode("utf-8")
        return out


def read_repost_codes(con: sqlite3.Connection, event_id: str | None = None) -> RepostCodes:
    """The reposts of the store behind ``con`` (or of one event) as integer codes.

    Parameters
    ----------
    con : sqlite3.Connection
        A connection to an embedded store's file, not inside a transaction.
    event_id : str, optional
        Only the reposts that belong to this event (its memberships, as
        :meth:`pileon.graph.store.Store.event_items` reads them); never kept.

    Returns
    -------
    RepostCodes

    Raises
    ------
    pileon.graph.errors.NotFound
        For an unknown ``event_id``.
    pileon.graph.errors.InputError
        When a repost lacks its account, source or time (as
        :func:`pileon.detectors.coactivity.coactivity` says it).

    Notes
    -----
    Kept codes: one read of five BLOBs, O(n) bytes.  Otherwise one pass over the rows
    (the account IDs in order from the account index) and, for the whole table, one
    write of the codes.  O(n) rows plus the distinct accounts' sort in SQLite.
    """
    if con.in_transaction:
        raise RuntimeError("read_repost_codes needs a connection outside a transaction")
    if event_id is not None:
        if con.execute("SELECT 1 FROM events WHERE event_id = ?", (event_id,)).fetchone() is None:
            raise NotFound(f"unknown event {event_id!r}")
        rows = con.execute(
            "SELECT r.account_id, r.source_id, r.reposted_at FROM memberships m "
            "JOIN reposts r ON r.repost_id = m.content_id WHERE m.event_id = ?",
            (event_id,),
        ).fetchall()
        return _encode(rows, sorted({r[0] for r in rows if r[0] is not None}))
    con.execute("BEGIN")
    try:
        kept = _kept(con)
    finally:
        con.execute("COMMIT")
    if kept is not None:
        return kept
    try:
        con.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:  # read-only file (or locked for a minute): do not keep
        return _build(con)
    try:
        kept = _kept(con)  # another process may have built them meanwhile
        if kept is None:
            kept = _build(con)
            try:
                _keep(con, kept)
            except sqlite3.OperationalError:  # a read-only file: not kept
                con.execute("ROLLBACK")
                return kept
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):  # none may be open any more
            con.execute("ROLLBACK")
        raise
    return kept


def keep_repost_codes(con: sqlite3.Connection, codes: RepostCodes) -> bool:
    """Keep ``codes`` as the whole ``reposts`` table's, in one write transaction, when the
    table holds as many rows (the caller vouches that they are its rows' codes, in its
    order: a load that has just stored them into the empty table).  Returns whether they
    were kept (not with another count of rows, nor in a read-only file: the first
    :func:`read_repost_codes` then builds them).  O(n) bytes written."""
    if con.in_transaction:
        raise RuntimeError("keep_repost_codes needs a connection outside a transaction")
    try:
        con.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:  # read-only file (or locked for a minute)
        return False
    try:
        if con.execute("SELECT COUNT(*) FROM reposts").fetchone()[0] != len(codes):
            con.execute("ROLLBACK")
            return False
        try:
            _keep(con, codes)
        except sqlite3.OperationalError:  # a read-only file: not kept
            con.execute("ROLLBACK")
            return False
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):  # none may be open any more
            con.execute("ROLLBACK")
        raise
    return True


def _keep(con: sqlite3.Connection, codes: RepostCodes) -> None:
    con.executemany(
        "INSERT OR REPLACE INTO repost_codes (part, data) VALUES (?, ?)",
        [
            ("version", _VERSION),
            ("account", codes.account.tobytes()),
            ("source", codes.source.tobytes()),
            ("time", codes.time.tobytes()),
            ("names", codes.names_utf8),
            ("name_ends", codes.name_ends.tobytes()),
        ],
    )


def kept_repost_codes(con: sqlite3.Connection) -> RepostCodes | None:
    """The kept codes of the whole ``reposts`` table, or None when there are none (or not
    all of them); nothing built, nothing written.  Their entry ``i`` is the row of the
    ``i``-th smallest rowid (:func:`read_repost_codes` reads the table in rowid order, a
    load keeps them for the rows it has just inserted into the empty table).  Inside a
    transaction of the caller's, they are the rows' that it sees (the triggers empty them
    in the same transaction as any change).  O(n) bytes read."""
    return _kept(con)


def _kept(con: sqlite3.Connection) -> RepostCodes | None:
    """The kept codes, or None when there are none (or not all of them)."""
    parts = dict(con.execute("SELECT part, data FROM repost_codes").fetchall())
    if any(p not in parts for p in _PARTS) or bytes(parts["version"]) != _VERSION:
        return None

    def ints(p: str) -> np.ndarray:
        return np.frombuffer(parts[p], dtype=np.int64)

    return RepostCodes(
        account=ints("account"),
        source=ints("source"),
        time=ints("time"),
        names_utf8=bytes(parts["names"]),
        name_ends=ints("name_ends"),
    )


def _build(con: sqlite3.Connection) -> RepostCodes:
    """The whole table's codes from its rows."""
    names = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT account_id FROM reposts WHERE account_id IS NOT NULL "
            "ORDER BY account_id"
        )
    ]
    rows = con.execute(
        "SELECT account_id, source_id, reposted_at FROM reposts ORDER BY rowid"
    ).fetchall()
    return _encode(rows, names)


def _encode(rows: list[tuple[str | None, str | None, int | None]], names: list[str]) -> RepostCodes:
    """Codes of ``(account_id, source_id, reposted_at)`` rows; ``names`` the sorted
    distinct account IDs among them.  The per-row steps run in C (``map``, ``dict``)."""
    n = len(rows)
    accounts, sources, times = zip(*rows) if n else ((), (), ())
    if None in accounts:
        raise InputError("reposts.account_id has missing values")
    if None in sources:
        raise InputError("reposts.source_id has missing values")
    if None in times:
        raise InputError("reposts.reposted_at has missing values")
    code_of = dict(zip(names, range(len(names))))
    account = np.array(list(map(code_of.__getitem__, accounts)), dtype=np.int64)
    distinct_sources = dict.fromkeys(sources)  # first-seen order
    source_of = dict(zip(distinct_sources, range(len(distinct_sources))))
    source = np.array(list(map(source_of.__getitem__, sources)), dtype=np.int64)
    time = np.array(times, dtype=np.int64)
    return repost_codes_of(account, source, time, names)


def repost_codes_of(
    account: np.ndarray, source: np.ndarray, time: np.ndarray, names: list[str]
) -> RepostCodes:
    """:class:`RepostCodes` of codes made elsewhere: ``account`` the positions in ``names``
    (the sorted distinct account IDs), ``source`` the sources numbered in first-seen order,
    ``time`` the stored nanoseconds, one entry per repost in the table's order (as the
    module docstring says and :func:`read_repost_codes` makes them).  O(n + names)."""
    text = "".join(names)
    blob = text.encode("utf-8")
    if len(blob) == len(text):  # ASCII: a name's bytes are its characters
        lengths = np.fromiter(map(len, names), dtype=np.int64, count=len(names))
    else:
        lengths = np.fromiter(
            (len(a.encode("utf-8")) for a in names), dtype=np.int64, count=len(names)
        )
    return RepostCodes(
        np.asarray(account, dtype=np.int64),
        np.asarray(source, dtype=np.int64),
        np.asarray(time, dtype=np.int64),
        blob,
        np.cumsum(lengths).astype(np.int64),
    )
