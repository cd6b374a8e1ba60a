"""Events and their findings: ``/v1/events...`` (SPEC §5), and starting an analysis."""

from __future__ import annotations

import json
import pathlib
import threading
from collections import OrderedDict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic_core import to_json

from pileon.api import disclosure
from pileon.api.deps import AdminRole, CursorsDep, JobsDep, SettingsDep, StoreDep, ViewerRole
from pileon.api.disclosure import reads_content
from pileon.api.jobs import Job
from pileon.api.pagination import Cursor, CursorCodec, CursorParam, InvalidCursor, LimitParam
from pileon.api.render import ANSWERS, json_bytes
from pileon.api.schemas import (
    AUTH_ERRORS,
    AccountFinding,
    ClusterFinding,
    EventOut,
    JobOut,
    MCNFinding,
    Page,
    PlatformFigures,
    RankedPage,
    ReportOut,
    VenueFinding,
    frame_records,
)
from pileon.graph.errors import NotFound
from pileon.graph.model import ROLES
from pileon.graph.store import Store
from pileon.settings import Role

router = APIRouter(prefix="/v1/events", tags=["events"], responses=AUTH_ERRORS)

EventId = Annotated[str, Path(min_length=1, max_length=512, description="An event ID.")]
RoleFilter = Annotated[Literal[ROLES] | None, Query(description="Only accounts with this role.")]  # type: ignore[valid-type]
MinTier = Annotated[
    int | None, Query(ge=0, le=4, description="Only accounts of this tier or higher.")
]


# ------------------------------------------------------------------ data access
def event_row(store: Store, event_id: str) -> dict[str, Any]:
    """The event's stored row as JSON values (raises ``NotFound``)."""
    df = store.frame("events", ids=[event_id])
    if df.empty:
        raise NotFound(f"unknown event {event_id!r}")
    return frame_records(df)[0]


def latest_run(store: Store, event_id: str) -> str:
    """The event's latest run_id (raises ``NotFound`` for an unknown or unanalyzed event)."""
    run = store.latest_run(event_id)
    if run is None:
        event_row(store, event_id)
        raise NotFound(
            f"event {event_id!r} has not been analyzed yet (POST /v1/events/{event_id}/analyze)"
        )
    return run


_SUMMARIES: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
_SUMMARIES_KEPT = 1024
_summaries_lock = threading.Lock()


def run_summary(store: Store, run_id: str) -> dict[str, Any]:
    """Counts of a run's report (runs never change, so summaries are kept in memory)."""
    key = (store.uri, run_id)
    with _summaries_lock:
        if key in _SUMMARIES:
            return dict(_SUMMARIES[key])
    report = store.report(run_id)
    summary = {
        "run_id": run_id,
        "generated_at": report.get("generated_at"),
        **{k: len(report.get(k) or []) for k in ("accounts", "mcns", "clusters", "narratives")},
    }
    with _summaries_lock:
        _SUMMARIES[key] = summary
        while len(_SUMMARIES) > _SUMMARIES_KEPT:
            _SUMMARIES.popitem(last=False)
    return dict(summary)


def event_out(store: Store, row: dict[str, Any]) -> dict[str, Any]:
    run = store.latest_run(row["event_id"])
    return {
        **{k: row.get(k) for k in ("event_id", "name", "started_at")},
        **{k: row.get(k) or [] for k in ("keywords", "entities", "target_ids")},
        "latest_run": run_summary(store, run) if run else None,
    }


def _page_start(
    store: Store, cursors: CursorCodec, *, event_id: str, scope: str, cursor: str | None
) -> tuple[str, int]:
    """The run and the last rank already read: the cursor's, else the latest run's start."""
    if cursor:
        c = cursors.decode(cursor, scope=scope)
        run, after = c.run, c.after
        if (
            not isinstance(run, str)
            or not isinstance(after, int)
            or isinstance(after, bool)
            or after < 0
        ):
            raise InvalidCursor("invalid cursor: start again without a cursor")
        return run, after
    return latest_run(store, event_id), 0


def _page_items(
    store: Store,
    run: str,
    kind: str,
    *,
    after: int,
    limit: int,
    role: str | None,
    min_tier: int | None,
    caller: Role,
) -> tuple[list[dict[str, Any]], int | None]:
    """One page's items as ``caller`` may read them, and the rank a next page starts
    after (None on the last page)."""
    items = store.ranked(run, kind, after=after, limit=limit + 1, role=role, min_tier=min_tier)
    page = items[:limit]
    for pos, item in enumerate(page, start=after + 1):
        item.setdefault("rank", pos)  # clusters are ranked by position (no filters on them)
    page = [disclosure.finding(item, caller) for item in page]
    return page, (int(page[-1]["rank"]) if len(items) > limit else None)


def ranked_page_response(
    store: Store,
    cursors: CursorCodec,
    item_model: Any,
    *,
    event_id: str,
    kind: str,
    limit: int,
    cursor: str | None,
    role: str | None = None,
    min_tier: int | None = None,
    caller: Role = Role.admin,
) -> Response:
    """One page of a run's ranked list, as ``RankedPage[item_model]``; the cursor pins the
    run and the last rank read; items as ``caller`` may read them
    (:mod:`pileon.api.disclosure`).  Rendered as FastAPI renders the dict
    (:mod:`pileon.api.render`), the items kept in :data:`pileon.api.render.ANSWERS` (a run's ranked lists never change)."""
    scope = json.dumps([kind, event_id, role, min_tier])
    run, after = _page_start(store, cursors, event_id=event_id, scope=scope, cursor=cursor)
    key = ("ranked", store.uri, run, kind, after, limit, role, min_tier, reads_content(caller))
    hit = ANSWERS.get(key)
    if hit is None:
        page, last = _page_items(
            store, run, kind, after=after, limit=limit, role=role, min_tier=min_tier, caller=caller
        )
        hit = (json_bytes(list[item_model], page), last)  # type: ignore[valid-type]
        ANSWERS.put(key, *hit)
    items, last = hit
    next_cursor = None
    if last is not None:
        next_cursor = cursors.encode(Cursor(scope=scope, run=run, after=last))
    body = b"".join(
        (b'{"items":', items, b',"next_cursor":', to_json(next_cursor), b',"run_id":')
        + (to_json(run), b"}")
    )
    return Response(content=body, media_type="application/json")


def run_analyze(
    job: Job, store: Store, event_id: str, seed: int, *, model_path: pathlib.Path | None = None
) -> dict[str, Any]:
    """The analyze job: run the pipeline, return a summary of the new run."""
    from pileon.service.analysis import analyze

    job.report_progress(0.05)
    report = analyze(store, event_id, seed=seed, model_path=model_path, show_progress=False)
    run = store.latest_run(event_id)
    return {
        "event_id": event_id,
        "run_id": run,
        "generated_at": (report or {}).get("generated_at"),
        **{
            k: len((report or {}).get(k) or [])
            for k in ("accounts", "mcns", "clusters", "narratives")
        },
    }


# ---------------------------------------------------------------------- routes
@router.get("", response_model=Page[EventOut], summary="List events")
def list_events(
    store: StoreDep,
    cursors: CursorsDep,
    _: ViewerRole,
    limit: LimitParam = 100,
    cursor: CursorParam = None,
) -> dict[str, Any]:
    """Every stored event, by event_id, with a summary of its latest analysis."""
    after = ""
    if cursor:
        after = cursors.decode(cursor, scope="events").after
        if not isinstance(after, str):
            raise InvalidCursor("invalid cursor: start again without a cursor")
    rows = [r for r in frame_records(store.frame("events")) if r["event_id"] > after]
    rows.sort(key=lambda r: r["event_id"])
    page = rows[:limit]
    next_cursor = (
        cursors.encode(Cursor(scope="events", after=page[-1]["event_id"]))
        if len(rows) > limit
        else None
    )
    return {"items": [event_out(store, r) for r in page], "next_cursor": next_cursor}


@router.get("/{event_id:id}", response_model=EventOut, summary="One event")
def get_event(event_id: EventId, store: StoreDep, _: ViewerRole) -> dict[str, Any]:
    return event_out(store, event_row(store, event_id))


@router.get(
    "/{event_id:id}/report",
    response_model=ReportOut,
    response_model_exclude_unset=True,
    summary="The latest report",
)
def get_report(event_id: EventId, store: StoreDep, role: ViewerRole) -> dict[str, Any]:
    """The whole report (SPEC §4) of the event's latest analysis, as saved, with its run_id
    (for viewers, text quoted in evidence details is withheld)."""
    run = latest_run(store, event_id)
    return disclosure.report({**store.report(run), "run_id": run}, role)


@router.get(
    "/{event_id:id}/accounts",
    response_model=RankedPage[AccountFinding],
    summary="Ranked account findings",
)
def list_accounts(
    event_id: EventId,
    store: StoreDep,
    cursors: CursorsDep,
    caller: ViewerRole,
    role: RoleFilter = None,
    min_tier: MinTier = None,
    limit: LimitParam = 100,
    cursor: CursorParam = None,
) -> Response:
    """Accounts of the latest analysis, most culpable first."""
    return ranked_page_response(
        store,
        cursors,
        AccountFinding,
        event_id=event_id,
        kind="accounts",
        limit=limit,
        cursor=cursor,
        role=role,
        min_tier=min_tier,
        caller=caller,
    )


@router.get(
    "/{event_id:id}/mcns", response_model=RankedPage[MCNFinding], summary="Ranked MCN findings"
)
def list_mcns(
    event_id: EventId,
    store: StoreDep,
    cursors: CursorsDep,
    caller: ViewerRole,
    limit: LimitParam = 100,
    cursor: CursorParam = None,
) -> Response:
    """MCN agencies of the latest analysis, with the joint measures proposed."""
    return ranked_page_response(
        store,
        cursors,
        MCNFinding,
        event_id=event_id,
        kind="mcns",
        limit=limit,
        cursor=cursor,
        caller=caller,
    )


@router.get(
    "/{event_id:id}/clusters",
    response_model=RankedPage[ClusterFinding],
    summary="Coordinated clusters",
)
def list_clusters(
    event_id: EventId,
    store: StoreDep,
    cursors: CursorsDep,
    caller: ViewerRole,
    limit: LimitParam = 100,
    cursor: CursorParam = None,
) -> Response:
    """Clusters of the latest analysis, in the report's order."""
    return ranked_page_response(
        store,
        cursors,
        ClusterFinding,
        event_id=event_id,
        kind="clusters",
        limit=limit,
        cursor=cursor,
        caller=caller,
    )


@router.get(
    "/{event_id:id}/venues",
    response_model=RankedPage[VenueFinding],
    summary="Ranked venues (SPEC §7)",
)
def list_venues(
    event_id: EventId,
    store: StoreDep,
    cursors: CursorsDep,
    caller: ViewerRole,
    limit: LimitParam = 100,
    cursor: CursorParam = None,
) -> Response:
    """Topics, groups, forums, chats and live rooms where the event's contents were posted,
    where abuse concentrates first, with the measures each calls for (empty when the store
    holds no venue)."""
    return ranked_page_response(
        store,
        cursors,
        VenueFinding,
        event_id=event_id,
        kind="venues",
        limit=limit,
        cursor=cursor,
        caller=caller,
    )


@router.get(
    "/{event_id:id}/platforms",
    response_model=RankedPage[PlatformFigures],
    summary="Platform accountability (SPEC §7)",
)
def list_platforms(
    event_id: EventId,
    store: StoreDep,
    cursors: CursorsDep,
    caller: ViewerRole,
    limit: LimitParam = 100,
    cursor: CursorParam = None,
) -> Response:
    """Per platform, by name: the event's harmful contents and the share removed, its
    reports and how fast they were acted on, reports involving minors, and harmful venues
    still open (empty when the store holds no venue or moderation row)."""
    return ranked_page_response(
        store,
        cursors,
        PlatformFigures,
        event_id=event_id,
        kind="platforms",
        limit=limit,
        cursor=cursor,
        caller=caller,
    )


@router.post(
    "/{event_id:id}/analyze",
    response_model=JobOut,
    status_code=202,
    summary="Start an analysis (a job)",
)
def start_analyze(
    event_id: EventId,
    store: StoreDep,
    jobs: JobsDep,
    settings: SettingsDep,
    _: AdminRole,
    response: Response,
    seed: Annotated[int, Query(ge=0, le=2**32 - 1)] = 0,
) -> dict[str, Any]:
    """Run every detector on the event in the background; follow it at `/v1/jobs/{job_id}`."""
    event_row(store, event_id)
    job = jobs.submit(
        "analyze",
        lambda j: run_analyze(j, store, event_id, seed, model_path=settings.model),
        params={"event_id": event_id, "seed": seed},
    )
    response.headers["Location"] = f"/v1/jobs/{job.job_id}"
    return job.snapshot()
