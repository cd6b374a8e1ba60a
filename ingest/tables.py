"""The rules a row of each input table must keep, and its normalisation.

:func:`validate` takes one chunk of raw rows (strings, or lists for list
columns, as :mod:`ingest.readers` yields them) and splits it into normalised
rows ready for :meth:`graph.store.Store.upsert` and rejected rows, each with
its line number and the reason.  Rules (SPEC §2): required fields present;
timestamps ISO-8601 (an offset or ``Z``; none means UTC); numbers numeric and
within bounds (``harm`` in 0..1, counts not negative, ``tier`` 0..4); booleans
``true/false/1/0/yes/no``; ``kind`` one of the known kinds; a key seen twice in
one file is rejected the second time; a repost cannot repost itself.  Columns
beyond the model are kept as ``extra``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from graph.model import CONTENT_KINDS, TABLES, TZ_SOURCE, ColType, Table

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}
_OFFSET = re.compile(r"(?:([+-])(\d{2}):?(\d{2})|[zZ])$")
_HAS_OFFSET = re.compile(r"(?:[+-]\d{2}:?\d{2}|[zZ])$")


@dataclass
class Rejected:
    """Rows of a chunk that broke a rule."""

    lines: list[int] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    raws: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.lines)


def _missing(s: pd.Series) -> pd.Series:
    return s.map(lambda v: v is None or (isinstance(v, float) and np.isnan(v))
                 or (isinstance(v, str) and v.strip() == "")
                 or (isinstance(v, (list, tuple)) and len(v) == 0)).astype(bool)


def _as_text(s: pd.Series) -> pd.Series:
    return s.map(lambda v: v.strip() if isinstance(v, str) else
                 ("" if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
                  else str(v)))


def _parse_time(s: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(UTC times, offset minutes, bad mask) of a text column; empty cells are not bad."""
    text = _as_text(s)
    empty = text == ""
    m = text.str.extract(_OFFSET)
    # no offset means UTC: say so per value (pandas would borrow a neighbour's offset)
    naive = ~text.str.contains(_HAS_OFFSET) & ~empty
    fixed = text.where(~naive, text + np.where(text.str.len() == 10, "T00:00:00", "") + "+00:00")
    times = pd.to_datetime(fixed.where(~empty, None), utc=True, format="ISO8601", errors="coerce")
    bad = times.isna() & ~empty
    sign = m[0].map({"+": 1, "-": -1})
    off = (sign * (pd.to_numeric(m[1], errors="coerce") * 60 + pd.to_numeric(m[2], errors="coerce")))
    off = off.where(m[0].notna(), 0).where(~empty, np.nan).astype("Int64")
    return times.dt.as_unit("ns"), off, bad


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
    return [json.dumps({k: conv(v) for k, v in row.items()}, ensure_ascii=False, default=str)
            for row in df.to_dict("records")]


def validate(table: str, raw: pd.DataFrame, lines: np.ndarray,
             seen: set | None = None) -> tuple[pd.DataFrame, Rejected]:
    """Validate and normalise one chunk of ``table``.

    Parameters
    ----------
    table : str
        Name of an input table of :data:`graph.model.TABLES`.
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
    Vectorised over the chunk: O(rows x columns).
    """
    t: Table = TABLES[table]
    raw = raw.reset_index(drop=True)
    n = len(raw)
    reason = pd.Series([None] * n, dtype=object)

    def flag(mask: pd.Series, why) -> None:
        mask = mask & reason.isna()
        if mask.any():
            reason[mask] = why(mask) if callable(why) else why

    out = pd.DataFrame(index=raw.index)
    for col in t.required:
        if col not in raw.columns:
            flag(pd.Series(True, index=raw.index), f"missing required field {col}")
        else:
            flag(_missing(raw[col]), f"missing required field {col}")

    for c in t.columns:
        if c.name not in raw.columns:
            continue
        s = raw[c.name]
        if c.type == ColType.TIME:
            times, off, bad = _parse_time(s)
            vals = _as_text(s)
            flag(bad, lambda m, vals=vals, name=c.name:
                 [f"bad timestamp in {name}: {v!r}" for v in vals[m]])
            out[c.name] = times
            if TZ_SOURCE.get(table) == c.name:
                out["tz"] = off
        elif c.type in (ColType.FLOAT, ColType.INT):
            text = _as_text(s)
            num = pd.to_numeric(text.where(text != "", None), errors="coerce")
            bad = num.isna() & (text != "")
            flag(bad, lambda m, text=text, name=c.name:
                 [f"not a number in {name}: {v!r}" for v in text[m]])
            if c.type == ColType.INT:
                frac = num.notna() & (num != np.floor(num.fillna(0)))
                flag(frac, lambda m, text=text, name=c.name:
                     [f"not a whole number in {name}: {v!r}" for v in text[m]])
            if c.min is not None:
                low = num < c.min
                if c.max is not None:
                    low = low | (num > c.max)
                    flag(low, lambda m, text=text, c=c:
                         [f"{c.name} outside {c.min:g}..{c.max:g}: {v}" for v in text[m]])
                else:
                    flag(low, lambda m, text=text, name=c.name:
                         [f"negative {name}: {v}" for v in text[m]])
            out[c.name] = num.astype("float64") if c.type == ColType.FLOAT else num
        elif c.type == ColType.BOOL:
            text = _as_text(s).str.lower()
            bad = ~text.isin(_TRUE | _FALSE | {""})
            flag(bad, lambda m, text=text, name=c.name:
                 [f"not a boolean in {name}: {v!r}" for v in text[m]])
            out[c.name] = text.map(lambda v: True if v in _TRUE else (False if v in _FALSE else None))
        elif c.type == ColType.LIST:
            out[c.name] = s.map(_parse_list)
        else:
            text = _as_text(s)
            if c.choices:
                low = text.str.lower()
                bad = ~low.isin(set(c.choices) | {""})
                flag(bad, lambda m, text=text, c=c:
                     [f"unknown {c.name} {v!r} (expected {', '.join(c.choices)})" for v in text[m]])
                text = low
            out[c.name] = text.where(text != "", None)

    if table == "contents":
        out["kind"] = out["kind"].fillna("post") if "kind" in out else "post"
    if table == "reposts":
        flag(out["repost_id"].notna() & (out["repost_id"] == out["source_id"]), "repost of itself")

    # a key seen twice in one file: the later row is rejected
    key = list(t.key)
    if all(k in out.columns for k in key):
        ktuples = list(zip(*[out[k].astype(str).tolist() for k in key]))
        dup = []
        seen = set() if seen is None else seen
        ok_mask = reason.isna().tolist()
        for kt, ok in zip(ktuples, ok_mask):
            if ok and kt in seen:
                dup.append(True)
            else:
                dup.append(False)
                if ok:
                    seen.add(kt)
        flag(pd.Series(dup, index=raw.index), "duplicate key in the same file")

    extra_cols = [c for c in raw.columns if c not in t.column_names]
    if extra_cols:
        ex = raw[extra_cols]
        out["extra"] = [json.dumps({k: v for k, v in r.items()
                                    if not (v is None or (isinstance(v, str) and v == "")
                                            or (isinstance(v, float) and np.isnan(v)))},
                                   sort_keys=True, ensure_ascii=False, default=str)
                        for r in ex.to_dict("records")]
    else:
        out["extra"] = "{}"

    bad = reason.notna().to_numpy()
    rej = Rejected()
    if bad.any():
        rej.lines = [int(x) for x in np.asarray(lines)[bad]]
        rej.reasons = reason[bad].tolist()
        rej.raws = _raw_json(raw[bad])
    return out[~bad].reset_index(drop=True), rej
