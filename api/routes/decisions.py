"""Decisions: the measures actually taken on findings; the risk model's next labels."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from pileon.api import disclosure
from pileon.api.deps import CursorsDep, EnforcerRole, StoreDep, ViewerRole
from pileon.api.pagination import Cursor, CursorParam, InvalidCursor, LimitParam
from pileon.api.routes.events import event_row
from pileon.api.schemas import AUTH_ERRORS, DecisionIn, DecisionOut, Page, frame_records
from pileon.graph.errors import NotFound
from pileon.graph.store import Store

router = APIRouter(prefix="/v1/decisions", tags=["decisions"], responses=AUTH_ERRORS)


def record_decision(store: Store, decision: DecisionIn) -> dict[str, Any]:
    """Check that what the decision names exists, store it, return it as stored."""
    event_row(store, decision.event_id)
    if decision.account_id is not None and store.frame("accounts", ids=[decision.account_id]).empty:
        raise NotFound(f"unknown account {decision.account_id!r}")
    if decision.mcn_id is not None and store.frame("mcns", ids=[decision.mcn_id]).empty:
        raise NotFound(f"unknown MCN {decision.mcn_id!r}")
    decision_id = store.add_decision(decision.model_dump())
    stored = store.decisions()
    return frame_records(stored[stored["decision_id"] == decision_id])[0]


@router.post("", response_model=DecisionOut, status_code=201, summary="Record a decision")
def post_decision(decision: DecisionIn, store: StoreDep, _: EnforcerRole) -> dict[str, Any]:
    """Record the measure taken on an account (a tier and/or a measure) or on an MCN
    (a measure). Recorded decisions are the labels the risk model learns from next time."""
    return record_decision(store, decision)


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
    after = 0
    if cursor:
        after = cursors.decode(cursor, scope="decisions").after
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            raise InvalidCursor("invalid cursor: start again without a cursor")
    rows = frame_records(store.decisions().iloc[after : after + limit + 1])
    next_cursor = (
        cursors.encode(Cursor(scope="decisions", after=after + limit))
        if len(rows) > limit
        else None
    )
    items = [disclosure.decision(r, role) for r in rows[:limit]]
    return {"items": items, "next_cursor": next_cursor}
