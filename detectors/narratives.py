"""Narratives: groups of near-duplicate original contents, their sizes, first posters and harm.

A narrative is a group of the event's ORIGINAL contents (the ``contents``
frame: posts, videos, comments, messages; not reposts) that copy one another
across accounts and platforms: near-duplicate text (MinHash LSH over character
shingles, :mod:`pileon.graph.textsim`, so Chinese without spaces works and no pair of
texts is compared unless LSH proposes it) or equal / near ``media_hash``
(perceptual hashes within a small Hamming distance, found through pigeonhole
buckets, again without all pairs).  Only the text before a ``//@name:`` repost
chain is compared (the chain quotes other people), so comments that share a chain
do not collapse into one narrative.  A content with neither text nor media is a
narrative of its own.

Sizes.  A narrative's ``size`` is its contents plus every repost whose chain
leads back to one of them, so the sizes of all narratives add up to the
event's contents plus its reposts.  Decisions for messy data:

* placeholder contents (deleted sources) are contents of the projection: each
  is a narrative of its own (no author, no time), sized 1 + the reposts under it;
* a repost chain that leaves the projection (its top source is in neither
  ``contents`` nor ``reposts``) is rooted at a *missing source*, counted as one
  content of a narrative ``n-<source_id>`` (listed in
  :attr:`NarrativeResult.missing_sources`);
* a repost cut out of a cycle is the root of a narrative ``n-<repost_id>`` with
  no contents;
* source material (older content that the event reposted or answered, ``via ==
  "source"``, see :mod:`pileon.ingest.membership`) belongs to its narrative and counts
  in its size, but an author who takes no part in the event is never its first poster:
  such content is the narrative's first content only when the narrative has no other,
  and the narrative then has no first poster.

Hence ``sum(size) == len(p.contents) + len(missing_sources) + len(p.reposts)``
(reposts counted once per ID).

Harm.  ``contents.harm`` is an upstream model's probability of abuse; absent
means unknown.  :func:`detect_narratives` estimates a harm for every content and
commented repost (:attr:`NarrativeResult.harm`, with
:attr:`NarrativeResult.harm_source` telling where it came from):

1. ``known``: its own score;
2. ``narrative``: the mean known score of the other copies of its narrative;
3. ``text``: a naive Bayes model over character n-grams trained on the event's
   own scored texts (:func:`pileon.detectors.harm.text_harm_model`; only when the event
   has enough scored texts of both kinds);
4. ``narrative``: else the harm inferred for its narrative (below: its text model
   estimate, the harm of the reactions it drew, its reports);

and a narrative's harm is the mean known score of its copies, else (nothing of
it scored) the mean of what can be told: the text model on its copies, the known
harm of the comments and commented reposts it drew, and its reports.  Contents of
the event's targets are never judged by the abuse they drew (a victim's post draws
abusive replies and mass reports), only by their own text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import chain

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from pileon.detectors.cascades import _time_order, coded_forest, repost_authors, repost_forest
from pileon.detectors.collector import no_cyclic_gc
from pileon.detectors.findings import Narrative
from pileon.detectors.harm import HARM_THRESHOLD, repost_harm, text_harm_model
from pileon.detectors.joins import pairs_among
from pileon.graph.projection import Projection
from pileon.graph.textsim import near_duplicate_links, normalize_all, normalize_distinct

#: kinds that are reactions to something rather than publications of a story
REACTION_KINDS = ("comment", "dm")
_HEX = re.compile(r"^(0x)?[0-9a-fA-F]+$")


@dataclass(frozen=True, eq=False)
class NarrativeResult:
    """What :func:`detect_narratives` returns.

    Attributes
    ----------
    narratives : list of Narrative
        Every narrative of the event, sorted by first post time (unknown last), then ID.
    of_content : dict
        Narrative ID of every content, repost and missing source.
    table : DataFrame
        One row per narrative (same order): ``narrative_id, first_content_id,
        first_poster, first_time, n_contents, n_reposts, size, n_accounts,
        n_platforms, story, harm, harm_source, harmful, n_reports``.  ``story`` is
        true when at least one of its contents is a publication (not a comment,
        a message or a reply).
    harm : Series
        Estimated probability of abuse per content and repost ID (NaN: nothing
        to tell; plain reposts carry none of their own).
    harm_source : Series
        ``known``, ``narrative``, ``text`` or ``none`` per ID of ``harm``.
    missing_sources : tuple of str
        Sources of repost chains absent from the projection (virtual contents).
    """

    narratives: list[Narrative]
    of_content: dict[str, str]
    table: pd.DataFrame = field(repr=False)
    harm: pd.Series = field(repr=False)
    harm_source: pd.Series = field(repr=False)
    missing_sources: tuple[str, ...] = ()

    def by_id(self) -> dict[str, Narrative]:
        """Narratives keyed by ID."""
        return {n.narrative_id: n for n in self.narratives}


# --------------------------------------------------------------------------- media hashes


def near_media_pairs(hashes: pd.Series, *, max_distance: int = 4) -> list[tuple[int, int]]:
    """Index pairs of rows whose media hashes are equal or near.

    Equal strings always match.  Hex strings of equal length (perceptual hashes)
    also match within ``max_distance`` differing bits: each hash is cut into
    ``max_distance + 1`` bands, two hashes that close share at least one band
    exactly (pigeonhole), so only hashes sharing a band bucket are compared.

    Returns pairs ``(i, j)`` of positions in ``hashes`` (i < j), linking every
    member of a group to the group's first member at least (enough for
    connected components).

    Notes
    -----
    O(n·b) for n hashes and b bands plus the comparisons inside buckets, done as
    numpy operations on 64-bit words; with random hashes a bucket holds few
    distinct hashes.
    """
    first, second = _media_links(hashes, max_distance=max_distance)
    return list(zip(first.tolist(), second.tolist()))


def _media_links(hashes: pd.Series, *, max_distance: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`near_media_pairs` as two integer arrays (the pairs' first and second rows)."""
    none = np.zeros(0, dtype=np.int64)
    s = hashes.reset_index(drop=True)
    s = s[s.notna() & (s.astype(str).str.strip() != "")].astype(str).str.strip()
    if s.empty:
        return none, none
    # equal hashes
    pos = pd.Series(s.index.to_numpy(), index=s.index)
    first = pos.groupby(s.to_numpy(), sort=False).transform("min")
    eq = first.index.to_numpy() != first.to_numpy()
    firsts, seconds = [first.to_numpy()[eq]], [first.index.to_numpy()[eq]]
    if max_distance > 0:
        uniq = s.drop_duplicates()
        hexes = uniq[uniq.str.match(_HEX)].str.lower().str.replace("0x", "", regex=False)
        for length, grp in hexes.groupby(hexes.str.len()):
            bits = 4 * int(length)
            if len(grp) < 2 or bits < 8 * (max_distance + 1):
                continue
            a, b = _near_hex([int(h, 16) for h in grp], bits, max_distance)
            idx = grp.index.to_numpy()
            firsts.append(idx[a])
            seconds.append(idx[b])
    return (
        np.concatenate(firsts).astype(np.int64, copy=False),
        np.concatenate(seconds).astype(np.int64, copy=False),
    )


def _near_hex(vals: list[int], bits: int, max_distance: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(a, c)`` (a < c) of ``vals`` (``bits``-bit integers) at most ``max_distance``
    bits apart, found in the buckets of ``max_distance + 1`` bands.

    A pair comes once, in the order of the band that first holds it in one bucket, then
    of its bucket (by first member), then of its members.
    """
    n = len(vals)
    bands = max_distance + 1
    width = bits // bands
    words = np.array(
        [[(v >> (64 * w)) & 0xFFFFFFFFFFFFFFFF for w in range(-(-bits // 64))] for v in vals],
        dtype=np.uint64,
    )
    found = []
    for b in range(bands):
        lo = b * width
        mask = (1 << (width if b < bands - 1 else bits - lo)) - 1
        bucket_of: dict[int, int] = {}
        bucket = np.array([bucket_of.setdefault((v >> lo) & mask, len(bucket_of)) for v in vals])
        order = np.argsort(
            bucket, kind="stable"
        )  # members by bucket (first seen first), then index
        end = np.cumsum(np.bincount(bucket))[bucket[order]]
        later = end - np.arange(n) - 1  # members after each one in its bucket
        at = np.repeat(np.arange(n), later)
        step = np.arange(len(at)) - np.repeat(np.cumsum(later) - later, later)
        a, c = order[at], order[at + 1 + step]
        near = np.bitwise_count(words[a] ^ words[c]).sum(axis=1) <= max_distance
        found.append(a[near] * n + c[near])
    key = np.concatenate(found)
    key = key[np.sort(np.unique(key, return_index=True)[1])]  # first band that holds the pair
    return key // n, key % n


# --------------------------------------------------------------------------- narratives


def own_texts(text: pd.Series, *, min_chars: int = 6) -> pd.Series:
    """The text narratives match on, per content: its own words (the part before any
    ``//@name:`` chain, which holds other people's), normalised
    (:func:`pileon.graph.textsim.normalize`), ``""`` when shorter than ``min_chars``.

    Each distinct text is normalised once: ``O(n)`` hashing plus the distinct texts.

    >>> own_texts(pd.Series(["网传某中学老师体罚学生//@b: 转发", None, "短"])).tolist()
    ['网传某中学老师体罚学生', '', '']
    """
    text = text.astype(object).where(text.notna(), "").astype(str)
    text_at, texts = pd.factorize(text.to_numpy(dtype=object))  # each distinct text once
    # a chain holds an ``@``: the pattern runs only on the texts that have one
    own = [_before_chain(t) if "@" in t else t for t in texts.tolist()]
    norms = normalize_distinct(own)  # strings, distinct (or nearly): no factorizing again
    kept = np.array([t if len(t) >= min_chars else "" for t in norms] + [""], dtype=object)
    return pd.Series(kept[text_at], dtype=object, index=text.index)


#: where a ``//@name:`` chain starts: the chain pattern of
#: :mod:`pileon.detectors.cascades` without its leading whitespace, so that its search
#: skips to each ``//`` instead of trying every place
_CHAIN_START = re.compile(r"//\s*@")


def _before_chain(text: str) -> str:
    """``cascades._CHAIN.sub("", text)``: the text before its first ``//@`` chain, without
    the whitespace before it (the pattern's ``\\s*`` and ``str.rstrip`` take the same
    characters).

    >>> _before_chain("好文 //@b: 转发 //@c: x")
    '好文'
    """
    found = _CHAIN_START.search(text)
    return text[: found.start()].rstrip() if found else text


def _order_key(times: pd.Series) -> np.ndarray:
    ns = pd.to_datetime(times, utc=True)
    v = ns.astype("int64").to_numpy()
    v = np.where(ns.isna().to_numpy(), np.iinfo(np.int64).max, v)
    return v


def detect_narratives(
    p: Projection,
    *,
    threshold: float = 0.6,
    media_max_distance: int = 4,
    harm_threshold: float = HARM_THRESHOLD,
    min_chars: int = 6,
    reaction_min: int = 3,
    text_model: bool = True,
    seed: int | None = None,
    text_pairs: pd.DataFrame | None = None,
) -> NarrativeResult:
    """Group the event's original contents into narratives of near-duplicates.

    Parameters
    ----------
    p : Projection
        The event's projection.
    threshold : float
        Character 3-shingle Jaccard similarity from which two texts are copies.
    media_max_distance : int
        Hex perceptual hashes of equal length that differ in at most this many
        bits show the same media (0: equal hashes only).
    harm_threshold : float
        Estimated harm from which a content or narrative is harmful.
    min_chars : int
        Texts shorter than this after normalisation match nothing (too short to tell
        a copy from a coincidence).
    reaction_min : int
        Scored reactions (comments, commented reposts) a narrative needs before their
        harm speaks for it, when none of its copies is scored.
    text_model : bool
        Fit the event's character n-gram model to estimate unknown harm from text.
    seed : int, optional
        Unused (the grouping is deterministic); accepted for a uniform detector signature.
    text_pairs : pandas.DataFrame, optional
        The near-duplicate pairs of the texts, computed elsewhere
        (:attr:`pileon.detectors.joins.Joins.text_pairs`, verified at ``threshold``):
        used instead of running MinHash LSH here.  Default: computed here.

    Returns
    -------
    NarrativeResult

    Notes
    -----
    Text matching is MinHash LSH over the distinct normalised texts
    (:func:`pileon.graph.textsim.near_duplicate_links`): about O(n·L) for n contents of L
    characters, never all pairs; a candidate is verified by exact Jaccard only when its two
    texts are not grouped yet, and a text is a candidate with at most the first
    :data:`pileon.graph.textsim.BUCKET_CAP` texts of each LSH bucket (so many
    near-identical texts cost about one check each; the error this bounds is stated
    there); media hashes by pigeonhole buckets; groups by
    sparse connected components; repost attribution by the pointer-jumping forest
    of :func:`pileon.detectors.cascades.repost_forest` (O(r log d)).  Texts are normalised
    once per distinct text, and the per-narrative figures are counted over integer
    narrative codes (bincounts, groupbys on integers), not grouped by ID strings.

    Examples
    --------
    >>> from pileon.graph.projection import Projection
    >>> c = lambda cid, a, m, t: {"content_id": cid, "account_id": a, "platform": "weibo",
    ...     "posted_at": f"2026-03-01T08:{m:02d}:00Z", "text": t}
    >>> p = Projection.from_tables({"event_id": "e"}, contents=[
    ...     c("c1", "a", 0, "网传某中学老师体罚学生，大家去骂她"),
    ...     c("c2", "b", 5, "网传某中学老师体罚学生!!大家去骂她"), c("c3", "x", 1, "今天天气很好")],
    ...     reposts=[{"repost_id": "r1", "account_id": "z", "source_id": "c2",
    ...               "reposted_at": "2026-03-01T09:00:00Z"}])
    >>> [(n.narrative_id, n.first_poster, n.size) for n in detect_narratives(p).narratives]
    [('n-c1', 'a', 3), ('n-c3', 'x', 1)]
    """
    del seed
    with no_cyclic_gc():
        return _narratives(
            p,
            threshold=threshold,
            media_max_distance=media_max_distance,
            harm_threshold=harm_threshold,
            min_chars=min_chars,
            reaction_min=reaction_min,
            text_model=text_model,
            text_pairs=text_pairs,
        )


def _narratives(
    p: Projection,
    *,
    threshold: float,
    media_max_distance: int,
    harm_threshold: float,
    min_chars: int,
    reaction_min: int,
    text_model: bool,
    text_pairs: pd.DataFrame | None,
) -> NarrativeResult:
    """:func:`detect_narratives`, with the cyclic collector paused by the caller."""
    c = p.contents.drop_duplicates(subset=["content_id"]).reset_index(drop=True)
    n = len(c)
    cid = c["content_id"].astype(str).to_numpy()
    placeholder = (
        c["placeholder"].to_numpy(dtype=bool) if "placeholder" in c else np.zeros(n, dtype=bool)
    )
    # the text before any ``//@name:`` chain: the rest is other people's words
    norm = own_texts(c["text"], min_chars=min_chars).where(~placeholder, "")

    # --- near-duplicate text over distinct texts, then media
    links_i: list[np.ndarray] = []
    links_j: list[np.ndarray] = []
    txt_rows = np.flatnonzero((norm != "").to_numpy())
    if len(txt_rows):
        norm_at, uniq = pd.factorize(norm.to_numpy(dtype=object)[txt_rows])
        first_row = txt_rows[np.unique(norm_at, return_index=True)[1]]  # first row of each text
        # rows with the same text join the first row with it
        links_i.append(first_row[norm_at])
        links_j.append(txt_rows)
        if text_pairs is None:  # links enough to group the texts, not every pair
            pa, pb = near_duplicate_links(
                uniq.tolist(), threshold=threshold, min_chars=min_chars, distinct=True
            )
        else:  # computed elsewhere (pileon.detectors.joins): the pairs of these texts
            pa, pb = pairs_among(text_pairs, pd.Index(uniq))
        links_i.append(first_row[pa])
        links_j.append(first_row[pb])
    mi, mj = _media_links(
        c["media_hash"].where(~placeholder, None), max_distance=media_max_distance
    )
    rows_i, rows_j = np.concatenate(links_i + [mi]), np.concatenate(links_j + [mj])
    graph = coo_matrix((np.ones(len(rows_i)), (rows_i, rows_j)), shape=(n, n))
    _, comp = connected_components(graph, directed=False) if n else (0, np.zeros(0, dtype=int))

    # --- first content of each group: earliest time, then content ID; source material of
    # authors who take no part in the event comes after every other content
    tkey = _order_key(c["posted_at"])
    order = _time_order(tkey, cid)
    passive = _passive_sources(p, c)
    if passive.any():
        order = order[np.argsort(passive[order], kind="stable")]
    first_pos = order[np.unique(comp[order], return_index=True)[1]]
    comp_nid = np.array([f"n-{x}" for x in cid[first_pos]], dtype=object)
    content_nid = comp_nid[comp]

    # --- reposts follow their root
    forest, root_at, roots, root_kind = _reposts_by_root(p)
    of_content = dict(zip(cid, content_nid))
    missing = sorted(set(roots[root_kind == "missing"].tolist()))
    # a root that is no content (a missing source, a repost cut out of a cycle) is the
    # root of its own narrative; looked up before the reposts join ``of_content``
    nid_of_root = np.array([of_content.get(r) or f"n-{r}" for r in roots], dtype=object)
    rep_nid = nid_of_root[root_at]
    # from lists: a Series' iteration reads its values one ``item`` call at a time
    of_content.update(zip(forest["repost_id"].tolist(), rep_nid.tolist()))
    of_content.update({m: f"n-{m}" for m in missing})
    # narratives as integer codes: the components first (their IDs are distinct), then the
    # narratives of missing sources and cycles
    ncode, names = pd.factorize(np.concatenate([comp_nid, nid_of_root]))
    kc, kr = comp.astype(np.int64), ncode[len(comp_nid) :][root_at]

    # --- harm per content and commented repost
    reps = _forest_reposts(p, forest)
    harm, source = _estimate_harm(
        c, norm, kc, forest, reps, harm_threshold=harm_threshold, text_model=text_model
    )

    # --- per-narrative table
    c_acc, r_acc = _account_codes(p, c, forest, reps)
    cdf = pd.DataFrame(
        {
            "code": kc,
            "content_id": cid,
            "account_id": c["account_id"].to_numpy(),
            "account": c_acc,
            "platform": c["platform"].to_numpy(),
            "tkey": tkey,
            "placeholder": placeholder,
            "passive": passive,
            "story": (
                ~placeholder
                & ~c["kind"].isin(REACTION_KINDS).to_numpy()
                & c["reply_to"].isna().to_numpy()
            ),
            "known": pd.to_numeric(c["harm"], errors="coerce").to_numpy(),
        }
    )
    rdf = pd.DataFrame(
        {
            "code": kr,
            "account": r_acc,
            "platform": (
                reps["platform"].to_numpy(dtype=object)
                if "platform" in reps
                else np.full(len(forest), None, dtype=object)
            ),
        }
    )
    platforms = _platforms(cdf, rdf, len(names))
    narr, code_at = _narrative_table(
        p,
        c,
        cdf,
        rdf,
        order,
        names,
        platforms,
        forest,
        harm,
        source,
        missing,
        of_content,
        harm_threshold=harm_threshold,
        reaction_min=reaction_min,
    )
    harm, source = _fill_from_narratives(cdf, narr, code_at, len(names), harm, source)

    members = _members(cid, kc, order, len(names))
    if missing:  # a missing source is the one content of its narrative
        at = pd.Index(names).get_indexer([f"n-{m}" for m in missing])
        for m, x in zip(missing, at.tolist()):
            members[x] = (m,)
    # by position, in the field order of Narrative (keywords cost a third more)
    narratives = [
        Narrative(
            nid,
            first_poster,
            first_content_id,
            platforms[k],
            size,
            harmful,
            members[k],
            None if h != h else h,  # NaN: nothing to tell
        )
        for nid, k, first_poster, first_content_id, size, harmful, h in zip(
            narr["narrative_id"].tolist(),
            code_at.tolist(),
            narr["first_poster"].tolist(),
            narr["first_content_id"].tolist(),
            narr["size"].astype(np.int64).tolist(),
            narr["harmful"].astype(bool).tolist(),
            narr["harm"].to_numpy(dtype=float).tolist(),
        )
    ]
    return NarrativeResult(
        narratives=narratives,
        of_content=of_content,
        table=narr,
        harm=harm,
        harm_source=source,
        missing_sources=tuple(missing),
    )


def _reposts_by_root(p: Projection) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """The reposts as :func:`pileon.detectors.cascades.repost_forest` orders them (by ID),
    with their roots: a frame of their ``repost_id``, ``account_id`` and ``comment``; the
    code of each one's root among the distinct roots (``pd.factorize`` of ``root_id``); the
    roots' IDs; and their ``root_kind``.

    When the projection's reposts are the forest's, already in ID order (the stores give
    them sorted), the roots are read from the coded forest's integer roots, and no frame of
    every forest column is built and sorted.
    """
    cf = coded_forest(p)
    nd = cf.nodes
    at = nd.n_contents + np.arange(len(nd.src))
    ids = nd.ids[at]
    if nd.src is p.reposts and (len(ids) < 2 or bool((ids[1:] > ids[:-1]).all())):
        root_at, held = pd.factorize(cf.root[at])  # node positions: one per root ID
        kind = nd.kind[held].copy()
        kind[kind == "repost"] = "cycle"  # as repost_forest's root_kind
        frame = pd.DataFrame(
            {
                "repost_id": ids,
                "account_id": nd.src["account_id"].to_numpy(),
                "comment": cf.comment,
            },
            copy=False,
        )
        return frame, root_at, nd.ids[held], kind
    forest = repost_forest(p)
    root_at, roots = pd.factorize(forest["root_id"].to_numpy(dtype=object))
    first = np.unique(root_at, return_index=True)[1]
    return forest, root_at, np.asarray(roots, dtype=object), forest["root_kind"].to_numpy()[first]


def _passive_sources(p: Projection, c: pd.DataFrame) -> np.ndarray:
    """Per row of ``c``: source material (``via == "source"``) whose author takes no part in
    the event (:attr:`pileon.graph.projection.Projection.source_only`)."""
    if "via" not in c:
        return np.zeros(len(c), dtype=bool)
    src = (c["via"] == "source").to_numpy(dtype=bool)
    if not src.any():
        return src
    return src & c["account_id"].isin(p.source_only).to_numpy(dtype=bool)


def _members(cid: np.ndarray, kc: np.ndarray, order: np.ndarray, k: int) -> list[tuple[str, ...]]:
    """Content IDs of each narrative code (``()`` for none), in ``order``."""
    by = order[np.argsort(kc[order], kind="stable")]
    ids = cid[by].tolist()  # slices of one list, not one numpy view per narrative
    ends = np.cumsum(np.bincount(kc, minlength=k)).tolist()
    return [tuple(ids[a:b]) for a, b in zip([0, *ends[:-1]], ends)]


def _platforms(cdf: pd.DataFrame, rdf: pd.DataFrame, k: int) -> list[tuple[str, ...]]:
    """Sorted distinct platforms of each of the ``k`` narrative codes, over its contents and
    reposts."""
    code = np.concatenate([cdf["code"].to_numpy(), rdf["code"].to_numpy()])
    pcode, plats = pd.factorize(
        np.concatenate(
            [cdf["platform"].to_numpy(dtype=object), rdf["platform"].to_numpy(dtype=object)]
        )
    )
    out: list[tuple[str, ...]] = [()] * k
    if not len(plats):
        return out
    by_name = np.argsort(plats, kind="stable")
    rank = np.empty(len(plats), dtype=np.int64)
    rank[by_name] = np.arange(len(plats))
    known = pcode >= 0
    key = np.sort(pd.unique(code[known] * len(plats) + rank[pcode[known]]))
    held, names = key // len(plats), plats[by_name][key % len(plats)]
    starts = np.flatnonzero(np.r_[True, held[1:] != held[:-1]])
    names_at = names.tolist()
    for h, a, b in zip(
        held[starts].tolist(), starts.tolist(), np.r_[starts[1:], len(key)].tolist()
    ):
        out[h] = tuple(names_at[a:b])
    return out


def _forest_reposts(p: Projection, forest: pd.DataFrame) -> pd.DataFrame:
    """The row of ``p.reposts`` of every repost of ``forest`` (the first per ID), in its order.

    ``p.reposts`` itself when it already holds them in that order (the stores give
    reposts sorted by ID), else found by ID.
    """
    ids = forest["repost_id"].to_numpy(dtype=object)
    if len(p.reposts) == len(ids) and np.array_equal(
        p.reposts["repost_id"].to_numpy(dtype=object), ids
    ):
        return p.reposts
    reps = p.reposts.drop_duplicates(subset=["repost_id"]).set_index("repost_id")
    return reps.reindex(forest["repost_id"]).reset_index()


def _estimate_harm(
    c: pd.DataFrame,
    norm: pd.Series,
    kc: np.ndarray,
    forest: pd.DataFrame,
    reps: pd.DataFrame,
    *,
    harm_threshold: float,
    text_model: bool,
) -> tuple[pd.Series, pd.Series]:
    """Harm per content and repost ID, and where it came from (see the module docstring).

    ``kc`` is the narrative code of each content, ``reps`` the reposts of ``forest``
    row by row.
    """
    known_c = pd.to_numeric(c["harm"], errors="coerce").to_numpy(dtype=float)
    comment = forest["comment"].to_numpy(dtype=object)
    has_comment = comment != ""
    # a plain repost's harm is not read: only the commented ones' (wide: 5M reposts, few)
    known_r = np.full(len(comment), np.nan)
    commented = np.flatnonzero(has_comment)
    if len(commented):
        known_r[commented] = repost_harm(reps.iloc[commented]).to_numpy()

    harm_c = known_c.copy()
    src_c = _labels(np.isnan(known_c), "none", "known")
    # 2. the other copies of its narrative
    s = pd.Series(known_c).groupby(kc).agg(["sum", "count"])
    others_n = s["count"].to_numpy()[kc] - (~np.isnan(known_c)).astype(int)
    others_sum = s["sum"].to_numpy()[kc] - np.nan_to_num(known_c)
    fill = np.isnan(harm_c) & (others_n > 0)
    harm_c[fill] = others_sum[fill] / others_n[fill]
    src_c[fill] = "narrative"

    harm_r = known_r.copy()
    src_r = _labels(np.isnan(known_r), "none", "known")
    # 3. the event's own text model
    if text_model:
        # only the commented reposts: a plain one's "" stays "" (wide: 5M reposts, few comments)
        rn = np.full(len(comment), "", dtype=object)
        if has_comment.any():
            rn[has_comment] = normalize_all(comment[has_comment])
        rnorm = pd.Series(rn, dtype=object)
        # the model learns from scored texts: a plain repost has neither text nor score
        texts = pd.concat([norm, rnorm.iloc[commented]], ignore_index=True)
        scores = np.concatenate([known_c, known_r[commented]])
        model = text_harm_model(texts, pd.Series(scores), harm_threshold=harm_threshold)
        if model is not None:
            todo_c = np.isnan(harm_c) & (norm != "").to_numpy()
            if todo_c.any():
                harm_c[todo_c] = model(norm[todo_c])
                src_c[todo_c & ~np.isnan(harm_c)] = "text"
            todo_r = np.isnan(harm_r) & has_comment & (rnorm != "").to_numpy()
            if todo_r.any():
                harm_r[todo_r] = model(rnorm[todo_r])
                src_r[todo_r & ~np.isnan(harm_r)] = "text"
    ids = np.concatenate([c["content_id"].astype(str).to_numpy(), forest["repost_id"].to_numpy()])
    harm = pd.Series(np.concatenate([harm_c, harm_r]), index=ids, dtype="float64")
    src = pd.Series(np.concatenate([src_c, src_r]), index=ids, dtype=object)
    return harm, src


def _labels(where: np.ndarray, yes: str, no: str) -> np.ndarray:
    """``np.where(where, yes, no)`` as an object array that holds the two strings themselves
    (not one new string per row).

    >>> _labels(np.array([True, False]), "none", "known").tolist()
    ['none', 'known']
    """
    out = np.full(len(where), no, dtype=object)
    out[where] = yes
    return out


def _fill_from_narratives(
    cdf: pd.DataFrame,
    narr: pd.DataFrame,
    code_at: np.ndarray,
    k: int,
    harm: pd.Series,
    source: pd.Series,
) -> tuple[pd.Series, pd.Series]:
    """Step 4 of the harm estimate (module docstring) for contents still unknown.

    The contents are the first ``len(cdf)`` entries of ``harm`` and ``source``; ``code_at``
    is the narrative code (of ``k``) of each row of ``narr``.
    """
    harm, source = harm.copy(), source.copy()
    todo = np.isnan(harm.to_numpy()[: len(cdf)]) & ~cdf["placeholder"].to_numpy()
    if not todo.any():
        return harm, source
    inferred = np.full(k, np.nan)
    inferred[code_at] = narr["harm"].where(narr["harm_source"] == "inferred").to_numpy(dtype=float)
    nh = inferred[cdf["code"].to_numpy()]
    fill = np.flatnonzero(todo & ~np.isnan(nh))
    harm.iloc[fill] = nh[fill]
    source.iloc[fill] = "narrative"
    return harm, source


def _narrative_table(
    p: Projection,
    c: pd.DataFrame,
    cdf: pd.DataFrame,
    rdf: pd.DataFrame,
    order: np.ndarray,
    names: np.ndarray,
    platforms: list[tuple[str, ...]],
    forest: pd.DataFrame,
    harm: pd.Series,
    source: pd.Series,
    missing: list[str],
    of_content: dict[str, str],
    *,
    harm_threshold: float,
    reaction_min: int,
) -> tuple[pd.DataFrame, np.ndarray]:
    """One row per narrative with sizes, first poster and harm, and the narrative code of
    each row.

    Narratives are integer codes (``cdf["code"]``, ``rdf["code"]``) into ``names``; the
    contents come first in ``harm`` and ``source``, then the reposts of ``forest``.
    """
    n, k = len(cdf), len(names)
    code = cdf["code"].to_numpy()
    # the contents' codes are 0 .. kc - 1: the first row of each in ``order``
    held, first_at = np.unique(code[order], return_index=True)
    first = order[first_at]
    kc = len(held)
    # the first poster: the first known account (pandas' groupby first), unless the first
    # content is a placeholder or source material
    account = cdf["account_id"].to_numpy(dtype=object)
    known_account = order[pd.notna(account[order])]
    poster = np.full(kc, None, dtype=object)
    with_account, at_known = np.unique(code[known_account], return_index=True)
    poster[with_account] = account[known_account[at_known]]
    poster[(cdf["placeholder"].to_numpy() | cdf["passive"].to_numpy())[first]] = None
    tab = pd.DataFrame(
        {
            "first_content_id": cdf["content_id"].to_numpy(dtype=object)[first],
            "first_poster": poster,
            "first_tkey": cdf["tkey"].to_numpy()[first],
            "n_contents": np.bincount(code, minlength=kc),
            "story": np.bincount(code, weights=cdf["story"].to_numpy(), minlength=kc) > 0,
            "known_harm": _group_means(code, cdf["known"].to_numpy(dtype=float), kc),
        }
    )
    # missing sources and cycle roots
    extra = np.flatnonzero(np.bincount(rdf["code"].to_numpy(), minlength=k)[kc:]) + kc
    if len(extra):
        ids = [names[x][2:] for x in extra]
        add = pd.DataFrame(index=pd.Index(extra))
        add["first_content_id"] = ids
        add["first_poster"] = None
        add["first_tkey"] = np.iinfo(np.int64).max
        missing_set = set(missing)
        add["n_contents"] = [1 if i in missing_set else 0 for i in ids]
        add["story"] = False
        add["known_harm"] = np.nan
        tab = pd.concat([tab, add])
    at = tab.index.to_numpy()
    tab["n_reposts"] = np.bincount(rdf["code"].to_numpy(), minlength=k)[at]
    tab["size"] = tab["n_contents"].astype(int) + tab["n_reposts"]
    tab["n_accounts"] = _distinct_per_code(
        np.concatenate([cdf["code"].to_numpy(), rdf["code"].to_numpy()]),
        np.concatenate([cdf["account"].to_numpy(), rdf["account"].to_numpy()]),
        k,
    )[at]
    tab["n_platforms"] = np.array([len(x) for x in platforms], dtype=np.int64)[at]

    # reactions: comments replying to its contents, commented reposts in its forest
    replies = c[c["reply_to"].notna()]
    r_code = np.zeros(0, dtype=np.int64)
    if len(replies):
        code_of = dict(zip(cdf["content_id"], code))
        r_code = np.array(
            [code_of.get(x, -1) for x in replies["reply_to"].astype(str)], dtype=np.int64
        )
    r_h = pd.to_numeric(replies["harm"], errors="coerce").to_numpy(dtype=float)
    rep_h = np.where(forest["comment"].to_numpy() != "", harm.to_numpy()[n:], np.nan)
    rep_known = source.to_numpy()[n:] == "known"
    react = pd.DataFrame(
        {
            "code": np.concatenate([r_code, rdf["code"].to_numpy()]),
            "h": np.concatenate([r_h, np.where(rep_known, rep_h, np.nan)]),
        }
    )
    react = react[(react["code"] >= 0).to_numpy() & react["h"].notna().to_numpy()]
    rg = react.groupby("code")["h"].agg(["mean", "count"]).reindex(tab.index)
    # reports on its contents and reposts (not on missing sources)
    rep_counts = np.zeros(len(tab))
    if len(p.reports) and "content_id" in p.reports:
        rc = p.reports.dropna(subset=["content_id"])
        skip = set(missing)
        code_of_name = dict(zip(names, range(k)))
        rn = [
            code_of_name[of_content[x]]
            for x in rc["content_id"].astype(str)
            if x in of_content and x not in skip
        ]
        rep_counts = np.bincount(np.array(rn, dtype=np.int64), minlength=k)[at].astype(float)
    tab["n_reports"] = rep_counts.astype(int)
    text_h = pd.DataFrame(
        {"code": cdf["code"], "h": harm.to_numpy()[:n], "s": source.to_numpy()[:n]}
    )
    text_h = text_h[text_h["s"] == "text"].groupby("code")["h"].mean().reindex(tab.index)

    targets = set(p.event.target_ids)
    targets.update(chain.from_iterable(c["target_ids"]))
    by_target = tab["first_poster"].isin(targets).to_numpy()
    n_story = np.maximum(tab["n_contents"].to_numpy(), 1)
    report_signal = np.where(rep_counts > 0, 1.0 - 0.5 ** (rep_counts / n_story), np.nan)
    react_signal = np.where(
        rg["count"].fillna(0).to_numpy() >= reaction_min, rg["mean"].to_numpy(), np.nan
    )
    react_signal[by_target] = np.nan
    report_signal[by_target] = np.nan
    signals = np.vstack([text_h.to_numpy(dtype=float), react_signal, report_signal])
    have = (~np.isnan(signals)).sum(axis=0)
    inferred = np.where(have > 0, np.nansum(signals, axis=0) / np.maximum(have, 1), np.nan)
    known = tab["known_harm"].to_numpy(dtype=float)
    tab["harm"] = np.where(~np.isnan(known), known, inferred)
    tab["harm_source"] = np.where(
        ~np.isnan(known), "known", np.where(np.isnan(inferred), "none", "inferred")
    )
    tab["harmful"] = tab["harm"].fillna(0.0) >= harm_threshold
    tab["code"] = at
    tab.index = pd.Index(names[at], name="narrative_id")
    tab = tab.reset_index()
    unknown = tab["first_tkey"].to_numpy() == np.iinfo(np.int64).max
    times = pd.to_datetime(
        np.where(unknown, 0, tab["first_tkey"].to_numpy()).astype(np.int64), utc=True
    )
    tab["first_time"] = pd.Series(times).where(~unknown, pd.NaT)
    # by first time, then ID: Python's sort of the IDs gives their ranks (numpy's of an
    # object array is several times slower), then one integer sort
    ids = tab["narrative_id"].tolist()
    rank = np.empty(len(ids), dtype=np.int64)
    rank[sorted(range(len(ids)), key=ids.__getitem__)] = np.arange(len(ids))
    tab = tab.take(np.lexsort((rank, tab["first_tkey"].to_numpy()))).reset_index(drop=True)
    return tab[
        [
            "narrative_id",
            "first_content_id",
            "first_poster",
            "first_time",
            "n_contents",
            "n_reposts",
            "size",
            "n_accounts",
            "n_platforms",
            "story",
            "harm",
            "harm_source",
            "harmful",
            "n_reports",
        ]
    ], tab["code"].to_numpy()


def _group_means(code: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """The mean of the non-missing ``values`` of each of the ``k`` codes (NaN: none), as
    pandas' groupby mean gives it: a code with one value has that value, the others are
    averaged by pandas itself (its compensated sum)."""
    have = ~np.isnan(values)
    count = np.bincount(code[have], minlength=k)
    out = np.full(k, np.nan)
    one = have & (count[code] == 1)
    out[code[one]] = values[one]
    many = have & (count[code] > 1)
    if many.any():
        means = pd.Series(values[many]).groupby(code[many]).mean()
        out[means.index.to_numpy()] = means.to_numpy()
    return out


def _distinct_per_code(code: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """How many distinct ``values`` (integer codes, -1: missing) each of the ``k`` codes
    holds."""
    known = values >= 0
    m = int(values.max()) + 1 if known.any() else 1
    pairs = pd.unique(code[known] * m + values[known])
    return np.bincount(pairs // m, minlength=k)


def _account_codes(
    p: Projection, c: pd.DataFrame, forest: pd.DataFrame, reps: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """One integer code per account (-1: none) for each row of ``c`` and of ``forest``.

    When ``reps`` is ``p.reposts`` itself (the forest's reposts, row by row), the reposts'
    codes are :func:`pileon.detectors.cascades.repost_authors`' (hashed once per projection,
    for the repeat posters and the features too) and only the distinct authors and the
    contents' accounts are hashed here.
    """
    content_acc = c["account_id"].to_numpy(dtype=object)
    if reps is p.reposts:
        rcode, names = repost_authors(p)
        codes = pd.factorize(np.concatenate([names, content_acc]))[0]  # the names: 0 .. A - 1
        return codes[len(names) :].astype(np.int64), rcode
    codes = pd.factorize(
        np.concatenate([content_acc, forest["account_id"].to_numpy(dtype=object)])
    )[0].astype(np.int64)
    return codes[: len(c)], codes[len(c) :]


__all__ = [
    "detect_narratives",
    "own_texts",
    "NarrativeResult",
    "near_media_pairs",
    "REACTION_KINDS",
]
