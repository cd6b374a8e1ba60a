"""``GET /healthz``: liveness and store reachability, no key needed."""

from __future__ import annotations

from fastapi import APIRouter

from pileon.api.app import pileon_version
from pileon.api.deps import StoreDep
from pileon.api.schemas import Health, IngestMark, error_responses

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, responses=error_responses(503))
def healthz(store: StoreDep) -> Health:
    """The server is up and its store answers; `ingest_in_progress` is set while an ingest
    has started and not finished (running, or interrupted: run it again)."""
    store.count("events")
    kind = "neo4j" if store.__class__.__name__ == "Neo4jStore" else "embedded"
    mark = store.ingest_mark()
    return Health(
        status="ok",
        version=pileon_version(),
        store=kind,
        ingest_in_progress=IngestMark(started_at=mark.get("started_at")) if mark else None,
    )
