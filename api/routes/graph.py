"""``GET /v1/graph/neighborhood``: the nodes and edges around one node, for a graph view.

The walk and its order are :func:`pileon.service.neighborhood.neighborhood`'s.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from pileon.api import disclosure
from pileon.api.deps import StoreDep, ViewerRole
from pileon.api.render import cached_json
from pileon.api.schemas import AUTH_ERRORS, Neighborhood
from pileon.service.neighborhood import (
    DEFAULT_FANOUT,
    MAX_FANOUT,
    MAX_HOPS,
    MAX_NODES,
    neighborhood,
)

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
    fanout: Annotated[
        int,
        Query(
            ge=1,
            le=MAX_FANOUT,
            description="At most this many neighbours of each kind read from one node "
            "(the first by ID); `sample.capped` names the nodes that had more.",
        ),
    ] = DEFAULT_FANOUT,
) -> Response:
    """Nodes (with labels and the findings on them) and edges around `node`, ready for a
    graph view. Around a hub (a viral post's reposts) each node's expansion is cut to
    `fanout` neighbours of each kind, deterministically, and `sample` says where.
    Viewers read no content text, URL or identity key: a node's `withheld` names what
    was left out."""
    return cached_json(
        store,
        ("neighborhood", node, hops, limit, fanout, disclosure.reads_content(role)),
        Neighborhood,
        lambda: disclosure.neighborhood(
            neighborhood(store, node=node, hops=hops, limit=limit, fanout=fanout), role
        ),
    )
