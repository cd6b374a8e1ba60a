"""The platforms' figures of an event (SPEC §7), as ``pileon platforms`` reads them.

The report of an analysis holds them (when the store holds venues or moderation rows,
:func:`pileon.service.analysis.has_places`); :func:`event_platforms` reads them from the
event's latest analysis, and computes them when it has none.
"""

from __future__ import annotations

from typing import Any, TextIO

from pileon.graph.errors import NotFound
from pileon.graph.store import Store

__all__ = ["event_platforms"]


def _latest(store: Store, event_id: str) -> dict[str, Any] | None:
    if store.frame("events", ids=[event_id]).empty:
        raise NotFound(f"unknown event {event_id!r}")
    run = store.latest_run(event_id)
    return store.report(run) if run is not None else None


def event_platforms(
    store: Store, event_id: str, *, seed: int = 0, show_progress: bool | TextIO = False
) -> tuple[list[dict[str, Any]], str | None]:
    """The event's platforms' figures (SPEC §7) and the run they come from.

    Read from the event's latest analysis when it has them; otherwise computed from the
    store (projection, detectors, harm and venues, as ``analyze`` does, nothing saved),
    and the run is ``None``.  Raises ``NotFound`` for an unknown event,
    ``IngestIncomplete`` for a store whose last ingest did not finish.
    """
    report = _latest(store, event_id)
    if report is not None and "platforms" in report:
        return list(report["platforms"]), store.latest_run(event_id)
    from pileon.detectors.pipeline import platforms
    from pileon.service.analysis import check_ingest, project_and_detect
    from pileon.service.stages import Stages

    check_ingest(store, action="platforms")
    st = Stages(f"platforms {event_id}", show=show_progress)
    p, det, _, items = project_and_detect(store, event_id, seed=seed, stages=st)
    with st.stage("platforms"):
        return platforms(p, det, items), None
