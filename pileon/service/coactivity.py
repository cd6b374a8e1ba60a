"""The co-repost edge list (SPEC §3) of an event or of the whole store."""

from __future__ import annotations

import pandas as pd

from pileon.detectors.coactivity import coactivity
from pileon.graph.projection import project
from pileon.graph.store import Store

__all__ = ["coactivity_edges"]


def coactivity_edges(
    store: Store,
    *,
    window: float,
    min_weight: int = 1,
    event_id: str | None = None,
    show_progress: bool = False,
) -> tuple[pd.DataFrame, int]:
    """The exact co-repost network of ``event_id``'s reposts, or of every repost in the store.

    Returns ``(edges, reposts)``: ``account_a, account_b, weight`` as
    :func:`pileon.detectors.coactivity.coactivity` gives them, and the number of
    reposts read.
    """
    reposts = project(store, event_id).reposts if event_id else store.frame("reposts")
    edges = coactivity(reposts, window=window, min_weight=min_weight, show_progress=show_progress)
    return edges, len(reposts)
