"""Surge detection on an hourly count series, against the series' own seasonal baseline.

Method: a one-sided **CUSUM control chart on standardised residuals from a robust
seasonal baseline** (level x hour-of-day profile, over-dispersed Poisson scale).

Why this method:

* *its own baseline*: the expected count of hour ``t`` is learnt from the same
  series over the ``days`` days before ``t`` only (causal: an alert could have been
  raised at that hour), so a busy account's normal level is not a surge;
* *level*: the mean daily total of those days after dropping the busiest quarter
  of them, robust to an earlier surge inside the window (a plain median would be
  zero for a quiet account that gets a few messages on some days);
* *daily rhythm*: the level is spread over the day by the account's own
  hour-of-day profile (counts at that hour over the window, smoothed towards a flat
  profile with ``smoothing`` pseudo-counts so that a quiet account gets no spurious
  rhythm);
* *scale*: Poisson noise inflated by a dispersion factor estimated robustly (MAD of
  the Pearson residuals over the window), because real attention is burstier than
  Poisson, plus a quadratic term for the day-to-day variation of the level (robust
  coefficient of variation of the daily totals beyond Poisson), because a busy
  account has busier and quieter days and every hour of such a day moves together;
  ``+1`` in the variance keeps an hour with no expected traffic from turning one
  message into an infinite z;
* *CUSUM* rather than a per-hour threshold: it accumulates moderate excesses, so a
  slow rise is caught, while a single large spike still crosses at once; and it
  dates the start of a surge (the last hour the statistic was zero), so ``began_at``
  is when the surge started, not the hour the alarm fired.

Short history: with less than one whole day before ``t`` the expected count is the
mean of the hours seen so far (zero at the very first hour), with the plain Poisson
scale.  A series that starts with a burst is therefore flagged; callers decide
whether the burst matters (the alerts keep benign bursts out through harm).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

HOUR = pd.Timedelta(hours=1)


@dataclass(frozen=True)
class Surge:
    """One surge episode of a series (hour timestamps are the start of their hour)."""

    #: first hour of the episode (the CUSUM left zero)
    began_at: pd.Timestamp
    #: first hour at which the CUSUM crossed the threshold
    detected_at: pd.Timestamp
    #: hour of the largest excess over the baseline
    peak_at: pd.Timestamp
    #: last hour of the episode (inclusive)
    ended_at: pd.Timestamp
    #: counts observed and expected over the episode
    observed: float
    expected: float
    peak_count: float
    peak_expected: float
    peak_z: float
    #: the largest CUSUM value reached
    cusum: float

    @property
    def excess(self) -> float:
        return max(0.0, self.observed - self.expected)


def hourly_counts(
    times: pd.Series, *, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None
) -> pd.Series:
    """Counts per UTC hour of ``times`` over every hour from ``start`` to ``end``.

    Parameters
    ----------
    times : Series of datetime64[ns, UTC]
        One timestamp per event (NaT ignored).
    start, end : Timestamp, optional
        The first and last hour of the index (floored); default the data's own range.

    Returns
    -------
    Series
        float64 counts indexed by hour (zeros filled); empty when nothing to count.

    Examples
    --------
    >>> t = pd.Series(pd.to_datetime(["2026-03-01T00:10Z", "2026-03-01T00:50Z",
    ...                               "2026-03-01T02:05Z"], utc=True))
    >>> hourly_counts(t).tolist()
    [2.0, 0.0, 1.0]
    """
    t = (
        times
        if isinstance(getattr(times, "dtype", None), pd.DatetimeTZDtype)
        else pd.to_datetime(times, utc=True)
    )
    t = t.dropna()
    if start is None and len(t):
        start = t.min()
    if end is None and len(t):
        end = t.max()
    if start is None or end is None:
        return pd.Series([], dtype="float64", index=pd.DatetimeIndex([], tz="UTC"))
    idx = pd.date_range(pd.Timestamp(start).floor("h"), pd.Timestamp(end).floor("h"), freq="h")
    counts = t.dt.floor("h").value_counts()
    return counts.reindex(idx, fill_value=0).astype("float64")


def seasonal_baseline(
    counts: pd.Series,
    *,
    period: int = 24,
    days: int = 14,
    smoothing: float = 2.0,
    floor: float = 0.25,
) -> pd.DataFrame:
    """Expected count, scale and standardised residual of every hour of a series.

    Parameters
    ----------
    counts : Series
        Counts on a regular hourly index (see :func:`hourly_counts`).
    period : int
        Hours per season (24: the daily rhythm).
    days : int
        Seasons of history the baseline looks back over.
    smoothing : float
        Pseudo-counts that pull the hour-of-day profile towards flat.
    floor : float
        Added to the expected count in the variance: with nothing expected, one count
        is ``1 / sqrt(floor)`` standard units (2 by default).

    Returns
    -------
    DataFrame
        Columns ``count, expected, scale, z`` on the same index, with
        ``z = (count - expected) / scale``.

    Notes
    -----
    O(n * days) for n hours, plus a rolling median (O(n log(period * days))).
    """
    x = counts.to_numpy(dtype="float64")
    n = len(x)
    P, D = int(period), int(days)
    if P < 1 or D < 1:
        raise ValueError("period and days must be at least 1")
    cs = np.concatenate([[0.0], np.cumsum(x)])
    t = np.arange(n)
    # daily totals of the D whole seasons before t, and counts at the same phase
    daily = np.full((n, D), np.nan)
    same = np.full((n, D), np.nan)
    for d in range(D):
        lo = t - P * (d + 1)
        ok = lo >= 0
        daily[ok, d] = cs[t[ok] - P * d] - cs[lo[ok]]
        same[ok, d] = x[lo[ok]]
    nd = np.sum(~np.isnan(daily), axis=1)
    have = nd > 0
    # level: mean daily total after dropping the busiest quarter of the days
    srt = np.sort(np.where(np.isnan(daily), np.inf, daily), axis=1)
    keep = nd - np.ceil(nd / 4).astype(int)
    keep = np.where(have, np.maximum(keep, 1), 0)
    cols = np.arange(D)[None, :]
    mask = cols < keep[:, None]
    level = np.divide(np.where(mask, srt, 0.0).sum(axis=1), np.maximum(keep, 1))
    # hour-of-day profile (mean 1), smoothed
    total = np.where(have, cs[t] - cs[np.maximum(t - P * nd, 0)], 0.0)
    same_sum = np.nansum(same, axis=1)
    profile = (same_sum + smoothing) / (total / P + smoothing)
    expected = np.where(have, level / P * profile, 0.0)
    # short history: the mean of the hours seen so far
    early = ~have
    expected[early] = np.where(t[early] > 0, cs[t[early]] / np.maximum(t[early], 1), 0.0)
    # dispersion: robust scale of the Pearson residuals over the window before t
    resid = (x - expected) / np.sqrt(expected + 1.0)
    med = pd.Series(np.abs(resid)).rolling(P * D, min_periods=P).median().shift(1).to_numpy()
    phi = np.where(np.isnan(med) | ~have, 1.0, np.maximum(1.0, (1.4826 * med) ** 2))
    # day-to-day variation of the level (busy accounts have busier and quieter days):
    # squared coefficient of variation of the daily totals beyond their Poisson part
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: no history yet
        dmed = np.nanmedian(np.where(nd[:, None] >= 3, daily, np.nan), axis=1)
        dmad = np.nanmedian(np.abs(daily - dmed[:, None]), axis=1)
        cv2 = np.where(dmed > 0, ((1.4826 * dmad) ** 2 - dmed) / dmed**2, 0.0)
    cv2 = np.where(np.isnan(cv2), 0.0, np.maximum(cv2, 0.0))
    scale = np.sqrt(phi * (expected + floor) + cv2 * expected**2)
    z = (x - expected) / scale
    return pd.DataFrame(
        {"count": x, "expected": expected, "scale": scale, "z": z}, index=counts.index
    )


def detect_surges(
    counts: pd.Series,
    *,
    period: int = 24,
    days: int = 14,
    k: float = 1.0,
    h: float = 6.0,
    smoothing: float = 2.0,
    floor: float = 0.25,
    min_excess: float = 3.0,
    min_ratio: float = 2.0,
    gap: int = 6,
) -> list[Surge]:
    """Surge episodes of an hourly count series against its own seasonal baseline.

    Parameters
    ----------
    counts : Series
        Counts on a regular hourly index (see :func:`hourly_counts`); may be empty.
    period, days, smoothing, floor : see :func:`seasonal_baseline`.
    k : float
        CUSUM allowance in standard units: excesses below ``k`` do not accumulate.
    h : float
        CUSUM decision threshold.
    min_excess : float
        Episodes whose observed count exceeds the expected by less are dropped.
    min_ratio : float
        Episodes whose observed count is less than ``min_ratio`` times the expected are
        dropped: a statistically clear but modest rise of a busy account (a 50 % busier
        day) is not a surge.
    gap : int
        An episode ends after this many hours in a row without an excess above ``k``
        (a bare CUSUM would take as many hours to drain as the surge piled up).

    Returns
    -------
    list of Surge
        Episodes in time order.  An episode runs from the hour the CUSUM left zero to
        its last hour above the allowance before ``gap`` quiet hours (or the end of
        the series).

    Notes
    -----
    O(n * days) for n hours (see :func:`seasonal_baseline`), then one pass.

    Examples
    --------
    >>> idx = pd.date_range("2026-03-01", periods=24 * 10, freq="h", tz="UTC")
    >>> x = pd.Series(np.tile([1.0, 2.0, 3.0, 2.0], 60), index=idx)
    >>> x.iloc[200:206] += 25
    >>> [(s.began_at.isoformat(), s.ended_at.isoformat()) for s in detect_surges(x)]
    [('2026-03-09T08:00:00+00:00', '2026-03-09T13:00:00+00:00')]
    """
    if h <= 0 or k < 0:
        raise ValueError("h must be positive and k non-negative")
    if len(counts) == 0 or not counts.to_numpy().any():
        return []
    b = seasonal_baseline(counts, period=period, days=days, smoothing=smoothing, floor=floor)
    z = b["z"].to_numpy()
    x = b["count"].to_numpy()
    e = b["expected"].to_numpy()
    idx = counts.index
    out: list[Surge] = []
    s = 0.0
    start = None
    alarm = None
    peak_s = 0.0

    def close(end: int) -> None:
        sl = slice(start, end + 1)
        obs, exp = float(x[sl].sum()), float(e[sl].sum())
        if obs - exp < min_excess or obs < min_ratio * exp:
            return
        rel = start + int(np.argmax(x[sl] - e[sl]))
        out.append(
            Surge(
                began_at=idx[start],
                detected_at=idx[alarm],
                peak_at=idx[rel],
                ended_at=idx[end],
                observed=obs,
                expected=round(exp, 6),
                peak_count=float(x[rel]),
                peak_expected=round(float(e[rel]), 6),
                peak_z=round(float(z[rel]), 6),
                cusum=round(peak_s, 6),
            )
        )

    last_hot = -1
    for i in range(len(z)):
        s_new = max(0.0, s + z[i] - k)
        if s == 0.0 and s_new > 0.0:
            start = i
        s = s_new
        if z[i] > k:
            last_hot = i
        if s >= h and alarm is None:
            alarm = i
        if alarm is not None:
            peak_s = max(peak_s, s)
            if s == 0.0 or i - last_hot >= gap:
                # the surge is over: no hour above the allowance for ``gap`` hours
                close(last_hot)
                s, start, alarm, peak_s = 0.0, None, None, 0.0
        elif s == 0.0:
            start = None
    if alarm is not None:
        close(last_hot)
    return out
