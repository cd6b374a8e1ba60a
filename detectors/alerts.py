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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
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


@dataclass
class AlertFrames:
    """The store frames alerts and evidence read (as :meth:`pileon.graph.store.Store.frame` gives)."""

    accounts: pd.DataFrame
    contents: pd.DataFrame
    reposts: pd.DataFrame
    reports: pd.DataFrame
    renames: pd.DataFrame
    events: pd.DataFrame
    #: ``content_id, event_id, via`` (:meth:`pileon.graph.store.Store.memberships`)
    memberships: pd.DataFrame

    @classmethod
    def from_projection(cls, p: Projection) -> AlertFrames:
        """The frames of one event's :class:`pileon.graph.projection.Projection`."""
        ids = list(p.contents["content_id"]) + list(p.reposts["repost_id"])
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


def _name_index(accounts: pd.DataFrame, renames: pd.DataFrame) -> dict[tuple[str, str], list[str]]:
    """(platform, name) -> accounts that carried the name (current name first)."""
    plat = dict(zip(accounts["account_id"], accounts["platform"]))
    out: dict[tuple[str, str], list[str]] = {}
    for a, p, n in zip(accounts["account_id"], accounts["platform"], accounts["name"]):
        if n and p:
            out.setdefault((p, n), []).append(a)
    for a, n in zip(renames["account_id"], renames["new_name"]):
        p = plat.get(a)
        if n and p and a not in out.get((p, n), []):
            out.setdefault((p, n), []).append(a)
    for a, n in zip(renames["account_id"], renames["old_name"]):
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
    c = frames.contents
    c = c[~c["placeholder"]] if "placeholder" in c.columns else c
    kind = c["kind"].fillna("post")
    base = pd.DataFrame(
        {
            "content_id": c["content_id"].to_numpy(),
            "sender_id": c["account_id"].to_numpy(),
            "at": c["posted_at"].to_numpy(),
            "platform": c["platform"].to_numpy(),
            "kind": kind.to_numpy(),
            "harm": c["harm"].to_numpy(dtype="float64"),
            "repost": False,
        }
    )
    parts = []
    # 1. explicit targets
    tg = base.assign(target_id=c["target_ids"].to_numpy()).explode("target_id")
    tg = tg[tg["target_id"].notna()]
    parts.append(tg.assign(how="target"))
    # 2. replies to a content or repost of the target (when the reply names no target)
    r = frames.reposts
    author = pd.concat(
        [
            pd.Series(c["account_id"].to_numpy(), index=c["content_id"].to_numpy()),
            pd.Series(r["account_id"].to_numpy(), index=r["repost_id"].to_numpy()),
        ]
    )
    author = author[~author.index.duplicated()]
    no_target = c["target_ids"].map(len).to_numpy() == 0
    rep = base[no_target & c["reply_to"].notna().to_numpy()]
    rep = rep.assign(
        target_id=c.loc[no_target & c["reply_to"].notna().to_numpy(), "reply_to"]
        .map(author)
        .to_numpy()
    )
    # ... but a reply under a harmful content joins that attack: it is no attention at the
    # content's author (an accuser is not a target of her own mob)
    attacking = set(c.loc[(c["harm"] >= harm_threshold).to_numpy(), "content_id"])
    parent = c.loc[no_target & c["reply_to"].notna().to_numpy(), "reply_to"].to_numpy()
    rep = rep[~pd.Series(parent).isin(attacking).to_numpy()]
    parts.append(rep[rep["target_id"].notna()].assign(how="reply"))
    # 3. @mentions, in contents that name no target (a content that names its targets counts
    # for them alone: "@outlet" in an attack on the victim is no attack on the outlet) and in
    # repost comments
    rbase = pd.DataFrame(
        {
            "content_id": r["repost_id"].to_numpy(),
            "sender_id": r["account_id"].to_numpy(),
            "at": r["reposted_at"].to_numpy(),
            "platform": r["platform"].to_numpy(),
            "kind": "repost",
            "harm": repost_harm(r).to_numpy(dtype="float64"),
            "repost": True,
        }
    )
    names = _name_index(frames.accounts, frames.renames)
    for frame, text in ((base[no_target], c["text"][no_target]), (rbase, r["text"])):
        has = text.fillna("").str.contains("@", regex=False).to_numpy()
        if not has.any():
            continue
        sub = frame[has]
        plat = sub["platform"].fillna("").to_numpy()
        if frame is rbase:  # a repost's platform may be missing: the sender's
            pa = dict(zip(frames.accounts["account_id"], frames.accounts["platform"]))
            plat = [p or pa.get(s, "") for p, s in zip(plat, sub["sender_id"])]
        targets = []
        for t, p in zip(text[has].tolist(), plat):
            found = []
            for tok in _MENTION.findall(t):
                a = _resolve_mention(tok, p, names)
                if a is not None and a not in found:
                    found.append(a)
            targets.append(found)
        men = sub.assign(target_id=targets).explode("target_id")
        parts.append(men[men["target_id"].notna()].assign(how="mention"))
    cols = [
        "content_id",
        "target_id",
        "sender_id",
        "at",
        "platform",
        "kind",
        "how",
        "harm",
        "repost",
    ]
    if not parts:
        out = pd.DataFrame({k: pd.Series([], dtype=object) for k in cols})
    else:
        out = (
            pd.concat([p[cols] for p in parts if len(p)], ignore_index=True)
            if any(len(p) for p in parts)
            else parts[0][cols].iloc[0:0]
        )
    out = out[out["target_id"].astype(object) != out["sender_id"].astype(object)]
    out = out.drop_duplicates(subset=["content_id", "target_id"], keep="first")
    out["at"] = pd.to_datetime(out["at"], utc=True)
    out["harm"] = out["harm"].astype("float64")
    out["harmful"] = out["harm"] >= harm_threshold
    out["repost"] = out["repost"].astype(bool)
    return out.sort_values(["target_id", "at", "content_id"], kind="mergesort").reset_index(
        drop=True
    )


def _stranger_flags(items: pd.DataFrame, frames: AlertFrames, window: pd.Timedelta) -> np.ndarray:
    """True where the sender had no interaction with the target before ``at - window``."""
    if items.empty:
        return np.zeros(0, dtype=bool)
    fwd = items[["sender_id", "target_id", "at"]].rename(
        columns={"sender_id": "a", "target_id": "b"}
    )
    back = items[["target_id", "sender_id", "at"]].rename(
        columns={"target_id": "a", "sender_id": "b"}
    )
    r = frames.reposts
    c = frames.contents
    author = pd.concat(
        [
            pd.Series(c["account_id"].to_numpy(), index=c["content_id"].to_numpy()),
            pd.Series(r["account_id"].to_numpy(), index=r["repost_id"].to_numpy()),
        ]
    )
    author = author[~author.index.duplicated()]
    rp = pd.DataFrame(
        {
            "a": r["account_id"].to_numpy(),
            "b": r["source_id"].map(author).to_numpy(),
            "at": r["reposted_at"].to_numpy(),
        }
    ).dropna()
    inter = _concat([fwd, back, rp], ignore_index=True)
    inter["at"] = pd.to_datetime(inter["at"], utc=True)
    first = inter.groupby(["a", "b"], sort=False)["at"].min()
    key = pd.MultiIndex.from_arrays([items["sender_id"], items["target_id"]])
    firsts = pd.to_datetime(pd.Series(first.reindex(key).to_numpy()), utc=True)
    return (firsts >= (items["at"].reset_index(drop=True) - window)).to_numpy()


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
        self, frames: AlertFrames | Projection, options: AlertOptions | None = None
    ) -> None:
        if not isinstance(frames, AlertFrames):
            frames = AlertFrames.from_projection(frames)
        o = self.options = options or AlertOptions()
        self.fingerprint = o.fingerprint()
        items = aimed_items(frames, harm_threshold=o.harm_threshold)
        items["stranger"] = _stranger_flags(items, frames, o.stranger_window)
        self.items = items
        self.reports = _report_links(frames, items, harm_threshold=o.harm_threshold)
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
        self._members = _member_times(frames)
        self._heat: dict[str, _Heat] = {}

    def member_ids(self, event_id: str) -> set[str]:
        """The IDs of the event's contents and reposts."""
        m = self.memberships
        return set(m.loc[m["event_id"] == event_id, "content_id"])

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


def _member_times(frames: AlertFrames) -> dict[str, pd.DataFrame]:
    """Event -> its member contents and reposts ``content_id, at`` by (at, content_id)."""
    mem = frames.memberships[["content_id", "event_id"]]
    c, r = frames.contents, frames.reposts
    at = pd.Series(
        np.concatenate(
            [
                c["posted_at"].to_numpy(dtype="datetime64[ns]"),
                r["reposted_at"].to_numpy(dtype="datetime64[ns]"),
            ]
        ),
        index=np.concatenate([c["content_id"].to_numpy(), r["repost_id"].to_numpy()]),
    )
    at = at[~at.index.duplicated()].dropna()
    m = mem[mem["content_id"].isin(at.index)]
    m = m.assign(at=pd.to_datetime(at.reindex(m["content_id"]).to_numpy(), utc=True))
    m = m.sort_values(["event_id", "at", "content_id"], kind="mergesort")
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
    frames: AlertFrames, items: pd.DataFrame, *, harm_threshold: float
) -> pd.DataFrame:
    """The reports that concern each target: ``report_id, target_id, aimed, reported_at,
    content_id, involves_minor``.

    About the contents aimed at the target (``aimed``: the abuse being reported), and
    about the target itself or its contents (mass reporting), except reports about its
    own harmful contents (those report the target as an offender).
    """
    rep = frames.reports
    own_c = _concat(
        [
            pd.DataFrame(
                {
                    "content_id": frames.contents["content_id"].to_numpy(),
                    "target_id": frames.contents["account_id"].to_numpy(),
                    "harmful": (frames.contents["harm"] >= harm_threshold).to_numpy(),
                }
            ),
            pd.DataFrame(
                {
                    "content_id": frames.reposts["repost_id"].to_numpy(),
                    "target_id": frames.reposts["account_id"].to_numpy(),
                    "harmful": False,
                }
            ),
        ],
        ignore_index=True,
    )
    with_c = rep[rep["content_id"].notna()][["report_id", "content_id"]]
    aimed = with_c.merge(items[["content_id", "target_id"]], on="content_id")
    own = with_c.merge(own_c[~own_c["harmful"]], on="content_id")
    about = rep[rep["content_id"].isna() & rep["account_id"].notna()].rename(
        columns={"account_id": "target_id"}
    )
    links = _concat(
        [
            aimed[["report_id", "target_id"]].assign(aimed=True),
            own[["report_id", "target_id"]].assign(aimed=False),
            about[["report_id", "target_id"]].assign(aimed=False),
        ],
        ignore_index=True,
    )
    links = links.dropna(subset=["target_id"]).drop_duplicates(
        subset=["report_id", "target_id"], keep="first"
    )
    return links.merge(
        rep[["report_id", "reported_at", "content_id", "involves_minor"]], on="report_id"
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
        if event_id is not None:
            ids = plan.member_ids(event_id)
            items = items[items["content_id"].isin(ids)]
            reports = reports[reports["content_id"].isna() | reports["content_id"].isin(ids)]
        if target_id is not None:
            items = items[items["target_id"] == target_id]
            reports = reports[reports["target_id"] == target_id]
        self.items, self.reports = items, reports
        self._by_target = dict(tuple(items.groupby("target_id", sort=True)))
        self._rep_by_target = dict(tuple(reports.groupby("target_id", sort=True)))
        self._no_items, self._no_reports = items.iloc[0:0], reports.iloc[0:0]
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
            it = self._by_target.get(ident, self._no_items)
            rl = self._rep_by_target.get(ident, self._no_reports)
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
        pairs = items[["target_id", "content_id"]].merge(
            plan.memberships[["content_id", "event_id"]], on="content_id"
        )
        if len(pairs):
            n = pairs.groupby(["target_id", "event_id"]).size().rename("n").reset_index()
            n = n.sort_values(["target_id", "n", "event_id"], ascending=[True, False, True])
            for t, e in zip(*n.drop_duplicates("target_id")[["target_id", "event_id"]].T.values):
                out.setdefault(t, e)
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
        it = self._by_target.get(t, self._no_items)
        rl = self._rep_by_target.get(t, self._no_reports)
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
