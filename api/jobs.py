"""Background jobs (ingest, analyze) run one at a time on a worker thread.

Jobs that write the store run in submission order on a single worker, so two
writes never interleave; readers keep being served meanwhile (the embedded
store is in WAL mode).  A job function receives a :class:`Job` and may call
:meth:`Job.report_progress`; it returns a JSON-able summary.  A
:class:`pileon.graph.errors.PileonError` marks the job ``failed`` with its message;
any other exception marks it failed with a generic message (the traceback goes
to the server log, never to the client).
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pileon.graph.errors import NotFound, PileonError

log = logging.getLogger("pileon.api.jobs")

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Job:
    """One background job and what is known of it."""

    job_id: str
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    status: str = QUEUED
    progress: float = 0.0
    created_at: str = field(default_factory=_now)
    started_at: str | None = None
    finished_at: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    #: a folder the job owns (uploads, reject file); removed when the job is forgotten
    workdir: Path | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def report_progress(self, fraction: float) -> None:
        """Record progress (clamped to 0..1, never going back)."""
        with self._lock:
            self.progress = max(self.progress, min(1.0, max(0.0, float(fraction))))

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "job_id": self.job_id,
                "kind": self.kind,
                "params": dict(self.params),
                "status": self.status,
                "progress": round(self.progress, 4),
                "created_at": self.created_at,
                "started_at": self.started_at,
                "finished_at": self.finished_at,
                "result": self.result,
                "error": self.error,
            }


class JobManager:
    """Runs jobs in order on one worker thread and remembers the last ``keep`` of them."""

    def __init__(self, *, keep: int = 1000) -> None:
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._keep = keep
        self._pool: ThreadPoolExecutor | None = None

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pileon-job")
            return self._pool

    def submit(
        self,
        kind: str,
        fn: Callable[[Job], dict[str, Any]],
        *,
        params: dict[str, Any] | None = None,
        cleanup: Callable[[], None] | None = None,
        workdir: Path | None = None,
    ) -> Job:
        """Queue ``fn(job)``; ``cleanup`` runs after it whatever happens; ``workdir`` is
        removed when the job is forgotten (evicted, or the server stops)."""
        job = Job(job_id=uuid.uuid4().hex, kind=kind, params=dict(params or {}), workdir=workdir)
        with self._lock:
            self._jobs[job.job_id] = job
            self._evict()
        self._executor().submit(self._run, job, fn, cleanup)
        return job

    def _evict(self) -> None:
        while len(self._jobs) > self._keep:
            for jid, j in self._jobs.items():
                if j.status in (DONE, FAILED):
                    del self._jobs[jid]
                    if j.workdir is not None:
                        shutil.rmtree(j.workdir, ignore_errors=True)
                    break
            else:
                return

    def _run(
        self, job: Job, fn: Callable[[Job], dict[str, Any]], cleanup: Callable[[], None] | None
    ) -> None:
        with job._lock:
            job.status, job.started_at = RUNNING, _now()
        try:
            result = fn(job)
        except PileonError as exc:
            self._finish(job, error=str(exc) or exc.__class__.__name__)
        except Exception as exc:  # a bug: keep the server up, tell the client, log the trace
            log.exception("job %s (%s) failed", job.job_id, job.kind)
            self._finish(
                job, error=f"internal error ({exc.__class__.__name__}); see the server log"
            )
        else:
            self._finish(job, result=result)
        finally:
            if cleanup is not None:
                try:
                    cleanup()
                except Exception:  # pragma: no cover - best effort
                    log.exception("cleanup of job %s failed", job.job_id)

    @staticmethod
    def _finish(
        job: Job, *, result: dict[str, Any] | None = None, error: str | None = None
    ) -> None:
        with job._lock:
            job.finished_at = _now()
            if error is None:
                job.status, job.progress, job.result = DONE, 1.0, result
            else:
                job.status, job.error = FAILED, error

    def get(self, job_id: str) -> Job:
        """The job ``job_id`` (raises ``NotFound``)."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(f"no job {job_id}")
        return job

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """Block until the job has finished (tests, the CLI); returns it."""
        deadline = None if timeout is None else time.monotonic() + timeout
        job = self.get(job_id)
        while job.status in (QUEUED, RUNNING):
            if deadline is not None and time.monotonic() > deadline:
                break
            time.sleep(0.01)
        return job

    def shutdown(self) -> None:
        """Finish the running job, drop the queued ones."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            for job in self._jobs.values():
                if job.workdir is not None:
                    shutil.rmtree(job.workdir, ignore_errors=True)
