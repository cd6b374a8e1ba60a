"""The Spark engine: the heavy joins of an analysis on Apache Spark (``pileon[spark]``).

Nothing here is imported unless a user asks for ``--engine spark``: the default path
never imports pyspark (``tests/test_spark.py`` checks it).  The engine reads the same
input tables that ``pileon ingest`` reads (:mod:`pileon.spark.tables`: CSV, JSONL or
Parquet, from a local folder or any Hadoop-compatible URI, each row validated by ingest's
own rules), computes with Spark DataFrames (:mod:`pileon.spark.joins`):

- the exact co-repost edge list of SPEC §3 (``pileon coactivity``);
- the per-account co-repost counts behind the features;
- the near-duplicate text pairs of narratives (MinHash LSH candidates, verified);
- the coordination detector's pairs in sync (:mod:`pileon.spark.coordination`: the same
  sampled pairs, counted per account pair; the chance test stays in process);

writes them as Parquet, and :mod:`pileon.service.spark` hands them to ``analyze``
(:class:`pileon.detectors.joins.Joins`), which takes them instead of computing them.

The session: :func:`session` (``master`` ``local[N]`` on one machine, or a cluster's
master URL); UTC session time, adaptive query execution with its skew-join split on.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from pileon.graph.errors import PileonError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["EngineUnavailable", "EngineFailed", "session", "active_session", "stop", "PYSPARK_HINT"]

PYSPARK_HINT = "install the Spark extra: pip install 'pileon[spark]' (and a Java 17 runtime)"


class EngineUnavailable(PileonError):
    """The Spark engine cannot start (pyspark or Java missing)."""

    exit_code = 3
    http_status = 503


class EngineFailed(PileonError):
    """A Spark job failed (the message names the step)."""

    exit_code = 4
    http_status = 500


def _pyspark() -> Any:
    try:
        import pyspark
    except ImportError:
        raise EngineUnavailable(f"--engine spark needs pyspark: {PYSPARK_HINT}") from None
    return pyspark


def session(
    master: str = "local[*]",
    *,
    shuffle_partitions: int | None = None,
    driver_memory: str | None = None,
    local_dir: str | None = None,
    conf: dict[str, str] | None = None,
) -> SparkSession:
    """A Spark session for pileon's joins (an existing one with the same master is reused).

    Parameters
    ----------
    master : str, default "local[*]"
        ``local[N]`` (N cores of this machine) or a cluster's master URL.
    shuffle_partitions : int, optional
        ``spark.sql.shuffle.partitions``; default 4 per local core (local) or Spark's
        default (cluster).  Adaptive execution coalesces small partitions either way.
    driver_memory : str, optional
        ``spark.driver.memory`` (local mode runs everything in the driver).
    local_dir : str, optional
        ``spark.local.dir``: where shuffles spill.
    conf : dict, optional
        More Spark settings.

    Raises
    ------
    EngineUnavailable
        pyspark is not installed or the JVM does not start (no Java).
    """
    _pyspark()
    from pyspark.sql import SparkSession

    # executors run the pandas steps with this interpreter (pileon installed in it)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    b = (
        SparkSession.builder.master(master)
        .appName("pileon")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.sql.adaptive.skewJoin.enabled", "true")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.parquet.compression.codec", "snappy")
    )
    if shuffle_partitions is None and master.startswith("local"):
        cores = master[master.find("[") + 1 : -1] if "[" in master else "1"
        n = (os.cpu_count() or 2) if cores in ("*", "") else int(cores.split(",")[0])
        shuffle_partitions = max(4 * n, 4)
    if shuffle_partitions is not None:
        b = b.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    if driver_memory:
        b = b.config("spark.driver.memory", driver_memory)
    if local_dir:
        b = b.config("spark.local.dir", local_dir)
    for k, v in (conf or {}).items():
        b = b.config(k, v)
    try:
        spark = b.getOrCreate()
    except Exception as exc:  # the JVM does not start: no Java, or a broken install
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EngineUnavailable(f"Spark did not start ({first}): {PYSPARK_HINT}") from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def active_session() -> SparkSession | None:
    """The Spark session active in this process (one a caller started), or None."""
    _pyspark()
    from pyspark.sql import SparkSession

    return SparkSession.getActiveSession()


def stop(spark: SparkSession) -> None:
    """Stop a session made by :func:`session`."""
    spark.stop()
