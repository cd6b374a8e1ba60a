"""One exception hierarchy for pileon.

Every error a user can cause (a bad file, an unknown event, an unreachable
database) is a :class:`PileonError`; the CLI prints its message on one line
and exits non-zero, the API maps it to a JSON error.  Anything else is a bug.
"""


class PileonError(Exception):
    """Base class of the errors pileon reports to its users."""

    exit_code = 2
    http_status = 400


class InputError(PileonError):
    """An input file or argument cannot be used (unreadable, wrong format)."""


class BulkLoadError(PileonError):
    """A bulk import cannot run or did not end as planned (the database is not empty, the
    import tool failed, the imported graph is not the one written)."""

    http_status = 409


class NotFound(PileonError):
    """An event, account or job that the store does not hold."""

    http_status = 404


class IdempotencyConflict(PileonError):
    """An idempotency key already named another request (a different body)."""

    http_status = 409


class IngestIncomplete(PileonError):
    """The store holds an ingest that started and did not finish (interrupted)."""

    http_status = 409


class NotComputed(PileonError):
    """Findings that are computed when data lands (stored alerts) are not in the store yet."""

    http_status = 409


class StoreUnavailable(PileonError):
    """The store cannot be opened or reached (file locked, server down)."""

    exit_code = 3
    http_status = 503


class StoreAuthError(StoreUnavailable):
    """The store refused the credentials."""


class StageFailed(PileonError):
    """A step of a long job (analyze, train) failed: the message names the step and what to try.

    Raised in place of an unexpected exception or of running out of memory, so
    that the CLI prints one line; the original exception is kept as ``__cause__``
    for those who call the library and want its traceback.
    """

    exit_code = 4
    http_status = 500

    def __init__(self, message: str, *, stage: str) -> None:
        super().__init__(message)
        self.stage = stage


def out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` says the process ran out of memory: a :class:`MemoryError`, or an
    ``OSError`` or ``ImportError`` (a library that could not be mapped) with ``ENOMEM``
    or the loader's "failed to map segment"/"cannot allocate memory".

    >>> out_of_memory(MemoryError()), out_of_memory(KeyError("x"))
    (True, False)
    >>> out_of_memory(ImportError("x.so: failed to map segment from shared object"))
    True
    """
    import errno

    if isinstance(exc, MemoryError):
        return True
    if isinstance(exc, OSError) and exc.errno == errno.ENOMEM:
        return True
    if isinstance(exc, (OSError, ImportError)):
        text = str(exc).lower()
        return "failed to map segment" in text or "cannot allocate memory" in text
    return False
