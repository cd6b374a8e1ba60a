"""The co-repost network (SPEC §3) on integer codes: numpy only, no pandas.

:func:`coactivity_codes` gives the same pairs and weights as
:func:`pileon.detectors.coactivity.coactivity` when the account codes follow the
accounts' string order (``pileon coactivity`` reads such codes from the store,
see :mod:`pileon.graph.codes`).  It imports only numpy, so the command starts fast.

With ``min_weight`` above 1 most reposts cannot be part of a kept pair, and they are
dropped before any pair is made (the exact pairs among the rest are unchanged):

* an account with fewer than ``min_weight`` reposts has fewer than ``min_weight``
  sources (the peer tool drops these accounts too);
* a repost with no other repost of its source within the window pairs with nothing;
* dropping those can leave more accounts under ``min_weight`` reposts: both steps are
  repeated until nothing changes.

A pair's weight depends only on the two accounts' own reposts, and a repost that pairs
with a kept account's repost is never dropped, so every kept pair keeps its weight.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from pileon.graph.arrays import spans
from pileon.graph.errors import InputError

__all__ = ["coactivity_codes"]

_NS_PER_SECOND = 1_000_000_000
_SAFE = 1 << 62


def window_ns(window: float) -> int:
    """A window in seconds as whole nanoseconds (rounded), or ``InputError`` (one line)
    when it is not a finite number >= 0; the one conversion of every co-activity path."""
    try:
        w = float(window)
    except (TypeError, ValueError):
        raise InputError(f"window must be a number of seconds, got {window!r}") from None
    if not math.isfinite(w) or w < 0:
        raise InputError(f"window must be a finite number of seconds >= 0, got {window!r}")
    return int(round(w * _NS_PER_SECOND))


def coactivity_codes(
    account: np.ndarray,
    source: np.ndarray,
    time: np.ndarray,
    *,
    window: float,
    min_weight: int = 1,
    chunk_pairs: int = 1 << 22,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Co-repost pairs of accounts given as integer codes.

    Parameters
    ----------
    account : numpy.ndarray
        Non-negative integer code of each repost's account.  Pairs come out ordered by
        these codes: give codes in the accounts' string order to get
        :func:`pileon.detectors.coactivity.coactivity`'s order.
    source : numpy.ndarray
        Integer code of each repost's source (any codes; equal means the same source).
    time : numpy.ndarray
        Each repost's time, int64 nanoseconds.
    window : float
        Seconds; two reposts of a source at most this far apart co-occur (inclusive).
        Resolved to whole nanoseconds.
    min_weight : int, default 1
        Keep the pairs that co-reposted at least this many sources.
    chunk_pairs : int, default 2**22
        About how many candidate pairs are made at once (memory bound).
    progress : callable, optional
        Called as ``progress(done, total)`` with candidate pairs made so far.

    Returns
    -------
    tuple of numpy.ndarray
        ``(a, b, weight)``, int64: one row per unordered pair of distinct accounts with
        ``weight >= min_weight``, ``a < b``, sorted by ``(a, b)``; ``weight`` is the
        number of distinct sources both reposted within `window` of each other.

    Raises
    ------
    pileon.graph.errors.InputError
        If the arrays differ in length, `window` is negative or not finite, or
        `min_weight` or `chunk_pairs` is below 1.

    Notes
    -----
    One sort of the reposts by (source, time).  Times are then compressed within each
    source (a gap longer than the window becomes ``window + 1``; sources ``window + 1``
    apart), so that one ``searchsorted`` finds every repost's window end, and the
    pruning above only filters the sorted arrays.  The ``P`` candidate pairs of the
    remaining reposts are made in chunks and counted by sorting int64 pair keys; pairs
    from an account that reposted the same source more than once are first made
    distinct per source.  Time ``O(n log n + P log C)`` for ``n`` reposts and chunks of
    ``C`` pairs; memory ``O(n + C + U)`` for ``U`` distinct pairs.

    Examples
    --------
    >>> import numpy as np
    >>> s = 1_000_000_000
    >>> a, b, w = coactivity_codes(np.array([0, 1, 2, 0, 1]), np.array([7, 7, 7, 8, 8]),
    ...     np.array([0, 30 * s, 3600 * s, 7200 * s, 7260 * s]), window=60)
    >>> a.tolist(), b.tolist(), w.tolist()
    ([0], [1], [2])
    """
    wns = window_ns(window)
    if isinstance(min_weight, bool) or not isinstance(min_weight, (int, np.integer)):
        raise InputError(f"min_weight must be an integer >= 1, got {min_weight!r}")
    if min_weight < 1:
        raise InputError(f"min_weight must be an integer >= 1, got {min_weight!r}")
    if chunk_pairs < 1:
        raise InputError(f"chunk_pairs must be >= 1, got {chunk_pairs!r}")
    acc = np.asarray(account, dtype=np.int64)
    src = np.asarray(source, dtype=np.int64)
    t = np.asarray(time, dtype=np.int64)
    if not (len(acc) == len(src) == len(t)):
        raise InputError("account, source and time must have the same length")
    empty = np.empty(0, np.int64)
    if len(t) < 2:
        return empty, empty.copy(), empty.copy()

    if min_weight > 1:  # accounts with too few reposts have too few sources
        keep = np.bincount(acc)[acc] >= min_weight
        acc, src, t = acc[keep], src[keep], t[keep]
        if len(t) < 2:
            return empty, empty.copy(), empty.copy()

    order = np.lexsort((t, src))  # the one sort
    acc, src, t = acc[order], src[order], t[order]
    del order
    key, reach = _window_keys(src, t, wns)
    del t

    while True:  # drop reposts that pair with nothing, then accounts left too small
        near = key[1:] <= reach[:-1]
        live = np.zeros(len(key), dtype=bool)
        live[1:] = near
        live[:-1] |= near
        if min_weight > 1:
            live &= np.bincount(acc[live], minlength=int(acc.max()) + 1)[acc] >= min_weight
        if live.all():
            break
        acc, src, key, reach = acc[live], src[live], key[live], reach[live]
        if len(key) < 2:
            return empty, empty.copy(), empty.copy()

    # dense codes of what is left: the pair keys below stay small
    accounts, dense_acc = _dense(acc)
    sources, dense_src = _dense(src)
    n_acc, n_src = len(accounts), len(sources)
    if n_acc * n_acc >= _SAFE:
        raise InputError(f"too many accounts for one co-repost network ({n_acc})")
    counts = np.searchsorted(key, reach, side="right") - np.arange(len(key)) - 1
    del key, reach
    multi = _repeated(dense_src * np.int64(n_acc) + dense_acc)

    single = _Counter(chunk_pairs)
    repeated = _Counter(chunk_pairs)
    per_source = n_acc * n_acc * n_src < _SAFE
    wide: list[np.ndarray] = []  # (pair, source) rows when one key cannot hold both
    total = int(counts.sum())
    done = 0
    for start, stop in _chunks(counts, chunk_pairs):
        c = counts[start:stop]
        rows = np.arange(start, stop, dtype=np.int64)
        first = np.repeat(rows, c)
        second = spans(rows + 1, c)
        done += len(first)
        a, b = dense_acc[first], dense_acc[second]
        other = a != b
        pid = np.minimum(a, b) * np.int64(n_acc) + np.maximum(a, b)
        twice = multi[first] | multi[second]
        single.add(pid[other & ~twice])
        tw = other & twice
        if tw.any():
            if per_source:
                repeated.add(pid[tw] * np.int64(n_src) + dense_src[first[tw]])
            else:
                wide.append(np.column_stack([pid[tw], dense_src[first[tw]]]))
        if progress is not None:
            progress(done, total)
    pids, weights = single.result()
    both, _ = repeated.result()
    if wide:  # too wide for one key: distinct (pair, source) rows
        both = np.unique(np.concatenate(wide), axis=0)[:, 0]
    elif len(both):
        both = both // np.int64(n_src)
    if len(both):
        extra, n_extra = _count_sorted(both)
        pids, weights = _merge(pids, weights, extra, n_extra)
    if min_weight > 1:
        keep = weights >= min_weight
        pids, weights = pids[keep], weights[keep]
    lo = pids // np.int64(n_acc)
    hi = pids - lo * np.int64(n_acc)
    return accounts[lo], accounts[hi], weights


def _window_keys(src: np.ndarray, t: np.ndarray, window_ns: int) -> tuple[np.ndarray, np.ndarray]:
    """For rows sorted by (source, time): increasing keys and each row's reach, such that
    a later row ``j`` is within the window of row ``i`` (same source, ``t_j - t_i <=
    window``) exactly when ``key[j] <= reach[i]``."""
    n = len(t)
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(src[1:], src[:-1], out=new[1:])
    span = int(t.max()) - int(t.min())
    w = min(window_ns, span)  # a window wider than every gap changes nothing
    if (int(new.sum()) + 1) * (w + 1) + span < _SAFE and n * (w + 1) < _SAFE:
        # compressed time: gaps over the window become window + 1, as do source changes
        gap = np.empty(n, dtype=np.int64)
        gap[0] = w + 1
        np.subtract(t[1:], t[:-1], out=gap[1:])
        np.minimum(gap, w + 1, out=gap)
        gap[new] = w + 1
        key = np.cumsum(gap)
        return key, key + w
    # ranks of times on one scale, offset per source
    scale = np.unique(t)
    group = np.cumsum(new) - 1
    width = np.int64(len(scale) + 1)
    key = group * width + np.searchsorted(scale, t)
    reach = group * width + np.searchsorted(scale, t + w, side="right") - 1
    return key, reach


def _dense(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct codes and each code's position among them."""
    order = np.argsort(codes, kind="stable")
    s = codes[order]
    new = np.empty(len(s), dtype=bool)
    new[:1] = True
    np.not_equal(s[1:], s[:-1], out=new[1:])
    dense = np.empty(len(s), dtype=np.int64)
    dense[order] = np.cumsum(new) - 1
    return s[new], dense


def _repeated(keys: np.ndarray) -> np.ndarray:
    """True where the key occurs more than once."""
    order = np.argsort(keys, kind="stable")
    s = keys[order]
    same = s[1:] == s[:-1]
    dup = np.zeros(len(s), dtype=bool)
    dup[1:] = same
    dup[:-1] |= same
    out = np.empty(len(s), dtype=bool)
    out[order] = dup
    return out


def _count_sorted(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys (sorted) and how often each occurs: one sort."""
    s = np.sort(keys)
    if len(s) == 0:
        return s, np.empty(0, np.int64)
    starts = np.flatnonzero(np.concatenate([[True], s[1:] != s[:-1]]))
    return s[starts], np.diff(np.append(starts, len(s))).astype(np.int64)


def _merge(
    k1: np.ndarray, w1: np.ndarray, k2: np.ndarray, w2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Two sorted distinct key lists with weights, summed into one."""
    if len(k2) == 0:
        return k1, w1
    if len(k1) == 0:
        return k2, w2
    k = np.concatenate([k1, k2])
    w = np.concatenate([w1, w2])
    order = np.argsort(k, kind="stable")
    k, w = k[order], w[order]
    starts = np.flatnonzero(np.concatenate([[True], k[1:] != k[:-1]]))
    return k[starts], np.add.reduceat(w, starts)


def _chunks(counts: np.ndarray, budget: int) -> list[tuple[int, int]]:
    """Row ranges whose pair counts sum to about `budget` (at least one row each)."""
    cum = np.cumsum(counts)
    out = []
    start, done, n = 0, 0, len(counts)
    while start < n:
        stop = max(int(np.searchsorted(cum, done + budget, side="right")), start + 1)
        out.append((start, stop))
        done = int(cum[stop - 1])
        start = stop
    return out


class _Counter:
    """Counts of int64 keys, folded into sorted distinct keys whenever the buffer
    outgrows ``max(budget, len(result))`` (so memory stays near the result)."""

    def __init__(self, budget: int) -> None:
        self._keys = np.empty(0, np.int64)
        self._weights = np.empty(0, np.int64)
        self._buf: list[np.ndarray] = []
        self._size = 0
        self._budget = budget

    def add(self, keys: np.ndarray) -> None:
        if len(keys):
            self._buf.append(keys)
            self._size += len(keys)
            if self._size >= max(self._budget, len(self._keys)):
                self._fold()

    def _fold(self) -> None:
        if self._buf:
            k, w = _count_sorted(np.concatenate(self._buf))
            self._buf, self._size = [], 0
            self._keys, self._weights = _merge(self._keys, self._weights, k, w)

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        self._fold()
        return self._keys, self._weights
