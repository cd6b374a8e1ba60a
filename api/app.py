"""The FastAPI application: :func:`create_app` builds it from :class:`pileon.settings.Settings`.

Every module of :mod:`pileon.api.routes` that defines ``router`` (an ``APIRouter``) is
included, in module-name order, so a new resource is one new module.  Errors
all leave through one mapping and have the shape ``{"detail": "..."}``:

* :class:`pileon.graph.errors.PileonError` → its ``http_status`` (``NotFound`` 404,
  bad input 400, store down 503, no or unknown key 401, role too low 403);
* a request that fails validation → 422 (the message names the field);
* unknown paths and methods → 404 / 405;
* anything else → 500 ``internal error`` (a bug; the traceback goes to the log).

If ``api/static/`` exists it is served at ``/ui`` (the investigator UI) and ``/``
redirects there; ``/docs`` is Swagger UI from ``api/static/vendor`` (no CDN).  Middleware
(:mod:`pileon.api.security`, :mod:`pileon.api.paths`): security headers on every
response, IDs routed as sent, the key checked and the body counted before any route.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import pkgutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

import pileon.api.routes
from pileon.api import render
from pileon.api.jobs import JobManager
from pileon.api.pagination import CursorCodec
from pileon.api.paths import RawPathIds
from pileon.api.security import FailedAuthThrottle, Guard, SecurityHeaders
from pileon.graph.errors import PileonError
from pileon.settings import Settings, load_settings

log = logging.getLogger("pileon.api")

STATIC_DIR = Path(__file__).with_name("static")


def pileon_version() -> str:
    try:
        return version("pileon")
    except PackageNotFoundError:  # pragma: no cover - running from a checkout
        return "0+unknown"


def _error(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body" or len(err["loc"]) == 1)
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts) or "invalid request"


def _install_error_mapping(app: FastAPI) -> None:
    @app.exception_handler(PileonError)
    async def pileon_error(request: Request, exc: PileonError) -> JSONResponse:
        status = int(getattr(exc, "http_status", 400))
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return _error(status, str(exc) or exc.__class__.__name__, headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error(500, "internal error; see the server log")


def _routers() -> list[APIRouter]:
    out = []
    for mod in sorted(m.name for m in pkgutil.iter_modules(pileon.api.routes.__path__)):
        module = importlib.import_module(f"{pileon.api.routes.__name__}.{mod}")
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            out.append(router)
    return out


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API. Without ``settings``, read them from the environment (see
    :mod:`pileon.settings`); refuse (``SettingsError``) settings without API keys."""
    settings = (settings if settings is not None else load_settings()).require_keys()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.jobs.shutdown()
        store = getattr(app.state, "store", None)
        if store is not None:
            store.close()

    app = FastAPI(
        title="pileon",
        version=pileon_version(),
        summary="Who is behind a pile-on: ranked findings, evidence, decisions.",
        description="Every call but `/healthz` needs `Authorization: Bearer KEY`; keys carry "
        "a role (`viewer` < `enforcer` < `admin`). Lists take `limit` and an opaque "
        "`cursor` and answer `{items, next_cursor}`. Errors are `{detail}`.",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's pages load from a CDN: /docs is served below
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.store = None
    app.state.jobs = JobManager()
    secret = hashlib.sha256(b"".join(k.digest for k in settings.keys)).digest()
    app.state.cursors = CursorCodec(secret)
    render.ANSWERS.resize(settings.api_cache_mb << 20)  # one server, one setting
    _install_error_mapping(app)
    app.state.auth_throttle = FailedAuthThrottle(settings.max_auth_failures)
    app.add_middleware(Guard, settings=settings, throttle=app.state.auth_throttle)
    app.add_middleware(RawPathIds)  # routing on IDs as sent
    app.add_middleware(SecurityHeaders)  # outermost: every response, the guard's too
    for router in _routers():
        app.include_router(router)
    if STATIC_DIR.is_dir():
        app.mount("/ui", StaticFiles(directory=STATIC_DIR, html=True), name="ui")
        if (STATIC_DIR / "docs.html").is_file():

            @app.get("/docs", include_in_schema=False)
            def docs() -> FileResponse:
                """Swagger UI over /openapi.json, from the package (no CDN)."""
                return FileResponse(STATIC_DIR / "docs.html", media_type="text/html")

        @app.get("/", include_in_schema=False)
        def home() -> RedirectResponse:
            """The investigator page."""
            return RedirectResponse("/ui/")

    return app
