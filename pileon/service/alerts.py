"""Early-warning alerts (SPEC §6) from a store: the frames :func:`pileon.detectors.alerts.detect_alerts` reads."""

from __future__ import annotations

from typing import Any

from pileon.detectors.alerts import ALERT_FRAMES, Alert, AlertFrames, detect_alerts
from pileon.graph.errors import NotFound
from pileon.graph.store import Store

__all__ = ["alert_frames", "alerts_from_store"]


def alert_frames(store: Store) -> AlertFrames:
    """Every frame alerts and evidence read, from a store (both stores give the same frames)."""
    return AlertFrames(
        **{name: store.frame(name) for name in ALERT_FRAMES}, memberships=store.memberships()
    )


def alerts_from_store(
    store: Store, *, event_id: str | None = None, target_id: str | None = None, **options: Any
) -> list[Alert]:
    """Read the store's frames and run :func:`pileon.detectors.alerts.detect_alerts`.

    ``options`` go to :func:`~pileon.detectors.alerts.detect_alerts` (thresholds,
    ``show_progress``).

    Raises
    ------
    pileon.graph.errors.NotFound
        For an unknown event or account.
    """
    if event_id is not None and store.frame("events", ids=[event_id]).empty:
        raise NotFound(f"unknown event {event_id!r}")
    if target_id is not None and store.frame("accounts", ids=[target_id]).empty:
        raise NotFound(f"unknown account {target_id!r}")
    return detect_alerts(alert_frames(store), event_id=event_id, target_id=target_id, **options)
