"""What the served API does to defend itself and its data (the README's "Security" section).

* :class:`Guard` (ASGI middleware, in front of every route):

  - every ``/v1`` request is authenticated from its headers alone, before a byte of
    its body is read (401 otherwise), and the caller (the key's name and role) is kept in
    the request's state for the routes (:func:`request_caller`);
  - a client address that sent ``PILEON_MAX_AUTH_FAILURES`` unknown or missing keys
    within a minute gets 429 (with ``Retry-After``) on ``/v1`` until that minute has
    passed, whatever key it sends meanwhile (:class:`FailedAuthThrottle`);
  - bodies are counted as they arrive, chunked or not, and refused (413) past the limit:
    ``PILEON_MAX_BODY_MB`` (1 MB) for every route, the upload limit
    (``PILEON_MAX_UPLOAD_MB``, plus 1 MB of multipart framing) only for an admin's
    ``POST /v1/ingest``; a declared ``Content-Length`` past it is refused unread.
* :class:`SecurityHeaders` (ASGI middleware, outermost): every response says
  ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``,
  ``Referrer-Policy: no-referrer`` and a ``Content-Security-Policy`` with
  ``frame-ancestors 'none'``: :data:`PAGE_CSP` for HTML pages (the investigator page,
  ``/docs``: scripts, styles and requests from this server only, no inline script),
  :data:`DATA_CSP` for everything else; data (``/v1``, ``/healthz``) is sent with
  ``Cache-Control: no-store``, so no evidence pack nor minor's data stays in a cache.
* :func:`attachment`: a ``Content-Disposition`` that any ID survives (ASCII ``filename=``
  plus RFC 5987 ``filename*=UTF-8''...``).
"""

from __future__ import annotations

import hmac
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import quote

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pileon.api.paths import API_PREFIX
from pileon.graph.errors import PileonError
from pileon.settings import Role, Settings, key_digest

#: the Content-Security-Policy of HTML pages (served by this server, with no inline script)
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
#: the Content-Security-Policy of everything else (JSON, files): nothing may run
DATA_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
#: headers every response carries
COMMON_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
#: where the caller is kept in the request's ``scope["state"]``
CALLER_STATE = "pileon_caller"
#: the route whose admin callers may send large bodies (table uploads)
UPLOAD_PATH = "/v1/ingest"
#: multipart framing allowed on top of the uploaded files themselves
MULTIPART_OVERHEAD = 1 << 20


class Caller(NamedTuple):
    """Who sent a request: the name and role of the key (see :class:`pileon.settings.ApiKey`)."""

    name: str
    role: Role


class Unauthorized(PileonError):
    """No API key, or one the server does not know."""

    http_status = 401


class BodyTooLarge(HTTPException):
    """The request body passed its limit while it was being read (413)."""

    def __init__(self, detail: str) -> None:
        super().__init__(status_code=413, detail=detail)


class FailedAuthThrottle:
    """Failed authentications per client address over a sliding window.

    ``wait(client)`` is how many seconds ``client`` must wait (0: it may try), once it has
    ``limit`` failures within ``window`` seconds.  At most ``max_clients`` addresses are
    remembered (those that failed longest ago are forgotten first).
    """

    def __init__(
        self,
        limit: int,
        *,
        window: float = 60.0,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.window, self.max_clients, self.clock = limit, window, max_clients, clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float] | None:
        times = self._failures.get(client)
        while times and times[0] <= now - self.window:
            times.popleft()
        if times is not None and not times:
            del self._failures[client]
            return None
        return times

    def wait(self, client: str) -> int:
        with self._lock:
            now = self.clock()
            times = self._recent(client, now)
            if times is None or len(times) < self.limit:
                return 0
            return max(1, math.ceil(times[-self.limit] + self.window - now))

    def failed(self, client: str) -> None:
        with self._lock:
            now = self.clock()
            times = self._recent(client, now)
            if times is None:
                times = self._failures[client] = deque()
            times.append(now)
            self._failures.move_to_end(client)
            while len(self._failures) > self.max_clients:
                self._failures.popitem(last=False)


def authenticate(settings: Settings, authorization: str | None) -> Caller:
    """The caller whose key is in an ``Authorization: Bearer KEY`` header (``Unauthorized``).

    The key's SHA-256 digest is compared in constant time with every configured key (no
    early exit), so the time taken says nothing about which key or how much of it matched.
    """
    scheme, _, key = (authorization or "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise Unauthorized("missing API key: send 'Authorization: Bearer KEY'")
    given = key_digest(key)
    found: Caller | None = None
    for k in settings.keys:  # look at every key: no early exit
        if hmac.compare_digest(k.digest, given) and found is None:
            found = Caller(k.name, k.role)
    if found is None:
        raise Unauthorized("unknown API key")
    return found


def request_caller(scope: Scope) -> Caller | None:
    """The caller :class:`Guard` found for this request (None outside ``/v1``)."""
    return scope.get("state", {}).get(CALLER_STATE)


def _json_error(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


class Guard:
    """ASGI middleware: the key before the body, and bodies counted as they arrive."""

    def __init__(
        self, app: ASGIApp, *, settings: Settings, throttle: FailedAuthThrottle | None = None
    ) -> None:
        self.app = app
        self.settings = settings
        self.throttle = throttle or FailedAuthThrottle(settings.max_auth_failures)
        self.body_limit = settings.max_body_mb << 20
        self.upload_limit = (settings.max_upload_mb << 20) + MULTIPART_OVERHEAD

    def limit_for(self, path: str, role: Role | None) -> tuple[int, str]:
        """The body limit of a request and how to name it in a 413."""
        if path == UPLOAD_PATH and role is not None and role.allows(Role.admin):
            return self.upload_limit, f"{self.settings.max_upload_mb} MB (PILEON_MAX_UPLOAD_MB)"
        return self.body_limit, f"{self.settings.max_body_mb} MB (PILEON_MAX_BODY_MB)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        path = scope["path"]
        caller = None
        if path.startswith(API_PREFIX):
            client = (scope.get("client") or ("unknown", 0))[0]
            wait = self.throttle.wait(client)
            if wait:
                response = _json_error(
                    429,
                    f"too many failed API keys from this address; retry in {wait} s",
                    {"Retry-After": str(wait)},
                )
                await response(scope, receive, send)
                return
            try:
                caller = authenticate(self.settings, headers.get("authorization"))
            except Unauthorized as exc:
                self.throttle.failed(client)
                response = _json_error(401, str(exc), {"WWW-Authenticate": "Bearer"})
                await response(scope, receive, send)
                return
            scope.setdefault("state", {})[CALLER_STATE] = caller
        limit, name = self.limit_for(path, caller.role if caller else None)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _json_error(413, f"the request exceeds {name}")(scope, receive, send)
            return
        await self._counted(scope, receive, send, limit=limit, name=name)

    async def _counted(
        self, scope: Scope, receive: Receive, send: Send, *, limit: int, name: str
    ) -> None:
        """Run the app with a ``receive`` that raises :class:`BodyTooLarge` past ``limit``."""
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(f"the request exceeds {name}")
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge as exc:  # raised where no handler turned it into a response
            if started:
                raise
            await _json_error(413, str(exc.detail))(scope, receive, send)


class SecurityHeaders:
    """ASGI middleware: the security headers of every response (see the module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        data = path.startswith(API_PREFIX) or path == "/healthz"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in _SET_HERE and not (data and k.lower() == b"cache-control")
                ]
                kind = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                csp = PAGE_CSP if kind.startswith(b"text/html") else DATA_CSP
                headers += [*COMMON_HEADERS, (b"content-security-policy", csp.encode())]
                if data:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


_SET_HERE = {k for k, _ in COMMON_HEADERS} | {b"content-security-policy"}


def attachment(filename: str) -> str:
    """``Content-Disposition: attachment`` for ``filename``, whatever its characters.

    Headers travel as Latin-1, so the plain ``filename=`` keeps ASCII letters, digits and
    ``-_.`` (anything else becomes ``_``); ``filename*=`` carries the exact name in UTF-8
    (RFC 6266, RFC 5987), which browsers prefer.

    >>> attachment("evidence-weibo:张三.zip")
    'attachment; filename="evidence-weibo___.zip"; filename*=UTF-8\\'\\'evidence-weibo%3A%E5%BC%A0%E4%B8%89.zip'
    """
    plain = "".join(
        ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in filename
    )
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


__all__ = [
    "Guard",
    "SecurityHeaders",
    "FailedAuthThrottle",
    "Unauthorized",
    "BodyTooLarge",
    "authenticate",
    "Caller",
    "request_caller",
    "attachment",
]
