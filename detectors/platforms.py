"""Platform accountability (SPEC §7): how much abuse each platform carried, how much of it was
removed, and how fast it acted on reports.

The notice (section 四, 3) holds to account platforms where abuse piles up and reports are
handled late (网暴信息扎堆、防范机制不健全、举报受理处置不及时).  :func:`platform_figures`
gives, per platform, the figures a regulator compares side by side, from the event's
contents, reports and the ``moderation`` rows:

* ``harmful``: the event's harmful contents on the platform (placeholders and source
  material aside); ``harmful_removed_share``: the share of them that a ``remove`` or
  ``hide`` row acted on (null without harmful contents);
* ``reports``: the event's reports on the platform (a report's platform is its content's,
  else its account's);
* a report's **handling time**: from ``reported_at`` to its first moderation row at or after
  it that names it (``report_id``), or, when no such row names it, the first at or after it
  that acts on its content or its account (any action, ``dismiss`` included); none means
  not actioned;
* ``reports_actioned_share``, ``actioned_within_1h_share``, ``actioned_within_24h_share``:
  shares of all the platform's reports (1 - ``reports_actioned_share`` were never acted on);
* ``report_to_action_median_s``, ``report_to_action_p90_s``: median and 90th percentile
  (linear interpolation between order statistics) of the handling times of the actioned
  reports, in seconds; ``minor_report_to_action_median_s``: the median over the actioned
  reports with ``involves_minor``; null where there is none;
* ``harmful_venues_open``: the platform's venues of the event where abuse concentrated
  (:mod:`pileon.detectors.venues`, measures ``dissolve`` or ``close_room``) that are still
  open at the end of the data (no ``closed_at``, no ``close`` row acting on them).

Platforms are listed by name; every platform with a content or a report of the event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pileon.detectors.venues import VenueFinding
from pileon.graph.projection import Projection

__all__ = ["PLATFORM_KEYS", "PlatformFigures", "handling_times", "platform_figures"]

#: the keys of a platform's figures, in the report's order
PLATFORM_KEYS = (
    "platform",
    "harmful",
    "harmful_removed_share",
    "reports",
    "reports_actioned_share",
    "report_to_action_median_s",
    "report_to_action_p90_s",
    "actioned_within_1h_share",
    "actioned_within_24h_share",
    "minor_report_to_action_median_s",
    "harmful_venues_open",
)
#: moderation actions that take a content out of view
REMOVING = ("remove", "hide")
HOUR_S = 3600.0
DAY_S = 86400.0


@dataclass(frozen=True)
class PlatformFigures:
    """One platform's figures (SPEC §7 ``platforms``)."""

    platform: str
    harmful: int
    harmful_removed_share: float | None
    reports: int
    reports_actioned_share: float | None
    report_to_action_median_s: float | None
    report_to_action_p90_s: float | None
    actioned_within_1h_share: float | None
    actioned_within_24h_share: float | None
    minor_report_to_action_median_s: float | None
    harmful_venues_open: int

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in PLATFORM_KEYS}


def _round(x: float | None) -> float | None:
    return None if x is None else round(float(x), 6)


def _share(n: int, of: int) -> float | None:
    return None if of == 0 else round(n / of, 6)


def _secs(t: pd.Series) -> np.ndarray:
    """Times as float seconds since the epoch (NaN where missing)."""
    ns = t.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    out = ns.astype(np.int64).astype(float) / 1e9
    out[np.isnat(ns)] = np.nan
    return out


def handling_times(reports: pd.DataFrame, moderation: pd.DataFrame) -> pd.Series:
    """Seconds from each report to its first moderation row (SPEC §7), NaN when none.

    Parameters
    ----------
    reports : DataFrame
        ``report_id, reported_at, content_id, account_id`` (a ``reports`` frame).
    moderation : DataFrame
        ``action_id, acted_at, content_id, account_id, report_id`` (a ``moderation`` frame).

    Returns
    -------
    Series of float
        On the index of ``reports``.

    Notes
    -----
    The rows that name a report are looked at first: the earliest at or after
    ``reported_at`` (ties by action_id) answers it; only when none does, the earliest row
    at or after it acting on the report's content or account.  O(R + M log M) for R
    reports and M rows, plus the rows per content or account looked at.

    Examples
    --------
    >>> r = pd.DataFrame({"report_id": ["r1", "r2"], "content_id": ["c1", "c2"],
    ...                   "account_id": [None, None],
    ...                   "reported_at": pd.to_datetime(["2026-03-01T00:00Z"] * 2)})
    >>> m = pd.DataFrame({"action_id": ["m1", "m2"], "content_id": ["c1", "c2"],
    ...                   "account_id": [None, None], "report_id": ["r1", None],
    ...                   "acted_at": pd.to_datetime(["2026-03-01T01:00Z", "2026-02-28T00:00Z"])})
    >>> handling_times(r, m).tolist()
    [3600.0, nan]
    """
    out = np.full(len(reports), np.nan)
    if not len(reports) or not len(moderation):
        return pd.Series(out, index=reports.index, dtype=float)
    m = moderation[moderation["acted_at"].notna()].sort_values(
        ["acted_at", "action_id"], kind="mergesort"
    )
    at = _secs(m["acted_at"])
    by: dict[str, dict[str, list[int]]] = {"report_id": {}, "content_id": {}, "account_id": {}}
    for col, index in by.items():
        for pos, key in enumerate(m[col].to_numpy(dtype=object)):
            if key is not None and key == key:
                index.setdefault(str(key), []).append(pos)

    def first(positions: list[int], t: float) -> float | None:
        # positions are in time order: the first at or after t
        for pos in positions:
            if at[pos] >= t:
                return at[pos]
        return None

    times = _secs(reports["reported_at"])
    cols = [reports[c].to_numpy(dtype=object) for c in ("report_id", "content_id", "account_id")]
    for i, (rid, cid, aid) in enumerate(zip(*cols)):
        t = times[i]
        if np.isnan(t):
            continue
        hit = first(by["report_id"].get(str(rid), []), t) if rid is not None else None
        if hit is None:
            cands = []
            if cid is not None and cid == cid:
                cands.append(first(by["content_id"].get(str(cid), []), t))
            if aid is not None and aid == aid:
                cands.append(first(by["account_id"].get(str(aid), []), t))
            found = [x for x in cands if x is not None]
            hit = min(found) if found else None
        if hit is not None:
            out[i] = hit - t
    return pd.Series(out, index=reports.index, dtype=float)


def _platform_of_reports(p: Projection) -> np.ndarray:
    """Each report's platform: its content's (or repost's), else its account's; None when
    neither is known."""
    rep = p.reports
    # only the reports' contents and accounts are looked up: the other rows are skipped
    wanted = {v for col in ("content_id", "account_id") for v in rep[col] if isinstance(v, str)}
    plat: dict[str, Any] = {}
    for df, key in (
        (p.accounts, "account_id"),
        (p.reposts, "repost_id"),
        (p.contents, "content_id"),
    ):
        if "platform" in df:
            ids = df[key].astype(str)
            rows = ids.isin(wanted).to_numpy(dtype=bool)
            for k, v in zip(ids.to_numpy(dtype=object)[rows], df["platform"].to_numpy()[rows]):
                if isinstance(v, str) and v:
                    plat[k] = v
    out = []
    for cid, aid in zip(rep["content_id"], rep["account_id"]):
        got = plat.get(str(cid)) if isinstance(cid, str) else None
        if got is None and isinstance(aid, str):
            got = plat.get(aid)
        out.append(got)
    return np.array(out, dtype=object)


def platform_figures(
    p: Projection, harmful: pd.Series, venues: Sequence[VenueFinding] = ()
) -> list[PlatformFigures]:
    """Per platform, the abuse it carried and how fast it acted (see the module docstring).

    Parameters
    ----------
    p : Projection
        The event's projection, with its ``reports``, ``moderation`` and ``venues``.
    harmful : Series of bool
        Per row of ``p.contents`` (same index), whether it is harmful.
    venues : sequence of VenueFinding
        The event's venues (:func:`pileon.detectors.venues.detect_venues`).

    Returns
    -------
    list of PlatformFigures
        Sorted by platform.

    Notes
    -----
    O(C + R + M log M) for C contents, R reports and M moderation rows.
    """
    c = p.contents
    own = ~c["placeholder"].to_numpy(dtype=bool)
    if "via" in c:
        own &= (c["via"] != "source").to_numpy(dtype=bool)
    bad = own & np.asarray(harmful, dtype=bool)
    mod = p.moderation
    removed_ids = set(
        mod.loc[mod["action"].isin(REMOVING) & mod["content_id"].notna(), "content_id"]
    )
    bad_platform = c["platform"].to_numpy(dtype=object)[bad]
    bad_removed = c["content_id"].isin(removed_ids).to_numpy(dtype=bool)[bad]

    rep = p.reports
    r_platform = _platform_of_reports(p)
    delay = handling_times(rep, mod).to_numpy(dtype=float)
    minor = rep["involves_minor"].astype("boolean").fillna(False).to_numpy(dtype=bool)

    closed = set(mod.loc[(mod["action"] == "close") & mod["venue_id"].notna(), "venue_id"])
    v_closed = (
        set(p.venues.loc[p.venues["closed_at"].notna(), "venue_id"]) if len(p.venues) else set()
    )
    open_bad: dict[str, int] = {}
    for v in venues:
        if v.concentrated and v.platform and v.venue_id not in closed | v_closed:
            open_bad[v.platform] = open_bad.get(v.platform, 0) + 1

    platforms = sorted(
        {x for x in c["platform"].to_numpy(dtype=object)[own] if isinstance(x, str) and x}
        | {x for x in r_platform if isinstance(x, str)}
    )
    out = []
    for plat in platforms:
        hb = bad_platform == plat
        n_bad = int(hb.sum())
        mine = r_platform == plat
        n_rep = int(mine.sum())
        d = delay[mine]
        acted = d[~np.isnan(d)]
        d_minor = delay[mine & minor]
        acted_minor = d_minor[~np.isnan(d_minor)]
        out.append(
            PlatformFigures(
                platform=plat,
                harmful=n_bad,
                harmful_removed_share=_share(int(bad_removed[hb].sum()), n_bad),
                reports=n_rep,
                reports_actioned_share=_share(len(acted), n_rep),
                report_to_action_median_s=_round(np.median(acted)) if len(acted) else None,
                report_to_action_p90_s=_round(np.percentile(acted, 90)) if len(acted) else None,
                actioned_within_1h_share=_share(int((acted <= HOUR_S).sum()), n_rep),
                actioned_within_24h_share=_share(int((acted <= DAY_S).sum()), n_rep),
                minor_report_to_action_median_s=(
                    _round(np.median(acted_minor)) if len(acted_minor) else None
                ),
                harmful_venues_open=open_bad.get(plat, 0),
            )
        )
    return out
