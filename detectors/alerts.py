"""Early warning (SPEC §6): hostile attention at the accounts contents aim at, harm reaching
minors, and surges of events' heat.

Who is watched: every account that contents aim at (:func:`aimed_items`); a content
counts for the accounts it is aimed at:

* ``target``: the content names it in ``target_ids`` (posts, comments and direct
  messages, ``kind=dm``, alike);
* ``reply``: the content replies to one of its contents or reposts and names no target
  of its own (an abusive comment under a news outlet's post that names the victim aims
  at the victim, not at the outlet), and the content it answers is not itself harmful
  (replies under an attack join the attack; they are no attention at the attacker);
* ``mention``: the text (of a content that names no target, or of a repost's comment)
  ``@``-mentions its name, on the same platform.

Signals, per target and per hour (:data:`SIGNALS`): contents from strangers
(senders with no interaction with the target, in either direction, more than
``stranger_window`` before), direct messages, comments, mentions, harmful contents
(``harm >= harm_threshold``), contents of unknown harm, reports (about the target,
its contents, or the contents aimed at it) and the topic heat of the target's event
(the event's contents and reposts).

Surges: each signal against the target's own seasonal baseline with
:func:`pileon.detectors.surge.detect_surges` (CUSUM on a robust level x hour-of-day
baseline: see that module for the method and why).  Overlapping surges of a
target's attention signals form one episode.  An episode becomes an alert only if
it is hostile, because a surge of benign attention (fans on an album day) is not a
pile-on: at least ``min_harmful`` harmful contents in the episode, making at least
``min_share`` of its contents of known harm and ``share_lift`` times the target's
usual harmful share; or, when too little of it has a known harm, a surge of reports.

No surge is needed (signal ``first_harm``) for a minor (``accounts.is_minor``): one
harmful content from a stranger alerts at once; harmful contents from strangers less
than ``first_harm_gap`` apart belong to one alert.  The same holds for the targets of
an event (``events.target_ids``) while they are watched: from the hour the event's heat
surged to ``watch_for`` after that surge ended.

Events: a surge of an event's heat (its contents and reposts per hour, against their
own baseline) by at least ``min_heat`` more than expected is an event alert
(``target_id`` None, ``event_id``, the hourly ``heat`` series around it), and its
targets are watched from the hour it began (above).

One alert per target and episode (:class:`Alert`); minors' alerts (the account is a
minor, or a report about it involves a minor) carry ``priority: "minor"`` and come
first, then the other targets' by score, then the events' (:func:`alert_order`).
:class:`AlertPlan` computes them key by key, with a digest of each key's inputs, so
that a store keeps them and recomputes only the keys whose inputs changed.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pileon.detectors.findings import Evidence
from pileon.detectors.harm import HARM_THRESHOLD, repost_harm
from pileon.detectors.surge import HOUR, Surge, detect_surges, hourly_counts, seasonal_baseline
from pileon.graph.frames import coerce

if TYPE_CHECKING:
    from pileon.graph.projection import Projection

#: signals of a target's own attention (these make episodes), then context
ATTENTION = ("strangers", "messages", "comments", "mentions", "harmful", "harm_unknown", "reports")
SIGNALS = ATTENTION + ("heat",)
#: signals whose surge dates the start of a pile-on
HOSTILE = ("strangers", "harmful", "harm_unknown", "reports")

#: protections an alert may recommend, in the order they are listed
RECOMMENDATIONS: dict[str, str] = {
    "priority_human_review": "priority human review (the target is a minor)",
    "limit_strangers": "one-click limit of messages, comments and mentions from strangers",
    "hide_harmful_comments": "hide harmful comments on the target's contents",
    "filter_harmful_messages": "fold harmful direct messages away from the inbox",
    "filter_harmful_mentions": "stop harmful mentions from notifying the target",
    "expedite_reports": "handle the reports about the target first",
    "evidence_pack": "offer the one-click evidence pack",
    "watch_targets": "watch the event's targets: alert on the first harmful content a stranger "
    "sends them",
}

_MENTION = re.compile(r"@([^\s@,，.。!！?？:：;；、()（）\[\]【】<>《》\"'“”‘’#/]{1,30})")

ALERT_FRAMES = ("accounts", "contents", "reposts", "reports", "renames", "events")
#: the columns of contents and reposts that :class:`AlertPlan` reads
PLAN_COLUMNS = {
    "contents": (
        "content_id",
        "account_id",
        "platform",
        "posted_at",
        "text",
        "kind",
        "reply_to",
        "harm",
        "target_ids",
        "placeholder",
    ),
    "reposts": (
        "repost_id",
        "account_id",
        "source_id",
        "reposted_at",
        "platform",
        "text",
        "extra",
    ),
}


@dataclass
class AlertFrames:
    """The store frames alerts and evidence read (as :meth:`pileon.graph.store.Store.frame` gives)."""

    accounts: pd.DataFrame
    contents: pd.DataFrame
    reposts: pd.DataFrame
    reports: pd.DataFrame
    renames: pd.DataFrame
    events: pd.DataFrame
    #: ``content_id, event_id, via`` sorted by (event_id, content_id), as
    #: :meth:`pileon.graph.store.Store.memberships` gives them
    memberships: pd.DataFrame

    @classmethod
    def from_projection(cls, p: Projection) -> AlertFrames:
        """The frames of one event's :class:`pileon.graph.projection.Projection`."""
        ids = sorted(set(p.contents["content_id"]) | set(p.reposts["repost_id"]))
        mem = pd.DataFrame({"content_id": ids, "event_id": p.event_id, "via": "event_id"})
        ev = pd.DataFrame(
            [
                {
                    "event_id": p.event.event_id,
                    "name": p.event.name,
                    "started_at": p.event.started_at,
                    "keywords": list(p.event.keywords),
                    "entities": list(p.event.entities),
                    "target_ids": list(p.event.target_ids),
                }
            ]
        )
        return cls(
            accounts=p.accounts,
            contents=p.contents,
            reposts=p.reposts,
            reports=p.reports,
            renames=p.renames,
            events=coerce("events", ev),
            memberships=mem,
        )


@dataclass(frozen=True)
class Alert:
    """One alert (SPEC §6): a surge of hostile attention at one target, harm reaching a
    minor, or (``target_id`` None) a surge of an event's heat."""

    target_id: str | None
    began_at: pd.Timestamp
    peak_at: pd.Timestamp
    ended_at: pd.Timestamp
    score: float
    priority: str | None
    signals: tuple[dict[str, Any], ...]
    recommend: tuple[str, ...]
    evidence: tuple[Evidence, ...] = ()
    event_id: str | None = None
    numbers: dict[str, float] = field(default_factory=dict)
    #: an event alert's heat series: ``{"at", "count", "expected"}`` per hour
    heat: tuple[dict[str, Any], ...] = ()
    #: an event alert's targets, watched from its start on
    watch: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out = {
            "target_id": self.target_id,
            "began_at": iso(self.began_at),
            "peak_at": iso(self.peak_at),
            "ended_at": iso(self.ended_at),
            "event_id": self.event_id,
            "signals": [dict(s) for s in self.signals],
            "score": self.score,
            "priority": self.priority,
            "recommend": list(self.recommend),
            "evidence": [e.to_dict() for e in self.evidence],
        }
        if self.target_id is None:
            out.update(heat=[dict(x) for x in self.heat], watch=list(self.watch))
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Alert:
        """The alert of :meth:`to_dict` (without ``numbers``, which it does not hold)."""

        def ts(v: str | None) -> pd.Timestamp:
            return pd.Timestamp(v) if v is not None else pd.NaT

        return cls(
            target_id=d["target_id"],
            began_at=ts(d["began_at"]),
            peak_at=ts(d["peak_at"]),
            ended_at=ts(d["ended_at"]),
            score=d["score"],
            priority=d["priority"],
            signals=tuple(dict(s) for s in d["signals"]),
            recommend=tuple(d["recommend"]),
            evidence=tuple(
                Evidence(kind=e["kind"], content_ids=tuple(e["content_ids"]), detail=e["detail"])
                for e in d["evidence"]
            ),
            event_id=d["event_id"],
            heat=tuple(dict(x) for x in d.get("heat", ())),
            watch=tuple(d.get("watch", ())),
        )


def iso(t: pd.Timestamp | None) -> str | None:
    """A UTC time as ISO-8601 with ``Z`` (seconds; microseconds only when present)."""
    if t is None or pd.isna(t):
        return None
    t = pd.Timestamp(t).tz_convert("UTC")
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if t.microsecond else "%Y-%m-%dT%H:%M:%SZ"
    return t.strftime(fmt)


# ------------------------------------------------------------------ aimed items


def _concat(parts: list, **kw: Any):
    """``pd.concat`` of the non-empty parts (the first part when all are empty)."""
    keep = [x for x in parts if len(x)]
    return pd.concat(keep or parts[:1], **kw)


def _name_index(
    accounts: pd.DataFrame, renames: pd.DataFrame, wanted: set[str] | None = None
) -> dict[tuple[str, str], list[str]]:
    """(platform, name) -> accounts that carried the name (current name first); only the
    names in ``wanted`` when given (the same lists for those names)."""
    acc, ren = accounts, renames
    if wanted is not None:
        acc = accounts[accounts["name"].isin(wanted).to_numpy()]
        ren = renames[
            (renames["new_name"].isin(wanted) | renames["old_name"].isin(wanted)).to_numpy()
        ]
    plat = dict(zip(acc["account_id"], acc["platform"]))
    missing = sorted(set(ren["account_id"]) - set(plat))
    if missing:
        known = accounts[accounts["account_id"].isin(missing).to_numpy()]
        plat.update(zip(known["account_id"], known["platform"]))
    out: dict[tuple[str, str], list[str]] = {}
    for a, p, n in zip(acc["account_id"], acc["platform"], acc["name"]):
        if n and p:
            out.setdefault((p, n), []).append(a)
    for a, n in zip(ren["account_id"], ren["new_name"]):
        p = plat.get(a)
        if n and p and a not in out.get((p, n), []):
            out.setdefault((p, n), []).append(a)
    for a, n in zip(ren["account_id"], ren["old_name"]):
        p = plat.get(a)
        if n and p and a not in out.get((p, n), []):
            out.setdefault((p, n), []).append(a)
    return out


def _resolve_mention(
    token: str, platform: str, names: dict[tuple[str, str], list[str]]
) -> str | None:
    """The account a ``@token`` names: the longest known name the token starts with."""
    for n in range(len(token), 1, -1):
        cands = names.get((platform, token[:n]))
        if cands:
            return cands[0]  # the holder of the current name, then by account_id
    return None


def aimed_items(frames: AlertFrames, *, harm_threshold: float = HARM_THRESHOLD) -> pd.DataFrame:
    """Every (content, target) pair where a content aims at an account.

    Parameters
    ----------
    frames : AlertFrames
    harm_threshold : float
        ``harm`` from which a content counts as harmful.

    Returns
    -------
    DataFrame
        ``content_id, target_id, sender_id, at, platform, kind, how, harm, harmful,
        repost`` (``how``: ``target``, ``reply`` or ``mention``, the first that applies;
        ``kind``: the content's kind, ``repost`` for reposts), one row per content and
        target, the sender never being the target, sorted by (target_id, at, content_id).

    Notes
    -----
    O(n) over contents and reposts, plus a regular expression over texts with ``@``.

    Examples
    --------
    >>> from pileon.graph.projection import Projection
    >>> p = Projection.from_tables({"event_id": "e1"},
    ...     accounts=[{"account_id": "weibo:1", "platform": "weibo", "name": "小王"},
    ...               {"account_id": "weibo:2", "platform": "weibo", "name": "路人"}],
    ...     contents=[{"content_id": "weibo:m1", "account_id": "weibo:1", "platform": "weibo",
    ...                "posted_at": "2026-03-01T20:00:00+08:00", "text": "今天上课"},
    ...               {"content_id": "weibo:c1", "account_id": "weibo:2", "platform": "weibo",
    ...                "posted_at": "2026-03-01T20:05:00+08:00", "text": "滚", "kind": "comment",
    ...                "reply_to": "weibo:m1", "harm": 0.9},
    ...               {"content_id": "weibo:m2", "account_id": "weibo:2", "platform": "weibo",
    ...                "posted_at": "2026-03-01T20:06:00+08:00", "text": "@小王 你好", "harm": 0.1}])
    >>> items = aimed_items(AlertFrames.from_projection(p))
    >>> items[["content_id", "target_id", "how", "harmful"]].values.tolist()
    [['weibo:c1', 'weibo:1', 'reply', True], ['weibo:m2', 'weibo:1', 'mention', False]]
    """
    return _aimed_items(frames, harm_threshold, _ContentIndex(frames))[0]


def _mention_tokens(frames: AlertFrames) -> tuple[_Mentions, _Mentions]:
    """The ``@`` tokens of contents that name no target, and of repost comments."""
    c, r = _live(frames.contents), frames.reposts
    no_target = c["target_ids"].map(len).to_numpy() == 0
    out = []
    for pos, text in (
        (np.flatnonzero(no_target), c["text"].to_numpy(dtype=object)[no_target]),
        (np.arange(len(r)), r["text"].to_numpy(dtype=object)),
    ):
        has = np.fromiter(
            (isinstance(t, str) and "@" in t for t in text), dtype=bool, count=len(text)
        )
        out.append(_Mentions(pos[has], [_MENTION.findall(t) for t in text[has]]))
    return out[0], out[1]


@dataclass(frozen=True)
class _Mentions:
    """Rows (positions in their frame) whose text has ``@`` tokens, and the tokens."""

    rows: np.ndarray
    tokens: list[list[str]]

    def names(self) -> set[str]:
        """Every name a token could mean (its prefixes of two characters or more)."""
        return {tok[:n] for ts in self.tokens for tok in ts for n in range(2, len(tok) + 1)}


def _live(contents: pd.DataFrame) -> pd.DataFrame:
    """The contents that are not placeholders (deleted sources hold no author or time)."""
    if "placeholder" not in contents.columns:
        return contents
    return contents[~contents["placeholder"].to_numpy(dtype=bool)]


def _live_rows(contents: pd.DataFrame) -> np.ndarray:
    """The positions of :func:`_live`'s rows in ``contents``."""
    if "placeholder" not in contents.columns:
        return np.arange(len(contents))
    return np.flatnonzero(~contents["placeholder"].to_numpy(dtype=bool))


def accounts_needed(frames: AlertFrames) -> tuple[list[str], list[str]]:
    """The accounts alerts read, from every frame but ``accounts``: ``(ids, names)``.

    Alerts read an account's ``is_minor`` when contents aim at it (explicit targets,
    authors of contents replied to), its name when a text ``@``-mentions the name (or a
    prefix of the token), its platform when a repost comment mentions and the repost has
    no platform of its own, and the renamed accounts' platforms.  A store can give
    :class:`AlertFrames` only the accounts with these IDs or names: the alerts are the same.
    """
    return _accounts_needed(frames, _ContentIndex(frames), _mention_tokens(frames))


def _accounts_needed(
    frames: AlertFrames, index: _ContentIndex, mentions: tuple[_Mentions, _Mentions]
) -> tuple[list[str], list[str]]:
    c, r = frames.contents, frames.reposts
    ids: set[str] = set()
    for targets in _live(c)["target_ids"]:
        ids.update(targets)
    live = _live_rows(c)
    ids.update(a for a in index.authors_of(index.reply_to[live]) if a is not None)
    in_c, in_r = mentions
    plat = r["platform"].to_numpy(dtype=object)[in_r.rows]
    senders = r["account_id"].to_numpy(dtype=object)[in_r.rows]
    ids.update(a for a, p in zip(senders, plat) if a is not None and not p)
    ids.update(frames.renames["account_id"].dropna())
    return sorted(ids), sorted(in_c.names() | in_r.names())


def _aimed_items(
    frames: AlertFrames,
    harm_threshold: float,
    index: _ContentIndex,
    mentions: tuple[_Mentions, _Mentions] | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`aimed_items` with the contents' index (and the mention tokens) built already;
    also the items' content codes (:class:`_ContentIndex`).

    Notes
    -----
    Parts (targets, replies, mentions) are positions into the contents or the reposts,
    put together once at the end.
    """
    c, r = _live(frames.contents), frames.reposts
    live = _live_rows(frames.contents)
    parts: list[tuple[bool, np.ndarray, np.ndarray, str]] = []  # (repost, rows, targets, how)
    # 1. explicit targets
    lists = c["target_ids"].to_numpy(dtype=object)
    n_targets = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
    rows = np.repeat(np.arange(len(c)), n_targets)
    targets = np.array([t for x in lists for t in x], dtype=object)
    parts.append((False, rows, targets, "target"))
    # 2. replies to a content or repost of the target (when the reply names no target)
    parent = index.reply_to[live]
    replies = np.flatnonzero((n_targets == 0) & (parent >= 0))
    parent = parent[replies]
    author = index.authors_of(parent)
    # ... but a reply under a harmful content joins that attack: it is no attention at the
    # content's author (an accuser is not a target of her own mob)
    attacking = np.zeros(len(index.author), dtype=bool)
    attacking[index.content[live][(c["harm"] >= harm_threshold).to_numpy()]] = True
    keep = ~attacking[parent] & pd.notna(author)
    parts.append((False, replies[keep], author[keep], "reply"))
    # 3. @mentions, in contents that name no target (a content that names its targets counts
    # for them alone: "@outlet" in an attack on the victim is no attack on the outlet) and in
    # repost comments
    in_c, in_r = mentions or _mention_tokens(frames)
    if len(in_c.rows) or len(in_r.rows):
        names = _name_index(frames.accounts, frames.renames, in_c.names() | in_r.names())
        acc = frames.accounts
        for repost, m, frame in ((False, in_c, c), (True, in_r, r)):
            plat = frame["platform"].to_numpy(dtype=object)[m.rows]
            if repost:  # a repost's platform may be missing: the sender's
                own = _lookup(
                    pd.Index(acc["account_id"]),
                    acc["platform"].to_numpy(),
                    frame["account_id"].to_numpy(dtype=object)[m.rows],
                )
                plat = np.where(pd.isna(plat) | (plat == ""), own, plat)
            hit_rows, hit_targets = [], []
            for row, ts, p in zip(m.rows, m.tokens, plat):
                p = "" if p is None or (isinstance(p, float) and np.isnan(p)) else p
                hit: list[str] = []
                for tok in ts:
                    a = _resolve_mention(tok, p, names)
                    if a is not None and a not in hit:
                        hit.append(a)
                hit_rows += [row] * len(hit)
                hit_targets += hit
            parts.append(
                (
                    repost,
                    np.array(hit_rows, dtype=np.int64),
                    np.array(hit_targets, dtype=object),
                    "mention",
                )
            )
    # put together: contents' columns, or reposts' (kind "repost", harm of the comment)
    src = {
        False: {
            "code": index.content[live],
            "content_id": c["content_id"].to_numpy(dtype=object),
            "sender_id": c["account_id"].to_numpy(dtype=object),
            "at": _ns(c["posted_at"]),
            "platform": c["platform"].to_numpy(dtype=object),
            "kind": c["kind"].fillna("post").to_numpy(dtype=object),
            "harm": c["harm"].to_numpy(dtype="float64"),
        },
        True: {
            "code": index.repost,
            "content_id": r["repost_id"].to_numpy(dtype=object),
            "sender_id": r["account_id"].to_numpy(dtype=object),
            "at": _ns(r["reposted_at"]),
            "platform": r["platform"].to_numpy(dtype=object),
            "kind": np.full(len(r), "repost", dtype=object),
            "harm": repost_harm(r).to_numpy(dtype="float64"),
        },
    }
    cols: dict[str, list[np.ndarray]] = {
        k: []
        for k in (
            "code",
            "content_id",
            "target_id",
            "sender_id",
            "at",
            "platform",
            "kind",
            "how",
            "harm",
            "repost",
        )
    }
    for repost, rows, targets, how in parts:
        for k, v in src[repost].items():
            cols[k].append(v[rows])
        cols["target_id"].append(targets)
        cols["how"].append(np.full(len(rows), how, dtype=object))
        cols["repost"].append(np.full(len(rows), repost, dtype=bool))
    out = pd.DataFrame({k: np.concatenate(v) for k, v in cols.items()})
    out = out[out["target_id"].to_numpy(dtype=object) != out["sender_id"].to_numpy(dtype=object)]
    out = out.drop_duplicates(subset=["content_id", "target_id"], keep="first")
    at = out["at"].to_numpy(dtype="datetime64[ns]")
    out["at"] = pd.to_datetime(at, utc=True)
    out["harmful"] = out["harm"].to_numpy() >= harm_threshold
    order = _order(
        out["target_id"].to_numpy(dtype=object), at.view("i8"), out["content_id"].to_numpy()
    )
    out = out.iloc[order].reset_index(drop=True)
    return out.drop(columns="code"), out["code"].to_numpy()


def _order(groups: np.ndarray, at: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Positions that sort rows by (group, at, id), as a stable sort on those three would.

    Notes
    -----
    Sorts the distinct groups as text, then the rows on integer codes; IDs are ranked as
    text only among rows whose group and time tie with another row's.  O(n log n).
    """
    codes, _ = pd.factorize(groups, sort=True)
    order = np.lexsort((at, codes))
    if len(order) < 2:
        return order
    g, a = codes[order], at[order]
    same = (g[1:] == g[:-1]) & (a[1:] == a[:-1])
    tied = np.r_[same, False] | np.r_[False, same]
    if not tied.any():
        return order
    rank = np.zeros(len(order), dtype=np.int64)
    # as fixed-width text, numpy sorts by code points, as Python compares strings
    rank[tied] = np.unique(ids[order[tied]].astype(str), return_inverse=True)[1]
    return order[np.lexsort((rank, a, g))]


def _ns(times: pd.Series) -> np.ndarray:
    """UTC times as ``datetime64[ns]`` (NaT kept), without a detour through objects."""
    return pd.to_datetime(times, utc=True).to_numpy(dtype="datetime64[ns]")


class _ContentIndex:
    """Integer codes of every content ID the alerts look up, with the author and time of
    each content or repost (the first row of an ID kept).

    One hash pass (``pd.factorize``) over the IDs of contents and reposts, the contents
    they reply to, the sources of reposts, memberships and reports; every later lookup
    is array indexing.  ``contents`` rows are those of ``frames.contents`` (placeholders
    included: they have no author and no time).
    """

    def __init__(self, frames: AlertFrames) -> None:
        c, r = frames.contents, frames.reposts
        cols = [
            c["content_id"],
            r["repost_id"],
            c["reply_to"],
            r["source_id"],
            frames.memberships["content_id"],
            frames.reports["content_id"],
        ]
        sizes = np.cumsum([0] + [len(x) for x in cols])
        codes, uniques = pd.factorize(np.concatenate([x.to_numpy(dtype=object) for x in cols]))
        part = [codes[a:b] for a, b in zip(sizes[:-1], sizes[1:])]
        (
            self.content,
            self.repost,
            self.reply_to,
            self.source,
            self.membership,
            self.report,
        ) = part
        own = np.concatenate([self.content, self.repost])
        authors = np.concatenate(
            [c["account_id"].to_numpy(dtype=object), r["account_id"].to_numpy(dtype=object)]
        )
        times = np.concatenate([_ns(c["posted_at"]), _ns(r["reposted_at"])])
        self.author = np.full(len(uniques), None, dtype=object)
        self.time = np.full(len(uniques), np.datetime64("NaT"), dtype="datetime64[ns]")
        self.author[own[::-1]] = authors[::-1]  # the first row of an ID wins
        self.time[own[::-1]] = times[::-1]

    def authors_of(self, codes: np.ndarray) -> np.ndarray:
        """The author of each coded ID (None for unknown IDs, placeholders, code -1)."""
        out = self.author[np.maximum(codes, 0)]
        out[codes < 0] = None
        return out


def _lookup(index: pd.Index, values: np.ndarray, keys: Any) -> np.ndarray:
    """``values`` at the positions of ``keys`` in ``index``; None for unknown keys."""
    pos = (
        index.get_indexer(np.asarray(keys, dtype=object)) if len(index) else np.full(len(keys), -1)
    )
    out = np.empty(len(pos), dtype=object)
    ok = pos >= 0
    out[ok] = np.asarray(values, dtype=object)[pos[ok]]
    out[~ok] = None
    return out


def _stranger_flags(
    items: pd.DataFrame,
    frames: AlertFrames,
    window: pd.Timedelta,
    index: _ContentIndex | None = None,
) -> np.ndarray:
    """True where the sender had no interaction with the target before ``at - window``.

    An interaction of a sender with a target: an item either aimed at the other, or the
    sender's repost of a content of the target.

    Notes
    -----
    O(n log n) on integer codes of the accounts and pairs involved.
    """
    if items.empty:
        return np.zeros(0, dtype=bool)
    r = frames.reposts
    index = index or _ContentIndex(frames)
    n, m = len(items), len(r)
    codes, who = pd.factorize(
        np.concatenate(
            [
                items["sender_id"].to_numpy(dtype=object),
                items["target_id"].to_numpy(dtype=object),
                r["account_id"].to_numpy(dtype=object),
                index.authors_of(index.source),
            ]
        )
    )
    codes = codes.astype(np.int64)
    k = np.int64(len(who))
    s, t = codes[:n], codes[n : 2 * n]
    ra, rb = codes[2 * n : 2 * n + m], codes[2 * n + m :]
    at = _ns(items["at"]).view("i8")
    rt = _ns(r["reposted_at"]).view("i8")
    keep = (ra >= 0) & (rb >= 0) & (rt != np.iinfo(np.int64).min)
    pairs = np.concatenate([s * k + t, t * k + s, ra[keep] * k + rb[keep]])
    times = np.concatenate([at, at, rt[keep]])
    order = np.lexsort((times, pairs))
    pairs, times = pairs[order], times[order]
    first = np.r_[True, pairs[1:] != pairs[:-1]]
    upair, utime = pairs[first], times[first]
    pos = np.searchsorted(upair, s * k + t)
    return utime[pos] >= at - window.value


# ------------------------------------------------------------------------- alerts


def _merge_episodes(
    surges: list[tuple[str, Surge]], gap: pd.Timedelta
) -> list[list[tuple[str, Surge]]]:
    surges = sorted(surges, key=lambda x: (x[1].began_at, x[0]))
    groups: list[list[tuple[str, Surge]]] = []
    end = None
    for sig, s in surges:
        if groups and s.began_at <= end + gap:
            groups[-1].append((sig, s))
            end = max(end, s.ended_at)
        else:
            groups.append([(sig, s)])
            end = s.ended_at
    return groups


# ------------------------------------------------------------------- the plan

#: bump when a change of this module changes alerts computed from the same data: stored
#: alerts computed by an older version are then computed again (their digests differ)
ALERTS_VERSION = 2

#: the order of alert groups: minors first, then the other targets, then events
_GROUP = {"minor": 0, "target": 1, "event": 2}

#: a key of :class:`AlertScope`: ``("target", account_id)`` or ``("event", event_id)``
AlertKey = tuple[str, str]

_ITEM_COLUMNS = ["content_id", "sender_id", "at", "kind", "how", "harm", "repost", "stranger"]
_REPORT_COLUMNS = ["report_id", "reported_at", "content_id", "involves_minor", "aimed"]


@dataclass(frozen=True)
class AlertOptions:
    """The options of :func:`detect_alerts` (see there), in one value."""

    harm_threshold: float = HARM_THRESHOLD
    min_harmful: int = 3
    min_share: float = 0.25
    share_lift: float = 2.0
    min_known: int = 3
    stranger_window: pd.Timedelta = pd.Timedelta("24h")
    merge_gap: pd.Timedelta = pd.Timedelta("6h")
    first_harm_gap: pd.Timedelta = pd.Timedelta("24h")
    min_heat: float = 20.0
    watch_for: pd.Timedelta = pd.Timedelta(days=3)
    days: int = 14
    k: float = 1.0
    h: float = 6.0
    max_evidence: int = 50

    def __post_init__(self) -> None:
        if self.days < 1 or self.min_harmful < 1 or self.max_evidence < 0:
            raise ValueError("days and min_harmful must be at least 1, max_evidence not negative")

    @property
    def lead(self) -> pd.Timedelta:
        """How long before its first count a series starts: the baseline's whole window
        and a day (see :class:`AlertPlan`)."""
        return pd.Timedelta(days=self.days + 1)

    def fingerprint(self) -> str:
        """The options and :data:`ALERTS_VERSION` as one text (part of every digest)."""
        values = {
            f.name: (v.value if isinstance(v, pd.Timedelta) else v)
            for f in fields(self)
            for v in [getattr(self, f.name)]
        }
        return json.dumps({"version": ALERTS_VERSION, **values}, sort_keys=True)


@dataclass(frozen=True)
class _Heat:
    """One event's heat: its contents and reposts per hour, their surges and baseline."""

    members: pd.DataFrame  # content_id, at; by (at, content_id)
    series: pd.Series
    surges: list[Surge]
    expected: pd.Series
    digest: str
    #: the surges big enough for an event alert (``min_heat``)
    alerting: list[Surge]


def alert_order(a: Alert) -> tuple:
    """The sort key of alert lists: minors' alerts first, then the other targets' alerts,
    then event alerts; within each, by score (highest first), start time and ID."""
    group = "event" if a.target_id is None else ("minor" if a.priority == "minor" else "target")
    return (_GROUP[group], -a.score, a.began_at, a.target_id or a.event_id or "")


class AlertPlan:
    """What every alert is computed from, derived once from the frames.

    The one pass over the whole store (O(n)): the aimed items with their stranger
    flags (:func:`aimed_items`), the reports linked to each target, minors, the events'
    targets and their member contents and reposts with times.  :meth:`scope` then gives
    the alerts of the whole store or of one event, key by key.

    ``frames.contents`` and ``frames.reposts`` need only the columns of
    :data:`PLAN_COLUMNS`; with ``read_accounts(ids, names)``, ``frames.accounts`` is not
    read: the plan asks for the accounts it reads (:func:`accounts_needed`) instead.

    Each target's signals are counted per hour from ``days + 1`` days before its first
    item or report (or from the store's first time, when that is later) to its last
    one, and each event's heat from ``days + 1`` days before its first member: the
    causal baseline of :func:`pileon.detectors.surge.seasonal_baseline` then gives, from
    the first count on, the values a series spanning the whole store would give (its
    window holds only zeros before), and surges end as they would (hours without counts
    never raise a CUSUM).  So a target's alerts depend on its own items, reports, minor
    flag and event heat only, and :meth:`AlertScope.digest` can tell which changed.
    """

    def __init__(
        self,
        frames: AlertFrames | Projection,
        options: AlertOptions | None = None,
        *,
        read_accounts: Callable[[list[str], list[str]], pd.DataFrame] | None = None,
    ) -> None:
        if not isinstance(frames, AlertFrames):
            frames = AlertFrames.from_projection(frames)
        o = self.options = options or AlertOptions()
        self.fingerprint = o.fingerprint()
        index = _ContentIndex(frames)
        mentions = _mention_tokens(frames)
        if read_accounts is not None:  # the accounts alerts read, and no others
            frames = replace(
                frames, accounts=read_accounts(*_accounts_needed(frames, index, mentions))
            )
        items, item_codes = _aimed_items(frames, o.harm_threshold, index, mentions)
        items["stranger"] = _stranger_flags(items, frames, o.stranger_window, index)
        self.items = items
        report_rows, self.reports = _report_links(
            frames, items, harm_threshold=o.harm_threshold, index=index, item_codes=item_codes
        )
        times = _concat(
            [
                frames.contents["posted_at"],
                frames.reposts["reposted_at"],
                frames.reports["reported_at"],
            ]
        ).dropna()
        self.start = times.min() if len(times) else None
        self.end = times.max() if len(times) else None
        acc = frames.accounts
        self.minors = set(acc.loc[acc["is_minor"].fillna(False).astype(bool), "account_id"])
        ev = frames.events
        self.event_ids = sorted(ev["event_id"])
        self.event_targets = {e: list(t) for e, t in zip(ev["event_id"], ev["target_ids"])}
        self.memberships = frames.memberships
        self._members = _member_times(frames, index)
        self._heat: dict[str, _Heat] = {}
        # which items and reports are an event's: integer codes of the content IDs
        mem = frames.memberships
        self._item_code, self._report_code = item_codes, index.report[report_rows]
        member_code = index.membership
        ev_code, ev = pd.factorize(mem["event_id"].to_numpy(dtype=object))
        order = np.argsort(ev_code, kind="stable")
        bounds = np.searchsorted(ev_code[order], np.arange(len(ev) + 1))
        self._member_codes = {
            e: member_code[order[bounds[i] : bounds[i + 1]]] for i, e in enumerate(ev)
        }
        self._items_in: dict[str, np.ndarray] = {}

    def items_in(self, event_id: str) -> np.ndarray:
        """Which :attr:`items` are the event's contents and reposts (a mask, kept)."""
        if event_id not in self._items_in:
            members = self._member_codes.get(event_id, np.zeros(0, dtype=np.int64))
            self._items_in[event_id] = np.isin(self._item_code, members)
        return self._items_in[event_id]

    def reports_in(self, event_id: str) -> np.ndarray:
        """Which :attr:`reports` count in the event: about one of its contents, or about
        no content (about an account)."""
        members = self._member_codes.get(event_id, np.zeros(0, dtype=np.int64))
        return (self._report_code < 0) | np.isin(self._report_code, members)

    def heat(self, event_id: str | None) -> _Heat | None:
        """The event's heat (None for None); computed once per event."""
        if event_id is None:
            return None
        if event_id not in self._heat:
            o = self.options
            m = self._members.get(event_id)
            if m is None or m.empty:
                m = pd.DataFrame(
                    {"content_id": pd.Series([], dtype=object), "at": pd.Series([], dtype=_UTC)}
                )
                start = None
                series = hourly_counts(m["at"])
            else:
                start = max(self.start, m["at"].iloc[0].floor("h") - o.lead)
                series = hourly_counts(m["at"], start=start, end=self.end)
            surges = detect_surges(series, days=o.days, k=o.k, h=o.h)
            expected = (
                seasonal_baseline(series, days=o.days)["expected"] if len(series) else series.copy()
            )
            dig = hashlib.sha256(self.fingerprint.encode())
            dig.update(repr(("heat", event_id, iso(start))).encode())
            dig.update(_rows_digest(m, ["content_id", "at"]))
            alerting = [x for x in surges if x.excess >= o.min_heat]
            self._heat[event_id] = _Heat(m, series, surges, expected, dig.hexdigest(), alerting)
        return self._heat[event_id]

    def scope(self, *, event_id: str | None = None, target_id: str | None = None) -> AlertScope:
        """The alerts of the whole store, or counting only ``event_id``'s contents, or of
        ``target_id`` only."""
        return AlertScope(self, event_id=event_id, target_id=target_id)


_UTC = "datetime64[ns, UTC]"


def _member_times(frames: AlertFrames, content: _ContentIndex) -> dict[str, pd.DataFrame]:
    """Event -> its member contents and reposts ``content_id, at`` by (at, content_id)."""
    mem = frames.memberships
    at = content.time[np.maximum(content.membership, 0)]
    at[content.membership < 0] = np.datetime64("NaT")
    m = pd.DataFrame(
        {
            "event_id": mem["event_id"].to_numpy(dtype=object),
            "content_id": mem["content_id"].to_numpy(dtype=object),
            "at": pd.to_datetime(at, utc=True),
        }
    )
    m = m[m["at"].notna()]
    # memberships come by (event_id, content_id): a stable sort by (event, time) keeps
    # equal times by content_id
    events, _ = pd.factorize(m["event_id"].to_numpy(dtype=object), sort=True)
    m = m.iloc[np.lexsort((_ns(m["at"]).view("i8"), events))]
    return {
        e: g[["content_id", "at"]].reset_index(drop=True)
        for e, g in m.groupby("event_id", sort=True)
    }


def _rows_digest(df: pd.DataFrame, columns: list[str]) -> bytes:
    """Bytes that change when the rows' values in ``columns`` (or their order) change."""
    if df.empty:
        return b"empty"
    hashed = pd.util.hash_pandas_object(df[columns], index=False, categorize=False)
    return hashed.to_numpy().tobytes()


def _report_links(
    frames: AlertFrames,
    items: pd.DataFrame,
    *,
    harm_threshold: float,
    index: _ContentIndex,
    item_codes: np.ndarray,
) -> tuple[np.ndarray, pd.DataFrame]:
    """The reports that concern each target: ``report_id, target_id, aimed, reported_at,
    content_id, involves_minor`` (and each row's report position in ``frames.reports``).

    About the contents aimed at the target (``aimed``: the abuse being reported), and
    about the target itself or its contents (mass reporting), except reports about its
    own harmful contents (those report the target as an offender).

    Notes
    -----
    Reports join items and contents by the content codes of ``index``; rows in report
    order, then aimed before own before about, the first of a (report, target) kept.
    """
    rep = frames.reports
    code = index.report
    # aimed: every item whose content a report is about, items in their order
    by = np.argsort(item_codes, kind="stable")
    lo = np.searchsorted(item_codes[by], code, side="left")
    hi = np.searchsorted(item_codes[by], code, side="right")
    hi[code < 0] = lo[code < 0]
    n = hi - lo
    rows_a = np.repeat(np.arange(len(rep)), n)
    take = by[np.repeat(lo, n) + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))]
    aimed_t = items["target_id"].to_numpy(dtype=object)[take]
    # own: the author of the content (or repost) a report is about, unless it is harmful
    c = frames.contents
    harmful = np.zeros(len(index.author), dtype=bool)
    harmful[index.content[(c["harm"] >= harm_threshold).to_numpy()]] = True
    own_ok = (code >= 0) & ~harmful[np.maximum(code, 0)]
    rows_o = np.flatnonzero(own_ok)
    own_t = index.authors_of(code[rows_o])
    # about: an account, no content
    rows_b = np.flatnonzero((code < 0) & rep["account_id"].notna().to_numpy())
    about_t = rep["account_id"].to_numpy(dtype=object)[rows_b]
    links = pd.DataFrame(
        {
            "row": np.concatenate([rows_a, rows_o, rows_b]),
            "target_id": np.concatenate([aimed_t, own_t, about_t]),
            "aimed": np.r_[np.ones(len(rows_a), bool), np.zeros(len(rows_o) + len(rows_b), bool)],
            "part": np.r_[
                np.zeros(len(rows_a), int), np.ones(len(rows_o), int), np.full(len(rows_b), 2)
            ],
        }
    )
    links = links[links["target_id"].notna()]
    links = links.sort_values(["row", "part"], kind="stable")
    links["report_id"] = rep["report_id"].to_numpy(dtype=object)[links["row"].to_numpy()]
    links = links.drop_duplicates(subset=["report_id", "target_id"], keep="first")
    at = links["row"].to_numpy()
    return at, pd.DataFrame(
        {
            "report_id": links["report_id"].to_numpy(dtype=object),
            "target_id": links["target_id"].to_numpy(dtype=object),
            "aimed": links["aimed"].to_numpy(dtype=bool),
            "reported_at": rep["reported_at"].iloc[at].reset_index(drop=True),
            "content_id": rep["content_id"].to_numpy(dtype=object)[at],
            "involves_minor": rep["involves_minor"].iloc[at].reset_index(drop=True),
        }
    )


class AlertScope:
    """The alerts of one scope (the whole store, one event's contents, or one target),
    key by key: each watched target, then each event in scope.

    Watched: targets with at least ``min_harmful`` harmful items or reports about items
    aimed at them; minors with a harmful item from a stranger; and the targets of an
    event whose heat surged (an event alert) with a harmful item from a stranger while
    watched (from the hour that surge began to ``watch_for`` after it ended).
    """

    def __init__(
        self, plan: AlertPlan, *, event_id: str | None = None, target_id: str | None = None
    ) -> None:
        o = plan.options
        self.plan, self.event_id, self.target_id = plan, event_id, target_id
        items, reports = plan.items, plan.reports
        keep = np.ones(len(items), dtype=bool)
        if event_id is not None:
            keep &= plan.items_in(event_id)
            reports = reports[plan.reports_in(event_id)]
        if target_id is not None:
            keep &= (items["target_id"] == target_id).to_numpy()
            reports = reports[reports["target_id"] == target_id]
        self._pos = np.flatnonzero(keep)
        items = items.iloc[self._pos]
        self.items, self.reports = items, reports
        self._items = _Slices(items, "target_id")
        self._reports = _Slices(reports, "target_id")
        # an event whose heat surged has its targets watched from the hour it began to
        # ``watch_for`` after it ended
        self.watched: dict[str, list[tuple[pd.Timestamp, pd.Timestamp, str]]] = {}
        for e in [event_id] if event_id is not None else plan.event_ids:
            heat = plan.heat(e)
            for s in heat.alerting if heat is not None else ():
                for t in plan.event_targets.get(e, ()):
                    window = (s.began_at, s.ended_at + HOUR + o.watch_for, e)
                    self.watched.setdefault(t, []).append(window)
        for windows in self.watched.values():
            windows.sort()
        self._heat_event = self._heat_events(items)
        if target_id is not None:
            self.targets = [target_id]
            self.events: list[str] = []
        else:
            hcount = items.groupby("target_id")["harmful"].sum()
            rcount = reports[reports["aimed"]].groupby("target_id")["report_id"].nunique()
            # a minor, or a target while watched: one harmful item from a stranger is enough
            first = items[items["harmful"] & items["stranger"].astype(bool)]
            alerted = set(first.loc[first["target_id"].isin(plan.minors), "target_id"])
            for t, g in first[first["target_id"].isin(self.watched)].groupby("target_id"):
                if self._first_harm(t, g)[0].any():
                    alerted.add(t)
            self.targets = sorted(
                set(hcount[hcount >= o.min_harmful].index)
                | set(rcount[rcount >= o.min_harmful].index)
                | alerted
            )
            self.events = [event_id] if event_id is not None else list(plan.event_ids)

    # ------------------------------------------------------------------- keys
    def keys(self) -> list[AlertKey]:
        """Every key of the scope: the watched targets, then the events."""
        return [("target", t) for t in self.targets] + [("event", e) for e in self.events]

    def alerts(self, key: AlertKey) -> list[Alert]:
        """The alerts of one key, in time order."""
        kind, ident = key
        if kind == "target":
            return self._target_alerts(ident)
        if kind == "event":
            return self._event_alerts(ident)
        raise ValueError(f"unknown alert key {key!r}")

    def all_alerts(self, *, show_progress: bool = False) -> list[Alert]:
        """Every alert of the scope, sorted by :func:`alert_order`."""
        out: list[Alert] = []
        for key in _progress(self.keys(), show_progress):
            out += self.alerts(key)
        out.sort(key=alert_order)
        return out

    def digest(self, key: AlertKey) -> str:
        """A hash of everything :meth:`alerts` reads for ``key``: equal digests, equal alerts.

        A target's: its items (with their stranger flags) and reports, whether it is a
        minor or watched and since when, where its series start, and the heat of its event;
        an event's: its member contents and reposts with their times, and its targets.
        """
        plan = self.plan
        h = hashlib.sha256(plan.fingerprint.encode())
        kind, ident = key
        if kind == "target":
            it, rl = self._items[ident], self._reports[ident]
            heat = plan.heat(self._heat_event.get(ident))
            watched = [(iso(a), iso(b), e) for a, b, e in self.watched.get(ident, ())]
            h.update(_rows_digest(it, _ITEM_COLUMNS))
            h.update(_rows_digest(rl, _REPORT_COLUMNS))
            h.update(
                repr(
                    (
                        key,
                        self.event_id,
                        ident in plan.minors,
                        watched,
                        self._heat_event.get(ident),
                        heat.digest if heat else None,
                        iso(self._series_start(it, rl)),
                    )
                ).encode()
            )
        else:
            heat = plan.heat(ident)
            h.update(repr((key, heat.digest if heat else None)).encode())
            h.update(repr(plan.event_targets.get(ident, [])).encode())
        return h.hexdigest()

    # ---------------------------------------------------------------- targets
    def _heat_events(self, items: pd.DataFrame) -> dict[str, str]:
        """Target -> the event whose heat is its context signal: the scope's event; else
        the first event naming it as a target; else the event most of its items belong to
        (the first by ID among equals)."""
        plan = self.plan
        targets = items["target_id"].unique()
        if self.event_id is not None:
            return {t: self.event_id for t in targets}
        out: dict[str, str] = {}
        for e in plan.event_ids:  # sorted: the first event naming a target wins
            for t in plan.event_targets.get(e, ()):
                out.setdefault(t, e)
        codes, uniques = pd.factorize(items["target_id"].to_numpy(dtype=object))
        best = np.zeros(len(uniques), dtype=np.int64)
        which = np.full(len(uniques), -1)
        for i, e in enumerate(plan.event_ids):  # sorted: the first among equals wins
            n = np.bincount(codes[plan.items_in(e)[self._pos]], minlength=len(uniques))
            more = n > best
            best[more], which[more] = n[more], i
        for t, i in zip(uniques, which):
            if i >= 0:
                out.setdefault(t, plan.event_ids[i])
        return out

    def _first_harm(self, target: str, items: pd.DataFrame) -> tuple[np.ndarray, list[Any]]:
        """The items of ``target`` that alert it with no surge, and why (a rule per item,
        None for the others).

        A minor: every harmful item from a stranger (``{"rule": "minor"}``).  An event's
        target while watched: the first run of harmful items from strangers in each watch
        window (items less than ``first_harm_gap`` apart; ``{"rule": "watched", "since",
        "event_id"}``): the watch is for the start of an attack; later items count through
        the surges.
        """
        n = len(items)
        cand = items["harmful"].to_numpy(dtype=bool) & items["stranger"].to_numpy(dtype=bool)
        if target in self.plan.minors:
            return cand, [{"rule": "minor"} if c else None for c in cand]
        rules: list[Any] = [None] * n
        ns = pd.to_datetime(items["at"], utc=True).to_numpy(dtype="datetime64[ns]").view("i8")
        gap = self.plan.options.first_harm_gap.value
        for since, until, e in self.watched.get(target, ()):
            inside = np.flatnonzero(cand & (ns >= since.value) & (ns < until.value))
            rule = {"rule": "watched", "since": iso(since), "event_id": e}
            for k, i in enumerate(inside):
                if k and ns[i] - ns[inside[k - 1]] > gap:
                    break
                if rules[i] is None:
                    rules[i] = rule
        return np.array([r is not None for r in rules], dtype=bool), rules

    def _series_start(self, it: pd.DataFrame, rl: pd.DataFrame) -> pd.Timestamp | None:
        times = _concat([it["at"], rl["reported_at"]]).dropna()
        if not len(times):
            return None
        return max(self.plan.start, times.min().floor("h") - self.plan.options.lead)

    def _target_alerts(self, t: str) -> list[Alert]:
        plan, o = self.plan, self.plan.options
        it, rl = self._items[t], self._reports[t]
        start = self._series_start(it, rl)
        if start is None:
            return []
        end = _concat([it["at"], rl["reported_at"]]).dropna().max()
        sel = {
            "strangers": it["stranger"].to_numpy(dtype=bool),
            "messages": (it["kind"] == "dm").to_numpy(),
            "comments": (it["how"] == "reply").to_numpy() | (it["kind"] == "comment").to_numpy(),
            "mentions": (it["how"] == "mention").to_numpy(),
            "harmful": it["harmful"].to_numpy(dtype=bool),
            # unscored traffic from strangers only: a target's regulars are its baseline
            "harm_unknown": (it["harm"].isna() & it["stranger"].astype(bool)).to_numpy(),
        }
        series: dict[str, pd.Series] = {
            sig: hourly_counts(it.loc[m, "at"], start=start, end=end) for sig, m in sel.items()
        }
        series["reports"] = hourly_counts(rl["reported_at"], start=start, end=end)
        heat_event = self._heat_event.get(t)
        heat = plan.heat(heat_event)
        series["heat"] = heat.series if heat else hourly_counts(pd.Series([], dtype=_UTC))
        surges = {sig: detect_surges(series[sig], days=o.days, k=o.k, h=o.h) for sig in ATTENTION}
        surges["heat"] = heat.surges if heat else []
        expected = _Baselines(series, days=o.days, heat=heat)
        flat = [(sig, s) for sig in ATTENTION for s in surges[sig]]
        # a minor, or a watched target: one harmful item from a stranger is enough
        first_harm, rules = self._first_harm(t, it)
        flat += [("first_harm", s) for s in _runs(it.loc[first_harm, "at"], o.first_harm_gap)]
        out = []
        for group in _merge_episodes(flat, o.merge_gap):
            alert = _episode_alert(
                target_id=t,
                group=group,
                items=it,
                selected={**sel, "first_harm": first_harm},
                reports=rl,
                series=series,
                surges=surges,
                expected=expected,
                heat_event=heat_event,
                minor=t in plan.minors,
                first_harm_rules=rules,
                min_harmful=o.min_harmful,
                min_share=o.min_share,
                share_lift=o.share_lift,
                min_known=o.min_known,
                max_evidence=o.max_evidence,
                event_id=self.event_id,
            )
            if alert is not None:
                out.append(alert)
        return out

    # ----------------------------------------------------------------- events
    def _event_alerts(self, e: str) -> list[Alert]:
        """One alert per surge of the event's heat (its contents and reposts per hour)."""
        o = self.plan.options
        heat = self.plan.heat(e)
        if heat is None:
            return []
        targets = tuple(self.plan.event_targets.get(e, ()))
        out = []
        for s in heat.alerting:
            lo, hi = s.began_at, s.ended_at + HOUR
            win = (heat.series.index >= lo) & (heat.series.index < hi)
            w, x = heat.series[win], heat.expected[win]
            observed, expected = float(w.sum()), float(x.sum())
            at = heat.members["at"]
            m = heat.members[((at >= lo) & (at < hi)).to_numpy()]
            first = m.loc[m["at"] < s.began_at + HOUR, "at"]
            shown = (heat.series.index >= lo - pd.Timedelta(hours=24)) & (heat.series.index < hi)
            entry = {
                "signal": "heat",
                "observed": int(observed),
                "expected": round(expected, 3),
                "ratio": round(observed / max(expected, 1.0), 3),
                "surge": True,
                "peak": int(w.max()) if len(w) else 0,
                "peak_at": iso(w.idxmax()) if len(w) and w.max() > 0 else None,
                "began_at": iso(s.began_at),
                "peak_z": round(s.peak_z, 3),
                "event_id": e,
            }
            detail = (
                f"heat: {int(observed)} contents and reposts of the event from {iso(lo)} to "
                f"{iso(hi)}, {expected:.1f} expected from its usual level and rhythm"
            )
            out.append(
                Alert(
                    target_id=None,
                    began_at=first.min() if len(first) else s.began_at,
                    peak_at=s.peak_at,
                    ended_at=hi,
                    score=round(1.0 - math.exp(-s.excess / 100.0), 4),
                    priority=None,
                    signals=(entry,),
                    recommend=("watch_targets",) if targets else (),
                    evidence=(
                        Evidence(
                            kind="surge:heat",
                            content_ids=tuple(m["content_id"].head(o.max_evidence)),
                            detail=detail,
                        ),
                    ),
                    event_id=e,
                    heat=tuple(
                        {"at": iso(t), "count": int(c), "expected": round(float(y), 3)}
                        for t, c, y in zip(
                            heat.series.index[shown],
                            heat.series[shown].to_numpy(),
                            heat.expected[shown].to_numpy(),
                        )
                    ),
                    watch=targets,
                    numbers={"excess": s.excess},
                )
            )
        return out


class _Slices:
    """The rows of a frame per value of ``column``, as slices of the frame sorted by it (a
    stable sort: rows keep their order within a value); empty for an unknown value."""

    def __init__(self, frame: pd.DataFrame, column: str) -> None:
        codes, uniques = pd.factorize(frame[column].to_numpy(dtype=object))
        order = np.argsort(codes, kind="stable")
        self.frame = frame.iloc[order]
        bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
        self._at = {u: (bounds[i], bounds[i + 1]) for i, u in enumerate(uniques)}

    def __getitem__(self, value: str) -> pd.DataFrame:
        a, b = self._at.get(value, (0, 0))
        return self.frame.iloc[a:b]


class _Baselines:
    """The expected counts of a target's signals (computed when first asked for); the
    heat's come with its :class:`_Heat`."""

    def __init__(self, series: Mapping[str, pd.Series], *, days: int, heat: _Heat | None) -> None:
        self._series, self._days = series, days
        self._cache: dict[str, pd.Series] = {}
        if heat is not None:
            self._cache["heat"] = heat.expected

    def __getitem__(self, sig: str) -> pd.Series:
        if sig not in self._cache:
            self._cache[sig] = seasonal_baseline(self._series[sig], days=self._days)["expected"]
        return self._cache[sig]


def _runs(times: pd.Series, gap: pd.Timedelta) -> list[Surge]:
    """Times (sorted) as runs whose consecutive times are at most ``gap`` apart, each as a
    :class:`Surge` of its hours (no baseline: nothing is expected)."""
    out: list[Surge] = []
    t = list(times)
    i = 0
    while i < len(t):
        j = i
        while j + 1 < len(t) and t[j + 1] - t[j] <= gap:
            j += 1
        hours = pd.Series(t[i : j + 1]).dt.floor("h")
        peak = hours.value_counts().sort_index()
        out.append(
            Surge(
                began_at=hours.iloc[0],
                detected_at=hours.iloc[0],
                peak_at=peak.idxmax(),
                ended_at=hours.iloc[-1],
                observed=float(j + 1 - i),
                expected=0.0,
                peak_count=float(peak.max()),
                peak_expected=0.0,
                peak_z=0.0,
                cusum=0.0,
            )
        )
        i = j + 1
    return out


def detect_alerts(
    frames: AlertFrames | Projection,
    *,
    event_id: str | None = None,
    target_id: str | None = None,
    harm_threshold: float = HARM_THRESHOLD,
    min_harmful: int = 3,
    min_share: float = 0.25,
    share_lift: float = 2.0,
    min_known: int = 3,
    stranger_window: pd.Timedelta = pd.Timedelta("24h"),
    merge_gap: pd.Timedelta = pd.Timedelta("6h"),
    first_harm_gap: pd.Timedelta = pd.Timedelta("24h"),
    min_heat: float = 20.0,
    watch_for: pd.Timedelta = pd.Timedelta(days=3),
    days: int = 14,
    k: float = 1.0,
    h: float = 6.0,
    max_evidence: int = 50,
    show_progress: bool = False,
    seed: int | None = None,
) -> list[Alert]:
    """Surges of hostile attention at the accounts contents aim at, harm reaching minors,
    and surges of events' heat.

    Parameters
    ----------
    frames : AlertFrames or Projection
        The store's frames (:func:`pileon.service.alerts.alert_frames`), or one event's projection.
    event_id : str, optional
        Count only the event's contents (its memberships); the event's heat is the
        context signal, and the event's own alerts are its heat's.
    target_id : str, optional
        Watch only this account (then no minimum of harmful contents to be watched), no
        event alerts.
    harm_threshold : float
        ``harm`` from which a content is harmful (unknown harm is its own signal).
    min_harmful, min_share, share_lift, min_known : number
        The hostility test of an episode (module docstring).
    stranger_window : Timedelta
        A sender is a stranger while their first interaction with the target is more
        recent than this.
    merge_gap : Timedelta
        Surges of different signals this close in time form one episode.
    first_harm_gap : Timedelta
        Harmful items from strangers at a minor (or a watched target) this close in time
        belong to one alert.
    min_heat : float
        An event alert needs a surge of the event's heat by at least this many contents
        and reposts more than expected (smaller surges stay context of target alerts).
    watch_for : Timedelta
        The event's targets stay watched this long after the event alert's surge ended.
    days, k, h : number
        Baseline window (days) and CUSUM allowance and threshold
        (:func:`pileon.detectors.surge.detect_surges`).
    max_evidence : int
        Content IDs listed per signal in the evidence.
    show_progress : bool
        A progress bar over targets.
    seed : None
        Unused (the method is deterministic); accepted for a uniform detector signature.

    Returns
    -------
    list of Alert
        Minors' alerts first, then the other targets' by score (highest first), start
        time and target, then event alerts (``target_id`` None) by score.

    Notes
    -----
    O(n) over contents, reposts and reports to find the aimed items (:class:`AlertPlan`),
    then O(S * H * days) per watched target for S signals and the H hours from
    ``days + 1`` days before its first item to its last, and O(H * days) per event.

    Examples
    --------
    >>> from pileon.graph.projection import Projection
    >>> rows = [{"content_id": "weibo:p", "account_id": "weibo:1", "platform": "weibo",
    ...          "posted_at": "2026-03-01T08:00:00Z", "text": "练琴"}]
    >>> rows += [{"content_id": f"weibo:c{i}", "account_id": "weibo:9", "platform": "weibo",
    ...           "posted_at": f"2026-03-02T1{i}:00:00Z", "text": "滚", "kind": "comment",
    ...           "reply_to": "weibo:p", "harm": 0.9} for i in range(2)]
    >>> p = Projection.from_tables({"event_id": "e1"},
    ...     accounts=[{"account_id": "weibo:1", "platform": "weibo", "is_minor": True},
    ...               {"account_id": "weibo:9", "platform": "weibo"}], contents=rows)
    >>> [(a.target_id, a.priority, a.to_dict()["began_at"]) for a in detect_alerts(p)]
    [('weibo:1', 'minor', '2026-03-02T10:00:00Z')]
    """
    options = AlertOptions(
        harm_threshold=harm_threshold,
        min_harmful=min_harmful,
        min_share=min_share,
        share_lift=share_lift,
        min_known=min_known,
        stranger_window=stranger_window,
        merge_gap=merge_gap,
        first_harm_gap=first_harm_gap,
        min_heat=min_heat,
        watch_for=watch_for,
        days=days,
        k=k,
        h=h,
        max_evidence=max_evidence,
    )
    plan = AlertPlan(frames, options)
    return plan.scope(event_id=event_id, target_id=target_id).all_alerts(
        show_progress=show_progress
    )


def _progress(keys: list[AlertKey], show: bool) -> Iterable[AlertKey]:
    if not show:
        return keys
    from tqdm import tqdm

    return tqdm(keys, desc="alerts", unit="key")


def _episode_alert(
    *,
    target_id: str,
    group: list[tuple[str, Surge]],
    items: pd.DataFrame,
    selected: Mapping[str, np.ndarray],
    reports: pd.DataFrame,
    series: Mapping[str, pd.Series],
    surges: Mapping[str, list[Surge]],
    expected: _Baselines,
    heat_event: str | None,
    minor: bool,
    first_harm_rules: list[dict[str, Any] | None],
    min_harmful: int,
    min_share: float,
    share_lift: float,
    min_known: int,
    max_evidence: int,
    event_id: str | None,
) -> Alert | None:
    """The alert for one episode of attention at ``target_id``; None when it is not hostile.

    Parameters
    ----------
    target_id : str
        The account the items aim at.
    group : list of (signal, Surge)
        The surges of the episode (:func:`_merge_episodes`): its span is theirs; signal
        ``first_harm`` for a run of harmful items from strangers at a minor or a watched
        target (hostile with no surge).
    items : pandas.DataFrame
        The items aimed at the target (:func:`aimed_items`, with ``stranger``).
    selected : mapping
        Signal -> boolean mask over ``items`` (strangers, messages, comments, mentions,
        harmful, harm_unknown, first_harm).
    reports : pandas.DataFrame
        The reports linked to the target: ``report_id, reported_at, content_id,
        involves_minor`` and ``aimed`` (about an item aimed at it).
    series, surges : mapping
        Signal -> its hourly counts, and the surges found in them (also ``reports`` and
        ``heat``).
    expected : _Baselines
        Signal -> its expected hourly counts (the seasonal baseline of its series).
    heat_event : str or None
        The event whose activity is the ``heat`` signal.
    minor : bool
        The target is a minor.
    first_harm_rules : list
        Per item, why one harmful item from a stranger alerts the target then
        (``{"rule": "minor"}`` or ``{"rule": "watched", "since", "event_id"}``), or None.
    min_harmful, min_share, share_lift, min_known : number
        The hostility test (module docstring).
    max_evidence : int
        Content IDs listed per signal in the evidence.
    event_id : str or None
        The event analysed (None: the alert names ``heat_event``).

    Returns
    -------
    Alert or None
        With its start (the first hostile item of the first hour), peak, the signals
        observed against their seasonal expectation, a score, the recommended measures and
        the evidence.

    Notes
    -----
    O(S * H + n) for S signals of H hourly counts and ``n`` items.
    """
    began = min(s.began_at for _, s in group)
    ended = max(s.ended_at for _, s in group)
    lo, hi = began, ended + HOUR
    # the start of the pile-on: the earliest surge of a hostile signal, not of plain
    # comment counts (a CUSUM may have left zero with the target's usual traffic just
    # before), and when harm itself surged, not of the strangers' surge (which may begin
    # with benign newcomers)
    for kinds in (HOSTILE[1:] + ("first_harm",), HOSTILE + ("first_harm",)):
        starts = [s.began_at for sig, s in group if sig in kinds]
        if starts:
            began = min(starts)
            break
    in_ep = ((items["at"] >= lo) & (items["at"] < hi)).to_numpy()
    before = (items["at"] < lo).to_numpy()
    known = in_ep & items["harm"].notna().to_numpy()
    n_harm = int((in_ep & selected["harmful"]).sum())
    n_known = int(known.sum())
    share = n_harm / n_known if n_known else 0.0
    b_known = int((before & items["harm"].notna().to_numpy()).sum())
    b_share = int((before & selected["harmful"]).sum()) / b_known if b_known else 0.0
    surged = {sig for sig, _ in group}
    hostile = n_harm >= min_harmful and share >= max(min_share, share_lift * b_share)
    rl_ep = reports[(reports["reported_at"] >= lo) & (reports["reported_at"] < hi)]
    if (
        not hostile
        and n_known < min_known
        and "reports" in surged
        and int(rl_ep["aimed"].sum()) >= min_harmful
    ):
        hostile = True
        share = 0.5  # hostility shown by reports of what it receives: harm unknown
    first_harm = in_ep & selected["first_harm"]
    if "first_harm" in surged and first_harm.any():
        hostile = True  # a minor, or a watched target: one harmful item from a stranger
    if not hostile:
        return None
    is_minor = minor or bool(
        reports[reports["reported_at"] < hi]["involves_minor"].fillna(False).any()
    )
    # the start, finer than the hour: the first not-known-benign item in the first hour
    first_hour = (
        in_ep
        & (items["at"] < began + HOUR).to_numpy()
        & (selected["harmful"] | selected["harm_unknown"])
    )
    cand = list(items.loc[first_hour, "at"]) + list(
        rl_ep.loc[rl_ep["reported_at"] < began + HOUR, "reported_at"]
    )
    began_at = min(cand) if cand else began

    peak_src = series["harmful"] if n_harm else series["strangers"]
    window = peak_src[(peak_src.index >= lo) & (peak_src.index < hi)]
    peak_at = window.idxmax() if len(window) and window.max() > 0 else began

    signals, evidence = [], []
    excess = 0.0
    for sig in SIGNALS:
        s = series[sig]
        w = s[(s.index >= lo) & (s.index < hi)]
        observed = float(w.sum())
        own = [x for x in surges[sig] if x.began_at < hi and x.ended_at >= lo]
        if observed == 0 and not own:
            continue
        # expected over the same window, from the signal's own seasonal baseline
        base = expected[sig]
        exp_sum = float(base[(base.index >= lo) & (base.index < hi)].sum())
        entry: dict[str, Any] = {
            "signal": sig,
            "observed": int(observed),
            "expected": round(exp_sum, 3),
            "ratio": round(observed / max(exp_sum, 1.0), 3),
            "surge": bool(own and sig in surged or (sig == "heat" and own)),
            "peak": int(w.max()) if len(w) else 0,
            "peak_at": iso(w.idxmax()) if len(w) and w.max() > 0 else None,
        }
        if own:
            entry.update(
                began_at=iso(min(x.began_at for x in own)),
                peak_z=round(max(x.peak_z for x in own), 3),
            )
        if sig == "heat":
            entry["event_id"] = heat_event
        if sig == "harmful":
            entry.update(share=round(share, 4), usual_share=round(b_share, 4), known_harm=n_known)
        signals.append(entry)
        if sig in ("harmful", "reports") and own:
            excess += sum(x.excess for x in own)
        if sig in surged or (sig == "heat" and own):
            if sig == "reports":
                ids = tuple(sorted(set(rl_ep["content_id"].dropna())))[:max_evidence]
            elif sig == "heat":
                ids = ()
            else:
                m = in_ep & selected[sig]
                ids = tuple(items.loc[m, "content_id"].head(max_evidence))
            detail = (
                f"{sig}: {int(observed)} from {iso(lo)} to {iso(hi)}, "
                f"{exp_sum:.1f} expected from the target's usual level and rhythm"
            )
            evidence.append(Evidence(kind=f"surge:{sig}", content_ids=ids, detail=detail))
    if "first_harm" in surged and first_harm.any():
        # no surge needed: the harmful items from strangers themselves
        n_first = int(first_harm.sum())
        first_at = items.loc[first_harm, "at"].min()
        first_harm_rule = first_harm_rules[int(np.flatnonzero(first_harm)[0])] or {}
        signals.append(
            {
                "signal": "first_harm",
                "observed": n_first,
                "surge": False,
                "first_at": iso(first_at),
                **first_harm_rule,
            }
        )
        who = (
            "a minor"
            if first_harm_rule["rule"] == "minor"
            else f"a target of {first_harm_rule['event_id']}, whose heat surged from "
            f"{first_harm_rule['since']}"
        )
        evidence.append(
            Evidence(
                kind="first_harm",
                content_ids=tuple(items.loc[first_harm, "content_id"].head(max_evidence)),
                detail=(
                    f"{who}: {n_first} harmful item{'s' if n_first > 1 else ''} from accounts "
                    f"with no contact before, the first at {iso(first_at)}"
                ),
            )
        )
    if excess == 0.0:
        excess = float(n_harm)
    score = round(share * (1.0 - math.exp(-excess / 10.0)), 4)

    rec = []
    kinds = items.loc[in_ep & selected["harmful"]]
    if is_minor:
        rec.append("priority_human_review")
    rec.append("limit_strangers")
    if (kinds["how"] == "reply").any() or (kinds["kind"] == "comment").any():
        rec.append("hide_harmful_comments")
    if (kinds["kind"] == "dm").any():
        rec.append("filter_harmful_messages")
    if (kinds["how"] == "mention").any():
        rec.append("filter_harmful_mentions")
    if len(rl_ep):
        rec.append("expedite_reports")
    if n_harm:
        rec.append("evidence_pack")
    return Alert(
        target_id=target_id,
        began_at=began_at,
        peak_at=peak_at,
        ended_at=ended + HOUR,
        score=score,
        priority="minor" if is_minor else None,
        signals=tuple(signals),
        recommend=tuple(rec),
        evidence=tuple(evidence),
        event_id=event_id if event_id is not None else heat_event,
        numbers={
            "harmful": n_harm,
            "known_harm": n_known,
            "share": share,
            "usual_share": b_share,
            "excess": excess,
        },
    )
