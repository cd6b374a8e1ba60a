"""Harm: how abusive the event's contents and reposts are, and which of them are harmful.

``contents.harm`` is an upstream model's probability of abuse, and a repost may
carry one for its comment (an extra column); a missing ``harm`` is unknown, not
harmless.  The detectors estimate what is unknown (the narratives detector:
``Detections.harm``), and a narrative has a harm of its own.  This module reads
them in that order:

* :func:`node_harm` gives every content and repost ID its probability of abuse:
  its own ``harm``, else the detectors' estimate, else its narrative's;
* :func:`harmful_items` (and :func:`harmful_contents`) say which contents and
  reposts are harmful at a threshold (:data:`HARM_THRESHOLD`), a repost by what it
  spreads;
* :func:`corroborate` sets aside splicer findings that nothing harmful backs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pileon.detectors.cascades import extra_float, reach
from pileon.detectors.findings import Detections, Evidence
from pileon.graph.projection import Projection

__all__ = [
    "HARM_THRESHOLD",
    "node_harm",
    "row_narratives",
    "corroborate",
    "HarmfulItems",
    "harmful_items",
    "harmful_contents",
]

#: a known ``harm`` at or above this is harmful
HARM_THRESHOLD = 0.5


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


def row_narratives(p: Projection, det: Detections) -> np.ndarray:
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
        h[miss] = _lookup(row_narratives(p, det)[miss], narr)
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
    harms, at = _node_harm(p, det)
    contents = pd.Series(
        _harmful_contents(p, harms, at, harm_threshold), index=p.contents.index, dtype=bool
    )
    forest = reach(p, harm=harms, harm_threshold=harm_threshold).set_index("node_id")
    harmful_n = {n.narrative_id: bool(n.harmful) for n in det.narratives}
    spread = p.reposts["repost_id"].map(forest["spread_harm"]).to_numpy(dtype=float)
    reposts = np.where(np.isnan(spread), 0.0, spread) >= harm_threshold
    unknown = np.flatnonzero(np.isnan(spread))
    narrative = row_narratives(p, det)[len(p.contents) + unknown]
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
