"""The embedded store's fast reads give what the plain ones give.

``frame(table, ids=...)``: the set path (more text IDs than the table has rows: the whole
table is read and its rows kept by a set of the IDs) gives exactly the rows of the index
path (the IDs as one JSON array joined in SQLite).  ``event_items``: the join with the
memberships gives what the interface's default (memberships, then frames by ID) gives.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pileon.graph.embedded import EmbeddedStore
from pileon.graph.model import TABLES
from pileon.graph.store import Store
from pileon.ingest.load import load_folder
from pileon.ingest.sample import generate_incident

#: (table, column) pairs selected by: every table's first key, and text columns that repeat
CASES = [(t, TABLES[t].key[0]) for t in TABLES] + [
    ("contents", "account_id"),
    ("contents", "reply_to"),
    ("reposts", "source_id"),
    ("reposts", "account_id"),
    ("reports", "content_id"),
    ("labels", "account_id"),
    ("affiliations", "mcn_id"),
    ("renames", "new_name"),
]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("frame_ids")
    generate_incident(root / "in", seed=7, scale=0.3)
    st = EmbeddedStore(str(root / "s.db"))
    load_folder(st, root / "in", reject_path=root / "rej.csv")
    return st


def _index_path(store: EmbeddedStore, monkeypatch, table: str, ids: list, column: str):
    """``frame`` as the index path reads it (the table counted as larger than any ID list)."""
    with monkeypatch.context() as m:
        m.setattr(store, "_rows", lambda _table: 10**12)
        return store.frame(table, ids=ids, column=column)


@pytest.mark.parametrize("table, column", CASES, ids=[f"{t}.{c}" for t, c in CASES])
def test_more_ids_than_rows_give_the_rows_of_the_index_path(store, monkeypatch, table, column):
    whole = store.frame(table)
    values = whole[column].dropna().astype(str).drop_duplicates().tolist()
    # present values (every other one), each twice, then absent ones and an empty string,
    # until the list is longer than the table
    ids = values[::2] * 2 + ["", "absent:0", "absent:1"]
    ids += [f"absent:{i}" for i in range(2, len(whole) - len(ids) + 3)]
    assert len(ids) > store._rows(table) and all(type(i) is str for i in ids)  # the set path
    got = store.frame(table, ids=ids, column=column)
    pd.testing.assert_frame_equal(got, _index_path(store, monkeypatch, table, ids, column))
    # which is the table's rows whose column is one of the IDs, in the table's order
    pd.testing.assert_frame_equal(got, whole[whole[column].isin(set(ids))].reset_index(drop=True))
    assert len(got) > 0 or not values
    # None among them (the index path: not all text) matches nothing and changes nothing
    pd.testing.assert_frame_equal(store.frame(table, ids=ids + [None], column=column), got)


def test_only_absent_ids_give_an_empty_frame_of_the_table(store, monkeypatch):
    ids = [f"absent:{i}" for i in range(store._rows("contents") + 1)]
    got = store.frame("contents", ids=ids)
    assert got.empty
    pd.testing.assert_frame_equal(got, _index_path(store, monkeypatch, "contents", ids, None))
    assert list(got.columns) == list(store.frame("contents").columns)


def test_event_items_join_gives_what_the_default_gives(store):
    events = store.event_ids()
    assert len(events) == 3
    for event in events + ["evt:unknown"]:
        got, want = store.event_items(event), Store.event_items(store, event)
        for table, g, w in zip(("contents", "reposts"), got, want):
            pd.testing.assert_frame_equal(g, w, obj=f"{event} {table}")
        assert len(got[0]) + len(got[1]) == len(store.memberships(event))


def test_venue_contents_in_sql_give_what_the_default_gives(store):
    """The venues' other contents during an event: the embedded query (the event's
    memberships, placeholders and the span left out in SQLite) gives the rows and dtypes
    of the interface's default (every content of the venues, then kept in pandas)."""
    venues = sorted(set(store.frame("contents")["venue_id"].dropna()))
    assert venues
    times = store.frame("contents")["posted_at"].dropna().sort_values()
    mid = times.iloc[len(times) // 2]
    seen = 0
    for event in store.event_ids():
        own = store.event_items(event)[0]["content_id"]
        for start, end in ((None, None), (times.iloc[0], mid), (mid, None), (None, mid)):
            for ids in (venues, venues[:1], []):
                got = store.venue_contents(event, ids, start, end, own)
                want = Store.venue_contents(store, event, ids, start, end, own)
                pd.testing.assert_frame_equal(got, want, obj=f"{event} {start} {end} {ids}")
                assert not got["content_id"].isin(own).any()
                seen += len(got)
    assert seen > 0


def test_event_items_read_in_chunks_give_the_frames_of_one_read(store, monkeypatch):
    """Read a few rows at a time, repeated text values shared between the chunks, the
    event's items are the frames of one fetch of every row (regression: 5M reposts held a
    string per cell, 3.6 GiB)."""
    import pileon.graph.embedded as embedded

    event = store.frame("events")["event_id"].iloc[0]
    whole = store.event_items(event)
    with monkeypatch.context() as m:
        m.setattr(embedded, "_LEARN_ROWS", 5)
        m.setattr(embedded, "_CODED_ROWS", 7)
        small = store.event_items(event)
    for a, b in zip(whole, small):
        assert len(a) > 7
        pd.testing.assert_frame_equal(a, b)
    reposts = whole[1]
    # one object per distinct account among the reposts
    ids = {id(x) for x in reposts["account_id"]}
    assert len(ids) == reposts["account_id"].nunique()


#: (learning chunk, coded chunk, new values read again by key, share for the kept codes,
#: whether the kept codes are read): new values learnt by new learning chunks or read
#: again, the codes read or not (the defaults: each event fits in the learning chunk)
READERS = [
    (4096, 1 << 16, 256, 1 / 64, False),
    (3, 5, 0, 0.0, True),
    (2, 64, 10**6, 0.0, True),
    (8, 8, 2, 2.0, False),
]


@pytest.mark.parametrize("learn, coded, unknown, share, from_codes", READERS)
def test_event_items_read_as_codes_give_the_cells_read_one_by_one(
    store, monkeypatch, learn, coded, unknown, share, from_codes
):
    """The columns of few values read as codes compared in SQLite, the new values met later
    (learnt again or read again by key), the accounts, sources and times of reposts from
    the kept codes or not: the frames of the interface's default, cell by cell (dtypes and
    cell types too), each value of a coded column one object."""
    import pileon.graph.embedded as embedded

    calls = []
    with monkeypatch.context() as m:
        m.setattr(embedded, "_LEARN_ROWS", learn)
        m.setattr(embedded, "_CODED_ROWS", coded)
        m.setattr(embedded, "_FEW_UNKNOWN", unknown)
        m.setattr(embedded, "_CODES_SHARE", share)
        original = embedded._EventReader._from_codes
        m.setattr(
            embedded._EventReader,
            "_from_codes",
            lambda self, raw, at: calls.append(len(at)) or original(self, raw, at),
        )
        for event in store.event_ids():
            got, want = store.event_items(event), Store.event_items(store, event)
            for table, g, w in zip(("contents", "reposts"), got, want):
                pd.testing.assert_frame_equal(g, w, obj=f"{event} {table}")
                for c in g.columns:
                    if g[c].dtype == object:
                        assert g[c].map(type).tolist() == w[c].map(type).tolist(), c
            for c in ("platform", "via"):
                assert len({id(x) for x in got[1][c]}) == got[1][c].nunique(dropna=False)
    assert bool(calls) == from_codes


def _read_as_cells(st, event, monkeypatch):
    """``st.event_items(event)`` with small learning chunks and codes allowed for any
    event, asserting that the kept codes were not used and that the frames are the
    interface default's."""
    import pileon.graph.embedded as embedded

    calls = []
    with monkeypatch.context() as m:
        m.setattr(embedded, "_LEARN_ROWS", 4)
        m.setattr(embedded, "_CODES_SHARE", 0.0)
        m.setattr(embedded._EventReader, "_from_codes", lambda *a: calls.append(1))
        got, want = st.event_items(event), Store.event_items(st, event)
    assert not calls
    for g, w in zip(got, want):
        pd.testing.assert_frame_equal(g, w)
    return got


def test_event_items_without_codes_of_rowids_1_to_n_read_the_cells(tmp_path, monkeypatch):
    """Reposts deleted (rowids no longer 1..n) or their codes emptied by a change: the
    reposts' accounts, sources and times are read as cells, the same frames."""

    generate_incident(tmp_path / "in", seed=3, scale=0.2)
    st = EmbeddedStore(str(tmp_path / "s.db"))
    load_folder(st, tmp_path / "in", reject_path=tmp_path / "rej.csv")
    event = st.event_ids()[0]
    con = st._con()
    with con:
        first = con.execute("SELECT repost_id FROM reposts ORDER BY rowid LIMIT 1").fetchone()[0]
        con.execute("DELETE FROM reposts WHERE repost_id = ?", (first,))
    st.repost_codes()  # kept again, of rowids 2..n+1
    got = _read_as_cells(st, event, monkeypatch)
    assert first not in set(got[1]["repost_id"])


def test_event_items_refuse_codes_kept_in_another_order(tmp_path, monkeypatch):
    """Codes kept for the reposts' rows in another order than their rowids (what no load
    keeps, but a check is cheap): the first, middle and last rows do not match them, the
    reposts are read as cells, the same frames."""
    import dataclasses

    from pileon.graph.codes import keep_repost_codes

    generate_incident(tmp_path / "in", seed=4, scale=0.2)
    st = EmbeddedStore(str(tmp_path / "s.db"))
    load_folder(st, tmp_path / "in", reject_path=tmp_path / "rej.csv")
    event = st.event_ids()[0]
    codes = st.repost_codes()
    turned = dataclasses.replace(
        codes, account=codes.account[::-1].copy(), time=codes.time[::-1].copy()
    )
    assert keep_repost_codes(st._con(), turned)
    _read_as_cells(st, event, monkeypatch)


@pytest.mark.parametrize("learn, coded, share", [(4096, 1 << 16, 1 / 64), (3, 5, 0.0)])
def test_event_items_coerce_text_cells_that_are_no_text(tmp_path, monkeypatch, learn, coded, share):
    """Cells of text columns that are no text (what a hand-edited file may hold: a NULL
    ``extra``, a BLOB), in columns read as codes and read cell by cell, with the kept codes
    or not: the reader does not vouch for those columns (``coerce(..., clean=...)``), so
    they come as the interface's default coerces them, cell by cell."""
    import pileon.graph.embedded as embedded

    generate_incident(tmp_path / "in", seed=5, scale=0.2)
    st = EmbeddedStore(str(tmp_path / "s.db"))
    load_folder(st, tmp_path / "in", reject_path=tmp_path / "rej.csv")
    con = st._con()
    with con:
        con.execute("UPDATE reposts SET extra = NULL WHERE rowid % 7 = 3")
        con.execute("UPDATE reposts SET platform = x'00ff' WHERE rowid % 11 = 5")
        con.execute("UPDATE contents SET text = x'61' WHERE rowid % 5 = 1")
        con.execute("UPDATE contents SET extra = NULL WHERE rowid = 3")
    with monkeypatch.context() as m:
        m.setattr(embedded, "_LEARN_ROWS", learn)
        m.setattr(embedded, "_CODED_ROWS", coded)
        m.setattr(embedded, "_CODES_SHARE", share)
        for event in st.event_ids():
            got, want = st.event_items(event), Store.event_items(st, event)
            for g, w in zip(got, want):
                pd.testing.assert_frame_equal(g, w)
                for c in g.columns:
                    if g[c].dtype == object:
                        assert g[c].map(type).tolist() == w[c].map(type).tolist(), c
            assert (got[1]["extra"] == "{}").any() and got[1]["platform"].map(type).eq(bytes).any()


def test_event_reader_vouches_for_the_text_columns_it_saw(store):
    """On a store as a load writes it, every text column of the event's items is seen to
    hold text (and None): ``coerce`` need not look at their cells again."""
    from pileon.graph.embedded import _EventReader, _kind

    event = store.frame("events")["event_id"].iloc[0]
    for table in ("contents", "reposts"):
        reader = _EventReader(store._con(), table, event)
        reader.read()
        text = [c for c in reader.cols if _kind(table, c) in ("str", "extra")]
        assert text and reader.clean == text


@pytest.mark.parametrize(
    "cells",
    [[1, None, -3, 2**62], [None, None], [], [1.5, None], ["7", None], [True, 2, None]],
)
def test_integer_columns_read_as_pd_array_reads_them(cells):
    """``tz`` (and INT columns) of a read: integers and None in numpy, anything else (what a
    hand-edited file may hold) as ``pd.array(..., dtype="Int64")`` takes it."""
    from pileon.graph.embedded import _columns_of_rows

    rows = [(c,) for c in cells]
    try:
        want = pd.array(np.array(cells, dtype=object), dtype="Int64")
    except (TypeError, ValueError) as e:
        with pytest.raises(type(e)):
            _columns_of_rows("reposts", ["tz"], rows)
        return
    got = _columns_of_rows("reposts", ["tz"], rows)["tz"]
    pd.testing.assert_extension_array_equal(got, want)


@pytest.mark.parametrize(
    "cells", [["a", None, "b"], [None, None], [], ["a", float("nan")], ["a", pd.NA, None], [1, "b"]]
)
def test_text_columns_coerce_as_before(cells):
    """A text column of text and None stays as it is; NaN and NA become None."""
    from pileon.graph.frames import coerce_column
    from pileon.graph.model import ColType

    got = coerce_column(pd.Series(cells, dtype=object), ColType.STR).tolist()
    assert got == [None if c is None or pd.isna(c) else c for c in cells]
    assert [type(v) for v in got] == [type(None) if pd.isna(c) else type(c) for c in cells]
