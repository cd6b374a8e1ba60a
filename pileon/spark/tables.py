"""The input tables of SPEC §2 as Spark DataFrames, row for row what ``pileon ingest`` keeps.

A folder is a local path or any Hadoop-compatible URI (``hdfs://``, ``s3a://``, ...) holding
``<table>.csv``, ``<table>.jsonl`` or ``<table>.parquet``.  Spark reads the file (CSV with
its header, quoted fields over several lines allowed; JSONL line by line; Parquet
natively); every partition then goes through ingest's own validation
(:func:`pileon.ingest.tables.validate`, the same parsing of times, IDs and lists, the same
rejections), and a key repeated in the file keeps its first valid row, as ingest does.
Rows ingest would reject are left out (``ingest`` reports them; this reader only
computes).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pileon.graph.errors import InputError
from pileon.graph.model import TABLES, ColType

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["table_file", "read_table", "read_reposts", "read_contents"]

FORMATS = ("csv", "jsonl", "parquet")
_ROW = "_pileon_row"


def _is_uri(folder: str) -> bool:
    return "://" in folder and not folder.startswith("file://")


def table_file(spark: SparkSession, folder: str, table: str) -> tuple[str, str] | None:
    """``(path, format)`` of ``table`` in ``folder`` (local path or URI), or None.

    A local folder is listed as ``ingest`` lists it (one file per table); a URI is
    probed through Spark's Hadoop file system for each format in turn."""
    if not _is_uri(folder):
        from pileon.ingest.readers import find_tables

        local = folder[len("file://") :] if folder.startswith("file://") else folder
        found = find_tables(local)
        if table not in found:
            return None
        p = found[table]
        return str(Path(p).resolve()), p.name.partition(".")[2]
    jvm = spark.sparkContext._jvm  # the Hadoop FileSystem of the URI's scheme
    assert jvm is not None
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    hits = []
    for fmt in FORMATS:
        path = f"{folder.rstrip('/')}/{table}.{fmt}"
        hp = jvm.org.apache.hadoop.fs.Path(path)
        try:
            if hp.getFileSystem(conf).exists(hp):
                hits.append((path, fmt))
        except Exception as exc:  # unknown scheme, no credentials, ...
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(f"{path}: cannot read ({first})") from None
    if len(hits) > 1:
        raise InputError(
            f"{folder}: table {table} is given twice ({', '.join(p for p, _ in hits)}); "
            "keep one file per table"
        )
    return hits[0] if hits else None


def _raw(spark: SparkSession, path: str, fmt: str) -> DataFrame:
    """The file as Spark reads it, with a column of each row's position in the file."""
    from pyspark.sql import functions as F

    if fmt == "csv":
        df = (
            spark.read.option("header", "true")
            .option("multiLine", "true")  # quoted texts may hold line breaks
            .option("escape", '"')  # RFC 4180 quotes, as Python's csv module writes them
            .option("encoding", "UTF-8")
            .option("mode", "PERMISSIVE")
            .csv(path)
        )
        # the header as ingest reads it: BOM and surrounding blanks removed
        df = df.toDF(*[c.lstrip("\ufeff").strip() for c in df.columns])
    elif fmt == "jsonl":
        df = spark.read.text(path)
    else:
        df = spark.read.parquet(path)
    return df.withColumn(_ROW, F.monotonically_increasing_id())


def _validated(table: str, fmt: str, keep: dict[str, str]) -> object:
    """A ``mapInPandas`` function: raw rows to ingest's validated rows, ``keep`` columns
    (name -> ``text`` or ``ns``) and the row position."""
    from pileon.ingest.readers import json_row, parquet_cells
    from pileon.ingest.tables import validate

    times = {c.name for c in TABLES[table].columns if c.type == ColType.TIME}

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for raw in batches:
            rows = raw[_ROW].to_numpy(dtype=np.int64)
            raw = raw.drop(columns=[_ROW])
            if fmt == "jsonl":
                parsed = [json_row(v) for v in raw["value"].tolist()]
                ok = np.array([r is not None for r in parsed], dtype=bool)
                rows = rows[ok]
                raw = pd.DataFrame([r for r in parsed if r is not None])
            elif fmt == "parquet":
                for c in raw.columns:  # nanosecond times read as whole numbers
                    if c in times and pd.api.types.is_integer_dtype(raw[c]):
                        raw[c] = pd.to_datetime(raw[c], unit="ns", utc=True)
                raw = parquet_cells(raw)
            else:
                raw = raw.astype(object).where(raw.notna(), "")
            if raw.empty:
                continue
            good, rej = validate(table, raw.reset_index(drop=True), rows)
            kept = rows[~np.isin(rows, np.asarray(rej.lines, dtype=np.int64))]
            out = pd.DataFrame({_ROW: kept})
            for name, kind in keep.items():
                if name not in good:
                    out[name] = None if kind == "text" else np.int64(0)
                elif kind == "ns":
                    t = good[name]
                    known = t.notna().to_numpy()
                    ns = np.zeros(len(t), dtype=np.int64)
                    ns[known] = (
                        t[known].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().view("i8")
                    )
                    out[name] = np.where(known, ns, np.iinfo(np.int64).min)
                else:
                    out[name] = good[name].to_numpy(dtype=object)
            yield out

    return run


def read_table(
    spark: SparkSession, folder: str, table: str, keep: dict[str, str]
) -> DataFrame | None:
    """``table`` of ``folder`` (None when the folder has none): the rows ``ingest`` would
    store, columns ``keep`` (``{"name": "text" | "ns"}``: text, or a time as whole
    nanoseconds since the epoch, UTC; a missing time is the smallest int64).

    Notes
    -----
    One pass over the file plus one shuffle by key (a key repeated in the file keeps its
    first valid row).  A CSV file is read as one split (quoted line breaks); the rows are
    spread over the session's partitions before validation.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    found = table_file(spark, folder, table)
    if found is None:
        return None
    path, fmt = found
    raw = _raw(spark, path, fmt)
    if fmt == "csv":
        raw = raw.repartition(spark.sparkContext.defaultParallelism * 2)
    schema = ", ".join(
        [f"{_ROW} long"] + [f"`{n}` {'string' if k == 'text' else 'long'}" for n, k in keep.items()]
    )
    try:
        good = raw.mapInPandas(_validated(table, fmt, keep), schema=schema)  # type: ignore[arg-type]
    except Exception as exc:  # the file cannot be read at all
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path}: cannot read as {fmt} ({first})") from None
    key = list(TABLES[table].key)
    by_key = Window.partitionBy(*key).orderBy(_ROW)
    return (
        good.withColumn("_n", F.row_number().over(by_key)).where(F.col("_n") == 1).drop("_n", _ROW)
    )


def read_reposts(spark: SparkSession, folder: str) -> DataFrame:
    """The ``reposts`` table: ``repost_id, account_id, source_id, t`` (``t``: reposted_at in
    nanoseconds, UTC)."""
    df = read_table(
        spark,
        folder,
        "reposts",
        {"repost_id": "text", "account_id": "text", "source_id": "text", "reposted_at": "ns"},
    )
    if df is None:
        raise InputError(f"{folder}: no reposts table (reposts.csv, .jsonl or .parquet)")
    return df.withColumnRenamed("reposted_at", "t")


def read_contents(spark: SparkSession, folder: str) -> DataFrame | None:
    """The ``contents`` table: ``content_id, text`` (None when the folder has none)."""
    return read_table(spark, folder, "contents", {"content_id": "text", "text": "text"})
