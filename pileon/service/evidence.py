"""The one-click evidence pack (SPEC §6) from a store; its contents and hashing are
:mod:`pileon.detectors.evidence`'s."""

from __future__ import annotations

from pileon.detectors.evidence import pack_from_frames
from pileon.graph.errors import NotFound
from pileon.graph.store import Store
from pileon.service.alerts import alert_frames

__all__ = ["evidence_pack"]


def evidence_pack(
    store: Store,
    target_id: str,
    *,
    event_id: str | None = None,
    generated_at: str | None = None,
    harm_threshold: float = 0.5,
) -> bytes:
    """The evidence pack of SPEC §6 for ``target_id``, as ZIP bytes.

    Parameters
    ----------
    store : pileon.graph.store.Store
    target_id : str
        The account under attack.
    event_id : str, optional
        Keep only the event's contents (its memberships).
    generated_at : str, optional
        ISO time written as ``generated_at``; default the latest item's time (see
        :mod:`pileon.detectors.evidence`), so that the same store gives byte-identical packs.
    harm_threshold : float
        ``harm`` from which a content is harmful (unknown harm is left out).

    Returns
    -------
    bytes
        A ZIP with ``manifest.json`` and ``evidence.html``; an account that nothing
        harmful aims at gets a pack with no items.

    Raises
    ------
    pileon.graph.errors.NotFound
        For an unknown account or event.

    Notes
    -----
    O(n) over the store's contents and reposts, plus O(m log m) for m items.
    """
    if store.frame("accounts", ids=[target_id]).empty:
        raise NotFound(f"unknown account {target_id!r}")
    if event_id is not None and store.frame("events", ids=[event_id]).empty:
        raise NotFound(f"unknown event {event_id!r}")
    return pack_from_frames(
        alert_frames(store),
        target_id,
        event_id=event_id,
        generated_at=generated_at,
        harm_threshold=harm_threshold,
    )
