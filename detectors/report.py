"""The ``analyze`` report (SPEC §4): one JSON object per event, deterministic.

:func:`build_report` assembles what the scores and tiers decided into the exact SPEC §4
shape.  The same inputs give the same report, byte for byte once dumped with
sorted keys: lists are sorted with explicit tie-breaks (score, then ID),
scores are rounded to six decimals, and ``generated_at`` is not the wall
clock but derived from the data (:func:`data_time`) unless given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from pileon.detectors.affiliations import valid_affiliations
from pileon.detectors.collector import no_cyclic_gc
from pileon.detectors.findings import Detections, Evidence, MCNFinding
from pileon.detectors.grading import Grade
from pileon.detectors.harm import HarmfulItems, harmful_items
from pileon.detectors.rules import Scored
from pileon.detectors.venues import VenueFinding
from pileon.graph.model import CULPABLE_ROLES
from pileon.graph.projection import Projection

__all__ = [
    "build_report",
    "data_time",
    "iso",
    "account_mcns",
    "rank_accounts",
    "REPORT_KEYS",
    "PLACE_KEYS",
    "ACCOUNT_KEYS",
    "ACCOUNT_OPTIONAL_KEYS",
]

REPORT_KEYS = ("event_id", "generated_at", "accounts", "mcns", "clusters", "narratives")
#: the report's sections of SPEC §7, after :data:`REPORT_KEYS`, when the store holds venues or
#: moderation rows
PLACE_KEYS = ("venues", "platforms")
ACCOUNT_KEYS = (
    "account_id",
    "rank",
    "score",
    "tier",
    "roles",
    "cluster_id",
    "mcn_ids",
    "priority",
    "refer",
    "evidence",
)
#: keys an account entry has beyond :data:`ACCOUNT_KEYS` when they apply (before
#: ``evidence``): ``measures``, the measures beyond its tier (SPEC §7: ``verify_identity``
#: for impersonators)
ACCOUNT_OPTIONAL_KEYS = ("measures",)
#: at most this many content IDs in a participation evidence item
MAX_IDS = 10


def iso(t: pd.Timestamp) -> str:
    """A UTC timestamp as ISO-8601 with ``Z`` (seconds, or microseconds when present).

    >>> iso(pd.Timestamp("2026-03-01T08:15:30+08:00"))
    '2026-03-01T00:15:30Z'
    """
    t = pd.Timestamp(t).tz_convert("UTC")
    spec = "seconds" if t.microsecond == 0 else "microseconds"
    return t.isoformat(timespec=spec).replace("+00:00", "Z")


def data_time(p: Projection) -> str:
    """The report's deterministic ``generated_at``: the event's latest activity (content or
    repost), else its start, else the epoch."""
    times = pd.concat([p.contents["posted_at"], p.reposts["reposted_at"]]).dropna()
    if len(times):
        return iso(times.max())
    if p.start is not None:
        return iso(p.start)
    return "1970-01-01T00:00:00Z"


def account_mcns(p: Projection) -> dict[str, list[str]]:
    """account_id -> MCNs it was signed to while it acted in the event (sorted;
    :func:`pileon.detectors.affiliations.valid_affiliations`)."""
    aff = valid_affiliations(p)
    out: dict[str, list[str]] = {}
    for a, m in sorted(set(zip(aff["account_id"], aff["mcn_id"]))):
        out.setdefault(a, []).append(m)
    return out


def rank_accounts(scores: Mapping[str, float]) -> list[str]:
    """Account IDs, highest score (rounded to 6 decimals) first; ties by account_id.

    ``O(A log A)``: the IDs sorted, then a stable sort of their scores.
    """
    ids = sorted(scores)
    keys = np.array([-round(float(scores[a]), 6) for a in ids], dtype=float)
    return [ids[i] for i in np.argsort(keys, kind="stable").tolist()]


def _participation(p: Projection, items: HarmfulItems) -> dict[str, dict[str, Any]]:
    """Per account, an evidence item (as in the report) listing its harmful contents and
    reposts.

    The contents come first, then the reposts, each by ID; at most
    :data:`MAX_IDS` are listed.  ``O(N log N)`` for ``N`` harmful items (one
    sort, then one step per account).
    """
    contents = p.contents
    own = contents[
        items.contents & ~contents["placeholder"].astype(bool) & contents["account_id"].notna()
    ]
    rp_h = p.reposts[items.reposts & p.reposts["account_id"].notna()]
    rows = pd.DataFrame(
        {
            "account_id": np.concatenate(
                [
                    own["account_id"].to_numpy(dtype=object),
                    rp_h["account_id"].to_numpy(dtype=object),
                ]
            ),
            "repost": np.repeat([False, True], [len(own), len(rp_h)]),
            "id": np.concatenate(
                [own["content_id"].to_numpy(dtype=object), rp_h["repost_id"].to_numpy(dtype=object)]
            ),
        }
    )
    rows = rows.sort_values(["account_id", "repost", "id"], kind="mergesort")
    acc = rows["account_id"].to_numpy()
    ids = rows["id"].to_numpy()
    n_reposts = np.concatenate([[0], np.cumsum(rows["repost"].to_numpy())])
    starts = (
        np.flatnonzero(np.concatenate([[True], acc[1:] != acc[:-1]]))
        if len(acc)
        else np.empty(0, dtype=np.int64)
    )
    ends = np.append(starts[1:], len(acc))
    details: dict[tuple[int, int], str] = {}  # (contents, reposts) -> detail
    out: dict[str, dict[str, Any]] = {}
    for a, start, end, r in zip(
        acc[starts].tolist(),
        starts.tolist(),
        ends.tolist(),
        (n_reposts[ends] - n_reposts[starts]).tolist(),
    ):
        c = end - start - r
        if (c, r) not in details:
            parts = []
            if c:
                parts.append(f"{c} harmful content(s)")
            if r:
                parts.append(f"{r} repost(s) of harmful narratives")
            shown, more = min(c + r, MAX_IDS), max(c + r - MAX_IDS, 0)
            details[c, r] = ", ".join(parts) + (
                f" (first {shown} listed, {more} more)" if more else ""
            )
        out[a] = {
            "kind": "participation",
            "content_ids": ids[start : min(end, start + MAX_IDS)].tolist(),
            "detail": details[c, r],
        }
    return out


def build_report(
    p: Projection,
    det: Detections,
    scored: Scored,
    grades: Mapping[str, Grade],
    *,
    mcns: Sequence[MCNFinding] = (),
    generated_at: str | None = None,
    top: int | None = None,
    items: HarmfulItems | None = None,
    venues: Sequence[VenueFinding] | None = None,
    platforms: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Assemble the SPEC §4 report (with the §7 sections when given).

    Parameters
    ----------
    p : Projection
        The event's projection.
    det : Detections
        Narratives, role findings and clusters.
    scored : Scored
        Scores of every account and what explains them.
    grades : mapping
        account_id -> :class:`pileon.detectors.grading.Grade`.
    mcns : sequence of MCNFinding
        From :func:`pileon.detectors.mcn.rollup_mcns`, ranked (they are re-sorted by
        score, ties by mcn_id, and numbered).
    generated_at : str, optional
        ISO time of the report; default :func:`data_time` (deterministic).
    top : int, optional
        Keep only the first ``top`` accounts (ranks stay those of the whole list).
    items : HarmfulItems, optional
        :func:`pileon.detectors.harm.harmful_items` of the event, when already computed.
    venues : sequence of VenueFinding, optional
        The event's venues, ranked (:func:`pileon.detectors.venues.detect_venues`); with
        ``platforms``, the SPEC §7 sections (None: the report has neither).
    platforms : sequence of dict, optional
        The platforms' figures (:func:`pileon.detectors.platforms.platform_figures`).

    Returns
    -------
    dict
        ``event_id, generated_at, accounts, mcns, clusters, narratives`` and, when
        ``venues`` or ``platforms`` are given, ``venues, platforms``.  An impersonator's
        entry carries ``measures: ["verify_identity"]`` before its evidence.

    Notes
    -----
    ``O(A log A + C)`` for ``A`` accounts and ``C`` contents; the cyclic
    garbage collector is paused meanwhile (:func:`no_cyclic_gc`).
    """
    with no_cyclic_gc():
        roles_of = det.roles_of()
        cluster_of = det.cluster_of()
        mcn_of = account_mcns(p)
        part = _participation(p, items if items is not None else harmful_items(p, det))
        score_of = dict(zip(scored.score.index, scored.score.tolist()))
        order = rank_accounts(score_of)
        grading: dict[tuple[str, ...], str] = {}  # reasons -> detail (many accounts share them)
        explain, notes = scored.explain, det.notes
        accounts = []
        for rank, a in enumerate(order, start=1):
            if top is not None and rank > top:
                break
            found = roles_of.get(a)
            c = cluster_of.get(a)
            if found or c is not None:
                found = found or {}
                roles = [
                    r
                    for r in CULPABLE_ROLES
                    if r in found or (r == "coordinated" and c is not None)
                ] or ["participant"]
                evidence = [
                    e.to_dict() for r in CULPABLE_ROLES if r in found for e in found[r].evidence
                ]
                if c is not None:
                    evidence.append(
                        Evidence(
                            "cluster",
                            (),
                            f"member of cluster {c.cluster_id} "
                            f"({len(c.accounts)} accounts, score {c.score:.3f})",
                        ).to_dict()
                    )
            else:
                roles, evidence = ["participant"], []
            if a in part:
                evidence.append(part[a])
            if a in notes:
                evidence += [e.to_dict() for e in notes[a]]
            if a in explain:
                e = explain[a]
                evidence.append(
                    {"kind": e.kind, "content_ids": list(e.content_ids), "detail": e.detail}
                )
            g = grades[a]
            if g.reasons not in grading:
                grading[g.reasons] = "; ".join(g.reasons)
            evidence.append({"kind": "grading", "content_ids": [], "detail": grading[g.reasons]})
            entry = {
                "account_id": a,
                "rank": rank,
                "score": round(score_of[a], 6),
                "tier": int(g.tier),
                "roles": roles,
                "cluster_id": c.cluster_id if c is not None else None,
                "mcn_ids": list(mcn_of.get(a, ())),
                "priority": g.priority,
                "refer": bool(g.refer),
            }
            if "impersonator" in roles:  # SPEC §7: 真实身份核验, whatever the tier
                entry["measures"] = ["verify_identity"]
            entry["evidence"] = evidence
            accounts.append(entry)
        mcn_rows = sorted(mcns, key=lambda m: (-round(float(m.score), 6), m.mcn_id))
        mcn_out = []
        for rank, m in enumerate(mcn_rows, start=1):
            d = m.to_dict()
            mcn_out.append(
                {
                    "mcn_id": d["mcn_id"],
                    "rank": rank,
                    "score": d["score"],
                    "accounts": d["accounts"],
                    "measures": d["measures"],
                    "evidence": d["evidence"],
                }
            )
        clusters = [c.to_dict() for c in det.significant_clusters()]
        narratives = [n.to_dict() for n in det.narratives]
        out = {
            "event_id": p.event_id,
            "generated_at": generated_at or data_time(p),
            "accounts": accounts,
            "mcns": mcn_out,
            "clusters": clusters,
            "narratives": narratives,
        }
        if venues is not None or platforms is not None:
            ranked_venues = sorted(venues or (), key=lambda v: (-round(v.score, 6), v.venue_id))
            out["venues"] = [v.to_dict(rank) for rank, v in enumerate(ranked_venues, start=1)]
            out["platforms"] = [dict(x) for x in platforms or ()]
        return out


def cut(report: Mapping[str, Any], top: int | None) -> dict[str, Any]:
    """The report with its account list cut to the first ``top`` (None: whole)."""
    out = dict(report)
    if top is not None:
        out["accounts"] = list(report["accounts"])[:top]
    return out
