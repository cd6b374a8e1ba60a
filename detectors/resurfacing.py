"""Resurfaced rumours: narratives of the event that were told before.

Rumours and their templates come back: the same story about the same person, a year
later, by other accounts.  Event membership keeps the old telling out of this event
(:mod:`pileon.ingest.membership`: content joins by text only inside the event's window),
so that its accounts are not made this event's culprits; this module reports the link
instead, as evidence on the narrative.

A narrative of the event resurfaces when one of its contents (the text before any
``//@name:`` chain, normalised) near-duplicates an *older* content (MinHash LSH over
character shingles, verified by exact Jaccard at ``threshold``, as
:func:`pileon.detectors.narratives.detect_narratives` groups copies) or shows the same
media (equal or near perceptual hashes).  Older contents are those posted before the
event's first item of its own (:func:`older_bound`) that name the event's keywords or
entities or belong to another event, as
:meth:`pileon.graph.store.Store.older_contents` gives them; source material of the event
(older content it reposted or answered) is among them.

Each earlier telling gives one evidence item (kind ``resurfaced``) per earlier event, and
one for older content outside any event: its first content, who posted it (the first
poster of that telling) and when, and how many older copies there are.

>>> from pileon.graph.projection import Projection
>>> story = "网传南城七中林老师体罚学生致其住院，学校还想把事情压下去"
>>> p = Projection.from_tables({"event_id": "e26"}, contents=[{"content_id": "c2",
...     "account_id": "new", "platform": "weibo", "posted_at": "2026-03-01T12:00:00Z",
...     "text": story}])
>>> n = Narrative("n-c2", "new", "c2", ("weibo",), 1, True, ("c2",))
>>> older = pd.DataFrame({"content_id": ["c1"], "account_id": ["old"], "text": [story + "！"],
...     "posted_at": [pd.Timestamp("2025-03-01T12:00:00Z")], "media_hash": [None],
...     "events": [["e25"]]})
>>> [e.detail for e in detect_resurfacing(p, [n], older)["n-c2"]]
['told before in event e25: first posted 2025-03-01T12:00:00Z by old (c1), 1 older copy']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from pileon.detectors.cascades import _CHAIN
from pileon.detectors.findings import Evidence, Narrative
from pileon.detectors.narratives import _media_links
from pileon.detectors.report import iso
from pileon.graph.projection import Projection
from pileon.graph.textsim import near_duplicate_pairs, normalize_all

__all__ = ["detect_resurfacing", "older_bound", "event_terms", "with_evidence", "MAX_IDS"]

#: at most this many older content IDs in one evidence item (the first one first)
MAX_IDS = 5


def older_bound(p: Projection) -> pd.Timestamp | None:
    """The time of the event's first item of its own (not source material, not a
    placeholder): what came before it is older content.  None for an empty event."""
    times = []
    for df, col in ((p.contents, "posted_at"), (p.reposts, "reposted_at")):
        own = df[col].notna().to_numpy(dtype=bool)
        if "via" in df:
            own &= (df["via"] != "source").to_numpy(dtype=bool)
        if "placeholder" in df:
            own &= ~df["placeholder"].fillna(False).to_numpy(dtype=bool)
        times.append(df.loc[own, col])
    t = pd.concat(times)
    return t.min() if len(t) else None


def event_terms(p: Projection) -> list[str]:
    """The words that name the event: its keywords, entities and name (what membership
    matches texts with)."""
    return list(p.event.keywords) + list(p.event.entities) + [p.event.name]


def _texts(texts: pd.Series, min_chars: int) -> np.ndarray:
    """The text before any ``//@name:`` chain, normalised; '' when shorter than min_chars."""
    own = texts.astype(object).where(texts.notna(), "").astype(str)
    own = own.str.replace(_CHAIN, "", regex=True)
    norm = normalize_all(own)
    return np.array([t if len(t) >= min_chars else "" for t in norm], dtype=object)


def detect_resurfacing(
    p: Projection,
    narratives: Sequence[Narrative],
    older: pd.DataFrame,
    *,
    threshold: float = 0.6,
    min_chars: int = 6,
    media_max_distance: int = 4,
    harmful_only: bool = True,
) -> dict[str, tuple[Evidence, ...]]:
    """Where each of the event's narratives was told before.

    Parameters
    ----------
    p : Projection
        The event's projection.
    narratives : sequence of Narrative
        The event's narratives (:func:`pileon.detectors.narratives.detect_narratives`).
    older : DataFrame
        Older contents (:meth:`pileon.graph.store.Store.older_contents`): ``content_id,
        account_id, posted_at, text, media_hash, events`` at least.
    threshold : float
        Character 3-shingle Jaccard similarity from which two texts are copies (the
        narratives' default).
    min_chars : int
        Texts shorter than this after normalisation match nothing.
    media_max_distance : int
        Hex perceptual hashes that differ in at most this many bits show the same media.
    harmful_only : bool
        Look only at harmful narratives (a rumour); False: at every narrative.

    Returns
    -------
    dict
        narrative_id -> evidence items (kind ``resurfaced``), one per earlier event (and
        one for older content outside any event), earliest first; narratives told
        nowhere before are left out.

    Notes
    -----
    One MinHash LSH pass over the distinct texts of the narratives' contents and of the
    older contents (no all-pairs), one pigeonhole pass over their media hashes.  O(n·L)
    for n texts of L characters.
    """
    wanted = [n for n in narratives if n.harmful or not harmful_only]
    if not wanted or older.empty:
        return {}
    nid_of = {c: n.narrative_id for n in wanted for c in n.content_ids}
    mine = p.contents[p.contents["content_id"].isin(nid_of.keys())]
    mine = mine.drop_duplicates(subset=["content_id"]).reset_index(drop=True)
    old = older.drop_duplicates(subset=["content_id"]).reset_index(drop=True)
    if mine.empty:
        return {}
    k = len(mine)
    nid = np.array([nid_of[x] for x in mine["content_id"]], dtype=object)
    # text: distinct normalised texts of both sides, their near-duplicate pairs (both ways,
    # and each text with itself), then (narrative, older row) through the texts
    norm = np.concatenate([_texts(mine["text"], min_chars), _texts(old["text"], min_chars)])
    code, uniq = pd.factorize(norm)
    found = near_duplicate_pairs(
        list(uniq), threshold=threshold, min_chars=min_chars, normalized=True
    )
    full = np.flatnonzero(np.array([bool(t) for t in uniq], dtype=bool))
    pa = np.array([x for x, _, _ in found], dtype=np.int64)
    pb = np.array([y for _, y, _ in found], dtype=np.int64)
    links = pd.DataFrame({"m": np.concatenate([pa, pb, full]), "o": np.concatenate([pb, pa, full])})
    by_text = (
        pd.DataFrame({"nid": nid, "m": code[:k]})
        .drop_duplicates()
        .merge(links, on="m")[["nid", "o"]]
        .drop_duplicates()
        .merge(pd.DataFrame({"o": code[k:], "j": np.arange(len(old))}), on="o")[["nid", "j"]]
    )
    # media: equal or near hashes across the two sides
    media = pd.concat([mine["media_hash"], old["media_hash"]], ignore_index=True)
    mi, mj = _media_links(media, max_distance=media_max_distance)
    lo, hi = np.minimum(mi, mj), np.maximum(mi, mj)
    across = (lo < k) & (hi >= k)
    by_media = pd.DataFrame({"nid": nid[lo[across]], "j": hi[across] - k})
    hits = pd.concat([by_text, by_media], ignore_index=True).drop_duplicates()
    if hits.empty:
        return {}
    # per narrative and earlier event (None: outside any), the older copies, first one first
    events = [list(e) or [None] for e in old["events"]]
    j = hits["j"].to_numpy(dtype=np.int64)
    n_ev = np.array([len(events[x]) for x in j], dtype=np.int64)
    per = pd.DataFrame(
        {
            "nid": np.repeat(hits["nid"].to_numpy(dtype=object), n_ev),
            "event": [e for x in j for e in events[x]],
            "j": np.repeat(j, n_ev),
        }
    )
    per["t"] = old["posted_at"].to_numpy()[per["j"].to_numpy()]
    per["id"] = old["content_id"].astype(str).to_numpy()[per["j"].to_numpy()]
    per["e"] = per["event"].fillna("")
    per = per.sort_values(["nid", "e", "t", "id"], kind="mergesort")
    out: dict[str, list[tuple[tuple, Evidence]]] = {}
    for (n, e), g in per.groupby(["nid", "e"], sort=False):
        ids = tuple(g["id"].iloc[:MAX_IDS])
        first, count = g.iloc[0], len(g)
        where = f"in event {e}" if e else "outside any event"
        detail = (
            f"told before {where}: first posted {iso(first['t'])} by "
            f"{old['account_id'].iat[int(first['j'])]} ({ids[0]}), "
            f"{count} older cop{'y' if count == 1 else 'ies'}"
        )
        out.setdefault(n, []).append(((first["t"], e), Evidence("resurfaced", ids, detail)))
    return {n: tuple(ev for _, ev in sorted(items, key=lambda x: x[0])) for n, items in out.items()}


def with_evidence(
    narratives: Sequence[Narrative], evidence: Mapping[str, Sequence[Evidence]]
) -> tuple[Narrative, ...]:
    """The narratives, each with its ``evidence`` added (same order)."""
    return tuple(
        replace(n, evidence=tuple(n.evidence) + tuple(evidence[n.narrative_id]))
        if n.narrative_id in evidence
        else n
        for n in narratives
    )
