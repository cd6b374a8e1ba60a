"""Resurfaced rumours: a narrative told before is linked to its earlier telling, the store's
older contents are the same whichever way they are read, and a repeat offender is one that
acts again, not one whose old content is shown again."""

from __future__ import annotations

import pandas as pd
import pytest

from pileon.graph.store import Store
from pileon.service.analysis import analyze
from tests.helpers import (
    NEW_EVENT as NEW,
)
from tests.helpers import (
    RUMOUR as STORY,
)
from tests.helpers import (
    YEAR_HOURS as YEAR,
)
from tests.helpers import (
    hour_content as c,
)
from tests.helpers import (
    hour_repost as r,
)
from tests.helpers import (
    store_of_rows,
    two_years_rows,
)


@pytest.fixture
def store(tmp_path):
    return store_of_rows(tmp_path, *two_years_rows())


def test_a_rumour_told_in_an_earlier_event_names_it_and_its_first_poster(store):
    report = analyze(store, "e-new", model=None, save=False)
    accounts = {a["account_id"] for a in report["accounts"]}
    assert not any(a.startswith(("weibo:old", "weibo:oc")) for a in accounts)
    narr = {n["first_content_id"]: n for n in report["narratives"]}
    rumour = narr["w:n1"]
    assert rumour["first_poster"] == "weibo:new-fp" and rumour["harmful"]
    assert rumour["evidence"] == [
        {
            "kind": "resurfaced",
            "content_ids": ["w:o1", "w:o2"],
            "detail": "told before in event e-old: first posted 2025-03-01T12:00:00Z by "
            "weibo:old-fp (w:o1), 2 older copies",
        }
    ]
    # a harmless story told again is no rumour: no evidence, and the report keeps its shape
    assert "evidence" not in narr["w:nb"]
    assert "first_poster" in {r for a in report["accounts"] for r in a["roles"]}


def test_older_content_outside_any_event_is_named_as_such(tmp_path):
    rows, reposts, _ = two_years_rows()
    rows[0] = {**rows[0], "event_id": None}  # last year's story was never made an event
    store = store_of_rows(tmp_path, rows, reposts, [NEW])
    report = analyze(store, "e-new", model=None, save=False)
    rumour = next(n for n in report["narratives"] if n["first_content_id"] == "w:n1")
    assert [e["detail"] for e in rumour["evidence"]] == [
        "told before outside any event: first posted 2025-03-01T12:00:00Z by weibo:old-fp "
        "(w:o1), 2 older copies"
    ]


@pytest.mark.parametrize(
    "before, terms",
    [
        ("2026-03-01T11:00:00Z", ["南城七中", "林晓雯"]),
        ("2026-03-01T11:00:00Z", []),  # only the contents of other events
        ("2025-03-01T12:30:00Z", ["运动会"]),
        ("2026-03-02T00:00:00Z", ["nothing", "南城七中"]),
    ],
)
def test_the_embedded_older_contents_are_the_interfaces(store, before, terms):
    before = pd.Timestamp(before)
    got = store.older_contents("e-new", before, terms)
    pd.testing.assert_frame_equal(got, Store.older_contents(store, "e-new", before, terms))
    assert (got["posted_at"] < before).all()
    if not terms:  # the contents of e-old (its own and those joined by text)
        assert got["content_id"].tolist() == ["w:o1", "w:o2", "w:ob"]
        assert got["events"].tolist() == [["e-old"]] * 3


def test_older_contents_match_terms_whatever_their_case(tmp_path):
    rows = [{**c("w:en", -YEAR, "The NANCHENG school story", acc="weibo:en"), "harm": 0.1}]
    st = store_of_rows(tmp_path, rows, [], [{**NEW, "keywords": ["nancheng"]}])
    got = st.older_contents("e-new", pd.Timestamp("2026-01-01", tz="UTC"), ["Nancheng"])
    assert got["content_id"].tolist() == ["w:en"] and got["events"].tolist() == [[]]
    pd.testing.assert_frame_equal(
        got, Store.older_contents(st, "e-new", pd.Timestamp("2026-01-01", tz="UTC"), ["Nancheng"])
    )


LATER = {**NEW, "event_id": "e-later", "started_at": NEW["started_at"] + pd.Timedelta(days=365)}
TEA = {
    "event_id": "e-tea",
    "name": "奶茶店谣言",
    "started_at": NEW["started_at"],
    "keywords": ["茶语时光"],
    "entities": [],
    "target_ids": [],
}


def _elsewhere(case: str):
    """This year's first poster (weibo:fp, the rumour reposted 15 times) and, elsewhere:
    ``shown``: its post of two years ago, reposted in a later event (source material
    there); ``same``: its rumour names another event too (one post, in both);
    ``again``: it posts the rumour again in the later event."""
    text = STORY + "，茶语时光也不干净" if case == "same" else STORY
    rows = [{**c("w:n1", 0, text, acc="weibo:fp", event_id="e-new"), "harm": 0.9}]
    reposts = [r(f"r:n{i}", "w:n1", 1 + i / 10, acc=f"weibo:nc{i}") for i in range(15)]
    if case == "shown":
        rows.append({**c("w:o1", -YEAR, "转：" + STORY, acc="weibo:fp"), "harm": 0.9})
        reposts += [r(f"r:l{i}", "w:o1", YEAR + 2 + i / 10, acc=f"weibo:lc{i}") for i in range(5)]
    if case == "same":
        rows[0]["event_id"] = None  # joins both events by its words
        rows.append({**c("w:tea", 0, "茶语时光喝出虫子", acc="weibo:t", event_id="e-tea")})
    if case == "again":
        rows.append({**c("w:l1", YEAR + 1, "转：" + STORY, acc="weibo:fp"), "harm": 0.9})
    return rows, reposts, [NEW, LATER, TEA]


@pytest.mark.parametrize("case", ["shown", "same", "again"])
def test_a_repeat_offender_acts_again_not_merely_shown_again(tmp_path, case):
    store = store_of_rows(tmp_path, *_elsewhere(case))
    elsewhere = store.memberships()
    elsewhere = elsewhere[elsewhere["event_id"] != "e-new"].set_index("content_id")["via"]
    if case == "shown":
        assert elsewhere["w:o1"] == "source"
    if case == "same":
        assert elsewhere["w:n1"] == "text"
    fp = next(
        a
        for a in analyze(store, "e-new", model=None, save=False)["accounts"]
        if a["account_id"] == "weibo:fp"
    )
    grading = next(e["detail"] for e in fp["evidence"] if e["kind"] == "grading")
    assert "first_poster" in fp["roles"]
    if case == "again":  # its own harmful post in the later event: a repeat offender
        assert fp["tier"] == 4 and "repeated in e-later" in grading
    else:  # shown there as source material, or the same post: no repeated act
        assert fp["tier"] == 3 and "repeated" not in grading, grading
