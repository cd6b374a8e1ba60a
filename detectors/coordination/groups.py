"""From kept pairs to clusters: connected components, their measures, evidence and findings.

Every pair that beat chance (:mod:`pileon.detectors.coordination.chance`) is an edge;
every connected component of at least ``min_size`` accounts is a coordinated cluster.
Its evidence says why, from the pairs that made it: the items its members amplified in
sync (reposted, copied, commented under) and whose voices those were, how close in time,
and how many in-sync contexts the members' pairs showed against how many chance
expected.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.special import gammainc

from pileon.detectors.coactivity import window_pairs
from pileon.detectors.coordination.acts import Acts
from pileon.detectors.findings import Cluster, Evidence, RoleFinding

__all__ = ["components", "sync_events", "cluster_record", "group_test", "group_sync"]

#: at most this many content IDs in one evidence item
MAX_IDS = 10


def components(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Component label per account code (``0..n-1``) of the graph with edges ``a``–``b``;
    labels are numbered in order of each component's smallest code.  ``O(n + e)``."""
    g = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    _, label = connected_components(g, directed=False)
    # renumber by first appearance (smallest member code first): deterministic
    _, first = np.unique(label, return_index=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[label]


def sync_events(
    acts: Acts,
    members: np.ndarray,
    edge_key: np.ndarray,
    edge_window: np.ndarray,
    windows: Sequence[float],
    max_partners: int,
) -> pd.DataFrame:
    """The in-sync acts behind the kept edges among ``members`` (account codes): one row
    per pair of acts of an edge within that edge's window.  ``O(m log m)`` for the ``m``
    acts of the members (each paired with at most ``max_partners`` of them)."""
    rows = np.flatnonzero(np.isin(acts.account, members))
    sub = acts.take(rows)
    n_acc = np.int64(max(len(acts.accounts), 1))
    parts = []
    for first, second in window_pairs(sub.item, sub.t, windows[-1], max_partners=max_partners):
        a, b = sub.account[first], sub.account[second]
        key = np.minimum(a, b) * n_acc + np.maximum(a, b)
        at = np.searchsorted(edge_key, key)
        at = np.minimum(at, max(len(edge_key) - 1, 0))
        hit = (edge_key[at] == key) & (a != b) if len(edge_key) else np.zeros(len(key), bool)
        dt = sub.t[second] - sub.t[first]
        hit &= dt <= np.asarray(windows)[edge_window[at]]
        parts.append(
            pd.DataFrame(
                {
                    "a": a[hit],
                    "b": b[hit],
                    "item": sub.item[first][hit],
                    "context": sub.context[first][hit],
                    "kind": sub.kind[first][hit],
                    "dt": dt[hit],
                    "i": rows[first[hit]],
                    "j": rows[second[hit]],
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=["a", "b", "item", "context", "kind", "dt", "i", "j"])
    return pd.concat(parts, ignore_index=True)


def cluster_record(
    cid: str,
    codes: np.ndarray,
    acts: Acts,
    edges: pd.DataFrame,
    events: pd.DataFrame,
    traits: pd.DataFrame,
    *,
    windows: Sequence[float],
    min_size: int,
    alpha: float,
    strong_alpha: float,
    tested: int,
    joins: pd.DataFrame | None = None,
    cohort: pd.DataFrame | None = None,
    findings: bool = True,
) -> tuple[Cluster, list[RoleFinding]]:
    """The :class:`Cluster` of the member codes ``codes`` and its members' findings;
    ``joins`` are the members that joined through their sync with the group's waves
    (``account, observed, expected, p_value``), ``cohort`` those kept by a cohort's test
    (:mod:`.cohorts`: ``account, cohort, observed, expected, p_value, waves``, one row per
    account)."""
    if joins is None:
        joins = pd.DataFrame(columns=["account", "observed", "expected", "p_value"])
    if cohort is None:
        cohort = pd.DataFrame(
            columns=["account", "cohort", "observed", "expected", "p_value", "waves"]
        )
    names = [str(acts.accounts[c]) for c in codes]
    size = len(names)
    # the pairs' evidence, or the cohort's when no pair beat chance
    observed = float(edges["observed"].sum())
    expected = float(edges["expected"].sum())
    if len(cohort) and not len(edges):
        observed = float(cohort["observed"].sum())
        expected = float(cohort["expected"].sum())
    lift = observed / expected if expected > 0 else float("inf")
    tail = float(gammainc(max(observed, 1e-9), max(expected, 1e-300))) if observed else 1.0
    surprise = float(-np.log10(max(tail, 1e-300)))
    n_contexts = int(events["context"].nunique()) if len(events) else 0
    n_items = int(events["item"].nunique()) if len(events) else 0
    density = len(edges) / (size * (size - 1) / 2) if size > 1 else 0.0
    burst_share = float(traits["burst"].notna().mean()) if size else 0.0
    low_share = float(traits["low"].mean()) if size else 0.0
    ident = traits["identity"].dropna()
    counts = ident.value_counts()
    shared = counts[counts >= 2]
    identity_share = float(shared.sum() / size) if size else 0.0
    support = (burst_share + low_share + identity_share) / 3
    lift_term = 1.0 - 1.0 / lift if lift > 1 else 0.0
    breadth = min(1.0, n_contexts / 5.0)
    score = lift_term * (0.75 + 0.25 * breadth) * (0.85 + 0.15 * support)
    score = float(min(max(score, 0.0), 1.0))
    gap = float(np.median(events["dt"])) if len(events) else float("nan")
    n_strong = int(edges["strong"].sum()) if "strong" in edges else 0

    ev: list[Evidence] = []
    for kind, label, verb in (
        (0, "co_repost", "reposted"),
        (1, "co_post", "posted near-copies of"),
        (2, "co_comment", "commented under"),
    ):
        e = events[events["kind"] == kind]
        if e.empty:
            continue
        per_item = e.groupby("item").size().sort_values(ascending=False, kind="mergesort")
        top = sorted(per_item.index[:MAX_IDS], key=lambda i: (-per_item[i], str(acts.items[i])))
        ids = tuple(str(acts.items[i])[2:] for i in top)
        if kind == 1:  # narratives: show the members' own copies
            ids = tuple(
                sorted(set(acts.ids(e["i"].to_numpy())) | set(acts.ids(e["j"].to_numpy())))[
                    :MAX_IDS
                ]
            )
        what = "narrative(s)" if kind == 1 else "item(s)"
        ev.append(
            Evidence(
                label,
                ids,
                f"members {verb} {e['item'].nunique()} {what} of {e['context'].nunique()} "
                f"voice(s) in sync ({len(e)} member pair(s) of acts, median "
                f"{float(np.median(e['dt'])):.0f} s apart)",
            )
        )
    if len(edges):
        ev.append(
            Evidence(
                "chance_baseline",
                (),
                f"{len(edges)} member pair(s) beat chance: in sync on {observed:.0f} item(s) in "
                f"all where {expected:.2f} were expected from their activity, the voices they "
                f"follow and the items' crowding (lift {min(lift, 1e9):.1f}x, surprise "
                f"{surprise:.1f}); {n_strong} pair(s) below p = {strong_alpha:.2g} (under one "
                f"expected by chance among all pairs), the rest below p = {alpha:g} with every "
                f"member tied to several others; {tested} pair(s) seen in sync, within "
                f"{', '.join(f'{w:g}' for w in windows)} s",
            )
        )
    if len(joins):
        ev.append(
            Evidence(
                "group_sync",
                (),
                f"{len(joins)} member(s) joined through their sync with the group's waves: "
                f"in sync on {joins['observed'].sum():.0f} wave(s) in all where the crowd of "
                f"those items gave {joins['expected'].sum():.2f} (each p <= "
                f"{joins['p_value'].max():.2g})",
            )
        )
    if len(cohort):
        which = sorted(set(cohort["cohort"]))
        ev.append(
            Evidence(
                "cohort_sync",
                (),
                f"{len(cohort)} member(s) of {len(which)} cohort(s) ("
                f"{', '.join(which[:MAX_IDS])}: accounts of one creation burst or one MCN) "
                f"acted as one: the cohort piled onto "
                f"{int(cohort['waves'].max())} wave item(s) beyond what its members' "
                f"activity and the items' popularity give (configuration model), and each "
                f"of these members acted on {cohort['observed'].sum():.0f} wave(s) in all "
                f"in the cohort's minutes where {cohort['expected'].sum():.2f} were expected "
                f"from its activity and the crowd's timing (each p <= "
                f"{cohort['p_value'].max():.2g}, false discovery rate controlled)",
            )
        )
    if burst_share > 0:
        n_b = traits["burst"].dropna().nunique()
        ev.append(
            Evidence(
                "creation_burst",
                (),
                f"{burst_share:.0%} of members were created in {n_b} account-creation burst(s)",
            )
        )
    if low_share > 0:
        ev.append(Evidence("low_followers", (), f"{low_share:.0%} of members have few followers"))
    if len(shared):
        ev.append(
            Evidence(
                "shared_identity",
                (),
                f"{len(shared)} identity key(s) shared by several members "
                f"({identity_share:.0%} of members)",
            )
        )
    numbers = {
        "size": float(size),
        "edges": float(len(edges)),
        "density": density,
        "observed": observed,
        "expected": expected,
        "lift": float(min(lift, 1e9)),
        "surprise": surprise,
        "contexts": float(n_contexts),
        "items": float(n_items),
        "median_gap_s": gap,
        "support": support,
        "burst_share": burst_share,
        "low_share": low_share,
        "identity_share": identity_share,
    }
    cluster = Cluster(
        cluster_id=cid,
        accounts=tuple(names),
        score=score,
        significant=size >= min_size,
        evidence=tuple(ev),
        numbers=numbers,
    )
    found: list[RoleFinding] = []
    if cluster.significant and findings:
        found = _member_findings(cluster, codes, acts, edges, events, windows, joins, cohort)
    return cluster, found


def _member_findings(
    c: Cluster,
    codes: np.ndarray,
    acts: Acts,
    edges: pd.DataFrame,
    events: pd.DataFrame,
    windows: Sequence[float],
    joins: pd.DataFrame,
    cohort: pd.DataFrame,
) -> list[RoleFinding]:
    joined = {int(r.account): r for r in joins.itertuples(index=False)}
    in_cohort = {int(r.account): r for r in cohort.itertuples(index=False)}
    partners = pd.concat([edges["a"], edges["b"]]).value_counts().to_dict()
    size = len(codes)
    ev_a = pd.concat(
        [
            events[["a", "item", "i"]].rename(columns={"a": "acc", "i": "row"}),
            events[["b", "item", "j"]].rename(columns={"b": "acc", "j": "row"}),
        ],
        ignore_index=True,
    )
    items = ev_a.groupby("acc")["item"].nunique().to_dict()
    rows = ev_a.groupby("acc")["row"].agg(lambda r: sorted(set(acts.ids(r.to_numpy()))))
    rows = rows.to_dict()
    out = []
    for code in codes:
        name = str(acts.accounts[code])
        k = int(partners.get(code, 0))
        share = min(1.0, k / min(max(size - 1, 1), 5))
        strength = float(min(1.0, c.score * (0.5 + 0.5 * share)))
        ids = tuple(rows.get(code, [])[:MAX_IDS])
        detail = f"in cluster {c.cluster_id} ({size} accounts, score {c.score:.2f})"
        if k or int(code) not in in_cohort:
            detail += (
                f": beat chance in sync with {k} member(s) on {int(items.get(code, 0))} "
                f"item(s) (within {', '.join(f'{w:g}' for w in windows)} s)"
            )
        if int(code) in joined:
            r = joined[int(code)]
            detail += (
                f"; joined through its sync with the cluster's waves: in sync on "
                f"{r.observed:.0f} where the crowd of those items gave {r.expected:.2f} "
                f"(p = {r.p_value:.2g})"
            )
        if int(code) in in_cohort:
            r = in_cohort[int(code)]
            detail += (
                f"; member of cohort {r.cohort} that acted as one: in sync with it on "
                f"{r.observed:.0f} of its {r.waves} wave(s) where chance gave {r.expected:.2f} "
                f"(p = {r.p_value:.2g})"
            )
        out.append(
            RoleFinding(
                account_id=name,
                role="coordinated",
                strength=strength,
                evidence=(Evidence("coordinated", ids, detail),),
                numbers={
                    "cluster_size": float(size),
                    "cluster_score": c.score,
                    "partner_share": share,
                    "sync_items": float(items.get(code, 0)),
                },
            )
        )
    return out


def group_test(
    every: Acts,
    members: np.ndarray,
    tested: np.ndarray,
    windows: Sequence[float],
    *,
    min_wave: int = 3,
) -> np.ndarray:
    """The p-values of :func:`group_sync` alone (its docstring)."""
    return group_sync(every, members, tested, windows, min_wave=min_wave)[0]


def group_sync(
    every: Acts,
    members: np.ndarray,
    tested: np.ndarray,
    windows: Sequence[float],
    *,
    min_wave: int = 3,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each account of ``tested``, how surprising its sync with the group ``members``
    (account codes) is, judged against the crowd of the group's own waves.

    An act on an item is *in sync with the group* when a member (another account) acted
    on that item within the window.  The group's *waves* are the items on which at least
    ``min_wave`` members' acts were in sync with the group (a camouflage repost of a
    popular post, however many members made one, is not a wave).  On a wave ``i``,
    ``s_i``, the share of the outsiders' acts in sync with the group, is the chance that
    an act on ``i`` at a time of the crowd's choosing falls in the group's minutes (high
    on a viral item whose crowd reposts at the same moment, zero on an item nobody else
    touched).  An account's ``O`` is the number of waves it acted on in sync with the
    group, its ``E`` the sum of ``s_i`` over the waves it acted on; the p-value is the
    Poisson tail ``P(X >= O | E)``, the smallest over the windows times their number.
    Two coincidences on busy items are not coordination; acting in the group's minutes
    on items where the crowd seldom does is.

    Returns the p-values and, from the window that gave each, ``O`` and ``E``, in the
    order of ``tested``.  ``O(m log m)`` for the ``m`` acts on the group's items.
    """
    out = np.ones(len(tested))
    best_o = np.zeros(len(tested))
    best_e = np.zeros(len(tested))
    if len(tested) == 0 or len(every) == 0:
        return out, best_o, best_e
    is_member = np.zeros(len(every.accounts), dtype=bool)
    is_member[members] = True
    items = np.unique(every.item[is_member[every.account]])
    rows = np.flatnonzero(np.isin(every.item, items))
    item, acc = every.item[rows], every.account[rows]
    t_ms = np.round(every.t[rows] * 1000.0).astype(np.int64)
    member = is_member[acc]
    n_items = np.int64(len(every.items))
    pos = np.full(len(every.accounts), -1, dtype=np.int64)
    pos[tested] = np.arange(len(tested))
    mine = pos[acc] >= 0
    for w in windows:
        w_ms = int(round(w * 1000.0))
        span = np.int64(t_ms.max() - min(t_ms.min(), 0) + 2 * w_ms + 1)
        key = item * span + t_ms  # acts are sorted by item, then time
        m_key = key[member]
        near = np.searchsorted(m_key, key + w_ms, side="right") - np.searchsorted(
            m_key, key - w_ms, side="left"
        )
        near -= member  # an act of a member does not keep itself company
        sync = near > 0
        wave = np.bincount(item[member & sync], minlength=int(n_items)) >= min_wave
        # s_i over the outsiders' acts on each wave
        out_acts = ~member
        n_out = np.bincount(item[out_acts], minlength=int(n_items)).astype(np.float64)
        n_sync = np.bincount(item[out_acts & sync], minlength=int(n_items)).astype(np.float64)
        s = np.divide(n_sync, n_out, out=np.zeros(int(n_items)), where=n_out > 0)
        # per tested account: the waves acted on, and those in sync
        on = mine & wave[item]
        k = pos[acc[on]] * n_items + item[on]
        uniq = np.unique(k)
        any_sync = np.zeros(len(uniq), dtype=bool)
        np.logical_or.at(any_sync, np.searchsorted(uniq, k), sync[on])
        who = uniq // n_items
        o = np.bincount(who, weights=any_sync, minlength=len(tested))
        e = np.bincount(who, weights=s[uniq % n_items], minlength=len(tested))
        p = np.where(o > 0, gammainc(np.maximum(o, 1e-9), np.maximum(e, 1e-300)), 1.0)
        better = p < out
        best_o[better], best_e[better] = o[better], e[better]
        out = np.minimum(out, p)
    return np.minimum(out * len(windows), 1.0), best_o, best_e
