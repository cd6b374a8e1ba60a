"""IDs in URL paths: any ID, ``/`` and ``%`` included, is one path segment.

IDs are free text (``weibo:a/b`` is a valid account ID), so a client percent-encodes
them (``/v1/accounts/weibo:a%2Fb``, as the page's ``encodeURIComponent`` does).  The
server decodes the whole path before routing, which would turn that ``%2F`` into a
separator; :class:`RawPathIds` routes ``/v1`` requests on the path as sent instead,
decoded segment by segment with ``/`` and ``%`` left encoded inside a segment, and
the ``{name:id}`` converter (:class:`IdConvertor`) decodes the segment into the ID.

>>> route_path(b"/v1/accounts/weibo:a%2Fb")
'/v1/accounts/weibo:a%2Fb'
>>> route_path(b"/v1/accounts/weibo:pct%252Fx/x%20y")
'/v1/accounts/weibo:pct%252Fx/x y'
>>> IdConvertor().convert("weibo:pct%252Fx"), IdConvertor().convert("weibo:a%2Fb")
('weibo:pct%2Fx', 'weibo:a/b')
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from starlette.convertors import Convertor, register_url_convertor
from starlette.types import ASGIApp, Receive, Scope, Send

#: the prefix of the routes whose paths carry IDs
API_PREFIX = "/v1/"


def _segment(raw: str) -> str:
    """A raw path segment decoded, except ``%`` and ``/`` (kept as ``%25`` and ``%2F``)."""
    return unquote(raw).replace("%", "%25").replace("/", "%2F")


def route_path(raw_path: bytes) -> str:
    """The path to route on: ``raw_path`` decoded segment by segment (see the module)."""
    return "/".join(_segment(s) for s in raw_path.decode("latin-1").split("/"))


class IdConvertor(Convertor[str]):
    """``{name:id}``: one segment of a :func:`route_path`, decoded into the ID."""

    regex = "[^/]+"

    def convert(self, value: str) -> str:
        return unquote(value)

    def to_string(self, value: str) -> str:
        return quote(str(value), safe="")


register_url_convertor("id", IdConvertor())


class RawPathIds:
    """ASGI middleware: route ``/v1`` requests on :func:`route_path` of the path as sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = scope.get("raw_path") if scope["type"] == "http" else None
        if raw and scope["path"].startswith(API_PREFIX):
            path = route_path(raw)
            if unquote(path) == scope["path"]:  # the same request: only the routing changes
                scope = {**scope, "path": path}
        await self.app(scope, receive, send)
