"""``GET /v1/events/{event_id}/graph``: a bounded, summarised graph of one incident.

What is shown and in which order is :mod:`pileon.service.incident_graph`'s.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from pileon.api import disclosure
from pileon.api.deps import StoreDep, ViewerRole
from pileon.api.routes.events import latest_run
from pileon.api.schemas import AUTH_ERRORS, Evidence
from pileon.service.incident_graph import DEFAULT_NODES, MAX_NODES, MIN_NODES, incident_graph

router = APIRouter(prefix="/v1/events", tags=["graph"], responses=AUTH_ERRORS)


# ------------------------------------------------------------------- responses
class ViewNode(BaseModel):
    """One node of the incident view; fields that do not apply to its kind are null."""

    id: str = Field(
        description="Node ID: an account or MCN ID as stored; "
        "`narrative:ID`, `cluster:ID` and `venue:ID` for narratives, clusters and venues."
    )
    kind: Literal["account", "narrative", "mcn", "cluster", "venue"]
    ref: str = Field(description="The account, narrative, MCN, cluster or venue ID.")
    label: str
    parent: str | None = Field(
        default=None, description="The cluster node holding this account, if shown."
    )
    rank: int | None = None
    score: float | None = None
    tier: int | None = None
    roles: list[str] = []
    cluster_id: str | None = None
    mcn_ids: list[str] = []
    priority: str | None = None
    refer: bool | None = None
    platform: str | None = None
    followers: int | None = None
    placeholder: bool = False
    size: int | None = Field(default=None, description="Narratives: contents plus reposts.")
    harmful: bool | None = None
    platforms: list[str] = []
    first_poster: str | None = None
    first_content_id: str | None = None
    measures: list[str] = Field(
        default=[], description="MCNs: the joint measures proposed; venues: their measures."
    )
    venue_kind: str | None = Field(default=None, description="Venues: topic, group, forum...")
    items: int | None = Field(default=None, description="Venues: items posted there.")
    harmful_items: int | None = Field(default=None, description="Venues: of them, harmful.")
    named_after: list[str] = Field(default=[], description="Venues: names it is built from.")
    created_during_event: bool | None = None
    anonymous_board: bool | None = None
    members_total: int | None = Field(
        default=None, description="MCNs and clusters: accounts in the report."
    )
    members_shown: int | None = Field(
        default=None, description="MCNs and clusters: of them, shown here."
    )
    evidence: list[Evidence] = Field(
        default=[],
        description="MCNs, clusters and venues: their evidence "
        "(accounts: read `GET /v1/accounts/{id}`).",
    )
    withheld: list[str] = Field(
        default=[],
        description="What the caller's role may not read here (viewers: a narrative's text).",
    )


class ViewEdge(BaseModel):
    source: str
    target: str
    type: Literal["first_post", "repost", "affiliation", "created", "hosts"]
    weight: int = Field(default=1, ge=1, description="Reposts aggregated into the edge.")


class ViewSummary(BaseModel):
    accounts_total: int = Field(description="Accounts in the event's report.")
    accounts_shown: int
    narratives_total: int
    harmful_narratives_total: int
    narratives_shown: int
    clusters_total: int
    clusters_shown: int
    mcns_total: int
    mcns_shown: int
    venues_total: int = Field(default=0, description="Venues of the report calling for a measure.")
    venues_shown: int = 0
    reposts_shown: int = Field(description="The event's reposts by shown accounts drawn as edges.")
    reposts_to_hidden: int = Field(
        description="The event's reposts by shown accounts of contents by accounts not shown."
    )


class IncidentGraph(BaseModel):
    event_id: str
    run_id: str
    limit: int
    nodes: list[ViewNode]
    edges: list[ViewEdge]
    summary: ViewSummary
    truncated: bool = Field(
        description="True when some accounts, narratives, clusters or "
        "MCNs of the report are not shown."
    )


# ---------------------------------------------------------------------- routes
EventId = Annotated[str, Path(min_length=1, max_length=512, description="An event ID.")]


@router.get("/{event_id:id}/graph", response_model=IncidentGraph, summary="The incident graph")
def get_incident_graph(
    event_id: EventId,
    store: StoreDep,
    role: ViewerRole,
    limit: Annotated[
        int, Query(ge=MIN_NODES, le=MAX_NODES, description="At most this many nodes.")
    ] = DEFAULT_NODES,
) -> dict[str, Any]:
    """A bounded, summarised graph of the event's latest analysis for the investigator page:
    the top accounts by rank with their clusters and MCNs, the narratives with their first
    posters, and aggregated repost edges between what is shown. `summary` says what was left
    out."""
    graph = incident_graph(store, event_id, latest_run(store, event_id), limit=limit)
    return disclosure.incident_graph(graph, role)
