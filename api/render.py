"""JSON answers rendered in the route, byte for byte as FastAPI would render them.

A route that returns a dict has FastAPI validate it against its ``response_model`` and
serialise it (``TypeAdapter.validate_python`` then ``dump_json``), the validation in a
second trip through the thread pool.  :func:`json_response` does the same two steps with
the same settings (``from_attributes=True``, ``by_alias=True``) in the route's own
thread and returns the bytes as a ``Response``, which FastAPI sends as it is; the route
keeps its ``response_model`` for ``/openapi.json``.  :data:`ANSWERS` keeps rendered
answers while they cannot change: a run's ranked list (runs are never rewritten), and
answers of an embedded store until anything is written to it (:func:`cached_json`, on
:meth:`pileon.graph.store.Store.generation`).

``tests/test_api_render.py`` checks the bytes against FastAPI's own rendering of the same
bodies; ``bench/api_bodies.py --compare`` checks a fixed list of answers before and after.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from fastapi.responses import Response
from pydantic import TypeAdapter

from pileon.graph.store import Store


@functools.cache
def adapter(model: Any) -> TypeAdapter[Any]:
    """The ``TypeAdapter`` of a response model (one per model, built once)."""
    return TypeAdapter(model)


def json_bytes(model: Any, body: Any) -> bytes:
    """``body`` validated against ``model`` and serialised, as FastAPI does it."""
    a = adapter(model)
    return a.dump_json(a.validate_python(body, from_attributes=True), by_alias=True)


def json_response(model: Any, body: Any) -> Response:
    """A 200 ``application/json`` answer holding :func:`json_bytes` of ``body``."""
    return Response(content=json_bytes(model, body), media_type="application/json")


def cached_json(
    store: Store, key: tuple[Any, ...], model: Any, make: Callable[[], Any]
) -> Response:
    """:func:`json_response` of ``make()``, kept in :data:`ANSWERS` under ``key`` (which
    must name everything the answer depends on but the store's data) while the store's
    :meth:`~pileon.graph.store.Store.generation` stays the same; made afresh every time
    on a store without generations."""
    gen = store.generation()
    if gen is None:
        return json_response(model, make())
    full = (store.uri, gen, *key)
    hit = ANSWERS.get(full)
    if hit is None:
        data = json_bytes(model, make())
        ANSWERS.put(full, data)
    else:
        data = hit[0]
    return Response(content=data, media_type="application/json")


class ByteCache:
    """A thread-safe LRU of byte strings (and a little data with each), bounded by the
    bytes it holds.  For answers that cannot change: the caller's key must name
    everything the bytes depend on."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.held = 0
        self._items: OrderedDict[Hashable, tuple[bytes, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> tuple[bytes, Any] | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Hashable, data: bytes, extra: Any = None) -> None:
        if len(data) > self.max_bytes // 4:  # one huge page would push everything else out
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.held -= len(old[0])
            self._items[key] = (data, extra)
            self.held += len(data)
            while self.held > self.max_bytes and self._items:
                _, (gone, _) = self._items.popitem(last=False)
                self.held -= len(gone)

    def resize(self, max_bytes: int) -> None:
        """Hold at most ``max_bytes`` from now on (what was held is let go)."""
        with self._lock:
            self.max_bytes = max_bytes
            self._items.clear()
            self.held = 0

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.held = 0


#: answers kept while the store does not change (:func:`cached_json`) and ranked pages'
#: items (their runs never change); sized by ``PILEON_API_CACHE_MB`` when the app is made
ANSWERS = ByteCache(64 << 20)
