"""``GET /v1/accounts/{account_id}``: profile, renames, affiliations, findings, decisions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from pileon.api import disclosure
from pileon.api.deps import StoreDep, ViewerRole
from pileon.api.render import cached_json
from pileon.api.schemas import AUTH_ERRORS, AccountOut
from pileon.graph.errors import NotFound
from pileon.graph.model import stored_columns
from pileon.graph.store import Store

router = APIRouter(prefix="/v1/accounts", tags=["accounts"], responses=AUTH_ERRORS)

AccountId = Annotated[str, Path(min_length=1, max_length=512, description="An account ID.")]


def account_view(store: Store, account_id: str) -> dict[str, Any]:
    """Everything the store knows of one account (raises ``NotFound``).

    Rows are read as records (``Store.records``: no frame for a few rows), in one batch
    (``Store.read_many``: one query on Neo4j), then the MCNs' names if it has any."""
    found, renamed, aff, findings, decisions = store.read_many(
        [
            ("records", ("accounts",), {"ids": [account_id]}),
            ("records", ("renames",), {"ids": [account_id], "column": "account_id"}),
            ("records", ("affiliations",), {"ids": [account_id], "column": "account_id"}),
            ("account_findings", (account_id,), {}),
            ("account_decisions", (account_id,), {}),
        ]
    )
    if not found:
        raise NotFound(f"unknown account {account_id!r}")
    profile = {c: found[0].get(c) for c in stored_columns("accounts")}
    renames = sorted(
        renamed,
        key=lambda r: (
            r["renamed_at"] is None,
            r["renamed_at"] or "",
            r["new_name"] is None,
            r["new_name"] or "",
        ),
    )
    names = {}
    if aff:
        mcn_ids = sorted({r["mcn_id"] for r in aff if r.get("mcn_id") is not None})
        names = {m["mcn_id"]: m["name"] for m in store.records("mcns", ids=mcn_ids)}
    affiliations = [{**r, "mcn_name": names.get(r["mcn_id"])} for r in aff]
    return {
        "profile": profile,
        "renames": renames,
        "affiliations": affiliations,
        "findings": findings,
        "decisions": decisions,
    }


@router.get("/{account_id:id}", response_model=AccountOut, summary="One account")
def get_account(account_id: AccountId, store: StoreDep, role: ViewerRole) -> Response:
    """The account's profile, renames and MCN affiliations, its findings in the latest
    analysis of every event, and the decisions recorded on it (viewers read no identity
    key and no decision note: see `withheld`)."""
    return cached_json(
        store,
        ("account", account_id, disclosure.reads_content(role)),
        AccountOut,
        lambda: disclosure.account_view(account_view(store, account_id), role),
    )
