"""Surge detection on hand-made hourly series (pileon.detectors.surge)."""

import numpy as np
import pandas as pd
import pytest

from pileon.detectors.surge import detect_surges, hourly_counts, seasonal_baseline

DAYS = 21
IDX = pd.date_range("2026-03-01", periods=24 * DAYS, freq="h", tz="UTC")
#: relative activity per hour of the day: quiet at night, busy in the evening
RHYTHM = np.array(
    [
        0.55,
        0.35,
        0.2,
        0.12,
        0.08,
        0.08,
        0.15,
        0.35,
        0.6,
        0.7,
        0.75,
        0.8,
        0.9,
        0.85,
        0.75,
        0.75,
        0.8,
        0.85,
        0.9,
        0.95,
        1.0,
        1.0,
        0.95,
        0.8,
    ]
)


def series(values) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=float), index=IDX[: len(values)])


def after_warmup(surges):
    """Surges past the first two days (the first day of data has no baseline)."""
    return [s for s in surges if s.began_at >= IDX[48]]


def quiet(rng, rate=2.0):
    return rng.poisson(rate * np.tile(RHYTHM, DAYS)).astype(float)


def test_step_is_dated_to_its_first_hour():
    rng = np.random.default_rng(1)
    x = quiet(rng)
    start = 15 * 24 + 5
    x[start:] += rng.poisson(10, len(x) - start)
    found = after_warmup(detect_surges(series(x)))
    assert len(found) == 1
    s = found[0]
    assert abs((s.began_at - IDX[start]) / pd.Timedelta("1h")) <= 1
    assert s.detected_at <= IDX[start + 2]
    assert s.observed > 5 * s.expected


def test_spike_of_one_hour():
    rng = np.random.default_rng(2)
    x = quiet(rng)
    x[16 * 24 + 3] += 30
    found = after_warmup(detect_surges(series(x)))
    assert [s.peak_at for s in found] == [IDX[16 * 24 + 3]]
    assert found[0].began_at == IDX[16 * 24 + 3]
    assert found[0].peak_count >= 30


def test_slow_rise_is_caught_and_backdated():
    rng = np.random.default_rng(3)
    x = quiet(rng)
    start = 14 * 24
    x += rng.poisson(np.clip(np.arange(len(x)) - start, 0, None) * 0.05)
    found = after_warmup(detect_surges(series(x)))
    assert len(found) == 1
    s = found[0]
    # caught within two days of the start, and dated earlier than the alarm
    assert IDX[start] <= s.began_at < s.detected_at <= IDX[start + 48]


@pytest.mark.parametrize("seed", range(5))
def test_seasonal_busy_account_raises_nothing(seed):
    rng = np.random.default_rng(seed)
    level = np.repeat(rng.gamma(20, 1 / 20, DAYS), 24)  # busier and quieter days
    x = rng.poisson(80 * np.tile(RHYTHM, DAYS) * level)
    assert after_warmup(detect_surges(series(x))) == []


def test_busy_account_still_surges_when_it_really_triples():
    rng = np.random.default_rng(7)
    lam = 80 * np.tile(RHYTHM, DAYS)
    lam[18 * 24 : 19 * 24] *= 3
    found = after_warmup(detect_surges(series(rng.poisson(lam))))
    assert len(found) == 1 and found[0].began_at.day == 19


def test_quiet_account_without_surge():
    rng = np.random.default_rng(4)
    assert after_warmup(detect_surges(series(rng.poisson(0.2, 24 * DAYS)))) == []


def test_empty_and_short_history():
    assert detect_surges(pd.Series([], dtype=float, index=pd.DatetimeIndex([], tz="UTC"))) == []
    assert hourly_counts(pd.Series([], dtype="datetime64[ns, UTC]")).empty
    # a few hours of nothing, then a burst: no baseline but zero, still a surge
    x = [0, 0, 0, 0, 0, 12, 15, 9]
    found = detect_surges(series(x))
    assert len(found) == 1 and found[0].began_at == IDX[5]
    # all zeros: nothing
    assert detect_surges(series([0] * 30)) == []


def test_baseline_learns_the_daily_rhythm():
    lam = 50 * np.tile(RHYTHM, DAYS)
    b = seasonal_baseline(series(lam))
    late = b.iloc[-24:]
    # expected follows the rhythm (peak evening, trough early morning)
    assert late["expected"].idxmax().hour == 20
    assert late["expected"].idxmin().hour in (4, 5)
    np.testing.assert_allclose(late["expected"], lam[-24:], rtol=0.1)


def test_bad_arguments():
    with pytest.raises(ValueError):
        detect_surges(series([1, 2, 3]), h=0)
    with pytest.raises(ValueError):
        seasonal_baseline(series([1, 2, 3]), days=0)
