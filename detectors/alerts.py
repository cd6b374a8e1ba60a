"""Early warning: surges of hostile attention at the accounts contents aim at (SPEC §6).

Who is watched: every account that contents aim at (:func:`aimed_items`):

* ``target``: the content names it in ``target_ids`` (posts, comments and direct
  messages, ``kind=dm``, alike);
* ``reply``: the content replies to one of its contents or reposts, names no target
  of its own (an abusive comment under an accuser's post that names the victim aims
  at the victim, not at the accuser), and the content it answers is not itself a
  harmful content aimed at others (replies under an attack join the attack; they are
  no attention at the attacker);
* ``mention``: the text (of a content, or of a repost's comment) ``@``-mentions its
  name, on the same platform.

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

One alert per target and episode (:class:`Alert`); minors' alerts (the account is a
minor, or a report about it involves a minor) carry ``priority: "minor"`` and come
first, then by score.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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
    """One surge of hostile attention at one target (SPEC §6)."""

    target_id: str
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

    def to_dict(self) -> dict[str, Any]:
        return {
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
    # ... but a reply under a harmful content aimed at others joins that attack: it is no
    # attention at the content's author (an accuser is not a target of her own mob)
    attacking = set(
        c.loc[
            (c["target_ids"].map(len) > 0).to_numpy() & (c["harm"] >= harm_threshold).to_numpy(),
            "content_id",
        ]
    )
    parent = c.loc[no_target & c["reply_to"].notna().to_numpy(), "reply_to"].to_numpy()
    rep = rep[~pd.Series(parent).isin(attacking).to_numpy()]
    parts.append(rep[rep["target_id"].notna()].assign(how="reply"))
    # 3. @mentions, in contents and in repost comments
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
    for frame, text in ((base, c["text"]), (rbase, r["text"])):
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


def _heat_event(
    target: str, items: pd.DataFrame, frames: AlertFrames, event_id: str | None
) -> str | None:
    if event_id is not None:
        return event_id
    ev = frames.events
    named = sorted(e for e, t in zip(ev["event_id"], ev["target_ids"]) if target in t)
    if named:
        return named[0]
    mem = frames.memberships
    hits = mem[mem["content_id"].isin(items["content_id"])]
    if hits.empty:
        return None
    counts = hits["event_id"].value_counts()
    best = counts[counts == counts.max()].index
    return sorted(best)[0]


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
    days: int = 14,
    k: float = 1.0,
    h: float = 6.0,
    max_evidence: int = 50,
    show_progress: bool = False,
    seed: int | None = None,
) -> list[Alert]:
    """Surges of hostile attention at the accounts contents aim at.

    Parameters
    ----------
    frames : AlertFrames or Projection
        The store's frames (:func:`pileon.service.alerts.alert_frames`), or one event's projection.
    event_id : str, optional
        Count only the event's contents (its memberships); the event's heat is the
        context signal.  Series still span the whole store's time range, so the quiet
        time before the event is the baseline.
    target_id : str, optional
        Watch only this account (then no minimum of harmful contents to be watched).
    harm_threshold : float
        ``harm`` from which a content is harmful (unknown harm is its own signal).
    min_harmful, min_share, share_lift, min_known : number
        The hostility test of an episode (module docstring).
    stranger_window : Timedelta
        A sender is a stranger while their first interaction with the target is more
        recent than this.
    merge_gap : Timedelta
        Surges of different signals this close in time form one episode.
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
        Minors first, then by score (highest first), start time and target.

    Notes
    -----
    O(n) over contents, reposts and reports to find the aimed items, then
    O(T * S * H * days) for T watched targets, S signals and H hours.
    """
    if not isinstance(frames, AlertFrames):
        frames = AlertFrames.from_projection(frames)
    items = aimed_items(frames, harm_threshold=harm_threshold)
    items["stranger"] = _stranger_flags(items, frames, stranger_window)
    members = None
    if event_id is not None:
        members = frames.memberships[frames.memberships["event_id"] == event_id]
        items = items[items["content_id"].isin(set(members["content_id"]))]
    if target_id is not None:
        items = items[items["target_id"] == target_id]

    # reports: about the contents aimed at the target (the abuse being reported), and
    # about the target itself or its contents (mass reporting), except reports about its
    # own harmful contents (those report the target as an offender)
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
    rlinks = _concat(
        [
            aimed[["report_id", "target_id"]].assign(aimed=True),
            own[["report_id", "target_id"]].assign(aimed=False),
            about[["report_id", "target_id"]].assign(aimed=False),
        ],
        ignore_index=True,
    )
    rlinks = rlinks.dropna(subset=["target_id"]).drop_duplicates(
        subset=["report_id", "target_id"], keep="first"
    )
    rlinks = rlinks.merge(
        rep[["report_id", "reported_at", "content_id", "involves_minor"]], on="report_id"
    )
    if members is not None:
        ids = set(members["content_id"])
        rlinks = rlinks[rlinks["content_id"].isna() | rlinks["content_id"].isin(ids)]
    if target_id is not None:
        rlinks = rlinks[rlinks["target_id"] == target_id]

    # who to watch
    hcount = items.groupby("target_id")["harmful"].sum()
    rcount = rlinks[rlinks["aimed"]].groupby("target_id")["report_id"].nunique()
    if target_id is not None:
        watch = [target_id]
    else:
        watch = sorted(
            set(hcount[hcount >= min_harmful].index) | set(rcount[rcount >= min_harmful].index)
        )
    if not watch:
        return []

    times = _concat(
        [frames.contents["posted_at"], frames.reposts["reposted_at"], frames.reports["reported_at"]]
    ).dropna()
    start, end = times.min(), times.max()
    minors = set(
        frames.accounts.loc[frames.accounts["is_minor"].fillna(False).astype(bool), "account_id"]
    )
    mem_all = frames.memberships
    mtimes = _concat(
        [
            mem_all.merge(frames.contents[["content_id", "posted_at"]], on="content_id").rename(
                columns={"posted_at": "at"}
            )[["event_id", "at"]],
            mem_all.merge(
                frames.reposts[["repost_id", "reposted_at"]],
                left_on="content_id",
                right_on="repost_id",
            ).rename(columns={"reposted_at": "at"})[["event_id", "at"]],
        ],
        ignore_index=True,
    )

    by_target = dict(tuple(items.groupby("target_id", sort=True)))
    rep_by_target = dict(tuple(rlinks.groupby("target_id", sort=True)))
    empty_items = items.iloc[0:0]
    bar = _progress(watch, show_progress)
    alerts: list[Alert] = []
    heat: dict[str | None, tuple[pd.Series, list[Surge]]] = {}
    for t in bar:
        it = by_target.get(t, empty_items)
        rl = rep_by_target.get(t, rlinks.iloc[0:0])
        sel = {
            "strangers": it["stranger"].to_numpy(dtype=bool),
            "messages": (it["kind"] == "dm").to_numpy(),
            "comments": (it["how"] == "reply").to_numpy() | (it["kind"] == "comment").to_numpy(),
            "mentions": (it["how"] == "mention").to_numpy(),
            "harmful": it["harmful"].to_numpy(dtype=bool),
            # unscored traffic from strangers only: a target's regulars are its baseline
            "harm_unknown": (it["harm"].isna() & it["stranger"].astype(bool)).to_numpy(),
        }
        heat_event = _heat_event(t, it, frames, event_id)
        series: dict[str, pd.Series] = {}
        for sig, m in sel.items():
            series[sig] = hourly_counts(it.loc[m, "at"], start=start, end=end)
        series["reports"] = hourly_counts(rl["reported_at"], start=start, end=end)
        if heat_event not in heat:
            heat_t = (
                mtimes.loc[mtimes["event_id"] == heat_event, "at"]
                if heat_event
                else pd.Series([], dtype="datetime64[ns, UTC]")
            )
            hs = hourly_counts(heat_t, start=start, end=end)
            heat[heat_event] = (hs, detect_surges(hs, days=days, k=k, h=h))
        series["heat"] = heat[heat_event][0]
        surges = {sig: detect_surges(series[sig], days=days, k=k, h=h) for sig in ATTENTION}
        surges["heat"] = heat[heat_event][1]
        flat = [(sig, s) for sig in ATTENTION for s in surges[sig]]
        for group in _merge_episodes(flat, merge_gap):
            alert = _episode_alert(
                target_id=t,
                group=group,
                items=it,
                selected=sel,
                reports=rl,
                series=series,
                surges=surges,
                heat_event=heat_event,
                minor=t in minors,
                min_harmful=min_harmful,
                min_share=min_share,
                share_lift=share_lift,
                min_known=min_known,
                max_evidence=max_evidence,
                event_id=event_id,
                days=days,
            )
            if alert is not None:
                alerts.append(alert)
    alerts.sort(key=lambda a: (a.priority != "minor", -a.score, a.began_at, a.target_id))
    return alerts


def _progress(items: list[str], show: bool) -> Iterable[str]:
    if not show:
        return items
    from tqdm import tqdm

    return tqdm(items, desc="alerts", unit="target")


def _episode_alert(
    *,
    target_id: str,
    group: list[tuple[str, Surge]],
    items: pd.DataFrame,
    selected: Mapping[str, np.ndarray],
    reports: pd.DataFrame,
    series: Mapping[str, pd.Series],
    surges: Mapping[str, list[Surge]],
    heat_event: str | None,
    minor: bool,
    min_harmful: int,
    min_share: float,
    share_lift: float,
    min_known: int,
    max_evidence: int,
    event_id: str | None,
    days: int,
) -> Alert | None:
    """The alert for one episode of attention at ``target_id``; None when it is not hostile.

    Parameters
    ----------
    target_id : str
        The account the items aim at.
    group : list of (signal, Surge)
        The surges of the episode (:func:`_merge_episodes`): its span is theirs.
    items : pandas.DataFrame
        The items aimed at the target (:func:`aimed_items`, with ``stranger``).
    selected : mapping
        Signal -> boolean mask over ``items`` (strangers, messages, comments, mentions,
        harmful, harm_unknown).
    reports : pandas.DataFrame
        The reports linked to the target: ``report_id, reported_at, content_id,
        involves_minor`` and ``aimed`` (about an item aimed at it).
    series, surges : mapping
        Signal -> its hourly counts, and the surges found in them (also ``reports`` and
        ``heat``).
    heat_event : str or None
        The event whose activity is the ``heat`` signal.
    minor : bool
        The target is a minor.
    min_harmful, min_share, share_lift, min_known : number
        The hostility test (module docstring).
    max_evidence : int
        Content IDs listed per signal in the evidence.
    event_id : str or None
        The event analysed (None: the alert names ``heat_event``).
    days : int
        Baseline window (days) of the expected counts.

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
    for kinds in (HOSTILE[1:], HOSTILE):
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
        base = seasonal_baseline(s, days=days)["expected"]
        expected = float(base[(base.index >= lo) & (base.index < hi)].sum())
        entry: dict[str, Any] = {
            "signal": sig,
            "observed": int(observed),
            "expected": round(expected, 3),
            "ratio": round(observed / max(expected, 1.0), 3),
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
                f"{expected:.1f} expected from the target's usual level and rhythm"
            )
            evidence.append(Evidence(kind=f"surge:{sig}", content_ids=ids, detail=detail))
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
