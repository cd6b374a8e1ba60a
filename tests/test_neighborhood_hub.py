"""A neighbourhood around a hub is capped, flagged and never walks the whole cascade,
on both stores (``pileon.service.neighborhood``, ``Store.linked``)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from pileon.ingest.load import load_folder
from pileon.service.neighborhood import neighborhood
from tests.helpers import (
    KEYS,
    bearer,
    client_for,
    hour_content,
    hour_repost,
    write_rows_folder,
)

pytestmark = pytest.mark.xdist_group("neo4j")  # wipes the Neo4j test database

HUB = "w:viral"
STAR = "weibo:star"
FANOUT = 20
CASCADE = 300  # direct reposts of the hub; a second load doubles them


def _world(first: int, last: int) -> tuple[list, list]:
    """The hub (by STAR, aimed at the victim) with replies, STAR's other posts, and the
    reposts ``first .. last - 1`` of the hub (each by its own account); the first
    load also holds a few reposts of a repost."""
    contents, reposts = [], []
    if first == 0:
        contents.append(hour_content(HUB, 0, acc=STAR, event_id="e-new", to=("weibo:victim",)))
        contents += [
            hour_content(f"w:reply-{i:03d}", 1, acc=f"weibo:q{i:03d}", reply_to=HUB)
            for i in range(FANOUT + 10)
        ]
        contents += [hour_content(f"w:star-{i:03d}", 2 + i, acc=STAR) for i in range(FANOUT + 5)]
        reposts += [
            hour_repost(f"r2:{i}", "r:0000", 3, acc=f"weibo:s{i}") for i in range(3)
        ]  # a cascade two deep
    reposts += [
        hour_repost(f"r:{i:04d}", HUB, 1 + i / 1000, acc=f"weibo:f{i:04d}")
        for i in range(first, last)
    ]
    return contents, reposts


def _load(store, tmp_path, name: str, first: int, last: int) -> None:
    contents, reposts = _world(first, last)
    folder = tmp_path / name
    write_rows_folder(folder, contents, reposts)
    summary = load_folder(store, folder, reject_path=tmp_path / f"{name}-rejects.csv")
    assert not any(t.rejected for t in summary.tables.values())


class _Counting:
    """The store, counting the rows every read hands back to the walk."""

    def __init__(self, inner) -> None:
        self.inner, self.rows = inner, 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if not callable(attr):
            return attr

        def call(*a, **k):
            out = attr(*a, **k)
            self.rows += _rows(out)
            return out

        return call


def _rows(out: Any) -> int:
    if isinstance(out, (pd.DataFrame, list)):
        return len(out)
    if isinstance(out, tuple):
        return sum(_rows(x) for x in out)
    if isinstance(out, dict):
        return sum(len(v) for v in out.values() if isinstance(v, list))
    return 0


def _walk(store) -> tuple[dict, int]:
    counting = _Counting(store)
    body = neighborhood(counting, node=HUB, hops=2, limit=200, fanout=FANOUT)
    return body, counting.rows


@pytest.fixture(params=["embedded", "neo4j"])
def any_store(request, tmp_path):
    if request.param == "embedded":
        return request.getfixturevalue("tmp_store")
    return request.getfixturevalue("neo4j_store")


def test_hub_is_capped_flagged_and_not_walked_whole(any_store, tmp_path):
    _load(any_store, tmp_path, "first", 0, CASCADE)
    body, rows = _walk(any_store)
    ids = [n["id"] for n in body["nodes"]]
    assert ids[0] == HUB and len(ids) <= 200 and len(set(ids)) == len(ids)
    assert all(e["source"] in ids and e["target"] in ids for e in body["edges"])
    sample = body["sample"]
    assert sample["fanout"] == FANOUT and "first by ID" in sample["rule"]
    capped = {(c["node"], c["edge"]): c["read"] for c in sample["capped"]}
    assert capped[(HUB, "REPOST_OF")] == FANOUT  # 300 reposts, 20 read
    assert capped[(HUB, "REPLY_TO")] == FANOUT  # 30 replies, 20 read
    assert capped[(STAR, "POSTED")] >= FANOUT  # STAR's 26 contents (level 1)
    shares = sorted(e["source"] for e in body["edges"] if e["type"] == "REPOST_OF")
    # the reposts of the hub that were read: the first 20 by ID (deterministic sample)
    assert [s for s in shares if s.startswith("r:")] == [f"r:{i:04d}" for i in range(FANOUT)]
    assert {"r2:0", "r2:1", "r2:2"} <= set(ids)  # the second hop below the first repost
    assert rows < CASCADE  # the walk read fewer rows than the hub has reposts

    # twice the cascade: the same answer from the same number of rows read
    _load(any_store, tmp_path, "more", CASCADE, 2 * CASCADE)
    assert any_store.count("reposts") == 2 * CASCADE + 3
    again, rows_again = _walk(any_store)
    assert again == body and rows_again == rows


def test_hub_is_the_same_on_both_stores(tmp_store, neo4j_store, tmp_path):
    for store in (tmp_store, neo4j_store):
        _load(store, tmp_path, "first", 0, CASCADE)
    for node, hops in ((HUB, 2), (STAR, 2), ("e-new", 1), ("r:0000", 3)):
        a = neighborhood(tmp_store, node=node, hops=hops, limit=200, fanout=FANOUT)
        b = neighborhood(neo4j_store, node=node, hops=hops, limit=200, fanout=FANOUT)
        assert a == b, node
    ev = neighborhood(tmp_store, node="e-new", hops=1, limit=200, fanout=FANOUT)
    assert {"node": "e-new", "edge": "IN_EVENT", "read": FANOUT} in ev["sample"]["capped"]


def test_api_flags_the_sample_and_keeps_the_viewer_policy(tmp_store, tmp_path):
    _load(tmp_store, tmp_path, "first", 0, CASCADE)
    with client_for(tmp_store) as c:
        url = "/v1/graph/neighborhood"
        params = {"node": HUB, "hops": 2, "limit": 200, "fanout": FANOUT}
        viewer = c.get(url, params=params, headers=bearer(KEYS["viewer"]))
        assert viewer.status_code == 200
        body = viewer.json()
        assert {"node": HUB, "edge": "REPOST_OF", "read": FANOUT} in body["sample"]["capped"]
        hub = body["nodes"][0]
        assert "text" not in hub["properties"] and "text" in hub["withheld"]
        assert hub["label"] == HUB  # a viewer reads no content text, labels included
        enforcer = c.get(url, params=params, headers=bearer(KEYS["enforcer"])).json()
        assert enforcer["nodes"][0]["properties"]["text"] and enforcer["sample"] == body["sample"]
        default = c.get(url, params={"node": HUB}, headers=bearer(KEYS["viewer"])).json()
        assert default["sample"]["fanout"] == 50
        for bad in (0, 501):
            r = c.get(url, params={"node": HUB, "fanout": bad}, headers=bearer(KEYS["viewer"]))
            assert r.status_code == 422
