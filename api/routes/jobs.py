"""``GET /v1/jobs/{job_id}``: the status, progress and result of an ingest or analysis."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from pileon.api.deps import JobsDep, ViewerRole
from pileon.api.schemas import AUTH_ERRORS, JobOut

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], responses=AUTH_ERRORS)


@router.get("/{job_id}", response_model=JobOut, summary="One job")
def get_job(
    job_id: Annotated[str, Path(min_length=1, max_length=64)], jobs: JobsDep, _: ViewerRole
) -> dict[str, Any]:
    """Status (`queued`, `running`, `done`, `failed`), progress 0..1, and the result
    summary or the error message."""
    return jobs.get(job_id).snapshot()
