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

What those readings rest on lives here too:

* :func:`repost_harm` reads the ``harm`` a repost's comment carried (an extra
  column of the reposts file);
* :func:`text_harm_model` fits a character n-gram naive Bayes model on scored
  texts (the narratives detector fits it on the event to fill ``Detections.harm``);
* :func:`infer_unknown_harm` estimates contents of unknown harm from the scored texts
  of the whole store (the evidence pack).
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from pileon.detectors.findings import Detections, Evidence, RoleFinding
from pileon.graph.projection import Projection

if TYPE_CHECKING:  # cascades imports this module
    from pileon.detectors.cascades import Reach, _Nodes

__all__ = [
    "HARM_THRESHOLD",
    "repost_harm",
    "text_harm_model",
    "infer_unknown_harm",
    "node_harm",
    "row_narratives",
    "corroborate",
    "HarmfulItems",
    "harmful_items",
    "harmful_contents",
]

#: a known ``harm`` at or above this is harmful
HARM_THRESHOLD = 0.5


# ------------------------------------------------------------------- known and estimated harm


def repost_harm(reposts: pd.DataFrame) -> pd.Series:
    """The ``harm`` a repost's comment got upstream, when the file carried one: float64 on
    the index of ``reposts``, NaN where unknown.

    Reposts have no ``harm`` in SPEC §2, but an input file may carry one as an extra
    column; a hand-made projection keeps it as a column, a store inside ``extra``.
    """
    return _extra_float(reposts, "harm")


def _extra_float(frame: pd.DataFrame, column: str) -> pd.Series:
    """A numeric column of ``frame``: the column itself, else the key of its ``extra`` JSON.

    Reposts have no ``harm`` in SPEC §2, but an input file may carry one as an extra
    column; a hand-made projection keeps it as a column, a store inside ``extra``.

    Notes
    -----
    O(n) to factorize ``extra`` when it holds strings; each distinct JSON text that
    names the key is parsed once.
    """
    if column in frame.columns:
        return pd.to_numeric(frame[column], errors="coerce").astype("float64")
    out = np.full(len(frame), np.nan)
    if "extra" in frame.columns and len(frame):
        ex = frame["extra"].to_numpy(dtype=object)
        if infer_dtype(ex, skipna=True) == "string":  # hashable: parse each distinct text once
            codes, uniq = pd.factorize(ex)
        else:
            codes, uniq = np.arange(len(ex)), ex
        key = f'"{column}"'
        parsed = np.full(len(uniq) + 1, np.nan)  # the last slot answers code -1 (missing)
        for i, v in enumerate(uniq):
            if not (isinstance(v, str) and key in v):
                continue
            try:
                x = json.loads(v).get(column)
                parsed[i] = float(x) if x is not None and x != "" else np.nan
            except (ValueError, TypeError, AttributeError):
                parsed[i] = np.nan
        out = parsed[codes]
    return pd.Series(out, index=frame.index, dtype="float64")


def _ngrams(text: str, orders: tuple[int, ...] = (1, 2)) -> list[str]:
    return [text[i : i + k] for k in orders for i in range(len(text) - k + 1)]


def text_harm_model(
    texts: pd.Series,
    harm: pd.Series,
    *,
    harm_threshold: float = HARM_THRESHOLD,
    min_per_class: int = 20,
    alpha: float = 1.0,
    orders: tuple[int, ...] = (1, 2),
    balanced: bool = False,
):
    """Fit a character n-gram naive Bayes model on the event's scored texts.

    Parameters
    ----------
    texts : Series of str
        Texts (already normalised with :func:`pileon.graph.textsim.normalize`).
    harm : Series of float
        Their known harm scores (NaN rows are ignored).
    harm_threshold : float
        A text scored at least this is abusive.
    min_per_class : int
        Fewer distinct scored texts than this on either side: no model (returns None).
    alpha : float
        Laplace smoothing.
    orders : tuple of int
        Character n-gram lengths used as features.
    balanced : bool
        Scale each class's n-gram counts to the same total (the mean of the two) before
        smoothing (Frank & Bouckaert 2006), i.e. pseudo-counts in proportion to each
        class's size: a prior of no association.  Plain Laplace smoothing with classes of
        unequal size gives every n-gram the same pull toward the class with fewer
        n-grams (the log ratio of the smoothed class totals), whatever its counts: it
        decides texts known only by a few rare n-grams.  Balanced, an n-gram seen in
        neither class, or equally often relative to its class's size in both, weighs
        nothing.

    Returns
    -------
    callable or None
        ``predict(texts) -> ndarray`` of probabilities (NaN for empty texts).

    Notes
    -----
    O(total characters) to fit and to predict, over distinct texts only.

    References
    ----------
    E. Frank and R. R. Bouckaert, "Naive Bayes for text classification with unbalanced
    classes", PKDD 2006, LNCS 4213, pp. 503-510.
    """
    from scipy.sparse import coo_matrix  # here: slow to import, and only some callers fit

    df = pd.DataFrame({"t": texts.to_numpy(), "h": harm.to_numpy()}).dropna()
    df = df[df["t"].str.len() > 0]
    if df.empty:
        return None
    df = df.groupby("t", sort=True)["h"].mean().reset_index()
    y = (df["h"] >= harm_threshold).to_numpy()
    if y.sum() < min_per_class or (~y).sum() < min_per_class:
        return None
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for r, t in enumerate(df["t"]):
        for g in _ngrams(t, orders):
            rows.append(r)
            cols.append(vocab.setdefault(g, len(vocab)))
    m = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(df), len(vocab))).tocsr()
    pos = np.asarray(m[y].sum(axis=0)).ravel()
    neg = np.asarray(m[~y].sum(axis=0)).ravel()
    if balanced:
        total = (pos.sum() + neg.sum()) / 2
        pos, neg = pos * (total / pos.sum()), neg * (total / neg.sum())
    pos, neg = pos + alpha, neg + alpha
    llr = np.log(pos / pos.sum()) - np.log(neg / neg.sum())
    prior = float(np.log(y.sum() / (~y).sum()))

    def predict(new: pd.Series) -> np.ndarray:
        uniq = pd.unique(new[new.str.len() > 0])
        score = {}
        for t in uniq:
            ids = [vocab[g] for g in _ngrams(t, orders) if g in vocab]
            if not ids:
                continue
            # average evidence per n-gram, so long texts are not overconfident
            z = prior + llr[ids].mean() * min(len(ids), 8)
            score[t] = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        vals = new.map(score)
        return vals.to_numpy(dtype=float, na_value=np.nan)

    return predict


def infer_unknown_harm(
    contents: pd.DataFrame, reposts: pd.DataFrame, content_ids: pd.Series
) -> dict[str, float]:
    """Estimated harm of contents whose ``harm`` is unknown (SPEC: unknown, not harmless).

    A text equal (once normalised) to scored texts takes their mean score; otherwise the
    character n-gram naive Bayes model of :func:`text_harm_model`, fitted on every scored
    text of ``contents`` and ``reposts`` (the whole store, for the evidence pack) with balanced classes, estimates it.
    Balanced because the classes differ in size (harmful texts are usually the fewer):
    with plain smoothing every n-gram would lean toward the smaller class, and a kind
    word known only by a few rare n-grams (支持你，我们都相信你) would pass for an attack.
    Contents with no text, or a store with too few scored texts to fit the model, stay
    unknown (left out).

    Notes
    -----
    O(total characters of the store's texts).
    """
    from pileon.graph.textsim import normalize

    texts = pd.concat(
        [
            contents[["content_id", "text", "harm"]],
            reposts[["repost_id", "text"]]
            .rename(columns={"repost_id": "content_id"})
            .assign(harm=repost_harm(reposts).to_numpy()),
        ],
        ignore_index=True,
    )
    texts = texts.drop_duplicates("content_id")
    texts["norm"] = texts["text"].map(normalize)
    scored = texts[texts["harm"].notna() & (texts["norm"].str.len() > 0)]
    wanted = texts[texts["content_id"].isin(set(content_ids)) & texts["harm"].isna()]
    exact = scored.groupby("norm")["harm"].mean()
    out = dict(zip(wanted["content_id"], wanted["norm"].map(exact)))
    rest = wanted[wanted["norm"].map(exact).isna()]
    if len(rest):
        # bigrams and trigrams: single characters of the many near-duplicate attacks
        # would make any unseen text look abusive
        model = text_harm_model(scored["norm"], scored["harm"], orders=(2, 3), balanced=True)
        if model is not None:
            out.update(zip(rest["content_id"], model(rest["norm"])))
    return {k: float(v) for k, v in out.items() if v is not None and not pd.isna(v)}


# ------------------------------------------------------------------------------ node harm


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
    rows' IDs in their order (as the narratives detector builds it).  Computed once per
    projection and ``det.of_content`` (:func:`_held`): the harm, the harmful items and the
    features all read it.
    """
    return _held(p, "row_narratives", (det.of_content,), lambda: _row_narratives(p, det))  # type: ignore[no-any-return]


def _row_narratives(p: Projection, det: Detections) -> np.ndarray:
    ids, of = _node_ids(p), det.of_content
    if len(of) == len(ids) and isinstance(of, dict):
        if (np.fromiter(of.keys(), dtype=object, count=len(ids)) == ids).all():
            return np.fromiter(of.values(), dtype=object, count=len(ids))
    return np.array([of.get(i) for i in ids.tolist()], dtype=object)


def _held(p: Projection, name: str, keys: tuple[object, ...], make):  # type: ignore[no-untyped-def]
    """``make()``, kept in ``p.derived[name]`` for the next call with the same ``keys``
    (compared by identity) while the projection's ``contents`` and ``reposts`` frames are
    the same objects (a projection's frames are read, never changed in place).  The kept
    value is shared: callers read it, never change it."""
    held = p.derived.get(name)
    if (
        held is not None
        and held[0]() is p.contents
        and held[1]() is p.reposts
        and len(held[2]) == len(keys)
        and all(a is b for a, b in zip(held[2], keys))
    ):
        return held[3]
    value = make()
    p.derived[name] = (weakref.ref(p.contents), weakref.ref(p.reposts), keys, value)
    return value


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
    Computed once per projection and ``det``'s estimates, narratives and their
    contents (:func:`_held`): the splicers' corroboration and the harmful items both
    read it.
    """
    return _held(  # type: ignore[no-any-return]
        p,
        "node_harm",
        (det.harm, det.narratives, det.of_content),
        lambda: _compute_node_harm(p, det),
    )


def _distinct_rows(p: Projection, ids: np.ndarray) -> bool:
    """Whether the IDs of ``p.contents`` then ``p.reposts`` (``ids``) are distinct, from
    the coded forest when its nodes are the rows (string IDs, each row a node of its
    own), else by hashing them."""
    from pileon.detectors.cascades import coded_forest  # cascades imports this module

    nd = coded_forest(p).nodes
    if (
        nd.n_contents == len(p.contents)
        and len(nd.src) == len(p.reposts)
        and infer_dtype(ids, skipna=False) == "string"
    ):
        return True
    return bool(pd.Index(ids, dtype=object).is_unique)


def _compute_node_harm(p: Projection, det: Detections) -> tuple[pd.Series, np.ndarray]:
    ids = _node_ids(p)
    h = np.concatenate(
        [
            p.contents["harm"].to_numpy(dtype=float),
            repost_harm(p.reposts).to_numpy(dtype=float),
        ]
    )
    est = det.harm if det.harm is not None and len(det.harm) else None
    if (
        est is not None and est.index.equals(pd.Index(ids, dtype=object)) and _distinct_rows(p, ids)
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
    if not any(f.role == "splicer" and f.numbers.get("harmful", 1.0) <= 0 for f in det.roles):
        return _corroborated(det, tuple(det.roles), {a: tuple(n) for a, n in det.notes.items()})
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
    return _corroborated(det, tuple(keep), notes)


def _corroborated(
    det: Detections, roles: tuple[RoleFinding, ...], notes: dict[str, tuple[Evidence, ...]]
) -> Detections:
    """``det`` with the roles that stand and the notes of those set aside."""
    return Detections(
        narratives=det.narratives,
        of_content=det.of_content,
        roles=roles,
        clusters=det.clusters,
        harm=det.harm,
        notes=notes,
    )


@dataclass(frozen=True)
class HarmfulItems:
    """Which of the event's contents and reposts are harmful, computed once per analysis.

    ``harm``: probability per content and repost ID (:func:`node_harm`);
    ``contents`` / ``reposts``: booleans aligned with ``p.contents`` / ``p.reposts``;
    ``reach``: :func:`pileon.detectors.cascades.reach_nodes`, the reach over the repost
    forest's nodes; ``repost_nodes``: the node of each row of ``p.reposts``, when every
    repost is a node of its own (None otherwise: look the IDs up); ``forest``:
    :func:`pileon.detectors.cascades.reach` indexed by node ID, built when first read.
    """

    harm: pd.Series
    contents: pd.Series
    reposts: pd.Series
    reach: Reach
    repost_nodes: np.ndarray | None = None

    @cached_property
    def forest(self) -> pd.DataFrame:
        """:func:`pileon.detectors.cascades.reach` indexed by node ID (sorted)."""
        return _by_id(self.reach)


def _by_id(ra: Reach) -> pd.DataFrame:
    """The reach frame of ``ra``'s nodes in ID order, indexed by node ID."""
    frame = ra.frame(np.argsort(ra.forest.nodes.ids, kind="stable"))
    frame.set_index("node_id", inplace=True)  # a fresh frame: not copied once more
    return frame


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
    ``O(C + R log d)`` for ``C`` contents and ``R`` reposts in chains ``d`` deep; the
    reach stays arrays over the forest's nodes (no frame sorted by ID) unless a repost
    must be looked up by ID.
    """
    # here: cascades reads repost_harm from here
    from pileon.detectors.cascades import reach_nodes

    harms, at = _node_harm(p, det)
    contents = pd.Series(
        _harmful_contents(p, harms, at, harm_threshold), index=p.contents.index, dtype=bool
    )
    ra = reach_nodes(p, harm=harms, harm_threshold=harm_threshold)
    harmful_n = {n.narrative_id: bool(n.harmful) for n in det.narratives}
    rows = _repost_nodes(p, ra.forest.nodes)
    if rows is not None:
        spread = ra.spread_harm[rows]
    else:
        spread = p.reposts["repost_id"].map(_by_id(ra)["spread_harm"]).to_numpy(dtype=float)
    reposts = np.where(np.isnan(spread), 0.0, spread) >= harm_threshold
    unknown = np.flatnonzero(np.isnan(spread))
    narrative = row_narratives(p, det)[len(p.contents) + unknown]
    reposts[unknown] = _lookup(narrative, harmful_n, 0.0) > 0
    return HarmfulItems(
        harm=harms,
        contents=contents,
        reposts=pd.Series(reposts, index=p.reposts.index, dtype=bool),
        reach=ra,
        repost_nodes=rows,
    )


def _repost_nodes(p: Projection, nodes: _Nodes) -> np.ndarray | None:
    """The node of each row of ``p.reposts``, when each repost is a node of its own
    (``nodes.src`` holds every row) and its ID a string (the nodes' IDs are strings:
    another ID would not be found by name); else None."""
    r = p.reposts
    if (
        len(nodes.src) != len(r)
        or infer_dtype(r["repost_id"].to_numpy(dtype=object), skipna=False) != "string"
    ):
        return None
    return nodes.n_contents + np.arange(len(r))


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
