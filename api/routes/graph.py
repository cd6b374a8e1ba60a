"""``GET /v1/graph/neighborhood``: the nodes and edges around one node, for a graph view.

The walk and its order are :func:`pileon.service.neighborhood.neighborhood`'s.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from pileon.api import disclosure
from pileon.api.deps import StoreDep, ViewerRole
from pileon.api.schemas import AUTH_ERRORS, Neighborhood
from pileon.service.neighborhood import MAX_HOPS, MAX_NODES, neighborhood

router = APIRouter(prefix="/v1/graph", tags=["graph"], responses=AUTH_ERRORS)


@router.get("/neighborhood", response_model=Neighborhood, summary="A node's neighbourhood")
def get_neighborhood(
    store: StoreDep,
    role: ViewerRole,
    node: Annotated[
        str,
        Query(
            min_length=1,
            max_length=512,
            description="An account, content, repost, MCN or event ID.",
        ),
    ],
    hops: Annotated[int, Query(ge=1, le=MAX_HOPS, description="How far to walk.")] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_NODES, description="At most this many nodes.")] = 100,
) -> dict[str, Any]:
    """Nodes (with labels and the findings on them) and edges around `node`, ready for a
    graph view. Viewers read no content text, URL or identity key: a node's `withheld`
    names what was left out."""
    return disclosure.neighborhood(neighborhood(store, node=node, hops=hops, limit=limit), role)
