"""``POST /v1/ingest``: upload table files and load them as a job (admin)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Response, UploadFile
from fastapi.responses import FileResponse

from pileon.api.deps import AdminRole, JobsDep, SettingsDep, StoreDep
from pileon.api.jobs import Job
from pileon.api.schemas import AUTH_ERRORS, JobOut, error_responses
from pileon.graph.errors import InputError, NotFound, PileonError
from pileon.graph.model import TABLES
from pileon.graph.store import Store

router = APIRouter(tags=["ingest"], responses=AUTH_ERRORS)

FORMATS = ("csv", "jsonl", "parquet")
_COPY_CHUNK = 1 << 20


class UploadTooLarge(PileonError):
    http_status = 413


def table_file_name(filename: str | None) -> str:
    """The upload's file name if it names a table file (``<table>.<csv|jsonl|parquet>``)."""
    name = Path((filename or "").replace("\\", "/")).name
    stem, _, ext = name.partition(".")
    if stem not in TABLES or ext not in FORMATS:
        raise InputError(
            f"cannot ingest a file named {name or '(no name)'!r}: name each file "
            f"<table>.csv, .jsonl or .parquet with <table> one of "
            f"{', '.join(TABLES)}"
        )
    return name


def save_uploads(files: list[UploadFile], folder: Path, *, max_bytes: int) -> list[str]:
    """Copy the uploads into ``folder`` under their table file names; return the names."""
    names = [table_file_name(f.filename) for f in files]
    tables = [n.partition(".")[0] for n in names]
    dup = sorted({t for t in tables if tables.count(t) > 1})
    if dup:
        raise InputError(f"table {dup[0]} is uploaded twice; send one file per table")
    total = 0
    for f, name in zip(files, names):
        with open(folder / name, "wb") as out:
            while chunk := f.file.read(_COPY_CHUNK):
                total += len(chunk)
                if total > max_bytes:
                    raise UploadTooLarge(
                        f"the upload exceeds {max_bytes // (1 << 20)} MB (PILEON_MAX_UPLOAD_MB)"
                    )
                out.write(chunk)
    return names


def run_ingest(
    job: Job, store: Store, folder: Path, rejects: Path, margin_hours: float = 48.0
) -> dict[str, Any]:
    """The ingest job: :func:`pileon.service.ingest.ingest` on the uploaded folder (the
    tables, then the alerts the new rows touch)."""
    from pileon.service.ingest import ingest as ingest_folder

    job.report_progress(0.05)
    summary = ingest_folder(
        store,
        folder,
        reject_path=rejects,
        show_progress=False,
        margin=margin_hours,
        source="an upload to /v1/ingest",
    ).to_dict()
    summary["rejects"] = f"/v1/jobs/{job.job_id}/rejects"
    return summary


@router.post(
    "/v1/ingest",
    response_model=JobOut,
    status_code=202,
    summary="Ingest table files",
    responses=error_responses(413),
)
def ingest(
    files: Annotated[
        list[UploadFile], File(description="Table files named <table>.csv|jsonl|parquet.")
    ],
    store: StoreDep,
    jobs: JobsDep,
    settings: SettingsDep,
    _: AdminRole,
    response: Response,
    margin_hours: Annotated[
        float,
        Query(
            ge=0,
            description="How long before its start (and after its last activity) an "
            "event's window reaches, in hours (content joins an event by text, copy or "
            "media only inside its window).",
        ),
    ] = 48.0,
) -> dict[str, Any]:
    """Load the uploaded tables (SPEC §2) in the background; the job's result is the
    ingest summary, its reject file is at `/v1/jobs/{job_id}/rejects`."""
    if not files:
        raise InputError("no files uploaded")
    work = Path(tempfile.mkdtemp(prefix="pileon-ingest-"))
    upload = work / "upload"
    upload.mkdir()
    try:
        names = save_uploads(files, upload, max_bytes=settings.max_upload_mb << 20)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    rejects = work / "rejects.csv"
    job = jobs.submit(
        "ingest",
        lambda j: run_ingest(j, store, upload, rejects, margin_hours),
        params={"files": names, "margin_hours": margin_hours},
        cleanup=lambda: shutil.rmtree(upload, ignore_errors=True),
        workdir=work,
    )
    response.headers["Location"] = f"/v1/jobs/{job.job_id}"
    return job.snapshot()


@router.get(
    "/v1/jobs/{job_id}/rejects",
    response_class=FileResponse,
    summary="Ingest rejects",
    responses={
        200: {
            "content": {"text/csv": {}},
            "description": "The reject file (CSV: table, line, reason, raw).",
        }
    },
)
def get_rejects(job_id: str, jobs: JobsDep, _: AdminRole) -> FileResponse:
    """The reject file of an ingest job (rows refused, with line and reason)."""
    job = jobs.get(job_id)
    path = job.workdir / "rejects.csv" if job.workdir is not None else None
    if path is None or job.kind != "ingest" or not path.is_file():
        raise NotFound(f"no reject file for job {job_id}")
    return FileResponse(path, media_type="text/csv", filename=f"rejects-{job_id}.csv")
