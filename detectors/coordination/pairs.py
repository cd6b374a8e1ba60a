"""Account pairs in sync: on how many distinct contexts, within each window, at a bounded cost.

Two acts on the same item by distinct accounts are *in sync* within a window ``w`` when
at most ``w`` seconds apart.  For every pair of accounts and every window this module
counts the distinct *contexts* (:mod:`pileon.detectors.coordination.acts`) of the items on
which the pair was in sync: amplifying one idol's twenty posts together is one context,
an army's waves on the posts of six culprits are six.

The pairs come from :func:`pileon.detectors.coactivity.window_pairs` over the acts sorted
by item and time, each act paired with at most ``max_partners`` of the acts that follow
it within the widest window (the nearest ones).  Where an item is crowded (a viral post
reposted a hundred times a minute) only those nearest partners are seen, so the pairs
seen there are a sample; how many act pairs were seen per item and window is counted
exactly (``kept``), and the chance model uses those counts, so the sample and its
expectation agree.  The number of pairs is at most ``n * max_partners`` for ``n`` acts,
and at most ``pair_budget`` in all (the cap is lowered to fit).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from pileon.detectors.coactivity import sampled_window_pairs, window_counts, window_counts_many
from pileon.detectors.coordination.acts import Acts
from pileon.graph.arrays import distinct

__all__ = ["SyncedPairs", "below", "synced_pairs", "partner_cap"]


@dataclass(frozen=True)
class SyncedPairs:
    """What :func:`synced_pairs` counted.

    Attributes
    ----------
    a, b : numpy.ndarray of int64
        Account codes (``a < b``) of the candidate pairs: in sync on at least
        ``min_contexts`` contexts within the widest window.
    observed : numpy.ndarray of int64, shape (pairs, windows)
        Distinct items each candidate pair was in sync on, within each window, a voice
        that both accounts follow (:class:`_Follows`) counting once: fans of one idol,
        readers of one outlet meet on its posts because they follow it.
    contexts : numpy.ndarray of int64, shape (pairs, windows)
        Distinct contexts of those items.
    tested : int
        Distinct account pairs seen in sync at all (the number of hypotheses).
    in_sync : numpy.ndarray of float, shape (items, windows)
        Act pairs per item expected within each window under the null (self-pairs
        included), times the item's sampling rate: pairs whose earlier act reacted to
        the post within ``reaction`` seconds as observed, the others (and every pair of a
        quiet item, fewer than ``quiet_acts`` acts) as if each act's time moved
        uniformly within ``+-jitter`` seconds (:func:`_jittered_pairs`).
    mean_partners : float
        The average number of partners kept per act on crowded items (lowered to fit
        ``pair_budget``).
    enumerated : int
        Act pairs enumerated.
    """

    a: np.ndarray
    b: np.ndarray
    observed: np.ndarray
    contexts: np.ndarray
    tested: int
    in_sync: np.ndarray
    mean_partners: float
    enumerated: int


def partner_cap(counts: np.ndarray, max_partners: int, budget: int) -> int:
    """The largest cap ``k <= max_partners`` with ``sum(min(counts, k)) <= budget`` (at
    least 1).  ``O(n log max_partners)``."""
    if int(np.minimum(counts, max_partners).sum()) <= budget:
        return int(max_partners)
    lo, hi = 1, int(max_partners)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if int(np.minimum(counts, mid).sum()) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _reduce(key: np.ndarray, ctx: np.ndarray, scale: np.ndarray, n_ctx: int, n_scales: int):
    """Distinct ``(key, ctx)`` rows, each with its smallest ``scale``."""
    if len(key) == 0:
        return key, ctx, scale
    if int(key.max()) < (2**62) // max(n_ctx * n_scales, 1):
        code = (key * n_ctx + ctx) * n_scales + scale
        code = np.sort(code)
        pc = code // n_scales
        first = np.concatenate([[True], pc[1:] != pc[:-1]])
        pc = pc[first]
        return pc // n_ctx, pc % n_ctx, (code[first] % n_scales).astype(np.int8)
    order = np.lexsort((scale, ctx, key))
    key, ctx, scale = key[order], ctx[order], scale[order]
    first = np.concatenate([[True], (key[1:] != key[:-1]) | (ctx[1:] != ctx[:-1])])
    return key[first], ctx[first], scale[first]


def _distinct(key: np.ndarray, value: np.ndarray, n_values: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct ``(key, value)`` rows, sorted."""
    if len(key) == 0:
        return key, value
    if int(key.max()) < (2**62) // max(n_values, 1):
        code = distinct(key * np.int64(n_values) + value)
        return code // n_values, code % n_values
    order = np.lexsort((value, key))
    key, value = key[order], value[order]
    first = np.concatenate([[True], (key[1:] != key[:-1]) | (value[1:] != value[:-1])])
    return key[first], value[first]


def _act_owner(act_code: np.ndarray, account: np.ndarray, n_acts: int) -> np.ndarray | None:
    """The account of each act code, or None when some act code has rows of two accounts.

    When every act belongs to one account, an unordered pair of acts names its unordered
    pair of accounts, so the distinct (account pair, act pair) rows are the distinct act
    pairs alone: one sort of int64 codes instead of a two-key sort.  O(n) time and memory.
    """
    owner = np.full(n_acts, -1, dtype=np.int64)
    owner[act_code] = account
    return owner if bool((owner[act_code] == account).all()) else None


def _in_sorted(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Which of ``values`` are among the sorted ``keys``.  ``O(n log k)``, no hash table."""
    if len(keys) == 0:
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(keys, values), len(keys) - 1)
    out: np.ndarray = keys[at] == values
    return out


def below(observed: np.ndarray, contexts: np.ndarray, low: int) -> None:
    """Count 0 (in place) the windows where a pair's items and contexts are both below
    ``low`` (``min(min_items, min_contexts)``): it cannot pass there, nor be a candidate
    by them, so :func:`synced_pairs` need not keep the rows of such pairs while it counts
    the next window.  Every engine applies it, so that their counts agree."""
    gone = (observed < low) & (contexts < low)
    observed[gone] = 0
    contexts[gone] = 0


def _counts_at(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """How many times each of the sorted distinct ``keys`` occurs in sorted ``values``
    (all of them among ``keys``): a run-length count, then one binary search a run.
    O(n + r log k) for n values in r runs."""
    out = np.zeros(len(keys), dtype=np.int64)
    if len(values):
        starts = np.flatnonzero(np.concatenate([[True], values[1:] != values[:-1]]))
        runs = np.diff(np.append(starts, len(values)))
        out[np.searchsorted(keys, values[starts])] = runs
    return out


class _Follows:
    """Whether an account follows a voice, and on which items that explains its sync.

    An account follows a voice when it reacted, within ``reaction`` seconds of their
    posting, to at least two of the voice's items, and the voice has at least
    ``min_voice_items`` items (fewer tell nothing of a habit): fans of an idol and
    readers of an outlet react to posts as they appear; an army sent to a post hours
    later does not.  Followers react together, ahead of the wider audience that trickles
    in, so on an item where they are a minority of the acts (``crowd`` items) the item's
    overall share of pairs in sync understates how in sync they are: there, the items of
    a voice both accounts follow count once.  Where followers are most of an item's acts,
    its share of pairs in sync is theirs, and the item counts as any other.
    """

    def __init__(
        self,
        every: Acts,
        ctx_of_item: np.ndarray,
        min_voice_items: int,
        reaction: float,
    ) -> None:
        n_items = np.int64(max(len(every.items), 1))
        self.n_ctx = np.int64(max(len(every.contexts), 1))
        n_u = np.bincount(ctx_of_item[distinct(every.item)], minlength=int(self.n_ctx))
        quick = every.lag <= reaction  # NaN (unknown) is not quick
        inc = distinct(every.account[quick] * n_items + every.item[quick])
        voice = ctx_of_item[inc % n_items]
        key, k = np.unique(inc // n_items * self.n_ctx + voice, return_counts=True)
        self.keys = key[(k >= 2) & (n_u[key % self.n_ctx] >= min_voice_items)]
        by_follower = self._has(every.account * self.n_ctx + ctx_of_item[every.item])
        share = np.bincount(every.item, weights=by_follower, minlength=int(n_items)) / (
            np.maximum(np.bincount(every.item, minlength=int(n_items)), 1)
        )
        self.crowd = share < 0.5

    def _has(self, want: np.ndarray) -> np.ndarray:
        if len(self.keys) == 0:
            return np.zeros(len(want), dtype=bool)
        at = np.minimum(np.searchsorted(self.keys, want), len(self.keys) - 1)
        return self.keys[at] == want

    def __call__(
        self, a: np.ndarray, b: np.ndarray, item: np.ndarray, voice: np.ndarray
    ) -> np.ndarray:
        """For pairs ``a``, ``b`` in sync on ``item`` of ``voice``: does it count once?"""
        return (
            self.crowd[item] & self._has(a * self.n_ctx + voice) & self._has(b * self.n_ctx + voice)
        )


def _jittered_pairs(
    item: np.ndarray,
    t: np.ndarray,
    window: float,
    jitter: float,
    cnt: np.ndarray | None = None,
) -> np.ndarray:
    """Per act, the expected number of its pairs with later acts of its item within
    ``window`` once every act's
    time is moved uniformly within ``+-jitter`` (independently): two acts ``d`` apart
    then land within ``window`` with probability about ``window * (2 jitter - d) /
    (2 jitter^2)`` for ``d <= 2 jitter`` (the triangular density of the difference of two
    uniform moves).  The coarse shape of an item's timeline (its busy hour) is kept, a
    burst of seconds is not.  Prefix sums: ``O(n log n)``, no pair built.  Acts sorted by
    item and time; ``cnt``: ``window_counts(item, t, 2 * jitter)`` when known."""
    n = len(t)
    if n == 0:
        return np.zeros(0)
    span = 2.0 * jitter
    if cnt is None:
        cnt = window_counts(item, t, span)
    idx = np.arange(n)
    prefix = np.concatenate([[0.0], np.cumsum(t - t.min())])
    rel = t - t.min()
    later = prefix[idx + 1 + cnt] - prefix[idx + 1]  # sum of the later acts' times
    total = cnt * (span + rel) - later  # sum over later acts of (2 jitter - d)
    return np.minimum(window * total / (2.0 * jitter**2), cnt)


def synced_pairs(
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
) -> SyncedPairs:
    """Count, per account pair and window, the distinct contexts it was in sync on.

    Parameters
    ----------
    acts : Acts
        Sorted by item and time (:func:`~pileon.detectors.coordination.acts.coordination_acts`).
    windows : tuple of float
        Increasing windows in seconds.
    min_contexts : int
        Pairs in sync on fewer contexts (within the widest window) are not candidates.
    max_partners, pair_budget : int
        The bounds of the module docstring.
    chunk_pairs : int
        Pairs handled at once.
    show_progress : bool
        A tqdm bar over the enumerated pairs.

    Returns
    -------
    SyncedPairs

    Notes
    -----
    ``O(n log n + P log P)`` time for ``n`` acts and ``P <= min(n * max_partners,
    pair_budget)`` enumerated pairs; memory ``O(n + chunk_pairs + U)`` for ``U`` distinct
    (pair, context) rows.
    """
    n_scales = len(windows)
    n_items = len(acts.items)
    n_acc = np.int64(max(len(acts.accounts), 1))
    n_ctx = max(len(acts.contexts), 1)
    # each window has its own uniform sample of its in-sync pairs, at the rate its
    # crowding needs, so a wide window never thins out the evidence of a narrow one
    in_sync = np.zeros((n_items, n_scales))
    n_rows = max(len(acts), 1)
    n_acts_item = np.bincount(acts.item, minlength=n_items)
    quiet = n_acts_item < quiet_acts
    budget = pair_budget / n_scales
    ctx_of_item = np.zeros(n_items, dtype=np.int64)
    ctx_of_item[acts.item] = acts.context
    per_window: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]] = []
    act_code = acts.act_codes()
    n_acts = np.int64(max(int(act_code.max()) + 1 if len(act_code) else 1, 1))
    # every act on one item (no act ID repeats): two acts meet once, on the item of both,
    # so a pair's items in sync never outnumber its pairs of acts, and those are not counted
    single = len(act_code) == 0 or int(np.bincount(act_code).max()) <= 1
    owner = None if single else _act_owner(act_code, acts.account, int(n_acts))
    enumerated = 0
    means = []
    low = max(min(min_items, min_contexts), 1)
    packed = int(n_acc) ** 2 * max(n_items, 1) < 2**62
    seen = np.empty(0, np.int64)  # the pairs seen in the windows so far (sorted)
    # the later acts within each window and within 2 * jitter (the null's), ranked once
    ak: np.ndarray | None = None
    all_counts = window_counts_many(acts.item, acts.t, [*windows, 2.0 * jitter])
    for w, win in enumerate(windows):
        counts = all_counts[w]
        exact = np.bincount(acts.item, weights=counts, minlength=n_items)
        # the null: right after a post everyone reacts together, so pairs there are as
        # in sync as observed; later, and on quiet items whose few acts cannot be their
        # own crowd, acts are compared with their times jittered by +-jitter
        jit = _jittered_pairs(acts.item, acts.t, win, jitter, cnt=all_counts[-1])
        late = ~(acts.lag <= reaction) | quiet[acts.item]
        null = np.bincount(acts.item, weights=np.where(late, jit, counts), minlength=n_items)
        mean = float(max_partners)
        if min(float(exact.sum()), mean * n_rows) > budget:  # fewer partners per act
            mean = max(budget / n_rows, 1e-3)
        means.append(mean)
        rate, chunks = sampled_window_pairs(
            acts.item,
            acts.t,
            win,
            mean_partners=mean,
            seed=seed + w,
            chunk_pairs=chunk_pairs,
            counts=counts,
        )
        full_rate = np.ones(n_items)
        full_rate[: len(rate)] = rate
        in_sync[:, w] = null * full_rate  # what the sample would hold under the null
        keys, items, akeys, apairs = [], [], [], []
        with tqdm(
            total=int(in_sync[:, w].sum()),
            disable=not show_progress,
            unit="pair",
            desc=f"pairs in sync within {win:g} s",
        ) as bar:
            for first, second in chunks:
                bar.update(len(first))
                enumerated += len(first)
                a, b = acts.account[first], acts.account[second]
                other = a != b
                lo, hi = np.minimum(a, b)[other], np.maximum(a, b)[other]
                if packed:  # (pair, item) as one int64: half the memory, one sort in all
                    keys.append((lo * n_acc + hi) * n_items + acts.item[first][other])
                else:
                    k, it = _distinct(lo * n_acc + hi, acts.item[first][other], n_items)
                    keys.append(k)
                    items.append(it)
                if single:
                    continue
                # the same two acts can meet on several items (a comment is also a copy)
                x, y = act_code[first][other], act_code[second][other]
                ap = np.minimum(x, y) * n_acts + np.maximum(x, y)
                if owner is None:
                    ak, ap = _distinct(lo * n_acc + hi, ap, n_acts * n_acts)
                    akeys.append(ak)
                else:  # the pair of acts names the pair of accounts: one sort of int64
                    ap = distinct(ap)
                apairs.append(ap)
        if keys:
            if packed:
                code = np.concatenate(keys)
                keys = []
                code.sort()
                code = code[np.concatenate([[True], code[1:] != code[:-1]])]
                k, it = code // n_items, code % n_items
                del code
            else:
                k, it = _distinct(np.concatenate(keys), np.concatenate(items), n_items)
            del keys, items
            # the pairs seen, counted; only the rows of pairs in sync on ``low`` items or
            # more are kept (the others cannot pass in this window: counted 0 below)
            starts = np.flatnonzero(np.concatenate([[True], k[1:] != k[:-1]]))
            runs = np.diff(np.append(starts, len(k)))
            seen_w = k[starts]
            passing = seen_w[runs >= low]
            rows_kept = np.repeat(runs >= low, runs)
            k, it = k[rows_kept], it[rows_kept]
            del starts, runs, rows_kept
            ak = None
            if single:
                pass
            elif owner is None:
                ak, _ = _distinct(np.concatenate(akeys), np.concatenate(apairs), n_acts * n_acts)
                ak = ak[_in_sorted(passing, ak)]
            else:
                ap = np.concatenate(apairs)
                apairs = []
                ap.sort()
                ap = ap[np.concatenate([[True], ap[1:] != ap[:-1]])]
                ak = np.minimum(owner[ap // n_acts], owner[ap % n_acts]) * n_acc + np.maximum(
                    owner[ap // n_acts], owner[ap % n_acts]
                )
                del ap
                ak = np.sort(ak[_in_sorted(passing, ak)])
            new = seen_w[~_in_sorted(seen, seen_w)]
            del seen_w
            seen = np.concatenate([seen, new])
            if w < n_scales - 1:  # sorted for the next window's look-ups
                seen.sort()
            del new
        else:
            k = it = np.empty(0, np.int64)
            ak = None if single else np.empty(0, np.int64)
        per_window.append((k, it, ak))
        del akeys, apairs
    tested = len(seen)
    del seen
    # one row per pair that can pass in some window; items and contexts per window
    all_keys = (
        distinct(np.concatenate([k for k, _, _ in per_window]))
        if per_window
        else np.empty(0, np.int64)
    )
    n_kept = len(all_keys)
    observed = np.zeros((n_kept, n_scales), dtype=np.int64)
    contexts = np.zeros((n_kept, n_scales), dtype=np.int64)
    follows = _Follows(acts if every is None else every, ctx_of_item, min_voice_items, reaction)
    for w, (k, it, ak) in enumerate(per_window):
        row = np.searchsorted(all_keys, k)
        voice = ctx_of_item[it]
        # a voice both accounts follow counts once, however many of its items
        both = follows(k // n_acc, k % n_acc, it, voice)
        observed[:, w] = np.bincount(row[~both], minlength=n_kept)
        rc, _ = _distinct(row.astype(np.int64), voice, n_ctx)
        contexts[:, w] = np.bincount(rc, minlength=n_kept)
        rf, _ = _distinct(row[both].astype(np.int64), voice[both], n_ctx)
        observed[:, w] += np.bincount(rf, minlength=n_kept)
        # never more items than distinct pairs of acts behind them
        if ak is not None:
            observed[:, w] = np.minimum(observed[:, w], _counts_at(all_keys, ak))
    below(observed, contexts, low)
    best = observed.max(axis=1) if n_kept else np.zeros(0, np.int64)
    cand = (contexts.max(axis=1) >= min_contexts) & (best >= min_items) if n_kept else best > 0
    pk = all_keys[cand]
    mean = float(min(means)) if means else float(max_partners)
    return SyncedPairs(
        a=(pk // n_acc).astype(np.int64),
        b=(pk % n_acc).astype(np.int64),
        observed=observed[cand],
        contexts=contexts[cand],
        tested=int(tested),
        in_sync=in_sync,
        mean_partners=mean,
        enumerated=int(enumerated),
    )
