"""``--engine spark``: the heavy joins on Spark, handed to ``coactivity`` and ``analyze``.

::

    input tables (folder or URI) --Spark--> Parquet (edges, counts, text pairs)
                                                  |
    store (system of record) --project--> analyze <-- Joins --+--> report, findings -> store

The Spark job reads the input tables the store was loaded from
(:mod:`pileon.spark.tables`), keeps the event's items (its membership, read from the
store), computes the joins (:mod:`pileon.spark.joins`) and writes them as Parquet under
``work_dir``; :func:`read_joins` reads them back as a
:class:`pileon.detectors.joins.Joins`.  ``analyze`` refuses joins computed over other
reposts than the event's (the input must be what the store was loaded from).

Everything that imports pyspark is inside these functions: importing this module does
not.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import pandas as pd

from pileon.detectors.joins import TEXT_PAIR_COLUMNS, Joins
from pileon.graph.errors import InputError, PileonError
from pileon.graph.store import Store
from pileon.service.stages import Stages

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = [
    "spark_joins",
    "spark_analysis",
    "read_joins",
    "spark_coactivity",
    "event_members",
    "DEFAULT_MASTER",
]

DEFAULT_MASTER = "local[*]"
_META = "joins.json"


@contextmanager
def _failures() -> Iterator[None]:
    """A failed Spark job becomes one :class:`pileon.spark.EngineFailed` line."""
    from pileon.spark import EngineFailed

    try:
        yield
    except PileonError:
        raise
    except Exception as exc:  # a failed Spark job: one line, the first of its message
        text = str(exc).strip()
        first = next((ln for ln in text.splitlines() if ln.strip()), type(exc).__name__)
        raise EngineFailed(f"the Spark job failed: {first[:300]}") from None


@contextmanager
def _session(master: str, work_dir: Path, *, wrap: bool = True) -> Iterator[SparkSession]:
    """A Spark session for one job: the caller's active session when there is one (left
    running), else a new one on ``master`` (stopped at the end).  With ``wrap`` a failed
    Spark job in the body becomes one :class:`pileon.spark.EngineFailed` line."""
    from pileon.spark import active_session, session, stop

    spark = active_session()
    own = spark is None
    if spark is None:
        spark = session(master, local_dir=str(work_dir / "spark-tmp"))
    try:
        if wrap:
            with _failures():
                yield spark
        else:
            yield spark
    finally:
        if own:
            stop(spark)


def event_members(store: Store, event_id: str) -> pd.DataFrame:
    """The event's member IDs (``content_id``: contents and reposts), from the store."""
    from pileon.graph.errors import NotFound

    if store.frame("events", ids=[event_id]).empty:
        raise NotFound(f"unknown event {event_id!r}")
    return store.memberships(event_id)[["content_id"]].drop_duplicates()


def _members_df(spark: SparkSession, members: pd.DataFrame) -> DataFrame:
    from pyspark.sql import functions as F

    ids = members["content_id"].astype(str).tolist()
    df = spark.createDataFrame([(i,) for i in ids], schema="id string")
    return F.broadcast(df) if len(ids) <= 2_000_000 else df


def _write(df: DataFrame, path: Path, sort: list[str]) -> None:
    """Write ``df`` as Parquet, globally sorted by ``sort`` (part files in order)."""
    df.orderBy(*sort).write.mode("overwrite").parquet(str(path))


def spark_joins(
    store: Store,
    event_id: str,
    *,
    input_dir: str,
    work_dir: str | os.PathLike[str] | None = None,
    master: str = DEFAULT_MASTER,
    coact_window: float = 60.0,
    text_threshold: float = 0.6,
    min_chars: int = 6,
    show_progress: bool | TextIO = False,
) -> Joins:
    """Compute an event's heavy joins on Spark from the input tables; write and return them.

    The joins that are tables (co-repost counts, text pairs): the coordination detector's
    pairs in sync need the session while the analysis runs, :func:`spark_analysis`.

    Parameters
    ----------
    store : Store
        Holds the event (its membership says which items are the event's).
    event_id : str
        The event.
    input_dir : str
        The folder (local path or Hadoop-compatible URI) of the input tables the store was
        loaded from.
    work_dir : path, optional
        Where the Parquet outputs go (``coreposts/``, ``text_pairs/``, ``joins.json``);
        default a temporary folder, removed after reading.
    master : str, default "local[*]"
        Spark master.
    coact_window : float
        The features' co-repost window (as :func:`pileon.detectors.features.account_features`).
    text_threshold, min_chars : float, int
        The narratives' near-duplicate threshold and shortest text.
    show_progress : bool or stream
        One line per Spark stage.

    Returns
    -------
    Joins
        What ``analyze(..., joins=...)`` takes.

    Notes
    -----
    The cost model is ``docs/scale.md``: one read of the reposts and contents, one shuffle
    by source (and by source and account) for the co-repost counts, with no pair built,
    one by band for the text candidates.
    """
    with spark_analysis(
        store,
        event_id,
        input_dir=input_dir,
        work_dir=work_dir,
        master=master,
        coact_window=coact_window,
        text_threshold=text_threshold,
        min_chars=min_chars,
        show_progress=show_progress,
        coordination=False,
    ) as joins:
        return joins


@contextmanager
def spark_analysis(
    store: Store,
    event_id: str,
    *,
    input_dir: str,
    work_dir: str | os.PathLike[str] | None = None,
    master: str = DEFAULT_MASTER,
    coact_window: float = 60.0,
    text_threshold: float = 0.6,
    min_chars: int = 6,
    show_progress: bool | TextIO = False,
    coordination: bool = True,
) -> Iterator[Joins]:
    """The joins of :func:`spark_joins`, and with ``coordination`` the coordination
    detector's pairs in sync on the same Spark session, which stays up while the body
    runs (``with spark_analysis(...) as joins: analyze(..., joins=joins)``).

    The pairs in sync are counted on the acts the detector builds in process
    (:class:`pileon.spark.coordination.SparkPairs`; its Parquet under
    ``work_dir/coordination-1/``); the chance test then runs in process on the candidate
    pairs.  The session is stopped and a temporary ``work_dir`` removed on exit.
    """
    from pyspark.sql import functions as F

    from pileon.spark.coordination import SparkPairs
    from pileon.spark.joins import corepost_counts, own_texts, text_pairs
    from pileon.spark.tables import read_contents, read_reposts

    st = Stages(f"spark {event_id}", show=show_progress)
    temp = work_dir is None
    out = Path(tempfile.mkdtemp(prefix="pileon-spark-")) if temp else Path(work_dir)  # type: ignore[arg-type]
    out.mkdir(parents=True, exist_ok=True)
    try:
        with st.stage("members"):
            members = event_members(store, event_id)
        with _session(master, out, wrap=False) as spark:
            with _failures():
                ids = _members_df(spark, members)
                with st.stage("reposts"):
                    reposts = read_reposts(spark, input_dir).join(
                        ids, F.col("repost_id") == F.col("id"), "left_semi"
                    )
                    reposts = reposts.where(F.col("account_id").isNotNull()).cache()
                    n_reposts = reposts.count()
                with st.stage("coreposts"):
                    # the features' per-account count (coactivity_degree: no pair built)
                    counts = corepost_counts(reposts, window=coact_window)
                    _write(counts, out / "coreposts", ["account_id"])
                with st.stage("text pairs"):
                    contents = read_contents(spark, input_dir)
                    if contents is None:
                        pairs = spark.createDataFrame(
                            [], schema="text_a string, text_b string, jaccard double"
                        )
                    else:
                        mine = contents.join(ids, F.col("content_id") == F.col("id"), "left_semi")
                        pairs = text_pairs(
                            own_texts(mine, min_chars=min_chars), threshold=text_threshold
                        )
                    _write(pairs, out / "text_pairs", ["text_a", "text_b"])
                reposts.unpersist()
                meta = {
                    "event_id": event_id,
                    "input": input_dir,
                    "reposts": int(n_reposts),
                    "coact_window": float(coact_window),
                    "text_threshold": float(text_threshold),
                    "min_chars": int(min_chars),
                }
                (out / _META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
                joins = read_joins(out)
            if not coordination:
                yield joins
                return
            # the analysis runs in the body, outside the error wrapping of the joins
            yield replace(joins, synced_pairs=SparkPairs(spark, out, keep=not temp))
    finally:
        if temp:
            shutil.rmtree(out, ignore_errors=True)


def read_joins(work_dir: str | os.PathLike[str]) -> Joins:
    """The joins a Spark job wrote under ``work_dir`` (:func:`spark_joins`)."""
    d = Path(work_dir)
    try:
        meta: dict[str, Any] = json.loads((d / _META).read_text(encoding="utf-8"))
        coreposts = pd.read_parquet(d / "coreposts")
        pairs = pd.read_parquet(d / "text_pairs")
    except (OSError, ValueError) as exc:
        raise InputError(f"{d}: no joins of a Spark job here ({exc})") from None
    return Joins(
        text_pairs=pairs.loc[:, list(TEXT_PAIR_COLUMNS)].reset_index(drop=True),
        text_threshold=float(meta["text_threshold"]),
        coreposts=pd.Series(
            coreposts["coreposts"].to_numpy(dtype="int64"),
            index=pd.Index(coreposts["account_id"].astype(object), name="account_id"),
        ),
        coact_window=float(meta["coact_window"]),
        reposts=int(meta["reposts"]),
        event_id=str(meta["event_id"]),
    )


def spark_coactivity(
    *,
    input_dir: str,
    window: float,
    min_weight: int = 1,
    out: str | os.PathLike[str],
    store: Store | None = None,
    event_id: str | None = None,
    parquet_dir: str | os.PathLike[str] | None = None,
    master: str = DEFAULT_MASTER,
    show_progress: bool | TextIO = False,
) -> tuple[int, int]:
    """The co-repost edge list (SPEC §3) on Spark, written as CSV (and Parquet).

    Over every repost of the input tables, or the event's alone (``event_id``: its
    membership is read from ``store``).  The edge list is written as Parquet, sorted by
    ``(account_a, account_b)``, under ``parquet_dir`` (default a temporary folder), then
    streamed into the CSV ``out`` part file by part file (bounded memory).

    Returns ``(pairs, reposts)``: the rows written and the reposts read.
    """
    from pyspark.sql import functions as F

    from pileon.detectors.coactivity import COLUMNS
    from pileon.spark.joins import coactivity_edges
    from pileon.spark.tables import read_reposts

    if event_id is not None and store is None:
        raise InputError("--event needs the store that holds the event")
    st = Stages(f"spark coactivity{' ' + event_id if event_id else ''}", show=show_progress)
    temp = parquet_dir is None
    pq_dir = Path(tempfile.mkdtemp(prefix="pileon-spark-")) if temp else Path(parquet_dir)  # type: ignore[arg-type]
    pq_dir.mkdir(parents=True, exist_ok=True)
    try:
        members = event_members(store, event_id) if event_id and store is not None else None
        with _session(master, pq_dir) as spark:
            with st.stage("reposts"):
                reposts = read_reposts(spark, input_dir)
                if members is not None:
                    ids = _members_df(spark, members)
                    reposts = reposts.join(ids, F.col("repost_id") == F.col("id"), "left_semi")
                reposts = reposts.cache()
                n_reposts = reposts.count()
            with st.stage("edges"):
                edges = coactivity_edges(reposts, window=window, min_weight=min_weight)
                _write(edges, pq_dir / "edges", ["account_a", "account_b"])
        with st.stage("csv"):
            n = _parquet_to_csv(pq_dir / "edges", Path(out), list(COLUMNS))
        return n, int(n_reposts)
    finally:
        if temp:
            shutil.rmtree(pq_dir, ignore_errors=True)


def _parquet_to_csv(folder: Path, out: Path, columns: list[str]) -> int:
    """Stream the part files of a sorted Parquet folder into one CSV (header once)."""
    import pyarrow.parquet as pq

    parts = sorted(p for p in folder.glob("part-*") if p.suffix == ".parquet")
    n = 0
    try:
        with open(out, "w", encoding="utf-8", newline="") as f:
            f.write(",".join(columns) + "\n")
            for part in parts:
                for batch in pq.ParquetFile(part).iter_batches(batch_size=1 << 20):
                    df = batch.to_pandas().loc[:, columns]
                    # as write_coactivity_csv writes each row
                    df.to_csv(
                        f, header=False, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL
                    )
                    n += len(df)
    except OSError as exc:
        raise InputError(f"{out}: cannot write ({exc.strerror or exc})") from None
    return n
