"""Account traits that support a coordinated cluster's evidence: creation bursts, few
followers, a shared identity.  They are reported beside a cluster and lift its score a
little (:mod:`pileon.detectors.coordination.groups`).  A trait alone never makes a
cluster: creation bursts (and MCNs) only say which accounts to test together as a
cohort (:mod:`pileon.detectors.coordination.cohorts`), whose behaviour decides."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["creation_bursts", "account_traits"]


def _seconds(s: pd.Series) -> np.ndarray:
    when = pd.to_datetime(s, utc=True).dt.tz_localize(None)
    return when.to_numpy(dtype="datetime64[ns]").view(np.int64).astype(np.float64) / 1e9


def creation_bursts(
    accounts: pd.DataFrame,
    *,
    burst_window: float = 86_400.0,
    min_burst: int = 5,
    min_ratio: float = 20.0,
    background_days: float = 180.0,
    finer: tuple[float, ...] = (1 / 6, 1 / 24),
) -> pd.Series:
    """Burst label per account (``None`` outside any burst), indexed by account_id.

    An account is *bursty* when at least ``min_burst`` accounts (itself included) were
    created within ``w`` seconds of it, and that count is at least ``min_ratio`` times
    what the background rate of the surrounding ``background_days`` predicts, for ``w =
    burst_window`` or one of the ``finer`` fractions of it (a batch registered in an
    hour stands out of a large platform's background over an hour, not over a day).
    Bursty accounts created within ``burst_window`` of each other, in a chain, share one
    label (the earliest member's ID).

    Notes
    -----
    ``O(A log A)`` per window for ``A`` accounts.

    Examples
    --------
    >>> t0 = pd.Timestamp("2026-03-01T00:00:00Z")
    >>> created = [t0 - pd.Timedelta(days=400 * i) for i in range(1, 21)]
    >>> created += [t0 + pd.Timedelta(minutes=3 * i) for i in range(8)]
    >>> acc = pd.DataFrame({"account_id": [f"a{i:02d}" for i in range(28)],
    ...                     "created_at": pd.to_datetime(created, utc=True)})
    >>> lab = creation_bursts(acc)
    >>> sorted(lab.dropna().index) == [f"a{i:02d}" for i in range(20, 28)], lab.dropna().nunique()
    (True, 1)
    """
    acc = accounts[accounts["created_at"].notna()][["account_id", "created_at"]]
    acc = acc.drop_duplicates("account_id")
    out = pd.Series(
        None,
        index=pd.Index(accounts["account_id"].drop_duplicates(), name="account_id"),
        dtype=object,
    )
    if len(acc) < min_burst:
        return out
    t = _seconds(acc["created_at"])
    order = np.argsort(t, kind="stable")
    t, ids = t[order], acc["account_id"].to_numpy()[order]
    bg_span = background_days * 86_400.0
    bg = np.searchsorted(t, t + bg_span, "right") - np.searchsorted(t, t - bg_span, "left")
    bursty = np.zeros(len(t), dtype=bool)
    for w in (burst_window, *(burst_window * f for f in finer)):
        near = np.searchsorted(t, t + w, "right") - np.searchsorted(t, t - w, "left")
        expected = bg * (2 * w) / (2 * bg_span)
        bursty |= (near >= min_burst) & (near >= min_ratio * np.maximum(expected, 0.05))
    if not bursty.any():
        return out
    bt, bid = t[bursty], ids[bursty]
    new = np.concatenate([[True], np.diff(bt) > burst_window])
    label = bid[np.flatnonzero(new)][np.cumsum(new) - 1]
    sizes = pd.Series(label).value_counts()
    keep = pd.Series(label).map(sizes).to_numpy() >= min_burst
    out.loc[bid[keep]] = label[keep]
    return out


def account_traits(
    accounts: pd.DataFrame,
    ids: Sequence[str],
    *,
    low_followers: float | None = None,
    burst_window: float = 86_400.0,
) -> pd.DataFrame:
    """Per account of ``ids``: ``burst`` (creation-burst label or None), ``low`` (at most
    ``low_followers`` followers; default the 20th percentile of ``accounts``) and
    ``identity`` (its identity key or None).  ``O(A log A)``."""
    acc = accounts.drop_duplicates("account_id").set_index("account_id").reindex(list(ids))
    ident = acc["identity_key"] if "identity_key" in acc else pd.Series(None, index=acc.index)
    ident = ident.astype(object).where(ident.notna(), None)
    ident = ident.where(ident.astype(str).str.len() > 0, None)
    fol = (
        pd.to_numeric(acc["followers"], errors="coerce")
        if "followers" in acc
        else pd.Series(np.nan, index=acc.index)
    ).astype(float)
    if low_followers is None:
        allf = pd.to_numeric(
            accounts.get("followers", pd.Series(dtype=float)), errors="coerce"
        ).dropna()
        low_followers = float(allf.quantile(0.2)) if len(allf) >= 10 else -1.0
    burst = creation_bursts(accounts, burst_window=burst_window).reindex(list(ids))
    return pd.DataFrame(
        {
            "burst": burst.to_numpy(),
            "low": (fol <= low_followers).fillna(False).astype(bool).to_numpy(),
            "identity": ident.to_numpy(),
        },
        index=pd.Index(list(ids), name="account_id"),
    )
