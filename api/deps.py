"""Dependencies the routes declare: settings, the store, jobs, the caller's role.

Each is a named ``Annotated`` alias (``StoreDep``, ``ViewerRole``...) so that
routes stay thin and tests swap any of them with ``app.dependency_overrides``
(e.g. ``app.dependency_overrides[get_store] = lambda: tmp_store``).

Authentication: ``Authorization: Bearer KEY``.  The key's SHA-256 digest is
compared in constant time with every configured key (no early exit), so the
time taken says nothing about which key or how much of it matched.  Keys are
never logged nor echoed.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from pileon.api.jobs import JobManager
from pileon.api.pagination import CursorCodec
from pileon.graph.errors import PileonError
from pileon.graph.store import Store
from pileon.settings import Role, Settings, key_digest


class Unauthorized(PileonError):
    """No API key, or one the server does not know."""

    http_status = 401


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


def get_role(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Role:
    """The role of the caller's API key (401 when missing or unknown)."""
    if credentials is None or not credentials.credentials:
        raise Unauthorized("missing API key: send 'Authorization: Bearer KEY'")
    given = key_digest(credentials.credentials)
    found: Role | None = None
    for digest, role in settings.keys:  # look at every key: no early exit
        if hmac.compare_digest(digest, given) and found is None:
            found = role
    if found is None:
        raise Unauthorized("unknown API key")
    return found


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
