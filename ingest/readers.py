"""Readers of input tables in CSV, JSONL and Parquet, chunk by chunk.

Each reader yields ``(raw, lines)``: a DataFrame of raw cells (text, or lists
where the format has arrays) and the line number of each row in its file
(CSV: the header is line 1; JSONL: one object a line; Parquet: the row number).
Chunks keep memory bounded, so a file larger than memory loads.
A file that cannot be read raises :class:`pileon.graph.errors.InputError` naming it.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from pileon.graph.errors import InputError
from pileon.graph.model import TABLES

FORMATS = ("csv", "jsonl", "parquet")
CHUNK_ROWS = 50_000


def find_tables(folder: str | Path) -> dict[str, Path]:
    """The table files of a folder: ``{table: path}`` for ``<table>.csv|jsonl|parquet``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder")
    found: dict[str, list[Path]] = {}
    for p in sorted(folder.iterdir()):
        stem, _, ext = p.name.partition(".")
        if stem in TABLES and ext in FORMATS and p.is_file():
            found.setdefault(stem, []).append(p)
    for name, paths in found.items():
        if len(paths) > 1:
            raise InputError(
                f"{folder}: table {name} is given twice "
                f"({', '.join(p.name for p in paths)}); keep one file per table"
            )
    return {name: paths[0] for name, paths in found.items()}


def read_header(path: Path) -> list[str]:
    """Column names of a table file (checks that the file can be opened and parsed)."""
    fmt = path.name.partition(".")[2]
    try:
        if fmt == "csv":
            with open(path, encoding="utf-8-sig", newline="") as f:
                header = next(csv.reader(f), None)
            if not header:
                raise InputError(f"{path}: empty file, expected a header row")
            return [h.strip() for h in header]
        if fmt == "jsonl":
            cols: list[str] = []
            parsed = nonblank = 0
            with open(path, encoding="utf-8") as f:
                for i, line in enumerate(f):
                    if line.strip():
                        nonblank += 1
                        try:
                            obj = json.loads(line)
                        except ValueError:
                            continue  # rejected as a row later
                        if isinstance(obj, dict):
                            parsed += 1
                            cols.extend(k for k in obj if k not in cols)
                    if i >= 1000:
                        break
            if nonblank and not parsed:
                raise InputError(
                    f"{path}: not JSON lines (no line of the first {nonblank} is a JSON object)"
                )
            return cols
        import pyarrow.parquet as pq

        return list(pq.ParquetFile(path).schema_arrow.names)
    except InputError:
        raise
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not JSON lines ({exc.msg} on line 1)") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except Exception as exc:  # pyarrow raises its own types for a broken file
        raise InputError(
            f"{path}: cannot read as {fmt} ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''})"
        ) from None


def _csv_chunks(path: Path, chunk_rows: int) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
    reader = pd.read_csv(
        path,
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        chunksize=chunk_rows,
        encoding="utf-8-sig",
        skipinitialspace=False,
        on_bad_lines="error",
        engine="c",
    )
    start = 2
    for chunk in reader:
        chunk.columns = [c.strip() for c in chunk.columns]
        yield chunk, np.arange(start, start + len(chunk))
        start += len(chunk)


def _cell(v):
    if isinstance(v, (list, dict)) or v is None:
        return v if not isinstance(v, dict) else json.dumps(v, ensure_ascii=False, sort_keys=True)
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _json_float(text: str) -> float | str:
    """A JSON number with a fraction or exponent: a float, or its text when no float holds
    it (``1e400``), so that the validator names the value as the file wrote it."""
    value = float(text)
    return value if math.isfinite(value) else text


def _jsonl_chunks(
    path: Path, chunk_rows: int
) -> Iterator[tuple[pd.DataFrame, np.ndarray, list[tuple[int, str, str]]]]:
    rows, lines, bad = [], [], []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                # NaN, Infinity and -Infinity (no JSON, but Python writes them) kept as text
                obj = json.loads(line, parse_float=_json_float, parse_constant=str)
                if not isinstance(obj, dict):
                    raise ValueError("not a JSON object")
            except ValueError as exc:
                bad.append((i, f"invalid JSON: {str(exc).split(':')[0]}", line.rstrip("\n")))
                continue
            rows.append({k: _cell(v) for k, v in obj.items()})
            lines.append(i)
            if len(rows) >= chunk_rows:
                yield pd.DataFrame(rows), np.array(lines), bad
                rows, lines, bad = [], [], []
    if rows or bad:
        yield pd.DataFrame(rows), np.array(lines, dtype=int), bad


def json_row(line: str) -> dict | None:
    """One JSONL line as the raw row :func:`pileon.ingest.tables.validate` takes (cells as
    text, lists kept), or None when the line is blank, no JSON or no JSON object.  The same
    reading as ``ingest`` gives a JSONL file, for engines that read lines themselves."""
    if not line.strip():
        return None
    try:
        obj = json.loads(line, parse_float=_json_float, parse_constant=str)
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    return {k: _cell(v) for k, v in obj.items()}


def parquet_cells(df: pd.DataFrame) -> pd.DataFrame:
    """Parquet values (as pyarrow gives them to pandas) as the raw cells
    :func:`pileon.ingest.tables.validate` takes, in place: times as ISO text (naive ones
    read as UTC), lists as lists, the rest as text (the reading ``ingest`` gives a Parquet
    file, for engines that read Parquet themselves)."""
    for c in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[c]):
            s = df[c]
            if getattr(s.dt, "tz", None) is None:
                s = s.dt.tz_localize("UTC")
            df[c] = s.map(lambda v: None if pd.isna(v) else v.isoformat())
        else:
            df[c] = df[c].map(
                lambda v: (
                    v.tolist()
                    if isinstance(v, np.ndarray)
                    else (None if v is None or (isinstance(v, float) and np.isnan(v)) else _cell(v))
                )
            )
    return df


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
    import pyarrow.parquet as pq

    start = 1
    for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
        df = batch.to_pandas(integer_object_nulls=True)  # whole numbers stay whole beside nulls
        df = parquet_cells(df)
        yield df, np.arange(start, start + len(df))
        start += len(df)


def read_chunks(
    path: Path, *, chunk_rows: int = CHUNK_ROWS
) -> Iterator[tuple[pd.DataFrame, np.ndarray, list[tuple[int, str, str]]]]:
    """Yield ``(raw, lines, bad_lines)`` chunks of a table file.

    ``bad_lines`` lists lines that could not be parsed as a row at all
    (``(line, reason, raw text)``, JSONL only); they are rejected, not fatal.
    """
    fmt = path.name.partition(".")[2]
    try:
        if fmt == "jsonl":
            yield from _jsonl_chunks(path, chunk_rows)
        elif fmt == "csv":
            for df, lines in _csv_chunks(path, chunk_rows):
                yield df, lines, []
        else:
            for df, lines in _parquet_chunks(path, chunk_rows):
                yield df, lines, []
    except InputError:
        raise
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except pd.errors.ParserError as exc:
        raise InputError(f"{path}: broken CSV ({str(exc).strip().splitlines()[-1]})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except Exception as exc:
        raise InputError(f"{path}: cannot read as {fmt} ({type(exc).__name__})") from None
