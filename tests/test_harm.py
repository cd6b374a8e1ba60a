"""The one reading of a repost's ``harm`` (pileon.detectors.harm.repost_harm), which alerts,
the evidence pack, the narratives detector, the repost forest and node harm all use."""

from __future__ import annotations

import math

import pandas as pd

from pileon.detectors.harm import repost_harm


def test_repost_harm_reads_the_extra_json_and_nothing_else():
    extras = [
        '{"harm": 0.8}',
        "{}",
        None,
        '{"harm": ""}',
        '{"harm": "0.3"}',
        '{"harm": null}',
        "not json",
        '{"harm": [1]}',
        '{"other": 1, "harm": true}',
        '{"note": "harm"}',
        '{"harm": 0.8}',
    ]
    got = repost_harm(pd.DataFrame({"extra": extras}, index=range(10, 21)))
    want = [0.8, None, None, None, 0.3, None, None, None, 1.0, None, 0.8]
    assert got.dtype == "float64" and got.index.tolist() == list(range(10, 21))
    assert [None if math.isnan(v) else v for v in got] == want


def test_a_harm_column_wins_over_extra_and_unreadable_cells_are_unknown():
    got = repost_harm(pd.DataFrame({"harm": ["0.25", "x", None], "extra": ['{"harm": 1}'] * 3}))
    assert got.iloc[0] == 0.25 and got.iloc[1:].isna().all()
    assert repost_harm(pd.DataFrame({"repost_id": []})).empty
