"""``GET /v1/accounts/{account_id}``: profile, renames, affiliations, findings, decisions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from pileon.api import disclosure
from pileon.api.deps import StoreDep, ViewerRole
from pileon.api.schemas import AUTH_ERRORS, AccountOut, frame_records
from pileon.graph.errors import NotFound
from pileon.graph.model import stored_columns
from pileon.graph.store import Store

router = APIRouter(prefix="/v1/accounts", tags=["accounts"], responses=AUTH_ERRORS)

AccountId = Annotated[str, Path(min_length=1, max_length=512, description="An account ID.")]


def account_view(store: Store, account_id: str) -> dict[str, Any]:
    """Everything the store knows of one account (raises ``NotFound``)."""
    df = store.frame("accounts", ids=[account_id])
    if df.empty:
        raise NotFound(f"unknown account {account_id!r}")
    profile = frame_records(df, stored_columns("accounts"))[0]
    renames = frame_records(
        store.frame("renames", ids=[account_id], column="account_id").sort_values(
            ["renamed_at", "new_name"], kind="stable", na_position="last"
        )
    )
    aff = store.frame("affiliations", ids=[account_id], column="account_id")
    names = {}
    if not aff.empty:
        mcns = store.frame("mcns", ids=sorted(set(aff["mcn_id"].dropna())))
        names = dict(zip(mcns["mcn_id"], mcns["name"]))
    affiliations = [{**r, "mcn_name": names.get(r["mcn_id"])} for r in frame_records(aff)]
    decisions = store.decisions()
    decisions = frame_records(decisions[decisions["account_id"] == account_id])
    return {
        "profile": profile,
        "renames": renames,
        "affiliations": affiliations,
        "findings": store.account_findings(account_id),
        "decisions": decisions,
    }


@router.get("/{account_id:id}", response_model=AccountOut, summary="One account")
def get_account(account_id: AccountId, store: StoreDep, role: ViewerRole) -> dict[str, Any]:
    """The account's profile, renames and MCN affiliations, its findings in the latest
    analysis of every event, and the decisions recorded on it (viewers read no identity
    key and no decision note: see `withheld`)."""
    return disclosure.account_view(account_view(store, account_id), role)
