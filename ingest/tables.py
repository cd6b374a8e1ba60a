"""The rules a row of each input table must keep, and its normalisation.

:func:`validate` takes one chunk of raw rows (strings, or lists for list
columns, as :mod:`pileon.ingest.readers` yields them) and splits it into normalised
rows ready for :meth:`pileon.graph.store.Store.upsert` and rejected rows, each with
its line number and the reason.  Rules (SPEC §2): required fields present;
timestamps ISO-8601 (an offset or ``Z``; none means UTC); numbers numeric, finite
and within bounds (``harm`` in 0..1, counts not negative, ``tier`` 0..4), whole
numbers within 64 bits (what the stores keep) and read exactly; booleans
``true/false/1/0/yes/no``; ``kind`` one of the known kinds; a key seen twice in
one file is rejected the second time; a repost cannot repost itself; an event cannot
end before it starts, nor a venue close before it was created; a moderation row acts on
something (a content, an account, a venue or a report).  Columns
beyond the model are kept as ``extra``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from pileon.graph.model import TABLES, TZ_SOURCE, ColType, Column, Table

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}
_OFFSET = re.compile(r"(?:([+-])(\d{2}):?(\d{2})|[zZ])$")
_HAS_OFFSET = re.compile(r"(?:[+-]\d{2}:?\d{2}|[zZ])$")


#: the columns of a moderation row that say what it acts on (one at least)
_ACTS_ON = ("content_id", "account_id", "venue_id", "report_id")


@dataclass
class Rejected:
    """Rows of a chunk that broke a rule."""

    lines: list[int] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    raws: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.lines)


def _objects(values: list) -> np.ndarray:
    """A list as a 1-d object array, lists and tuples kept as cells (many times faster
    than building a Series from the list)."""
    return np.fromiter(values, dtype=object, count=len(values))


def _all_str(s: pd.Series) -> bool:
    """True when every cell is a ``str`` (CSV chunks always; JSONL and Parquet mostly)."""
    return (
        s.dtype == object and len(s) > 0 and pd.api.types.infer_dtype(s, skipna=False) == "string"
    )


def _missing(s: pd.Series) -> pd.Series:
    """Empty cells of a column that is not all text (None, NaN, blank text, an empty list);
    an all-text column's empty cells are ``_Chunk.blank``."""
    return s.map(
        lambda v: (
            v is None
            or (isinstance(v, float) and np.isnan(v))
            or (isinstance(v, str) and v.strip() == "")
            or (isinstance(v, (list, tuple)) and len(v) == 0)
        )
    ).astype(bool)


def _as_text(s: pd.Series) -> pd.Series:
    if _all_str(s):  # the common case, without the per-cell type tests
        return pd.Series(_objects([v.strip() for v in s.to_numpy()]), index=s.index)
    return s.map(
        lambda v: (
            v.strip()
            if isinstance(v, str)
            else (
                "" if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else str(v)
            )
        )
    )


#: a number written in decimal (ASCII); pandas leaves one too large for a float unread
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
#: the whole numbers the stores keep (SQLite's INTEGER, Neo4j's integers: 64 bits)
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1
#: from this size on a float does not hold every whole number: such cells are read exactly
_FLOAT_EXACT = 2.0**53


def _too_large(v: str) -> bool:
    """True when ``v`` is a decimal number beyond a float's range (``1e400``)."""
    return _DECIMAL.fullmatch(v) is not None and math.isinf(float(v))


def _decimal(v: str, read: float) -> Decimal:
    """The exact value of a number's text; ``read``, the float pandas read, when the text
    is no decimal number for :class:`~decimal.Decimal`."""
    try:
        return Decimal(v)
    except InvalidOperation:
        return Decimal(read)


#: a local time in plain ISO form (years 1900-2199: far from the nanosecond limits)
_LOCAL = re.compile(r"(?:19|20|21)\d{2}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?", re.ASCII)
_NAT = np.iinfo(np.int64).min


def _parse_time(
    s: pd.Series, text: pd.Series | None = None
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(UTC times, offset minutes, bad mask) of a text column; empty cells are not bad.

    ``text`` is ``_as_text(s)`` when already known.  The offset is read from the
    last six characters (the longest an offset can be), once per distinct tail.
    Values in the plain form ``YYYY-MM-DDTHH:MM:SS[.f][offset]`` (ASCII) are parsed
    as local times and shifted by their offset, which pandas does many times
    faster than parsing them with their offsets; the rest as before.
    """
    text = _as_text(s) if text is None else text
    arr = text.to_numpy()
    n = len(arr)
    empty = (text == "").to_numpy(dtype=bool)
    tail_code, tails = pd.factorize(_objects([v[-6:] for v in arr]))
    tails = pd.Series(tails, dtype=object)
    m = tails.str.extract(_OFFSET)
    has_t = tails.str.contains(_HAS_OFFSET).to_numpy(dtype=bool)
    sign = m[0].map({"+": 1, "-": -1})
    off_t = sign * (
        pd.to_numeric(m[1], errors="coerce") * 60 + pd.to_numeric(m[2], errors="coerce")
    )
    off_t = off_t.where(m[0].notna(), 0).to_numpy(dtype=float)
    # per tail: length of the offset text, and whether the fast path may take it
    cut_t = np.array(
        [len(mt.group(0)) if (mt := _OFFSET.search(tl)) else 0 for tl in tails], dtype=np.int64
    )
    # an offset goes the fast way only where pandas itself reads it as that many minutes
    probe = pd.to_datetime(
        pd.Series(
            [
                "2000-01-01T00:00:00" + (tl[len(tl) - c :] if c else "")
                for tl, c in zip(tails, cut_t)
            ],
            dtype=object,
        ),
        utc=True,
        format="ISO8601",
        errors="coerce",
    )
    expect = pd.Timestamp("2000-01-01", tz="UTC") - pd.to_timedelta(np.nan_to_num(off_t), unit="m")
    ascii_t = np.array([tl.isascii() for tl in tails], dtype=bool) & (
        probe.to_numpy() == expect.to_numpy()
    )
    has, off = has_t[tail_code], off_t[tail_code]
    offset = pd.Series(off, index=text.index).where(~empty, np.nan).astype("Int64")

    ns = np.full(n, _NAT, dtype=np.int64)
    cut = cut_t[tail_code]
    local = _objects([v[: len(v) - c] for v, c in zip(arr, cut.tolist())])
    fast = (
        ascii_t[tail_code]
        & ~empty
        & np.fromiter(map(bool, map(_LOCAL.fullmatch, local)), dtype=bool, count=n)
    )
    if fast.any():
        lt = pd.to_datetime(local[fast], format="ISO8601", errors="coerce")
        lt = lt.as_unit("ns").to_numpy().view(np.int64)
        ok = lt != _NAT
        ns[np.flatnonzero(fast)[ok]] = lt[ok] - (off[fast][ok] * 60e9).astype(np.int64)
    slow = ~fast & ~empty
    if slow.any():
        st = text[slow]
        # no offset means UTC: say so per value (pandas would borrow a neighbour's offset)
        naive = ~has[slow]
        if naive.any():
            st = st.copy()
            nt = st[naive]
            st[naive] = nt + np.where(nt.str.len() == 10, "T00:00:00", "") + "+00:00"
        tt = pd.to_datetime(st, utc=True, format="ISO8601", errors="coerce")
        ns[slow] = tt.dt.as_unit("ns").dt.tz_localize(None).to_numpy().view(np.int64)
    times = pd.Series(
        pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC"), index=text.index
    )
    bad = pd.Series((ns == _NAT) & ~empty, index=text.index)
    return times, offset, bad


def _parse_list(v) -> list[str]:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return []
    if isinstance(v, (list, tuple, np.ndarray)):
        return [str(x).strip() for x in v if x is not None and str(x).strip()]
    text = str(v).strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            return [str(x).strip() for x in json.loads(text) if str(x).strip()]
        except ValueError:
            pass
    return [p.strip() for p in text.split("|") if p.strip()]


def _raw_json(df: pd.DataFrame) -> list[str]:
    def conv(v):
        if isinstance(v, np.ndarray):
            return v.tolist()
        if isinstance(v, float) and np.isnan(v):
            return None
        return v

    return [
        json.dumps({k: conv(v) for k, v in row.items()}, ensure_ascii=False, default=str)
        for row in df.to_dict("records")
    ]


def _lists(s: pd.Series) -> pd.Series:
    """:func:`_parse_list` of every cell; a text column is parsed once per distinct text
    (each row still gets its own list)."""
    if not _all_str(s):
        return s.map(_parse_list)
    codes, uniq = pd.factorize(s.to_numpy())
    parsed = [_parse_list(u) for u in uniq]
    return pd.Series(_objects([list(parsed[c]) for c in codes.tolist()]), index=s.index)


def _by_distinct(text: pd.Series, f) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, values)``: ``f`` of each distinct cell of a text column, and which one
    each cell is (``values[codes]`` is ``f`` of every cell)."""
    codes, uniq = pd.factorize(text.to_numpy())
    return codes, _objects([f(u) for u in uniq])


def _extra_json(ex: pd.DataFrame, blank: list[np.ndarray]) -> list[str]:
    """The JSON object of each row's filled extra cells (keys sorted; every row has one).

    Cells that are all text are encoded once per distinct value and joined with numpy's
    elementwise string sums, giving exactly what ``json.dumps(..., sort_keys=True)`` of
    the row gives; any other cell (lists from JSONL or Parquet) goes through it row by row.
    """
    cols = list(ex.columns)
    filled = [~b for b in blank]
    texts = all(isinstance(c, str) for c in cols) and all(
        pd.api.types.infer_dtype(ex[c].to_numpy()[f], skipna=False) in ("string", "empty")
        for c, f in zip(cols, filled)
    )
    if not texts:
        return [
            json.dumps(
                {
                    k: v
                    for k, v in r.items()
                    if not (
                        v is None
                        or (isinstance(v, str) and v == "")
                        or (isinstance(v, float) and np.isnan(v))
                    )
                },
                sort_keys=True,
                ensure_ascii=False,
                default=str,
            )
            for r in ex.to_dict("records")
        ]
    body = np.full(len(ex), "", dtype=object)
    for c, f in sorted(zip(cols, filled), key=lambda cf: cf[0]):
        codes, uniq = pd.factorize(ex[c].to_numpy()[f])
        key = json.dumps(c, ensure_ascii=False) + ": "
        item = np.full(len(ex), "", dtype=object)
        item[f] = _objects([key + json.dumps(u, ensure_ascii=False) for u in uniq])[codes]
        body = np.where(f & (body != ""), body + ", ", body) + item
    return ("{" + body + "}").tolist()


def validate(
    table: str, raw: pd.DataFrame, lines: np.ndarray, seen: set | None = None
) -> tuple[pd.DataFrame, Rejected]:
    """Validate and normalise one chunk of ``table``.

    Parameters
    ----------
    table : str
        Name of an input table of :data:`pileon.graph.model.TABLES`.
    raw : DataFrame
        The chunk as read: text cells (``""`` or None when empty), or lists.
    lines : array of int
        The line number of each row in its file.
    seen : set, optional
        Keys already stored from earlier chunks of the same file (updated).

    Returns
    -------
    (DataFrame, Rejected)
        Normalised good rows (columns of the model that the file has, plus
        ``extra`` and ``tz``) and the rejected rows.

    Notes
    -----
    Vectorised over the chunk: O(rows x columns).  Each column's text and empty
    cells are computed once; booleans, kinds, lists and extra cells are parsed once
    per distinct value; keys are checked with set operations, row by row only in a
    chunk that repeats one.  Numbers are parsed by pandas; only the cells it cannot
    read are looked at again (is it a decimal too large for a float?), and only whole
    numbers past 2**53, where a float rounds, are read exactly (:class:`decimal.Decimal`)
    to be checked against the 64 bits the stores keep and stored as written.

    A row is rejected for the first rule it breaks, in this order: required fields,
    then each column of the model in its order (:func:`_time_column`,
    :func:`_number_column`, :func:`_bool_column`, :func:`_text_column`), a repost of
    itself, an event or venue that ends before it begins, a moderation row that acts on
    nothing, a key repeated in the file (:func:`_flag_repeated_keys`).
    """
    t: Table = TABLES[table]
    chunk = _Chunk(raw.reset_index(drop=True))
    raw = chunk.raw
    for col in t.required:
        if col not in raw.columns:
            chunk.flag(np.ones(chunk.n, dtype=bool), f"missing required field {col}")
        else:
            chunk.flag(
                chunk.blank(col) if _all_str(raw[col]) else _missing(raw[col]),
                f"missing required field {col}",
            )

    out = pd.DataFrame(index=raw.index)
    for c in t.columns:
        if c.name not in raw.columns:
            continue
        if c.type == ColType.TIME:
            out[c.name], offset = _time_column(chunk, c)
            if TZ_SOURCE.get(table) == c.name:
                out["tz"] = offset
        elif c.type in (ColType.FLOAT, ColType.INT):
            out[c.name] = _number_column(chunk, c)
        elif c.type == ColType.BOOL:
            out[c.name] = _bool_column(chunk, c)
        elif c.type == ColType.LIST:
            out[c.name] = _lists(raw[c.name])
        else:
            out[c.name] = _text_column(chunk, c)

    if table == "contents":
        out["kind"] = out["kind"].fillna("post") if "kind" in out else "post"
    if table == "reposts":
        chunk.flag(
            out["repost_id"].notna() & (out["repost_id"] == out["source_id"]), "repost of itself"
        )
    if table == "events" and "started_at" in out and "ended_at" in out:
        chunk.flag(
            (out["ended_at"] < out["started_at"]).to_numpy(dtype=bool), "ended_at before started_at"
        )
    if table == "venues" and "created_at" in out and "closed_at" in out:
        chunk.flag(
            (out["closed_at"] < out["created_at"]).to_numpy(dtype=bool),
            "closed_at before created_at",
        )
    if table == "moderation":
        named = [out[col].notna() for col in _ACTS_ON if col in out]
        acts = np.logical_or.reduce([n.to_numpy(dtype=bool) for n in named]) if named else None
        chunk.flag(
            np.ones(chunk.n, dtype=bool) if acts is None else ~acts,
            "acts on nothing: give content_id, account_id, venue_id or report_id",
        )
    _flag_repeated_keys(chunk, out, list(t.key), seen)
    out["extra"] = _extra_column(raw, t)

    bad = chunk.flagged
    rej = Rejected()
    if bad.any():
        rej.lines = [int(x) for x in np.asarray(lines)[bad]]
        rej.reasons = chunk.reason[bad].tolist()
        rej.raws = _raw_json(raw[bad])
    return out[~bad].reset_index(drop=True), rej


class _Chunk:
    """One chunk under validation: its rows, each column's text and empty cells (computed
    once, on first use), and the first rule each row broke."""

    def __init__(self, raw: pd.DataFrame) -> None:
        self.raw = raw
        self.n = len(raw)
        #: the reason of the first rule each row broke (None: none yet)
        self.reason = np.full(self.n, None, dtype=object)
        self.flagged = np.zeros(self.n, dtype=bool)
        self._texts: dict[str, pd.Series] = {}
        self._blanks: dict[str, np.ndarray] = {}

    def flag(self, mask: ArrayLike, why: str | Callable[[np.ndarray], list[str]]) -> None:
        """Reject the rows of ``mask`` not rejected yet, for ``why`` (a text, or a function
        of the mask giving one text per row)."""
        mask = np.asarray(mask, dtype=bool) & ~self.flagged
        if mask.any():
            self.reason[mask] = why(mask) if callable(why) else why
            self.flagged[mask] = True

    def text(self, col: str) -> pd.Series:
        """The column's cells as stripped text (``""`` when empty)."""
        if col not in self._texts:
            self._texts[col] = _as_text(self.raw[col])
        return self._texts[col]

    def blank(self, col: str) -> np.ndarray:
        """The column's empty cells."""
        if col not in self._blanks:
            self._blanks[col] = (self.text(col) == "").to_numpy(dtype=bool)
        return self._blanks[col]


def _time_column(chunk: _Chunk, c: Column) -> tuple[pd.Series, pd.Series]:
    """A timestamp column as UTC times and the offsets they were written with (minutes);
    rejects the cells that are no timestamp."""
    vals = chunk.text(c.name)
    times, off, bad = _parse_time(chunk.raw[c.name], vals)
    chunk.flag(bad, lambda m: [f"bad timestamp in {c.name}: {v!r}" for v in vals[m]])
    return times, off


def _number_column(chunk: _Chunk, c: Column) -> pd.Series:
    """A float or integer column, parsed; rejects cells that are no number, not finite, not
    whole (integers), out of the column's bounds or, for integers, beyond 64 bits.  Whole
    numbers past 2**53 are read exactly from their text and kept as Python ints."""
    n, name = chunk.n, c.name
    text, blank = chunk.text(name), chunk.blank(name)
    num = pd.to_numeric(text.where(~blank, None), errors="coerce")
    unread = (num.isna() & ~blank).to_numpy(dtype=bool)
    huge = np.zeros(n, dtype=bool)  # beyond a float's range: infinite as a float
    if unread.any():
        huge[unread] = [_too_large(v) for v in text[unread]]
    chunk.flag(unread & ~huge, lambda m: [f"not a number in {name}: {v!r}" for v in text[m]])
    value = num.to_numpy(dtype=np.float64)
    chunk.flag(
        np.isinf(value) | huge,
        lambda m: [f"not a finite number in {name}: {v!r}" for v in text[m]],
    )
    if c.type == ColType.INT:
        frac = (num.notna() & (num != np.floor(num.fillna(0)))).to_numpy(dtype=bool)
        # past 2**53 a float rounds: such cells are read exactly, from their text
        big = np.flatnonzero(~chunk.flagged & (np.abs(value) >= _FLOAT_EXACT))
        exact = [_decimal(v, f) for v, f in zip(text.to_numpy()[big], value[big])]
        frac[big] = [d != d.to_integral_value() for d in exact]
        chunk.flag(frac, lambda m: [f"not a whole number in {name}: {v!r}" for v in text[m]])
    if c.min is not None:
        low = num < c.min
        if c.max is not None:
            low = low | (num > c.max)
            chunk.flag(
                low, lambda m: [f"{name} outside {c.min:g}..{c.max:g}: {v}" for v in text[m]]
            )
        else:
            chunk.flag(low, lambda m: [f"negative {name}: {v}" for v in text[m]])
    if c.type == ColType.INT and len(big):
        wide = np.zeros(n, dtype=bool)
        wide[big] = [not _INT_MIN <= d <= _INT_MAX for d in exact]
        chunk.flag(
            wide,
            lambda m: [f"{name} outside the 64-bit integer range: {v}" for v in text[m]],
        )
        num = num.astype(object)  # the exact whole numbers, not their floats
        num.iloc[big] = [int(d) for d in exact]
    return num.astype("float64") if c.type == ColType.FLOAT else num


def _bool_column(chunk: _Chunk, c: Column) -> np.ndarray:
    """A boolean column (``true/false/1/0/yes/no/t/f/y/n``, any case; empty: None); rejects
    other values."""
    codes, low = _by_distinct(chunk.text(c.name), str.lower)
    text = pd.Series(low[codes], index=chunk.raw.index)
    known = np.array([v in _TRUE or v in _FALSE or v == "" for v in low], dtype=bool)
    chunk.flag(~known[codes], lambda m: [f"not a boolean in {c.name}: {v!r}" for v in text[m]])
    value = _objects([True if v in _TRUE else (False if v in _FALSE else None) for v in low])
    # as Series.map gives it: bool when some cells and none empty
    return (
        value[codes].astype(bool) if chunk.n and all(v is not None for v in value) else value[codes]
    )


def _text_column(chunk: _Chunk, c: Column) -> pd.Series:
    """A text column (None when empty); a column with ``choices`` is lowered and rejects
    values outside them."""
    text, blank = chunk.text(c.name), chunk.blank(c.name)
    if c.choices:
        choices = c.choices
        codes, low = _by_distinct(text, str.lower)
        text = pd.Series(low[codes], index=chunk.raw.index)
        allowed = set(choices) | {""}
        known = np.array([v in allowed for v in low], dtype=bool)
        chunk.flag(
            ~known[codes],
            lambda m: [f"unknown {c.name} {v!r} (expected {', '.join(choices)})" for v in text[m]],
        )
    return pd.Series(np.where(blank, None, text.to_numpy()), index=chunk.raw.index)


def _flag_repeated_keys(chunk: _Chunk, out: pd.DataFrame, key: list[str], seen: set | None) -> None:
    """Reject a row whose key was stored from an earlier chunk (``seen``, updated) or from
    an earlier row of this one; keys are held as strings, tuples of strings for several
    columns."""
    if not all(k in out.columns for k in key):
        return
    ok = ~chunk.flagged
    seen = set() if seen is None else seen
    if len(key) == 1:
        ok_keys = out[key[0]][ok].astype(str).tolist()
    else:
        ok_keys = list(zip(*[out[k][ok].astype(str).tolist() for k in key]))
    new = set(ok_keys)
    if len(new) == len(ok_keys) and seen.isdisjoint(new):
        seen |= new  # the common case: no key repeats
        return
    dup_ok = np.fromiter((k in seen for k in ok_keys), dtype=bool, count=len(ok_keys))
    dup_ok |= pd.Series(_objects(ok_keys)).duplicated(keep="first").to_numpy(dtype=bool)
    seen.update(k for k, d in zip(ok_keys, dup_ok) if not d)
    dup = np.zeros(chunk.n, dtype=bool)
    dup[ok] = dup_ok
    chunk.flag(dup, "duplicate key in the same file")


def _blank_cells(col: pd.Series) -> np.ndarray:
    """The empty cells of a column beyond the model (None, ``""`` or NaN)."""
    if _all_str(col):
        return (col == "").to_numpy(dtype=bool)
    return np.fromiter(
        (
            v is None or (isinstance(v, str) and v == "") or (isinstance(v, float) and np.isnan(v))
            for v in col
        ),
        dtype=bool,
        count=len(col),
    )


def _extra_column(raw: pd.DataFrame, t: Table) -> np.ndarray | str:
    """The columns beyond the model as one JSON object per row (``{}`` when all empty)."""
    extra_cols = [c for c in raw.columns if c not in t.column_names]
    if not extra_cols:
        return "{}"
    ex = raw[extra_cols]
    empty = [_blank_cells(ex[c]) for c in extra_cols]
    filled = ~np.column_stack(empty).all(axis=1)
    extra = np.full(len(raw), "{}", dtype=object)  # rows whose extra cells are all empty
    extra[filled] = _extra_json(ex[filled], [b[filled] for b in empty])
    return extra
