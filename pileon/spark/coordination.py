"""The coordination detector's pairs in sync, counted on Spark: the same pairs, the same counts.

:func:`synced_pairs` is a drop-in for
:func:`pileon.detectors.coordination.pairs.synced_pairs` (same arguments, same
:class:`~pileon.detectors.coordination.pairs.SyncedPairs`, equal array for array): the
detector takes it through its ``pair_engine`` seam, and everything after the pairs (the
chance expectation :func:`~pileon.detectors.coordination.chance.expected_sync`, the test
:func:`~pileon.detectors.coordination.chance.test_pairs`, the clusters) runs the
in-process functions on the much smaller table of candidate pairs it returns.

What runs where::

    driver (O(n log n), n acts; the in-process functions)      Spark (O(P), P act pairs)
    per act and window: partners within the window   ----->   acts partitioned by item; per
    (window_counts), the item's sampling rate, how             partition the sampled pairs of
    many partners it keeps and its systematic-sampling         acts, to account pairs; items,
    offset (the seeded draws of sampled_window_pairs);         voices (those both follow
    the null's in-sync pairs per item; who follows             once) and act pairs per
    which voice (_Follows)                                     account pair and window

The pairs are the in-process sample exactly: each act keeps ``k_i`` of its ``c_i`` later
partners within the window, at offsets ``floor((m + v_i) c_i / k_i) + 1`` (``k_i`` and
``v_i`` from the same seeded draws in the same order), so the pairs of one item never
leave its partition.  Skew: an item's work is bounded as in process, about
``max_partners`` pairs per act whatever its crowd (``pair_budget`` over all), and a
partition's pairs are built ``chunk_pairs`` at a time.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pileon.detectors.coactivity import sampling_draws, window_counts
from pileon.detectors.coordination.acts import Acts
from pileon.detectors.coordination.pairs import SyncedPairs, _Follows, _jittered_pairs, below

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["synced_pairs", "window_plan", "SparkPairs"]

_ROWS = "w int, a long, b long, item long, n long, x long, y long"


def window_plan(
    acts: Acts,
    *,
    windows: tuple[float, ...],
    reaction: float = 600.0,
    jitter: float = 3_600.0,
    quiet_acts: int = 50,
    max_partners: int,
    pair_budget: int,
    seed: int = 0,
) -> tuple[pd.DataFrame, np.ndarray, list[float], int]:
    """The driver's part: per act and window its partners ``c``, kept partners ``k`` and
    offset draw ``v``; the null's in-sync pairs per item and window; the mean partners per
    window; the act pairs enumerated.  As :func:`~pileon.detectors.coordination.pairs.
    synced_pairs` computes them, line for line.  ``O(n log n)``, no pair built."""
    n_scales = len(windows)
    n_items = len(acts.items)
    in_sync = np.zeros((n_items, n_scales))
    n_rows = max(len(acts), 1)
    n_acts_item = np.bincount(acts.item, minlength=n_items)
    quiet = n_acts_item < quiet_acts
    budget = pair_budget / n_scales
    act_code = acts.act_codes()
    seen = np.bincount(act_code, minlength=1) if len(act_code) else np.zeros(0, np.int64)
    cols: dict[str, np.ndarray] = {
        "pos": np.arange(len(acts), dtype=np.int64),
        "item": acts.item.astype(np.int64),
        "account": acts.account.astype(np.int64),
        "act": act_code,
        # acts on several items (a comment that is also a copy): their act pairs may repeat
        "multi": seen[act_code] > 1 if len(act_code) else np.zeros(0, bool),
    }
    means: list[float] = []
    enumerated = 0
    for w, win in enumerate(windows):
        counts = window_counts(acts.item, acts.t, win)
        exact = np.bincount(acts.item, weights=counts, minlength=n_items)
        jit = _jittered_pairs(acts.item, acts.t, win, jitter)
        late = ~(acts.lag <= reaction) | quiet[acts.item]
        null = np.bincount(acts.item, weights=np.where(late, jit, counts), minlength=n_items)
        mean = float(max_partners)
        if min(float(exact.sum()), mean * n_rows) > budget:  # fewer partners per act
            mean = max(budget / n_rows, 1e-3)
        means.append(mean)
        rate, keep, v = sampling_draws(
            acts.item.astype(np.int64), counts, mean_partners=mean, seed=seed + w
        )
        full_rate = np.ones(n_items)
        full_rate[: len(rate)] = rate
        in_sync[:, w] = null * full_rate
        enumerated += int(keep.sum())
        cols[f"c{w}"], cols[f"k{w}"], cols[f"v{w}"] = counts.astype(np.int64), keep, v
    return pd.DataFrame(cols), in_sync, means, enumerated


def _partition_pairs(n_scales: int, n_acc: int, chunk_pairs: int) -> Any:
    """The ``mapInPandas`` function over acts partitioned by item (every act of an item in
    one partition): the partition's rows (``_ROWS``): per window, item and account pair,
    the distinct act pairs seen in sync (``x = y = -1``), and the act pairs of acts on
    several items (``x, y``), which may repeat on another item.  Vectorised over the
    partition's items; the pairs built ``chunk_pairs`` at a time."""

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        frames = [b for b in batches if len(b)]
        if not frames:
            return
        # acts sorted by their position: an item's acts are contiguous, in the driver's order
        df = pd.concat(frames, ignore_index=True).sort_values("pos", kind="stable")
        item = df["item"].to_numpy(dtype=np.int64)
        acc = df["account"].to_numpy(dtype=np.int64)
        act = df["act"].to_numpy(dtype=np.int64)
        multi = df["multi"].to_numpy(dtype=bool)
        # the same act twice on one item (never from coordination_acts): distinct act pairs
        twice = pd.DataFrame({"i": item, "a": act}).duplicated().any()
        mcodes = np.unique(act[multi])  # acts on several items
        for w in range(n_scales):
            c = df[f"c{w}"].to_numpy(dtype=np.int64)
            k = df[f"k{w}"].to_numpy(dtype=np.int64)
            v = df[f"v{w}"].to_numpy(dtype=np.float64)
            if not k.any():
                continue
            counted, extra = [], []
            cum = np.cumsum(k)
            start = 0
            while start < len(k):  # rows whose kept partners sum to about chunk_pairs
                stop = int(np.searchsorted(cum, cum[start] - k[start] + chunk_pairs, "right"))
                stop = min(max(stop, start + 1), len(k))
                kk = k[start:stop]
                first = np.repeat(np.arange(start, stop, dtype=np.int64), kk)
                start = stop
                if len(first) == 0:
                    continue
                # the systematic sample of sampled_window_pairs: partner m of row i
                m = np.arange(len(first)) - np.repeat(np.cumsum(kk) - kk, kk)
                cf, kf = c[first], k[first]
                off = np.floor((m + v[first]) * cf / kf).astype(np.int64) + 1
                second = first + np.minimum(off, cf)
                a, b = acc[first], acc[second]
                other = a != b
                key = np.minimum(a, b)[other] * np.int64(n_acc) + np.maximum(a, b)[other]
                it = item[first][other]
                x, y = act[first][other], act[second][other]
                rows = pd.DataFrame(
                    {"item": it, "k": key, "x": np.minimum(x, y), "y": np.maximum(x, y)}
                )
                if twice:
                    rows = rows.drop_duplicates()
                counted.append(rows.groupby(["item", "k"], sort=False).size().rename("n"))
                both = np.isin(rows["x"].to_numpy(), mcodes) & np.isin(rows["y"].to_numpy(), mcodes)
                if both.any():
                    extra.append(rows[both])
            if not counted:
                continue
            n = pd.concat(counted).groupby(level=[0, 1], sort=False).sum().reset_index()
            kk_ = n["k"].to_numpy(dtype=np.int64)
            yield pd.DataFrame(
                {
                    "w": np.full(len(n), w, dtype=np.int32),
                    "a": kk_ // n_acc,
                    "b": kk_ % n_acc,
                    "item": n["item"].to_numpy(dtype=np.int64),
                    "n": n["n"].to_numpy(dtype=np.int64),
                    "x": np.full(len(n), -1, dtype=np.int64),
                    "y": np.full(len(n), -1, dtype=np.int64),
                }
            )
            if extra:
                e = pd.concat(extra, ignore_index=True).drop_duplicates()
                ek = e["k"].to_numpy(dtype=np.int64)
                yield pd.DataFrame(
                    {
                        "w": np.full(len(e), w, dtype=np.int32),
                        "a": ek // n_acc,
                        "b": ek % n_acc,
                        "item": e["item"].to_numpy(dtype=np.int64),
                        "n": np.zeros(len(e), dtype=np.int64),
                        "x": e["x"].to_numpy(dtype=np.int64),
                        "y": e["y"].to_numpy(dtype=np.int64),
                    }
                )

    return run


def _pair_table(
    spark: SparkSession,
    plan: pd.DataFrame,
    follows: _Follows,
    ctx_of_item: np.ndarray,
    *,
    n_scales: int,
    n_acc: int,
    chunk_pairs: int,
    folder: Path,
) -> DataFrame:
    """Per account pair (``a < b``): ``o0, c0, o1, c1, ...``, the observed items and the
    contexts per window (:class:`SyncedPairs`), every pair seen in sync in any window."""
    from pyspark.sql import functions as F

    plan.to_parquet(folder / "acts.parquet", index=False)
    n_items = len(ctx_of_item)
    pd.DataFrame(
        {
            "item": np.arange(n_items, dtype=np.int64),
            "voice": ctx_of_item.astype(np.int64),
            "crowd": np.asarray(follows.crowd[:n_items], dtype=bool),
        }
    ).to_parquet(folder / "items.parquet", index=False)
    pd.DataFrame(
        {"account": follows.keys // follows.n_ctx, "voice": follows.keys % follows.n_ctx}
    ).astype("int64").to_parquet(folder / "follows.parquet", index=False)

    acts = spark.read.parquet(str(folder / "acts.parquet"))
    items = F.broadcast(spark.read.parquet(str(folder / "items.parquet")))
    fol = spark.read.parquet(str(folder / "follows.parquet"))
    parts = int(spark.conf.get("spark.sql.shuffle.partitions") or 8)
    rows = (
        acts.repartition(parts, "item")
        .mapInPandas(_partition_pairs(n_scales, n_acc, chunk_pairs), schema=_ROWS)
        .persist()
    )
    key = ["w", "a", "b"]
    # act pairs of acts on several items, counted once: what the per-item counts repeat
    dup = (
        rows.where(F.col("x") >= 0)
        .groupBy(*key)
        .agg((F.count(F.lit(1)) - F.countDistinct("x", "y")).alias("dup"))
    )
    r1 = rows.where(F.col("x") < 0).drop("x", "y").join(items, "item")
    fa = fol.select(F.col("account").alias("a"), "voice", F.lit(True).alias("fa"))
    fb = fol.select(F.col("account").alias("b"), "voice", F.lit(True).alias("fb"))
    r1 = r1.join(fa, ["a", "voice"], "left").join(fb, ["b", "voice"], "left")
    both = F.col("crowd") & F.col("fa").isNotNull() & F.col("fb").isNotNull()
    per = (
        r1.groupBy(*key)
        .agg(
            F.sum(F.when(both, 0).otherwise(1)).alias("nb"),
            F.countDistinct(F.when(both, F.col("voice"))).alias("vb"),
            F.countDistinct("voice").alias("ctx"),
            F.sum("n").alias("nact"),
        )
        .join(dup, key, "left")
        .fillna(0, subset=["dup"])
        .select(
            *key,
            F.least(F.col("nb") + F.col("vb"), F.col("nact") - F.col("dup")).alias("obs"),
            F.col("ctx"),
        )
    )
    aggs = []
    for w in range(n_scales):
        on = F.col("w") == w
        aggs.append(
            F.coalesce(F.max(F.when(on, F.col("obs"))), F.lit(0)).cast("long").alias(f"o{w}")
        )
        aggs.append(
            F.coalesce(F.max(F.when(on, F.col("ctx"))), F.lit(0)).cast("long").alias(f"c{w}")
        )
    return per.groupBy("a", "b").agg(*aggs)


def synced_pairs(
    spark: SparkSession,
    acts: Acts,
    *,
    windows: tuple[float, ...],
    min_contexts: int,
    min_items: int = 2,
    min_voice_items: int = 4,
    reaction: float = 600.0,
    jitter: float = 3_600.0,
    quiet_acts: int = 50,
    every: Acts | None = None,
    max_partners: int,
    pair_budget: int,
    seed: int = 0,
    chunk_pairs: int = 1 << 22,
    show_progress: bool = False,
    work_dir: str | os.PathLike[str] | None = None,
) -> SyncedPairs:
    """:func:`pileon.detectors.coordination.pairs.synced_pairs` with its pairs on Spark.

    Parameters
    ----------
    spark : SparkSession
        A running session (:func:`pileon.spark.session`).
    acts, windows, min_contexts, min_items, min_voice_items, reaction, jitter, quiet_acts, every, max_partners, pair_budget, seed, chunk_pairs
        As the in-process function (``chunk_pairs``: pairs of one item counted at once).
    show_progress : bool
        Unused (Spark runs the stages); accepted for the same call.
    work_dir : path, optional
        Where the acts and the candidate pairs are written as Parquet (``acts.parquet``,
        ``pairs/``); default a temporary folder, removed at the end.

    Returns
    -------
    SyncedPairs
        Equal, array for array, to the in-process function's on the same acts.

    Notes
    -----
    Driver ``O(n log n)`` for ``n`` acts (no pair); Spark ``O(P)`` for the ``P <=
    min(n * max_partners * W, pair_budget)`` sampled act pairs: one shuffle of the acts by
    item, then the rows ``R <= P`` (distinct account pairs per item and window) twice by
    account and voice (the voices both follow), once by account pair and window (the
    counts) and once by pair (the windows side by side).  Only the candidate pairs come
    back to the driver (as Parquet).
    """
    from pyspark.sql import functions as F

    del show_progress
    n_scales = len(windows)
    n_items = len(acts.items)
    n_acc = int(max(len(acts.accounts), 1))
    ctx_of_item = np.zeros(n_items, dtype=np.int64)
    ctx_of_item[acts.item] = acts.context
    plan, in_sync, means, enumerated = window_plan(
        acts,
        windows=windows,
        reaction=reaction,
        jitter=jitter,
        quiet_acts=quiet_acts,
        max_partners=max_partners,
        pair_budget=pair_budget,
        seed=seed,
    )
    follows = _Follows(acts if every is None else every, ctx_of_item, min_voice_items, reaction)
    temp = work_dir is None
    folder = Path(tempfile.mkdtemp(prefix="pileon-sync-")) if temp else Path(work_dir)  # type: ignore[arg-type]
    folder.mkdir(parents=True, exist_ok=True)
    try:
        table = _pair_table(
            spark,
            plan,
            follows,
            ctx_of_item,
            n_scales=n_scales,
            n_acc=n_acc,
            chunk_pairs=chunk_pairs,
            folder=folder,
        ).persist()
        tested = table.count()
        o = [F.col(f"o{w}") for w in range(n_scales)]
        c = [F.col(f"c{w}") for w in range(n_scales)]
        best_o = F.greatest(*o) if n_scales > 1 else o[0]
        best_c = F.greatest(*c) if n_scales > 1 else c[0]
        cand = table.where((best_c >= min_contexts) & (best_o >= min_items))
        cand.orderBy("a", "b").write.mode("overwrite").parquet(str(folder / "pairs"))
        table.unpersist()
        got = pd.read_parquet(folder / "pairs") if tested else pd.DataFrame()
    finally:
        if temp:
            shutil.rmtree(folder, ignore_errors=True)
    if len(got):
        got = got.sort_values(["a", "b"], kind="stable")
    k = len(got)
    observed = np.zeros((k, n_scales), dtype=np.int64)
    contexts = np.zeros((k, n_scales), dtype=np.int64)
    for w in range(n_scales):
        if k:
            observed[:, w] = got[f"o{w}"].to_numpy(dtype=np.int64)
            contexts[:, w] = got[f"c{w}"].to_numpy(dtype=np.int64)
    below(observed, contexts, max(min(min_items, min_contexts), 1))
    return SyncedPairs(
        a=got["a"].to_numpy(dtype=np.int64) if k else np.zeros(0, np.int64),
        b=got["b"].to_numpy(dtype=np.int64) if k else np.zeros(0, np.int64),
        observed=observed,
        contexts=contexts,
        tested=int(tested),
        in_sync=in_sync,
        mean_partners=float(min(means)) if means else float(max_partners),
        enumerated=int(enumerated),
    )


class SparkPairs:
    """``synced_pairs`` bound to a Spark session: what the coordination detector's
    ``pair_engine`` takes (:attr:`pileon.detectors.joins.Joins.synced_pairs`).  Each call
    writes under ``work_dir/coordination-N`` (kept when ``keep``)."""

    def __init__(self, spark: SparkSession, work_dir: Path, *, keep: bool = False) -> None:
        self.spark = spark
        self.work_dir = Path(work_dir)
        self.keep = keep
        self.calls = 0

    def __call__(self, acts: Acts, **options: Any) -> SyncedPairs:
        from pileon.graph.errors import PileonError
        from pileon.spark import EngineFailed

        self.calls += 1
        folder = self.work_dir / f"coordination-{self.calls}"
        try:
            return synced_pairs(self.spark, acts, work_dir=folder, **options)
        except PileonError:
            raise
        except Exception as exc:  # a failed Spark job: one line, the first of its message
            text = str(exc).strip()
            first = next((ln for ln in text.splitlines() if ln.strip()), type(exc).__name__)
            raise EngineFailed(f"the Spark job (pairs in sync) failed: {first[:300]}") from None
        finally:
            if not self.keep:
                for name in ("acts.parquet", "items.parquet", "follows.parquet"):
                    (folder / name).unlink(missing_ok=True)
