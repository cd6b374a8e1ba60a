"""Joins computed elsewhere (a Spark job) that the detectors take instead of computing them.

The heaviest joins of an analysis grow faster than the event: the near-duplicate text pairs
behind narratives (MinHash LSH) and the co-repost counts behind the features.  An engine
that runs next to the data (:mod:`pileon.spark`) computes them from the same input tables
and hands them over as a :class:`Joins`; :func:`pileon.detectors.pipeline.detect` and
:func:`pileon.detectors.pipeline.event_features` then use them where they would compute
them, and every other step is unchanged.  Each field is optional: ``None`` means "compute
it in process", so an empty :class:`Joins` is the default path.

Everything here is pure (frames in, frames out); nothing imports an engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pileon.graph.errors import InputError

__all__ = ["Joins", "TEXT_PAIR_COLUMNS", "check_joins", "pairs_among"]

#: columns of :attr:`Joins.text_pairs`
TEXT_PAIR_COLUMNS = ("text_a", "text_b", "jaccard")


@dataclass(frozen=True, eq=False)
class Joins:
    """Precomputed joins of one event (each ``None``: compute it in process).

    Attributes
    ----------
    text_pairs : pandas.DataFrame, optional
        Near-duplicate pairs of distinct normalised texts (the narratives' own text of the
        event's contents, :func:`pileon.detectors.narratives.own_texts`): columns
        ``text_a < text_b`` (str) and ``jaccard`` (float), exactly the pairs that
        :func:`pileon.graph.textsim.near_duplicate_pairs` verifies at ``text_threshold``.
        A superset of texts is fine: :func:`detect_narratives` keeps the pairs of its own.
    text_threshold : float
        The Jaccard threshold the pairs were verified at (the narratives' must match).
    coreposts : pandas.Series, optional
        Per ``account_id``, its co-reposts at ``coact_window`` seconds: reposts by other
        accounts of the same source within the window of one of its own, counted over its
        reposts (:func:`pileon.detectors.coactivity.coactivity_degree`, the features'
        count); accounts absent count 0.
    coact_window : float
        The window :attr:`coreposts` was computed with (the features use the same).
    event_id : str, optional
        The event the joins were computed for.
    reposts : int, optional
        How many of the event's reposts (with an author) they were computed over; the
        analysis refuses joins over other reposts than its projection's
        (:func:`check_joins`).
    synced_pairs : callable, optional
        Counts the coordination detector's pairs in sync in place of
        :func:`pileon.detectors.coordination.pairs.synced_pairs` (same arguments, same
        result), on an engine that runs next to the data
        (:class:`pileon.spark.coordination.SparkPairs`); the chance expectation and the
        test then run in process on the candidate pairs it returns.
    """

    text_pairs: pd.DataFrame | None = None
    text_threshold: float = 0.6
    coreposts: pd.Series | None = None
    coact_window: float = 60.0
    event_id: str | None = None
    reposts: int | None = None
    synced_pairs: Callable[..., Any] | None = None


def check_joins(joins: Joins, event_id: str, reposts: pd.DataFrame) -> None:
    """Refuse (``InputError``, one line) joins computed for another event or over other
    reposts than ``reposts`` (the projection's; those with an author are counted)."""
    if joins.event_id is not None and joins.event_id != event_id:
        raise InputError(f"the joins were computed for event {joins.event_id!r}, not {event_id!r}")
    if joins.reposts is None:
        return
    mine = int(reposts["account_id"].notna().sum()) if "account_id" in reposts else 0
    if joins.reposts != mine:
        raise InputError(
            f"the Spark input holds {joins.reposts} of the event's reposts, the store {mine}: "
            "give --input the folder the store was loaded from"
        )


def pairs_among(pairs: pd.DataFrame, texts: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """The pairs of ``pairs`` (``text_a``, ``text_b``) whose two texts are both in ``texts``,
    as positions in ``texts`` (``i < j``, sorted).

    ``O(p + t)`` hashing for ``p`` pairs and ``t`` texts.

    >>> pairs = pd.DataFrame({"text_a": ["a", "a", "b"], "text_b": ["b", "z", "c"],
    ...                       "jaccard": [0.7, 0.8, 0.9]})
    >>> [x.tolist() for x in pairs_among(pairs, pd.Index(["c", "b", "a"]))]
    [[0, 1], [1, 2]]
    """
    i = texts.get_indexer(pairs["text_a"].to_numpy(dtype=object))
    j = texts.get_indexer(pairs["text_b"].to_numpy(dtype=object))
    ok = (i >= 0) & (j >= 0)
    lo, hi = np.minimum(i[ok], j[ok]), np.maximum(i[ok], j[ok])
    order = np.lexsort((hi, lo))
    return lo[order].astype(np.int64), hi[order].astype(np.int64)
