"""Coordinated clusters ("water army", 水军): accounts that act in concert beyond chance.

A viral post makes thousands of organic pairs of accounts that repost it within
a minute of each other, so co-reposting alone proves nothing.  This detector
asks, for every pair of accounts, how often they acted in sync and how often
they would have by chance, and keeps only what chance does not explain.

How it works
------------
1. **Acts and items.**  Every repost is an act on the item ``r:<id>`` of what
   it amplifies: its nearest inciting ancestor (the original post, or a repost
   with a comment of its own that drew reposts: ``credited_to`` of
   :func:`pileon.detectors.cascades.reach`), so reposts of different plain reposts of
   one post are acts on that post;
   every content is an act on its narrative ``n:<narrative_id>`` (near-duplicate
   copies, :func:`pileon.detectors.narratives.detect_narratives`), and every comment
   also on ``p:<reply_to>`` (co-commenting under the same parent).  Two acts on
   the same item by distinct accounts are *in sync* when at most
   ``repost_window`` (reposts) or ``post_window`` (contents) seconds apart.
2. **Co-activity.**  ``O(a, b)`` is the number of items on which ``a`` and
   ``b`` acted in sync (the edge list of :func:`pileon.detectors.coactivity.coactivity`,
   counted on integer codes).  *Crowded* items, where some act has more than
   ``max_crowd`` others within a window (a viral post's peak), are left out of
   the account graph: there every account is in sync with hundreds of
   strangers, and their pairs would grow with the square of the crowd.  They
   still count in steps 5 and 6.
3. **Chance baseline.**  Under the null model every act's time is jittered
   uniformly within ``+-jitter_windows`` windows (an hour for reposts): the
   coarse shape of an item's timeline (the viral hour after a post, the
   evening peak) is kept, the fine structure (a burst of seconds) is not.
   For an item, ``q`` is the chance that two of its acts are in sync after
   the jitter (its expectation from the acts' pairwise distances, prefix
   sums), so the expected co-activity of ``a`` and ``b`` is ``E(a, b) = sum
   q`` over the items both touched.  A shuffle of times within items would
   be fooled where an army makes up much of an item (its own burst would
   inflate ``q``); the jitter smears the burst over two hours instead.  An
   edge is kept when ``O >= min_shared`` and the Poisson tail
   ``P(X >= O | E)`` is at most ``edge_alpha``.
4. **Supporting signals** (each optional, from ``accounts``): a shared
   ``identity_key``; both accounts created in the same *creation burst*
   (accounts created within ``burst_window`` of each other, far above the
   event's background rate of account creation); both with *low followers*
   (at most ``low_followers``, default the event's 20th percentile).  They
   multiply an edge's weight (``1 + 0.5 + 0.5 + 0.25`` at most) but never make
   an edge on their own.
5. **Communities.**  Louvain (``community.best_partition``, ``random_state``
   from ``seed``) on the kept edges, weighted by ``-log10 p`` times the
   support factor.  Each community is trimmed to the members that act with it
   on its *core items* (items where at least ``core_share`` of it is in sync)
   and that beat an outsider's luck there (exact Poisson-binomial over the
   core items at the rate outsiders' acts fall in sync with the community;
   on a core item no outsider acts on, a hit is being in sync with at least
   half of the members' other acts there, at the item's jitter rate ``q``;
   times a likelihood ratio of the account traits, Bonferroni over the
   accounts ever in sync with it); outsiders that pass the same test are
   re-admitted (Louvain may have put them elsewhere), and significant
   clusters that share members or act together on ``min_member_items`` items
   are merged when the merged group keeps most of both.
6. **Cluster tests.**  ``density`` (share of member pairs in sync at least
   once), ``synchrony`` (share of members' acts on shared items that are in
   sync with another member), in-sync member pairs ``O_C`` against their exact
   expectation under the jitter ``E_C`` (``lift``), and the *surprise*
   ``-log10 P(Poisson(E_C) >= O_C)``, calibrated on ``n_null`` replicates of
   the whole detection on time-jittered acts (seeded): a cluster is
   *significant* with at least ``min_size`` members, ``density >=
   min_density``, ``lift >= min_lift`` and a surprise above ``null_factor``
   times the largest surprise found in the replicates (and ``min_surprise``).
   Its score is ``(density + synchrony + (1 - 1/lift)) / 3`` times
   ``0.8 + 0.2 * support``
   (support: mean share of members in a creation burst, with low followers,
   or sharing an identity).

Limitation: synchrony finer than the jitter is all the evidence there is; an
army that spreads its acts over hours, like a crowd, is not told apart.

Members of significant clusters get the role ``coordinated``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from community import best_partition
from scipy.special import gammainc
from tqdm.auto import tqdm

from pileon.detectors.findings import Cluster, Evidence, RoleFinding
from pileon.graph.arrays import distinct, spans
from pileon.graph.errors import InputError
from pileon.graph.projection import Projection

__all__ = [
    "ClusterResult",
    "detect_coordinated",
    "activity_items",
    "pair_baseline",
    "creation_bursts",
]

_NS = 1_000_000_000
#: at most this many rounds of re-admission per community
_READMIT_ROUNDS = 5
#: at most this many content IDs in one evidence item
_MAX_IDS = 10


@dataclass(frozen=True, eq=False)
class ClusterResult:
    """What :func:`detect_coordinated` returns.

    Attributes
    ----------
    clusters : list of Cluster
        Every candidate community with at least two members after trimming,
        significant ones first (by score, then ID); ``significant`` tells which.
    findings : list of RoleFinding
        Role ``coordinated`` for the members of significant clusters, sorted by
        account ID.
    edges : pandas.DataFrame
        The kept account graph: ``account_a, account_b, observed, expected,
        p_value, support, weight``.
    """

    clusters: list[Cluster] = field(default_factory=list)
    findings: list[RoleFinding] = field(default_factory=list)
    edges: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def significant(self) -> list[Cluster]:
        return [c for c in self.clusters if c.significant]


# ----------------------------------------------------------------------------- acts


def activity_items(
    p: Projection,
    *,
    narratives: Any = None,
    repost_window: float = 300.0,
    post_window: float = 600.0,
) -> pd.DataFrame:
    """Every act of the event as ``account_id, item, t, act_id, kind``.

    ``t`` is float seconds divided by the window of the act's kind, so that "in
    sync" is ``|t_a - t_b| <= 1`` for every item.  Items: ``r:<id>`` for
    reposts (what they amplify: the nearest inciting ancestor),
    ``n:<narrative_id>`` for contents (narratives with at least two accounts),
    ``p:<reply_to>`` for comments.  Placeholder contents, rows
    without an account or a time, and targets' own contents are left out.
    """
    parts = []
    rp = p.reposts
    rp = rp[rp["account_id"].notna() & rp["reposted_at"].notna() & rp["source_id"].notna()]
    if len(rp):
        root = _roots(p, rp)
        parts.append(
            pd.DataFrame(
                {
                    "account_id": rp["account_id"].astype(str).to_numpy(),
                    "item": ("r:" + root.astype(str)).to_numpy(),
                    "t": _seconds(rp["reposted_at"]) / float(repost_window),
                    "act_id": rp["repost_id"].astype(str).to_numpy(),
                    "kind": "repost",
                }
            )
        )
    c = p.contents
    c = c[~c["placeholder"].astype(bool) & c["account_id"].notna() & c["posted_at"].notna()]
    if len(c):
        of = _of_content(p, narratives)
        nid = c["content_id"].map(lambda x: of.get(x)).astype(object)
        posts = pd.DataFrame(
            {
                "account_id": c["account_id"].astype(str).to_numpy(),
                "item": ("n:" + nid.astype(str)).to_numpy(),
                "t": _seconds(c["posted_at"]) / float(post_window),
                "act_id": c["content_id"].astype(str).to_numpy(),
                "kind": "post",
            }
        )
        posts = posts[nid.notna().to_numpy()]
        # a narrative is an item only when at least two accounts carry it
        multi = posts.groupby("item")["account_id"].transform("nunique") >= 2
        parts.append(posts[multi.to_numpy()])
        com = c[c["reply_to"].notna()]
        if len(com):
            parts.append(
                pd.DataFrame(
                    {
                        "account_id": com["account_id"].astype(str).to_numpy(),
                        "item": ("p:" + com["reply_to"].astype(str)).to_numpy(),
                        "t": _seconds(com["posted_at"]) / float(post_window),
                        "act_id": com["content_id"].astype(str).to_numpy(),
                        "kind": "comment",
                    }
                )
            )
    if not parts:
        return pd.DataFrame(
            {
                "account_id": pd.Series(dtype=object),
                "item": pd.Series(dtype=object),
                "t": pd.Series(dtype=float),
                "act_id": pd.Series(dtype=object),
                "kind": pd.Series(dtype=object),
            }
        )
    acts = pd.concat(parts, ignore_index=True)
    targets = set(p.event.target_ids)
    for tg in p.contents["target_ids"]:
        if isinstance(tg, (list, tuple)):
            targets.update(str(x) for x in tg)
    if "role_hint" in p.accounts:
        targets |= set(p.accounts.loc[p.accounts["role_hint"] == "target", "account_id"])
    if targets:
        acts = acts[~acts["account_id"].isin(targets)]
    return acts.take(_act_order(acts)).reset_index(drop=True)


def _act_order(acts: pd.DataFrame) -> np.ndarray:
    """Positions that sort the acts by item, time, account and act ID (stable): what
    ``sort_values([...], kind="mergesort")`` gives, on integer codes; the act IDs, the
    only column unique per row, are compared only among rows equal on the other three."""
    ki = pd.factorize(acts["item"], sort=True)[0]
    ka = pd.factorize(acts["account_id"], sort=True)[0]
    t = acts["t"].to_numpy()
    order = np.lexsort((ka, t, ki))
    if len(order) < 2:
        return order
    same = (
        (ki[order][1:] == ki[order][:-1])
        & (t[order][1:] == t[order][:-1])
        & (ka[order][1:] == ka[order][:-1])
    )
    if same.any():  # runs of ties: order each by act ID (stable)
        tied = np.zeros(len(order), dtype=bool)
        tied[1:] |= same
        tied[:-1] |= same
        run = np.cumsum(np.concatenate([[True], ~same]))  # run label per sorted position
        pos = np.flatnonzero(tied)
        ids = acts["act_id"].to_numpy()[order[pos]]
        kx = pd.factorize(ids, sort=True)[0]
        sub = np.lexsort((np.arange(len(pos)), kx, run[pos]))
        order[pos] = order[pos][sub]
    return order


def _roots(p: Projection, rp: pd.DataFrame) -> pd.Series:
    """What each repost amplifies: its nearest *inciting* ancestor (the original post, or a
    repost with a comment of its own that drew reposts), ``credited_to`` of
    :func:`pileon.detectors.cascades.reach`.  A plain repost of a plain repost of a post amplifies
    the post; a repost of an inciting repost amplifies that repost."""
    from pileon.detectors.cascades import reach

    r = reach(p)
    r = r[r["kind"] == "repost"]
    credited = dict(zip(r["node_id"], r["credited_to"]))
    out = rp["repost_id"].map(credited)
    return out.where(out.notna(), rp["source_id"])


def _seconds(s: pd.Series) -> np.ndarray:
    when = pd.to_datetime(s, utc=True).dt.tz_localize(None)
    return when.to_numpy(dtype="datetime64[ns]").view(np.int64).astype(np.float64) / _NS


def _of_content(p: Projection, narratives: Any) -> Mapping[str, str]:
    if narratives is None:
        from pileon.detectors.narratives import detect_narratives

        narratives = detect_narratives(p)
    if hasattr(narratives, "of_content"):
        return narratives.of_content
    if isinstance(narratives, Mapping):
        return narratives
    raise InputError("narratives must be a NarrativeResult or a mapping content_id -> narrative_id")


def _item_sync_rate(acts: pd.DataFrame, jitter: float) -> pd.Series:
    """Per item: the chance ``q`` that two of its acts are in sync once every act's time is
    jittered uniformly within ``+-jitter`` windows (acts sorted by item, then t).

    Two acts ``d`` apart (``d <= 2 * jitter``) then fall within one window of each other
    with probability about ``2 * (2 * jitter - d) / (2 * jitter) ** 2``, so ``q`` is that
    sum over the item's pairs of acts divided by their number.  The coarse shape of the
    item's timeline (a viral hour) is kept; its fine structure (a burst of seconds) is
    what the jitter destroys.  ``O(n log n)`` with prefix sums.
    """
    item = acts["item"].to_numpy()
    t = acts["t"].to_numpy()
    codes, uniq = pd.factorize(item, sort=False)
    n = len(t)
    if n == 0:
        return pd.Series(dtype=float)
    span = 2.0 * jitter
    starts = np.searchsorted(codes, np.arange(len(uniq)))  # codes are non-decreasing
    rel = t - t[starts][codes]  # time since the item's first act (small numbers)
    scale, ranks = np.unique(np.concatenate([rel, rel + span]), return_inverse=True)
    base = codes.astype(np.int64) * np.int64(len(scale))
    end = np.searchsorted(base + ranks[:n], base + ranks[n:], side="right")  # exclusive
    prefix = np.concatenate([[0.0], np.cumsum(rel)])
    cnt = end - np.arange(n) - 1
    later = prefix[end] - prefix[np.arange(n) + 1]
    contrib = cnt * (span + rel) - later  # sum over later acts j of (2H - (t_j - t_i))
    w = np.bincount(codes, weights=contrib, minlength=len(uniq)) * 2.0 / span**2
    k = np.bincount(codes, minlength=len(uniq)).astype(float)
    total = k * (k - 1) / 2
    q = np.minimum(np.divide(w, total, out=np.zeros_like(w), where=total > 0), 1.0)
    return pd.Series(q, index=pd.Index(uniq, name="item"))


def _crowded_items(item_code: np.ndarray, t: np.ndarray, max_crowd: int) -> np.ndarray:
    """Per item code, whether some act on it has more than ``max_crowd`` other acts on the
    item within one window (``t`` in window units).  ``O(n log n)``."""
    n_items = int(item_code.max()) + 1 if len(item_code) else 0
    if len(t) == 0:
        return np.zeros(n_items, dtype=bool)
    order = np.lexsort((t, item_code))
    it, tt = item_code[order], t[order]
    rel = tt - tt.min()
    width = float(rel.max()) + 4.0  # items laid end to end, more than two windows apart
    key = it * width + rel
    near = (
        np.searchsorted(key, key + 1.0, side="right")
        - np.searchsorted(key, key - 1.0, side="left")
        - 1
    )
    busiest = np.zeros(n_items, dtype=np.int64)
    np.maximum.at(busiest, it, near)
    return busiest > max_crowd


def pair_baseline(acts: pd.DataFrame, pairs: pd.DataFrame, q: pd.Series) -> np.ndarray:
    """Expected co-activity ``E(a, b) = sum of q`` over items both accounts touched.

    ``pairs`` has ``account_a, account_b``; returns one float per row.  ``O(n log n + K d)``
    for ``n`` acts, ``K`` pairs and ``d`` the items of the less active account of a pair.
    """
    if pairs.empty:
        return np.zeros(0)
    codes = _Codes(acts)
    codes.set_q(q)
    idx = pd.Index(codes.accounts)
    a = idx.get_indexer(pairs["account_a"])
    b = idx.get_indexer(pairs["account_b"])
    out = np.zeros(len(pairs))
    ok = (a >= 0) & (b >= 0)
    out[ok] = _expected(codes, a[ok].astype(np.int64), b[ok].astype(np.int64), codes.q)
    return out


def _expected(codes: _Codes, a: np.ndarray, b: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``E`` of the account-code pairs ``a, b``: the sum of ``q`` (per item code) over the
    items both touched.  Each pair walks the items of its less active account and looks the
    other up among the sorted ``(account, item)`` keys."""
    keys, starts = codes.touched
    n_items = np.int64(len(codes.items))
    deg_a, deg_b = starts[a + 1] - starts[a], starts[b + 1] - starts[b]
    small = np.where(deg_a <= deg_b, a, b)
    other = np.where(deg_a <= deg_b, b, a)
    out = np.zeros(len(a))
    step = 1 << 22  # pairs' item walks, in chunks of about this many rows
    ln = starts[small + 1] - starts[small]
    cum = np.cumsum(ln)
    lo = 0
    while lo < len(a):
        hi = max(int(np.searchsorted(cum, (cum[lo - 1] if lo else 0) + step, "right")), lo + 1)
        n = ln[lo:hi]
        pair = np.repeat(np.arange(lo, hi), n)
        first = spans(starts[small[lo:hi]], n)
        item = keys[first] % n_items
        want = other[pair] * n_items + item
        at = np.minimum(np.searchsorted(keys, want), len(keys) - 1)
        hit = keys[at] == want
        out += np.bincount(pair[hit], weights=q[item[hit]], minlength=len(a))
        lo = hi
    return out


def _poisson_sf(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """P(X >= observed) for X ~ Poisson(expected)."""
    o = np.asarray(observed, dtype=float)
    e = np.maximum(np.asarray(expected, dtype=float), 1e-12)
    return np.where(o <= 0, 1.0, gammainc(np.maximum(o, 1e-9), e))


# -------------------------------------------------------------------------- accounts


def creation_bursts(
    accounts: pd.DataFrame,
    *,
    burst_window: float = 3600.0,
    min_burst: int = 5,
    min_ratio: float = 20.0,
    background_days: float = 180.0,
    finer: tuple[float, ...] = (1 / 6, 1 / 24),
) -> pd.Series:
    """Burst label per account (``None`` outside any burst), indexed by account_id.

    An account is *bursty* when at least ``min_burst`` accounts (itself
    included) were created within ``w`` seconds of it, and that count is at
    least ``min_ratio`` times what the background rate of the surrounding
    ``background_days`` predicts, for ``w = burst_window`` or one of the
    ``finer`` fractions of it (a batch registered in an hour stands out of a
    large platform's background over an hour, not over a day).  Bursty
    accounts created within ``burst_window`` of each other, in a chain, share
    one label (the earliest member's ID).  ``O(A log A)`` per window.
    """
    acc = accounts[accounts["created_at"].notna()][["account_id", "created_at"]]
    acc = acc.drop_duplicates("account_id")
    out = pd.Series(
        None,
        index=pd.Index(accounts["account_id"].drop_duplicates(), name="account_id"),
        dtype=object,
    )
    if len(acc) < min_burst:
        return out
    t = _seconds(acc["created_at"])
    order = np.argsort(t, kind="stable")
    t, ids = t[order], acc["account_id"].to_numpy()[order]
    bg_span = background_days * 86_400.0
    bg = np.searchsorted(t, t + bg_span, "right") - np.searchsorted(t, t - bg_span, "left")
    bursty = np.zeros(len(t), dtype=bool)
    for w in (burst_window, *(burst_window * f for f in finer)):
        near = np.searchsorted(t, t + w, "right") - np.searchsorted(t, t - w, "left")
        expected = bg * (2 * w) / (2 * bg_span)
        bursty |= (near >= min_burst) & (near >= min_ratio * np.maximum(expected, 0.05))
    if not bursty.any():
        return out
    bt, bid = t[bursty], ids[bursty]
    new = np.concatenate([[True], np.diff(bt) > burst_window])
    label = bid[np.flatnonzero(new)][np.cumsum(new) - 1]
    sizes = pd.Series(label).value_counts()
    keep = pd.Series(label).map(sizes).to_numpy() >= min_burst
    out.loc[bid[keep]] = label[keep]
    return out


def _support(
    accounts: pd.DataFrame,
    ids: list[str],
    *,
    low_followers: float | None,
    burst_kw: Mapping[str, Any],
) -> pd.DataFrame:
    """Per account: ``identity`` (key or None), ``burst`` (label or None), ``low`` (bool)."""
    acc = accounts.drop_duplicates("account_id").set_index("account_id")
    acc = acc.reindex(ids)
    ident = acc["identity_key"] if "identity_key" in acc else pd.Series(None, index=acc.index)
    ident = ident.astype(object).where(ident.notna(), None)
    ident = ident.where(ident.astype(str).str.len() > 0, None)
    burst = creation_bursts(accounts, **burst_kw).reindex(ids)
    fol = (
        pd.to_numeric(acc["followers"], errors="coerce")
        if "followers" in acc
        else pd.Series(np.nan, index=acc.index)
    )
    fol = fol.astype(float)
    if low_followers is None:
        allf = (
            pd.to_numeric(accounts.get("followers", pd.Series(dtype=float)), errors="coerce")
            .dropna()
            .astype(float)
        )
        low_followers = float(allf.quantile(0.2)) if len(allf) >= 10 else -1.0
    low = (fol <= low_followers).fillna(False).astype(bool)
    return pd.DataFrame(
        {"identity": ident.to_numpy(), "burst": burst.to_numpy(), "low": low.to_numpy()},
        index=pd.Index(ids, name="account_id"),
    )


# ---------------------------------------------------------------------------- sync


# ------------------------------------------------------------------------- detector


def detect_coordinated(
    p: Projection,
    *,
    narratives: Any = None,
    seed: int | None = 0,
    repost_window: float = 300.0,
    post_window: float = 600.0,
    min_shared: int = 2,
    edge_alpha: float = 1e-3,
    min_size: int = 3,
    min_density: float = 0.3,
    min_lift: float = 2.0,
    n_null: int = 5,
    null_factor: float = 1.5,
    min_surprise: float = 10.0,
    min_member_items: int = 3,
    member_share: float = 0.5,
    core_share: float = 0.2,
    member_alpha: float = 0.05,
    low_followers: float | None = None,
    burst_window: float = 86400.0,
    jitter_windows: float = 12.0,
    resolution: float = 1.0,
    max_crowd: int = 500,
    show_progress: bool = False,
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
        Seeds Louvain and the time jitter of the replicates (None: 0).
    repost_window, post_window : float, default 300 and 600
        Seconds within which two reposts, resp. two contents, of the same item
        are in sync.  Five minutes catches armies that trickle in over a
        quarter of an hour as well as those within seconds (the jitter
        baseline absorbs what a wider window adds by chance).
    min_shared : int, default 2
        Items in sync an account pair needs before it can be an edge.
    edge_alpha : float, default 1e-3
        Largest Poisson tail probability of a kept edge.
    min_size : int, default 3
        Smallest significant cluster.
    min_density : float, default 0.3
        Smallest share of member pairs in sync on at least one item.
    min_lift : float, default 2
        Smallest ratio of in-sync member pairs to their expectation under chance.
    n_null : int, default 5
        Time-jittered replicates of the whole detection.
    null_factor : float, default 1.5
        A significant cluster's surprise must exceed this times the largest
        surprise of any candidate cluster found in the replicates.
    min_surprise : float, default 10
        ... and at least this (``-log10`` of the Poisson tail): the floor when
        the replicates produce no candidate cluster at all.
    min_member_items : int, default 3
        Core items a member must be in sync with the others on, at least: two
        lucky landings in a busy burst are not membership.
    member_share : float, default 0.5
        A member must be in sync with the others on at least this share of the
        community's median number of core items (and ``min_member_items``).
    core_share : float, default 0.2
        A *core item* of a community is one on which at least this share of
        its members (and at least 3) are in sync with another member: where it
        acted as a group, not as a lucky pair.
    member_alpha : float, default 0.05
        A member stays when the chance that an outsider would be in sync with
        the community on as many of its core items (exact Poisson-binomial over
        the items, each at the rate outsiders' acts on it fall in sync with a
        member), times the number of accounts ever in sync with the community
        on a core item (Bonferroni), is at most this.
    low_followers : float, optional
        Follower count at or below which an account counts as low-follower;
        default the 20th percentile of the event's accounts.
    burst_window : float, default 86400
        Seconds of the widest account-creation burst window (a day: armies are
        registered over hours to days, ordinary accounts over years); a sixth
        and a twenty-fourth of it are tried too (:func:`creation_bursts`), so
        that a batch registered in an hour stands out of a large platform's
        background.
    jitter_windows : float, default 12
        Half-width, in windows (one hour for reposts), of the uniform time
        jitter of the chance baseline.
    resolution : float, default 1
        Louvain resolution.
    max_crowd : int, default 500
        An item is *crowded* when some act on it has more than this many other
        acts within one window of it (a viral post's peak: hundreds of
        reposts a minute).  There every account is in sync with hundreds of
        strangers, so a pair's sync carries next to no evidence, while the
        pairs to enumerate grow with the square of the crowd.  Crowded items
        are left out of the account graph (both the observed co-activity and
        its expectation ``E``), decided once on the real times and kept for the
        replicates; they still count in trimming and in the cluster tests.
        This bounds the enumerated pairs by ``n * max_crowd``.
    show_progress : bool, default False
        Show a progress bar over the real run and the jittered replicates.

    Returns
    -------
    ClusterResult

    Notes
    -----
    *Significance.*  A community's *surprise* is ``-log10 P(X >= O_C)`` for
    ``X ~ Poisson(E_C)``, with ``O_C`` its in-sync member pairs and ``E_C``
    their expectation when times are jittered.  Because the communities are
    selected from the same data, that number is not a p-value; it is
    calibrated instead: the whole detection (edges, Louvain, trimming) is
    rerun ``n_null`` times on acts whose times are jittered (seeded), and a cluster is significant only when its surprise beats the
    largest surprise of any candidate cluster in those replicates (times
    ``null_factor``, and at least ``min_surprise``), besides
    ``min_size``, ``min_density`` and ``min_lift``.

    *Complexity.*  Per run ``O(n log n + P + K log K + sum_C m_C log m_C)``
    for ``n`` acts, ``P <= n * max_crowd`` in-sync act pairs on uncrowded items
    (:func:`pileon.detectors.coactivity.coactivity`, chunked), ``K`` candidate edges
    and ``m_C`` acts of the members of each community (and on its core
    items, for the member tests); ``1 + n_null`` runs.
    Louvain is near-linear in the kept edges.  Memory ``O(n + K)`` plus the
    co-activity chunks.

    Examples
    --------
    >>> from pileon.graph.projection import Projection
    >>> rows = []
    >>> for k in range(4):          # five accounts repost four posts within seconds
    ...     for i, a in enumerate("abcde"):
    ...         rows.append({"repost_id": f"r{k}{a}", "account_id": a, "source_id": f"s{k}",
    ...                      "reposted_at": f"2026-03-01T{10 + k}:00:{i:02d}Z"})
    ...     for i in range(30):     # and thirty others repost them over the day
    ...         rows.append({"repost_id": f"o{k}-{i}", "account_id": f"x{(i + k) % 30}",
    ...                      "source_id": f"s{k}",
    ...                      "reposted_at": f"2026-03-01T{(i % 12) + 8:02d}:{(7 * i) % 60:02d}:30Z"})
    >>> p = Projection.from_tables({"event_id": "e"}, reposts=rows)
    >>> res = detect_coordinated(p, narratives={}, seed=1)
    >>> [c.accounts for c in res.significant]
    [('a', 'b', 'c', 'd', 'e')]
    """
    for name, v in (("repost_window", repost_window), ("post_window", post_window)):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise InputError(f"{name} must be a positive number of seconds, got {v!r}")
    if min_shared < 1 or min_size < 2 or n_null < 0 or min_member_items < 1:
        raise InputError(
            "min_shared and min_member_items must be >= 1, min_size >= 2 and n_null >= 0"
        )
    if not (isinstance(max_crowd, (int, np.integer)) and max_crowd >= 1):
        raise InputError(f"max_crowd must be a whole number >= 1, got {max_crowd!r}")
    rng = np.random.default_rng(0 if seed is None else seed)

    acts = activity_items(
        p, narratives=narratives, repost_window=repost_window, post_window=post_window
    )
    if acts["account_id"].nunique() < 2:
        return ClusterResult(edges=_empty_edges())
    q = _item_sync_rate(acts, jitter_windows)
    codes = _Codes(acts)
    codes.set_q(q)
    codes.set_crowded(_crowded_items(codes.item_code, acts["t"].to_numpy(), max_crowd))
    codes.set_support(
        _support(
            p.accounts,
            list(codes.accounts),
            low_followers=low_followers,
            burst_kw={"burst_window": burst_window},
        )
    )
    accounts = p.accounts
    opts = dict(
        min_shared=min_shared,
        edge_alpha=edge_alpha,
        min_size=min_size,
        min_member_items=min_member_items,
        member_share=member_share,
        core_share=core_share,
        member_alpha=member_alpha,
        low_followers=low_followers,
        burst_window=burst_window,
        resolution=resolution,
    )
    t_real = acts["t"].to_numpy()
    with tqdm(total=1 + n_null, disable=not show_progress, desc="coordination", unit="run") as bar:
        edges, raw = _run(acts, t_real, q, codes, accounts, rng, **opts)
        bar.update(1)
        null_max = 0.0
        for _ in range(n_null):
            t_null = t_real + rng.uniform(-jitter_windows, jitter_windows, len(t_real))
            _, null_raw = _run(acts, t_null, q, codes, accounts, rng, **opts)
            for s in null_raw:
                if s["size"] >= min_size:
                    null_max = max(null_max, s["surprise"])
            bar.update(1)

    def judge(s: dict[str, Any]) -> dict[str, Any]:
        s["null_max"] = null_max
        s["significant"] = bool(
            s["size"] >= min_size
            and s["density"] >= min_density
            and s["lift"] >= min_lift
            and s["surprise"] > max(null_factor * null_max, min_surprise)
        )
        return s

    raw = [judge(s) for s in raw]
    # significant clusters that share members (after re-admission), or whose members act
    # together on several items (Louvain split one group), are one group: merge them
    tried: set[tuple[str, ...]] = set()
    for _ in range(len(raw) ** 2 + 1):
        sig = [s for s in raw if s["significant"]]
        nested = next(
            (a for a in sig for b in sig if a is not b and set(a["members"]) <= set(b["members"])),
            None,
        )
        if nested is not None:  # one holds the other: keep the larger
            raw = [s for s in raw if s is not nested]
            continue
        pair = next(
            (
                (a, b)
                for i, a in enumerate(sig)
                for b in sig[i + 1 :]
                if tuple(sorted(set(a["members"]) | set(b["members"]))) not in tried
                and (
                    set(a["members"]) & set(b["members"])
                    or _cross_sync_items(a["members"], b["members"], t_real, codes)
                    >= min_member_items
                )
            ),
            None,
        )
        if pair is None:
            break
        union = sorted(set(pair[0]["members"]) | set(pair[1]["members"]))
        tried.add(tuple(union))
        merged = _measure(
            union,
            acts,
            t_real,
            codes,
            q,
            codes.support,
            min_member_items=min_member_items,
            member_share=member_share,
            core_share=core_share,
            member_alpha=member_alpha,
        )
        if merged is None:
            continue
        merged = judge(merged)
        kept = set(merged["members"])
        overlapping = set(pair[0]["members"]) & set(pair[1]["members"])
        # a merge must keep most of both groups (or they overlapped and must be one)
        if merged["significant"] and (
            overlapping
            or all(len(kept & set(x["members"])) >= 0.5 * len(x["members"]) for x in pair)
        ):
            raw = [s for s in raw if s is not pair[0] and s is not pair[1]] + [merged]
    raw.sort(key=lambda s: (not s["significant"], -round(s["score"], 9), s["members"][0]))
    clusters, findings = [], []
    for k, s in enumerate(raw, start=1):
        cid = f"c{k}"
        ev = _cluster_evidence(
            s, repost_window, post_window, n_null, jitter_windows * repost_window
        )
        clusters.append(
            Cluster(
                cluster_id=cid,
                accounts=tuple(s["members"]),
                score=s["score"],
                significant=s["significant"],
                evidence=tuple(ev),
                numbers={
                    key: float(s[key])
                    for key in (
                        "size",
                        "density",
                        "synchrony",
                        "observed",
                        "expected",
                        "lift",
                        "surprise",
                        "null_max",
                        "support",
                        "burst_share",
                        "low_share",
                        "identity_share",
                        "items",
                    )
                },
            )
        )
        if s["significant"]:
            findings += _member_findings(cid, s, repost_window, post_window)
    findings.sort(key=lambda f: f.account_id)
    return ClusterResult(clusters=clusters, findings=findings, edges=edges)


def _cross_sync_items(a: list[str], b: list[str], t: np.ndarray, codes: _Codes) -> int:
    """Distinct items on which an account of ``a`` and one of ``b`` are in sync."""
    ca = np.array([codes.acc_index[x] for x in a])
    cb = np.array([codes.acc_index[x] for x in b])
    both = distinct(np.concatenate([ca, cb]))
    rows = codes.rows_of(both)
    item, a_, b_, _, _ = _sync_arrays(codes.item_code[rows], codes.acc_code[rows], t[rows])
    cross = (np.isin(a_, ca) & np.isin(b_, cb)) | (np.isin(b_, ca) & np.isin(a_, cb))
    return int(len(distinct(item[cross])))


def _run(
    acts: pd.DataFrame,
    t: np.ndarray,
    q: pd.Series,
    codes: _Codes,
    accounts: pd.DataFrame,
    rng: np.random.Generator,
    *,
    min_shared: int,
    edge_alpha: float,
    min_size: int,
    min_member_items: int,
    member_share: float,
    core_share: float,
    member_alpha: float,
    low_followers: float | None,
    burst_window: float,
    resolution: float,
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Edges, Louvain and per-community statistics for one assignment of times."""
    # times are in window units: a 1 s window on this clock is each kind's own window (the
    # same pairs and weights as coactivity(acts as reposts, window=1.0), on integer codes)
    co = _co_activity(
        codes,
        np.round(t * _NS).astype(np.int64),
        _NS,
        min_shared,
        keep=~codes.crowded[codes.item_code],
    )
    if co.empty:
        return _empty_edges(), []
    co["expected"] = _expected(
        codes, co.pop("a").to_numpy(), co.pop("b").to_numpy(), np.where(codes.crowded, 0.0, codes.q)
    )
    co["p_value"] = _poisson_sf(co["weight"].to_numpy(), co["expected"].to_numpy())
    edges = co[co["p_value"] <= edge_alpha].rename(columns={"weight": "observed"})
    if edges.empty:
        return _empty_edges(), []
    nodes = sorted(set(edges["account_a"]) | set(edges["account_b"]))
    sup = codes.support
    edges = edges.reset_index(drop=True)
    edges["support"] = _pair_support(sup, edges)
    strength = np.minimum(-np.log10(np.maximum(edges["p_value"].to_numpy(), 1e-300)), 50.0)
    edges["weight"] = strength * edges["support"].to_numpy()
    edges = edges[
        ["account_a", "account_b", "observed", "expected", "p_value", "support", "weight"]
    ]

    g = nx.Graph()
    g.add_nodes_from(nodes)
    g.add_weighted_edges_from(edges[["account_a", "account_b", "weight"]].itertuples(index=False))
    part = best_partition(
        g, weight="weight", random_state=int(rng.integers(2**31 - 1)), resolution=resolution
    )
    groups: dict[int, list[str]] = {}
    for a in nodes:
        groups.setdefault(part[a], []).append(a)
    candidates = sorted(
        (sorted(m) for m in groups.values() if len(m) >= min(min_size, 3)),
        key=lambda m: (-len(m), m[0]),
    )
    raw = []
    for members in candidates:
        stats = _measure(
            members,
            acts,
            t,
            codes,
            q,
            sup,
            min_member_items=min_member_items,
            member_share=member_share,
            core_share=core_share,
            member_alpha=member_alpha,
        )
        if stats is not None:
            raw.append(stats)
    return edges, raw


def _co_activity(
    codes: _Codes,
    t_ns: np.ndarray,
    window_ns: int,
    min_weight: int,
    chunk_pairs: int = 1 << 22,
    keep: np.ndarray | None = None,
) -> pd.DataFrame:
    """:func:`pileon.detectors.coactivity.coactivity` of the acts on their integer codes:
    ``account_a, account_b, weight`` (distinct items on which the two accounts acted at most
    ``window_ns`` apart; ``weight >= min_weight``), sorted by account.

    Every in-window pair of acts is generated (``O(P)``, in chunks of about ``chunk_pairs``),
    encoded as ``lo * n_accounts + hi`` and counted by in-place integer sorts; pairs that
    involve an account acting more than once on the item are first made distinct per item.
    ``keep``: a mask of the acts to count (default all).
    """
    n_acc = np.int64(len(codes.accounts))
    src_all, acc_all = codes.item_code, codes.acc_code
    if keep is not None:
        src_all, acc_all, t_ns = src_all[keep], acc_all[keep], t_ns[keep]
    if len(t_ns) < 2:
        return _empty_co()
    order = np.lexsort((acc_all, t_ns, src_all))
    src, acc, t = src_all[order], acc_all[order], t_ns[order]
    n = len(t)
    t_rel = t - t.min()
    w = min(window_ns, int(t_rel.max()))
    scale, ranks = np.unique(np.concatenate([t_rel, t_rel + w]), return_inverse=True)
    base = src * np.int64(len(scale))
    end = np.searchsorted(base + ranks[:n], base + ranks[n:], side="right")
    counts = end - np.arange(n, dtype=np.int64) - 1
    key = src * n_acc + acc
    key_s = np.sort(key)
    dup = key_s[1:] == key_s[:-1]
    multi_keys = distinct(np.concatenate([key_s[1:][dup], key_s[:-1][dup]]))
    multi = np.isin(key, multi_keys)
    ids_parts: list[np.ndarray] = []
    w_parts: list[np.ndarray] = []
    held = 0
    multi_src: list[np.ndarray] = []
    multi_pid: list[np.ndarray] = []
    cum = np.cumsum(counts)
    start = 0

    def count(pid: np.ndarray) -> None:
        nonlocal held, ids_parts, w_parts
        if len(pid) == 0:
            return
        pid.sort()
        starts = np.flatnonzero(np.concatenate([[True], pid[1:] != pid[:-1]]))
        ids_parts.append(pid[starts])
        w_parts.append(np.diff(np.append(starts, len(pid))))
        held += len(starts)
        # fold when the parts since the last fold outgrow both the chunk and the folded
        # result (each key is re-sorted O(log) times in all)
        if len(ids_parts) > 1 and held - len(ids_parts[0]) >= max(
            4 * chunk_pairs, len(ids_parts[0])
        ):
            ids, weights = _fold_counts(ids_parts, w_parts)
            ids_parts, w_parts = [ids], [weights]
            held = len(ids)

    while start < n:
        done = int(cum[start - 1]) if start else 0
        stop = max(int(np.searchsorted(cum, done + chunk_pairs, side="right")), start + 1)
        c = counts[start:stop]
        n_pairs = int(c.sum())
        if n_pairs:
            first = np.repeat(np.arange(start, stop, dtype=np.int64), c)
            second = spans(np.arange(start + 1, stop + 1), c)
            a, b = acc[first], acc[second]
            two_accounts = a != b
            pid = (np.minimum(a, b) * n_acc + np.maximum(a, b))[two_accounts]
            needs = (multi[first] | multi[second])[two_accounts]
            count(pid[~needs])
            if needs.any():
                multi_src.append(src[first][two_accounts][needs])
                multi_pid.append(pid[needs])
        start = stop
    if multi_pid:
        ms, mp = np.concatenate(multi_src), np.concatenate(multi_pid)
        o = np.lexsort((mp, ms))
        ms, mp = ms[o], mp[o]
        first_of = np.concatenate([[True], (ms[1:] != ms[:-1]) | (mp[1:] != mp[:-1])])
        count(mp[first_of].copy())
    if not ids_parts:
        return _empty_co()
    ids, weights = _fold_counts(ids_parts, w_parts)
    keep = weights >= min_weight
    ids, weights = ids[keep], weights[keep]
    lo = ids // n_acc
    return pd.DataFrame(
        {
            "account_a": codes.accounts.take(lo),
            "account_b": codes.accounts.take(ids - lo * n_acc),
            "weight": weights.astype(np.int64),
            "a": lo,
            "b": ids - lo * n_acc,
        }
    )


def _fold_counts(
    ids_parts: list[np.ndarray], w_parts: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Sum the counts of equal keys over sorted (key, count) parts: sorted distinct keys."""
    if len(ids_parts) == 1:
        return ids_parts[0], w_parts[0]
    ids = np.concatenate(ids_parts)
    weights = np.concatenate(w_parts)
    order = np.argsort(ids, kind="stable")
    ids, weights = ids[order], weights[order]
    starts = np.flatnonzero(np.concatenate([[True], ids[1:] != ids[:-1]]))
    return ids[starts], np.add.reduceat(weights, starts)


def _empty_co() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_a": pd.Series([], dtype=object),
            "account_b": pd.Series([], dtype=object),
            "weight": pd.Series([], dtype=np.int64),
            "a": pd.Series([], dtype=np.int64),
            "b": pd.Series([], dtype=np.int64),
        }
    )


def _empty_edges() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_a": pd.Series(dtype=object),
            "account_b": pd.Series(dtype=object),
            "observed": pd.Series(dtype=np.int64),
            "expected": pd.Series(dtype=float),
            "p_value": pd.Series(dtype=float),
            "support": pd.Series(dtype=float),
            "weight": pd.Series(dtype=float),
        }
    )


def _pair_support(sup: pd.DataFrame, edges: pd.DataFrame) -> np.ndarray:
    a = sup.loc[edges["account_a"]]
    b = sup.loc[edges["account_b"]]
    same_id = a["identity"].notna().to_numpy() & (
        a["identity"].to_numpy() == b["identity"].to_numpy()
    )
    same_burst = a["burst"].notna().to_numpy() & (a["burst"].to_numpy() == b["burst"].to_numpy())
    both_low = a["low"].to_numpy() & b["low"].to_numpy()
    return 1.0 + 0.5 * same_id + 0.5 * same_burst + 0.25 * both_low


class _Codes:
    """Integer codes of the acts' accounts and items, and each account's act rows."""

    def __init__(self, acts: pd.DataFrame) -> None:
        acc_code, self.accounts = pd.factorize(acts["account_id"], sort=True)
        item_code, self.items = pd.factorize(acts["item"], sort=False)
        self.acc_code = acc_code.astype(np.int64)
        self.item_code = item_code.astype(np.int64)
        self.acc_index = {a: i for i, a in enumerate(self.accounts)}
        n_items = np.int64(len(self.items))
        keys = distinct(self.acc_code * n_items + self.item_code)  # (account, item) touched
        self.touched = (keys, np.searchsorted(keys // n_items, np.arange(len(self.accounts) + 1)))
        self._order = np.argsort(self.acc_code, kind="stable")
        self._starts = np.searchsorted(
            self.acc_code[self._order], np.arange(len(self.accounts) + 1)
        )

    def set_support(self, support: pd.DataFrame) -> None:
        """Account traits as arrays by account code (see :func:`_support`)."""
        self.support = support
        sup = support.reindex(self.accounts)
        self.burst = sup["burst"].notna().to_numpy()
        self.low = sup["low"].fillna(False).to_numpy(dtype=bool)
        ident = sup["identity"]
        self.identity_code = pd.factorize(ident)[0]  # -1 where missing
        self.burst_label = sup["burst"].to_numpy(dtype=object)

    def timeline(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Act rows sorted by item, then ``t``, each item code's start in that order, and
        the times in that order (cached for the last ``t`` given: one sort per assignment
        of times)."""
        if getattr(self, "_tl_t", None) is not t:
            order = np.lexsort((t, self.item_code))
            starts = np.searchsorted(self.item_code[order], np.arange(len(self.items) + 1))
            self._tl_t, self._tl = t, (order, starts, t[order])
        return self._tl

    def set_crowded(self, crowded: np.ndarray) -> None:
        """Per item code, whether it is crowded (see ``max_crowd``)."""
        self.crowded = np.asarray(crowded, dtype=bool)

    def set_q(self, q: pd.Series) -> None:
        """Per item code, its chance of two acts in sync under the jitter (``q``)."""
        self.q = q.reindex(self.items).fillna(0.0).to_numpy(dtype=float)

    def rows_of(self, member_codes: np.ndarray) -> np.ndarray:
        """Act rows of these accounts, in act order (sorted by item, then time)."""
        return _gather(self._order, self._starts, member_codes)


def _gather(order: np.ndarray, starts: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """The sorted union of ``order[starts[k]:starts[k + 1]]`` over ``keys`` (no Python loop)."""
    keys = np.asarray(keys, dtype=np.int64)
    return np.sort(order[spans(starts[keys], starts[keys + 1] - starts[keys])])


def _sync_arrays(
    item: np.ndarray, acc: np.ndarray, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """In-sync act pairs by distinct accounts as arrays ``item, a, b, i, j`` (account codes
    a < b; i, j the positions in the input of a's and b's act).

    ``item, acc`` are the acts' item and account codes, ``t`` their times in window units.
    Small inputs only (one community's acts): all in-sync pairs are materialised, ordered by
    the first act's position in (item, time) order, then the second's.
    """
    n = len(t)
    if n < 2:
        e = np.empty(0, np.int64)
        return e, e, e, e, e
    order = np.lexsort((t, item))
    item_s = item[order]
    tt = t[order]
    acc_s = acc[order]
    scale, ranks = np.unique(np.concatenate([tt, tt + 1.0]), return_inverse=True)
    base = item_s.astype(np.int64) * np.int64(len(scale))
    end = np.searchsorted(base + ranks[:n], base + ranks[n:], side="right")
    c = end - np.arange(n) - 1
    first = np.repeat(np.arange(n), c)
    second = spans(np.arange(1, n + 1), c)
    a, b = acc_s[first], acc_s[second]
    ok = a != b
    first, second, a, b = first[ok], second[ok], a[ok], b[ok]
    swap = a > b
    return (
        item_s[first],
        np.where(swap, b, a),
        np.where(swap, a, b),
        order[np.where(swap, second, first)],
        order[np.where(swap, first, second)],
    )


def _first_distinct(item: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Positions of the first occurrence of every distinct ``(item, a, b)``, in input order
    (what ``drop_duplicates(["item", "a", "b"])`` keeps)."""
    if len(item) == 0:
        return np.empty(0, np.int64)
    # one int64 key per row from dense ranks of the three columns (lexsort when it could
    # overflow)
    ri = np.unique(item, return_inverse=True)[1].astype(np.int64)
    acc_vals, inv = np.unique(np.concatenate([a, b]), return_inverse=True)
    ra, rb = inv[: len(a)].astype(np.int64), inv[len(a) :].astype(np.int64)
    m = np.int64(len(acc_vals))
    new = np.ones(len(item), dtype=bool)
    if (int(ri.max()) + 1) * int(m) * int(m) < 2**62:
        key = (ri * m + ra) * m + rb
        order = np.argsort(key, kind="stable")
        key_s = key[order]
        new[1:] = key_s[1:] != key_s[:-1]
    else:
        order = np.lexsort((rb, ra, ri))
        i_s, a_s, b_s = ri[order], ra[order], rb[order]
        new[1:] = (i_s[1:] != i_s[:-1]) | (a_s[1:] != a_s[:-1]) | (b_s[1:] != b_s[:-1])
    return np.sort(order[new])  # stable sort: the first of a run is the earliest


class _Sync:
    """The in-sync pairs of one set of members: every act pair (``raw``), the distinct
    ``(item, a, b)`` ones (``pairs``, positions into ``raw``) and the distinct
    ``(item, member)`` incidences on core items (``per_item``, ``per_m``)."""

    def __init__(
        self, member_codes: np.ndarray, codes: _Codes, t: np.ndarray, core_share: float
    ) -> None:
        self.rows = rows = codes.rows_of(member_codes)
        self.item = codes.item_code[rows]
        self.acc = codes.acc_code[rows]
        self.raw = _sync_arrays(self.item, self.acc, t[rows])
        it, a, b = self.raw[0], self.raw[1], self.raw[2]
        self.first = _first_distinct(it, a, b)
        it, a, b = it[self.first], a[self.first], b[self.first]
        n_acc = np.int64(len(codes.accounts))
        key = distinct(np.concatenate([it * n_acc + a, it * n_acc + b]))
        per_item, per_m = key // n_acc, key % n_acc
        # core items: where the community acted as a group, not a lucky pair
        core_min = max(3, math.ceil(core_share * len(member_codes))) if len(member_codes) > 3 else 2
        items, counts = np.unique(per_item, return_counts=True)
        on_core = np.isin(per_item, items[counts >= core_min])
        self.per_item, self.per_m = per_item[on_core], per_m[on_core]

    def hits(self, member_codes: np.ndarray) -> np.ndarray:
        """Core items per member (aligned with ``member_codes``)."""
        pos = np.searchsorted(member_codes, self.per_m)
        return np.bincount(pos, minlength=len(member_codes))


def _near_flags(
    member_codes: np.ndarray, core: np.ndarray, codes: _Codes, t: np.ndarray
) -> tuple[np.ndarray, ...]:
    """The acts on the core items within one window of a member's act, by item then time:
    ``item, acc, member, partners, n_out``: partners, the members' other acts on the item
    within one window of the act; ``n_out`` per core item, the outsiders' acts on it (all,
    near or not).  Every member act on a core item is among the acts.

    ``O(k log n + w)`` for the ``k`` member acts on the core items and the ``w`` acts in
    their windows, given the timeline of ``t`` (:meth:`_Codes.timeline`, sorted once per
    assignment of times): the rest of a viral item is never touched."""
    order, starts, t_sorted = codes.timeline(t)
    rows = codes.rows_of(member_codes)
    m_item, m_time = codes.item_code[rows], t[rows]
    keep = np.isin(m_item, core)
    m_item, m_time = m_item[keep], m_time[keep]
    o = np.lexsort((m_time, m_item))
    m_item, m_time = m_item[o], m_time[o]
    m_lo = np.searchsorted(m_item, core, "left")
    m_hi = np.searchsorted(m_item, core, "right")
    n_out = (starts[core + 1] - starts[core]) - (m_hi - m_lo)
    pieces, segs = [], []
    for k, i in enumerate(core):  # one core item at a time: its slice of the timeline
        m_t = m_time[m_lo[k] : m_hi[k]]
        if len(m_t) == 0:
            continue
        base = starts[i]
        ts = t_sorted[base : starts[i + 1]]
        # a little wider than a window, so that float rounding cannot drop a partner; the
        # partners are counted exactly below
        lo = np.searchsorted(ts, m_t - (1.0 + 1e-9), "left")
        hi = np.maximum.accumulate(np.searchsorted(ts, m_t + (1.0 + 1e-9), "right"))
        new = np.concatenate([[True], lo[1:] > hi[:-1]])  # the union of the windows
        last = np.append(np.flatnonzero(new)[1:] - 1, len(lo) - 1)
        u_lo, u_hi = lo[new], hi[last]
        idx = spans(u_lo, u_hi - u_lo)
        pieces.append(base + idx)
        segs.append((len(idx), m_t))
    pos = np.concatenate(pieces) if pieces else np.empty(0, np.int64)
    on = order[pos]
    acc, tt = codes.acc_code[on], t_sorted[pos]
    is_m = np.isin(acc, member_codes)
    partners = np.zeros(len(on), dtype=np.int64)
    at = 0
    for n, m_t in segs:
        seg = slice(at, at + n)
        at += n
        ts = tt[seg]
        lo = np.searchsorted(m_t, ts - 1.0, "left")
        hi = np.searchsorted(m_t, ts + 1.0, "right")
        partners[seg] = hi - lo - is_m[seg]  # a member's own act is not a partner
    return codes.item_code[on], acc, is_m, partners, n_out


def _chance_test(
    test_codes: np.ndarray,
    hits: np.ndarray,
    member_codes: np.ndarray,
    flags: tuple[np.ndarray, ...],
    core: np.ndarray,
    codes: _Codes,
    member_alpha: float,
) -> np.ndarray:
    """Which of ``test_codes`` (sorted; ``hits`` their core items in sync) are in sync with
    the community on more core items than an outsider's luck explains (see
    ``member_alpha`` in :func:`detect_coordinated`)."""
    item, acc, is_m, partners, n_o = flags
    near = partners > 0
    out = ~is_m
    # per core item, the share of outsiders' acts that fall in sync with a member
    pos_o = np.searchsorted(core, item[out])
    s_o = np.bincount(pos_o, weights=near[out].astype(float), minlength=len(core))
    rate = np.divide(s_o, n_o, out=np.ones(len(core)), where=n_o > 0)
    hits = np.asarray(hits).astype(int)
    alone = n_o == 0
    if alone.any():
        # items the community fills alone: no outsider shows what luck gives, so there a hit
        # is being in sync with at least half of the members' other acts, at the chance that
        # two acts on the item are in sync once times are jittered (q)
        rate[alone] = codes.q[core[alone]]
        hits = hits + _alone_hit_change(test_codes, flags, core, alone)
    outsiders = distinct(acc[out & near])
    others = np.setdiff1d(outsiders, test_codes, assume_unique=True)
    at_risk = len(others) + len(member_codes) + len(test_codes)
    # one row per tested account, its distinct core items' rates (by item) padded with zeros
    rows = codes.rows_of(test_codes)
    t_item = codes.item_code[rows]
    on_core = np.isin(t_item, core)
    width_c = np.int64(len(core))
    key = distinct(
        np.searchsorted(test_codes, codes.acc_code[rows][on_core]) * width_c
        + np.searchsorted(core, t_item[on_core])
    )
    pos, col_item = key // width_c, key % width_c
    probs = rate[col_item]
    col = np.arange(len(pos)) - np.searchsorted(pos, pos, "left")
    width = int(col.max()) + 1 if len(col) else 1
    grid = np.zeros((len(test_codes), width))
    grid[pos, col] = probs
    tail = _binomial_tails(grid, hits)
    lr = _trait_ratios(test_codes, member_codes, others, codes)
    return tail * lr * at_risk <= member_alpha


def _alone_hit_change(
    test_codes: np.ndarray, flags: tuple[np.ndarray, ...], core: np.ndarray, alone: np.ndarray
) -> np.ndarray:
    """Per tested account, its hits on the ``alone`` core items (no outsider acts) counted as
    "in sync with at least half of the members' other acts there" minus as "in sync with
    one": what to add to hits counted the second way."""
    item, acc, is_m, partners, _ = flags
    pos = np.searchsorted(core, item)
    on = alone[np.minimum(pos, len(core) - 1)] & (core[np.minimum(pos, len(core) - 1)] == item)
    on &= np.isin(acc, test_codes)
    if not on.any():
        return np.zeros(len(test_codes), dtype=int)
    m_acts = np.bincount(pos[is_m], minlength=len(core))  # members' acts per core item
    others = m_acts[pos[on]] - is_m[on]
    need = np.maximum(1, np.ceil(0.5 * others)).astype(int)
    width = np.int64(len(core))
    row = np.searchsorted(test_codes, acc[on])

    def count(ok: np.ndarray) -> np.ndarray:
        key = distinct(row[ok] * width + pos[on][ok])  # distinct (account, item)
        return np.bincount(key // width, minlength=len(test_codes))

    p = partners[on]
    return count(p >= need) - count(p > 0)


def _member_test(
    member_codes: np.ndarray, sync: _Sync, t: np.ndarray, codes: _Codes, member_alpha: float
) -> tuple[np.ndarray, Any]:
    """Which members beat an outsider's luck on the community's core items (and the
    :func:`_near_flags` computed for that, None without core items)."""
    core = distinct(sync.per_item)
    if len(core) == 0:
        return np.ones(len(member_codes), dtype=bool), None
    flags = _near_flags(member_codes, core, codes, t)
    return _chance_test(
        member_codes, sync.hits(member_codes), member_codes, flags, core, codes, member_alpha
    ), flags


def _readmit(
    member_codes: np.ndarray,
    sync: _Sync,
    t: np.ndarray,
    codes: _Codes,
    member_alpha: float,
    min_shared: int,
    flags: Any = None,
) -> np.ndarray:
    """Outsiders in sync with the community on at least ``min_shared`` core items that pass
    the same chance test as members (accounts Louvain put elsewhere or left out).  ``flags``:
    :func:`_near_flags` of these members on these core items, when already computed."""
    core = distinct(sync.per_item)
    if len(core) == 0:
        return np.empty(0, np.int64)
    if flags is None:
        flags = _near_flags(member_codes, core, codes, t)
    item, acc, is_m, partners, _ = flags
    sel = ~is_m & (partners > 0)
    n_items = np.int64(len(codes.items))
    key = distinct(acc[sel] * n_items + item[sel])  # distinct (account, item)
    cand, hits = np.unique(key // n_items, return_counts=True)
    keep_c = hits >= min_shared
    cand, hits = cand[keep_c], hits[keep_c]
    if len(cand) == 0:
        return np.empty(0, np.int64)
    keep = _chance_test(cand, hits, member_codes, flags, core, codes, member_alpha)
    return cand[keep]


def _measure(
    members: list[str],
    acts: pd.DataFrame,
    t: np.ndarray,
    codes: _Codes,
    q: pd.Series,
    sup: pd.DataFrame,
    *,
    min_member_items: int,
    member_share: float,
    core_share: float,
    member_alpha: float,
) -> dict[str, Any] | None:
    """Trim a community to its well-synced members and measure it against chance.

    Integer codes and numpy only (no per-community frames): ``O(m log m)`` for the ``m``
    acts of the members plus the acts on their core items, per trimming round."""
    member_codes = np.array(sorted(codes.acc_index[a] for a in members), dtype=np.int64)
    sync = None
    for _ in range(len(members)):
        sync = _Sync(member_codes, codes, t, core_share)
        n_items = sync.hits(member_codes)
        need = max(min_member_items, member_share * float(np.median(n_items)), 1)
        keep = n_items >= need
        if keep.all():
            break
        member_codes = member_codes[keep]
        if len(member_codes) < 2:
            return None
    if len(member_codes) < 2 or sync is None:
        return None
    # members must beat an outsider's luck on the core items (Bonferroni over the accounts
    # that were in sync with the community at least once)
    flags = None
    for _ in range(len(member_codes)):
        keep, flags = _member_test(member_codes, sync, t, codes, member_alpha)
        if keep.all():
            break
        flags = None
        member_codes = member_codes[keep]
        if len(member_codes) < 2:
            return None
        sync = _Sync(member_codes, codes, t, core_share)
    # re-admit outsiders that pass the members' test; a grown community has more core items
    # and partners, so repeat until nobody new passes (each round only adds)
    for _ in range(_READMIT_ROUNDS):
        added = _readmit(member_codes, sync, t, codes, member_alpha, min_member_items, flags)
        added = np.setdiff1d(added, member_codes, assume_unique=True)
        if len(added) == 0:
            break
        member_codes = distinct(np.concatenate([member_codes, added]))
        sync = _Sync(member_codes, codes, t, core_share)
        flags = None
    names = [codes.accounts[i] for i in member_codes]
    size = len(names)
    r_item, r_a, r_b, r_i, r_j = sync.raw
    first = sync.first
    p_item, p_a, p_b = r_item[first], r_a[first], r_b[first]
    # density: share of member pairs in sync on at least one item
    n_acc = np.int64(len(codes.accounts))
    density = len(distinct(p_a * n_acc + p_b)) / (size * (size - 1) / 2)

    observed = len(first)
    n_items_all = np.int64(len(codes.items))
    touched = distinct(sync.acc * n_items_all + sync.item) % n_items_all
    shared_items, shared_m = np.unique(touched, return_counts=True)
    on2 = shared_m >= 2
    shared_items, shared_m = shared_items[on2], shared_m[on2]
    qi = codes.q[shared_items]
    m = shared_m.astype(float)
    expected = float(np.sum(m * (m - 1) / 2 * qi))
    lift = observed / expected if expected > 0 else (1e9 if observed else 0.0)
    surprise = float(
        -np.log10(max(float(_poisson_sf(np.array([observed]), np.array([expected]))[0]), 1e-300))
    )
    on_shared = np.isin(sync.item, shared_items)
    synced = np.zeros(len(sync.item), dtype=bool)
    synced[r_i] = True
    synced[r_j] = True
    synchrony = float((synced & on_shared).sum() / max(on_shared.sum(), 1))

    burst_share = float(codes.burst[member_codes].mean())
    low_share = float(codes.low[member_codes].mean())
    ident = codes.identity_code[member_codes]
    ids, counts = np.unique(ident[ident >= 0], return_counts=True)
    dup = ids[counts >= 2]
    identity_share = int(counts[counts >= 2].sum()) / size
    support = (burst_share + low_share + identity_share) / 3
    lift_term = 1.0 - 1.0 / lift if lift > 1 else 0.0
    score = (density + synchrony + lift_term) / 3 * (0.8 + 0.2 * support)
    labels = codes.burst_label[member_codes]
    pairs = pd.DataFrame(
        {"item": p_item, "a": p_a, "b": p_b, "i": sync.rows[r_i[first]], "j": sync.rows[r_j[first]]}
    )
    return {
        "members": names,
        "size": size,
        "density": density,
        "synchrony": synchrony,
        "observed": observed,
        "expected": expected,
        "lift": min(lift, 1e9),
        "surprise": surprise,
        "support": support,
        "burst_share": burst_share,
        "low_share": low_share,
        "identity_share": identity_share,
        "identity_groups": int(len(dup)),
        "items": int(len(shared_items)),
        "score": float(min(max(score, 0.0), 1.0)),
        "pairs": pairs,
        "acts": acts,
        "item_names": codes.items,
        "bursts": sorted(set(x for x in labels if x is not None and x == x)),
    }


def _trait_ratios(
    test_codes: np.ndarray, member_codes: np.ndarray, outsiders: np.ndarray, codes: _Codes
) -> np.ndarray:
    """Per tested account, the product over account traits of P(trait value | outsider) /
    P(trait value | member): Laplace-smoothed rates of being in a creation burst, having
    low followers and sharing an identity key with members.  Near 1 when the data has no
    such traits; small for an account that looks like the members."""
    ident_m = codes.identity_code[member_codes]
    ids, counts = np.unique(ident_m[ident_m >= 0], return_counts=True)
    shared = ids[counts >= 2]

    def traits(c: np.ndarray) -> dict[str, np.ndarray]:
        return {
            "burst": codes.burst[c],
            "low": codes.low[c],
            "identity": np.isin(codes.identity_code[c], shared),
        }

    t_m, t_o, t_x = traits(member_codes), traits(outsiders), traits(test_codes)
    ratio = np.ones(len(test_codes))
    for k, has in t_x.items():
        r_m = (t_m[k].sum() + 1) / (len(t_m[k]) + 2)
        r_o = (t_o[k].sum() + 1) / (len(t_o[k]) + 2)
        ratio *= np.where(has, r_o / r_m, (1 - r_o) / (1 - r_m))
    return ratio


def _binomial_tails(probs: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Per row of ``probs`` (independent Bernoulli trials, zero-padded), P(at least k
    successes): the exact Poisson-binomial tail, by dynamic programming over columns."""
    rows, cols = probs.shape
    dist = np.zeros((rows, cols + 1))
    dist[:, 0] = 1.0
    for j in range(cols):
        pr = np.clip(probs[:, j], 0.0, 1.0)[:, None]
        shifted = np.zeros_like(dist)
        shifted[:, 1:] = dist[:, :-1]
        dist = dist * (1 - pr) + shifted * pr
    cum = np.cumsum(dist[:, ::-1], axis=1)[:, ::-1]  # cum[:, k] = P(X >= k)
    kk = np.clip(k, 0, cols + 1)
    out = np.where(kk > cols, 0.0, cum[np.arange(rows), np.minimum(kk, cols)])
    return np.where(k <= 0, 1.0, out)


# -------------------------------------------------------------------------- evidence


def _cluster_evidence(
    s: Mapping[str, Any], repost_window: float, post_window: float, n_null: int, jitter: float
) -> list[Evidence]:
    pairs, acts, names = s["pairs"], s["acts"], s["item_names"]
    ev = []
    by_kind: dict[str, list[tuple[str, int]]] = {"r": [], "n": [], "p": []}
    counts = pairs.groupby("item").size()
    order = sorted(counts.items(), key=lambda kv: (-kv[1], str(names[kv[0]])))
    for code, k in order:
        name = str(names[code])
        by_kind[name[0]].append((name[2:], int(k)))
    if by_kind["r"]:
        ev.append(
            Evidence(
                "co_repost",
                tuple(x for x, _ in by_kind["r"][:_MAX_IDS]),
                f"members reposted {len(by_kind['r'])} content(s) within "
                f"{repost_window:g} s of each other "
                f"({sum(k for _, k in by_kind['r'])} in-sync member pairs)",
            )
        )
    if by_kind["n"]:
        items = {"n:" + x for x, _ in by_kind["n"]}
        rows = distinct(np.concatenate([pairs["i"].to_numpy(), pairs["j"].to_numpy()]))
        ids = [
            a
            for a, it in zip(acts["act_id"].to_numpy()[rows], acts["item"].to_numpy()[rows])
            if it in items
        ]
        ev.append(
            Evidence(
                "co_post",
                tuple(sorted(set(ids))[:_MAX_IDS]),
                f"members posted near-duplicates of {len(by_kind['n'])} narrative(s) "
                f"within {post_window:g} s of each other "
                f"({sum(k for _, k in by_kind['n'])} in-sync member pairs)",
            )
        )
    if by_kind["p"]:
        ev.append(
            Evidence(
                "co_comment",
                tuple(x for x, _ in by_kind["p"][:_MAX_IDS]),
                f"members commented under {len(by_kind['p'])} content(s) within "
                f"{post_window:g} s of each other "
                f"({sum(k for _, k in by_kind['p'])} in-sync member pairs)",
            )
        )
    ev.append(
        Evidence(
            "chance_baseline",
            (),
            f"{s['observed']} in-sync member pairs vs {s['expected']:.2f} expected "
            f"when times are jittered within +-{jitter:g} s (lift {s['lift']:.1f}x, "
            f"surprise {s['surprise']:.1f} vs at most {s['null_max']:.1f} in "
            f"{n_null} jittered replicate(s)); density {s['density']:.2f}, "
            f"synchrony {s['synchrony']:.2f}",
        )
    )
    if s["burst_share"] > 0:
        ev.append(
            Evidence(
                "creation_burst",
                (),
                f"{s['burst_share']:.0%} of members were created in "
                f"{len(s['bursts'])} account-creation burst(s)",
            )
        )
    if s["low_share"] > 0:
        ev.append(
            Evidence("low_followers", (), f"{s['low_share']:.0%} of members have few followers")
        )
    if s["identity_groups"] > 0:
        ev.append(
            Evidence(
                "shared_identity",
                (),
                f"{s['identity_groups']} identity key(s) shared by several members "
                f"({s['identity_share']:.0%} of members)",
            )
        )
    return ev


def _member_findings(
    cid: str, s: Mapping[str, Any], repost_window: float, post_window: float
) -> list[RoleFinding]:
    pairs, acts = s["pairs"], s["acts"]
    size = s["size"]
    acc = acts["account_id"].to_numpy()
    act_ids = acts["act_id"].to_numpy()
    partners: dict[str, set] = {}
    acts_of: dict[str, set] = {}
    items_of: dict[str, set] = {}
    for i, j, it in zip(pairs["i"].to_numpy(), pairs["j"].to_numpy(), pairs["item"].to_numpy()):
        a, b = acc[i], acc[j]
        partners.setdefault(a, set()).add(b)
        partners.setdefault(b, set()).add(a)
        acts_of.setdefault(a, set()).add(act_ids[i])
        acts_of.setdefault(b, set()).add(act_ids[j])
        items_of.setdefault(a, set()).add(it)
        items_of.setdefault(b, set()).add(it)
    out = []
    for a in s["members"]:
        share = len(partners.get(a, ())) / max(size - 1, 1)
        strength = float(min(1.0, s["score"] * (0.5 + 0.5 * share)))
        ids = tuple(sorted(acts_of.get(a, ()))[:_MAX_IDS])
        detail = (
            f"in cluster {cid} ({size} accounts, score {s['score']:.2f}): in sync with "
            f"{len(partners.get(a, ()))} other member(s) on {len(items_of.get(a, ()))} "
            f"item(s) (reposts within {repost_window:g} s, contents within "
            f"{post_window:g} s)"
        )
        out.append(
            RoleFinding(
                account_id=a,
                role="coordinated",
                strength=strength,
                evidence=(Evidence("coordinated", ids, detail),),
                numbers={
                    "cluster_size": float(size),
                    "cluster_score": s["score"],
                    "partner_share": share,
                    "sync_items": float(len(items_of.get(a, ()))),
                },
            )
        )
    return out
