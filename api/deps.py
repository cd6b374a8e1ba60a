"""Dependencies the routes declare: settings, the store, jobs, the caller's role.

Each is a named ``Annotated`` alias (``StoreDep``, ``ViewerRole``...) so that
routes stay thin and tests swap any of them with ``app.dependency_overrides``
(e.g. ``app.dependency_overrides[get_store] = lambda: tmp_store``).

Authentication: ``Authorization: Bearer KEY``, checked by
:class:`pileon.api.security.Guard` before the request's body is read
(:func:`pileon.api.security.authenticate`: constant-time comparison with every
configured key); :func:`get_role` reads the role it found.  Keys are never logged
nor echoed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from pileon.api.jobs import JobManager
from pileon.api.pagination import CursorCodec
from pileon.api.security import Caller, Unauthorized, authenticate, request_caller
from pileon.graph.errors import PileonError
from pileon.graph.store import Store
from pileon.settings import Role, Settings

__all__ = ["Unauthorized", "Forbidden"]  # and the dependencies below


class Forbidden(PileonError):
    """The caller's role is too low for the call."""

    http_status = 403


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


_store_lock = threading.Lock()


def get_store(request: Request) -> Store:
    """The app's store, opened on first use from ``settings.store`` and then shared."""
    state = request.app.state
    store = getattr(state, "store", None)
    if store is None:
        with _store_lock:
            store = getattr(state, "store", None)
            if store is None:
                store = state.settings.open_store()
                state.store = store
    return store


def get_jobs(request: Request) -> JobManager:
    return request.app.state.jobs


def get_cursors(request: Request) -> CursorCodec:
    return request.app.state.cursors


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
JobsDep = Annotated[JobManager, Depends(get_jobs)]
CursorsDep = Annotated[CursorCodec, Depends(get_cursors)]

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer KEY`.")


def get_caller(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The caller: the name and role of its API key (401 when missing or unknown), as
    the guard found them before reading the body, else (outside ``/v1``) checked here."""
    caller = request_caller(request.scope)
    if caller is not None:
        return caller
    given = f"Bearer {credentials.credentials}" if credentials is not None else None
    return authenticate(settings, given)


CallerDep = Annotated[Caller, Depends(get_caller)]


def get_role(caller: CallerDep) -> Role:
    """The role of the caller's API key."""
    return caller.role


CallerRole = Annotated[Role, Depends(get_role)]


def require(needed: Role) -> Callable[[Role], Role]:
    """A dependency that lets through callers whose role includes ``needed`` (else 403)."""

    def check(role: CallerRole) -> Role:
        if not role.allows(needed):
            raise Forbidden(
                f"this call needs the {needed.value} role; your key has the {role.value} role"
            )
        return role

    check.__name__ = f"require_{needed.value}"
    return check


ViewerRole = Annotated[Role, Depends(require(Role.viewer))]
EnforcerRole = Annotated[Role, Depends(require(Role.enforcer))]
AdminRole = Annotated[Role, Depends(require(Role.admin))]
