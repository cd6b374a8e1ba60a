"""MCN affiliations: which of an account's contracts count for an event.

An affiliation (``affiliations``: ``account_id, mcn_id, since, until``) counts
for an event when its contract ``[since, until]`` (a missing bound is open)
overlaps the account's time in the event: the span of its own contents and
reposts in the event (the event's start when it has none).  An MCN answers for
what its accounts did while signed to it, so a contract that began after the
event's start but before the account's part in it counts, and one that ended
before the account acted does not.  The report's ``mcn_ids``, the feature
``mcn_affiliated``, the exported graph's ``mcn`` edges and the MCN roll-up all
read affiliations so (SPEC §4: "the MCNs the account was signed to while it
acted in the event").

An affiliation whose time is unknown (no start and no activity of its account)
does not count, unless ``keep_undated`` (the export draws every affiliation of
an event without any time).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pileon.graph.projection import Projection

__all__ = ["valid_affiliations", "affiliation_valid"]


def affiliation_valid(p: Projection, *, keep_undated: bool = False) -> np.ndarray:
    """Whether each row of ``p.affiliations`` counts for the event (module docstring).

    Parameters
    ----------
    p : Projection
        The event's projection.
    keep_undated : bool, default False
        Count the affiliations whose time is unknown (else they do not count).

    Returns
    -------
    numpy.ndarray
        One boolean per row of ``p.affiliations``.

    Notes
    -----
    ``O(C + R + F)`` for ``F`` affiliations (only the affiliated accounts' contents and
    reposts are grouped).

    Examples
    --------
    >>> p = Projection.from_tables({"event_id": "e", "started_at": "2026-03-01T00:00:00Z"},
    ...     affiliations=[{"account_id": "a", "mcn_id": "m", "until": "2026-02-01T00:00:00Z"},
    ...                   {"account_id": "b", "mcn_id": "m", "since": "2026-03-01T06:00:00Z"}],
    ...     contents=[{"content_id": "c1", "account_id": "b", "platform": "weibo",
    ...                "posted_at": "2026-03-01T08:00:00Z"}])
    >>> affiliation_valid(p).tolist()
    [False, True]
    """
    aff = p.affiliations
    if aff.empty:
        return np.zeros(0, dtype=bool)
    start = p.start
    first, last = _activity_span(p, aff)
    if start is not None:
        first, last = first.fillna(start), last.fillna(start)
    since = pd.to_datetime(aff["since"], utc=True)
    until = pd.to_datetime(aff["until"], utc=True)
    known = first.notna()
    ok = known & (since.isna() | (since <= last)) & (until.isna() | (until >= first))
    if keep_undated:
        ok = ok | ~known
    return ok.to_numpy(dtype=bool)


def valid_affiliations(p: Projection, *, keep_undated: bool = False) -> pd.DataFrame:
    """The rows of ``p.affiliations`` that count for the event (:func:`affiliation_valid`)."""
    return p.affiliations[affiliation_valid(p, keep_undated=keep_undated)]


def _activity_span(p: Projection, aff: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Per row of ``aff``, the first and last time its account posted or reposted in the event
    (NaT: never)."""
    signed = aff["account_id"].dropna().unique()
    times = pd.concat(
        [
            p.contents.loc[
                p.contents["account_id"].isin(signed) & p.contents["posted_at"].notna(),
                ["account_id", "posted_at"],
            ].rename(columns={"posted_at": "t"}),
            p.reposts.loc[
                p.reposts["account_id"].isin(signed) & p.reposts["reposted_at"].notna(),
                ["account_id", "reposted_at"],
            ].rename(columns={"reposted_at": "t"}),
        ]
    )
    span = times.groupby("account_id")["t"].agg(["min", "max"])
    return aff["account_id"].map(span["min"]), aff["account_id"].map(span["max"])
