"""The one-click evidence pack (SPEC §6) from a store; its contents and hashing are
:mod:`pileon.detectors.evidence`'s.  Packs handed out are recorded in the store
(``Store.evidence_issues``) so that a pack can later be shown to be the one issued
(:func:`verify_evidence`)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime

from pileon.detectors.evidence import PackCheck, pack_from_frames, verify_pack
from pileon.graph.errors import NotFound
from pileon.graph.store import Store
from pileon.service.alerts import alert_frames

__all__ = ["evidence_pack", "verify_evidence"]


def evidence_pack(
    store: Store,
    target_id: str,
    *,
    event_id: str | None = None,
    generated_at: str | None = None,
    harm_threshold: float = 0.5,
    issued_by: str | None = None,
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
    issued_by : str, optional
        Who the pack is handed out to or by (the API: the key's name; the CLI: ``cli``):
        when given, the pack is recorded in the store as issued (its manifest's
        ``sha256`` and ``seal``, the SHA-256 of its page, who and when).

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
    data = pack_from_frames(
        alert_frames(store),
        target_id,
        event_id=event_id,
        generated_at=generated_at,
        harm_threshold=harm_threshold,
    )
    if issued_by is not None:
        zf = zipfile.ZipFile(io.BytesIO(data))
        manifest = json.loads(zf.read("manifest.json"))
        store.add_evidence_issue(
            {
                "issued_at": datetime.now(UTC).isoformat(),
                "issued_by": issued_by,
                "target_id": manifest["target_id"],
                "event_id": event_id,
                "generated_at": manifest["generated_at"],
                "items": len(manifest["items"]),
                "sha256": manifest["sha256"],
                "seal": manifest["seal"],
                "html_sha256": hashlib.sha256(zf.read("evidence.html")).hexdigest(),
            }
        )
    return data


def verify_evidence(data: bytes, store: Store | None = None) -> tuple[PackCheck, list[str]]:
    """Check an evidence pack: its hashes and page (:func:`pileon.detectors.evidence.verify_pack`)
    and, with ``store``, that this store issued it (a pack of that seal, with that page).

    Returns the check (its failures include the store's) and lines on the issues found
    (``issued AT by WHO``).

    Raises
    ------
    pileon.graph.errors.InputError
        When ``data`` is not an evidence pack.
    """
    check = verify_pack(data)
    found: list[str] = []
    if store is not None:
        issues = store.evidence_issues(seal=str(check.seal)) if check.seal else None
        if issues is None or issues.empty:
            check.check(False, f"issued: this store issued no pack with seal {check.seal}")
        else:
            found = [f"issued {r.issued_at} by {r.issued_by}" for r in issues.itertuples()]
            check.check(
                check.html_sha256 in set(issues["html_sha256"]),
                "issued: evidence.html is not the page this store issued with this seal",
            )
    return check, found
