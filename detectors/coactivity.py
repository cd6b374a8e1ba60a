"""Co-repost (co-activity) network: who reposted the same content close in time.

Every co-activity count of pileon comes from here: :func:`window_counts` (how many
later acts on the same item fall within a window, by one sort and one binary search),
:func:`window_pairs` (the within-window pairs themselves, in bounded chunks, each act
paired with at most a given number of partners), :func:`coactivity` (the exact edge list
of ``pileon coactivity``), :func:`coactivity_degree` (an account's co-reposts, counted
without building a pair) and the coordinated-cluster detector
(:mod:`pileon.detectors.coordination`).

SPEC §3 defines the ``pileon coactivity`` edge list: one row per unordered
pair of distinct accounts that reposted the same ``source_id`` at most
``window`` seconds apart, weighted by the number of such sources.  It is the
co-retweet network of the peer tool ``coordination-network-toolkit`` (1.5.2)
whenever each account reposts a content once; ``bench/peer.py`` runs the peer
and ``tests/test_coactivity.py`` checks the two agree pair for pair.

The computation is vectorised: one sort, one ``searchsorted`` to find every
repost's window, then the within-window pairs are generated as arrays in
bounded chunks and aggregated by sorting integer pair keys.  No Python loop
runs over sources or pairs; the only loop is over chunks of at most
``chunk_pairs`` candidate pairs, so a viral source with thousands of reposts in
a minute costs memory proportional to the chunk, not to its pair count.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from pileon.detectors.coactivity_codes import window_ns as _window_ns
from pileon.graph.arrays import spans
from pileon.graph.errors import InputError

__all__ = [
    "coactivity",
    "coactivity_degree",
    "write_coactivity_csv",
    "window_counts",
    "window_counts_many",
    "window_pairs",
    "sampled_window_pairs",
    "COLUMNS",
]

#: Columns of the edge list, in order (also the CSV header).
COLUMNS = ("account_a", "account_b", "weight")

_REQUIRED = ("account_id", "source_id", "reposted_at")


def coactivity(
    reposts: pd.DataFrame,
    *,
    window: float,
    min_weight: int = 1,
    chunk_pairs: int = 1 << 20,
    show_progress: bool = False,
) -> pd.DataFrame:
    """Co-repost edge list of the accounts in `reposts`.

    Parameters
    ----------
    reposts : pandas.DataFrame
        One row per repost with columns ``account_id`` (str), ``source_id``
        (str, the reposted content) and ``reposted_at`` (datetime64; naive
        values are read as UTC, strings are parsed).  Other columns are
        ignored.
    window : float
        Maximum distance in seconds between two reposts of the same source for
        them to count as co-activity; the bound is inclusive
        (``|t_a - t_b| <= window``).  Resolved to whole nanoseconds.
    min_weight : int, default 1
        Keep only pairs whose weight is at least this.
    chunk_pairs : int, default 2**20
        Upper bound on the candidate pairs materialised at once (a single
        repost whose window holds more partners is processed alone).  Lower it
        to save memory, raise it for speed.
    show_progress : bool, default False
        Show a tqdm bar over candidate pairs.

    Returns
    -------
    pandas.DataFrame
        Columns ``account_a``, ``account_b`` (str, ``account_a < account_b``)
        and ``weight`` (int64): the number of distinct sources both accounts
        reposted within `window` of each other.  One row per unordered pair
        with ``weight >= min_weight``, sorted by ``(account_a, account_b)``,
        with a fresh ``RangeIndex``.

    Raises
    ------
    pileon.graph.errors.InputError
        If a required column is missing, holds nulls or unparseable times, or
        if `window` is negative / not finite or `min_weight` < 1.

    Notes
    -----
    *Multiple reposts.*  An account may repost the same source several times.
    A pair of accounts counts once for a source if **any** repost of one is
    within `window` of **any** repost of the other; an account is never paired
    with itself.  Where every account reposts a source at most once this is
    exactly the peer tool's co-retweet weight.

    *Algorithm.*  Reposts are sorted by (source, time).  For repost ``i`` the
    window end ``e_i`` is the first later repost of another source or beyond
    ``t_i + window`` (one ``searchsorted`` on a composite key of source code
    and time rank), so ``c_i = e_i - i - 1`` partners follow it.  The ``P =
    sum c_i`` candidate pairs are generated with ``repeat``/``arange`` in
    chunks of about `chunk_pairs`; self-pairs are dropped; pairs involving an
    account that reposted the source more than once are de-duplicated per
    (source, pair) (only those can repeat); the rest are unique by
    construction.  Each pair is encoded as ``lo * n_accounts + hi``; chunk
    counts are folded into a sorted array of distinct keys and weights
    (``searchsorted`` to add to known keys, ``insert`` for new ones), folds
    being deferred until the buffer holds a quarter of the running result.

    *Complexity.*  Time ``O(n log n + P log C)`` with ``n`` reposts, ``P``
    within-window candidate pairs and ``C`` the chunk size; memory ``O(n + C +
    U)`` where ``U`` is the number of distinct output pairs (plus the distinct
    multi-repost pairs of one source straddling a chunk boundary).

    Examples
    --------
    >>> import pandas as pd
    >>> reposts = pd.DataFrame({
    ...     "account_id": ["a", "b", "c", "a", "b"],
    ...     "source_id": ["s1", "s1", "s1", "s2", "s2"],
    ...     "reposted_at": pd.to_datetime(
    ...         ["2026-03-01T08:00:00Z", "2026-03-01T08:00:30Z",
    ...          "2026-03-01T09:00:00Z", "2026-03-01T10:00:00Z",
    ...          "2026-03-01T10:01:00Z"]),
    ... })
    >>> coactivity(reposts, window=60)
      account_a account_b  weight
    0         a         b       2
    """
    window_ns = _window_ns(window)
    if (
        isinstance(min_weight, bool)
        or not isinstance(min_weight, (int, np.integer))
        or min_weight < 1
    ):
        raise InputError(f"min_weight must be an integer >= 1, got {min_weight!r}")
    if chunk_pairs < 1:
        raise InputError(f"chunk_pairs must be >= 1, got {chunk_pairs!r}")
    account_codes, accounts, source_codes, times = _encode(reposts)
    n_accounts = len(accounts)
    if len(times) < 2:
        return _empty()

    # Sort by (source, time); ties broken by account so the order is stable.
    order = np.lexsort((account_codes, times, source_codes))
    src = source_codes[order]
    acc = account_codes[order]
    t = times[order]

    counts = window_counts(src, t, window_ns)
    multi = _multi_reposts(src, acc, n_accounts)

    acc_pairs = _PairCounter(flush_at=chunk_pairs)
    pending = pd.DataFrame({"src": np.empty(0, np.int64), "pid": np.empty(0, np.int64)})
    total = int(counts.sum())
    n = len(t)
    with tqdm(total=total, disable=not show_progress, unit="pair", desc="co-reposts") as bar:
        for start, stop in _chunks(counts, chunk_pairs):
            c = counts[start:stop]
            n_pairs = int(c.sum())
            bar.update(n_pairs)
            if n_pairs == 0:
                continue
            rows = np.arange(start, stop, dtype=np.int64)
            first = np.repeat(rows, c)
            second = spans(rows + 1, c)
            a = acc[first]
            b = acc[second]
            distinct = a != b
            lo = np.minimum(a, b)[distinct]
            hi = np.maximum(a, b)[distinct]
            pid = lo * n_accounts + hi
            del lo, hi
            needs_dedupe = (multi[first] | multi[second])[distinct]
            acc_pairs.add(pid[~needs_dedupe])
            if needs_dedupe.any() or len(pending):
                fresh = pd.DataFrame(
                    {"src": src[first][distinct][needs_dedupe], "pid": pid[needs_dedupe]}
                )
                pending = pd.concat([pending, fresh], ignore_index=True).drop_duplicates()
                # Only the last source of this chunk may continue into the next.
                open_src = src[stop - 1] if stop < n and src[stop] == src[stop - 1] else -1
                done = pending["src"].to_numpy() != open_src
                acc_pairs.add(pending["pid"].to_numpy()[done])
                pending = pending.loc[~done].reset_index(drop=True)
            del first, second, a, b, distinct, pid, needs_dedupe
    acc_pairs.add(pending["pid"].to_numpy())

    pids, weights = acc_pairs.result()
    del acc_pairs
    if min_weight > 1:
        keep = weights >= min_weight
        pids, weights = pids[keep], weights[keep]
        del keep
    first_code = pids // n_accounts
    pids -= first_code * n_accounts  # now the second account's code
    account_a = accounts.take(first_code)
    del first_code
    account_b = accounts.take(pids)
    del pids
    return pd.DataFrame(
        {
            "account_a": account_a,
            "account_b": account_b,
            "weight": weights.astype(np.int64, copy=False),
        },
        columns=list(COLUMNS),
        copy=False,
    )


def write_coactivity_csv(df: pd.DataFrame, path: str | os.PathLike) -> int:
    """Write a co-repost edge list as CSV with header ``account_a,account_b,weight``.

    Parameters
    ----------
    df : pandas.DataFrame
        The result of :func:`coactivity` (any frame with those three columns).
    path : str or os.PathLike
        Destination file (UTF-8, ``\\n`` line endings); overwritten.

    Returns
    -------
    int
        The number of edge rows written (header excluded).

    Notes
    -----
    Linear in the number of rows.
    """
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"edge list lacks column(s) {', '.join(missing)}")
    out = df.loc[:, list(COLUMNS)]
    out.to_csv(path, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL, encoding="utf-8")
    return len(out)


# --------------------------------------------------------------------------- helpers


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_a": pd.Series([], dtype=object),
            "account_b": pd.Series([], dtype=object),
            "weight": pd.Series([], dtype=np.int64),
        }
    )


def _encode(reposts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Integer codes for accounts (in sorted string order), sources, and ns times."""
    if not isinstance(reposts, pd.DataFrame):
        raise InputError(f"reposts must be a pandas DataFrame, got {type(reposts).__name__}")
    missing = [c for c in _REQUIRED if c not in reposts.columns]
    if missing:
        raise InputError(f"reposts lack column(s) {', '.join(missing)}")
    for col in ("account_id", "source_id"):
        if reposts[col].isna().any():
            raise InputError(f"reposts.{col} has missing values")
    when = reposts["reposted_at"]
    if not (pd.api.types.is_datetime64_any_dtype(when)):
        try:
            when = pd.to_datetime(when, utc=True, format="ISO8601")
        except (ValueError, TypeError) as exc:
            raise InputError(f"reposts.reposted_at cannot be read as timestamps: {exc}") from None
    if when.isna().any():
        raise InputError("reposts.reposted_at has missing values")
    if isinstance(when.dtype, pd.DatetimeTZDtype):
        when = when.dt.tz_convert("UTC").dt.tz_localize(None)
    times = when.to_numpy(dtype="datetime64[ns]").view(np.int64)
    account_codes, accounts = pd.factorize(reposts["account_id"].astype(str), sort=True)
    source_codes, _ = pd.factorize(reposts["source_id"].astype(str), sort=False)
    return (
        account_codes.astype(np.int64),
        np.asarray(accounts, dtype=object),
        source_codes.astype(np.int64),
        times,
    )


def window_counts(group: np.ndarray, t: np.ndarray, window: float | int) -> np.ndarray:
    """For rows sorted by ``(group, t)``: how many LATER rows share the group and lie within
    ``window`` (``t_j - t_i <= window``, in the unit of ``t``).

    One sort-free binary search over a composite key of group code and time rank:
    ``O(n log n)``, no pair is built.  ``group`` holds non-negative integer codes in
    non-decreasing order; ``t`` (int or float) is non-decreasing within a group.

    >>> window_counts(np.array([0, 0, 0, 1, 1]), np.array([0, 5, 20, 0, 1]), 10)
    array([1, 0, 0, 1, 0])
    """
    n = len(t)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    group = np.asarray(group, dtype=np.int64)
    t_rel = t - t.min()
    w = min(window, t_rel.max())  # a window wider than the span changes nothing
    if np.issubdtype(t_rel.dtype, np.integer) and w >= 0:
        # integer times: the key group * span + t is exact when it fits in an int64, and
        # t + floor(w) never reaches the next group's keys (no ranking sort of 2n values)
        w_int = int(np.floor(w))
        span = int(t_rel.max()) + w_int + 1
        if (int(group[-1]) + 1) * span < 2**62:
            key = group * np.int64(span) + t_rel.astype(np.int64)
            end = np.searchsorted(key, key + w_int, side="right")
            return (end - np.arange(n, dtype=np.int64) - 1).astype(np.int64)
    if np.issubdtype(t_rel.dtype, np.floating) and not np.isnan(t_rel).any():
        return window_counts_many(group, t, [window])[0]
    # Rank t and t + w on one scale so (group, rank) fits in an int64 key.
    scale, ranks = np.unique(np.concatenate([t_rel, t_rel + w]), return_inverse=True)
    base = group * np.int64(len(scale))
    key = base + ranks[:n]
    end = np.searchsorted(key, base + ranks[n:], side="right")
    return (end - np.arange(n, dtype=np.int64) - 1).astype(np.int64)


def window_counts_many(
    group: np.ndarray, t: np.ndarray, windows: Sequence[float | int]
) -> list[np.ndarray]:
    """:func:`window_counts` for each of ``windows``, the rows ranked once.

    Float times (without NaN) are ranked by one sort: ``r(x)``, the number of times at
    most ``x``, orders the times as they are (``t_j <= x`` exactly when ``r(t_j) <=
    r(x)``), so the key ``group * (n + 1) + r(t)`` and the bound ``group * (n + 1) +
    r(t + w)`` count the same rows as the times themselves, and the sorted times give
    ``r`` by searches in order.  ``O(n log n)`` once, then ``O(n)`` searches per window
    (the keys and bounds are sorted).  Whole-number float times with whole windows are
    counted as integers (exact: a binary search per window, no ranking).  Other times:
    :func:`window_counts` per window.

    >>> g, t = np.array([0, 0, 0, 1, 1]), np.array([0.0, 5.0, 20.0, 0.0, 1.0])
    >>> [c.tolist() for c in window_counts_many(g, t, [10, 30])]
    [[1, 0, 0, 1, 0], [2, 1, 0, 1, 0]]
    """
    n = len(t)
    if n == 0:
        return [np.zeros(0, dtype=np.int64) for _ in windows]
    t_rel = t - t.min()
    if not np.issubdtype(t_rel.dtype, np.floating) or np.isnan(t_rel).any():
        return [window_counts(group, t, w) for w in windows]
    group = np.asarray(group, dtype=np.int64)
    top = float(t_rel.max())
    if top < 2**52 and all(float(min(w, top)).is_integer() for w in windows):
        # whole numbers (seconds, say) and whole windows: the float sums are exact, so
        # the integer times count the same rows
        whole = t_rel.astype(np.int64)
        if np.array_equal(whole, t_rel):
            return [window_counts(group, whole, int(min(w, top))) for w in windows]
    order = np.argsort(t_rel)
    srt = t_rel[order]
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.searchsorted(srt, srt, side="right")
    base = group * np.int64(n + 1)
    key = base + rank
    rows = np.arange(n, dtype=np.int64) + 1
    out = []
    for window in windows:
        w = min(window, t_rel.max())  # as window_counts: no wider than the span
        rank[order] = np.searchsorted(srt, srt + w, side="right")
        end = np.searchsorted(key, base + rank, side="right")
        out.append((end - rows).astype(np.int64))
    return out


def window_pairs(
    group: np.ndarray,
    t: np.ndarray,
    window: float | int,
    *,
    max_partners: int | None = None,
    chunk_pairs: int = 1 << 22,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The within-window pairs of rows sorted by ``(group, t)``, in chunks.

    Each row ``i`` is paired with the rows that follow it in its group within
    ``window`` (:func:`window_counts`), at most ``max_partners`` of them: the nearest in
    time.  Yields ``(first, second)`` arrays of row positions (``first < second``), about
    ``chunk_pairs`` pairs at a time.

    Parameters
    ----------
    group, t : numpy.ndarray
        Group codes (non-decreasing) and times (non-decreasing within a group).
    window : float or int
        Inclusive bound on ``t_second - t_first``.
    max_partners : int, optional
        Cap on the partners of one row (None: every partner, the exact pairs).  With a
        cap the number of pairs is at most ``n * max_partners``, whatever the density:
        where a row has more partners than the cap, only its ``max_partners`` nearest
        later ones are paired, so the pairs of that window are a sample whose size
        :func:`window_counts` tells exactly (``min(count, cap)`` per row).
    chunk_pairs : int, default 2**22
        About how many pairs each chunk holds (a row is never split).

    Notes
    -----
    ``O(n log n + P)`` for ``P`` pairs yielded; memory ``O(n + chunk_pairs)``.

    >>> g, t = np.array([0, 0, 0, 0]), np.array([0, 1, 2, 30])
    >>> [(a.tolist(), b.tolist()) for a, b in window_pairs(g, t, 10)]
    [([0, 0, 1], [1, 2, 2])]
    >>> [(a.tolist(), b.tolist()) for a, b in window_pairs(g, t, 10, max_partners=1)]
    [([0, 1], [1, 2])]
    """
    counts = window_counts(group, t, window)
    if max_partners is not None:
        np.minimum(counts, max_partners, out=counts)
    for start, stop in _chunks(counts, chunk_pairs):
        c = counts[start:stop]
        if not c.any():
            continue
        rows = np.arange(start, stop, dtype=np.int64)
        yield np.repeat(rows, c), spans(rows + 1, c)


def sampling_draws(
    group: np.ndarray, counts: np.ndarray, *, mean_partners: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The seeded draws behind :func:`sampled_window_pairs`: ``(rate per group, partners
    kept per row, offset draw per row)`` for rows of ``group`` with ``counts`` later
    partners each.  Every engine that must pick the same pairs draws through here.  O(n)."""
    n_groups = int(group.max()) + 1 if len(group) else 0
    pairs_g = np.bincount(group, weights=counts, minlength=n_groups)
    rows_g = np.bincount(group, minlength=n_groups)
    rate = np.minimum(
        1.0, np.divide(mean_partners * rows_g, pairs_g, out=np.ones(n_groups), where=pairs_g > 0)
    )
    rng = np.random.default_rng(seed)
    u, v = rng.random(len(counts)), rng.random(len(counts))
    r = rate[group] if len(group) else np.zeros(0)
    keep = np.where(r >= 1.0, counts, np.floor(r * counts + u).astype(np.int64))
    return rate, np.minimum(keep, counts), v


def sampled_window_pairs(
    group: np.ndarray,
    t: np.ndarray,
    window: float | int,
    *,
    mean_partners: float,
    seed: int = 0,
    chunk_pairs: int = 1 << 22,
    counts: np.ndarray | None = None,
) -> tuple[np.ndarray, Iterator[tuple[np.ndarray, np.ndarray]]]:
    """A uniform sample of the within-window pairs of rows sorted by ``(group, t)``.

    Every group ``g`` keeps each of its ``P_g`` within-window pairs with the same
    probability ``rate_g = min(1, mean_partners * n_g / P_g)`` (``n_g`` rows), so a
    group yields about ``min(P_g, mean_partners * n_g)`` pairs: at most
    ``mean_partners`` per row on average, however crowded the group, and exactly its
    pairs where it is not crowded.  Unlike keeping each row's nearest partners, the
    sample does not favour the quiet stretches of a group over its peaks, so any
    statistic of the pairs seen scales by ``rate_g`` alone.

    Parameters
    ----------
    group, t : numpy.ndarray
        Group codes (non-decreasing) and times (non-decreasing within a group).
    window : float or int
        Inclusive bound on ``t_second - t_first``.
    mean_partners : float
        The average number of partners kept per row in a crowded group.
    seed : int, default 0
        Seeds the sample (same seed, same pairs).
    chunk_pairs : int
        About how many pairs each chunk holds.
    counts : numpy.ndarray, optional
        ``window_counts(group, t, window)``, when the caller holds it already.

    Returns
    -------
    rate : numpy.ndarray
        ``rate_g`` per group code (``0 .. group.max()``).
    pairs : iterator of (first, second)
        Row positions, ``first < second``, in chunks.

    Notes
    -----
    Row ``i`` with ``c_i`` partners keeps ``k_i = floor(rate * c_i + u_i)`` of them
    (``u_i`` uniform), spread over its partners by systematic sampling (offsets
    ``floor((m + v_i) c_i / k_i)``, ``v_i`` uniform): each partner is kept with
    probability exactly ``rate``.  ``O(n log n + S)`` for ``S`` pairs kept.

    >>> g, t = np.zeros(6, dtype=np.int64), np.arange(6)
    >>> rate, it = sampled_window_pairs(g, t, 10, mean_partners=1.0)
    >>> rate.round(2).tolist()  # 15 pairs, 6 rows: each pair kept with probability 6/15
    [0.4]
    >>> rate, it = sampled_window_pairs(g, t, 10, mean_partners=3.0)
    >>> rate.tolist(), sum(len(a) for a, _ in it)  # not crowded: every pair
    ([1.0], 15)
    """
    group = np.asarray(group, dtype=np.int64)
    if counts is None:
        counts = window_counts(group, t, window)
    rate, keep, v = sampling_draws(group, counts, mean_partners=mean_partners, seed=seed)

    def chunks() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for start, stop in _chunks(keep, chunk_pairs):
            k = keep[start:stop]
            if not k.any():
                continue
            rows = np.arange(start, stop, dtype=np.int64)
            first = np.repeat(rows, k)
            m = np.arange(len(first)) - np.repeat(np.cumsum(k) - k, k)
            c = counts[first]
            kk = keep[first]
            off = np.floor((m + v[first]) * c / kk).astype(np.int64) + 1
            yield first, first + np.minimum(off, c)

    return rate, chunks()


def coactivity_degree(reposts: pd.DataFrame, *, window: float) -> pd.Series:
    """Per account, its co-reposts: reposts by OTHER accounts of the same source within
    ``window`` seconds of one of its own, counted over its reposts.

    A count, not a set of partners: for every repost, the other accounts' reposts of its
    source in ``[t - window, t + window]`` (two binary searches in the reposts sorted by
    source and time, minus the account's own reposts in that range, two more in the
    reposts sorted by source, account and time).  Where every account reposts a source
    at most once this is the account's weighted degree (the sum of its edge weights) in
    :func:`coactivity` ``(reposts, window=window)``; no pair is built, so a source
    reposted by fifty thousand accounts in ten minutes costs what fifty thousand reposts
    cost.

    Parameters
    ----------
    reposts : pandas.DataFrame
        ``account_id``, ``source_id``, ``reposted_at``; rows missing any are ignored.
    window : float
        Seconds (inclusive).

    Returns
    -------
    pandas.Series
        int64 counts indexed by ``account_id`` (every account with a usable repost).

    Notes
    -----
    ``O(n log n)`` time and ``O(n)`` memory for ``n`` reposts.

    Examples
    --------
    >>> t = pd.Timestamp("2026-03-01T08:00:00Z")
    >>> reposts = pd.DataFrame({"account_id": ["a", "b", "c", "a", "b"],
    ...                         "source_id": ["s1", "s1", "s1", "s2", "s2"],
    ...                         "reposted_at": [t, t + pd.Timedelta(seconds=30), t,
    ...                                         t + pd.Timedelta(hours=1),
    ...                                         t + pd.Timedelta(hours=1, seconds=60)]})
    >>> coactivity_degree(reposts, window=60).sort_index().to_dict()
    {'a': 3, 'b': 3, 'c': 2}
    """
    window_ns = _window_ns(window)
    keep = reposts[list(_REQUIRED)].dropna()
    if keep.empty:
        return pd.Series(dtype=np.int64, index=pd.Index([], name="account_id", dtype=object))
    acc, accounts, src, t = _encode(keep)
    deg = coded_degree(acc, len(accounts), src, t, window_ns)
    return pd.Series(deg, index=pd.Index(accounts, name="account_id"))


def coded_degree(
    acc: np.ndarray, n_accounts: int, src: np.ndarray, t: np.ndarray, window_ns: int
) -> np.ndarray:
    """:func:`coactivity_degree` on integer codes: reposts by account code ``acc`` (in
    ``[0, n_accounts)``) of source code ``src`` (non-negative) at int64 ns times ``t``;
    int64 co-reposts per account code.  For callers that hold the codes already (the
    features): no ID is hashed.  ``O(n log n)``: one sort of the reposts by source and
    time; the account's own reposts of a source are counted only where it reposted the
    source more than once (found by hashing the pairs)."""
    near = _near_counts(src, t, window_ns)
    # the account's own reposts of the source within the window are not co-reposts: one
    # (itself) for a row whose (source, account) pair occurs once
    pair = src * np.int64(n_accounts) + acc
    again = np.flatnonzero(pd.Series(pair, copy=False).duplicated(keep=False).to_numpy())
    own = np.ones(len(t), dtype=np.int64)
    if len(again):
        own[again] = _near_counts(pair[again], t[again], window_ns)
    return np.bincount(acc, weights=near - own, minlength=n_accounts).astype(np.int64)


def _near_counts(group: np.ndarray, t: np.ndarray, window_ns: int) -> np.ndarray:
    """Per row (any order): rows of the same group within ``window_ns`` of it, itself
    included.  ``O(n log n)``: one sort of a key of group and time when it fits in an
    int64 (integer times), else a sort by group and time and :func:`window_counts` both
    ways."""
    n = len(t)
    if n and np.issubdtype(t.dtype, np.integer) and window_ns >= 0:
        group = _dense(group)
        t_rel = t - t.min()
        top = int(t_rel.max())
        w = min(int(window_ns), top)
        span = top + w + 1
        if (int(group.max()) + 1) * span < 2**62:
            # rows of one group lie in [g * span, g * span + top]: the window never
            # reaches another group's keys; ties in the key are counted whatever their order
            key = group.astype(np.int64) * np.int64(span) + t_rel.astype(np.int64)
            order = np.argsort(key)
            k = key[order]
            lo = np.searchsorted(k, k - w, side="left")
            hi = np.searchsorted(k, k + w, side="right")
            out = np.empty(n, dtype=np.int64)
            out[order] = hi - lo
            return out
    order = np.lexsort((t, group))
    g, tt = group[order], t[order]
    after = window_counts(g, tt, window_ns)  # later rows within the window
    # earlier ones: the same count on the reversed order (groups and times negated)
    before = window_counts(g[-1] - g[::-1], -tt[::-1], window_ns)[::-1]
    out = np.empty(len(t), dtype=np.int64)
    out[order] = after + before + 1
    return out


def _dense(codes: np.ndarray) -> np.ndarray:
    """Non-negative integer codes renumbered ``0 .. k - 1`` in their order (``k`` distinct),
    when they are small enough to count (at most a few times their number); else as
    they are.  ``O(n + max)``, no sort."""
    top = int(codes.max()) if len(codes) else 0
    if top >= 4 * len(codes) + (1 << 16):
        return codes
    rank = np.cumsum(np.bincount(codes, minlength=top + 1) > 0) - 1
    return rank[codes]


def _multi_reposts(src: np.ndarray, acc: np.ndarray, n_accounts: int) -> np.ndarray:
    """True for rows whose account reposted the same source more than once."""
    key = src * np.int64(n_accounts) + acc
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    return counts[inverse] > 1


def _chunks(counts: np.ndarray, budget: int) -> Iterator[tuple[int, int]]:
    """Row ranges whose candidate-pair counts sum to about `budget` (>= 1 row each)."""
    cum = np.cumsum(counts)
    n = len(counts)
    start = 0
    done = 0
    while start < n:
        stop = int(np.searchsorted(cum, done + budget, side="right"))
        stop = max(stop, start + 1)
        yield start, stop
        done = int(cum[stop - 1])
        start = stop


class _PairCounter:
    """Sum of counts per int64 pair key, kept as sorted unique keys and weights.

    Chunks are buffered and folded into the running result once the buffer
    reaches ``max(flush_at, len(result) // 4)`` keys: the buffer is reduced by
    one sort, its keys already present are added in place (``searchsorted``)
    and the new ones inserted, so each fold costs ``O(U + B log B)`` and the
    total stays near linear while memory stays near ``16 U`` bytes plus buffer.
    """

    def __init__(self, flush_at: int) -> None:
        self._ids = np.empty(0, np.int64)
        self._weights = np.empty(0, np.int64)
        self._buf_ids: list[np.ndarray] = []
        self._buf_weights: list[np.ndarray] = []
        self._buffered = 0
        self._flush_at = flush_at

    def add(self, ids: np.ndarray) -> None:
        if len(ids) == 0:
            return
        ids, weights = np.unique(ids, return_counts=True)
        self._buf_ids.append(ids)
        self._buf_weights.append(weights.astype(np.int64))
        self._buffered += len(ids)
        if self._buffered >= max(self._flush_at, len(self._ids) // 4):
            self._fold()

    def _fold(self) -> None:
        if not self._buf_ids:
            return
        ids, weights = self._buf_ids, self._buf_weights
        self._buf_ids, self._buf_weights, self._buffered = [], [], 0
        if len(ids) == 1:
            ids, weights = ids[0], weights[0]
        else:
            ids, weights = np.concatenate(ids), np.concatenate(weights)
            order = np.argsort(ids, kind="stable")
            ids, weights = ids[order], weights[order]
            del order
            starts = np.flatnonzero(np.concatenate([[True], ids[1:] != ids[:-1]]))
            weights = np.add.reduceat(weights, starts)
            ids = ids[starts]
        pos = np.searchsorted(self._ids, ids)
        hit = pos < len(self._ids)
        hit[hit] = self._ids[pos[hit]] == ids[hit]
        self._weights[pos[hit]] += weights[hit]  # ids are unique: no repeated positions
        miss = ~hit
        self._ids = np.insert(self._ids, pos[miss], ids[miss])
        self._weights = np.insert(self._weights, pos[miss], weights[miss])

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        self._fold()
        return self._ids, self._weights
