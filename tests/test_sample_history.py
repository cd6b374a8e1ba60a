"""``pileon sample --history``: the incident told once before, a year earlier."""

from __future__ import annotations

import pandas as pd
from click.testing import CliRunner

from pileon.cli import cli
from pileon.ingest.sample import generate_incident

E1 = "evt:2026-03-nancheng-teacher"


def _rows(folder, table: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)


def test_the_history_adds_rows_and_changes_none(tmp_path):
    plain = generate_incident(tmp_path / "plain", seed=3, scale=0.05)
    hist = generate_incident(tmp_path / "hist", seed=3, scale=0.05, history=True)
    past = hist["history"]
    assert past["event_id"] == "evt:2025-03-nancheng-teacher" and past["shift_days"] == 365
    for table in plain["counts"]:
        a, b = _rows(tmp_path / "plain", table), _rows(tmp_path / "hist", table)
        # every row of the plain incident is there, unchanged
        both = a.merge(b, how="left", indicator=True)
        assert (both["_merge"] == "both").all(), table
        added = len(b) - len(a)
        assert added == hist["counts"][table] - plain["counts"][table]
        # (the copy is told without venues and without moderation rows)
        assert added > 0 or table in ("mcns", "labels", "venues", "moderation"), table
        assert added == 0 or table not in ("venues", "moderation"), table
    # the copy: E1's texts a year earlier, by other accounts but the repeat offenders and
    # the people under attack, in an event of its own
    c = _rows(tmp_path / "hist", "contents")
    new = c[~c["content_id"].isin(set(_rows(tmp_path / "plain", "contents")["content_id"]))]
    old = _rows(tmp_path / "plain", "contents")
    e1_texts = set(old.loc[old["event_id"] == E1, "text"])
    assert set(new.loc[new["event_id"] == past["event_id"], "text"]) == e1_texts
    assert (pd.to_datetime(new["posted_at"], utc=True) < pd.Timestamp("2025-04-01", tz="UTC")).all()
    accounts = dict(past["accounts"])
    assert not set(accounts.values()) & set(_rows(tmp_path / "plain", "accounts")["account_id"])
    repeat = set(past["repeat_offenders"])
    assert len(repeat) == 2 and not repeat & set(accounts)
    assert repeat <= set(new["account_id"])  # active in both
    assert repeat <= set(hist["events"][E1]["repeat_across_events"])
    ev = _rows(tmp_path / "hist", "events").set_index("event_id")
    assert ev.at[past["event_id"], "keywords"] == ev.at[E1, "keywords"]
    # the truth of this year's incident is the same, its repeat offenders aside
    for key, value in plain["events"][E1].items():
        if key != "repeat_across_events":
            assert hist["events"][E1][key] == value, key


def test_the_command_writes_the_history(tmp_path):
    res = CliRunner().invoke(
        cli, ["sample", str(tmp_path / "s"), "--seed", "2", "--scale", "0.05", "--history"]
    )
    assert res.exit_code == 0, res.output
    ev = _rows(tmp_path / "s", "events")
    assert "evt:2025-03-nancheng-teacher" in set(ev["event_id"])


def test_the_public_api_passes_the_history_and_the_margin_on(tmp_path):
    import pileon
    from pileon.graph.embedded import EmbeddedStore

    truth = pileon.sample(tmp_path / "in", seed=2, scale=0.05, history=True)
    assert truth["history"]["event_id"] == "evt:2025-03-nancheng-teacher"
    sizes = {}
    for hours in (0.0, 48.0):
        db = str(tmp_path / f"m{hours}.db")
        pileon.ingest_folder(db, tmp_path / "in", rejects=tmp_path / "r.csv", margin_hours=hours)
        sizes[hours] = len(EmbeddedStore(db).memberships(E1))
    # what names the event in the two days before its start joins with the margin only
    assert sizes[0.0] < sizes[48.0]
