"""Request and response models: what ``/openapi.json`` describes.

Findings follow SPEC §4.  Report items may carry more fields than listed here
(the pipeline may add some); they are passed through unchanged
(``extra="allow"``), the listed ones are always described.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from pileon.graph.frames import frame_records, jsonable  # noqa: F401 - the API's JSON values
from pileon.graph.model import ACCOUNT_MEASURES, MCN_MEASURES, VENUE_KINDS, VENUE_MEASURES

T = TypeVar("T")

NodeKind = Literal["account", "content", "repost", "mcn", "event"]
EdgeType = Literal[
    "POSTED", "REPOST_OF", "REPLY_TO", "TARGETS", "IN_EVENT", "AFFILIATED_WITH", "FINDING"
]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


# ----------------------------------------------------------------- errors, pages
class ErrorOut(BaseModel):
    detail: str = Field(description="What went wrong, in one line.")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; null on the last page."
    )


class RankedPage(Page[T], Generic[T]):
    run_id: str = Field(
        description="The analysis run this list is read from (the cursor "
        "keeps reading it while newer runs land)."
    )


class IngestMark(BaseModel):
    started_at: str | None = Field(default=None, description="When it started (UTC).")


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    store: Literal["embedded", "neo4j"]
    ingest_in_progress: IngestMark | None = Field(
        default=None,
        description="An ingest that started and has not finished: running now, or "
        "interrupted (then analyze refuses until the ingest is run again).",
    )


# -------------------------------------------------------------------- findings
class Evidence(_Open):
    kind: str
    content_ids: list[str] = []
    detail: str = ""


def _account_measures(schema: dict[str, Any]) -> None:
    """``measures`` of an account entry: present only when one applies (SPEC §7), so it is
    passed through as an extra field and described here."""
    schema.setdefault("properties", {})["measures"] = {
        "type": "array",
        "items": {"type": "string"},
        "title": "Measures",
        "description": f"Measures beyond the tier (SPEC §7), among {', '.join(ACCOUNT_MEASURES)}: "
        "every impersonator's identity is to be verified. Absent when none applies.",
    }


class AccountFinding(_Open):
    """An account's entry of the report (SPEC §4); ``measures`` only when one applies."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_account_measures)

    account_id: str
    rank: int
    score: float | None = None
    tier: int | None = Field(default=None, ge=0, le=4)
    roles: list[str] = []
    cluster_id: str | None = None
    mcn_ids: list[str] = []
    priority: str | None = Field(default=None, description='"minor" when minors are involved.')
    refer: bool | None = Field(default=None, description="Refer to law enforcement.")
    evidence: list[Evidence] = []


class MCNFinding(_Open):
    mcn_id: str
    rank: int
    score: float | None = None
    accounts: list[str] = []
    measures: list[str] = Field(default=[], description=f"Among {', '.join(MCN_MEASURES)}.")
    evidence: list[Evidence] = []


class ClusterFinding(_Open):
    cluster_id: str
    rank: int | None = Field(default=None, description="Position in the report (1 = first).")
    accounts: list[str] = []
    score: float | None = None
    evidence: list[Evidence] = []


class NarrativeOut(_Open):
    narrative_id: str
    first_poster: str | None = None
    first_content_id: str | None = None
    platforms: list[str] = []
    size: int = 0
    harmful: bool = False


class VenueFinding(_Open):
    """A venue where the event's contents were posted (SPEC §7), ranked by abuse
    concentration."""

    venue_id: str
    rank: int
    score: float | None = None
    platform: str | None = None
    kind: str | None = Field(default=None, description=f"Among {', '.join(VENUE_KINDS)}.")
    name: str | None = None
    creator_id: str | None = None
    host_id: str | None = None
    items: int = 0
    harmful: int = 0
    harmful_share: float = 0.0
    named_after: list[str] = Field(
        default=[], description="Event names or persons its name is built from."
    )
    created_during_event: bool = False
    anonymous_board: bool = Field(
        default=False, description="An anonymous-submission or shout-out venue."
    )
    measures: list[str] = Field(default=[], description=f"Among {', '.join(VENUE_MEASURES)}.")
    evidence: list[Evidence] = []


class PlatformFigures(_Open):
    """How much abuse a platform carried and how fast it acted on reports (SPEC §7)."""

    platform: str
    rank: int | None = Field(default=None, description="Position in the report (by name).")
    harmful: int = 0
    harmful_removed_share: float | None = None
    reports: int = 0
    reports_actioned_share: float | None = None
    report_to_action_median_s: float | None = None
    report_to_action_p90_s: float | None = None
    actioned_within_1h_share: float | None = None
    actioned_within_24h_share: float | None = None
    minor_report_to_action_median_s: float | None = None
    harmful_venues_open: int = 0


class ReportOut(_Open):
    event_id: str
    run_id: str
    generated_at: str | None = None
    accounts: list[AccountFinding] = []
    mcns: list[MCNFinding] = []
    clusters: list[ClusterFinding] = []
    narratives: list[NarrativeOut] = []
    venues: list[VenueFinding] = []
    platforms: list[PlatformFigures] = []


class AccountEventFinding(AccountFinding):
    """An account's entry in the latest run of one event."""

    event_id: str
    run_id: str


# ---------------------------------------------------------------------- events
class RunSummary(BaseModel):
    run_id: str
    generated_at: str | None = None
    accounts: int
    mcns: int
    clusters: int
    narratives: int


class EventOut(BaseModel):
    event_id: str
    name: str | None = None
    started_at: str | None = None
    keywords: list[str] = []
    entities: list[str] = []
    target_ids: list[str] = []
    latest_run: RunSummary | None = Field(
        default=None, description="The latest analysis, or null when never analyzed."
    )


# -------------------------------------------------------------------- accounts
class AccountProfile(BaseModel):
    account_id: str
    platform: str | None = None
    name: str | None = None
    created_at: str | None = None
    followers: int | None = None
    verified: bool | None = None
    identity_key: str | None = None
    is_minor: bool | None = None
    placeholder: bool = False
    extra: dict[str, Any] = {}
    withheld: list[str] = Field(
        default=[],
        description="Fields the caller's role may not read (viewers: identity_key, extra).",
    )


class RenameOut(BaseModel):
    new_name: str
    old_name: str | None = None
    renamed_at: str | None = None


class AffiliationOut(BaseModel):
    mcn_id: str
    mcn_name: str | None = None
    since: str | None = None
    until: str | None = None
    role: str | None = None


class DecisionOut(BaseModel):
    decision_id: str
    event_id: str | None = None
    account_id: str | None = None
    mcn_id: str | None = None
    tier: int | None = None
    measure: str | None = None
    note: str | None = None
    decided_at: str
    decided_by: str | None = Field(
        default=None, description="The name of the key that recorded it (NAME:KEY:ROLE)."
    )


class DecisionAuditOut(BaseModel):
    """One call of `POST /v1/decisions`, as the append-only audit trail keeps it."""

    seq: int
    at: str = Field(description="When (UTC).")
    action: Literal["recorded", "replaced", "replayed", "refused"] = Field(
        description="replayed: a repeat with the same Idempotency-Key and body; refused: "
        "the same key with another body (409)."
    )
    decision_id: str | None = None
    decided_by: str | None = None
    idempotency_key: str | None = None
    request_sha256: str | None = Field(default=None, description="SHA-256 of the request body.")
    decision: str = Field(description="The decision the call asked for, as JSON.")


class AccountOut(BaseModel):
    profile: AccountProfile
    renames: list[RenameOut]
    affiliations: list[AffiliationOut]
    findings: list[AccountEventFinding] = Field(
        description="The account's entries in the latest analysis of every event."
    )
    decisions: list[DecisionOut] = Field(description="Measures recorded on the account.")


# ----------------------------------------------------------------------- graph
class NodeFinding(_Open):
    event_id: str
    run_id: str
    rank: int | None = None
    score: float | None = None
    tier: int | None = None
    roles: list[str] = []
    measures: list[str] = []
    cluster_id: str | None = None


class GraphNode(BaseModel):
    id: str
    kind: NodeKind
    label: str
    placeholder: bool = False
    properties: dict[str, Any] = {}
    findings: list[NodeFinding] = Field(
        default=[],
        description="Findings on the node in the latest run of each event (accounts and MCNs).",
    )
    withheld: list[str] = Field(
        default=[],
        description="Properties the caller's role may not read (viewers: a content's text, "
        "url, media_hash and extra; an account's identity_key and extra).",
    )


class GraphEdge(BaseModel):
    source: str
    target: str
    type: EdgeType
    properties: dict[str, Any] = {}


class CappedExpansion(BaseModel):
    node: str = Field(description="The node whose neighbours were cut.")
    edge: EdgeType = Field(description="The kind of neighbours cut.")
    read: int = Field(description="How many of them were read (the first by ID, or by rank).")


class NeighborhoodSample(BaseModel):
    """How the walk was bounded around hubs (a viral post's cascade is never walked whole)."""

    fanout: int = Field(description="Neighbours of each kind read from one node, at most.")
    rule: str = Field(description="Which neighbours are read when a node has more.")
    capped: list[CappedExpansion] = Field(
        description="Every expansion that had more neighbours than were read (empty: none)."
    )


class Neighborhood(BaseModel):
    center: str
    hops: int
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    truncated: bool = Field(
        description="True when `limit` cut the neighbourhood short (more nodes than room, "
        "or the limit reached before the last hop)."
    )
    sample: NeighborhoodSample


# ------------------------------------------------------------------- decisions
class DecisionIn(BaseModel):
    """A measure actually taken on an account or an MCN (a training label later)."""

    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(min_length=1, max_length=512)
    account_id: str | None = Field(default=None, min_length=1, max_length=512)
    mcn_id: str | None = Field(default=None, min_length=1, max_length=512)
    tier: int | None = Field(
        default=None, ge=0, le=4, description="The tier applied to an account (SPEC §4)."
    )
    measure: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description=f"The measure taken; for an MCN one of {', '.join(MCN_MEASURES)}.",
    )
    note: str | None = Field(default=None, max_length=10_000)

    @model_validator(mode="after")
    def _check(self) -> DecisionIn:
        if (self.account_id is None) == (self.mcn_id is None):
            raise ValueError("give exactly one of account_id and mcn_id")
        if self.tier is None and self.measure is None:
            raise ValueError("give a tier, a measure or both")
        if self.mcn_id is not None:
            if self.tier is not None:
                raise ValueError("tiers apply to accounts; give an MCN a measure")
            if self.measure not in MCN_MEASURES:
                raise ValueError(f"an MCN measure is one of {', '.join(MCN_MEASURES)}")
        return self


# ------------------------------------------------------------------------ jobs
class JobOut(BaseModel):
    job_id: str
    kind: Literal["ingest", "analyze"]
    params: dict[str, Any] = {}
    status: Literal["queued", "running", "done", "failed"]
    progress: float = Field(
        ge=0,
        le=1,
        description="0..1; 1 when done. Ingest and analyze report only start (0.05) and end today.",
    )
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    result: dict[str, Any] | None = Field(default=None, description="The job's summary when done.")
    error: str | None = Field(default=None, description="Why the job failed.")


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error statuses a route may answer (all ``ErrorOut``)."""
    text = {
        400: "Bad input (e.g. an invalid cursor)",
        401: "No API key or an unknown one",
        403: "The key's role is too low",
        404: "Unknown ID",
        409: "Conflicts with an earlier request",
        413: "Request body too large",
        422: "Invalid request",
        429: "Too many failed API keys from this address (see Retry-After)",
        503: "The store cannot be reached",
    }
    return {s: {"model": ErrorOut, "description": text.get(s, "Error")} for s in statuses}


#: what every authenticated route may answer besides success
AUTH_ERRORS = error_responses(400, 401, 403, 404, 422, 429, 503)
