"""How often two accounts would be in sync by chance, and which pairs beat it.

The null model: accounts act independently.  Within a stratum (a kind of item on a
platform) account ``a`` acts on item ``i`` with probability ``min(1, d_a n_i / M)``, where
``d_a`` is the number of items ``a`` acted on, ``n_i`` the number of accounts that acted on
``i`` and ``M`` the sum of either (the configuration model of the account–item graph:
busy accounts and busy items meet often); two acts on ``i`` are in sync within window
``w`` with probability ``q_i(w)``, the share of the item's pairs of acts that were seen
in sync (crowded items, where everyone is in sync with everyone, have a high ``q``).
The expected number of items on which ``a`` and ``b`` are in sync is then::

    E_ab(w) = sum over items i of  min(1, d_a n_i / M) * min(1, d_b n_i / M) * q_i(w)

which needs no pair of items: per stratum, the items sorted by ``n_i`` with prefix sums
of ``n_i^2 q_i``, ``n_i q_i`` and ``q_i`` give it in two binary searches per pair.  Busy
items count less twice over: their ``q`` is high, and an account that spends its time on
them has a high ``d``.

The configuration model does not know which voices an account follows: followers of a
few news outlets meet on those outlets' posts because they follow them.  So for every
voice (context) with at least ``min_voice_items`` items on which both accounts acted,
``E`` also counts ``k_a/N * k_b/N`` (the shares of the voice's ``N`` items each acted on)
times the voice's sum of ``q``, where that exceeds the configuration model's share
(:func:`_voice_affinity`): amplifying the voices one follows, however fast, is not
coordination; being in sync on them more often than that is.

A pair's observed count ``O_ab(w)`` is the number of distinct items on which it was in
sync within ``w`` (:mod:`pileon.detectors.coordination.pairs`).  Its p-value is the
Poisson tail ``P(X >= O | E)``, the smallest over the windows times their number
(Bonferroni).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammainc

from pileon.detectors.coordination.acts import Acts
from pileon.detectors.coordination.pairs import SyncedPairs
from pileon.graph.arrays import distinct

__all__ = ["expected_sync", "PairTests", "test_pairs"]


def expected_sync(acts: Acts, pairs: SyncedPairs, every: Acts | None = None) -> np.ndarray:
    """``E_ab(w)`` for every candidate pair and window (module docstring).

    ``acts`` are the acts the pairs were counted on (their in-sync shares ``q``);
    ``every`` all the event's acts, whose popularity of items and activity of accounts
    the configuration model uses (default ``acts``): an army that is most of the
    accounts acting twice or more on a small platform is still a small part of that
    platform's activity.  Returns an array of shape ``(pairs, windows)``.
    ``O(n log n + S * K log I)`` for ``n`` acts, ``S`` strata, ``K`` candidate pairs and
    ``I`` items.
    """
    every = acts if every is None else every
    n_scales = pairs.in_sync.shape[1]
    out = np.zeros((len(pairs.a), n_scales))
    if len(pairs.a) == 0:
        return out
    n_items = len(every.items)
    n_acc = len(every.accounts)
    # distinct (account, item) incidences of every act
    inc = distinct(every.account * np.int64(n_items) + every.item)
    inc_acc, inc_item = inc // n_items, inc % n_items
    n_i = np.bincount(inc_item, minlength=n_items).astype(np.float64)
    acts_i = np.bincount(acts.item, minlength=n_items).astype(np.float64)
    item_stratum = np.zeros(n_items, dtype=np.int64)
    item_stratum[every.item] = every.stratum
    act_pairs = acts_i * (acts_i - 1) / 2
    q = np.divide(
        pairs.in_sync,
        act_pairs[:, None],
        out=np.zeros(pairs.in_sync.shape),
        where=act_pairs[:, None] > 0,
    )
    q = np.minimum(q, 1.0)
    for s in np.unique(item_stratum[n_i > 0]):
        items = np.flatnonzero((item_stratum == s) & (n_i > 0))
        m_total = n_i[items].sum()
        d = np.bincount(inc_acc[item_stratum[inc_item] == s], minlength=n_acc).astype(np.float64)
        da, db = d[pairs.a], d[pairs.b]
        on = (da > 0) & (db > 0)
        if not on.any():
            continue
        order = np.argsort(n_i[items], kind="stable")
        x = n_i[items][order]
        qs = q[items][order]  # (items, windows)
        zero = np.zeros((1, n_scales))
        c2 = np.concatenate([zero, np.cumsum(x[:, None] ** 2 * qs, axis=0)])
        c1 = np.concatenate([zero, np.cumsum(x[:, None] * qs, axis=0)])
        c0 = np.concatenate([zero, np.cumsum(qs, axis=0)])
        lo, hi = np.minimum(da[on], db[on]), np.maximum(da[on], db[on])
        # items where neither probability reaches 1, where only the busier account's does,
        # and where both do
        k_hi = np.searchsorted(x, m_total / hi, side="right")
        k_lo = np.searchsorted(x, m_total / lo, side="right")
        both = (lo * hi / m_total**2)[:, None] * c2[k_hi]
        one = (lo / m_total)[:, None] * (c1[k_lo] - c1[k_hi])
        none = c0[-1][None, :] - c0[k_lo]
        out[on] += both + one + none
    out += _voice_affinity(every, pairs, q, inc_acc, inc_item, n_i, item_stratum)
    return out


def _voice_affinity(
    acts: Acts,
    pairs: SyncedPairs,
    q: np.ndarray,
    inc_acc: np.ndarray,
    inc_item: np.ndarray,
    n_i: np.ndarray,
    item_stratum: np.ndarray,
    *,
    min_voice_items: int = 4,
) -> np.ndarray:
    """What the accounts' affinity to a voice adds to ``E``: for each voice ``u`` with at
    least ``min_voice_items`` items that both accounts acted on, ``k_au / N_u * k_bu / N_u``
    (the shares of its items each acted on) times the voice's sum of ``q``, less the
    configuration model's share of the same items, when larger.  Followers of the same
    few outlets meet on them because they follow them, not by chance."""
    n_scales = q.shape[1]
    out = np.zeros((len(pairs.a), n_scales))
    n_items = len(acts.items)
    ctx_of = np.zeros(n_items, dtype=np.int64)
    ctx_of[acts.item] = acts.context
    n_ctx = np.int64(max(len(acts.contexts), 1))
    voice_items = np.bincount(ctx_of[n_i > 0], minlength=int(n_ctx))
    big = voice_items >= min_voice_items
    sel = big[ctx_of[inc_item]]
    if not sel.any() or len(pairs.a) == 0:
        return out
    va = inc_acc[sel] * n_ctx + ctx_of[inc_item[sel]]
    key, k = np.unique(va, return_counts=True)  # (account, voice) -> items acted on
    q_voice = np.zeros((int(n_ctx), n_scales))
    np.add.at(q_voice, ctx_of[n_i > 0], q[n_i > 0])
    mass = np.bincount(item_stratum, weights=n_i, minlength=int(item_stratum.max()) + 1)
    s_voice = np.zeros((int(n_ctx), n_scales))
    np.add.at(
        s_voice,
        ctx_of[n_i > 0],
        (n_i[n_i > 0] ** 2 / np.maximum(mass[item_stratum[n_i > 0]], 1.0) ** 2)[:, None]
        * q[n_i > 0],
    )
    d_all = np.bincount(
        inc_acc * (item_stratum.max() + 1) + item_stratum[inc_item],
        minlength=len(acts.accounts) * (int(item_stratum.max()) + 1),
    ).astype(np.float64)
    voice_stratum = np.zeros(int(n_ctx), dtype=np.int64)
    voice_stratum[ctx_of[n_i > 0]] = item_stratum[n_i > 0]
    acc_of = key // n_ctx
    start = np.searchsorted(acc_of, pairs.a, side="left")
    stop = np.searchsorted(acc_of, pairs.a, side="right")
    n = stop - start
    if n.sum() == 0:
        return out
    row = np.repeat(np.arange(len(pairs.a)), n)
    first = np.repeat(start - (np.cumsum(n) - n), n) + np.arange(int(n.sum()))
    voice = key[first] % n_ctx
    want = pairs.b[row] * n_ctx + voice
    at = np.minimum(np.searchsorted(key, want), len(key) - 1)
    hit = key[at] == want
    row, voice, ka, kb = row[hit], voice[hit], k[first[hit]], k[at[hit]]
    n_u = voice_items[voice].astype(np.float64)
    ns = int(item_stratum.max()) + 1
    da = d_all[pairs.a[row] * ns + voice_stratum[voice]]
    db = d_all[pairs.b[row] * ns + voice_stratum[voice]]
    aff = (ka / n_u * kb / n_u)[:, None] * q_voice[voice]
    conf = (da * db)[:, None] * s_voice[voice]
    np.add.at(out, row, np.maximum(aff - conf, 0.0))
    return out


@dataclass(frozen=True)
class PairTests:
    """Per candidate pair: ``p_value`` (the smallest over the windows, times their number),
    ``window`` (index of the window that gave it), ``weak`` (``p_value <= alpha``) and
    ``strong`` (``p_value <= strong_alpha``)."""

    p_value: np.ndarray
    window: np.ndarray
    weak: np.ndarray
    strong: np.ndarray


def test_pairs(
    observed: np.ndarray,
    expected: np.ndarray,
    contexts: np.ndarray,
    *,
    min_items: int,
    min_contexts: int,
    alpha: float,
    strong_alpha: float,
) -> PairTests:
    """Poisson tail ``P(X >= O | E)`` per window, the best window per pair (Bonferroni
    over the windows); a window counts only where the pair was in sync on at least
    ``min_items`` items of at least ``min_contexts`` contexts.

    >>> obs = np.array([[1, 2], [0, 5]]); exp = np.array([[0.5, 3.0], [0.1, 0.2]])
    >>> t = test_pairs(obs, exp, obs, min_items=2, min_contexts=2, alpha=1e-4,
    ...                strong_alpha=1e-9)
    >>> t.weak.tolist(), t.strong.tolist(), t.window.tolist()
    ([False, True], [False, False], [1, 1])
    """
    n, n_scales = observed.shape
    if n == 0:
        empty = np.zeros(0, bool)
        return PairTests(np.ones(0), np.zeros(0, np.int64), empty, empty)
    e = np.maximum(expected, 1e-300)
    o = observed.astype(np.float64)
    ok = (contexts >= min_contexts) & (observed >= min_items)
    p = np.where(ok, gammainc(np.maximum(o, 1e-9), e), 1.0)
    best = np.argmin(p, axis=1)
    pv = np.minimum(p[np.arange(n), best] * n_scales, 1.0)
    return PairTests(p_value=pv, window=best, weak=pv <= alpha, strong=pv <= strong_alpha)
