"""Coordinated clusters ("water army", 水军): accounts in sync beyond what chance explains.

A viral post puts thousands of organic pairs of accounts within a minute of each other,
and a fan club reposts its idol within seconds, over and over; co-reposting alone proves
nothing.  This detector keeps a pair of accounts only when it was in sync on more
*distinct voices* than its activity and the crowding of the items explain, then reports
the connected groups of such pairs.

How it works
------------
1. **Acts** (:mod:`.acts`).  Reposts act on the root post they amplify, near-copies on
   their narrative, comments on the commented content; each item has a *context* (the
   author whose voice it amplifies; a narrative is its own) and a *stratum* (its
   platform).  Accounts that acted on fewer than ``min_items`` items of ``min_contexts``
   contexts are left out: they cannot make a pair.
2. **Pairs in sync** (:mod:`.pairs`).  Two acts on one item within ``w`` seconds are in
   sync, for each window of ``windows`` (a minute for bursts, five for armies that
   trickle in).  For every account pair: ``O(w)``, the distinct items it was in sync on,
   and their contexts.  Where an item is crowded, its in-sync pairs are sampled
   uniformly (about ``max_partners`` per act, ``pair_budget`` pairs in all): the cost is
   bounded on any input, and the sampling rate enters the expectation of step 3.
3. **Chance** (:mod:`.chance`).  ``E(w)``, the in-sync items the pair would have if
   accounts acted independently: a configuration model of who acts on what (busy
   accounts meet busy items), each account's affinity to the voices it follows, and the
   share of each item's act pairs in sync (a crowded item makes sync cheap).  The p-value
   is the Poisson tail of ``O`` given ``E``, the best window, times the number of windows.
4. **Clusters** (:mod:`.groups`).  A pair is *strong* when its p-value is below
   ``strong / C(N, 2)`` for the ``N`` accounts in play (at most ``strong`` such pairs are
   expected by chance in the whole event), *weak* when below ``alpha``.  Chance makes
   weak pairs in a large event, but scattered: the weak pairs kept are those of the
   ``min_degree``-core (every account tied to at least ``min_degree`` others by weak
   pairs).  Connected components of the strong and kept weak pairs with at least
   ``min_size`` accounts are the coordinated clusters.  An account outside them joins
   one when its sync with the cluster's waves beats the crowd of those items
   (:func:`.groups.group_test` at ``join_alpha``, on at least ``min_items`` waves): a
   member whose waves drown in a viral crowd has few pairs beating chance but keeps
   moving with the group.  A member tied only by weak pairs on ``min_items`` items stays
   when the cluster, tested as a cohort (step 5), keeps it (``vet_members``).
5. **Cohorts** (:mod:`.cohorts`).  The accounts of one creation burst or of one MCN are
   tested as a group: its *waves* are the items its members pile onto beyond what their
   activity and the items' popularity among the other accounts give (configuration
   model), or whose timing beats the crowd's; a member joins when its acts on the waves
   in the cohort's minutes (within 1, 5 or 30 min of another member) beat what an account
   of its activity would have by chance (the crowd's in-sync share of each wave), kept by
   Benjamini–Hochberg at ``cohort_q``.  The trait only says whom to test together; the
   behaviour decides.  This finds armies whose waves drip over hours or whose members
   each join few waves, which leave too little co-timing for any pair.
6. **Clusters and evidence.**  Components of the kept pairs, the joins and the cohorts'
   members.  Members get the role ``coordinated``.  Evidence: the items amplified in
   sync and whose voices, the time between members' acts, observed against expected, the
   cohorts that acted as one; account traits (:mod:`.traits`: creation bursts, few
   followers, shared identities) are reported and lift the score a little.

Why voices: an army is hired to amplify several voices (first posters, inciters,
splicers, impersonators); a fan club or a news audience follows a few, and the chance
model expects its members to meet on them.  Limitations: a group that amplifies only
one voice is not found (``min_contexts``); an army whose acts are spread over more than
the widest window, like a slow drip over hours, leaves no co-timing for pairs, and a
wave that holds a small share of a large army gives each pair too few shared items:
such an army is found when it shares a creation burst or an MCN (step 5), otherwise
only in part or not at all (bench/RESULTS.md, ``grid --no-traits``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from pileon.detectors.coordination.acts import Acts, coordination_acts
from pileon.detectors.coordination.chance import expected_sync, test_pairs
from pileon.detectors.coordination.cohorts import (
    COHORT_COLUMNS,
    Cohort,
    cohort_members,
    trait_cohorts,
)
from pileon.detectors.coordination.groups import (
    cluster_record,
    components,
    group_sync,
    group_test,
    sync_events,
)
from pileon.detectors.coordination.pairs import synced_pairs
from pileon.detectors.coordination.traits import account_traits, creation_bursts
from pileon.detectors.findings import Cluster, RoleFinding
from pileon.graph.arrays import distinct
from pileon.graph.errors import InputError
from pileon.graph.projection import Projection

__all__ = ["ClusterResult", "detect_coordinated", "coordination_acts", "creation_bursts"]

EDGE_COLUMNS = ("account_a", "account_b", "observed", "expected", "p_value", "window")


@dataclass(frozen=True, eq=False)
class ClusterResult:
    """What :func:`detect_coordinated` returns.

    Attributes
    ----------
    clusters : list of Cluster
        Every component of two or more accounts, significant ones first (by score,
        size, then first member); ``significant`` tells which.
    findings : list of RoleFinding
        Role ``coordinated`` for the members of significant clusters, by account ID.
    edges : pandas.DataFrame
        The kept pairs: ``account_a, account_b, observed, expected, p_value, window``
        (observed and expected in the window, in seconds, that gave the p-value).
    stats : dict
        Counts of the run: acts, accounts in play, pairs enumerated and tested, the
        partner cap used, the FDR threshold.
    """

    clusters: list[Cluster] = field(default_factory=list)
    findings: list[RoleFinding] = field(default_factory=list)
    edges: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=EDGE_COLUMNS))
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def significant(self) -> list[Cluster]:
        return [c for c in self.clusters if c.significant]


def _check(windows: Any, **ints: Any) -> tuple[float, ...]:
    try:
        ws = tuple(float(w) for w in windows)
    except (TypeError, ValueError):
        raise InputError(f"windows must be numbers of seconds, got {windows!r}") from None
    if not ws or any(not math.isfinite(w) or w <= 0 for w in ws) or list(ws) != sorted(set(ws)):
        raise InputError(f"windows must be increasing positive seconds, got {windows!r}")
    for name, (v, low) in ints.items():
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
            raise InputError(f"{name} must be a whole number >= {low}, got {v!r}")
    return ws


def detect_coordinated(
    p: Projection,
    *,
    narratives: Any = None,
    seed: int | None = 0,
    windows: tuple[float, ...] = (60.0, 300.0),
    min_items: int = 2,
    min_contexts: int = 2,
    alpha: float = 1e-4,
    strong: float = 1.0,
    min_degree: int = 3,
    min_size: int = 3,
    max_partners: int = 32,
    pair_budget: int = 16_000_000,
    member_alpha: float | None = None,
    join_alpha: float | None = 1e-4,
    cohort_alpha: float | None = 1e-3,
    cohort_q: float = 0.01,
    cohort_windows: tuple[float, ...] = (60.0, 300.0, 1800.0),
    vet_members: bool = True,
    low_followers: float | None = None,
    burst_window: float = 86_400.0,
    show_progress: bool = False,
    pair_engine: Any = None,
) -> ClusterResult:
    """Find coordinated clusters of accounts in one event (module docstring for the method).

    Parameters
    ----------
    p : Projection
        The event's projection.
    narratives : NarrativeResult or mapping, optional
        Narrative of every content (``of_content``); computed with
        :func:`pileon.detectors.narratives.detect_narratives` when omitted.
    seed : int or None, default 0
        Seeds the sampling of crowded items' pairs (None: 0).
    windows : tuple of float, default (60, 300)
        Seconds within which two acts on one item are in sync, each tried (increasing).
    min_items : int, default 2
        Items a pair must have been in sync on.
    min_contexts : int, default 2
        Voices (contexts) those items must come from.
    alpha : float, default 1e-4
        Largest p-value of a weak pair.
    strong : float, default 1
        Pairs expected by chance in the whole event below the strong threshold
        (``strong / C(N, 2)`` per pair for ``N`` accounts in play).
    min_degree : int, default 3
        Weak pairs are kept in the ``min_degree``-core of the weak-pair graph.
    min_size : int, default 3
        Smallest significant cluster.
    max_partners : int, default 32
        Average number of partners sampled per act on crowded items.
    pair_budget : int, default 16,000,000
        Act pairs enumerated at most (over all windows); ``max_partners`` is lowered to
        fit.
    member_alpha : float, optional
        When given, a member tied to its cluster only by pairs in sync on ``min_items``
        items (two coincidences) stays only when its sync with the whole cluster's waves
        beats the crowd of those items (:func:`.groups.group_test`) at this level.  Off by
        default: on the scenario grid (bench/RESULTS.md) 0.01 takes the few organic
        accounts out of large armies' clusters but also members that joined few waves.
    join_alpha : float or None, default 1e-4
        An account outside every cluster joins a significant cluster when its sync with
        the cluster's waves beats the crowd of those items (:func:`.groups.group_test`)
        at this level, on at least ``min_items`` waves: a member of a wave drowned in a
        viral crowd has too few strong pairs but moves with the group.  None: off.
    cohort_alpha : float or None, default 1e-3
        Accounts of one creation burst or one MCN (a *cohort*) are tested as a group
        (:mod:`.cohorts`): an item is a wave of the cohort when its members on it beat the
        configuration model's expectation, or their sync beats the crowd's, at this level
        (Bonferroni over the items it touched and the cohorts).  None: no cohort test.
    cohort_q : float, default 0.01
        Members of a cohort with waves join when their sync with its waves beats chance
        (:func:`.cohorts.member_tests`), Benjamini–Hochberg at this false discovery rate
        over the cohort's acting members.
    cohort_windows : tuple of float, default (60, 300, 1800)
        Seconds within which a member's act is in sync with its cohort (or its cluster,
        ``vet_members``), each tried; the crowd's in-sync share on the same items is the
        expectation, so a wide window costs no false members, only power.
    vet_members : bool, default True
        A member of a would-be cluster tied to it only by weak pairs in sync on
        ``min_items`` items stays only when the cluster, taken as a cohort, keeps it
        (:func:`.cohorts.cohort_members` at ``cohort_alpha`` and ``cohort_q``): in a large
        army's minutes an organic account that reposted two of its viral targets pairs
        with many members twice without acting with the army beyond chance.
    low_followers : float, optional
        Follower count at or below which an account has few followers (evidence only);
        default the 20th percentile of the event's accounts.
    burst_window : float, default 86400
        Widest window of an account-creation burst (:func:`creation_bursts`).
    show_progress : bool, default False
        Progress bars over the pairs.
    pair_engine : callable, optional
        Counts the pairs in sync in place of :func:`.pairs.synced_pairs` (same arguments,
        same result): an engine that runs next to the data (``pileon.spark``).  Default:
        in process.

    Returns
    -------
    ClusterResult

    Raises
    ------
    pileon.graph.errors.InputError
        On an option out of range.

    Notes
    -----
    *Complexity.*  ``O(n log n + P log P + S K log I + K V)`` for ``n`` acts, ``P <=
    min(n * max_partners * W, pair_budget)`` sampled pairs over ``W`` windows, ``K``
    candidate pairs, ``S`` strata, ``I`` items and ``V`` shared voices per pair; memory
    ``O(n + P)``.  No step enumerates the pairs of a crowded window in full.

    *Error of the sampling.*  On an item whose in-sync act pairs ``P_i`` exceed
    ``max_partners`` times its acts ``n_i``, each pair is kept with probability
    ``r_i = max_partners * n_i / P_i`` (seeded), so a pair's in-sync count there is a
    binomial thinning of the true one (mean ``r_i`` per item, variance ``r_i (1 - r_i)``);
    its expectation ``E`` is thinned by the same ``r_i``, so the test stays calibrated and
    only loses power on crowded items.  Uncrowded items are counted exactly.

    Examples
    --------
    >>> from pileon.graph.projection import Projection
    >>> rows = []
    >>> for k in range(6):          # five accounts repost six authors' posts within seconds
    ...     for i, a in enumerate("abcde"):
    ...         rows.append({"repost_id": f"r{k}{a}", "account_id": a, "source_id": f"s{k}",
    ...                      "reposted_at": f"2026-03-01T{10 + k}:00:{i:02d}Z"})
    ...     for i in range(30):     # and thirty others repost them over the day
    ...         rows.append({"repost_id": f"o{k}-{i}", "account_id": f"x{(i + k) % 30}",
    ...                      "source_id": f"s{k}",
    ...                      "reposted_at": f"2026-03-01T{(i % 12) + 8:02d}:{(7 * i) % 60:02d}:30Z"})
    >>> contents = [{"content_id": f"s{k}", "account_id": f"author{k}", "platform": "weibo",
    ...              "posted_at": "2026-03-01T07:00:00Z"} for k in range(6)]
    >>> p = Projection.from_tables({"event_id": "e"}, reposts=rows, contents=contents)
    >>> res = detect_coordinated(p, narratives={})
    >>> [c.accounts for c in res.significant]
    [('a', 'b', 'c', 'd', 'e')]
    """
    ws = _check(
        windows,
        min_items=(min_items, 1),
        min_contexts=(min_contexts, 1),
        min_degree=(min_degree, 1),
        min_size=(min_size, 2),
        max_partners=(max_partners, 1),
        pair_budget=(pair_budget, 1),
    )
    checks = [("alpha", alpha, 1.0), ("strong", strong, math.inf), ("cohort_q", cohort_q, 1.0)]
    if cohort_alpha is not None:
        checks.append(("cohort_alpha", cohort_alpha, 1.0))
    if member_alpha is not None:
        checks.append(("member_alpha", member_alpha, 1.0))
    if join_alpha is not None:
        checks.append(("join_alpha", join_alpha, 1.0))
    for name, v, hi in checks:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= hi:
            raise InputError(f"{name} must be a number in (0, {hi:g}], got {v!r}")
    cws = _check(cohort_windows)
    seed = 0 if seed is None else int(seed)
    every = coordination_acts(p, narratives=narratives)
    acts = _in_play(every, min_contexts, min_items)
    stats: dict[str, float] = {"acts": float(len(every)), "acts_in_play": float(len(acts))}
    cohort = pd.DataFrame(columns=list(COHORT_COLUMNS))
    n_cohorts = 0
    if cohort_alpha is not None and len(every):
        found = trait_cohorts(p, every, burst_window=burst_window, min_size=min_size)
        n_cohorts = len(found)
        cohort = cohort_members(
            every,
            found,
            cws,
            min_items=min_items,
            min_contexts=min_contexts,
            min_size=min_size,
            alpha=cohort_alpha,
            q=cohort_q,
        )
    stats.update(cohorts=float(n_cohorts), cohort_members=float(cohort["account"].nunique()))
    if len(acts) == 0:
        if len(cohort):
            clusters, findings = _clusters(
                p,
                every,
                _no_edges(),
                pd.DataFrame(columns=list(JOIN_COLUMNS)),
                cohort,
                ws,
                min_size=min_size,
                alpha=alpha,
                strong_alpha=1.0,
                tested=0,
                max_partners=max_partners,
                low_followers=low_followers,
                burst_window=burst_window,
                show_progress=show_progress,
            )
            return ClusterResult(clusters=clusters, findings=findings, stats=stats)
        return ClusterResult(stats=stats)
    pairs = (pair_engine or synced_pairs)(
        acts,
        windows=ws,
        min_items=min_items,
        min_contexts=min_contexts,
        max_partners=max_partners,
        pair_budget=pair_budget,
        seed=seed,
        every=every,
        show_progress=show_progress,
    )
    expected = expected_sync(acts, pairs, every)
    n_play = float(np.count_nonzero(np.bincount(acts.account, minlength=1)))
    strong_alpha = strong / max(n_play * (n_play - 1) / 2, 1.0)
    tests = test_pairs(
        pairs.observed,
        expected,
        pairs.contexts,
        min_items=min_items,
        min_contexts=min_contexts,
        alpha=alpha,
        strong_alpha=strong_alpha,
    )
    k = tests.weak | tests.strong
    rows = np.flatnonzero(k)
    edges = pd.DataFrame(
        {
            "a": pairs.a[rows],
            "b": pairs.b[rows],
            "observed": pairs.observed[rows, tests.window[rows]],
            "expected": expected[rows, tests.window[rows]],
            "p_value": tests.p_value[rows],
            "w": tests.window[rows],
            "strong": tests.strong[rows],
        }
    )
    edges = _kept(edges, min_degree, len(every.accounts))
    thin = (0, 0)
    if member_alpha is not None:
        edges, thin = _thin_members(every, edges, ws, min_items, min_size, member_alpha)
    vetted = (0, 0)
    if vet_members and cohort_alpha is not None:
        edges, vetted = _vet_members(
            every, edges, cws, min_items, min_contexts, min_size, cohort_alpha, cohort_q
        )
    joins = _joins(every, edges, ws, min_items, min_size, join_alpha)
    stats.update(
        accounts=n_play,
        enumerated=float(pairs.enumerated),
        tested=float(pairs.tested),
        candidates=float(len(pairs.a)),
        weak=float(tests.weak.sum()),
        strong=float(tests.strong.sum()),
        kept=float(len(edges)),
        thin_tested=float(thin[0]),
        thin_dropped=float(thin[1]),
        vet_tested=float(vetted[0]),
        vet_dropped=float(vetted[1]),
        joined=float(len(joins)),
        mean_partners=float(pairs.mean_partners),
        strong_alpha=strong_alpha,
    )
    clusters, findings = _clusters(
        p,
        acts,
        edges,
        joins,
        cohort,
        ws,
        min_size=min_size,
        alpha=alpha,
        strong_alpha=strong_alpha,
        tested=pairs.tested,
        max_partners=max(int(round(pairs.mean_partners)), 1),
        low_followers=low_followers,
        burst_window=burst_window,
        show_progress=show_progress,
    )
    out_edges = pd.DataFrame(
        {
            "account_a": acts.accounts[edges["a"].to_numpy()],
            "account_b": acts.accounts[edges["b"].to_numpy()],
            "observed": edges["observed"].to_numpy(),
            "expected": edges["expected"].to_numpy(),
            "p_value": edges["p_value"].to_numpy(),
            "window": np.asarray(ws)[edges["w"].to_numpy()] if len(edges) else np.zeros(0),
        },
        columns=list(EDGE_COLUMNS),
    )
    return ClusterResult(clusters=clusters, findings=findings, edges=out_edges, stats=stats)


def _no_edges() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "a": np.zeros(0, np.int64),
            "b": np.zeros(0, np.int64),
            "observed": np.zeros(0),
            "expected": np.zeros(0),
            "p_value": np.zeros(0),
            "w": np.zeros(0, np.int64),
            "strong": np.zeros(0, bool),
        }
    )


def _kept(edges: pd.DataFrame, k: int, n: int, attach: int = 2, rounds: int = 10) -> pd.DataFrame:
    """Strong pairs, the weak pairs of the ``k``-core of the weak-pair graph (accounts with
    fewer than ``k`` weak pairs are dropped with their pairs until none is left: a chain
    of chance pairs falls apart, a group where everyone is tied to several others stays),
    and the weak pairs of accounts tied by at least ``attach`` of them to one group so
    formed (a member that took part in fewer waves joins the group it moved with; chance
    seldom gives an outsider two such pairs into the same group).  ``O(e log e)`` per
    round."""
    strong = edges["strong"].to_numpy()
    weak = edges[~strong]
    core = weak
    while k > 1 and len(core):
        ends = np.concatenate([core["a"].to_numpy(), core["b"].to_numpy()])
        ids, deg = np.unique(ends, return_counts=True)
        thin = ids[deg < k]
        if len(thin) == 0:
            break
        gone = np.isin(core["a"].to_numpy(), thin) | np.isin(core["b"].to_numpy(), thin)
        core = core[~gone]
    out = pd.concat([edges[strong], core])
    rest = weak.drop(index=core.index)
    for _ in range(rounds):
        if out.empty or rest.empty:
            break
        label = components(out["a"].to_numpy(), out["b"].to_numpy(), n)
        inside = np.zeros(n, dtype=bool)
        inside[out["a"].to_numpy()] = True
        inside[out["b"].to_numpy()] = True
        a, b = rest["a"].to_numpy(), rest["b"].to_numpy()
        one = inside[a] ^ inside[b]
        if not one.any():
            break
        outer = np.where(inside[a], b, a)[one]
        group = label[np.where(inside[a], a, b)[one]]
        key = outer * np.int64(n) + group
        ids, count = np.unique(key, return_counts=True)
        join = np.isin(key, ids[count >= attach])
        if not join.any():
            break
        take = rest.index[np.flatnonzero(one)[join]]
        out = pd.concat([out, rest.loc[take]])
        rest = rest.drop(index=take)
    key = out["a"].to_numpy() * np.int64(n) + out["b"].to_numpy()
    return out.iloc[np.argsort(key, kind="stable")].reset_index(drop=True)


def _drop_thin(
    n: int,
    edges: pd.DataFrame,
    min_items: int,
    min_size: int,
    judge: Callable[[int, np.ndarray, np.ndarray], np.ndarray],
) -> tuple[pd.DataFrame, tuple[int, int]]:
    """The thin members of would-be clusters of ``min_size`` or more (no strong pair, no
    pair in sync on more than ``min_items`` items), each cluster's put to ``judge(label,
    members, thin)``, which returns those to drop; the edges left and ``(tested,
    dropped)``.  ``O(E log E)`` besides the judge's work, for ``E`` edges."""
    if edges.empty:
        return edges, (0, 0)
    a, b = edges["a"].to_numpy(), edges["b"].to_numpy()
    label = components(a, b, n)
    ends = np.concatenate([a, b])
    obs = np.concatenate([edges["observed"].to_numpy()] * 2)
    strong = np.concatenate([edges["strong"].to_numpy()] * 2)
    best = np.zeros(n)
    np.maximum.at(best, ends, obs)
    has_strong = np.zeros(n, dtype=bool)
    has_strong[ends[strong]] = True
    present = np.zeros(n, dtype=bool)
    present[ends] = True
    size = np.bincount(label[present], minlength=int(label.max()) + 1)
    thin = present & ~has_strong & (best <= min_items) & (size[label] >= min_size)
    dropped: list[np.ndarray] = []
    tested = 0
    for lab in np.unique(label[thin]):
        group = np.flatnonzero(present & (label == lab))
        cand = group[thin[group]]
        tested += len(cand)
        dropped.append(judge(int(lab), group, cand))
    gone = np.concatenate(dropped) if dropped else np.zeros(0, np.int64)
    if len(gone) == 0:
        return edges, (tested, 0)
    keep = ~(np.isin(a, gone) | np.isin(b, gone))
    return edges[keep].reset_index(drop=True), (tested, len(gone))


def _thin_members(
    every: Acts,
    edges: pd.DataFrame,
    windows: tuple[float, ...],
    min_items: int,
    min_size: int,
    member_alpha: float,
) -> tuple[pd.DataFrame, tuple[int, int]]:
    """Drop the thin members of would-be clusters (:func:`_drop_thin`) unless their sync
    with the whole cluster beats the crowd of its waves (:func:`.groups.group_test` at
    ``member_alpha``).  In a large army's minutes an organic account that reposted two of
    its viral targets pairs with many members twice; it is not in sync with the army
    beyond what the crowd of those items is.  ``O(m log m)`` per cluster for the ``m``
    acts on its items."""

    def judge(lab: int, group: np.ndarray, cand: np.ndarray) -> np.ndarray:
        return cand[group_test(every, group, cand, windows) > member_alpha]

    return _drop_thin(len(every.accounts), edges, min_items, min_size, judge)


def _vet_members(
    every: Acts,
    edges: pd.DataFrame,
    windows: tuple[float, ...],
    min_items: int,
    min_contexts: int,
    min_size: int,
    alpha: float,
    q: float,
) -> tuple[pd.DataFrame, tuple[int, int]]:
    """Drop the thin members of would-be clusters (:func:`_drop_thin`) that the cluster,
    tested as a cohort (:func:`.cohorts.cohort_members`), does not keep.
    ``O(m log m)`` per cluster for the ``m`` acts on its items."""

    def judge(lab: int, group: np.ndarray, cand: np.ndarray) -> np.ndarray:
        kept = cohort_members(
            every,
            [Cohort(f"cluster:{lab}", group)],
            windows,
            min_items=min_items,
            min_contexts=min_contexts,
            min_size=min_size,
            alpha=alpha,
            q=q,
        )
        return cand[~np.isin(cand, kept["account"].to_numpy(dtype=np.int64))]

    return _drop_thin(len(every.accounts), edges, min_items, min_size, judge)


JOIN_COLUMNS = ("account", "anchor", "observed", "expected", "p_value")


def _joins(
    every: Acts,
    edges: pd.DataFrame,
    windows: tuple[float, ...],
    min_items: int,
    min_size: int,
    join_alpha: float | None,
) -> pd.DataFrame:
    """Accounts outside every component of the kept pairs that join a component of at least
    ``min_size`` accounts through their sync with its waves (:func:`.groups.group_sync`:
    in sync on at least ``min_items`` of them, p-value at most ``join_alpha`` against the
    crowd of those items).  One row per joiner: its code, the component's smallest member
    code (``anchor``), ``O``, ``E`` and the p-value; an account that would join several
    components joins the one where it is most surprising (then the smallest anchor).
    Components are tested against the kept pairs' clusters only, so joining is one step
    and does not feed itself.  ``O(C m log m)`` for ``C`` components and the ``m`` acts on
    their items."""
    out = pd.DataFrame(columns=list(JOIN_COLUMNS))
    if join_alpha is None or edges.empty:
        return out
    n = len(every.accounts)
    a, b = edges["a"].to_numpy(), edges["b"].to_numpy()
    label = components(a, b, n)
    present = np.zeros(n, dtype=bool)
    present[a] = True
    present[b] = True
    size = np.bincount(label[present], minlength=int(label.max()) + 1)
    rows = []
    for lab in np.flatnonzero(size >= min_size):
        group = np.flatnonzero(present & (label == lab))
        # the accounts outside every component that acted on the component's items
        in_group = np.zeros(n, dtype=bool)
        in_group[group] = True
        touched = np.zeros(len(every.items), dtype=bool)
        touched[every.item[in_group[every.account]]] = True
        acted = np.zeros(n, dtype=bool)
        acted[every.account[touched[every.item]]] = True
        cand = np.flatnonzero(acted & ~present)
        if len(cand) == 0:
            continue
        pv, o, e = group_sync(every, group, cand, windows)
        ok = (pv <= join_alpha) & (o >= min_items)
        if ok.any():
            rows.append(
                pd.DataFrame(
                    {
                        "account": cand[ok],
                        "anchor": np.full(int(ok.sum()), group[0], dtype=np.int64),
                        "observed": o[ok],
                        "expected": e[ok],
                        "p_value": pv[ok],
                    }
                )
            )
    if not rows:
        return out
    joins = pd.concat(rows, ignore_index=True)
    joins = joins.sort_values(["account", "p_value", "anchor"], kind="mergesort")
    return joins.drop_duplicates("account").reset_index(drop=True)


def _in_play(acts: Acts, min_contexts: int, min_items: int) -> Acts:
    """The acts of accounts that acted on at least ``min_items`` items of at least
    ``min_contexts`` contexts: the others cannot make a pair."""
    if len(acts) == 0:
        return acts
    n_acc = len(acts.accounts)
    n_ctx = np.int64(max(len(acts.contexts), 1))
    n_it = np.int64(max(len(acts.items), 1))
    per_c = np.bincount(distinct(acts.account * n_ctx + acts.context) // n_ctx, minlength=n_acc)
    per_i = np.bincount(distinct(acts.account * n_it + acts.item) // n_it, minlength=n_acc)
    ok = (per_c >= min_contexts) & (per_i >= min_items)
    keep = ok[acts.account]
    if keep.all():  # every act (wide events): the same acts, not a copy of each array
        return acts
    return acts.take(np.flatnonzero(keep))


def _clusters(
    p: Projection,
    acts: Acts,
    edges: pd.DataFrame,
    joins: pd.DataFrame,
    cohort: pd.DataFrame,
    windows: tuple[float, ...],
    *,
    min_size: int,
    alpha: float,
    strong_alpha: float,
    tested: int,
    max_partners: int,
    low_followers: float | None,
    burst_window: float,
    show_progress: bool,
) -> tuple[list[Cluster], list[RoleFinding]]:
    """Components of the kept pairs, the joins and the cohorts' members (each linked to
    its component's anchor), measured, ordered and named (``c1``, ``c2``, ...)."""
    if edges.empty and cohort.empty:
        return [], []
    n = len(acts.accounts)
    j_acc = joins["account"].to_numpy(dtype=np.int64)
    j_anchor = joins["anchor"].to_numpy(dtype=np.int64)
    c_acc = cohort["account"].to_numpy(dtype=np.int64)
    c_anchor = cohort["anchor"].to_numpy(dtype=np.int64)
    label = components(
        np.concatenate([edges["a"].to_numpy(), j_acc, c_acc]),
        np.concatenate([edges["b"].to_numpy(), j_anchor, c_anchor]),
        n,
    )
    paired = distinct(np.concatenate([edges["a"].to_numpy(), edges["b"].to_numpy()]))
    ends = distinct(np.concatenate([paired, j_acc, c_acc]))
    best = cohort.drop_duplicates("account")  # sorted by account, then p-value
    order = np.argsort(label[ends], kind="stable")
    ends = ends[order]
    cut = np.flatnonzero(np.concatenate([[True], label[ends][1:] != label[ends][:-1], [True]]))
    groups = [ends[s:e] for s, e in zip(cut[:-1], cut[1:]) if e - s >= 2]
    key = edges["a"].to_numpy() * np.int64(n) + edges["b"].to_numpy()  # sorted by _kept
    if len(edges):
        events = sync_events(acts, paired, key, edges["w"].to_numpy(), windows, max_partners)
    else:
        events = pd.DataFrame(columns=["a", "b", "item", "context", "kind", "dt", "i", "j"])
    ev_label = label[events["a"].to_numpy()] if len(events) else np.zeros(0, np.int64)
    e_label = label[edges["a"].to_numpy()]
    j_label = label[j_acc]
    c_label = label[best["account"].to_numpy(dtype=np.int64)]
    traits = account_traits(
        p.accounts,
        [str(acts.accounts[c]) for c in ends],
        low_followers=low_followers,
        burst_window=burst_window,
    )
    traits.index = ends
    opts = dict(
        windows=windows, min_size=min_size, alpha=alpha, strong_alpha=strong_alpha, tested=tested
    )
    built = []
    for g in tqdm(groups, desc="clusters", disable=not show_progress):
        lab = label[g[0]]
        e, ev, j = edges[e_label == lab], events[ev_label == lab], joins[j_label == lab]
        ch = best[c_label == lab]
        c, _ = cluster_record(
            "", g, acts, e, ev, traits.loc[g], joins=j, cohort=ch, findings=False, **opts
        )
        built.append((c, g, e, ev, j, ch))
    built.sort(
        key=lambda x: (not x[0].significant, -x[0].score, -len(x[0].accounts), x[0].accounts[0])
    )
    clusters, findings = [], []
    for pos, (_, g, e, ev, j, ch) in enumerate(built, start=1):
        c, f = cluster_record(f"c{pos}", g, acts, e, ev, traits.loc[g], joins=j, cohort=ch, **opts)
        clusters.append(c)
        findings += f
    findings.sort(key=lambda f: f.account_id)
    return clusters, findings
