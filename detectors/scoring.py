"""From findings to decisions: per-account features, transparent rules, graded tiers.

The detectors say *what* each account did (typed findings); this module turns
that into the numbers an enforcement system acts on (SPEC §4):

* :func:`account_features` measures every account of the event on the axes the
  notice names (event, target, participants, content, frequency, scene,
  reports) — one row per account, the columns of :data:`FEATURES`.  The same
  frame feeds the transparent rules and the LightGBM risk model
  (:mod:`pileon.detectors.risk_model`).
* :func:`rule_scores` scores accounts without a model: culpable roles put an
  account in the upper band ``[0.5, 1]``, ordinary participation in the lower
  band ``[0, 0.5)``, so the ranking reads as the grading does.  Every rule that
  fires is named in the account's evidence.  With a trained model,
  :func:`banded` keeps its probabilities within the same bands.
* :func:`corroborate` sets aside splicer findings that nothing harmful backs.
* :func:`grade` assigns tiers 0–4, the ``refer`` flag and the minor priority.

Grading (the notice's graded handling, SPEC §4)
-----------------------------------------------
* tier 0 — targets of the event (listed by the event, or attacked by several
  accounts while posting nothing harmful), and participants without harmful
  conduct (authoritative news, bystanders): listed for context only;
* tier 1 — ordinary participants whose own contents or reposts are harmful,
  or who drew reports;
* tier 2 — members of coordinated clusters (``coordinated``);
* tier 3 — first posters, repeat posters, inciters (close the account), and
  splicers and impersonators (fabricating false information, or posing as a
  person or institution of the event);
* tier 4 — a culpable account (tier ≥ 2) whose ``identity_key`` holds several
  culpable accounts (in the event, or another account of the identity judged
  culpable elsewhere), or a tier-3 account whose conduct repeats across events
  (harmful contents of its own in another event, or a label or recorded
  decision of tier ≥ 2 there); a tier-2 account whose conduct repeats goes to
  tier 3.  Repetition is read from the data, never from earlier analysis runs,
  so that a report does not depend on the order events are analyzed in.

Tiers depend on what the account did, never on its score: the risk model
ranks, the grading stays the notice's.

``refer`` (conduct for law enforcement) is set for

* first posters and inciters of harmful narratives whose harmful reach (reposts
  downstream of their own contents) reaches :data:`REFER_REPOSTS` (500, the
  threshold the 2013 judicial interpretation on online defamation sets for
  "serious circumstances": 转发次数达到五百次以上);
* splicers of harmful contents (编造、拼接虚假信息 — fabricating false stories);
* culpable accounts (tier ≥ 2) that attacked a minor.

``priority = "minor"`` marks accounts that attacked a minor: a harmful (or
unscored) content of theirs aims at an account with ``is_minor`` (its
``target_ids``, or a reply to the minor's content), or a report with
``involves_minor`` concerns their contents or the account itself.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pileon.detectors.findings import Cluster, Evidence, Narrative, RoleFinding
from pileon.graph.arrays import distinct, spans
from pileon.graph.errors import InputError
from pileon.graph.model import CULPABLE_ROLES, LEAD_ROLES, TIER3_ROLES
from pileon.graph.projection import Projection

__all__ = [
    "Detections",
    "Scored",
    "Grade",
    "banded",
    "corroborate",
    "FEATURES",
    "ROLE_FEATURES",
    "HARM_THRESHOLD",
    "REFER_REPOSTS",
    "account_features",
    "rule_scores",
    "grade",
    "valid_affiliations",
    "harmful_contents",
    "harmful_items",
    "HarmfulItems",
    "coactive_degree",
]

#: a known ``harm`` at or above this is harmful
HARM_THRESHOLD = 0.5
#: harmful reach (downstream reposts) from which first posters and inciters are referred
REFER_REPOSTS = 500
#: weight of each role in the transparent rules (times the finding's strength)
ROLE_WEIGHTS = {
    "first_poster": 0.9,
    "inciter": 0.9,
    "multi_poster": 0.85,
    "splicer": 0.85,
    "impersonator": 0.8,
    "coordinated": 0.75,
}
#: the strength a fired role counts with at least (a weak finding is still a finding)
MIN_STRENGTH = 0.2

ROLE_FEATURES = tuple(f"role_{r}" for r in CULPABLE_ROLES)

#: per-account features, in the order the risk model sees them
FEATURES: tuple[str, ...] = (
    # target and scene
    "is_target",
    "attacked_by_log",
    "n_targeted",
    "minor_attacks",
    # content
    "n_posts",
    "n_comments",
    "n_dms",
    "n_reposts",
    "n_harmful",
    "n_harmful_reposts",
    "harmful_share",
    "harm_mean",
    "harm_max",
    "n_narratives",
    "n_harmful_narratives",
    # spread
    "reach_log",
    "harmful_reach_log",
    "credited_log",
    "credited_harmful_log",
    "downstream_harm_share",
    "replies_drawn_log",
    # frequency and timing
    "lead_hours",
    "span_hours",
    "rate_per_hour",
    # participants: coordination
    "coact_degree_log",
    "in_cluster",
    "cluster_score",
    "cluster_size_log",
    "identity_peers",
    # the account
    "account_age_days",
    "followers_log",
    "verified",
    "renames_near",
    "mcn_affiliated",
    # reports
    "reports_against",
    "reports_minor",
    # what the detectors found (strengths, 0 when the role did not fire)
) + ROLE_FEATURES


@dataclass(frozen=True)
class Detections:
    """What the detectors found in one event, gathered for scoring and the report.

    ``of_content`` maps content and repost IDs to narrative IDs; ``clusters``
    holds every cluster the coordination detector returned (only the
    ``significant`` ones make the role ``coordinated`` and enter the report).
    """

    narratives: tuple[Narrative, ...] = ()
    of_content: Mapping[str, str] = field(default_factory=dict)
    roles: tuple[RoleFinding, ...] = ()
    clusters: tuple[Cluster, ...] = ()
    #: estimated probability of abuse per content and repost ID where known or inferred
    #: (``NarrativeResult.harm``); NaN or absent: nothing to tell
    harm: pd.Series | None = None
    #: account_id -> evidence of findings set aside (see :func:`corroborate`)
    notes: Mapping[str, tuple[Evidence, ...]] = field(default_factory=dict)

    def roles_of(self) -> dict[str, dict[str, RoleFinding]]:
        """account_id -> role -> its strongest finding."""
        out: dict[str, dict[str, RoleFinding]] = {}
        for f in self.roles:
            cur = out.setdefault(f.account_id, {})
            if f.role not in cur or f.strength > cur[f.role].strength:
                cur[f.role] = f
        return out

    def significant_clusters(self) -> list[Cluster]:
        """The significant clusters, strongest first (ties by cluster_id)."""
        sig = [c for c in self.clusters if c.significant]
        return sorted(sig, key=lambda c: (-round(float(c.score), 9), c.cluster_id))

    def cluster_of(self) -> dict[str, Cluster]:
        """account_id -> the strongest significant cluster holding it."""
        out: dict[str, Cluster] = {}
        for c in self.significant_clusters():
            for a in c.accounts:
                out.setdefault(a, c)
        return out


# ----------------------------------------------------------------------------- helpers


def _kinds(contents: pd.DataFrame) -> pd.Series:
    kind = contents["kind"].where(contents["kind"].notna(), "post").astype(object)
    return kind


def node_harm(p: Projection, det: Detections) -> pd.Series:
    """Probability of abuse per content and repost ID: the data's own ``harm`` (contents, and a
    ``harm`` column reposts may carry), else the detectors' estimate (``det.harm``), else the
    harm of the node's narrative; NaN where nothing tells."""
    return _node_harm(p, det)[0]


def _node_ids(p: Projection) -> np.ndarray:
    """The IDs of ``p.contents`` then ``p.reposts``, row by row."""
    return np.concatenate(
        [
            p.contents["content_id"].to_numpy(dtype=object),
            p.reposts["repost_id"].to_numpy(dtype=object),
        ]
    )


def _row_narratives(p: Projection, det: Detections) -> np.ndarray:
    """The narrative ID (None: none) of each row of ``p.contents`` then ``p.reposts``.

    ``O(N)``; without a dict lookup per row when ``det.of_content`` lists the
    rows' IDs in their order (as the narratives detector builds it).
    """
    ids, of = _node_ids(p), det.of_content
    if len(of) == len(ids) and isinstance(of, dict):
        if (np.fromiter(of.keys(), dtype=object, count=len(ids)) == ids).all():
            return np.fromiter(of.values(), dtype=object, count=len(ids))
    return np.array([of.get(i) for i in ids.tolist()], dtype=object)


def _lookup(values: np.ndarray, table: Mapping, default: float = np.nan) -> np.ndarray:
    """``table.get(v, default)`` for each of ``values`` (hashable, few distinct) as floats."""
    codes, uniq = pd.factorize(values)
    return np.append(np.array([table.get(v, default) for v in uniq], dtype=float), default)[codes]


def _node_harm(p: Projection, det: Detections) -> tuple[pd.Series, np.ndarray]:
    """:func:`node_harm`, and the position in it of each row of ``p.contents`` then
    ``p.reposts`` (an ID given twice counts with its first row).

    ``O(N)`` for ``N`` contents and reposts: their IDs hashed once (not at all
    when the detectors' estimates come for the same IDs in the same order); the
    estimates and narratives are looked up only where the harm is still unknown.
    """
    from pileon.detectors.cascades import extra_float

    ids = _node_ids(p)
    h = np.concatenate(
        [
            p.contents["harm"].to_numpy(dtype=float),
            extra_float(p.reposts, "harm").to_numpy(dtype=float),
        ]
    )
    est = det.harm if det.harm is not None and len(det.harm) else None
    if (
        est is not None and est.index.equals(pd.Index(ids, dtype=object)) and est.index.is_unique
    ):  # the estimates of the same nodes, in the same order
        at, index = np.arange(len(ids)), est.index
        miss = np.flatnonzero(np.isnan(h))
        h[miss] = est.to_numpy(dtype=float)[miss]
    else:
        at, uniq = pd.factorize(ids, use_na_sentinel=False)
        if len(uniq) < len(ids):
            h = h[np.unique(at, return_index=True)[1]]
        index = pd.Index(uniq, dtype=object)
        if est is not None:
            est = est if est.index.is_unique else est[~est.index.duplicated()]
            miss = np.flatnonzero(np.isnan(h))
            h[miss] = est.reindex(index[miss]).to_numpy(dtype=float)
    narr = {
        n.narrative_id: (n.harm if n.harm is not None else (1.0 if n.harmful else None))
        for n in det.narratives
    }
    miss = np.flatnonzero(np.isnan(h))
    if len(index) == len(ids):  # rows are the index
        h[miss] = _lookup(_row_narratives(p, det)[miss], narr)
    else:
        of = det.of_content
        h[miss] = np.array([narr.get(of.get(i)) for i in index[miss].tolist()], dtype=float)
    return pd.Series(h, index=index, dtype=float), at


def _harmful_contents(
    p: Projection, harm: pd.Series, at: np.ndarray, harm_threshold: float
) -> np.ndarray:
    """Per row of ``p.contents``, whether its harm (:func:`_node_harm`) reaches the threshold."""
    v = harm.to_numpy()[at[: len(p.contents)]]
    return np.where(np.isnan(v), 0.0, v) >= harm_threshold


def corroborate(
    p: Projection, det: Detections, *, harm_threshold: float = HARM_THRESHOLD
) -> Detections:
    """Set aside ``splicer`` findings that nothing harmful corroborates.

    Splicing is the notice's concern when it fabricates false, damaging stories;
    a collage of others' harmless posts (a rebuttal quoting two reports, say)
    is not.  A splicer finding stands when the detector marked the splice
    harmful (``numbers["harmful"]``), when one of its spliced contents is
    harmful (own ``harm``, else the detectors' estimate or its narrative's), or
    when the account posted harmful content of its own in the event; otherwise
    the finding is dropped from the roles and kept as an evidence note
    (kind ``splice_not_harmful``).

    Notes
    -----
    ``O(C + F)`` for ``C`` contents and ``F`` findings.
    """
    harm, at = _node_harm(p, det)
    own = _harmful_contents(p, harm, at, harm_threshold)
    authors = set(p.contents.loc[own, "account_id"].dropna())
    keep, notes = [], {a: tuple(n) for a, n in det.notes.items()}
    for f in det.roles:
        if f.role != "splicer" or f.numbers.get("harmful", 1.0) > 0 or f.account_id in authors:
            keep.append(f)
            continue
        spliced = [e.content_ids[0] for e in f.evidence if e.kind == "splice" and e.content_ids]
        if any(harm.get(c, 0.0) >= harm_threshold for c in spliced):
            keep.append(f)
            continue
        notes[f.account_id] = notes.get(f.account_id, ()) + (
            Evidence(
                "splice_not_harmful",
                tuple(spliced),
                "spliced earlier contents of others, but neither the splice, its sources nor "
                "anything else it posted in the event is harmful: not graded as a splicer",
            ),
        )
    return Detections(
        narratives=det.narratives,
        of_content=det.of_content,
        roles=tuple(keep),
        clusters=det.clusters,
        harm=det.harm,
        notes=notes,
    )


@dataclass(frozen=True)
class HarmfulItems:
    """Which of the event's contents and reposts are harmful, computed once per analysis.

    ``harm``: probability per content and repost ID (:func:`node_harm`);
    ``contents`` / ``reposts``: booleans aligned with ``p.contents`` / ``p.reposts``;
    ``forest``: :func:`pileon.detectors.cascades.reach` indexed by node ID.
    """

    harm: pd.Series
    contents: pd.Series
    reposts: pd.Series
    forest: pd.DataFrame


def harmful_items(
    p: Projection, det: Detections, *, harm_threshold: float = HARM_THRESHOLD
) -> HarmfulItems:
    """Harm of every content and repost of the event.

    A content is harmful when its harm (own, else estimated, else its
    narrative's: :func:`node_harm`) reaches ``harm_threshold``; a repost when
    what it spreads is (its own comment's harm, else its nearest ancestor's
    with text: ``spread_harm`` of :func:`pileon.detectors.cascades.reach`), or, where
    that is unknown, when its narrative is harmful.

    Notes
    -----
    ``O(C + R log d)`` for ``C`` contents and ``R`` reposts in chains ``d`` deep.
    """
    from pileon.detectors.cascades import reach

    harms, at = _node_harm(p, det)
    contents = pd.Series(
        _harmful_contents(p, harms, at, harm_threshold), index=p.contents.index, dtype=bool
    )
    forest = reach(p, harm=harms, harm_threshold=harm_threshold).set_index("node_id")
    harmful_n = {n.narrative_id: bool(n.harmful) for n in det.narratives}
    spread = p.reposts["repost_id"].map(forest["spread_harm"]).to_numpy(dtype=float)
    reposts = np.where(np.isnan(spread), 0.0, spread) >= harm_threshold
    unknown = np.flatnonzero(np.isnan(spread))
    narrative = _row_narratives(p, det)[len(p.contents) + unknown]
    reposts[unknown] = _lookup(narrative, harmful_n, 0.0) > 0
    return HarmfulItems(
        harm=harms,
        contents=contents,
        reposts=pd.Series(reposts, index=p.reposts.index, dtype=bool),
        forest=forest,
    )


def harmful_contents(
    p: Projection, det: Detections, *, harm_threshold: float = HARM_THRESHOLD
) -> pd.Series:
    """Boolean per content of ``p.contents`` (same index): harmful by its own ``harm``, or,
    where that is unknown, by the detectors' estimate or its narrative's harm."""
    return pd.Series(
        _harmful_contents(p, *_node_harm(p, det), harm_threshold),
        index=p.contents.index,
        dtype=bool,
    )


def valid_affiliations(p: Projection, at: pd.Timestamp | None = None) -> pd.DataFrame:
    """Affiliations valid at the event's time (``since <= at <= until``; a missing bound is open)."""
    aff = p.affiliations
    at = p.start if at is None else at
    if aff.empty or at is None:
        return aff.iloc[0:0] if at is None else aff
    ok = (aff["since"].isna() | (aff["since"] <= at)) & (aff["until"].isna() | (aff["until"] >= at))
    return aff[ok]


def _log1p(x: pd.Series | np.ndarray) -> np.ndarray:
    return np.log1p(np.clip(np.asarray(x, dtype=float), 0.0, None))


#: the int64 that stands for a missing time (NaT)
_NAT = np.iinfo(np.int64).min


def _ns(times: pd.Series) -> np.ndarray:
    """Times as int64 UTC nanoseconds, :data:`_NAT` where missing."""
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    return times.to_numpy(dtype="datetime64[ns]").view(np.int64)


def coactive_degree(reposts: pd.DataFrame, *, window: float, min_weight: int = 2) -> pd.Series:
    """Per account, the number of partners in the co-repost network of ``reposts``.

    The degree of every account in :func:`pileon.detectors.coactivity.coactivity`
    ``(reposts, window=window, min_weight=min_weight)``, without building that
    network's weight-1 pairs, which dominate it (a viral source reposted every
    second pairs each of its reposters with a hundred others).

    Parameters
    ----------
    reposts : pandas.DataFrame
        ``account_id``, ``source_id``, ``reposted_at`` (datetime64); rows with
        a missing value pair with nothing.
    window : float
        Seconds (inclusive) between two reposts of a source for them to pair.
    min_weight : int, default 2
        Partners must have co-reposted at least this many sources.

    Returns
    -------
    pandas.Series
        int64 degree indexed by ``account_id`` (accounts without partners: 0
        or absent).

    Notes
    -----
    Two accounts co-reposted ``w >= 2`` sources exactly when, for ``C(w, 2)``
    pairs of sources ``(s, s')``, both reposted ``s`` and ``s'`` within the
    window of each other.  Every account contributes, for each two of its
    reposts of different sources, a point ``(t, t')`` to the group ``(s, s')``;
    two accounts pair in the group when two of their points lie within the
    window on both axes (Chebyshev distance), which a grid of cells one window
    wide finds among neighbouring cells only.  A pair's weight is then read as
    the number of groups holding it.  Reposts with no other repost of their
    source within the window, and accounts left with fewer than ``min_weight``
    sources, are dropped first.

    Time ``O(n log n + Q log Q + K)`` for ``n`` reposts, ``Q = sum C(k_a, 2)``
    points over the remaining accounts' ``k_a`` reposts and ``K`` candidate
    point pairs in neighbouring cells (at scale 47: 0.6 M reposts, 0.4 M
    points, 0.5 M candidates, against 71 M within-window repost pairs).  Where
    the points would outnumber both the reposts and the within-window repost
    pairs ``P`` (a few accounts reposting thousands of sources), the network
    itself is built (``O(P log P)``) instead.  ``min_weight=1`` also builds it.

    Examples
    --------
    >>> t = pd.Timestamp("2026-03-01T08:00:00Z")
    >>> reposts = pd.DataFrame({"account_id": ["a", "b", "c", "a", "b"],
    ...                         "source_id": ["s1", "s1", "s1", "s2", "s2"],
    ...                         "reposted_at": [t, t + pd.Timedelta(seconds=30), t,
    ...                                         t + pd.Timedelta(hours=1),
    ...                                         t + pd.Timedelta(hours=1, seconds=60)]})
    >>> coactive_degree(reposts, window=60).sort_index().to_dict()
    {'a': 1, 'b': 1, 'c': 0}
    """
    w = float(window)
    if not math.isfinite(w) or w < 0:
        raise InputError(f"window must be a finite number of seconds >= 0, got {window!r}")
    if (
        isinstance(min_weight, bool)
        or not isinstance(min_weight, (int, np.integer))
        or min_weight < 1
    ):
        raise InputError(f"min_weight must be an integer >= 1, got {min_weight!r}")
    window_ns = int(round(w * 1_000_000_000))
    known = (
        reposts["account_id"].notna()
        & reposts["source_id"].notna()
        & reposts["reposted_at"].notna()
    ).to_numpy()
    r = reposts if known.all() else reposts[known]
    acc, accounts = pd.factorize(_as_str(r["account_id"]))
    index = pd.Index(accounts, name="account_id")

    def network_degree() -> pd.Series:
        from pileon.detectors.coactivity import coactivity

        edges = coactivity(
            r[["account_id", "source_id", "reposted_at"]], window=w, min_weight=int(min_weight)
        )
        deg = pd.concat([edges["account_a"], edges["account_b"]]).value_counts()
        return deg.reindex(index, fill_value=0).astype(np.int64)

    if min_weight == 1 or len(r) < 2:
        return network_degree() if len(r) >= 2 else pd.Series(0, index=index, dtype=np.int64)
    src = pd.factorize(_as_str(r["source_id"]))[0].astype(np.int64)
    when = r["reposted_at"]
    if isinstance(when.dtype, pd.DatetimeTZDtype):
        when = when.dt.tz_convert("UTC").dt.tz_localize(None)
    t = when.to_numpy(dtype="datetime64[ns]").view(np.int64)
    acc = acc.astype(np.int64)
    n_acc = len(accounts)

    # reposts with another repost of their source within the window
    by_source = np.lexsort((t, src))
    s_o, t_o = src[by_source], t[by_source]
    near = (s_o[1:] == s_o[:-1]) & (t_o[1:] - t_o[:-1] <= window_ns)
    live = np.zeros(len(by_source), dtype=bool)
    live[1:] = near
    live[:-1] |= near
    # by account, then source and time; accounts with at least min_weight live sources
    o = by_source[live]
    o = o[np.lexsort((t[o], src[o], acc[o]))]
    a, s, t = acc[o], src[o], t[o]
    new_source = np.ones(len(a), dtype=bool)
    new_source[1:] = (a[1:] != a[:-1]) | (s[1:] != s[:-1])
    keep = np.bincount(a[new_source], minlength=n_acc)[a] >= min_weight
    a, s, t = a[keep], s[keep], t[keep]
    n = len(a)
    starts = np.flatnonzero(np.r_[True, a[1:] != a[:-1]]) if n else np.empty(0, np.int64)
    sizes = np.diff(np.r_[starts, n])
    later = np.repeat(starts + sizes, sizes) - np.arange(n) - 1  # later reposts of the account
    if int(later.sum()) > len(r) and int(later.sum()) > _window_pairs(s_o, t_o, window_ns):
        return network_degree()
    deg = np.zeros(n_acc, dtype=np.int64)
    # points: two reposts of one account, of sources s < s' (sorted), in group (s, s')
    first, second = _spans(np.arange(n), np.arange(1, n + 1), later)
    other = s[first] != s[second]
    first, second = first[other], second[other]
    if len(first) == 0:
        return pd.Series(deg, index=index)
    group = np.unique(s[first] * np.int64(s.max() + 1) + s[second], return_inverse=True)[1].ravel()
    pa, x, y = a[first], t[first], t[second]
    del first, second
    cell = max(window_ns, 1)
    cx, cy = (x - x.min()) // cell, (y - y.min()) // cell
    o = np.lexsort((cy, cx, group))
    group, pa, x, y, cx, cy = group[o], pa[o], x[o], y[o], cx[o], cy[o]
    # columns (group, cx), each a run of points ordered by cy
    new_col = np.ones(len(group), dtype=bool)
    new_col[1:] = (group[1:] != group[:-1]) | (cx[1:] != cx[:-1])
    col = np.cumsum(new_col) - 1
    col_start = np.flatnonzero(new_col)
    uy = distinct(cy)
    span = np.int64(len(uy) + 2)
    key = col * span + np.searchsorted(uy, cy) + 1
    lo_y = np.searchsorted(uy, cy - 1, side="left") + 1
    hi_y = np.searchsorted(uy, cy + 1, side="right") + 1
    found = []
    for step in (0, 1):  # the point's own column (later points), the next column (cx + 1)
        i = np.arange(len(group))
        if step:
            nxt = col_start[np.minimum(col[i] + 1, len(col_start) - 1)]
            i = i[(col[i] + 1 < len(col_start)) & (group[nxt] == group) & (cx[nxt] == cx + 1)]
        lo = np.searchsorted(key, (col[i] + step) * span + lo_y[i], side="left")
        hi = np.searchsorted(key, (col[i] + step) * span + hi_y[i], side="left")
        if not step:
            lo = np.maximum(lo, i + 1)
        ii, jj = _spans(i, lo, np.maximum(hi - lo, 0))
        hit = (
            (np.abs(x[ii] - x[jj]) <= window_ns)
            & (np.abs(y[ii] - y[jj]) <= window_ns)
            & (pa[ii] != pa[jj])
        )
        ii, jj = ii[hit], jj[hit]
        found.append((group[ii], np.minimum(pa[ii], pa[jj]) * n_acc + np.maximum(pa[ii], pa[jj])))
    g = np.concatenate([g for g, _ in found])
    pid = np.concatenate([p for _, p in found])
    o = np.lexsort((g, pid))
    g, pid = g[o], pid[o]
    new = np.ones(len(pid), dtype=bool)
    new[1:] = (pid[1:] != pid[:-1]) | (g[1:] != g[:-1])
    pid, n_groups = np.unique(pid[new], return_counts=True)  # distinct groups per pair
    pid = pid[n_groups >= min_weight * (min_weight - 1) // 2]  # C(w, 2) groups for weight w
    deg += np.bincount(pid // n_acc, minlength=n_acc) + np.bincount(pid % n_acc, minlength=n_acc)
    return pd.Series(deg, index=index)


def _as_str(values: pd.Series) -> np.ndarray:
    """The values as strings (as ``astype(str)``; no copy when they are strings already)."""
    arr = values.to_numpy(dtype=object)
    return (
        arr
        if pd.api.types.infer_dtype(arr, skipna=False) == "string"
        else values.astype(str).to_numpy(dtype=object)
    )


def _window_pairs(src: np.ndarray, t: np.ndarray, window_ns: int) -> int:
    """The number of pairs of rows (sorted by source, then time) of one source at most
    ``window_ns`` apart."""
    t_rel = t - t.min()
    scale, ranks = np.unique(np.concatenate([t_rel, t_rel + window_ns]), return_inverse=True)
    key = src * np.int64(len(scale)) + ranks[: len(t)]
    end = np.searchsorted(key, src * np.int64(len(scale)) + ranks[len(t) :], side="right")
    return int((end - np.arange(len(t)) - 1).sum())


def _spans(
    rows: np.ndarray, starts: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(row, j)`` for every row and ``j`` in ``starts[k] .. starts[k] + counts[k] - 1``."""
    return np.repeat(rows, counts), spans(starts, counts)


# ---------------------------------------------------------------------------- features


def account_features(
    p: Projection,
    det: Detections,
    *,
    harm_threshold: float = HARM_THRESHOLD,
    coact_window: float = 60.0,
    coact_min_weight: int = 2,
    rename_days: float = 7.0,
    min_attackers: int = 3,
    items: HarmfulItems | None = None,
) -> pd.DataFrame:
    """Per-account features of one event, one row per account of ``p.accounts``.

    Parameters
    ----------
    p : Projection
        The event's projection.
    det : Detections
        Narratives, role findings and clusters of the event.
    harm_threshold : float, default 0.5
        A known ``harm`` at or above this is harmful; unknown ``harm`` falls back
        on the content's narrative.
    coact_window : float, default 60
        Window (seconds) of the co-repost network behind ``coact_degree_log``.
    coact_min_weight : int, default 2
        Partners must have co-reposted at least this many sources.
    rename_days : float, default 7
        Renames within this many days of the event's start count in ``renames_near``.
    min_attackers : int, default 3
        An account named in the ``target_ids`` of harmful contents by at least this
        many other accounts, with nothing harmful of its own, is a target
        (``is_target``) even when the event does not list it.
    items : HarmfulItems, optional
        :func:`harmful_items` of the event, when already computed.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``account_id`` (sorted), columns :data:`FEATURES` (floats;
        NaN where a value is unknown: ``harm_mean`` without scored contents,
        ``account_age_days`` without ``created_at``, …).

    Notes
    -----
    Time ``O(C + R d + Q)`` for ``C`` contents, ``R`` reposts in chains ``d``
    deep and ``Q`` pairs of reposts by one account of different sources
    (:func:`coactive_degree`; not the within-window co-repost pairs, which grow
    with the square of a viral source's repost rate); memory ``O(C + R + A + Q)``.
    """
    acc = p.accounts[["account_id"]].drop_duplicates().sort_values("account_id", kind="mergesort")
    ids = acc["account_id"].tolist()
    index = pd.Index(ids, name="account_id")
    if not ids:
        f = pd.DataFrame(index=index)
        f[list(FEATURES)] = 0.0
        return f.astype(float)
    n = len(ids)
    col: dict[str, np.ndarray] = {}

    def per_account(codes: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Count (or sum of ``weights``) per account of rows coded by position in ``ids``
        (-1: not an account of the event)."""
        ok = codes >= 0
        w = None if weights is None else np.asarray(weights, dtype=float)[ok]
        return np.bincount(codes[ok], weights=w, minlength=n).astype(float)

    def aligned(s: pd.Series, fill: float = 0.0) -> np.ndarray:
        """A series indexed by account_id, as an array over ``ids``."""
        return s.reindex(index).fillna(fill).to_numpy(dtype=float)

    start = p.start
    keep_c = (~p.contents["placeholder"].astype(bool) & p.contents["account_id"].notna()).to_numpy()
    keep_r = p.reposts["account_id"].notna().to_numpy()
    contents, reposts = p.contents[keep_c], p.reposts[keep_r]
    items = items if items is not None else harmful_items(p, det, harm_threshold=harm_threshold)
    harmful = items.contents.to_numpy()[keep_c]
    r_harmful = items.reposts.to_numpy()[keep_r]
    c_code = index.get_indexer(contents["account_id"])
    r_code = index.get_indexer(reposts["account_id"])
    kind = _kinds(contents)
    is_dm = (kind == "dm").to_numpy()
    is_comment = ((kind == "comment") | contents["reply_to"].notna()).to_numpy() & ~is_dm
    col["n_posts"] = per_account(c_code, ~is_dm & ~is_comment)
    col["n_comments"] = per_account(c_code, is_comment)
    col["n_dms"] = per_account(c_code, is_dm)
    col["n_harmful"] = per_account(c_code, harmful)
    scored = contents["harm"][c_code >= 0].groupby(c_code[c_code >= 0])
    col["harm_mean"] = scored.mean().reindex(range(n)).to_numpy(dtype=float)
    col["harm_max"] = scored.max().reindex(range(n)).to_numpy(dtype=float)
    col["n_reposts"] = per_account(r_code)
    col["n_harmful_reposts"] = per_account(r_code, r_harmful)
    n_act = col["n_posts"] + col["n_comments"] + col["n_dms"] + col["n_reposts"]
    with np.errstate(invalid="ignore"):
        share = (col["n_harmful"] + col["n_harmful_reposts"]) / np.where(n_act > 0, n_act, np.nan)
    col["harmful_share"] = np.where(np.isnan(share), 0.0, share)

    # --- narratives touched (own contents and reposts), harmful ones
    rows = _row_narratives(p, det)
    narrative = pd.Series(
        np.concatenate([rows[: len(p.contents)][keep_c], rows[len(p.contents) :][keep_r]]),
        dtype=object,
    )
    codes = np.concatenate([c_code, r_code])
    touched = (codes >= 0) & narrative.notna().to_numpy()
    n_code, narratives = pd.factorize(narrative[touched])
    pair = distinct(codes[touched] * np.int64(max(len(narratives), 1)) + n_code)
    who, what = pair // max(len(narratives), 1), pair % max(len(narratives), 1)
    harmful_n = {nr.narrative_id: bool(nr.harmful) for nr in det.narratives}
    bad = np.array([harmful_n.get(x, False) for x in narratives], dtype=bool)
    col["n_narratives"] = per_account(who)
    col["n_harmful_narratives"] = per_account(who[bad[what]])

    # --- spread through the repost forest (pileon.detectors.cascades.reach)
    forest = items.forest
    own = (forest["account_id"].notna() & forest["kind"].isin(["content", "repost"])).to_numpy()
    f_code = np.where(own, index.get_indexer(forest["account_id"]), -1)
    go = {
        c: per_account(f_code, forest[c].to_numpy())
        for c in (
            "downstream",
            "activity",
            "harmful_activity",
            "replies",
            "attributed",
            "attributed_harmful",
        )
    }
    col["reach_log"] = _log1p(go["downstream"])
    col["harmful_reach_log"] = _log1p(go["harmful_activity"])
    col["credited_log"] = _log1p(go["attributed"])
    col["credited_harmful_log"] = _log1p(go["attributed_harmful"])
    with np.errstate(invalid="ignore"):
        col["downstream_harm_share"] = go["harmful_activity"] / np.where(
            go["activity"] > 0, go["activity"], np.nan
        )
    col["replies_drawn_log"] = _log1p(go["replies"])

    # --- timing
    t = np.concatenate([_ns(contents["posted_at"]), _ns(reposts["reposted_at"])])
    known = t != _NAT
    for name in ("lead_hours", "span_hours", "rate_per_hour"):
        col[name] = np.zeros(n)
    if known.any():
        median_t = np.sort(t[known], kind="stable")[int(known.sum()) // 2]
        ok = known & (codes >= 0)
        order = np.lexsort((t[ok], codes[ok]))
        who, when = codes[ok][order], t[ok][order]
        head = np.flatnonzero(np.r_[True, who[1:] != who[:-1]])
        first, last = when[head], when[np.r_[head[1:], len(who)] - 1]
        acts = np.diff(np.r_[head, len(who)])
        lead = pd.to_timedelta(median_t - first, unit="ns").total_seconds().to_numpy() / 3600.0
        span = pd.to_timedelta(last - first, unit="ns").total_seconds().to_numpy() / 3600.0
        col["lead_hours"][who[head]] = lead
        col["span_hours"][who[head]] = span
        col["rate_per_hour"][who[head]] = acts / np.clip(span, 1.0, None)

    # --- coordination
    col["coact_degree_log"] = np.zeros(n)
    if len(reposts) >= 2:
        deg = coactive_degree(reposts, window=coact_window, min_weight=coact_min_weight)
        col["coact_degree_log"] = _log1p(deg.reindex(index, fill_value=0).to_numpy())
    cluster_of = det.cluster_of()
    members = [a for a in cluster_of if a in index]
    at = index.get_indexer(members)
    col["in_cluster"], col["cluster_score"], col["cluster_size_log"] = np.zeros((3, n))
    col["in_cluster"][at] = 1.0
    col["cluster_score"][at] = [float(cluster_of[a].score) for a in members]
    col["cluster_size_log"][at] = [math.log1p(len(cluster_of[a].accounts)) for a in members]
    accounts = p.accounts
    if accounts["account_id"].is_monotonic_increasing and accounts["account_id"].is_unique:
        accounts = accounts.set_index("account_id")  # already one row per ID, in ID order
    else:
        accounts = accounts.drop_duplicates("account_id").set_index("account_id").reindex(ids)
    keys = accounts["identity_key"]
    key_n = keys.dropna().value_counts()
    col["identity_peers"] = keys.map(key_n).fillna(1).to_numpy() - 1

    # --- the account
    if start is not None:
        col["account_age_days"] = (
            (start - accounts["created_at"]).dt.total_seconds() / 86400.0
        ).to_numpy()
    else:
        col["account_age_days"] = np.full(n, np.nan)
    col["followers_log"] = _log1p(accounts["followers"].astype("Float64").astype(float).to_numpy())
    col["verified"] = accounts["verified"].astype("boolean").fillna(False).astype(float).to_numpy()
    col["renames_near"] = np.zeros(n)
    if len(p.renames) and start is not None:
        near = (p.renames["renamed_at"] - start).abs() <= pd.Timedelta(days=rename_days)
        col["renames_near"] = aligned(p.renames[near].groupby("account_id").size())
    col["mcn_affiliated"] = index.isin(set(valid_affiliations(p)["account_id"])).astype(float)

    # --- targets and minors
    targets = set(p.event.target_ids)
    if "role_hint" in p.accounts:
        targets |= set(p.accounts.loc[p.accounts["role_hint"] == "target", "account_id"])
    col["is_target"] = index.isin(targets).astype(float)
    minors = set(
        p.accounts.loc[
            p.accounts["is_minor"].astype("boolean").fillna(False).astype(bool), "account_id"
        ]
    )
    all_targets = (
        set(p.event.target_ids).union(*p.contents["target_ids"])
        if len(p.contents)
        else set(p.event.target_ids)
    )
    author_of = dict(zip(p.contents["content_id"], p.contents["account_id"]))
    aimed = [
        (set(t) | ({author_of.get(r)} if isinstance(r, str) else set())) - {a}
        for t, r, a in zip(contents["target_ids"], contents["reply_to"], contents["account_id"])
    ]
    hostile = harmful | contents["harm"].isna().to_numpy()
    col["n_targeted"] = per_account(c_code, [bool(s & all_targets) for s in aimed])
    col["minor_attacks"] = per_account(
        c_code, [bool(s & minors) and bool(h) for s, h in zip(aimed, hostile)]
    )
    # accounts under attack: named in target_ids of harmful contents by several others; one
    # who posted nothing harmful is a target of the event even when the event does not list it
    pairs = [
        (t, a)
        for ts, a, h in zip(contents["target_ids"], contents["account_id"], harmful)
        if h
        for t in ts
        if t != a
    ]
    attackers = aligned(
        pd.DataFrame(pairs, columns=["target", "author"]).drop_duplicates().groupby("target").size()
    )
    col["attacked_by_log"] = _log1p(attackers)
    victim = (
        (attackers >= min_attackers) & (col["n_harmful"] == 0) & (col["n_harmful_reposts"] == 0)
    )
    col["is_target"][victim] = 1.0

    # --- reports against the account or its contents
    col["reports_against"], col["reports_minor"] = np.zeros((2, n))
    rep = p.reports
    if len(rep):
        node = forest.index.get_indexer(rep["content_id"])
        owner = np.where(node >= 0, forest["account_id"].to_numpy(dtype=object)[node], None)
        owner = np.where((node >= 0) & own[node], owner, None)
        about = pd.Series(owner, index=rep.index, dtype=object)
        about = about.where(about.notna(), rep["account_id"])
        r_code = index.get_indexer(about)
        col["reports_against"] = per_account(r_code)
        col["reports_minor"] = per_account(
            r_code, rep["involves_minor"].astype("boolean").fillna(False).astype(bool).to_numpy()
        )

    # --- what the detectors found
    roles_of = det.roles_of()
    for role, name in zip(CULPABLE_ROLES, ROLE_FEATURES):
        found = {a: float(r[role].strength) for a, r in roles_of.items() if role in r}
        col[name] = aligned(pd.Series(found, dtype=float))
    for a, c in cluster_of.items():  # members of significant clusters are coordinated
        i = index.get_indexer([a])[0]
        if i >= 0 and col["role_coordinated"][i] == 0.0:
            col["role_coordinated"][i] = max(MIN_STRENGTH, float(c.score))
    return pd.DataFrame(
        np.column_stack([np.asarray(col[name], dtype=float) for name in FEATURES]),
        index=index,
        columns=list(FEATURES),
    )


# ------------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Scored:
    """Scores with the reasons behind them, per account (index of ``features``)."""

    score: pd.Series
    #: account_id -> evidence explaining the score (rules fired, or model contributions)
    explain: dict[str, Evidence]
    #: ``rules`` or ``model:<version>``
    method: str = "rules"
    #: the risk model's probability per account (before banding), when a model scored
    probability: pd.Series | None = None


def _participation_rules(row: Mapping[str, float]) -> list[tuple[str, float, str]]:
    """(rule, weight, detail) for the participation rules that fire on one account."""
    fired = []
    nh = row["n_harmful"]
    if nh > 0:
        fired.append(
            (
                "harmful_contents",
                0.5 * min(1.0, nh / 3.0),
                f"{int(nh)} harmful content(s) of its own",
            )
        )
    nr = row["n_harmful_reposts"]
    if nr > 0:
        fired.append(
            (
                "harmful_reposts",
                0.3 * min(1.0, nr / 5.0),
                f"{int(nr)} repost(s) of harmful narratives",
            )
        )
    rp = row["reports_against"]
    if rp > 0:
        fired.append(("reported", 0.2 * min(1.0, rp / 3.0), f"{int(rp)} report(s) against it"))
    if row["minor_attacks"] > 0 or row["reports_minor"] > 0:
        fired.append(("minor_attacked", 0.3, "aimed harmful content at a minor"))
    return fired


def rule_scores(features: pd.DataFrame) -> Scored:
    """Score accounts with the transparent rules (no model).

    An account with culpable roles scores ``0.5 + 0.45 * R + 0.05 * Q``, an
    account without ``0.45 * Q``, a target 0, where ``R = 1 - prod(1 - w_r s_r)``
    over its roles (weights :data:`ROLE_WEIGHTS`, strengths ``s_r`` from the
    findings, at least :data:`MIN_STRENGTH`) and ``Q = 1 - prod(1 - w_q)`` over
    the participation rules that fire (harmful contents, harmful reposts,
    reports against it, a minor attacked).  Culpable accounts thus always rank
    above ordinary participants.

    Parameters
    ----------
    features : pandas.DataFrame
        From :func:`account_features`.

    Returns
    -------
    Scored
        Scores in [0, 1] and, per account, an evidence item of kind ``rules``
        naming every rule that fired.

    Notes
    -----
    ``O(A log A)`` for ``A`` accounts; the rules run once per distinct row of
    the columns they read (most accounts share one of a few rows).
    """
    cols = [
        "is_target",
        "n_harmful",
        "n_harmful_reposts",
        "reports_against",
        "minor_attacks",
        "reports_minor",
        *ROLE_FEATURES,
    ]
    rows, inverse = _distinct_rows(features[cols].to_numpy(dtype=float))
    fired = [_rules(dict(zip(cols, vals))) for vals in rows]
    return Scored(
        score=pd.Series([fired[i][0] for i in inverse], index=features.index, dtype=float),
        explain=dict(zip(features.index, [fired[i][1] for i in inverse])),
        method="rules",
    )


def _distinct_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a 2-D array and, per row, the position of its own among them
    (one lexsort of the columns: ``np.unique(axis=0)`` sorts rows as opaque bytes, 15 times
    slower; rows holding NaN stay apart)."""
    o = np.lexsort(x.T[::-1])
    xs = x[o]
    new = np.ones(len(xs), dtype=bool)
    new[1:] = (xs[1:] != xs[:-1]).any(axis=1)
    inverse = np.empty(len(xs), dtype=np.int64)
    inverse[o] = np.cumsum(new) - 1
    return xs[new], inverse


def _rules(row: Mapping[str, float]) -> tuple[float, Evidence]:
    """The score of one account and the rules behind it (:func:`rule_scores`)."""
    if row["is_target"] > 0:
        return 0.0, Evidence("rules", (), "target of the event: not scored")
    roles = [
        (r, ROLE_WEIGHTS[r], max(MIN_STRENGTH, row[f"role_{r}"]))
        for r in CULPABLE_ROLES
        if row[f"role_{r}"] > 0
    ]
    part = _participation_rules(row)
    q = 1.0 - math.prod(1.0 - w for _, w, _ in part)
    if roles:
        r_ = 1.0 - math.prod(1.0 - w * s for _, w, s in roles)
        score = 0.5 + 0.45 * r_ + 0.05 * q
    else:
        score = 0.45 * q
    bits = [f"{r} (weight {w:g} x strength {s:.2f})" for r, w, s in roles]
    bits += [f"{name} ({detail}, weight {w:.2f})" for name, w, detail in part]
    detail = ("rules fired: " + "; ".join(bits)) if bits else "no rule fired"
    return round(float(score), 6), Evidence("rules", (), f"score {score:.3f}; {detail}")


def harmful_participation(features: pd.DataFrame) -> pd.Series:
    """Whether each account did something harmful of its own: harmful contents or reposts,
    reports against it, a minor attacked (the tier-1 condition)."""
    return (
        features["n_harmful"]
        + features["n_harmful_reposts"]
        + features["reports_against"]
        + features["minor_attacks"]
    ) > 0


def banded(features: pd.DataFrame, p: pd.Series) -> pd.Series:
    """Model probabilities placed in the rules' bands.

    ``0.5 + 0.5 p`` for accounts with a culpable role, ``0.2 + 0.29 p`` for the
    other accounts with harmful conduct of their own, ``0.19 p`` for the rest
    (bystanders, news), 0 for targets.  The detectors' findings decide who is
    culpable (and the tiers follow them); the risk model orders accounts within
    each band, so a model trained on few past decisions can refine the ranking
    but never lift a bystander above a detected culprit, or a news account above
    an abusive participant.
    """
    culpable = (features[list(ROLE_FEATURES)] > 0).any(axis=1)
    harmful = harmful_participation(features)
    out = np.where(culpable, 0.5 + 0.5 * p, np.where(harmful, 0.2 + 0.29 * p, 0.19 * p))
    out = np.where(features["is_target"] > 0, 0.0, out)
    return pd.Series(np.round(out, 6), index=features.index, dtype=float)


# ------------------------------------------------------------------------------- tiers


@dataclass(frozen=True)
class Grade:
    """Tier, referral and priority of one account, with the reasons."""

    tier: int
    refer: bool
    priority: str | None
    reasons: tuple[str, ...] = ()


def grade(
    features: pd.DataFrame,
    roles: Mapping[str, Iterable[str]],
    *,
    repeated: Mapping[str, Iterable[str]] | None = None,
    shared_identity: Iterable[str] = (),
    refer_reposts: int = REFER_REPOSTS,
) -> dict[str, Grade]:
    """Tiers 0–4, ``refer`` and ``priority`` for every account (module docstring for the rules).

    Parameters
    ----------
    features : pandas.DataFrame
        From :func:`account_features`.
    roles : mapping
        account_id -> its culpable roles (:data:`CULPABLE_ROLES`).
    repeated : mapping, optional
        account_id -> other events where it (or an account of its identity) was
        found or labelled culpable.
    shared_identity : iterable of str
        Accounts whose ``identity_key`` holds several culpable accounts (in
        this event or across the store).
    refer_reposts : int, default 500
        Harmful reach from which first posters and inciters are referred.

    Returns
    -------
    dict
        account_id -> :class:`Grade`.

    Notes
    -----
    ``O(A)`` for ``A`` accounts; accounts without a culpable role share one
    :class:`Grade` per (harmful, minor).
    """
    repeated = repeated or {}
    shared = set(shared_identity)
    culpable = set(CULPABLE_ROLES)
    out: dict[str, Grade] = {}
    target_grade = Grade(0, False, None, ("target of the event",))
    plain: dict[tuple[bool, bool], Grade] = {}  # (harmful, minor) -> grade, no culpable role
    minors = ((features["minor_attacks"] > 0) | (features["reports_minor"] > 0)).to_numpy()
    for a, target, minor, harmful, reach_log in zip(
        features.index,
        (features["is_target"] > 0).to_numpy(),
        minors,
        harmful_participation(features).to_numpy(),
        features["harmful_reach_log"].to_numpy(),
    ):
        if target:
            out[a] = target_grade
            continue
        rs = roles.get(a, ())
        minor = bool(minor)
        if not culpable.intersection(rs):  # tier 0 or 1: nothing more can apply
            key = (bool(harmful), minor)
            if key not in plain:
                plain[key] = Grade(
                    1 if harmful else 0,
                    False,
                    "minor" if minor else None,
                    ("tier 1: harmful participation" if harmful else "tier 0: no harmful conduct",),
                )
            out[a] = plain[key]
            continue
        rs = set(rs)
        reasons: list[str] = []
        if rs & set(TIER3_ROLES):
            tier = 3
            reasons.append("tier 3: " + ", ".join(r for r in TIER3_ROLES if r in rs))
        elif "coordinated" in rs:
            tier = 2
            reasons.append("tier 2: member of a coordinated cluster")
        else:
            tier = 1 if harmful else 0
            reasons.append(
                "tier 1: harmful participation" if harmful else "tier 0: no harmful conduct"
            )
        if tier >= 2 and a in shared:
            tier = 4
            reasons.append("tier 4: its identity holds several culpable accounts")
        if tier >= 2 and repeated.get(a):
            events = sorted(set(repeated[a]))
            tier = min(4, tier + 1)
            reasons.append(f"tier {tier}: culpable conduct repeated in " + ", ".join(events))
        harmful_reach = math.expm1(reach_log)
        refer = False
        if rs & set(LEAD_ROLES) and harmful_reach >= refer_reposts:
            refer = True
            reasons.append(
                f"refer: its contents drew {int(round(harmful_reach))} harmful reposts "
                f"and replies (>= {refer_reposts})"
            )
        if "splicer" in rs:
            refer = True
            reasons.append("refer: spliced false information")
        if minor and tier >= 2:
            refer = True
            reasons.append("refer: culpable conduct against a minor")
        out[a] = Grade(int(tier), refer, "minor" if minor else None, tuple(reasons))
    return out
