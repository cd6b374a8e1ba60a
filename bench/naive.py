"""The naive co-repost baseline of issue 14: the exact co-repost network, a weight
threshold, then connected components.

Pairs of accounts that reposted the same ``source_id`` at most ``window`` seconds apart
(:func:`pileon.detectors.coactivity.coactivity`, the peer tool's co-retweet network) on at
least ``min_weight`` sources are linked; every connected component of ``min_size`` or
more accounts is a cluster.  No chance model: whatever is in sync often enough is
clustered, crowds on viral posts and fan clubs included.  pileon's coordinated clusters
are compared with it on every scenario and on the IRA data (``bench/bench_coordination.py``).

Usage from Python::

    from bench.naive import naive_clusters
    clusters = naive_clusters(projection.reposts, window=60, min_weight=2)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from pileon.detectors.coactivity import coactivity

__all__ = ["naive_clusters"]


def naive_clusters(
    reposts: pd.DataFrame, *, window: float = 60.0, min_weight: int = 2, min_size: int = 3
) -> list[list[str]]:
    """Connected components of the co-repost network thresholded at ``min_weight``.

    Parameters
    ----------
    reposts : pandas.DataFrame
        ``account_id``, ``source_id``, ``reposted_at`` (rows missing any are ignored).
    window : float, default 60
        Seconds (inclusive) between two reposts of one source to count as co-reposts.
    min_weight : int, default 2
        Sources a pair must have co-reposted (the threshold K).
    min_size : int, default 3
        Smallest component reported.

    Returns
    -------
    list of list of str
        Sorted account IDs per component, largest component first (ties by first ID).

    Notes
    -----
    The cost is the exact network's: every within-window pair is enumerated
    (``O(n log n + P)`` for ``P`` such pairs), which is why it is a baseline and not the
    detector.

    Examples
    --------
    >>> t = pd.Timestamp("2026-03-01T08:00:00Z")
    >>> rows = [(a, s, t + pd.Timedelta(minutes=10 * i + j))
    ...         for i, s in enumerate(["s1", "s2"]) for j, a in enumerate("abc")]
    >>> df = pd.DataFrame(rows, columns=["account_id", "source_id", "reposted_at"])
    >>> naive_clusters(df, window=60, min_weight=2)
    [['a', 'b', 'c']]
    """
    keep = reposts[["account_id", "source_id", "reposted_at"]].dropna()
    edges = coactivity(keep, window=window, min_weight=min_weight)
    if edges.empty:
        return []
    ids, codes = np.unique(
        np.concatenate([edges["account_a"].to_numpy(), edges["account_b"].to_numpy()]),
        return_inverse=True,
    )
    m = len(edges)
    graph = coo_matrix((np.ones(m), (codes[:m], codes[m:])), shape=(len(ids), len(ids)))
    _, label = connected_components(graph, directed=False)
    out = [
        sorted(ids[label == c].tolist()) for c in np.unique(label) if (label == c).sum() >= min_size
    ]
    return sorted(out, key=lambda c: (-len(c), c[0]))
