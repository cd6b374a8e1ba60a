"""Typed findings that detectors return and the report is built from.

Detectors are pure functions over a :class:`pileon.graph.projection.Projection`; each
returns these immutable records, sorted in a stable order, never dicts built
ad hoc.  ``to_dict`` gives the SPEC §4 shapes.  :class:`Detections` gathers what all
the detectors found in one event for harm, features, scoring and the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from pileon.detectors.venues import VenueFinding


@dataclass(frozen=True)
class Evidence:
    """Why a detector decided: the contents behind it and the numbers, in words."""

    kind: str
    content_ids: tuple[str, ...] = ()
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "content_ids": list(self.content_ids), "detail": self.detail}


@dataclass(frozen=True)
class RoleFinding:
    """An account found to play a role in the event.

    ``strength`` (0..1) says how clearly it plays the role (used by ranking);
    ``numbers`` keeps the measured values behind the decision for features.
    """

    account_id: str
    role: str
    strength: float
    evidence: tuple[Evidence, ...] = ()
    numbers: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Narrative:
    """A group of near-duplicate original contents (SPEC §4 ``narratives``)."""

    narrative_id: str
    first_poster: str | None
    first_content_id: str
    platforms: tuple[str, ...]
    size: int
    harmful: bool
    content_ids: tuple[str, ...] = ()
    #: estimated probability that the narrative is abusive (None: nothing to tell)
    harm: float | None = None
    #: where it was told before (kind ``resurfaced``: an earlier event, older content);
    #: in the report only when there is some
    evidence: tuple[Evidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out = {
            "narrative_id": self.narrative_id,
            "first_poster": self.first_poster,
            "first_content_id": self.first_content_id,
            "platforms": list(self.platforms),
            "size": int(self.size),
            "harmful": bool(self.harmful),
        }
        if self.evidence:
            out["evidence"] = [e.to_dict() for e in self.evidence]
        return out


@dataclass(frozen=True)
class Cluster:
    """A group of accounts acting in concert (SPEC §4 ``clusters``)."""

    cluster_id: str
    accounts: tuple[str, ...]
    score: float
    significant: bool
    evidence: tuple[Evidence, ...] = ()
    numbers: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "cluster_id": self.cluster_id,
            "accounts": list(self.accounts),
            "score": round(float(self.score), 6),
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(frozen=True)
class MCNFinding:
    """An MCN agency implicated through its accounts (SPEC §4 ``mcns``)."""

    mcn_id: str
    score: float
    accounts: tuple[str, ...]
    measures: tuple[str, ...]
    evidence: tuple[Evidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "mcn_id": self.mcn_id,
            "score": round(float(self.score), 6),
            "accounts": list(self.accounts),
            "measures": list(self.measures),
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(frozen=True)
class Detections:
    """What the detectors found in one event, gathered for scoring and the report.

    ``of_content`` maps content and repost IDs to narrative IDs; ``clusters``
    holds every cluster the coordination detector returned (only the
    ``significant`` ones make the role ``coordinated`` and enter the report).
    """

    narratives: tuple[Narrative, ...] = ()
    of_content: Mapping[str, str] = field(default_factory=dict)
    roles: tuple[RoleFinding, ...] = ()
    clusters: tuple[Cluster, ...] = ()
    #: estimated probability of abuse per content and repost ID where known or inferred
    #: (``NarrativeResult.harm``); NaN or absent: nothing to tell
    harm: pd.Series | None = None
    #: account_id -> evidence of findings set aside (see :func:`pileon.detectors.harm.corroborate`)
    notes: Mapping[str, tuple[Evidence, ...]] = field(default_factory=dict)
    #: the event's venues, ranked (SPEC §7; :func:`pileon.detectors.venues.detect_venues`)
    venues: tuple[VenueFinding, ...] = ()

    def roles_of(self) -> dict[str, dict[str, RoleFinding]]:
        """account_id -> role -> its strongest finding."""
        out: dict[str, dict[str, RoleFinding]] = {}
        for f in self.roles:
            cur = out.setdefault(f.account_id, {})
            if f.role not in cur or f.strength > cur[f.role].strength:
                cur[f.role] = f
        return out

    def significant_clusters(self) -> list[Cluster]:
        """The significant clusters, strongest first (ties by cluster_id)."""
        sig = [c for c in self.clusters if c.significant]
        return sorted(sig, key=lambda c: (-round(float(c.score), 9), c.cluster_id))

    def cluster_of(self) -> dict[str, Cluster]:
        """account_id -> the strongest significant cluster holding it."""
        out: dict[str, Cluster] = {}
        for c in self.significant_clusters():
            for a in c.accounts:
                out.setdefault(a, c)
        return out
