"""The heavy joins of an analysis with Spark DataFrames, equal to the in-process ones.

- :func:`coactivity_edges`: the exact co-repost edge list of SPEC §3, what
  :func:`pileon.detectors.coactivity.coactivity` gives;
- :func:`corepost_counts`: each account's co-reposts, counted without building a pair
  (other accounts' reposts of the same source within the window of each of its reposts),
  what :func:`pileon.detectors.coactivity.coactivity_degree` gives (the features' count);
- :func:`text_pairs`: the near-duplicate text pairs of narratives: MinHash signatures
  computed with the same library, permutations and seed as
  :func:`pileon.graph.textsim.near_duplicate_pairs`, the same LSH bands, each candidate
  verified by the same exact Jaccard.

Skew.  A viral source is a hot key.  Pairs are built per ``(source, time bucket)`` with
buckets one window wide (a repost meets its own bucket and the next), so a source
reposted all day spreads over as many keys as it has windows, and Spark's adaptive skew
join splits what is still too large; the counts use range windows over the reposts
sorted by time (``O(n log n)`` per source, no pair).  The exact edge list has no
sampling: its size is the number of within-window pairs, which the in-process path
builds too (in bounded chunks).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pileon.detectors.coactivity_codes import window_ns
from pileon.graph.errors import InputError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = [
    "window_ns",
    "coactivity_edges",
    "corepost_counts",
    "own_texts",
    "text_pairs",
    "lsh_bands",
]

_NO_TIME = np.iinfo(np.int64).min


def _usable(reposts: DataFrame) -> DataFrame:
    from pyspark.sql import functions as F

    return reposts.where(
        F.col("account_id").isNotNull()
        & F.col("source_id").isNotNull()
        & (F.col("t") != F.lit(_NO_TIME))
    ).select("account_id", "source_id", "t")


def _codes(reposts: DataFrame, column: str) -> DataFrame:
    """``column, <column>_code``: a distinct long per distinct value of ``column`` (unique,
    not dense, in no particular order: ``monotonically_increasing_id`` over the distinct
    values), so that the pair stages compare and shuffle fixed-width longs, not strings.
    The table is materialised once (``localCheckpoint``): the IDs depend on the partitions,
    so coding and decoding must read the same copy, not two evaluations of the plan."""
    from pyspark.sql import functions as F

    return (
        reposts.select(column)
        .distinct()
        .withColumn(f"{column}_code", F.monotonically_increasing_id())
        .localCheckpoint(eager=True)
    )


def _source_pairs(reposts: DataFrame, w_ns: int) -> tuple[DataFrame, DataFrame]:
    """Distinct ``(source, a, b)`` as long codes (``a < b`` by code): two distinct accounts
    reposted the source at most ``w_ns`` apart.  Buckets of one window: a repost meets its
    bucket and the next.  Returns the pairs and the account codes (to decode them)."""
    from pyspark.sql import functions as F

    width = max(w_ns, 1)
    accounts = _codes(reposts, "account_id")
    coded = (
        reposts.join(accounts, on="account_id")
        .join(_codes(reposts, "source_id"), on="source_id")
        .select(
            F.col("source_id_code").alias("s"),
            F.col("account_id_code").alias("a"),
            "t",
            F.expr(f"t div {width}").alias("b"),
        )
    )
    right = coded.select(
        "s",
        F.col("a").alias("a2"),
        F.col("t").alias("t2"),
        F.explode(F.array(F.col("b"), F.col("b") - 1)).alias("b"),
    )
    j = coded.join(right, on=["s", "b"]).where(
        (F.col("a") != F.col("a2")) & (F.abs(F.col("t") - F.col("t2")) <= w_ns)
    )
    pairs = j.select("s", F.least("a", "a2").alias("lo"), F.greatest("a", "a2").alias("hi"))
    return pairs.distinct(), accounts


def coactivity_edges(reposts: DataFrame, *, window: float, min_weight: int = 1) -> DataFrame:
    """The co-repost edge list (SPEC §3): ``account_a < account_b, weight`` (long), pairs of
    distinct accounts that reposted the same source at most ``window`` seconds apart,
    weighted by the number of such sources, ``weight >= min_weight``; unsorted.

    ``reposts``: ``account_id, source_id, t`` (nanoseconds); rows missing one are left
    out, as the store never holds them.  Shuffles: the reposts once (by source and
    bucket), the pairs twice (distinct, then by pair), on long codes of the accounts and sources
    (the strings are joined back onto the edges at the end).
    """
    from pyspark.sql import functions as F

    w = window_ns(window)
    if isinstance(min_weight, bool) or not isinstance(min_weight, int) or min_weight < 1:
        raise InputError(f"min_weight must be an integer >= 1, got {min_weight!r}")
    pairs, accounts = _source_pairs(_usable(reposts), w)
    coded = pairs.groupBy("lo", "hi").agg(F.count(F.lit(1)).alias("weight"))
    if min_weight > 1:
        coded = coded.where(F.col("weight") >= min_weight)
    # decode (the code order is not the IDs' order: the pair is put in string order here)
    lo = accounts.select(F.col("account_id_code").alias("lo"), F.col("account_id").alias("x"))
    hi = accounts.select(F.col("account_id_code").alias("hi"), F.col("account_id").alias("y"))
    edges = coded.join(lo, on="lo").join(hi, on="hi")
    return edges.select(
        F.least("x", "y").alias("account_a"), F.greatest("x", "y").alias("account_b"), "weight"
    )


def corepost_counts(reposts: DataFrame, *, window: float) -> DataFrame:
    """``account_id, coreposts``: for each account, over its reposts, the reposts by OTHER
    accounts of the same source within ``window`` seconds (either side), counted without
    building a pair: a range window per source, minus the account's own reposts of the
    source in the same range (a range window per source and account).  Where
    every account reposts a source once, the account's weighted degree in
    :func:`coactivity_edges`.  ``O(n log n)``: two sorts, one shuffle by account."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    w = window_ns(window)
    r = _usable(reposts)
    near = Window.partitionBy("source_id").orderBy("t").rangeBetween(-w, w)
    own = Window.partitionBy("source_id", "account_id").orderBy("t").rangeBetween(-w, w)
    r = r.withColumn("_c", F.count(F.lit(1)).over(near) - F.count(F.lit(1)).over(own))
    return r.groupBy("account_id").agg(F.sum("_c").cast("long").alias("coreposts"))


# ------------------------------------------------------------------------ narratives' text


def own_texts(contents: DataFrame, *, min_chars: int = 6) -> DataFrame:
    """``norm``: the distinct texts narratives match on
    (:func:`pileon.detectors.narratives.own_texts`, the same function per partition),
    empty ones left out."""
    from pyspark.sql import functions as F

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        from pileon.detectors.narratives import own_texts as own

        for b in batches:
            norm = own(b["text"], min_chars=min_chars)
            yield pd.DataFrame({"norm": norm[norm != ""].to_numpy(dtype=object)})

    return (
        contents.select("text")
        .where(F.col("text").isNotNull())
        .mapInPandas(run, schema="norm string")  # type: ignore[arg-type]
        .distinct()
    )


def lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """``(b, r)``: the bands and rows per band datasketch's ``MinHashLSH`` picks for
    ``threshold`` and ``num_perm`` (default weights), as the in-process index uses."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return int(lsh.b), int(lsh.r)


def text_pairs(
    texts: DataFrame,
    *,
    threshold: float = 0.6,
    num_perm: int | None = None,
    bucket_cap: int | None = None,
) -> DataFrame:
    """``text_a < text_b, jaccard``: the near-duplicate pairs among ``texts`` (column
    ``norm``, distinct normalised texts), as
    :func:`pileon.graph.textsim.near_duplicate_pairs` finds them.

    Each text's MinHash signature (datasketch, ``num_perm`` permutations, seed 1, its
    character shingles: the in-process signature bit for bit) is cut into the ``b`` bands
    of ``r`` values the in-process LSH index uses; two texts sharing a band are a
    candidate (what the index's query returns), and a candidate is kept when the exact
    shingle Jaccard reaches ``threshold``.  Shuffles: the bands once (by band and value),
    the bucket ranks once, the candidates once (distinct).

    Skew: a band value shared by ``k`` texts (many near-identical texts) would make
    ``k(k-1)/2`` candidates.  As in process (:func:`pileon.graph.textsim.near_duplicate_links`),
    a text is a candidate only with the first ``bucket_cap`` texts of each bucket, in text
    order (Spark's binary string order is the code point order Python sorts by), so a
    bucket costs at most ``k · bucket_cap`` candidates and the capped candidates are the
    in-process ones.  The error this bounds is the one stated there: in a bucket of more
    than ``bucket_cap + 1`` texts, two texts past the first ``bucket_cap`` are not compared
    through that bucket, and stay apart unless another band or a chain of pairs joins them.

    Parameters
    ----------
    bucket_cap : int, optional
        Default :data:`pileon.graph.textsim.BUCKET_CAP`, the in-process default.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from pileon.graph.textsim import BUCKET_CAP, NUM_PERM

    perms = NUM_PERM if num_perm is None else int(num_perm)
    cap = BUCKET_CAP if bucket_cap is None else int(bucket_cap)
    if cap < 1:
        raise InputError("bucket_cap must be at least 1")
    b, r = lsh_bands(threshold, perms)

    def bands(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        from pileon.graph.textsim import _minhashes, shingles

        for batch in batches:
            norms = batch["norm"].tolist()
            mhs = _minhashes([shingles(t) for t in norms], num_perm=perms, seed=1)
            out_t, out_b, out_k = [], [], []
            for t, m in zip(norms, mhs):
                if m is None:
                    continue
                hv = m.hashvalues
                for i in range(b):
                    out_t.append(t)
                    out_b.append(i)
                    out_k.append(bytes(hv[i * r : (i + 1) * r].byteswap().data))
            yield pd.DataFrame({"norm": out_t, "band": out_b, "key": out_k})

    keyed = texts.mapInPandas(bands, schema="norm string, band int, key binary")  # type: ignore[arg-type]
    # each text's place in its bucket, in text order (texts are distinct: one place each)
    ranked = keyed.withColumn(
        "place", F.row_number().over(Window.partitionBy("band", "key").orderBy("norm")) - 1
    )
    first = ranked.where(F.col("place") < cap).select(
        "band", "key", F.col("norm").alias("text_a"), F.col("place").alias("place_a")
    )
    cand = (
        first.join(ranked, on=["band", "key"])
        .where(F.col("place_a") < F.col("place"))
        .select("text_a", F.col("norm").alias("text_b"))
        .distinct()
    )

    def verify(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        from pileon.graph.textsim import jaccard

        for batch in batches:
            s = np.array(
                [jaccard(a, c) for a, c in zip(batch["text_a"], batch["text_b"])], dtype=float
            )
            keep = s >= threshold
            yield pd.DataFrame(
                {
                    "text_a": batch["text_a"].to_numpy(dtype=object)[keep],
                    "text_b": batch["text_b"].to_numpy(dtype=object)[keep],
                    "jaccard": s[keep],
                }
            )

    return cand.mapInPandas(verify, schema="text_a string, text_b string, jaccard double")  # type: ignore[arg-type]
