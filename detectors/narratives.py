"""Narratives: groups of near-duplicate original contents, their sizes, first posters and harm.

A narrative is a group of the event's ORIGINAL contents (the ``contents``
frame: posts, videos, comments, messages; not reposts) that copy one another
across accounts and platforms: near-duplicate text (MinHash LSH over character
shingles, :mod:`graph.textsim`, so Chinese without spaces works and no pair of
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
  no contents.

Hence ``sum(size) == len(p.contents) + len(missing_sources) + len(p.reposts)``
(reposts counted once per ID).

Harm.  ``contents.harm`` is an upstream model's probability of abuse; absent
means unknown.  :func:`detect_narratives` estimates a harm for every content and
commented repost (:attr:`NarrativeResult.harm`, with
:attr:`NarrativeResult.harm_source` telling where it came from):

1. ``known``: its own score;
2. ``narrative``: the mean known score of the other copies of its narrative;
3. ``text``: a naive Bayes model over character n-grams trained on the event's
   own scored texts (only when the event has enough scored texts of both kinds);
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

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from detectors.cascades import _CHAIN, extra_float, repost_forest
from detectors.findings import Narrative
from graph.projection import Projection
from graph.textsim import near_duplicate_pairs, normalize

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
    O(n·b) for n hashes and b bands plus the comparisons inside buckets; with
    random hashes a bucket holds few distinct hashes.
    """
    s = hashes.reset_index(drop=True)
    s = s[s.notna() & (s.astype(str).str.strip() != "")].astype(str).str.strip()
    pairs: list[tuple[int, int]] = []
    if s.empty:
        return pairs
    # equal hashes
    pos = pd.Series(s.index.to_numpy(), index=s.index)
    first = pos.groupby(s.to_numpy(), sort=False).transform("min")
    eq = first.index.to_numpy() != first.to_numpy()
    pairs += list(zip(first.to_numpy()[eq].tolist(), first.index.to_numpy()[eq].tolist()))
    if max_distance <= 0:
        return pairs
    uniq = s.drop_duplicates()
    hexes = uniq[uniq.str.match(_HEX)].str.lower().str.replace("0x", "", regex=False)
    for length, grp in hexes.groupby(hexes.str.len()):
        bits = 4 * int(length)
        if len(grp) < 2 or bits < 8 * (max_distance + 1):
            continue
        vals = [int(h, 16) for h in grp]
        idx = grp.index.to_numpy()
        bands = max_distance + 1
        width = bits // bands
        seen: set[tuple[int, int]] = set()
        for b in range(bands):
            lo = b * width
            w = width if b < bands - 1 else bits - lo
            mask = (1 << w) - 1
            buckets: dict[int, list[int]] = {}
            for k, v in enumerate(vals):
                buckets.setdefault((v >> lo) & mask, []).append(k)
            for members in buckets.values():
                if len(members) < 2:
                    continue
                for x in range(len(members)):
                    for y in range(x + 1, len(members)):
                        a, c = members[x], members[y]
                        if (a, c) in seen:
                            continue
                        seen.add((a, c))
                        if bin(vals[a] ^ vals[c]).count("1") <= max_distance:
                            pairs.append((int(idx[a]), int(idx[c])))
    return pairs


# --------------------------------------------------------------------------- text harm model

def _ngrams(text: str, orders: tuple[int, ...] = (1, 2)) -> list[str]:
    return [text[i:i + k] for k in orders for i in range(len(text) - k + 1)]


def text_harm_model(texts: pd.Series, harm: pd.Series, *, harm_threshold: float = 0.5,
                    min_per_class: int = 20, alpha: float = 1.0,
                    orders: tuple[int, ...] = (1, 2)):
    """Fit a character n-gram naive Bayes model on the event's scored texts.

    Parameters
    ----------
    texts : Series of str
        Texts (already normalised with :func:`graph.textsim.normalize`).
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

    Returns
    -------
    callable or None
        ``predict(texts) -> ndarray`` of probabilities (NaN for empty texts).

    Notes
    -----
    O(total characters) to fit and to predict, over distinct texts only.
    """
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
    pos = np.asarray(m[y].sum(axis=0)).ravel() + alpha
    neg = np.asarray(m[~y].sum(axis=0)).ravel() + alpha
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


# --------------------------------------------------------------------------- narratives

def _order_key(times: pd.Series) -> np.ndarray:
    ns = pd.to_datetime(times, utc=True)
    v = ns.astype("int64").to_numpy()
    v = np.where(ns.isna().to_numpy(), np.iinfo(np.int64).max, v)
    return v


def detect_narratives(p: Projection, *, threshold: float = 0.6, media_max_distance: int = 4,
                      harm_threshold: float = 0.5, min_chars: int = 6,
                      reaction_min: int = 3, text_model: bool = True,
                      seed: int | None = None) -> NarrativeResult:
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

    Returns
    -------
    NarrativeResult

    Notes
    -----
    Text matching is MinHash LSH over the distinct normalised texts, each
    candidate pair verified by exact Jaccard: about O(n·L) for n contents of L
    characters, never all pairs; media hashes by pigeonhole buckets; groups by
    sparse connected components; repost attribution by the pointer-jumping forest
    of :func:`detectors.cascades.repost_forest` (O(r log d)).

    Examples
    --------
    >>> from graph.projection import Projection
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
    c = p.contents.drop_duplicates(subset=["content_id"]).reset_index(drop=True)
    n = len(c)
    cid = c["content_id"].astype(str).to_numpy()
    placeholder = (c["placeholder"].to_numpy(dtype=bool) if "placeholder" in c
                   else np.zeros(n, dtype=bool))
    # the text before any ``//@name:`` chain: the rest is other people's words
    own = c["text"].astype(object).where(c["text"].notna(), "").astype(str).str.replace(
        _CHAIN, "", regex=True)
    norm = own.map(normalize).where(~placeholder, "")
    norm = norm.where(norm.str.len() >= min_chars, "")

    # --- near-duplicate text over distinct texts, then media
    uniq = pd.Series(pd.unique(norm[norm != ""]))
    rows_i: list[int] = []
    rows_j: list[int] = []
    if len(uniq):
        first_row = pd.Series(np.arange(n))[norm != ""].groupby(norm[norm != ""]).first()
        # rows with the same text join the first row with it
        txt_rows = np.flatnonzero((norm != "").to_numpy())
        firsts = first_row.reindex(norm.iloc[txt_rows]).to_numpy()
        rows_i += firsts.tolist()
        rows_j += txt_rows.tolist()
        pairs = near_duplicate_pairs(uniq.tolist(), threshold=threshold, min_chars=min_chars,
                                     normalized=True)
        fr = first_row.reindex(uniq).to_numpy()
        for a, b, _ in pairs:
            rows_i.append(int(fr[a]))
            rows_j.append(int(fr[b]))
    media = c["media_hash"].where(~placeholder, None)
    for a, b in near_media_pairs(media, max_distance=media_max_distance):
        rows_i.append(a)
        rows_j.append(b)
    graph = coo_matrix((np.ones(len(rows_i)), (rows_i, rows_j)), shape=(n, n))
    _, comp = connected_components(graph, directed=False) if n else (0, np.zeros(0, dtype=int))

    # --- first content of each group: earliest time, then content ID
    tkey = _order_key(c["posted_at"])
    order = np.lexsort((cid, tkey))
    first_pos = pd.Series(order).groupby(comp[order]).first()
    nid_of_comp = {k: f"n-{cid[v]}" for k, v in first_pos.items()}
    content_nid = np.array([nid_of_comp[k] for k in comp], dtype=object)

    # --- reposts follow their root
    forest = repost_forest(p)
    root_nid = dict(zip(cid, content_nid))
    missing = sorted(set(forest.loc[forest["root_kind"] == "missing", "root_id"]))
    for m in missing:
        root_nid[m] = f"n-{m}"
    rep_nid = forest["root_id"].map(root_nid)
    cyc = rep_nid.isna()
    rep_nid[cyc] = "n-" + forest.loc[cyc, "root_id"].astype(str)
    of_content = dict(zip(cid, content_nid))
    of_content.update(zip(forest["repost_id"], rep_nid))
    of_content.update({m: f"n-{m}" for m in missing})

    # --- harm per content and commented repost
    harm, source = _estimate_harm(p, c, norm, content_nid, forest,
                                  harm_threshold=harm_threshold, text_model=text_model)

    # --- per-narrative table
    cdf = pd.DataFrame({"narrative_id": content_nid, "content_id": cid,
                        "account_id": c["account_id"].to_numpy(), "platform": c["platform"].to_numpy(),
                        "tkey": tkey, "placeholder": placeholder,
                        "story": (~placeholder & ~c["kind"].isin(REACTION_KINDS).to_numpy()
                                  & c["reply_to"].isna().to_numpy()),
                        "known": pd.to_numeric(c["harm"], errors="coerce").to_numpy()})
    rdf = pd.DataFrame({"narrative_id": rep_nid.to_numpy(), "account_id": forest["account_id"].to_numpy(),
                        "platform": _repost_platforms(p, forest)})
    narr = _narrative_table(p, c, cdf, rdf, forest, harm, source, missing,
                            harm_threshold=harm_threshold, reaction_min=reaction_min)
    harm, source = _fill_from_narratives(cdf, narr, harm, source)

    narratives = []
    members = cdf.sort_values(["tkey", "content_id"], kind="mergesort").groupby("narrative_id")["content_id"]
    members = members.apply(tuple).to_dict()
    plats_c = cdf.dropna(subset=["platform"]).groupby("narrative_id")["platform"].apply(set).to_dict()
    plats_r = rdf.dropna(subset=["platform"]).groupby("narrative_id")["platform"].apply(set).to_dict()
    for row in narr.itertuples(index=False):
        plats = sorted(plats_c.get(row.narrative_id, set()) | plats_r.get(row.narrative_id, set()))
        content_ids = members.get(row.narrative_id, ())
        if row.narrative_id[2:] in missing:
            content_ids = (row.narrative_id[2:],)
        narratives.append(Narrative(
            narrative_id=row.narrative_id, first_poster=row.first_poster,
            first_content_id=row.first_content_id, platforms=tuple(plats), size=int(row.size),
            harmful=bool(row.harmful), content_ids=tuple(content_ids),
            harm=None if pd.isna(row.harm) else float(row.harm)))
    return NarrativeResult(narratives=narratives, of_content=of_content, table=narr,
                           harm=harm, harm_source=source, missing_sources=tuple(missing))


def _repost_platforms(p: Projection, forest: pd.DataFrame) -> np.ndarray:
    if "platform" in p.reposts:
        plat = p.reposts.drop_duplicates(subset=["repost_id"]).set_index("repost_id")["platform"]
        return plat.reindex(forest["repost_id"]).to_numpy(dtype=object)
    return np.full(len(forest), None, dtype=object)


def _estimate_harm(p: Projection, c: pd.DataFrame, norm: pd.Series, content_nid: np.ndarray,
                   forest: pd.DataFrame, *, harm_threshold: float,
                   text_model: bool) -> tuple[pd.Series, pd.Series]:
    """Harm per content and repost ID, and where it came from (see the module docstring)."""
    known_c = pd.to_numeric(c["harm"], errors="coerce").to_numpy(dtype=float)
    reps = p.reposts.drop_duplicates(subset=["repost_id"]).set_index("repost_id")
    reps = reps.reindex(forest["repost_id"])
    known_r = extra_float(reps.reset_index(), "harm").to_numpy()
    comment = forest["comment"].to_numpy(dtype=object)
    has_comment = comment != ""
    known_r = np.where(has_comment, known_r, np.nan)

    harm_c = known_c.copy()
    src_c = np.where(np.isnan(known_c), "none", "known").astype(object)
    # 2. the other copies of its narrative
    df = pd.DataFrame({"nid": content_nid, "h": known_c})
    s = df.groupby("nid")["h"].agg(["sum", "count"])
    tot = s.reindex(content_nid)
    others_n = tot["count"].to_numpy() - (~np.isnan(known_c)).astype(int)
    others_sum = tot["sum"].to_numpy() - np.nan_to_num(known_c)
    fill = np.isnan(harm_c) & (others_n > 0)
    harm_c[fill] = others_sum[fill] / others_n[fill]
    src_c[fill] = "narrative"

    harm_r = known_r.copy()
    src_r = np.where(np.isnan(known_r), "none", "known").astype(object)
    # 3. the event's own text model
    if text_model:
        rnorm = pd.Series(comment).map(normalize)
        texts = pd.concat([norm, rnorm], ignore_index=True)
        scores = np.concatenate([known_c, known_r])
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


def _fill_from_narratives(cdf: pd.DataFrame, narr: pd.DataFrame, harm: pd.Series,
                          source: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Step 4 of the harm estimate (module docstring) for contents still unknown."""
    harm, source = harm.copy(), source.copy()
    ids = cdf["content_id"].to_numpy()
    todo = harm.reindex(ids).isna().to_numpy() & ~cdf["placeholder"].to_numpy()
    if not todo.any():
        return harm, source
    inferred = narr.set_index("narrative_id")["harm"].where(
        narr.set_index("narrative_id")["harm_source"] == "inferred")
    nh = inferred.reindex(cdf["narrative_id"]).to_numpy(dtype=float)
    fill = todo & ~np.isnan(nh)
    harm.loc[ids[fill]] = nh[fill]
    source.loc[ids[fill]] = "narrative"
    return harm, source


def _narrative_table(p: Projection, c: pd.DataFrame, cdf: pd.DataFrame, rdf: pd.DataFrame,
                     forest: pd.DataFrame, harm: pd.Series, source: pd.Series,
                     missing: list[str], *, harm_threshold: float,
                     reaction_min: int) -> pd.DataFrame:
    """One row per narrative with sizes, first poster and harm."""
    real = cdf.sort_values(["tkey", "content_id"], kind="mergesort")
    first = real.groupby("narrative_id", sort=False).first()
    g = cdf.groupby("narrative_id")
    tab = pd.DataFrame({
        "first_content_id": first["content_id"],
        "first_poster": first["account_id"].where(~first["placeholder"], None),
        "first_tkey": first["tkey"],
        "n_contents": g.size(),
        "story": g["story"].any(),
        "known_harm": g["known"].mean(),
    })
    # missing sources and cycle roots
    extra_ids = sorted(set(rdf["narrative_id"]) - set(tab.index))
    if extra_ids:
        add = pd.DataFrame(index=pd.Index(extra_ids, name="narrative_id"))
        add["first_content_id"] = [i[2:] for i in extra_ids]
        add["first_poster"] = None
        add["first_tkey"] = np.iinfo(np.int64).max
        add["n_contents"] = [1 if i[2:] in missing else 0 for i in extra_ids]
        add["story"] = False
        add["known_harm"] = np.nan
        tab = pd.concat([tab, add])
    tab.index.name = "narrative_id"
    tab["n_reposts"] = rdf.groupby("narrative_id").size().reindex(tab.index).fillna(0).astype(int)
    tab["size"] = tab["n_contents"].astype(int) + tab["n_reposts"]
    acc = pd.concat([cdf[["narrative_id", "account_id"]], rdf[["narrative_id", "account_id"]]])
    tab["n_accounts"] = acc.dropna().groupby("narrative_id")["account_id"].nunique().reindex(tab.index).fillna(0).astype(int)
    pl = pd.concat([cdf[["narrative_id", "platform"]], rdf[["narrative_id", "platform"]]])
    tab["n_platforms"] = pl.dropna().groupby("narrative_id")["platform"].nunique().reindex(tab.index).fillna(0).astype(int)

    # reactions: comments replying to its contents, commented reposts in its forest
    nid_of = dict(zip(cdf["content_id"], cdf["narrative_id"]))
    replies = c[c["reply_to"].notna()]
    r_nid = replies["reply_to"].astype(str).map(nid_of)
    r_h = pd.to_numeric(replies["harm"], errors="coerce")
    rep_h = harm.reindex(forest["repost_id"]).where(forest["comment"].to_numpy() != "")
    rep_known = source.reindex(forest["repost_id"]).to_numpy() == "known"
    react = pd.concat([pd.DataFrame({"nid": r_nid.to_numpy(), "h": r_h.to_numpy()}),
                       pd.DataFrame({"nid": rdf["narrative_id"].to_numpy(),
                                     "h": np.where(rep_known, rep_h.to_numpy(), np.nan)})]).dropna()
    rg = react.groupby("nid")["h"].agg(["mean", "count"]).reindex(tab.index)
    # reports on its contents and reposts
    rep_counts = pd.Series(0, index=tab.index, dtype=float)
    if len(p.reports) and "content_id" in p.reports:
        rc = p.reports.dropna(subset=["content_id"])
        nid_all = pd.Series({**nid_of, **dict(zip(forest["repost_id"], rdf["narrative_id"]))})
        rn = rc["content_id"].astype(str).map(nid_all).dropna()
        rep_counts = rn.value_counts().reindex(tab.index).fillna(0).astype(float)
    tab["n_reports"] = rep_counts.astype(int)
    text_h = pd.DataFrame({"nid": cdf["narrative_id"], "h": harm.reindex(cdf["content_id"]).to_numpy(),
                           "s": source.reindex(cdf["content_id"]).to_numpy()})
    text_h = text_h[text_h["s"] == "text"].groupby("nid")["h"].mean().reindex(tab.index)

    targets = set(p.event.target_ids)
    for t in c["target_ids"]:
        targets |= set(t)
    by_target = tab["first_poster"].isin(targets).to_numpy()
    n_story = np.maximum(tab["n_contents"].to_numpy(), 1)
    report_signal = np.where(rep_counts.to_numpy() > 0,
                             1.0 - 0.5 ** (rep_counts.to_numpy() / n_story), np.nan)
    react_signal = np.where(rg["count"].fillna(0).to_numpy() >= reaction_min,
                            rg["mean"].to_numpy(), np.nan)
    react_signal[by_target] = np.nan
    report_signal[by_target] = np.nan
    signals = np.vstack([text_h.to_numpy(dtype=float), react_signal, report_signal])
    have = (~np.isnan(signals)).sum(axis=0)
    inferred = np.where(have > 0, np.nansum(signals, axis=0) / np.maximum(have, 1), np.nan)
    known = tab["known_harm"].to_numpy(dtype=float)
    tab["harm"] = np.where(~np.isnan(known), known, inferred)
    tab["harm_source"] = np.where(~np.isnan(known), "known",
                                  np.where(np.isnan(inferred), "none", "inferred"))
    tab["harmful"] = tab["harm"].fillna(0.0) >= harm_threshold
    tab = tab.reset_index()
    unknown = tab["first_tkey"].to_numpy() == np.iinfo(np.int64).max
    times = pd.to_datetime(np.where(unknown, 0, tab["first_tkey"].to_numpy()).astype(np.int64), utc=True)
    tab["first_time"] = pd.Series(times).where(~unknown, pd.NaT)
    tab = tab.sort_values(["first_tkey", "narrative_id"], kind="mergesort").reset_index(drop=True)
    return tab[["narrative_id", "first_content_id", "first_poster", "first_time", "n_contents",
                "n_reposts", "size", "n_accounts", "n_platforms", "story", "harm", "harm_source",
                "harmful", "n_reports"]]


__all__ = ["detect_narratives", "NarrativeResult", "near_media_pairs", "text_harm_model",
           "REACTION_KINDS"]
