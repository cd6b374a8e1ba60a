"""Column-wise table builder and the CSV / JSONL / Parquet writers of the sample incident.

Rows are added in column chunks (numpy arrays or lists). Times are kept as int64 UTC epoch
seconds (``NO_TIME`` when absent) and written as ISO-8601 with the table's UTC offset. Columns
whose names start with ``_`` are ground truth kept for the generator and never written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

NO_TIME = np.iinfo(np.int64).min

#: written columns per table and their kind: str, time, int, float, bool, list
SCHEMAS: dict[str, dict[str, str]] = {
    "accounts": {
        "account_id": "str",
        "platform": "str",
        "name": "str",
        "created_at": "time",
        "followers": "int",
        "verified": "bool",
        "identity_key": "str",
        "is_minor": "bool",
    },
    "contents": {
        "content_id": "str",
        "account_id": "str",
        "platform": "str",
        "posted_at": "time",
        "text": "str",
        "kind": "str",
        "reply_to": "str",
        "event_id": "str",
        "harm": "float",
        "target_ids": "list",
        "media_hash": "str",
        "url": "str",
        "venue_id": "str",
    },
    "reposts": {
        "repost_id": "str",
        "account_id": "str",
        "source_id": "str",
        "reposted_at": "time",
        "platform": "str",
        "text": "str",
        "harm": "float",
    },
    "renames": {"account_id": "str", "old_name": "str", "new_name": "str", "renamed_at": "time"},
    "mcns": {"mcn_id": "str", "name": "str", "registered_in": "str"},
    "affiliations": {
        "account_id": "str",
        "mcn_id": "str",
        "since": "time",
        "until": "time",
        "role": "str",
    },
    "events": {
        "event_id": "str",
        "name": "str",
        "started_at": "time",
        "keywords": "list",
        "entities": "list",
        "target_ids": "list",
    },
    "reports": {
        "report_id": "str",
        "reported_at": "time",
        "reporter_id": "str",
        "content_id": "str",
        "account_id": "str",
        "reason": "str",
        "involves_minor": "bool",
    },
    "labels": {"event_id": "str", "account_id": "str", "tier": "int"},
    "venues": {
        "venue_id": "str",
        "platform": "str",
        "kind": "str",
        "name": "str",
        "created_at": "time",
        "creator_id": "str",
        "host_id": "str",
        "closed_at": "time",
    },
    "moderation": {
        "action_id": "str",
        "platform": "str",
        "acted_at": "time",
        "action": "str",
        "content_id": "str",
        "account_id": "str",
        "venue_id": "str",
        "report_id": "str",
    },
}

#: the column rows are sorted by before writing (stable), like a platform export
SORT_BY = {
    "accounts": "created_at",
    "contents": "posted_at",
    "reposts": "reposted_at",
    "renames": "renamed_at",
    "reports": "reported_at",
    "moderation": "acted_at",
}

#: UTC offset (hours) of each table's timestamps; ``None`` writes UTC with ``Z``
OFFSETS: dict[str, int | None] = {name: 8 for name in SCHEMAS}
OFFSETS["reports"] = None  # the reporting system exports UTC

BATCH_ROWS = 200_000

_ARROW = {
    "str": pa.string(),
    "time": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "list": pa.list_(pa.string()),
}


class Table:
    """Rows of one table, accumulated as column chunks."""

    def __init__(self, name: str):
        self.name = name
        self.chunks: list[dict[str, np.ndarray]] = []

    def add(self, n: int | None = None, **columns) -> None:
        """Add ``n`` rows; each column is an array/list of length ``n`` or a scalar to repeat."""
        if n is None:
            n = next(len(v) for v in columns.values() if isinstance(v, (list, np.ndarray)))
        if n == 0:
            return
        chunk = {}
        for key, value in columns.items():
            if isinstance(value, np.ndarray):
                arr = value
            elif isinstance(value, list):
                arr = np.empty(n, dtype=object)
                if any(isinstance(v, (list, tuple)) for v in value):
                    for i, v in enumerate(value):  # lists as cells: no broadcasting
                        arr[i] = v
                else:
                    arr[:] = value
            else:
                arr = np.empty(n, dtype=object)
                arr[:] = [value] * n
            if len(arr) != n:
                raise ValueError(f"{self.name}.{key}: {len(arr)} values for {n} rows")
            chunk[key] = arr
        self.chunks.append(chunk)

    def assign(self, key: str, by: str, values: dict) -> None:
        """Set column ``key`` of the rows whose ``by`` is a key of ``values`` (the other rows
        keep theirs; a chunk without the column gets it, missing)."""
        for c in self.chunks:
            ids = c.get(by)
            if ids is None:
                continue
            col = c.get(key)
            col = np.full(len(ids), None, dtype=object) if col is None else col.astype(object)
            hit = [i for i, x in enumerate(ids.tolist()) if x in values]
            for i in hit:
                col[i] = values[ids[i]]
            c[key] = col

    def __len__(self) -> int:
        return sum(len(next(iter(c.values()))) for c in self.chunks)

    def column(self, key: str) -> np.ndarray:
        """One column over all chunks (``None``/``NO_TIME``/NaN where a chunk lacks it)."""
        kind = SCHEMAS[self.name].get(key, "str")
        parts = []
        for c in self.chunks:
            n = len(next(iter(c.values())))
            if key in c:
                parts.append(c[key])
            elif kind == "time":
                parts.append(np.full(n, NO_TIME, dtype=np.int64))
            elif kind == "float":
                parts.append(np.full(n, np.nan))
            else:
                parts.append(np.full(n, None, dtype=object))
        if not parts:
            return np.empty(0, dtype=object)
        if kind in ("time", "int"):
            return np.concatenate([np.asarray(p, dtype=np.int64) for p in parts])
        if kind == "float":
            return np.concatenate([np.asarray(p, dtype=np.float64) for p in parts])
        return np.concatenate([np.asarray(p, dtype=object) for p in parts])


def format_times(seconds: np.ndarray, offset_hours: int | None) -> np.ndarray:
    """ISO-8601 strings (``2026-03-01T20:07:13+08:00``) for epoch seconds; ``None`` for ``NO_TIME``."""
    seconds = np.asarray(seconds, dtype=np.int64)
    missing = seconds == NO_TIME
    shift = 0 if offset_hours is None else offset_hours * 3600
    local = np.where(missing, 0, seconds + shift).astype("datetime64[s]")
    text = np.datetime_as_string(local, unit="s").astype(object)
    suffix = (
        "Z"
        if offset_hours is None
        else f"{'+' if offset_hours >= 0 else '-'}{abs(offset_hours):02d}:00"
    )
    out = text + suffix
    out[missing] = None
    return out


def _frame(table: Table, index: np.ndarray, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """The written columns of rows ``index``, times formatted, other values typed for pandas."""
    data = {}
    for key, kind in SCHEMAS[table.name].items():
        values = columns[key][index]
        if kind == "time":
            values = format_times(values, OFFSETS[table.name])
        elif kind == "int":
            values = values.astype(np.int64)
        data[key] = values
    return pd.DataFrame(data)


def _arrow(df: pd.DataFrame, table: str, *, for_csv: bool = False) -> pa.Table:
    """The batch as an Arrow table with the schema's types (lists joined with ``|`` for CSV)."""
    arrays, fields = [], []
    for key, kind in SCHEMAS[table].items():
        values = df[key].to_numpy()
        typ = _ARROW[kind]
        if kind == "list":
            if for_csv:
                values, typ = (
                    np.array([None if v is None else "|".join(v) for v in values], dtype=object),
                    pa.string(),
                )
            else:
                values = [None if v is None else list(v) for v in values]
        elif kind == "bool":
            values = [None if v is None else bool(v) for v in values]
        arrays.append(pa.array(values, type=typ, from_pandas=True))
        fields.append(pa.field(key, typ))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _json_lines(df: pd.DataFrame) -> bytes:
    """JSON Lines: arrays for lists, ``null`` for absent values, non-ASCII kept as is."""
    text = df.to_json(orient="records", lines=True, force_ascii=False, double_precision=6)
    text = text.replace("\\/", "/")  # pandas escapes every slash; JSON does not need it
    return (text if text.endswith("\n") else text + "\n").encode("utf-8")


def write_table(table: Table, out_dir: Path, fmt: str, *, progress=None) -> int:
    """Write ``table`` as ``out_dir/<name>.<fmt>`` in batches, rows sorted by time; returns rows."""
    columns = {key: table.column(key) for key in SCHEMAS[table.name]}
    n = len(next(iter(columns.values())))
    sort_key = SORT_BY.get(table.name)
    order = np.argsort(columns[sort_key], kind="stable") if sort_key else np.arange(n)
    path = out_dir / f"{table.name}.{fmt}"
    writer = None
    with open(path, "wb") as fh:
        for start in range(0, max(n, 1), BATCH_ROWS):
            df = _frame(table, order[start : start + BATCH_ROWS], columns)
            if fmt == "csv":
                pacsv.write_csv(
                    _arrow(df, table.name, for_csv=True),
                    fh,
                    pacsv.WriteOptions(include_header=start == 0, quoting_style="needed"),
                )
            elif fmt == "jsonl":
                if len(df):
                    fh.write(_json_lines(df))
            else:
                batch = _arrow(df, table.name)
                if writer is None:
                    writer = pq.ParquetWriter(fh, batch.schema)
                writer.write_table(batch)
            if progress is not None:
                progress.update(len(df))
        if writer is not None:
            writer.close()
    return n
