"""Decisions: the measures actually taken on findings; the risk model's next labels.

``POST /v1/decisions`` records who decided (the name of the caller's key) and honours an
``Idempotency-Key`` header: the same key (per caller) with the same body gives back the
decision made the first time; with another body it answers 409.  Every call leaves an
entry in the append-only audit trail, ``GET /v1/decisions/audit`` (admin).
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Header

from pileon.api import disclosure
from pileon.api.deps import AdminRole, CallerDep, CursorsDep, EnforcerRole, StoreDep, ViewerRole
from pileon.api.pagination import Cursor, CursorCodec, CursorParam, InvalidCursor, LimitParam
from pileon.api.routes.events import event_row
from pileon.api.schemas import (
    AUTH_ERRORS,
    DecisionAuditOut,
    DecisionIn,
    DecisionOut,
    Page,
    error_responses,
    frame_records,
)
from pileon.graph.errors import NotFound
from pileon.graph.store import Store

router = APIRouter(prefix="/v1/decisions", tags=["decisions"], responses=AUTH_ERRORS)

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Any printable ASCII (1-255 characters), unique per request of the caller: "
        "repeating the request with the same key and body gives back the same decision "
        "(nothing new is recorded); the same key with another body answers 409.",
    ),
]


def request_sha256(decision: DecisionIn) -> str:
    """The hash of a decision request's body, whatever the order or spacing of its JSON."""
    body = json.dumps(decision.model_dump(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def record_decision(
    store: Store,
    decision: DecisionIn,
    *,
    decided_by: str,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Check that what the decision names exists, store it, return it as stored."""
    event_row(store, decision.event_id)
    if decision.account_id is not None and store.frame("accounts", ids=[decision.account_id]).empty:
        raise NotFound(f"unknown account {decision.account_id!r}")
    if decision.mcn_id is not None and store.frame("mcns", ids=[decision.mcn_id]).empty:
        raise NotFound(f"unknown MCN {decision.mcn_id!r}")
    decision_id = store.add_decision(
        {**decision.model_dump(), "decided_by": decided_by},
        idempotency_key=idempotency_key,
        request_sha256=request_sha256(decision),
    )
    stored = store.decisions()
    return frame_records(stored[stored["decision_id"] == decision_id])[0]


@router.post(
    "",
    response_model=DecisionOut,
    status_code=201,
    summary="Record a decision",
    responses=error_responses(409, 413),
)
def post_decision(
    decision: DecisionIn,
    store: StoreDep,
    caller: CallerDep,
    _: EnforcerRole,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Record the measure taken on an account (a tier and/or a measure) or on an MCN
    (a measure), with the name of the caller's key as `decided_by`. Recorded decisions are
    the labels the risk model learns from next time. Send an `Idempotency-Key` to make a
    retry safe."""
    return record_decision(store, decision, decided_by=caller.name, idempotency_key=idempotency_key)


def _page(cursors: CursorCodec, scope: str, cursor: str | None, limit: int, rows: Any) -> Any:
    """One page of a list that only grows (the cursor is an offset)."""
    after = 0
    if cursor:
        after = cursors.decode(cursor, scope=scope).after
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            raise InvalidCursor("invalid cursor: start again without a cursor")
    page = frame_records(rows.iloc[after : after + limit + 1])
    next_cursor = (
        cursors.encode(Cursor(scope=scope, after=after + limit)) if len(page) > limit else None
    )
    return page[:limit], next_cursor


@router.get("", response_model=Page[DecisionOut], summary="List decisions")
def list_decisions(
    store: StoreDep,
    cursors: CursorsDep,
    role: ViewerRole,
    limit: LimitParam = 100,
    cursor: CursorParam = None,
) -> dict[str, Any]:
    """Recorded decisions, oldest first (the list only grows, so paging is stable);
    viewers read no notes."""
    rows, next_cursor = _page(cursors, "decisions", cursor, limit, store.decisions())
    return {"items": [disclosure.decision(r, role) for r in rows], "next_cursor": next_cursor}


@router.get("/audit", response_model=Page[DecisionAuditOut], summary="The decisions' audit trail")
def list_audit(
    store: StoreDep,
    cursors: CursorsDep,
    _: AdminRole,
    limit: LimitParam = 100,
    cursor: CursorParam = None,
) -> dict[str, Any]:
    """Every call that recorded, replaced, replayed or refused a decision, oldest first:
    who, when, with which Idempotency-Key and body hash. Nothing changes or deletes it."""
    rows, next_cursor = _page(cursors, "decision-audit", cursor, limit, store.decision_audit())
    return {"items": rows, "next_cursor": next_cursor}
