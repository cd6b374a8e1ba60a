"""Which contents and reposts belong to which event (SPEC §2).

A content belongs to an event when its ``event_id`` says so.  A content
without ``event_id`` joins an event when

* its text mentions one of the event's keywords or entities (``via="text"``),
* it is aimed (``target_ids``) at one of the event's targets and posted from the
  event's start on (``via="target"``): the attack on a person is part of the event
  even where the abuse names nothing else of it,
* it replies to a content of the event (``via="reply"``),
* it copies a content of the event: near-duplicate text or the same media
  hash (``via="copy"``);

and a repost joins the events of its immediate parent, so whole repost chains
follow their root (``via="repost"``); a repost whose parent is unknown (a
deleted source) joins by its own comment text.
"""

from __future__ import annotations

import re

import pandas as pd

from graph.textsim import near_duplicate_pairs, normalize

MEMBERSHIP_COLUMNS = ["content_id", "event_id", "via"]


def _terms_pattern(terms: list[str]) -> re.Pattern | None:
    terms = sorted({t.strip() for t in terms if t and len(t.strip()) >= 2}, key=lambda t: (-len(t), t))
    if not terms:
        return None
    return re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)


def _propagate(child: pd.Series, parent: pd.Series, seed: pd.DataFrame, via: str,
               blocked: set[str]) -> pd.DataFrame:
    """Follow child -> parent links: each child joins its parent's events, to a fixpoint."""
    links = pd.DataFrame({"child": child.to_numpy(), "parent": parent.to_numpy()}).dropna()
    links = links[~links["child"].isin(blocked)]
    found = seed[["content_id", "event_id"]]
    new_all = []
    frontier = found
    for _ in range(10_000):  # depth of the longest chain; bounded for safety
        step = links.merge(frontier, left_on="parent", right_on="content_id")[["child", "event_id"]]
        step = step.rename(columns={"child": "content_id"}).drop_duplicates()
        known = pd.concat([found] + new_all, ignore_index=True)
        step = step.merge(known, how="left", indicator=True)
        step = step[step["_merge"] == "left_only"].drop(columns="_merge")
        if step.empty:
            break
        new_all.append(step)
        frontier = step
    if not new_all:
        return pd.DataFrame(columns=MEMBERSHIP_COLUMNS)
    out = pd.concat(new_all, ignore_index=True)
    out["via"] = via
    return out


def _follow(found: pd.DataFrame, real: pd.DataFrame, reposts: pd.DataFrame,
            has_event: set[str]) -> pd.DataFrame:
    """Add reposts and replies of members, alternately, until nothing new joins."""
    while True:
        rep = _propagate(reposts["repost_id"], reposts["source_id"], found, "repost", set())
        found = pd.concat([found, rep], ignore_index=True)
        rpl = _propagate(real["content_id"], real["reply_to"], found, "reply", has_event)
        found = pd.concat([found, rpl], ignore_index=True)
        if rep.empty and rpl.empty:
            return found


def compute_memberships(events: pd.DataFrame, contents: pd.DataFrame, reposts: pd.DataFrame, *,
                        copy_threshold: float = 0.7) -> pd.DataFrame:
    """Event membership of every content and repost.

    Parameters
    ----------
    events, contents, reposts : DataFrame
        Frames as :meth:`graph.store.Store.frame` returns them.
    copy_threshold : float
        Character-shingle Jaccard similarity from which a content counts as a copy.

    Returns
    -------
    DataFrame
        ``content_id, event_id, via`` sorted by (event_id, content_id); a content
        joins each event at most once, by the first rule that applies in the order
        ``event_id``, ``text``, ``target``, ``reply``, ``copy``, ``repost``.

    Notes
    -----
    O(n) pandas operations per chain level for replies and reposts, plus
    MinHash LSH over the texts of contents without ``event_id`` (no all-pairs).
    """
    parts = []
    real = contents[~contents["placeholder"]] if "placeholder" in contents else contents
    direct = real[real["event_id"].notna()][["content_id", "event_id"]].assign(via="event_id")
    parts.append(direct)
    has_event = set(direct["content_id"])

    free = real[real["event_id"].isna()]
    free_text = free["text"].fillna("")
    for ev in events.itertuples(index=False):
        pat = _terms_pattern(list(ev.keywords) + list(ev.entities) + [ev.name])
        if pat is None:
            continue
        hit = free_text.str.contains(pat, regex=True)
        parts.append(pd.DataFrame({"content_id": free.loc[hit, "content_id"].to_numpy(),
                                   "event_id": ev.event_id, "via": "text"}))
    # contents aimed at the event's targets (target_ids) from the event's start on
    free_targets = free["target_ids"].map(lambda t: set(t) if isinstance(t, (list, tuple)) else set())
    for ev in events.itertuples(index=False):
        targets = set(ev.target_ids or ())
        if not targets:
            continue
        hit = free_targets.map(lambda t: bool(t & targets))
        if ev.started_at is not None and not pd.isna(ev.started_at):
            hit &= free["posted_at"] >= ev.started_at
        parts.append(pd.DataFrame({"content_id": free.loc[hit, "content_id"].to_numpy(),
                                   "event_id": ev.event_id, "via": "target"}))
    found = pd.concat(parts, ignore_index=True)

    # replies follow the content they answer (when they carry no event_id of their own)
    replies = _propagate(real["content_id"], real["reply_to"], found, "reply", has_event)
    found = pd.concat([found, replies], ignore_index=True)

    # copies: near-duplicate text or equal media of an event content
    member_ids = set(found["content_id"])
    cand = free[~free["content_id"].isin(member_ids)]
    if len(cand) and len(found):
        members = real[real["content_id"].isin(member_ids)]
        ev_of = found.groupby("content_id")["event_id"].apply(list).to_dict()
        # one entry per distinct normalised text on each side, so that every exact copy
        # gets the pairs of its text (near_duplicate_pairs pairs an exact repeat with its
        # first occurrence only)
        ev_of_text: dict[str, set[str]] = {}
        for cid, t in zip(members["content_id"], members["text"]):
            ev_of_text.setdefault(normalize(t), set()).update(ev_of.get(cid, []))
        ids_of_text: dict[str, list[str]] = {}
        for cid, t in zip(cand["content_id"], cand["text"]):
            ids_of_text.setdefault(normalize(t), []).append(cid)
        m_texts, c_texts = sorted(ev_of_text), sorted(ids_of_text)
        n_members = len(m_texts)
        pairs = [(i, j) for i, j, _ in near_duplicate_pairs(m_texts + c_texts,
                                                            threshold=copy_threshold,
                                                            normalized=True)
                 if i < n_members <= j]
        copies = []
        for i, j in pairs:
            for cid in ids_of_text[c_texts[j - n_members]]:
                for e in sorted(ev_of_text[m_texts[i]]):
                    copies.append((cid, e))
        media = members.dropna(subset=["media_hash"])[["content_id", "media_hash"]]
        same = cand.dropna(subset=["media_hash"])[["content_id", "media_hash"]].merge(
            media.rename(columns={"content_id": "source"}), on="media_hash")
        for cid, src in zip(same["content_id"], same["source"]):
            for e in ev_of.get(src, []):
                copies.append((cid, e))
        if copies:
            found = pd.concat([found, pd.DataFrame(copies, columns=["content_id", "event_id"])
                               .assign(via="copy")], ignore_index=True)

    # reposts follow their parent (content or repost), down the whole chain; replies to
    # copies and to reposts follow in turn
    found = _follow(found, real, reposts, has_event)
    # reposts of unknown (deleted) sources: by their own comment text
    known_parents = set(real["content_id"]) | set(reposts["repost_id"])
    orphan = reposts[~reposts["source_id"].isin(known_parents)
                     & ~reposts["repost_id"].isin(set(found["content_id"]))]
    if len(orphan):
        extra = []
        otext = orphan["text"].fillna("")
        for ev in events.itertuples(index=False):
            pat = _terms_pattern(list(ev.keywords) + list(ev.entities) + [ev.name])
            if pat is None:
                continue
            hit = otext.str.contains(pat, regex=True)
            extra.append(pd.DataFrame({"content_id": orphan.loc[hit, "repost_id"].to_numpy(),
                                       "event_id": ev.event_id, "via": "text"}))
        if extra:
            found = _follow(pd.concat([found] + extra, ignore_index=True), real, reposts,
                            has_event)

    found = found.drop_duplicates(subset=["content_id", "event_id"], keep="first")
    return (found.sort_values(["event_id", "content_id"], kind="mergesort")
            .reset_index(drop=True)[MEMBERSHIP_COLUMNS].astype(object))


__all__ = ["compute_memberships", "MEMBERSHIP_COLUMNS"]
