"""MCN affiliations: which of an account's contracts count for an event."""

from __future__ import annotations

import pandas as pd

from pileon.graph.projection import Projection

__all__ = ["valid_affiliations"]


def valid_affiliations(p: Projection, at: pd.Timestamp | None = None) -> pd.DataFrame:
    """Affiliations valid at the event's time (``since <= at <= until``; a missing bound is open)."""
    aff = p.affiliations
    at = p.start if at is None else at
    if aff.empty or at is None:
        return aff.iloc[0:0] if at is None else aff
    ok = (aff["since"].isna() | (aff["since"] <= at)) & (aff["until"].isna() | (aff["until"] >= at))
    return aff[ok]
