"""Ingest of SPEC §7's tables: venues, moderation and contents.venue_id (rejects with their
line and reason, placeholders, upsert, CSV/JSONL/Parquet), and folders without them."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

from pileon.graph.embedded import EmbeddedStore
from pileon.ingest.load import load_folder

ACCOUNTS = """account_id,platform,name
weibo:1,weibo,张三
weibo:2,weibo,李四
"""
CONTENTS = """content_id,account_id,platform,posted_at,text,kind,harm,event_id,venue_id
weibo:c1,weibo:1,weibo,2026-03-01T08:00:00+08:00,滚出去,post,0.9,e1,weibo:v1
weibo:c2,weibo:2,weibo,2026-03-01T09:00:00+08:00,弹幕,comment,0.8,e1,weibo:v9
weibo:c3,weibo:2,weibo,2026-03-01T09:30:00+08:00,无处,post,0.1,e1,
"""
EVENTS = """event_id,name,started_at,target_ids
e1,老师事件,2026-03-01T00:00:00+08:00,weibo:1
"""
REPORTS = """report_id,reported_at,content_id,involves_minor
rep:1,2026-03-01T10:00:00+08:00,weibo:c1,true
"""
VENUES = """venue_id,platform,kind,name,created_at,creator_id,host_id,closed_at,topic_color
weibo:v1,weibo,topic,#老师滚#,2026-03-01T07:00:00+08:00,weibo:2,,2026-03-02T00:00:00+08:00,red
weibo:v2,weibo,live_room,我的直播间,2026-02-01T00:00:00Z,weibo:1,weibo:1,,
weibo:v3,weibo,hashtag,x,,,,,
,weibo,topic,nameless,,,,,
weibo:v4,weibo,group,反了,2026-03-05T00:00:00Z,weibo:77,,2026-03-04T00:00:00Z,
weibo:v5,weibo,forum,晚了,not-a-time,,,,
weibo:v1,weibo,topic,again,,,,,
weibo:v6,,chat,no platform,,,,,
"""
MODERATION = """action_id,platform,acted_at,action,content_id,account_id,venue_id,report_id
mod:1,weibo,2026-03-01T10:30:00+08:00,remove,weibo:c1,,,rep:1
mod:2,weibo,2026-03-02T00:00:00+08:00,close,,,weibo:v1,
mod:3,weibo,2026-03-02T00:00:00+08:00,ban,weibo:c2,,,
mod:4,weibo,2026-03-02T00:00:00+08:00,warn,,,,
mod:5,weibo,,remove,weibo:c2,,,
mod:6,weibo,2026-03-02T01:00:00+08:00,suspend,,weibo:88,,
mod:7,weibo,2026-03-02T02:00:00+08:00,dismiss,,,,rep:404
"""


def write(folder, **tables):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def folder(tmp_path):
    return write(
        tmp_path / "in",
        accounts=ACCOUNTS,
        contents=CONTENTS,
        events=EVENTS,
        reports=REPORTS,
        venues=VENUES,
        moderation=MODERATION,
    )


def rejects(path):
    with open(path, encoding="utf-8") as f:
        return [(r["table"], int(r["line"]), r["reason"]) for r in csv.DictReader(f)]


def test_rejects_with_line_and_reason(folder, tmp_path):
    store = EmbeddedStore(str(tmp_path / "s.db"))
    s = load_folder(store, folder, reject_path=tmp_path / "rej.csv")
    got = rejects(tmp_path / "rej.csv")
    assert (
        "venues",
        4,
        "unknown kind 'hashtag' (expected topic, group, forum, chat, live_room)",
    ) in got
    assert ("venues", 5, "missing required field venue_id") in got
    assert ("venues", 6, "closed_at before created_at") in got
    assert ("venues", 7, "bad timestamp in created_at: 'not-a-time'") in got
    assert ("venues", 8, "duplicate key in the same file") in got
    assert ("venues", 9, "missing required field platform") in got
    reasons = {line: reason for table, line, reason in got if table == "moderation"}
    assert reasons[4] == (
        "unknown action 'ban' (expected remove, hide, warn, mute, suspend, close, dismiss)"
    )
    assert reasons[5] == "acts on nothing: give content_id, account_id, venue_id or report_id"
    assert reasons[6] == "missing required field acted_at"
    assert set(reasons) == {4, 5, 6}
    for name, c in s.tables.items():
        assert c.read == c.stored + c.rejected, name
    assert (s.tables["venues"].read, s.tables["venues"].stored) == (8, 2)
    assert (s.tables["moderation"].read, s.tables["moderation"].stored) == (7, 4)
    v = store.frame("venues").set_index("venue_id")
    assert json.loads(v.loc["weibo:v1", "extra"]) == {"topic_color": "red"}
    assert v.loc["weibo:v1", "closed_at"] == pd.Timestamp("2026-03-01T16:00:00Z")
    store.close()


def test_placeholders_for_unknown_venues_and_accounts(folder, tmp_path):
    store = EmbeddedStore(str(tmp_path / "s.db"))
    s = load_folder(store, folder, reject_path=tmp_path / "rej.csv")
    v = store.frame("venues").set_index("venue_id")
    # weibo:v9, named by a content, was never loaded (weibo:v4 was rejected)
    assert v.loc["weibo:v9", "placeholder"] and not v.loc["weibo:v1", "placeholder"]
    assert s.tables["contents"].placeholders == 1
    acc = store.frame("accounts").set_index("account_id")
    assert acc.loc["weibo:88", "placeholder"]  # suspended, never loaded
    assert s.tables["moderation"].placeholders == 1
    c = store.frame("contents").set_index("content_id")
    assert c.loc["weibo:c1", "venue_id"] == "weibo:v1" and c.loc["weibo:c3", "venue_id"] is None
    store.close()


def test_loading_twice_changes_nothing(folder, tmp_path):
    store = EmbeddedStore(str(tmp_path / "s.db"))
    load_folder(store, folder, reject_path=tmp_path / "rej.csv")
    before = {t: store.frame(t) for t in ("venues", "moderation", "contents", "accounts")}
    s2 = load_folder(store, folder, reject_path=tmp_path / "rej.csv")
    for t, df in before.items():
        pd.testing.assert_frame_equal(store.frame(t), df, obj=t)
    assert all(c.placeholders == 0 for c in s2.tables.values())
    # an upsert replaces the row (the venue closes later)
    write(
        folder, venues=VENUES.replace("2026-03-02T00:00:00+08:00,red", "2026-03-09T00:00:00Z,red")
    )
    load_folder(store, folder, reject_path=tmp_path / "rej.csv")
    v = store.frame("venues").set_index("venue_id")
    assert v.loc["weibo:v1", "closed_at"] == pd.Timestamp("2026-03-09T00:00:00Z")
    assert len(v) == len(before["venues"])
    store.close()


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_each_format_gives_the_same_store(folder, tmp_path, fmt):
    d = tmp_path / fmt
    d.mkdir()
    for name in ("accounts", "contents", "events", "reports", "venues", "moderation"):
        df = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
        if fmt == "jsonl":
            recs = [
                json.dumps({k: v for k, v in r.items() if v != ""}, ensure_ascii=False)
                for r in df.to_dict("records")
            ]
            (d / f"{name}.jsonl").write_text("\n".join(recs) + "\n", encoding="utf-8")
        else:
            if name == "events":
                df["target_ids"] = df["target_ids"].map(lambda v: v.split("|") if v else [])
            df.replace("", None).to_parquet(d / f"{name}.parquet", index=False)
    ref = EmbeddedStore(str(tmp_path / "ref.db"))
    load_folder(ref, folder, reject_path=tmp_path / "r0.csv")
    st = EmbeddedStore(str(tmp_path / f"{fmt}.db"))
    s = load_folder(st, d, reject_path=tmp_path / "r1.csv")
    assert (s.tables["venues"].stored, s.tables["moderation"].stored) == (2, 4)
    for t in ("venues", "moderation", "contents"):
        pd.testing.assert_frame_equal(st.frame(t), ref.frame(t), obj=t)
    ref.close()
    st.close()


def test_a_folder_without_the_new_tables_analyzes_as_before(tmp_path):
    """No venue, no moderation row: the report is the §4 report, without the §7 sections."""
    from pileon.detectors.report import REPORT_KEYS
    from pileon.service.analysis import analyze

    d = write(
        tmp_path / "old",
        accounts=ACCOUNTS,
        contents="\n".join(line.rsplit(",", 1)[0] for line in CONTENTS.splitlines()) + "\n",
        events=EVENTS,
    )
    store = EmbeddedStore(str(tmp_path / "s.db"))
    s = load_folder(store, d, reject_path=tmp_path / "rej.csv")
    assert "venues" not in s.tables and "moderation" not in s.tables
    report = analyze(store, "e1", model=None, save=False)
    assert tuple(report) == REPORT_KEYS
    store.close()
