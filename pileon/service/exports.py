"""An event's account graph for Gephi, with the findings of its latest analysis on the nodes."""

from __future__ import annotations

from typing import Any

import networkx as nx

from pileon.detectors.export import account_graph
from pileon.graph.projection import project
from pileon.graph.store import Store

__all__ = ["event_graph"]


def event_graph(
    store: Store, event_id: str, *, window: float = 60.0
) -> tuple[nx.Graph, dict[str, Any] | None]:
    """The event's account graph (:func:`pileon.detectors.export.account_graph`) and the
    report it carries (``None`` when the event was never analyzed)."""
    p = project(store, event_id)
    run = store.latest_run(event_id)
    report = store.report(run) if run else None
    return account_graph(p, report, window=window), report
