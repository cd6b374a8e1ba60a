"""Protection of the person under attack (SPEC §6): ``/v1/targets/{account_id}/...``.

* ``GET /v1/targets/{account_id}/alerts`` (viewer): the account's alerts, paginated, read
  from the store (computed when data lands: :mod:`pileon.service.alerts`);
* ``GET /v1/targets/{account_id}/evidence`` (enforcer): the evidence pack, a ZIP.

Unknown accounts get 404; an account that no content aims at gets an empty list or a pack
without items.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from pileon.api.deps import CallerDep, CursorsDep, EnforcerRole, StoreDep, ViewerRole
from pileon.api.pagination import Cursor, CursorParam, InvalidCursor, LimitParam
from pileon.api.render import json_response
from pileon.api.schemas import AUTH_ERRORS, Page, error_responses
from pileon.api.security import attachment

router = APIRouter(prefix="/v1/targets", tags=["targets"], responses=AUTH_ERRORS)

AccountId = Annotated[str, Path(min_length=1, max_length=512, description="An account ID.")]
EventFilter = Annotated[
    str | None, Query(max_length=512, description="Count only this event's contents.")
]


class AlertEvidence(BaseModel):
    kind: str
    content_ids: list[str]
    detail: str


class AlertOut(BaseModel):
    """One alert on the account (SPEC §6): a surge of hostile attention, or harm from
    strangers reaching a minor (signal ``first_harm``)."""

    model_config = ConfigDict(extra="allow")
    target_id: str | None
    began_at: str = Field(description="When the surge started (UTC, ISO-8601).")
    peak_at: str
    signals: list[dict[str, Any]] = Field(
        description="Each signal with its numbers: observed, expected, peak, whether it surged."
    )
    score: float
    priority: Literal["minor"] | None
    recommend: list[str] = Field(
        description="Protections to offer (codes of pileon.detectors.alerts.RECOMMENDATIONS)."
    )
    evidence: list[AlertEvidence]


@router.get(
    "/{account_id:id}/alerts",
    response_model=Page[AlertOut],
    summary="Alerts",
    responses=error_responses(409),
)
def get_alerts(
    account_id: AccountId,
    store: StoreDep,
    cursors: CursorsDep,
    _: ViewerRole,
    event: EventFilter = None,
    limit: LimitParam = 100,
    cursor: CursorParam = None,
) -> Response:
    """Surges of hostile attention at the account (strangers, messages, comments, mentions,
    harmful content, reports), each against its own baseline, and harm from strangers
    reaching a minor; minors' alerts first.  Read from the store, where ingest puts them
    (409 when this store has none yet: run `pileon alerts --recompute`)."""
    from pileon.service.alerts import stored_alert_page

    scope = json.dumps(["alerts", account_id, event])
    after = 0
    if cursor:
        after = cursors.decode(cursor, scope=scope).after
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            raise InvalidCursor("invalid cursor: start again without a cursor")
    rows = stored_alert_page(
        store, event_id=event, target_id=account_id, offset=after, limit=limit + 1
    )
    nxt = None
    if len(rows) > limit:
        nxt = cursors.encode(Cursor(scope=scope, after=after + limit))
    return json_response(Page[AlertOut], {"items": rows[:limit], "next_cursor": nxt})


@router.get(
    "/{account_id:id}/evidence",
    summary="Evidence pack (ZIP)",
    response_class=Response,
    responses={
        200: {"content": {"application/zip": {}}, "description": "manifest.json and evidence.html"}
    },
)
def get_evidence(
    account_id: AccountId,
    store: StoreDep,
    caller: CallerDep,
    _: EnforcerRole,
    event: EventFilter = None,
) -> Response:
    """The one-click evidence pack: every harmful content aimed at the account, hashed and
    sealed (SPEC §6), with a readable page; the same store gives the same bytes. The store
    records the pack as issued to the caller's key (`pileon evidence verify --issued`)."""
    from pileon.service.evidence import evidence_pack

    data = evidence_pack(store, account_id, event_id=event, issued_by=caller.name)
    return Response(
        content=data,
        media_type="application/zip",
        headers={"Content-Disposition": attachment(f"evidence-{account_id}.zip")},
    )
