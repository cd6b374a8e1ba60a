"""Cohorts: accounts that share a trait (a creation burst, an MCN) and act as one.

Pairs of accounts (:mod:`.pairs`, :mod:`.chance`) need co-timing within minutes; an
army that drips each wave over hours, or whose members each join only one or two waves,
leaves too little of it for any pair.  Its accounts often share something else that is in
the data: they were registered in one burst, or signed to one MCN.  A shared trait
alone is not coordination (a platform's sign-up campaign, an agency's creators), so a
*cohort* (the accounts of one burst or one MCN) is tested on its behaviour, against a
chance model of who acts on what:

1. **Waves** (:func:`wave_tests`).  Under the configuration model of the account–item
   graph (per stratum, as in :mod:`.chance`), account ``a`` acts on item ``i`` with
   probability ``p_ai = min(1, d_a n_i / M)``, where ``n_i`` is the item's popularity
   among the *other* accounts (those outside the cohort that acted on it, plus one) and
   ``M`` their acts in the stratum: the cohort is the hypothesis under test, so its own
   acts must not make its targets look popular.  The cohort's members acting on ``i``,
   ``k_i``, are compared with ``E_i = sum over members of p_ai`` (Poisson tail), and
   those in sync with another member with ``E_i s_i`` (step 2's crowd share); an item
   is a *wave* of the cohort when the best of these p-values, times the number of tests,
   the items the cohort touched and the number of cohorts, is at most ``alpha`` and
   ``k_i >= min_wave``.  Organic accounts that share a trait spread over items as their
   activity predicts and act when the crowd does; an army piles onto its targets.
2. **Members** (:func:`member_tests`).  A member's act on a wave is *in sync with the
   cohort* when another member acted on that item within the window; ``s_i``, the
   share of the other accounts' acts on ``i`` in sync with the cohort (plus one in two,
   so an item nobody else touched is not taken as proof), is the time-local crowd rate
   of the wave.  ``O_a``: waves the member acted on in sync; ``E_a = sum over waves of
   p_ai s_i``: what an account of its activity would have by chance (choosing the item
   and landing in the cohort's minutes).  The p-value is the Poisson tail, the best
   window times the number of windows.  Members with ``O_a >= min_items`` are kept by
   Benjamini–Hochberg at ``q`` over the cohort's acting members: at most a share ``q``
   of the kept members is expected to be there by chance.
3. **Clusters**.  Kept members linked through the waves they acted on in sync form
   connected components (two armies in one burst act on different waves, so they stay
   apart); components of at least ``min_size`` members whose waves come from at least
   ``min_contexts`` voices are reported (:func:`cohort_members`).

Every function takes arrays of statistics (degrees, item sizes, counts, crowd shares),
so the tests can run on aggregated tables elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import gammainc

from pileon.detectors.coordination.acts import Acts
from pileon.graph.arrays import distinct

__all__ = [
    "Cohort",
    "configuration_sums",
    "poisson_tail",
    "bh_keep",
    "wave_tests",
    "member_tests",
    "cohort_members",
    "trait_cohorts",
]

COHORT_COLUMNS = ("account", "anchor", "cohort", "observed", "expected", "p_value", "waves")


@dataclass(frozen=True)
class Cohort:
    """A named set of account codes sharing a trait (``burst:<first>``, ``mcn:<id>``)."""

    name: str
    codes: np.ndarray


def poisson_tail(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """``P(X >= O)`` for ``X ~ Poisson(E)``, 1 where ``O <= 0``.

    >>> poisson_tail(np.array([0, 1, 3]), np.array([1.0, 1.0, 0.1])).round(4).tolist()
    [1.0, 0.6321, 0.0002]
    """
    o = np.asarray(observed, dtype=np.float64)
    e = np.maximum(np.asarray(expected, dtype=np.float64), 1e-300)
    return np.where(o > 0, gammainc(np.maximum(o, 1e-9), e), 1.0)


def configuration_sums(d: np.ndarray, n: np.ndarray, w: np.ndarray, m: float) -> np.ndarray:
    """``sum_i min(1, d n_i / m) w_i`` for each degree of ``d``, over items of sizes ``n``
    and weights ``w`` (the configuration model's chance that an account of degree ``d``
    acts on each item, weighted).  Sorted prefix sums: ``O((|d| + |n|) log |n|)``.

    >>> configuration_sums(np.array([1.0, 10.0]), np.array([2.0, 5.0]), np.ones(2), 10.0)
    array([0.7, 2. ])
    """
    d = np.asarray(d, dtype=np.float64)
    if len(n) == 0 or m <= 0:
        return np.zeros(len(d))
    order = np.argsort(n, kind="stable")
    x = np.asarray(n, dtype=np.float64)[order]
    ww = np.asarray(w, dtype=np.float64)[order]
    c1 = np.concatenate([[0.0], np.cumsum(x * ww)])
    c0 = np.concatenate([[0.0], np.cumsum(ww)])
    # items where d n_i / m < 1 count d n_i / m, the others 1
    k = np.searchsorted(x, m / np.maximum(d, 1e-300), side="left")
    return d / m * c1[k] + (c0[-1] - c0[k])


def bh_keep(p: np.ndarray, q: float, m: int | None = None) -> np.ndarray:
    """Benjamini–Hochberg at ``q`` over ``m`` hypotheses (default ``len(p)``): which to keep.

    >>> bh_keep(np.array([0.001, 0.02, 0.03, 0.5]), 0.05).tolist()
    [True, True, True, False]
    """
    p = np.asarray(p, dtype=np.float64)
    m = len(p) if m is None else max(int(m), len(p))
    if len(p) == 0:
        return np.zeros(0, dtype=bool)
    order = np.argsort(p, kind="stable")
    ok = p[order] <= q * np.arange(1, len(p) + 1) / max(m, 1)
    keep = np.zeros(len(p), dtype=bool)
    if ok.any():
        keep[order[: int(np.flatnonzero(ok)[-1]) + 1]] = True
    return keep


def wave_tests(
    k: np.ndarray, n: np.ndarray, m: np.ndarray, cohort_degrees: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Expected members and p-value per item: ``E_i = sum over the cohort's members of
    min(1, d_a n_i / M)`` (the members' degrees ``cohort_degrees[s]`` in the item's
    stratum ``s``), ``P(X >= k_i | E_i)``.  ``k``, ``n``: the cohort's members and all
    accounts on each item; ``m``: ``(stratum, M)`` per item as two columns.

    >>> e, p = wave_tests(np.array([3, 1]), np.array([4.0, 4.0]),
    ...                   np.array([[0, 100.0], [0, 100.0]]), [np.array([2.0, 2.0, 2.0])])
    >>> e.round(2).tolist(), p.round(4).tolist()
    ([0.24, 0.24], [0.0019, 0.2134])
    """
    e = np.zeros(len(k))
    strata = m[:, 0].astype(np.int64)
    for s in np.unique(strata):
        at = strata == s
        deg = cohort_degrees[int(s)]
        if len(deg) == 0:
            continue
        # the roles of the model are symmetric: items of size n over degrees d
        e[at] = configuration_sums(n[at], deg, np.ones(len(deg)), float(m[at, 1][0]))
    return e, poisson_tail(k, e)


def member_tests(
    observed: np.ndarray,
    degrees: np.ndarray,
    wave_n: np.ndarray,
    wave_s: np.ndarray,
    m: float,
) -> tuple[np.ndarray, np.ndarray]:
    """``E_a = sum over waves of min(1, d_a n_i / M) s_i`` and the Poisson tail of each
    member's ``O_a`` (waves it acted on in sync with its cohort): the chance that an
    account of its activity acts on a wave in the cohort's minutes (module docstring).
    One stratum; ``wave_s`` the crowd's in-sync share per wave.

    >>> e, p = member_tests(np.array([4, 1]), np.array([5.0, 50.0]), np.array([10.0] * 4),
    ...                     np.array([0.5] * 4), 1000.0)
    >>> e.round(2).tolist(), p.round(4).tolist()
    ([0.1, 1.0], [0.0, 0.6321])
    """
    e = configuration_sums(degrees, wave_n, wave_s, m)
    return e, poisson_tail(observed, e)


def trait_cohorts(p, acts: Acts, *, burst_window: float, min_size: int) -> list[Cohort]:
    """The cohorts of an event: each account-creation burst
    (:func:`.traits.creation_bursts`) and each MCN's affiliated accounts, as codes of
    ``acts`` (accounts that never acted are left out), with at least ``min_size`` of them.
    Sorted by name.  ``O(A log A)``."""
    from pileon.detectors.coordination.traits import creation_bursts

    code = pd.Series(np.arange(len(acts.accounts)), index=pd.Index(acts.accounts))
    groups: dict[str, list[str]] = {}
    acc = p.accounts
    if len(acc) and "created_at" in acc and acc["created_at"].notna().any():
        lab = creation_bursts(acc, burst_window=burst_window).dropna()
        for name, ids in lab.groupby(lab.astype(str)):
            groups[f"burst:{name}"] = list(ids.index)
    aff = getattr(p, "affiliations", None)
    if aff is not None and len(aff):
        for name, ids in aff.dropna(subset=["mcn_id"]).groupby("mcn_id")["account_id"]:
            groups[f"mcn:{name}"] = list(ids)
    out = []
    for name in sorted(groups):
        codes = code.reindex(groups[name]).dropna().to_numpy(dtype=np.int64)
        codes = distinct(codes)
        if len(codes) >= min_size:
            out.append(Cohort(name, codes))
    return out


def cohort_members(
    every: Acts,
    cohorts: list[Cohort],
    windows: tuple[float, ...],
    *,
    min_items: int = 2,
    min_contexts: int = 2,
    min_size: int = 3,
    min_wave: int = 3,
    alpha: float = 1e-3,
    q: float = 0.01,
) -> pd.DataFrame:
    """The members of every cohort that acts as one (module docstring).

    Returns one row per kept member: ``account`` (code), ``anchor`` (the smallest code of
    its component), ``cohort`` (name), ``observed``, ``expected``, ``p_value`` and
    ``waves`` (the component's waves).  An account kept by several cohorts has a row for
    each (sorted by account, p-value, anchor): the rows link the cohorts' components.  ``O(C (m log m + G log W))`` for ``C`` cohorts, the ``m``
    acts on a cohort's items, ``G`` members and ``W`` waves.
    """
    out = pd.DataFrame(columns=list(COHORT_COLUMNS))
    if not cohorts or len(every) == 0:
        return out
    n_acc = len(every.accounts)
    n_items = np.int64(len(every.items))
    inc = distinct(every.account * n_items + every.item)
    inc_acc, inc_item = inc // n_items, inc % n_items
    n_i = np.bincount(inc_item, minlength=int(n_items)).astype(np.float64)
    item_stratum = np.zeros(int(n_items), dtype=np.int64)
    item_stratum[every.item] = every.stratum
    ctx_of = np.zeros(int(n_items), dtype=np.int64)
    ctx_of[every.item] = every.context
    n_strata = int(item_stratum.max()) + 1
    m_s = np.bincount(item_stratum, weights=n_i, minlength=n_strata)
    deg = (
        np.bincount(inc_acc * n_strata + item_stratum[inc_item], minlength=n_acc * n_strata)
        .reshape(n_acc, n_strata)
        .astype(np.float64)
    )
    rows = []
    for cohort in cohorts:
        acting = cohort.codes[deg[cohort.codes].sum(axis=1) > 0]
        if len(acting) < min_size:
            continue
        is_m = np.zeros(n_acc, dtype=bool)
        is_m[acting] = True
        mine = is_m[inc_acc]
        k_i = np.bincount(inc_item[mine], minlength=int(n_items))
        touched = np.flatnonzero(k_i > 0)
        degs = [deg[acting, s][deg[acting, s] > 0] for s in range(n_strata)]
        strata = item_stratum[touched]
        # popularity as the other accounts see it: the cohort is the hypothesis under test
        pop = n_i - k_i + 1.0
        m_out = np.maximum(m_s - np.bincount(item_stratum[inc_item[mine]], minlength=n_strata), 1.0)
        e_i, p_i = wave_tests(
            k_i[touched], pop[touched], np.column_stack([strata, m_out[strata]]), degs
        )
        sync = _in_sync(every, is_m, touched, windows)
        for w in range(len(windows)):
            k_w, s_w = sync.k[touched, w], sync.s[touched, w]
            p_i = np.minimum(p_i, poisson_tail(k_w, e_i * s_w))
        p_i = np.minimum(p_i * (1 + len(windows)), 1.0)
        bar = alpha / (len(touched) * len(cohorts))
        waves = touched[(p_i <= bar) & (k_i[touched] >= min_wave)]
        if len(np.unique(ctx_of[waves])) < min_contexts:
            continue
        rows.append(
            _members(
                cohort,
                acting,
                waves,
                sync,
                pop,
                item_stratum,
                m_out,
                deg,
                ctx_of,
                n_acc,
                min_items=min_items,
                min_contexts=min_contexts,
                min_size=min_size,
                q=q,
            )
        )
    rows = [r for r in rows if len(r)]
    if not rows:
        return out
    res = pd.concat(rows, ignore_index=True)
    res = res.sort_values(["account", "p_value", "anchor", "cohort"], kind="mergesort")
    return res.reset_index(drop=True)


@dataclass(frozen=True)
class _Sync:
    """Per item and window: ``k`` members in sync with the cohort, ``s`` the crowd's
    in-sync share (plus one in two); per act on the items: ``item``, ``account``, and
    ``sync`` (a member's act in sync with another member's, per window)."""

    k: np.ndarray
    s: np.ndarray
    item: np.ndarray
    account: np.ndarray
    sync: np.ndarray


def _in_sync(every: Acts, is_m: np.ndarray, items: np.ndarray, windows: tuple[float, ...]) -> _Sync:
    """Sync with the cohort of every act on ``items`` (sorted codes), each window.
    ``O(m log m)`` for the ``m`` acts on them."""
    n_w = len(every.items)
    rows = np.flatnonzero(np.isin(every.item, items))  # sorted by item, then time
    item, acc = every.item[rows], every.account[rows]
    member = is_m[acc]
    t_ms = np.round(every.t[rows] * 1000.0).astype(np.int64)
    k = np.zeros((n_w, len(windows)))
    s = np.zeros((n_w, len(windows)))
    flags = np.zeros((len(rows), len(windows)), dtype=bool)
    n_out = np.bincount(item[~member], minlength=n_w).astype(np.float64)
    n_acc = np.int64(len(every.accounts))
    for w, win in enumerate(windows):
        w_ms = int(round(win * 1000.0))
        span = np.int64(t_ms.max() - min(t_ms.min(), 0) + 2 * w_ms + 1) if len(t_ms) else 1
        key = item * span + t_ms
        m_key = key[member]
        near = np.searchsorted(m_key, key + w_ms, side="right") - np.searchsorted(
            m_key, key - w_ms, side="left"
        )
        sync = (near - member) > 0
        flags[:, w] = sync & member
        n_sync = np.bincount(item[~member & sync], minlength=n_w).astype(np.float64)
        s[:, w] = (n_sync + 1.0) / (n_out + 2.0)
        on = sync & member
        k[:, w] = np.bincount(distinct(item[on] * n_acc + acc[on]) // n_acc, minlength=n_w)
    return _Sync(k=k, s=s, item=item, account=acc, sync=flags)


def _members(
    cohort: Cohort,
    acting: np.ndarray,
    waves: np.ndarray,
    sync: _Sync,
    pop: np.ndarray,
    item_stratum: np.ndarray,
    m_out: np.ndarray,
    deg: np.ndarray,
    ctx_of: np.ndarray,
    n_acc: int,
    *,
    min_items: int,
    min_contexts: int,
    min_size: int,
    q: float,
) -> pd.DataFrame:
    """Steps 2 and 3 of the module docstring for one cohort and its waves."""
    on_wave = np.isin(sync.item, waves)
    pos = np.full(n_acc, -1, dtype=np.int64)
    pos[acting] = np.arange(len(acting))
    n_w = np.int64(len(pop))
    n_win = sync.k.shape[1]
    best_p = np.ones(len(acting))
    best_o = np.zeros(len(acting))
    best_e = np.zeros(len(acting))
    for w in range(n_win):
        on = on_wave & sync.sync[:, w]
        kk = distinct(pos[sync.account[on]] * n_w + sync.item[on])
        o = np.bincount(kk // n_w, minlength=len(acting)).astype(np.float64)
        e = np.zeros(len(acting))
        for st in np.unique(item_stratum[waves]):
            wv = waves[item_stratum[waves] == st]
            e += configuration_sums(deg[acting, st], pop[wv], sync.s[wv, w], float(m_out[st]))
        p = poisson_tail(o, e)
        better = p < best_p
        best_p[better], best_o[better], best_e[better] = p[better], o[better], e[better]
    best_p = np.minimum(best_p * n_win, 1.0)
    keep = bh_keep(best_p, q) & (best_o >= min_items)
    kept = acting[keep]
    if len(kept) < min_size:
        return pd.DataFrame(columns=list(COHORT_COLUMNS))
    # components of kept members through the waves they acted on in sync (widest window)
    from pileon.detectors.coordination.groups import components

    on = on_wave & sync.sync[:, -1] & np.isin(sync.account, kept)
    node_w = np.searchsorted(waves, sync.item[on]) + n_acc
    label = components(sync.account[on], node_w, n_acc + len(waves))
    out = []
    for lab in np.unique(label[kept]):
        grp = kept[label[kept] == lab]
        wv = waves[label[n_acc + np.arange(len(waves))] == lab]
        if len(grp) < min_size or len(np.unique(ctx_of[wv])) < min_contexts:
            continue
        at = np.searchsorted(acting, grp)
        out.append(
            pd.DataFrame(
                {
                    "account": grp,
                    "anchor": np.full(len(grp), grp.min(), dtype=np.int64),
                    "cohort": cohort.name,
                    "observed": best_o[at],
                    "expected": best_e[at],
                    "p_value": best_p[at],
                    "waves": len(wv),
                }
            )
        )
    if not out:
        return pd.DataFrame(columns=list(COHORT_COLUMNS))
    return pd.concat(out, ignore_index=True)
