"""Per-account features of one event: what every account did, measured for the decisions.

:func:`account_features` measures every account of the event on the axes the
notice names (event, target, participants, content, frequency, scene, reports) —
one row per account, the columns of :data:`FEATURES`.  The same frame feeds the
transparent rules (:mod:`pileon.detectors.rules`), the LightGBM risk model
(:mod:`pileon.detectors.risk_model`) and the tiers (:mod:`pileon.detectors.grading`).

``minor_attacks`` and ``reports_minor`` mark accounts that attacked a minor: a
harmful (or unscored) content of theirs aims at an account with ``is_minor`` (its
``target_ids``, or a reply to the minor's content), or a report with
``involves_minor`` concerns their contents or the account itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from pileon.detectors.affiliations import valid_affiliations
from pileon.detectors.cascades import Reach, _Nodes, coded_forest, repost_authors
from pileon.detectors.coactivity import coactivity_degree, coded_degree
from pileon.detectors.coactivity_codes import window_ns
from pileon.detectors.findings import Cluster, Detections
from pileon.detectors.harm import HARM_THRESHOLD, HarmfulItems, harmful_items, row_narratives
from pileon.graph.arrays import distinct
from pileon.graph.model import CULPABLE_ROLES
from pileon.graph.projection import Projection

__all__ = [
    "FEATURES",
    "ROLE_FEATURES",
    "MIN_STRENGTH",
    "account_features",
    "harmful_participation",
]

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


def _kinds(contents: pd.DataFrame) -> pd.Series:
    kind = contents["kind"].where(contents["kind"].notna(), "post").astype(object)
    return kind


def _log1p(x: pd.Series | np.ndarray) -> np.ndarray:
    return np.log1p(np.clip(np.asarray(x, dtype=float), 0.0, None))


#: the int64 that stands for a missing time (NaT)
_NAT = np.iinfo(np.int64).min


def _ns(times: pd.Series) -> np.ndarray:
    """Times as int64 UTC nanoseconds, :data:`_NAT` where missing."""
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    return times.to_numpy(dtype="datetime64[ns]").view(np.int64)


def account_features(
    p: Projection,
    det: Detections,
    *,
    harm_threshold: float = HARM_THRESHOLD,
    coact_window: float = 60.0,
    rename_days: float = 7.0,
    min_attackers: int = 3,
    items: HarmfulItems | None = None,
    coact_count: pd.Series | None = None,
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
        Window (seconds) of the co-reposts behind ``coact_degree_log``
        (:func:`pileon.detectors.coactivity.coactivity_degree`).
    rename_days : float, default 7
        Renames within this many days of the event's start count in ``renames_near``.
    min_attackers : int, default 3
        An account named in the ``target_ids`` of harmful contents by at least this
        many other accounts, with nothing harmful of its own, is a target
        (``is_target``) even when the event does not list it.
    items : HarmfulItems, optional
        :func:`pileon.detectors.harm.harmful_items` of the event, when already computed.
    coact_count : pandas.Series, optional
        Each account's co-reposts at ``coact_window``
        (:func:`pileon.detectors.coactivity.coactivity_degree`), computed elsewhere
        (:attr:`pileon.detectors.joins.Joins.coreposts`); default: computed here.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``account_id`` (sorted), columns :data:`FEATURES` (floats;
        NaN where a value is unknown: ``harm_mean`` without scored contents,
        ``account_age_days`` without ``created_at``, …).

    Notes
    -----
    Time ``O(C + R d + R log R)`` for ``C`` contents and ``R`` reposts in chains ``d``
    deep (the co-reposts are counted by binary search, no pair is built); memory
    ``O(C + R + A)``.  Each group of columns is one step below (contents, narratives,
    spread, timing, coordination, the account, targets, reports, roles).
    """
    acc = p.accounts[["account_id"]].drop_duplicates().sort_values("account_id", kind="mergesort")
    ids = acc["account_id"].tolist()
    index = pd.Index(ids, name="account_id")
    if not ids:
        f = pd.DataFrame(index=index)
        f[list(FEATURES)] = 0.0
        return f.astype(float)
    accounts = _Accounts(index)
    items = items if items is not None else harmful_items(p, det, harm_threshold=harm_threshold)
    acts = _Acts.of(p, items, accounts)
    own, f_code = _forest_codes(items, acts, accounts)
    cluster_of = det.cluster_of()
    col: dict[str, np.ndarray] = {}
    col.update(_content_columns(acts, accounts))
    col.update(_narrative_columns(p, det, acts, accounts))
    col.update(_spread_columns(items.reach, accounts, np.where(own, f_code, -1)))
    col.update(_timing_columns(acts, accounts))
    col.update(
        _coordination_columns(p, acts, cluster_of, accounts, window=coact_window, count=coact_count)
    )
    col.update(_account_columns(p, accounts, rename_days=rename_days))
    col.update(
        _target_columns(
            p,
            acts,
            accounts,
            harmless=(col["n_harmful"] == 0) & (col["n_harmful_reposts"] == 0),
            min_attackers=min_attackers,
        )
    )
    col.update(_report_columns(p, items.reach, own, f_code, accounts))
    col.update(_role_columns(det, cluster_of, accounts))
    return pd.DataFrame(
        np.column_stack([np.asarray(col[name], dtype=float) for name in FEATURES]),
        index=index,
        columns=list(FEATURES),
    )


# ----------------------------------------------------------------- steps of account_features


@dataclass(frozen=True)
class _Accounts:
    """The event's accounts, sorted by ``account_id``: the rows of the features."""

    index: pd.Index

    @property
    def n(self) -> int:
        return len(self.index)

    def count(self, codes: np.ndarray, weights: ArrayLike | None = None) -> np.ndarray:
        """Count (or sum of ``weights``) per account of rows coded by position in the index
        (-1: not an account of the event)."""
        ok = codes >= 0
        w = None if weights is None else np.asarray(weights, dtype=float)[ok]
        return np.bincount(codes[ok], weights=w, minlength=self.n).astype(float)

    def aligned(self, s: pd.Series, fill: float = 0.0) -> np.ndarray:
        """A series indexed by account_id, as an array over the accounts."""
        return s.reindex(self.index).fillna(fill).to_numpy(dtype=float)


@dataclass(frozen=True)
class _Acts:
    """The event's contents and reposts that have an author (placeholders left out), whether
    each is harmful, and the position of its author among the accounts."""

    contents: pd.DataFrame
    reposts: pd.DataFrame
    #: which rows of ``p.contents`` / ``p.reposts`` they are
    keep_c: np.ndarray
    keep_r: np.ndarray
    harmful: np.ndarray
    r_harmful: np.ndarray
    c_code: np.ndarray
    r_code: np.ndarray

    @classmethod
    def of(cls, p: Projection, items: HarmfulItems, accounts: _Accounts) -> _Acts:
        keep_c = (
            ~p.contents["placeholder"].astype(bool) & p.contents["account_id"].notna()
        ).to_numpy()
        # the reposts' authors hashed once per projection (the repeat posters count them
        # too), then each distinct author looked up among the accounts
        author, names = repost_authors(p)
        keep_r = author >= 0
        # the frames themselves when every row is kept (a mask copies every column)
        contents = p.contents if keep_c.all() else p.contents[keep_c]
        reposts = p.reposts if keep_r.all() else p.reposts[keep_r]
        return cls(
            contents=contents,
            reposts=reposts,
            keep_c=keep_c,
            keep_r=keep_r,
            harmful=items.contents.to_numpy()[keep_c],
            r_harmful=items.reposts.to_numpy()[keep_r],
            c_code=accounts.index.get_indexer(contents["account_id"]),
            r_code=accounts.index.get_indexer(names)[author[keep_r]],
        )

    @property
    def codes(self) -> np.ndarray:
        """The author's position of every content, then every repost."""
        return np.concatenate([self.c_code, self.r_code])


def _content_columns(acts: _Acts, accounts: _Accounts) -> dict[str, np.ndarray]:
    """What each account published: posts, comments, messages and reposts, how many of them
    harmful, and the harm of its scored contents."""
    col: dict[str, np.ndarray] = {}
    contents, c_code, r_code = acts.contents, acts.c_code, acts.r_code
    kind = _kinds(contents)
    is_dm = (kind == "dm").to_numpy()
    is_comment = ((kind == "comment") | contents["reply_to"].notna()).to_numpy() & ~is_dm
    col["n_posts"] = accounts.count(c_code, ~is_dm & ~is_comment)
    col["n_comments"] = accounts.count(c_code, is_comment)
    col["n_dms"] = accounts.count(c_code, is_dm)
    col["n_harmful"] = accounts.count(c_code, acts.harmful)
    scored = contents["harm"][c_code >= 0].groupby(c_code[c_code >= 0])
    col["harm_mean"] = scored.mean().reindex(range(accounts.n)).to_numpy(dtype=float)
    col["harm_max"] = scored.max().reindex(range(accounts.n)).to_numpy(dtype=float)
    col["n_reposts"] = accounts.count(r_code)
    col["n_harmful_reposts"] = accounts.count(r_code, acts.r_harmful)
    n_act = col["n_posts"] + col["n_comments"] + col["n_dms"] + col["n_reposts"]
    with np.errstate(invalid="ignore"):
        share = (col["n_harmful"] + col["n_harmful_reposts"]) / np.where(n_act > 0, n_act, np.nan)
    col["harmful_share"] = np.where(np.isnan(share), 0.0, share)
    return col


def _narrative_columns(
    p: Projection, det: Detections, acts: _Acts, accounts: _Accounts
) -> dict[str, np.ndarray]:
    """How many narratives each account touched with its own contents and reposts, and how
    many of them are harmful."""
    rows = row_narratives(p, det)
    narrative = pd.Series(
        np.concatenate(
            [rows[: len(p.contents)][acts.keep_c], rows[len(p.contents) :][acts.keep_r]]
        ),
        dtype=object,
    )
    codes = acts.codes
    touched = (codes >= 0) & narrative.notna().to_numpy()
    n_code, narratives = pd.factorize(narrative[touched])
    pair = distinct(codes[touched] * np.int64(max(len(narratives), 1)) + n_code)
    who, what = pair // max(len(narratives), 1), pair % max(len(narratives), 1)
    harmful_n = {nr.narrative_id: bool(nr.harmful) for nr in det.narratives}
    bad = np.array([harmful_n.get(x, False) for x in narratives], dtype=bool)
    return {
        "n_narratives": accounts.count(who),
        "n_harmful_narratives": accounts.count(who[bad[what]]),
    }


def _forest_codes(
    items: HarmfulItems, acts: _Acts, accounts: _Accounts
) -> tuple[np.ndarray, np.ndarray]:
    """Per node of the repost forest (``items.reach``): whether it is a content or repost
    with an author (``own``), and the author's position among the accounts (-1: none, or
    not an account of the event).  The contents are the first nodes, the reposts the next
    ones: the reposts' authors take the positions already found (``acts.r_code``) when
    each repost row is its node (``items.repost_nodes``), only the contents' authors are
    looked up by ID."""
    ra = items.reach
    nd = ra.forest.nodes
    n, n_c, n_r = len(nd.ids), nd.n_contents, len(nd.src)
    own = np.zeros(n, dtype=bool)
    code = np.full(n, -1, dtype=np.intp)
    who = ra.account[:n_c]
    own[:n_c] = pd.notna(who)
    code[:n_c] = accounts.index.get_indexer(who)
    rows = items.repost_nodes
    if rows is not None:
        own[rows] = acts.keep_r
        code[rows[acts.keep_r]] = acts.r_code
    else:
        who = ra.account[n_c : n_c + n_r]
        own[n_c : n_c + n_r] = pd.notna(who)
        code[n_c : n_c + n_r] = accounts.index.get_indexer(who)
    return own, code


def _spread_columns(ra: Reach, accounts: _Accounts, f_code: np.ndarray) -> dict[str, np.ndarray]:
    """How far each account's contents and reposts spread, from the repost forest
    (:func:`pileon.detectors.cascades.reach_nodes`; ``f_code``: the authors' positions
    among the accounts of its nodes that have one, -1 elsewhere, :func:`_forest_codes`)."""
    col: dict[str, np.ndarray] = {}
    go = {
        c: accounts.count(f_code, getattr(ra, c))
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
    return col


def _timing_columns(acts: _Acts, accounts: _Accounts) -> dict[str, np.ndarray]:
    """When each account acted: hours ahead of the event's median act, the span of its acts
    and their rate (0 for accounts without a dated act)."""
    col = {name: np.zeros(accounts.n) for name in ("lead_hours", "span_hours", "rate_per_hour")}
    codes = acts.codes
    t = np.concatenate([_ns(acts.contents["posted_at"]), _ns(acts.reposts["reposted_at"])])
    known = t != _NAT
    if known.any():
        median_t = np.sort(t[known], kind="stable")[int(known.sum()) // 2]
        ok = known & (codes >= 0)
        order = np.lexsort((t[ok], codes[ok]))
        who, when = codes[ok][order], t[ok][order]
        head = np.flatnonzero(np.r_[True, who[1:] != who[:-1]])
        first, last = when[head], when[np.r_[head[1:], len(who)] - 1]
        acts_n = np.diff(np.r_[head, len(who)])
        lead = pd.to_timedelta(median_t - first, unit="ns").total_seconds().to_numpy() / 3600.0
        span = pd.to_timedelta(last - first, unit="ns").total_seconds().to_numpy() / 3600.0
        col["lead_hours"][who[head]] = lead
        col["span_hours"][who[head]] = span
        col["rate_per_hour"][who[head]] = acts_n / np.clip(span, 1.0, None)
    return col


def _coordination_columns(
    p: Projection,
    acts: _Acts,
    cluster_of: Mapping[str, Cluster],
    accounts: _Accounts,
    *,
    window: float,
    count: pd.Series | None = None,
) -> dict[str, np.ndarray]:
    """Each account's co-reposts within the window (a count; ``count`` when given), and its
    significant cluster."""
    n, index = accounts.n, accounts.index
    col: dict[str, np.ndarray] = {"coact_degree_log": np.zeros(n)}
    if count is not None:
        deg = count.reindex(index, fill_value=0).to_numpy(dtype=np.int64)
        col["coact_degree_log"] = _log1p(deg)
    elif len(acts.reposts) >= 2:
        deg = _coded_coactivity(p, acts, index, window)
        if deg is None:
            deg = coactivity_degree(acts.reposts, window=window).reindex(index, fill_value=0)
        col["coact_degree_log"] = _log1p(np.asarray(deg))
    members = [a for a in cluster_of if a in index]
    at = index.get_indexer(members)
    col["in_cluster"], col["cluster_score"], col["cluster_size_log"] = np.zeros((3, n))
    col["in_cluster"][at] = 1.0
    col["cluster_score"][at] = [float(cluster_of[a].score) for a in members]
    col["cluster_size_log"][at] = [math.log1p(len(cluster_of[a].accounts)) for a in members]
    return col


def _coded_coactivity(
    p: Projection, acts: _Acts, index: pd.Index, window: float
) -> np.ndarray | None:
    """:func:`pileon.detectors.coactivity.coactivity_degree` of the reposts over the accounts,
    from the authors' positions already found (``acts.r_code``) and the sources' node
    positions in the repost forest (:func:`pileon.detectors.cascades.coded_forest`) instead
    of hashing every account and source ID again: None (the caller computes it from the
    IDs) unless every repost has an author among the accounts, a source and a time, the
    IDs are strings (so the codes group the reposts as the string IDs do) and every repost
    is a node of its own in the forest (so its row gives its node)."""
    r, code = acts.reposts, acts.r_code
    when = r["reposted_at"]
    if not (
        pd.api.types.is_datetime64_any_dtype(when)
        and index.inferred_type == "string"
        and (code >= 0).all()
    ):
        return None
    source = r["source_id"].to_numpy(dtype=object)
    if pd.api.types.infer_dtype(source, skipna=False) != "string":
        return None  # a missing source, or an ID that is not a string
    t = _ns(when)
    if (t == _NAT).any():
        return None
    nd = coded_forest(p).nodes
    if r is p.reposts and len(nd.src) == len(r):
        # each repost's parent is its source's node (before any cycle is cut)
        src = nd.parent[nd.n_contents : nd.n_contents + len(r)]
    else:
        src = pd.factorize(source)[0]
    return coded_degree(
        code.astype(np.int64), len(index), src.astype(np.int64), t, window_ns(window)
    )


def _account_columns(
    p: Projection, accounts: _Accounts, *, rename_days: float
) -> dict[str, np.ndarray]:
    """The account itself: other accounts of its identity, age, followers, verification,
    renames near the event's start, a valid MCN affiliation."""
    col: dict[str, np.ndarray] = {}
    n, index, start = accounts.n, accounts.index, p.start
    profile = p.accounts
    if profile["account_id"].is_monotonic_increasing and profile["account_id"].is_unique:
        profile = profile.set_index("account_id")  # already one row per ID, in ID order
    else:
        profile = profile.drop_duplicates("account_id").set_index("account_id").reindex(index)
    keys = profile["identity_key"]
    key_n = keys.dropna().value_counts()
    col["identity_peers"] = keys.map(key_n).fillna(1).to_numpy() - 1
    if start is not None:
        col["account_age_days"] = (
            (start - profile["created_at"]).dt.total_seconds() / 86400.0
        ).to_numpy()
    else:
        col["account_age_days"] = np.full(n, np.nan)
    col["followers_log"] = _log1p(profile["followers"].astype("Float64").astype(float).to_numpy())
    col["verified"] = profile["verified"].astype("boolean").fillna(False).astype(float).to_numpy()
    col["renames_near"] = np.zeros(n)
    if len(p.renames) and start is not None:
        near = (p.renames["renamed_at"] - start).abs() <= pd.Timedelta(days=rename_days)
        col["renames_near"] = accounts.aligned(p.renames[near].groupby("account_id").size())
    col["mcn_affiliated"] = index.isin(set(valid_affiliations(p)["account_id"])).astype(float)
    return col


def _target_columns(
    p: Projection,
    acts: _Acts,
    accounts: _Accounts,
    *,
    harmless: np.ndarray,
    min_attackers: int,
) -> dict[str, np.ndarray]:
    """Targets of the event, and attacks on targets and minors.

    An account named in the ``target_ids`` of harmful contents by at least
    ``min_attackers`` others, with no harmful content or repost of its own
    (``harmless``), is a target even when the event does not list it.
    """
    col: dict[str, np.ndarray] = {}
    index, contents, harmful, c_code = accounts.index, acts.contents, acts.harmful, acts.c_code
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
    # whom each content aims at: its target_ids and the author of what it answers, less
    # itself; only the contents that name someone or answer something are looked at
    named = np.fromiter(
        (
            bool(t) or isinstance(r, str)
            for t, r in zip(contents["target_ids"], contents["reply_to"])
        ),
        dtype=bool,
        count=len(contents),
    )
    rows = np.flatnonzero(named)
    hostile = harmful | contents["harm"].isna().to_numpy()
    targeted = np.zeros(len(contents), dtype=bool)
    minor = np.zeros(len(contents), dtype=bool)
    if len(rows):
        author_of = dict(zip(p.contents["content_id"], p.contents["account_id"]))
        sub = contents.iloc[rows]
        for j, t, r, a in zip(rows, sub["target_ids"], sub["reply_to"], sub["account_id"]):
            aimed = (set(t) | ({author_of.get(r)} if isinstance(r, str) else set())) - {a}
            targeted[j] = bool(aimed & all_targets)
            minor[j] = bool(aimed & minors) and bool(hostile[j])
    col["n_targeted"] = accounts.count(c_code, targeted)
    col["minor_attacks"] = accounts.count(c_code, minor)
    # accounts under attack: named in target_ids of harmful contents by several others; one
    # who posted nothing harmful is a target of the event even when the event does not list it
    pairs = [
        (t, a)
        for ts, a, h in zip(contents["target_ids"], contents["account_id"], harmful)
        if h
        for t in ts
        if t != a
    ]
    attackers = accounts.aligned(
        pd.DataFrame(pairs, columns=["target", "author"]).drop_duplicates().groupby("target").size()
    )
    col["attacked_by_log"] = _log1p(attackers)
    victim = (attackers >= min_attackers) & harmless
    col["is_target"][victim] = 1.0
    return col


def _report_columns(
    p: Projection, ra: Reach, own: np.ndarray, f_code: np.ndarray, accounts: _Accounts
) -> dict[str, np.ndarray]:
    """Reports against each account or its own contents and reposts, and those that say a
    minor is involved (``own``, ``f_code``: :func:`_forest_codes`)."""
    col = {"reports_against": np.zeros(accounts.n), "reports_minor": np.zeros(accounts.n)}
    rep = p.reports
    if len(rep):
        node = _nodes_of(ra.forest.nodes, rep["content_id"].to_numpy(dtype=object))
        mine = (node >= 0) & own[np.maximum(node, 0)]
        # a report on a content or repost with an author is about that author, else about
        # the account it names
        r_code = np.where(
            mine, f_code[np.maximum(node, 0)], accounts.index.get_indexer(rep["account_id"])
        )
        col["reports_against"] = accounts.count(r_code)
        col["reports_minor"] = accounts.count(
            r_code, rep["involves_minor"].astype("boolean").fillna(False).astype(bool).to_numpy()
        )
    return col


def _nodes_of(nd: _Nodes, ids: np.ndarray) -> np.ndarray:
    """The content or repost node of each of ``ids`` (-1: none): looked up among the
    contents' IDs, then, for the IDs left, among the reposts'."""
    n_c, n_r = nd.n_contents, len(nd.src)
    pos = pd.Index(nd.ids[:n_c], dtype=object).get_indexer(ids)
    rest = np.flatnonzero(pos < 0)
    if len(rest) and n_r:
        q = pd.Index(nd.ids[n_c : n_c + n_r], dtype=object).get_indexer(ids[rest])
        pos[rest] = np.where(q >= 0, n_c + q, -1)
    return pos


def _role_columns(
    det: Detections, cluster_of: Mapping[str, Cluster], accounts: _Accounts
) -> dict[str, np.ndarray]:
    """The strength of each culpable role the detectors found (0: not found); members of
    significant clusters are coordinated, at least with :data:`MIN_STRENGTH`."""
    col: dict[str, np.ndarray] = {}
    roles_of = det.roles_of()
    for role, name in zip(CULPABLE_ROLES, ROLE_FEATURES):
        found = {a: float(r[role].strength) for a, r in roles_of.items() if role in r}
        col[name] = accounts.aligned(pd.Series(found, dtype=float))
    for a, c in cluster_of.items():  # members of significant clusters are coordinated
        i = accounts.index.get_indexer([a])[0]
        if i >= 0 and col["role_coordinated"][i] == 0.0:
            col["role_coordinated"][i] = max(MIN_STRENGTH, float(c.score))
    return col


def harmful_participation(features: pd.DataFrame) -> pd.Series:
    """Whether each account did something harmful of its own: harmful contents or reposts,
    reports against it, a minor attacked (the tier-1 condition)."""
    return (
        features["n_harmful"]
        + features["n_harmful_reposts"]
        + features["reports_against"]
        + features["minor_attacks"]
    ) > 0
