"""Progress lines and error context for the long jobs (analyze, train).

A job runs as named stages (:data:`pileon.detectors.pipeline.STAGES`).  With
progress on, each finished stage prints one line with its time, whether or not
the output is a terminal, so that a log shows where a long run is::

    analyze evt:1: project 1.2 s
    analyze evt:1: narratives 3.4 s

A stage that fails in a way no input check foresaw (out of memory, a bug) is
reported as one :class:`pileon.graph.errors.StageFailed` naming the stage and
what to try (between stages, :meth:`Stages.guard` names the last one that
finished); errors pileon already explains (:class:`PileonError`) pass as
they are.
"""

from __future__ import annotations

import mmap
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from pileon.graph.errors import PileonError, StageFailed, out_of_memory

__all__ = ["Stages", "load_native_libraries", "share_marks", "where"]

#: where the running job is ("analyze evt:1 in stage roles"), in memory shared with a
#: watching parent process (:func:`share_marks`); None when nobody watches
_marks: mmap.mmap | None = None
_MARK_BYTES = 1024

#: what to try when a stage runs out of memory
MEMORY_ADVICE = (
    "free memory or run on a machine with more, or analyze a narrower event "
    "(fewer contents and reposts)"
)


class Stages:
    """Runs a job's named stages: one progress line each, one-line errors.

    Parameters
    ----------
    job : str
        What the lines and errors call the job (``"analyze evt:1"``).
    show : bool or text stream, default False
        ``True`` writes the lines to stderr, a stream writes them there.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> st = Stages("analyze e1", show=out)
    >>> with st.stage("project"):
    ...     pass
    >>> out.getvalue().startswith("analyze e1: project ")
    True
    >>> with st.stage("features"):
    ...     raise KeyError("account_id")
    Traceback (most recent call last):
    ...
    pileon.graph.errors.StageFailed: analyze e1 failed in stage features: KeyError: 'account_id' (a bug: please report it with the command that gave it)
    """

    def __init__(self, job: str, *, show: bool | TextIO = False) -> None:
        self.job = job
        self._out: TextIO | None = (sys.stderr if show is True else show) or None
        self.seconds: dict[str, float] = {}
        #: the last stage that finished ('' before the first)
        self.done = ""
        self._current = ""

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        self._current = name
        with self._named(name):
            yield
        dt = time.perf_counter() - t0
        self.seconds[name] = dt
        self.done = name
        _mark(f"{self.job} after stage {name}")
        if self._out is not None:
            print(f"{self.job}: {name} {dt:.1f} s", file=self._out, flush=True)

    @contextmanager
    def inside(self, name: str) -> Iterator[None]:
        """Work of stage ``name`` done during the current stage (a forked detector's
        result, collected later): a failure or a crash there names ``name``; no time or
        progress line of its own.

        >>> st = Stages("analyze e1")
        >>> with st.stage("roles"), st.inside("clusters"):
        ...     {}["account_id"]
        Traceback (most recent call last):
        ...
        pileon.graph.errors.StageFailed: analyze e1 failed in stage clusters: KeyError: 'account_id' (a bug: please report it with the command that gave it)
        """
        with self._named(name):
            yield
        _mark(f"{self.job} in stage {self._current}")

    @contextmanager
    def _named(self, name: str) -> Iterator[None]:
        """Marks the job as in stage ``name`` and turns a failure into its one line."""
        _mark(f"{self.job} in stage {name}")
        try:
            yield
        except PileonError:
            raise
        except BaseException as exc:
            failed = _failure(self.job, f"in stage {name}", name, exc)
            if failed is None:
                raise
            raise failed from exc

    @contextmanager
    def guard(self) -> Iterator[None]:
        """The whole job: a failure between two stages (an import, glue code) is one
        :class:`StageFailed` too, naming the last stage that finished.

        >>> st = Stages("analyze e1")
        >>> with st.guard():
        ...     with st.stage("roles"):
        ...         pass
        ...     raise MemoryError()
        Traceback (most recent call last):
        ...
        pileon.graph.errors.StageFailed: analyze e1 ran out of memory after stage roles: free memory or run on a machine with more, or analyze a narrower event (fewer contents and reposts)
        """
        try:
            yield
        except PileonError:
            raise
        except BaseException as exc:
            where = f"after stage {self.done}" if self.done else "before its first stage"
            failed = _failure(self.job, where, f"after {self.done}" if self.done else "", exc)
            if failed is None:
                raise
            raise failed from exc


def share_marks() -> None:
    """Keep where the jobs of this process are (the stage running, or the last one that
    finished) in memory that a process forked after this call can read with
    :func:`where`, even when this one dies in native code (a crash, a kill)."""
    global _marks
    if _marks is None:
        _marks = mmap.mmap(-1, _MARK_BYTES)  # anonymous and shared with forked children


def where() -> str:
    """The last place a job marked (:func:`share_marks`): ``"analyze evt:1 in stage
    roles"``, or ``""`` when none was marked."""
    if _marks is None:
        return ""
    return _marks[:].split(b"\0", 1)[0].decode("utf-8", "replace")


def _mark(text: str) -> None:
    if _marks is not None:
        data = text.encode("utf-8")[: _MARK_BYTES - 1]
        _marks[: len(data) + 1] = data + b"\0"


def _failure(job: str, where: str, stage: str, exc: BaseException) -> StageFailed | None:
    """The one-line error for ``exc`` raised ``where`` (None: let it pass, as an
    interrupt or an exit)."""
    if out_of_memory(exc):
        return StageFailed(f"{job} ran out of memory {where}: {MEMORY_ADVICE}", stage=stage)
    if not isinstance(exc, Exception):
        return None
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    what = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return StageFailed(
        f"{job} failed {where}: {what} (a bug: please report it with the command that gave it)",
        stage=stage,
    )


#: address space scipy's BLAS takes when it loads: its libraries' maps (about 90 MiB) and
#: a 32 MiB buffer per thread, with margin
BLAS_ROOM = 192 * 2**20


def _address_space() -> int | None:
    """This process's virtual size in bytes (``VmSize``; None where ``/proc`` is missing)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def load_native_libraries() -> None:
    """Load scipy's sparse graph routines and with them its BLAS, before the stages.

    OpenBLAS allocates its buffers when it is loaded and retries a failed allocation
    forever, so loaded in the middle of a run under an address-space limit
    (``ulimit -v``, ``RLIMIT_AS``) it hangs where the run should fail in one line.
    Loaded first, it fits while memory is free; when the limit leaves less than
    :data:`BLAS_ROOM` it is not loaded and :class:`MemoryError` is raised instead
    (one line through :meth:`Stages.guard`).

    Raises
    ------
    MemoryError
        The address-space limit leaves no room for the library.
    """
    if "scipy.sparse.csgraph" in sys.modules:
        return
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    used = _address_space()
    if soft != resource.RLIM_INFINITY and used is not None and used + BLAS_ROOM > soft:
        raise MemoryError("no room under the address-space limit to load scipy's BLAS")
    import scipy.sparse.csgraph  # noqa: F401
