"""The ingest job as every entry point runs it (``pileon ingest``, ``POST /v1/ingest``,
:func:`pileon.ingest_folder`): load the folder, then compute and store the alerts that the
new rows touch (:func:`pileon.service.alerts.refresh_alerts`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pileon.detectors.alerts import PLAN_COLUMNS
from pileon.graph.store import Store
from pileon.ingest.load import DEFAULT_REJECTS, LoadSummary, load_folder
from pileon.ingest.membership import DEFAULT_MARGIN
from pileon.service.alerts import refresh_alerts

__all__ = ["ingest"]


def ingest(
    store: Store,
    folder: str | Path,
    *,
    reject_path: str | Path | None = None,
    show_progress: bool = False,
    margin: pd.Timedelta | str | float = DEFAULT_MARGIN,
    source: str | None = None,
) -> LoadSummary:
    """:func:`pileon.ingest.load.load_folder` (``margin``: an event's window; ``source``: what
    the ingest mark names; see there), then :func:`~pileon.service.alerts.refresh_alerts`.

    Returns the load's summary with ``alerts``, what the alert pass did
    (:meth:`pileon.service.alerts.AlertRefresh.to_dict`).
    """
    summary = load_folder(
        store,
        folder,
        reject_path=reject_path or DEFAULT_REJECTS,
        show_progress=show_progress,
        margin=margin,
        source=source,
        keep=PLAN_COLUMNS,
    )
    # the alert pass goes on with the contents, reposts and memberships the load had
    loaded, summary.frames = summary.frames, {}
    summary.alerts = refresh_alerts(store, show_progress=show_progress, loaded=loaded).to_dict()
    return summary
