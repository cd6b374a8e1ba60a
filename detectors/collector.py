"""Pausing Python's cyclic garbage collector while a detector builds many small objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["no_cyclic_gc"]


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while many small objects are built.

    Objects without reference cycles (a report's dicts and lists, the narratives and their
    tuples) need no collector, but allocating many of them triggers many of its passes,
    each walking every tracked object: at the sample's scale 47 (262 k accounts, about
    2 M dicts and lists) the passes cost more than the report's building (4.2 -> 1.6 CPU s);
    on ira-dev, the 192 k narratives.  The collector's former state is restored.

    >>> import gc
    >>> with no_cyclic_gc():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
