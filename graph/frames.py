"""Frame conventions shared by both stores: empty frames, dtype coercion, list and JSON cells.

Both stores build what :meth:`pileon.graph.store.Store.frame` returns through
:func:`coerce`, so the two give identical frames for identical content.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
import pandas as pd

from pileon.graph.arrays import is_none
from pileon.graph.model import PLACEHOLDER, TABLES, TZ, ColType, stored_columns


def _col_type(table: str, col: str) -> ColType | str:
    if col == PLACEHOLDER:
        return "placeholder"
    if col == TZ:
        return ColType.INT
    if col == "extra":
        return "extra"
    return TABLES[table].column(col).type


def _isna(v: Any) -> bool:
    """True for the missing-value markers a cell can hold (None, NaN, NA, NaT)."""
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v))


def as_list(v: Any) -> list[str]:
    """A list cell from whatever a store or a reader holds (list, JSON text, None)."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return []
    if isinstance(v, (list, tuple, np.ndarray)):
        return [str(x) for x in v]
    if isinstance(v, str):
        if v.startswith("["):
            return [str(x) for x in json.loads(v)]
        return [v] if v else []
    return [str(v)]


def _utc_ns(s: pd.Series) -> bool:
    """True when ``s`` already holds times as the frames do (``datetime64[ns, UTC]``)."""
    return (
        isinstance(s.dtype, pd.DatetimeTZDtype)
        and s.dtype.unit == "ns"
        and str(s.dtype.tz) == "UTC"
    )


def _lists(s: pd.Series) -> pd.Series:
    """:func:`as_list` of every cell, as its own list; cells of text (the JSON texts
    a store holds) are parsed once per distinct text."""
    arr = s.to_numpy(dtype=object)
    if not len(arr) or pd.api.types.infer_dtype(arr, skipna=True) not in ("string", "empty"):
        return s.map(as_list).astype(object)
    codes, uniq = pd.factorize(arr)
    parsed = [as_list(u) for u in uniq] + [[]]  # code -1: a missing cell
    out = np.fromiter([list(parsed[c]) for c in codes.tolist()], dtype=object, count=len(arr))
    missing = np.flatnonzero(codes < 0)
    if len(missing) and not is_none(arr[missing]).all():
        for i in missing:  # NaN, NA and the like: as as_list reads them
            out[i] = as_list(arr[i])
    return pd.Series(out, index=s.index)


def coerce_column(s: pd.Series, kind: ColType | str) -> pd.Series:
    """Coerce one column to the dtype the frame conventions fix."""
    if kind == ColType.TIME:
        if _utc_ns(s):
            return s
        if pd.api.types.is_integer_dtype(s.dtype) or pd.api.types.is_float_dtype(s.dtype):
            # nullable Int64 stays exact; float64 would round nanoseconds
            return pd.to_datetime(s, unit="ns", utc=True).dt.as_unit("ns")
        return pd.to_datetime(s, utc=True, format="ISO8601").dt.as_unit("ns")
    if kind == ColType.FLOAT:
        return pd.to_numeric(s, errors="coerce").astype("float64")
    if kind == ColType.INT:
        return pd.to_numeric(s, errors="coerce").astype("Int64")
    if kind == ColType.BOOL:
        if isinstance(s.dtype, pd.BooleanDtype):
            return s
        return s.map(lambda v: None if _isna(v) else bool(v)).astype("boolean")
    if kind == ColType.LIST:
        return _lists(s)
    if kind == "placeholder":
        if isinstance(s.dtype, np.dtype) and s.dtype.kind in "biu":  # numpy bools, 0/1 ints
            return s.astype(bool)
        return s.map(lambda v: False if _isna(v) else bool(v)).astype(bool)
    if kind == "extra":
        if s.dtype == object and pd.api.types.infer_dtype(s, skipna=False) == "string":
            return s  # JSON texts as stored
        return s.map(
            lambda v: (
                "{}"
                if v is None or (isinstance(v, float) and np.isnan(v))
                else (
                    v if isinstance(v, str) else json.dumps(v, sort_keys=True, ensure_ascii=False)
                )
            )
        ).astype(object)
    # strings: missing values as None
    out = s.astype(object)
    arr = out.to_numpy()
    if pd.api.types.infer_dtype(arr[~is_none(arr)], skipna=False) in ("string", "empty"):
        return out  # text and None only (a store's read): nothing to replace
    missing = pd.isna(arr)
    if missing.any() and not is_none(arr[missing]).all():
        # pandas-stubs refuse None as the replacement, which an object column takes as is
        kept: pd.Series = out.where(~missing, None)  # type: ignore[call-overload]
        return kept
    return out


def _values(s: pd.Series) -> Any:
    """The values of a column, for building a frame from (numpy arrays as they are)."""
    return s.to_numpy() if isinstance(s.dtype, np.dtype) else s.array


def coerce(
    table: str,
    df: pd.DataFrame | Mapping[str, Any],
    *,
    keep: list[str] | tuple[str, ...] = (),
    clean: Collection[str] = (),
) -> pd.DataFrame:
    """Return ``df`` with exactly the stored columns of ``table``, coerced and sorted by key.

    ``df`` is a frame, or a mapping of column names to equally long arrays that no one
    else holds (a store's fresh read: its arrays become the frame's without copies).
    ``keep`` names further columns of ``df`` to carry along unchanged (after the
    stored ones), sorted with their rows.  ``clean`` names text columns (strings and
    ``extra``) of an object array that the caller vouches for, taken as they are: cells
    of ``str`` only, or ``str`` and None in a column of strings (what
    :func:`coerce_column` returns unchanged; a store's read knows it of the columns it
    read as a few values).

    Notes
    -----
    One pass per column, plus a sort by key unless the rows already come in key order.
    """
    index: pd.Index
    if isinstance(df, pd.DataFrame):
        fresh = False
        n, index = len(df), df.index
    else:
        fresh = True
        n = len(next(iter(df.values()))) if len(df) else 0
        index = pd.RangeIndex(n)

    def column(c: str) -> pd.Series:
        if c not in df:
            return pd.Series([None] * n, index=index, dtype=object)
        return pd.Series(df[c], index=index, copy=False) if fresh else df[c]

    data = {
        c: (
            _values(column(c))
            if c in clean and _clean_kind(table, c)
            else _values(coerce_column(column(c), _col_type(table, c)))
        )
        for c in stored_columns(table)
    }
    for c in keep:
        data[c] = _values(column(c))
    out = pd.DataFrame(data, index=index, copy=False)  # columns put together once
    key = list(TABLES[table].key)
    k = out[key[0]]
    if len(key) == 1 and not k.hasnans and k.is_monotonic_increasing:
        # already in key order (a store can read it so); a frame's own values are copied
        return out if fresh else out.reset_index(drop=True)
    return out.sort_values(key, kind="mergesort", na_position="first").reset_index(drop=True)


def _clean_kind(table: str, col: str) -> bool:
    """Whether ``col`` of ``table`` is a column that ``coerce(..., clean=...)`` may take
    as it is: text (strings or ``extra``), not lists."""
    return _col_type(table, col) in (ColType.STR, "extra")


def empty(table: str) -> pd.DataFrame:
    """An empty frame of ``table`` with the right columns and dtypes."""
    return coerce(
        table, pd.DataFrame({c: pd.Series([], dtype=object) for c in stored_columns(table)})
    )


def time_to_ns(s: pd.Series) -> list[int | None]:
    """Times as integer nanoseconds since the epoch (None for NaT), for storage."""
    if not _utc_ns(s):
        s = pd.to_datetime(s, utc=True)
    out = s.astype("int64").to_numpy().astype(object)  # Python ints
    out[s.isna().to_numpy()] = None
    return out.tolist()


# ------------------------------------------------------ frames → JSON values
def jsonable(value: Any) -> Any:
    """A JSON value for one frame cell: NaN/NaT/NA → None, times → ISO-8601, numpy → python."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, (list, tuple, np.ndarray)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def frame_records(df: Any, columns: list[str] | None = None) -> list[dict[str, Any]]:
    """The rows of a frame as JSON-able dicts (``extra`` parsed into an object)."""
    cols = [c for c in (columns or list(df.columns)) if c in df.columns]
    out = []
    for row in df[cols].itertuples(index=False, name=None):
        rec = {}
        for c, v in zip(cols, row):
            if c == "extra":
                rec[c] = _extra(v)
            else:
                rec[c] = jsonable(v)
        out.append(rec)
    return out


def _extra(v: Any) -> dict[str, Any]:
    if isinstance(v, dict):
        return v
    if isinstance(v, str) and v:
        try:
            obj = json.loads(v)
        except ValueError:
            return {}
        return obj if isinstance(obj, dict) else {}
    return {}
