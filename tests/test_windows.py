"""Events bounded in time: the window of ``pileon.ingest.membership``.

A store that holds history must not rewrite today's incident: content joins an event by
text, copy or media only inside the event's window; content from before it joins only as
source material, when the event reposts or answers it.  Hand-made frames, hours counted
from :data:`T0`, the new event's start.
"""

from __future__ import annotations

import pandas as pd
import pytest

from pileon.graph.errors import InputError
from pileon.graph.frames import coerce
from pileon.ingest.membership import (
    DEFAULT_MARGIN,
    compute_memberships,
    event_windows,
    window_margin,
)
from pileon.ingest.tables import validate
from tests.helpers import (
    EVENT_START as T0,
)
from tests.helpers import (
    NEW_EVENT as NEW,
)
from tests.helpers import (
    OLD_EVENT as OLD,
)
from tests.helpers import (
    RUMOUR as STORY,
)
from tests.helpers import (
    YEAR_HOURS as YEAR,
)
from tests.helpers import (
    event_frames as frames,
)
from tests.helpers import (
    hour_content as c,
)
from tests.helpers import (
    hour_repost as r,
)
from tests.helpers import (
    resurfacing_rows,
    store_of_rows,
)


def members(contents, reposts=(), events=(NEW,), **kw) -> dict[str, dict[str, str]]:
    """content_id -> {event_id: via}"""
    m = compute_memberships(*frames(contents, reposts, events), **kw)
    out: dict[str, dict[str, str]] = {}
    for row in m.itertuples(index=False):
        out.setdefault(row.content_id, {})[row.event_id] = row.via
    return out


def windows(contents, reposts=(), events=(NEW,), **kw) -> dict[str, tuple]:
    w = event_windows(*frames(contents, reposts, events), **kw)
    return {e: (o, c_) for e, o, c_ in w.itertuples(index=False)}


# --------------------------------------------------------------------------- the start


def test_a_year_old_copy_of_the_rumour_does_not_join():
    m = members([c("w:now", 1), c("w:old", -YEAR), c("w:old-copy", -YEAR + 1, "转：" + STORY)])
    assert m == {"w:now": {"e-new": "text"}}


def test_the_margin_before_the_start_is_48_hours_by_default():
    from pileon.cli.cmd_ingest import MARGIN_HOURS

    assert DEFAULT_MARGIN == pd.Timedelta(hours=48) == pd.Timedelta(hours=MARGIN_HOURS)
    m = members([c("w:47", -47), c("w:49", -49), c("w:explicit", -200, event_id="e-new")])
    assert m == {"w:47": {"e-new": "text"}, "w:explicit": {"e-new": "event_id"}}


@pytest.mark.parametrize(
    "margin, joined",
    [(0, {"w:now"}), (6, {"w:now", "w:-5"}), ("3D", {"w:now", "w:-5", "w:-49"})],
)
def test_the_margin_is_an_option(margin, joined):
    rows = [c("w:now", 0), c("w:-5", -5), c("w:-49", -49)]
    assert set(members(rows, margin=margin)) == joined
    opens = windows(rows, margin=margin)["e-new"][0]
    assert opens == T0 - window_margin(margin)


@pytest.mark.parametrize("bad", [-1, "-2h", "soon"])
def test_a_negative_or_unreadable_margin_is_refused(bad):
    with pytest.raises(InputError, match="window margin"):
        window_margin(bad)


def test_without_started_at_the_window_opens_before_the_first_event_id_content():
    ev = {**NEW, "started_at": None}
    m = members([c("w:tagged", 0, event_id="e-new"), c("w:-40", -40), c("w:-60", -60)], events=[ev])
    assert set(m) == {"w:tagged", "w:-40"}


def test_without_a_start_there_is_no_beginning():
    ev = {**NEW, "started_at": None}
    assert set(members([c("w:old", -YEAR), c("w:now", 0)], events=[ev])) == {"w:old", "w:now"}


# ----------------------------------------------------------------------------- the end


def test_ended_at_closes_the_window_for_text_and_chains():
    ev = {**NEW, "ended_at": T0 + pd.Timedelta(hours=10)}
    m = members(
        [c("w:root", 0, event_id="e-new"), c("w:in", 9), c("w:after", 11)],
        [r("r:in", "w:root", 5), r("r:after", "w:root", 30), r("r:after2", "r:in", 12)],
        events=[ev],
    )
    assert set(m) == {"w:root", "w:in", "r:in"}
    assert windows([c("w:root", 0, event_id="e-new")], events=[ev])["e-new"][1] == ev["ended_at"]


def test_an_event_ends_a_margin_after_its_last_linked_activity():
    # the tagged post and its repost end at +1h: text 47 h later joins, 49 h later does not
    rows = [c("w:root", 0, event_id="e-new"), c("w:+48", 48), c("w:+98", 98)]
    m = members(rows, [r("r:1", "w:root", 1)])
    assert set(m) == {"w:root", "r:1", "w:+48"}
    # w:+48 joined, so the window now ends 48 h after it: w:+98 is 2 h too late
    assert windows(rows, [r("r:1", "w:root", 1)])["e-new"][1] == T0 + pd.Timedelta(hours=96)


def test_the_chains_of_text_joins_carry_the_window_on():
    rows = [c("w:root", 0, event_id="e-new"), c("w:+10", 10), c("w:+150", 150)]
    # a repost of a text join 100 h after the start keeps the event open until +148 h ...
    assert "w:+150" not in members(rows, [r("r:late", "w:+10", 100)])
    # ... and one at +110 h until +158 h
    assert "w:+150" in members(rows, [r("r:late", "w:+10", 110)])


def test_an_event_without_event_id_content_or_end_stays_open():
    m = members([c("w:0", 0), c("w:+1000", 1000)])
    assert set(m) == {"w:0", "w:+1000"}
    assert pd.isna(windows([c("w:0", 0)])["e-new"][1])


def test_an_old_event_stops_where_a_later_related_event_opens():
    old_post = c("w:old", -YEAR, event_id="e-old")
    rows = [old_post, c("w:now", 0)]
    reposts = [r("r:old", "w:old", -YEAR + 2), r("r:now", "w:old", 3)]
    m = members(rows, reposts, events=[OLD, NEW])
    # last year's event keeps its own reposts, not this year's
    assert m["r:old"] == {"e-old": "repost"}
    assert m["w:now"] == {"e-new": "text"}
    # this year's repost of last year's post is this year's; the old post its source
    assert m["r:now"] == {"e-new": "repost"}
    assert m["w:old"] == {"e-old": "event_id", "e-new": "source"}
    w = windows(rows, reposts, events=[OLD, NEW])
    assert w["e-old"][1] <= w["e-new"][0] == T0 - DEFAULT_MARGIN


def test_unrelated_events_do_not_cut_each_other():
    other = {
        "event_id": "e-tea",
        "name": "奶茶店谣言",
        "started_at": T0 - pd.Timedelta(hours=5),
        "keywords": ["茶语时光"],
        "entities": [],
        "target_ids": ["weibo:shop"],
    }
    rows = [c("w:tea", -5, "茶语时光", event_id="e-tea"), c("w:tea+200", 195, "茶语时光又上热搜")]
    m = members(rows, [r("r:tea", "w:tea", 190)], events=[other, NEW])
    assert m["w:tea+200"] == {"e-tea": "text"}


def test_an_event_may_not_end_before_it_starts():
    raw = pd.DataFrame(
        {
            "event_id": ["e1", "e2"],
            "name": ["x", "y"],
            "started_at": ["2026-03-02T00:00:00Z", "2026-03-02T00:00:00Z"],
            "ended_at": ["2026-03-01T00:00:00Z", "2026-03-03T00:00:00Z"],
        }
    )
    good, rej = validate("events", raw, [2, 3])
    assert good["event_id"].tolist() == ["e2"]
    assert (rej.lines, rej.reasons) == ([2], ["ended_at before started_at"])


# -------------------------------------------------------------------- source material


def test_reposts_and_replies_of_older_content_join_with_it_as_source():
    rows = [
        c("w:old", -YEAR, acc="weibo:old-author"),  # last year's post of the rumour
        c("w:old-reply", -YEAR + 1, "太可怕了", acc="weibo:a", reply_to="w:old"),
        c("w:reply", 2, "又来了？", acc="weibo:b", reply_to="w:old"),
        c("w:reply2", 3, "真的吗", acc="weibo:c", reply_to="w:reply"),
    ]
    reposts = [
        r("r:old", "w:old", -YEAR + 1, acc="weibo:d"),  # last year's cascade
        r("r:old2", "r:old", -YEAR + 2, acc="weibo:e"),
        r("r:now", "r:old", 4, acc="weibo:f"),  # this year, down last year's chain
        r("r:now2", "r:now", 5, acc="weibo:g"),
    ]
    m = members(rows, reposts)
    assert m == {
        "w:old": {"e-new": "source"},
        "r:old": {"e-new": "source"},
        "w:reply": {"e-new": "reply"},
        "w:reply2": {"e-new": "reply"},
        "r:now": {"e-new": "repost"},
        "r:now2": {"e-new": "repost"},
    }  # not last year's reply and repost that this year did not touch


def test_older_content_nobody_acts_on_stays_out():
    m = members([c("w:old", -YEAR), c("w:now", 0)], [r("r:old", "w:old", -YEAR + 1)])
    assert set(m) == {"w:now"}


def test_an_in_window_copy_of_older_named_content_joins_as_a_copy():
    # last year's post names the event; this year's retelling drops the names
    named = "晓雨烘焙坊｜小店三周年，感谢老顾客一路陪伴，今天全场八折"
    ev = {**NEW, "keywords": ["晓雨烘焙坊"], "entities": []}
    m = members(
        [
            c("w:old", -10 * 24, named),
            c("w:now", 5, "小店三周年，感谢老顾客一路陪伴，今天全场八折"),
            c("w:reply", 6, "骗子", reply_to="w:now"),
        ],
        events=[ev],
    )
    assert m == {"w:now": {"e-new": "copy"}, "w:reply": {"e-new": "reply"}}


def test_the_same_window_whatever_the_row_order():
    rows = [c("w:root", 0, event_id="e-new"), c("w:old", -YEAR), c("w:+40", 40), c("w:x", 2)]
    reps = [r("r:1", "w:root", 1), r("r:2", "w:old", 3), r("r:3", "r:2", 60)]
    a = compute_memberships(*frames(rows, reps))
    b = compute_memberships(*frames(list(reversed(rows)), list(reversed(reps))))
    pd.testing.assert_frame_equal(a, b)


def test_ingest_takes_the_margin_and_refuses_a_negative_one(tmp_path):
    from click.testing import CliRunner

    from pileon.cli import cli
    from pileon.graph.embedded import EmbeddedStore

    folder = tmp_path / "in"
    folder.mkdir()
    ev, cf, _ = frames([c("w:now", 0), c("w:-30", -30)])
    (folder / "events.jsonl").write_text(
        ev.drop(columns=["extra"]).to_json(orient="records", lines=True, date_format="iso"),
        encoding="utf-8",
    )
    cols = ["content_id", "account_id", "platform", "posted_at", "text"]
    cf[cols].to_csv(folder / "contents.csv", index=False)
    db = str(tmp_path / "s.db")

    def run(*args):
        opts = ["ingest", str(folder), "--store", db, "--rejects", str(tmp_path / "r.csv")]
        return CliRunner().invoke(cli, opts + list(args))

    bad = run("--margin-hours", "-1")
    assert bad.exit_code == 2 and bad.stderr.strip().count("\n") == 0
    assert "window margin" in bad.stderr
    ok = run("--margin-hours", "24", "--json")
    assert ok.exit_code == 0, ok.output
    assert set(EmbeddedStore(db).memberships()["content_id"]) == {"w:now"}
    ok = run("--json")  # 48 h: both
    assert set(EmbeddedStore(db).memberships()["content_id"]) == {"w:now", "w:-30"}


# ------------------------------------------------- source material in the analysis


def test_source_material_is_shown_not_judged(tmp_path):
    from pileon.graph.projection import project
    from pileon.service.analysis import analyze

    store = store_of_rows(tmp_path, *resurfacing_rows())
    p = project(store, "e-new")
    via = dict(zip(p.contents["content_id"], p.contents["via"]))
    via.update(zip(p.reposts["repost_id"], p.reposts["via"]))
    assert via["w:old"] == via["r:call"] == via["w:back-old"] == "source"
    assert (via["r:0"], via["r:c0"], via["w:back-now"]) == ("repost", "repost", "text")
    assert p.source_only == {"weibo:old-author", "weibo:old-caller"}
    hint = dict(zip(p.accounts["account_id"], p.accounts["role_hint"]))
    assert hint["weibo:old-author"] == hint["weibo:old-caller"] == "source"
    assert hint["weibo:back"] == "author"

    report = analyze(store, "e-new", model=None, save=False)
    listed = {a["account_id"]: a for a in report["accounts"]}
    # last year's author and caller are not this event's culprits, nor listed at all
    assert not {"weibo:old-author", "weibo:old-caller"} & set(listed)
    # their post is shown: the narrative counts this year's reposts of it, without a first
    # poster; the poster who acts again is the first poster of the post it brought back
    narr = {n["first_content_id"]: n for n in report["narratives"]}
    assert narr["w:old"]["first_poster"] is None and narr["w:old"]["size"] >= 25
    assert narr["w:back-old"]["first_poster"] == "weibo:back"
    assert "first_poster" in listed["weibo:back"]["roles"]


def test_a_store_made_before_ended_at_gains_the_column(tmp_path):
    import sqlite3

    from pileon.graph.embedded import EmbeddedStore

    path = str(tmp_path / "old.db")
    EmbeddedStore(path).upsert("events", coerce("events", pd.DataFrame([NEW])))
    con = sqlite3.connect(path)
    con.execute("ALTER TABLE events DROP COLUMN ended_at")  # as an older pileon made it
    con.commit()
    con.close()
    events = EmbeddedStore(path).frame("events")
    assert events["event_id"].tolist() == ["e-new"] and events["ended_at"].isna().all()
