"""Ingest: every rejection reason, idempotency, each input format, placeholders, bad files."""

from __future__ import annotations

import csv
import json
import random
import shutil

import pandas as pd
import pytest

from pileon.graph.embedded import EmbeddedStore
from pileon.graph.errors import InputError
from pileon.ingest.load import load_folder
from pileon.ingest.readers import CHUNK_ROWS
from pileon.ingest.sample import generate_incident

ACCOUNTS = """account_id,platform,name,created_at,followers,verified,is_minor,nickname_color
weibo:1,weibo,张三,2025-01-01T00:00:00+08:00,10,true,false,red
weibo:2,weibo,李四,2025-01-02,-5,,,
weibo:3,weibo,王五,not-a-date,3,,,
,weibo,nobody,,,,,
weibo:4,weibo,赵六,,abc,,,
weibo:5,weibo,钱七,,3,maybe,,
weibo:1,weibo,again,,,,,
weibo:6,weibo,孙八,2025-01-03T01:02:03Z,1,,,
weibo:8,weibo,周九,,1.5,,,
"""

CONTENTS = """content_id,account_id,platform,posted_at,text,kind,harm,target_ids,event_id
weibo:c1,weibo:1,weibo,2026-03-01T08:00:00+08:00,那个老师太过分了,post,0.9,weibo:9|weibo:10,e1
weibo:c2,weibo:1,weibo,2026-03-01T09:00:00+08:00,x,post,1.5,,e1
weibo:c3,weibo:1,weibo,2026-03-01T09:00:00+08:00,x,tweet,,,e1
weibo:c4,weibo:77,weibo,2026-03-01T10:00:00,无事件的老师,,,,
"""

REPOSTS = """repost_id,account_id,source_id,reposted_at,text
weibo:r1,weibo:6,weibo:c1,2026-03-01T01:00:00Z,
weibo:r2,weibo:6,weibo:r1,2026-03-01T02:00:00Z,冲
weibo:r3,weibo:6,weibo:gone,2026-03-01T03:00:00Z,
weibo:r4,weibo:6,weibo:r4,2026-03-01T03:00:00Z,
"""

EVENTS = """event_id,name,started_at,keywords,entities,target_ids
e1,老师事件,2026-03-01T00:00:00+08:00,老师|体罚,某中学,weibo:9
"""

LABELS = """event_id,account_id,tier
e1,weibo:1,3
e1,weibo:6,7
"""


def write(folder, **tables):
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    write(d, accounts=ACCOUNTS, contents=CONTENTS, reposts=REPOSTS, events=EVENTS, labels=LABELS)
    return d


@pytest.fixture
def store(tmp_path):
    return EmbeddedStore(str(tmp_path / "s.db"))


def rejects(path):
    with open(path, encoding="utf-8") as f:
        return [(r["table"], int(r["line"]), r["reason"]) for r in csv.DictReader(f)]


def test_every_rejection_reason_with_its_line(folder, store, tmp_path):
    s = load_folder(store, folder, reject_path=tmp_path / "rej.csv")
    got = rejects(tmp_path / "rej.csv")
    assert ("accounts", 3, "negative followers: -5") in got
    assert ("accounts", 4, "bad timestamp in created_at: 'not-a-date'") in got
    assert ("accounts", 5, "missing required field account_id") in got
    assert ("accounts", 6, "not a number in followers: 'abc'") in got
    assert ("accounts", 7, "not a boolean in verified: 'maybe'") in got
    assert ("accounts", 8, "duplicate key in the same file") in got
    assert ("accounts", 10, "not a whole number in followers: '1.5'") in got
    assert ("contents", 3, "harm outside 0..1: 1.5") in got
    assert ("contents", 4, "unknown kind 'tweet' (expected post, comment, video, live, dm)") in got
    assert ("reposts", 5, "repost of itself") in got
    assert ("labels", 3, "tier outside 0..4: 7") in got
    for name, c in s.tables.items():
        assert c.read == c.stored + c.rejected, name
    assert s.tables["accounts"].to_dict() == {
        "read": 9,
        "stored": 2,
        "rejected": 7,
        "placeholders": 0,
    }


def test_placeholders_for_dangling_references(folder, store, tmp_path):
    s = load_folder(store, folder, reject_path=tmp_path / "rej.csv")
    acc = store.frame("accounts").set_index("account_id")
    # weibo:77 (author), weibo:9 and weibo:10 (targets) were never loaded
    assert acc.loc["weibo:77", "placeholder"] and acc.loc["weibo:9", "placeholder"]
    assert not acc.loc["weibo:1", "placeholder"]
    assert s.tables["events"].placeholders == 1  # weibo:9, first named by the event
    assert s.tables["contents"].placeholders == 2  # weibo:77 and weibo:10
    con = store.frame("contents").set_index("content_id")
    assert con.loc["weibo:gone", "placeholder"]
    assert s.tables["reposts"].placeholders == 1


def test_extra_columns_kept_and_values_normalised(folder, store, tmp_path):
    load_folder(store, folder, reject_path=tmp_path / "rej.csv")
    acc = store.frame("accounts").set_index("account_id")
    assert json.loads(acc.loc["weibo:1", "extra"]) == {"nickname_color": "red"}
    assert acc.loc["weibo:1", "created_at"] == pd.Timestamp("2024-12-31T16:00:00Z")
    assert bool(acc.loc["weibo:1", "verified"]) is True
    con = store.frame("contents").set_index("content_id")
    assert con.loc["weibo:c1", "target_ids"] == ["weibo:9", "weibo:10"]
    assert con.loc["weibo:c1", "tz"] == 480
    # no offset means UTC; kind defaults to post
    assert con.loc["weibo:c4", "posted_at"] == pd.Timestamp("2026-03-01T10:00:00Z")
    assert con.loc["weibo:c4", "kind"] == "post"


def test_event_membership(folder, store, tmp_path):
    load_folder(store, folder, reject_path=tmp_path / "rej.csv")
    m = store.memberships("e1").set_index("content_id")["via"].to_dict()
    assert m["weibo:c1"] == "event_id"
    assert m["weibo:c4"] == "text"  # no event_id, keyword 老师
    assert m["weibo:r1"] == "repost" and m["weibo:r2"] == "repost"  # a chain follows its root
    assert "weibo:r3" not in m  # deleted source, no keyword in its text


def test_loading_twice_changes_nothing(folder, store, tmp_path):
    load_folder(store, folder, reject_path=tmp_path / "rej.csv")
    before = {t: store.frame(t) for t in ("accounts", "contents", "reposts", "events", "labels")}
    mem = store.memberships()
    s2 = load_folder(store, folder, reject_path=tmp_path / "rej.csv")
    for t, df in before.items():
        pd.testing.assert_frame_equal(store.frame(t), df)
    pd.testing.assert_frame_equal(store.memberships(), mem)
    assert all(c.placeholders == 0 for c in s2.tables.values())


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_each_format_gives_the_same_store(folder, tmp_path, fmt):
    frames = {
        name: pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in ("accounts", "contents", "reposts", "events")
    }
    d = tmp_path / fmt
    d.mkdir()
    for name, df in frames.items():
        if fmt == "csv":
            df.to_csv(d / f"{name}.csv", index=False)
        elif fmt == "jsonl":
            recs = []
            for r in df.to_dict("records"):
                r = {k: v for k, v in r.items() if v != ""}
                for k in ("target_ids", "keywords", "entities"):
                    if k in r:
                        r[k] = r[k].split("|")  # JSONL lists may be arrays
                recs.append(json.dumps(r, ensure_ascii=False))
            (d / f"{name}.jsonl").write_text("\n".join(recs) + "\n", encoding="utf-8")
        else:
            df = df.copy()
            for k in ("target_ids", "keywords", "entities"):
                if k in df:
                    df[k] = df[k].map(lambda v: v.split("|") if v else [])
            df.to_parquet(d / f"{name}.parquet", index=False)
    ref = EmbeddedStore(str(tmp_path / "ref.db"))
    load_folder(ref, folder, reject_path=tmp_path / "r0.csv")
    st = EmbeddedStore(str(tmp_path / f"{fmt}.db"))
    s = load_folder(st, d, reject_path=tmp_path / "r1.csv")
    assert s.tables["accounts"].stored == 2
    for t in ("contents", "reposts", "events"):
        pd.testing.assert_frame_equal(st.frame(t), ref.frame(t), obj=t)
    # JSONL lines that are not objects are rejected rows, not file errors
    if fmt == "jsonl":
        with open(d / "reposts.jsonl", "a", encoding="utf-8") as f:
            f.write("{broken\n")
        s = load_folder(st, d, reject_path=tmp_path / "r2.csv")
        assert s.tables["reposts"].rejected == 2  # the self-repost and the broken line


def test_small_chunks_load_everything(folder, tmp_path):
    st = EmbeddedStore(str(tmp_path / "c.db"))
    s = load_folder(st, folder, reject_path=tmp_path / "r.csv", chunk_rows=2)
    assert s.tables["accounts"].to_dict()["stored"] == 2
    assert ("accounts", 8, "duplicate key in the same file") in rejects(tmp_path / "r.csv")


def test_unreadable_files_fail_with_one_line(tmp_path, store):
    d = tmp_path / "bad"
    d.mkdir()
    (d / "reposts.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(InputError, match=r"reposts.parquet: cannot read as parquet"):
        load_folder(store, d, reject_path=tmp_path / "r.csv")
    (d / "reposts.parquet").unlink()
    (d / "accounts.csv").write_bytes("account_id,platform\nweibo:1,微博\n".encode("gb18030"))
    with pytest.raises(InputError, match=r"accounts.csv: not UTF-8"):
        load_folder(store, d, reject_path=tmp_path / "r.csv")
    (d / "accounts.csv").write_text("id,platform\nx,weibo\n")
    with pytest.raises(InputError, match=r"accounts.csv: missing required column account_id"):
        load_folder(store, d, reject_path=tmp_path / "r.csv")
    (d / "accounts.csv").unlink()
    with pytest.raises(InputError, match="no table files"):
        load_folder(store, d, reject_path=tmp_path / "r.csv")


# ---------------------------------------------------------------- numbers no store can hold
# Regression: inf, 1e400 or 99999999999999999999 in an integer column passed validation and
# the SQLite upsert then failed with OverflowError; now each is a rejected row with a reason.

BIG_ACCOUNTS = """account_id,platform,followers
weibo:1,weibo,inf
weibo:2,weibo,-inf
weibo:3,weibo,Infinity
weibo:4,weibo,1e400
weibo:5,weibo,99999999999999999999
weibo:6,weibo,9223372036854775808
weibo:7,weibo,1e19
weibo:8,weibo,12345678901234567890.5
weibo:9,weibo,nan
weibo:10,weibo,-99999999999999999999
weibo:11,weibo,9223372036854775807
weibo:12,weibo,9007199254740993
weibo:13,weibo,
weibo:14,weibo,1e3
"""

BIG_CONTENTS = """content_id,account_id,platform,posted_at,harm
weibo:c1,weibo:11,weibo,2026-03-01T08:00:00Z,inf
weibo:c2,weibo:11,weibo,2026-03-01T08:00:00Z,-Infinity
weibo:c3,weibo:11,weibo,2026-03-01T08:00:00Z,1e400
weibo:c4,weibo:11,weibo,2026-03-01T08:00:00Z,nan
weibo:c5,weibo:11,weibo,2026-03-01T08:00:00Z,1e-400
weibo:c6,weibo:11,weibo,2026-03-01T08:00:00Z,0.5
"""

BIG_LABELS = """event_id,account_id,tier
e1,weibo:1,inf
e1,weibo:2,99999999999999999999
e1,weibo:3,1e400
e1,weibo:4,2
"""


def test_numbers_beyond_what_the_store_holds_are_rejected_rows(tmp_path, store):
    d = tmp_path / "big"
    d.mkdir()
    write(d, accounts=BIG_ACCOUNTS, contents=BIG_CONTENTS, labels=BIG_LABELS)
    s = load_folder(store, d, reject_path=tmp_path / "rej.csv")  # no OverflowError
    assert rejects(tmp_path / "rej.csv") == [
        ("accounts", 2, "not a finite number in followers: 'inf'"),
        ("accounts", 3, "not a finite number in followers: '-inf'"),
        ("accounts", 4, "not a finite number in followers: 'Infinity'"),
        ("accounts", 5, "not a finite number in followers: '1e400'"),
        ("accounts", 6, "followers outside the 64-bit integer range: 99999999999999999999"),
        ("accounts", 7, "followers outside the 64-bit integer range: 9223372036854775808"),
        ("accounts", 8, "followers outside the 64-bit integer range: 1e19"),
        ("accounts", 9, "not a whole number in followers: '12345678901234567890.5'"),
        ("accounts", 10, "not a number in followers: 'nan'"),
        ("accounts", 11, "negative followers: -99999999999999999999"),
        ("contents", 2, "not a finite number in harm: 'inf'"),
        ("contents", 3, "not a finite number in harm: '-Infinity'"),
        ("contents", 4, "not a finite number in harm: '1e400'"),
        ("contents", 5, "not a number in harm: 'nan'"),
        ("labels", 2, "not a finite number in tier: 'inf'"),
        ("labels", 3, "tier outside 0..4: 99999999999999999999"),
        ("labels", 4, "not a finite number in tier: '1e400'"),
    ]
    for c in s.tables.values():
        assert c.read == c.stored + c.rejected
    # whole numbers past 2**53 are stored exactly, though the blank cell makes the column float
    acc = store.frame("accounts").set_index("account_id")["followers"]
    assert acc["weibo:11"] == 2**63 - 1 and acc["weibo:12"] == 2**53 + 1
    assert acc["weibo:14"] == 1000 and pd.isna(acc["weibo:13"])
    harm = store.frame("contents").set_index("content_id")["harm"]
    assert harm.to_dict() == {"weibo:c5": 0.0, "weibo:c6": 0.5}  # no infinite harm to score


def test_numbers_beyond_what_the_store_holds_in_jsonl(tmp_path, store):
    # JSON numbers: 1e400 is inf to Python's float, Infinity and NaN are Python's extensions;
    # the reasons name them as the file wrote them
    d = tmp_path / "big"
    d.mkdir()
    follower_cells = [
        "1e400",
        "Infinity",
        "-Infinity",
        "NaN",
        "99999999999999999999",
        "9007199254740993",
        "null",
        "1.5e3",
        "2.5",
    ]
    (d / "accounts.jsonl").write_text(
        "".join(
            f'{{"account_id": "j{i}", "platform": "weibo", "followers": {v}}}\n'
            for i, v in enumerate(follower_cells)
        ),
        encoding="utf-8",
    )
    (d / "contents.jsonl").write_text(
        "".join(
            f'{{"content_id": "c{i}", "account_id": "j5", "platform": "weibo", '
            f'"posted_at": "2026-03-01T08:00:00Z", "harm": {v}, "score": {v}}}\n'
            for i, v in enumerate(["1e400", "-Infinity", "NaN", "0.25"])
        ),
        encoding="utf-8",
    )
    load_folder(store, d, reject_path=tmp_path / "rej.csv")
    assert rejects(tmp_path / "rej.csv") == [
        ("accounts", 1, "not a finite number in followers: '1e400'"),
        ("accounts", 2, "not a finite number in followers: 'Infinity'"),
        ("accounts", 3, "not a finite number in followers: '-Infinity'"),
        ("accounts", 4, "not a number in followers: 'NaN'"),
        ("accounts", 5, "followers outside the 64-bit integer range: 99999999999999999999"),
        ("accounts", 9, "not a whole number in followers: '2.5'"),
        ("contents", 1, "not a finite number in harm: '1e400'"),
        ("contents", 2, "not a finite number in harm: '-Infinity'"),
        ("contents", 3, "not a number in harm: 'NaN'"),
    ]
    with open(tmp_path / "rej.csv", encoding="utf-8") as f:
        assert json.loads(next(csv.DictReader(f))["raw"])["followers"] == "1e400"
    acc = store.frame("accounts").set_index("account_id")["followers"]
    assert acc[acc.index.str.startswith("j")].dropna().to_dict() == {"j5": 2**53 + 1, "j7": 1500}
    con = store.frame("contents").set_index("content_id")
    assert con["harm"].to_dict() == {"c3": 0.25}


@pytest.mark.parametrize(
    "kind, followers, reasons, stored",
    [
        # a float column may hold infinities and floats past 64 bits
        (
            "float64",
            [float("inf"), float("-inf"), 1e20, 5.0, None],
            {
                1: "not a finite number in followers: 'inf'",
                2: "not a finite number in followers: '-inf'",
                3: "followers outside the 64-bit integer range: 1e+20",
            },
            {"p3": 5, "p4": None},
        ),
        # unsigned 64-bit integers past the signed range
        (
            "uint64",
            [2**64 - 1, 2**63, 7],
            {
                1: "followers outside the 64-bit integer range: 18446744073709551615",
                2: "followers outside the 64-bit integer range: 9223372036854775808",
            },
            {"p2": 7},
        ),
        # 64-bit integers beside a null: whole and exact (pandas alone would make them floats)
        ("int64", [2**53 + 1, None, 2**63 - 1], {}, {"p0": 2**53 + 1, "p1": None, "p2": 2**63 - 1}),
    ],
    ids=["float64", "uint64", "int64-with-null"],
)
def test_numbers_beyond_what_the_store_holds_in_parquet(
    tmp_path, store, kind, followers, reasons, stored
):
    import pyarrow as pa
    import pyarrow.parquet as pq

    d = tmp_path / "pq"
    d.mkdir()
    n = len(followers)
    pq.write_table(
        pa.table(
            {
                "account_id": [f"p{i}" for i in range(n)],
                "platform": ["w"] * n,
                "followers": pa.array(followers, getattr(pa, kind)()),
            }
        ),
        d / "accounts.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "content_id": ["c0", "c1", "c2"],
                "account_id": ["x"] * 3,
                "platform": ["w"] * 3,
                "posted_at": ["2026-03-01T08:00:00Z"] * 3,
                "harm": [float("inf"), float("-inf"), 0.25],
            }
        ),
        d / "contents.parquet",
    )
    load_folder(store, d, reject_path=tmp_path / "rej.csv")
    got = rejects(tmp_path / "rej.csv")
    assert {line: why for t, line, why in got if t == "accounts"} == reasons
    assert [(line, why) for t, line, why in got if t == "contents"] == [
        (1, "not a finite number in harm: 'inf'"),
        (2, "not a finite number in harm: '-inf'"),
    ]
    acc = store.frame("accounts").set_index("account_id")["followers"]
    assert {k: (None if pd.isna(v) else v) for k, v in acc.items() if k.startswith("p")} == stored


@pytest.mark.parametrize("chunk_rows", [CHUNK_ROWS, 700])
def test_event_membership_does_not_depend_on_row_order(tmp_path, chunk_rows):
    # a load into an empty store computes membership on the rows as validated, in file order
    src = tmp_path / "sample"
    generate_incident(src, seed=7, scale=0.3)
    ref = EmbeddedStore(str(tmp_path / "ref.db"))
    load_folder(ref, src, reject_path=tmp_path / "r0.csv")
    expected = ref.memberships()
    # every way into an event is taken, chains of reposts included
    assert set(expected["via"]) == {"event_id", "text", "reply", "target", "copy", "repost"}
    for seed in (1, 2):
        d = tmp_path / f"shuffled{seed}"
        shutil.copytree(src, d)
        for table in ("contents", "reposts"):
            with open(d / f"{table}.csv", encoding="utf-8", newline="") as f:
                header, *rows = list(csv.reader(f))
            random.Random(seed).shuffle(rows)
            with open(d / f"{table}.csv", "w", encoding="utf-8", newline="") as f:
                csv.writer(f).writerows([header, *rows])
        st = EmbeddedStore(str(tmp_path / f"shuffled{seed}.db"))
        load_folder(st, d, reject_path=tmp_path / f"r{seed}.csv", chunk_rows=chunk_rows)
        pd.testing.assert_frame_equal(st.memberships(), expected)


def test_reject_file_cells_cannot_run_as_spreadsheet_formulas(tmp_path, store):
    """The reject file is read by people in spreadsheets: a cell that starts with =, +, -
    or @ (or a tab or carriage return) gets a leading ' so that it is text, not a formula
    (the raw text of a line that is no JSON is written as it came)."""
    (tmp_path / "in").mkdir()
    lines = ['=HYPERLINK("http://evil.example","x")', "+1", "-cmd", "@SUM(A1)", "\t=1+1"]
    good = '{"account_id": "weibo:ok", "platform": "weibo", "followers": -5}'
    (tmp_path / "in" / "accounts.jsonl").write_text("\n".join([*lines, good]) + "\n")
    load_folder(store, tmp_path / "in", reject_path=tmp_path / "rejects.csv")
    with open(tmp_path / "rejects.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["table", "line", "reason", "raw"]
    raws = [r[3] for r in rows[1:]]
    assert raws[:-1] == ["'" + x for x in lines]
    assert raws[-1].startswith('{"account_id": "weibo:ok"')  # the bad row, as JSON
    for row in rows[1:]:
        assert not row[2].startswith(("=", "+", "-", "@", "\t", "\r"))
    assert store.count("accounts") == 0


def test_the_coactivity_edge_list_stays_exact(tmp_path):
    """The co-repost CSV is read by programs (SPEC §3): IDs are written as they are."""
    from pileon.detectors.coactivity import coactivity, write_coactivity_csv

    reposts = pd.DataFrame(
        {
            "account_id": ["=a", "-b", "@c"],
            "source_id": ["s", "s", "s"],
            "reposted_at": pd.to_datetime(
                ["2026-03-01T00:00:00Z", "2026-03-01T00:00:01Z", "2026-03-01T00:00:02Z"]
            ),
        }
    )
    path = tmp_path / "edges.csv"
    write_coactivity_csv(coactivity(reposts, window=5), path)
    assert path.read_text(encoding="utf-8").splitlines()[1:] == ["-b,=a,1", "-b,@c,1", "=a,@c,1"]
