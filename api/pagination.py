"""Opaque cursors for paginated lists.

A cursor is base64url text of a small JSON object, signed with a truncated
BLAKE2b MAC so that an edited cursor is refused (400) rather than read.  It
pins what the client started reading:

* ``scope``: the list it belongs to (e.g. ``accounts:EVENT`` with its filters),
  so a cursor cannot be replayed against another list or other filters;
* ``run``: the analysis run being read, so a client pulling a ranked list page
  by page keeps reading the run it started with while new analyses land;
* ``after``: the position (rank, or key) of the last item already returned.

The first page (no cursor) reads the latest run; every next page reads the
cursor's run.  Lists are read ``limit + 1`` at a time to know whether a next
page exists, so the last page answers ``next_cursor: null``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Query

from pileon.graph.errors import InputError

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
_MAC_BYTES = 12
_MAX_CURSOR_CHARS = 2048

LimitParam = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page (1..1000).")]
CursorParam = Annotated[
    str | None,
    Query(
        max_length=_MAX_CURSOR_CHARS,
        description="Opaque cursor from the previous page's "
        "`next_cursor`; omit for the first page.",
    ),
]


class InvalidCursor(InputError):
    """A cursor that this server did not issue for this list."""


@dataclass(frozen=True)
class Cursor:
    """What a cursor pins: the list, the run (if any) and the last position returned."""

    scope: str
    after: Any
    run: str | None = None


class CursorCodec:
    """Encodes and checks cursors with a server secret."""

    def __init__(self, secret: bytes) -> None:
        self._secret = hashlib.sha256(b"pileon-cursor\0" + secret).digest()

    def _mac(self, payload: bytes) -> bytes:
        return hashlib.blake2b(payload, key=self._secret, digest_size=_MAC_BYTES).digest()

    def encode(self, cursor: Cursor) -> str:
        payload = json.dumps(
            {"s": cursor.scope, "r": cursor.run, "a": cursor.after},
            separators=(",", ":"),
            sort_keys=True,
            ensure_ascii=False,
        ).encode("utf-8")
        return base64.urlsafe_b64encode(self._mac(payload) + payload).decode("ascii").rstrip("=")

    def decode(self, text: str, *, scope: str) -> Cursor:
        """The cursor ``text`` for the list ``scope``; raises :class:`InvalidCursor` (400)."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            raise InvalidCursor("invalid cursor: not one this server issued") from None
        mac, payload = raw[:_MAC_BYTES], raw[_MAC_BYTES:]
        if len(raw) <= _MAC_BYTES or not hmac.compare_digest(mac, self._mac(payload)):
            raise InvalidCursor("invalid cursor: not one this server issued")
        data = json.loads(payload.decode("utf-8"))
        if data.get("s") != scope:
            raise InvalidCursor(
                "invalid cursor: it belongs to another list or other filters; "
                "start again without a cursor"
            )
        return Cursor(scope=scope, after=data.get("a"), run=data.get("r"))
