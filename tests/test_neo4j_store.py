"""The Neo4j store against a real server, and its query plumbing without one.

The server comes from the ``neo4j_server`` fixture of ``tests/conftest.py``
(``PILEON_TEST_NEO4J_URI``; ``scripts/neo4j-local start`` starts one and writes the
variables to the env file it names).  THE TESTS WIPE THAT DATABASE.  Without the
variable these tests skip, except in CI (``CI=true``) where they fail.  The tests marked ``offline`` need no server.
"""

from __future__ import annotations

import ast
import json
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from pileon.graph.embedded import EmbeddedStore
from pileon.graph.errors import StoreAuthError, StoreUnavailable
from pileon.graph.model import TABLES
from pileon.graph.neo4j_store import CypherRunner, Neo4jStore, _split_uri
from pileon.graph.projection import project
from pileon.graph.queries import findings as q_findings
from pileon.graph.queries import tables as q_tables
from tests.helpers import (
    OLD_EVENT,
    YEAR_HOURS,
    build_incident,
    incident_report,
    resurfacing_rows,
    two_years_rows,
    write_rows_folder,
)

REPO = Path(__file__).resolve().parents[1]
INCIDENT_VICTIM = "weibo:victim"
INCIDENT_EVENT = "ev:campus"
# with pytest-xdist, run every test that wipes the Neo4j test database on one worker
# (``--dist loadgroup``; pytest-xdist 3.8 ignores the groups under pytest 9.2,
# pytest-dev/pytest-xdist#1386, hence ``pytest<9.2`` in the test extras)
pytestmark = pytest.mark.xdist_group("neo4j")


# ---------------------------------------------------------------- fixtures
@pytest.fixture
def neo(neo4j_store):
    """The emptied Neo4j test store of ``tests/conftest.py`` under this module's short name."""
    return neo4j_store


@pytest.fixture
def emb(tmp_path):
    store = EmbeddedStore(str(tmp_path / "ref.db"))
    yield store
    store.close()


def assert_same_tables(neo: Neo4jStore, emb: EmbeddedStore) -> None:
    for table in TABLES:
        pd.testing.assert_frame_equal(neo.frame(table), emb.frame(table), obj=table)
        assert neo.count(table) == emb.count(table), table
    pd.testing.assert_frame_equal(neo.memberships(), emb.memberships())


def graph_counts(store: Neo4jStore) -> dict[str, int]:
    """Nodes per label set and relationships per type: a fingerprint of the whole graph."""
    nodes = store._run.read("MATCH (n) RETURN labels(n) AS l, count(*) AS c")
    rels = store._run.read("MATCH ()-[r]->() RETURN type(r) AS t, count(*) AS c")
    out = {":".join(sorted(r["l"])): r["c"] for r in nodes}
    out.update({r["t"]: r["c"] for r in rels})
    return out


# ------------------------------------------------------- tables round trip
ROWS = {
    "accounts": pd.DataFrame(
        {
            "account_id": ["w:1", "w:2", "w:3"],
            "platform": ["weibo", "weibo", "douyin"],
            "name": ["甲", None, "C"],
            "created_at": pd.to_datetime(
                ["2020-01-01T00:00:00Z", None, "1969-12-31T23:59:59.5Z"], utc=True, format="ISO8601"
            ),
            "followers": pd.array([10, None, 0], dtype="Int64"),
            "verified": pd.array([True, None, False], dtype="boolean"),
            "identity_key": ["id1", "id1", None],
            "is_minor": pd.array([None, True, False], dtype="boolean"),
            "extra": ['{"bio": "x"}', "{}", None],
        }
    ),
    "mcns": pd.DataFrame({"mcn_id": ["m1"], "name": ["Alpha"], "registered_in": ["BJ"]}),
    "events": pd.DataFrame(
        {
            "event_id": ["e1"],
            "name": ["E"],
            "started_at": pd.to_datetime(["2026-03-01T12:00:00Z"], utc=True),
            "keywords": [["rumour", "谣言"]],
            "entities": [[]],
            "target_ids": [["w:2", "w:9"]],
        }
    ),
    "contents": pd.DataFrame(
        {
            "content_id": ["c1", "c2", "c3"],
            "account_id": ["w:1", "w:3", "w:8"],
            "platform": ["weibo"] * 3,
            "posted_at": pd.to_datetime(
                ["2026-03-01T00:00:00Z", "2026-03-01T01:00:00Z", "2026-03-01T02:00:00Z"],
                utc=True,
                format="ISO8601",
            ),
            "text": ["hello", None, "x"],
            "kind": ["post", "comment", None],
            "reply_to": [None, "c1", "c7"],
            "event_id": ["e1", None, None],
            "harm": [0.5, float("nan"), 1.0],
            "target_ids": [["w:2"], [], ["w:2", "w:3"]],
            "media_hash": [None, "abc", None],
            "url": ["http://x/1", None, None],
            "tz": pd.array([480, 0, None], dtype="Int64"),
        }
    ),
    "reposts": pd.DataFrame(
        {
            "repost_id": ["r1", "r2"],
            "account_id": ["w:2", "w:1"],
            "source_id": ["c1", "r1"],
            "reposted_at": pd.to_datetime(
                ["2026-03-01T03:00:00Z", "2026-03-01T04:00:00Z"], utc=True
            ),
            "platform": ["weibo", None],
            "text": [None, "转发"],
            "tz": pd.array([480, 480], dtype="Int64"),
        }
    ),
    "renames": pd.DataFrame(
        {
            "account_id": ["w:1", "w:1"],
            "new_name": ["Victim", "Victim"],
            "renamed_at": pd.to_datetime(
                ["2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z"], utc=True
            ),
            "old_name": ["甲", None],
        }
    ),
    "affiliations": pd.DataFrame(
        {
            "account_id": ["w:1", "w:1", "w:2"],
            "mcn_id": ["m1", "m1", "m2"],
            "since": pd.to_datetime([None, "2025-01-01T00:00:00Z", None], utc=True),
            "until": pd.to_datetime(["2025-06-01T00:00:00Z", None, None], utc=True),
            "role": ["creator", "creator", None],
        }
    ),
    "reports": pd.DataFrame(
        {
            "report_id": ["p1", "p2"],
            "reported_at": pd.to_datetime(
                ["2026-03-01T05:00:00Z", "2026-03-01T06:00:00Z"], utc=True
            ),
            "reporter_id": ["w:2", None],
            "content_id": ["c1", None],
            "account_id": [None, "w:3"],
            "reason": ["abuse", "spam"],
            "involves_minor": pd.array([True, None], dtype="boolean"),
        }
    ),
    "labels": pd.DataFrame(
        {
            "event_id": ["e0", "e0"],
            "account_id": ["w:1", "w:2"],
            "tier": pd.array([3, 0], dtype="Int64"),
        }
    ),
}


def load_rows(store, rows=ROWS) -> None:
    for table in (
        "accounts",
        "mcns",
        "events",
        "contents",
        "reposts",
        "renames",
        "affiliations",
        "reports",
        "labels",
    ):
        assert store.upsert(table, rows[table]) == len(rows[table])


def test_every_table_reads_back_as_on_the_embedded_store(neo, emb):
    for store in (neo, emb):
        load_rows(store)
        for kind, ids in (
            ("account", ["w:8", "w:9", "w:1"]),
            ("content", ["c7", "r1"]),
            ("mcn", ["m2"]),
        ):
            assert store.create_placeholders(kind, ids) == len(ids) - (
                kind == "account" or kind == "content"
            )
    assert_same_tables(neo, emb)


def test_times_keep_nanoseconds_and_sign(neo):
    times = pd.to_datetime(
        ["2020-01-01T00:00:00.123456789Z", None, "1969-12-31T23:59:59.5Z"],
        utc=True,
        format="ISO8601",
    )
    neo.upsert("accounts", ROWS["accounts"].assign(created_at=times))
    acc = neo.frame("accounts").set_index("account_id")
    assert acc.loc["w:1", "created_at"].value == 1577836800123456789
    assert pd.isna(acc.loc["w:2", "created_at"])
    assert acc.loc["w:3", "created_at"] == pd.Timestamp("1969-12-31T23:59:59.5Z")


def test_frame_by_ids_and_column(neo, emb):
    for store in (neo, emb):
        load_rows(store)
    for table, ids, column in (
        ("contents", ["c2", "c1", "nope"], None),
        ("reposts", ["r2"], None),
        ("renames", ["w:1"], "account_id"),
        ("affiliations", ["w:2"], "account_id"),
        ("reports", ["c1"], "content_id"),
        ("reports", ["w:3"], "account_id"),
        ("labels", ["e0"], "event_id"),
        ("accounts", [], None),
    ):
        pd.testing.assert_frame_equal(
            neo.frame(table, ids=ids, column=column),
            emb.frame(table, ids=ids, column=column),
            obj=f"{table}/{column}",
        )
    with pytest.raises(KeyError):
        neo.frame("contents", ids=["c1"], column="nope")
    with pytest.raises(KeyError):
        neo.frame("nope")


def test_loading_twice_changes_nothing(neo):
    load_rows(neo)
    before = graph_counts(neo)
    frames = {t: neo.frame(t) for t in TABLES}
    load_rows(neo)
    assert graph_counts(neo) == before
    for t in TABLES:
        pd.testing.assert_frame_equal(neo.frame(t), frames[t])


def test_relationships_follow_the_columns(neo):
    load_rows(neo)
    read = neo._run.read
    assert (
        read(
            "MATCH (a:Account)-[:POSTED]->(c:Content {content_id: 'c2'}) RETURN a.account_id AS a"
        )[0]["a"]
        == "w:3"
    )
    assert read(
        "MATCH (:Content {content_id: 'r2'})-[:REPOST_OF]->(p) "
        "RETURN p.content_id AS p, p:Repost AS chain"
    )[0].values() == ["r1", True]
    # an upsert that changes the author, the targets and the reply moves the edges
    changed = (
        ROWS["contents"].iloc[[1]].assign(account_id="w:1", reply_to=None, target_ids=[["w:1"]])
    )
    neo.upsert("contents", changed)
    rows = read(
        "MATCH (c:Content {content_id: 'c2'}) "
        "RETURN [(a)-[:POSTED]->(c) | a.account_id] AS authors, "
        "[(c)-[:TARGETS]->(t) | t.account_id] AS targets, "
        "[(c)-[:REPLY_TO]->(p) | p.content_id] AS parents"
    )
    assert rows[0].values() == [["w:1"], ["w:1"], []]
    # the other tables' edges
    assert (
        read(
            "MATCH (:Account {account_id: 'w:1'})-[r:AFFILIATED_WITH]->(:MCN {mcn_id: 'm1'}) "
            "RETURN count(r) AS n"
        )[0]["n"]
        == 2
    )
    assert sorted(
        read("MATCH (:Event {event_id: 'e1'})-[:TARGETS]->(a) RETURN collect(a.account_id) AS t")[
            0
        ]["t"]
    ) == ["w:2", "w:9"]
    assert (
        read("MATCH (:Account)-[:FILED]->(p:Report)-[:ABOUT]->(c:Content) RETURN p.report_id AS p")[
            0
        ]["p"]
        == "p1"
    )
    assert read("MATCH (:Account)-[:RENAMED]->(r:Rename) RETURN count(r) AS n")[0]["n"] == 2
    assert (
        read("MATCH (:Account)-[l:LABELLED]->(:Event {event_id: 'e0'}) RETURN count(l) AS n")[0][
            "n"
        ]
        == 2
    )


def test_dangling_references_are_not_rows_until_placeholders(neo):
    load_rows(neo)
    # w:9 is only pointed at (event target), c7 only replied to: nodes exist, rows do not
    assert neo.missing_ids("account", ["w:1", "w:9", "w:8"]) == {"w:9", "w:8"}
    assert neo.missing_ids("content", ["c1", "r1", "c7"]) == {"c7"}
    assert "w:9" not in set(neo.frame("accounts")["account_id"])
    assert neo.create_placeholders("account", ["w:9", "w:1"]) == 1
    assert neo.create_placeholders("account", ["w:9"]) == 0
    row = neo.frame("accounts", ids=["w:9"]).iloc[0]
    assert bool(row["placeholder"]) and row["platform"] is None
    # loading the real row replaces the placeholder
    neo.upsert("accounts", pd.DataFrame({"account_id": ["w:9"], "platform": ["weibo"]}))
    row = neo.frame("accounts", ids=["w:9"]).iloc[0]
    assert not row["placeholder"] and row["platform"] == "weibo"


def test_interrupted_ingest_completes_on_rerun(neo, emb, monkeypatch):
    """A load that dies after a few batches, run again, ends identical to a clean load."""
    build_incident(emb)
    neo.batch_size = 7
    real_write = CypherRunner.write
    calls = {"n": 0}

    def dying_write(self, query, params=None):
        calls["n"] += 1
        if calls["n"] == 9:
            raise StoreUnavailable("simulated crash")
        return real_write(self, query, params)

    monkeypatch.setattr(CypherRunner, "write", dying_write)
    with pytest.raises(StoreUnavailable):
        build_incident(neo)
    monkeypatch.setattr(CypherRunner, "write", real_write)
    assert 0 < neo.count("contents") + neo.count("accounts")
    build_incident(neo)
    assert_same_tables(neo, emb)
    counts = graph_counts(neo)
    assert counts["POSTED"] == emb.count("contents") + emb.count("reposts")
    assert counts["REPOST_OF"] == emb.count("reposts")
    assert counts["IN_EVENT"] == len(emb.memberships())


def test_memberships_are_replaced(neo, emb):
    for store in (neo, emb):
        load_rows(store)
        store.set_memberships(
            pd.DataFrame(
                {
                    "content_id": ["c1", "c2", "c1", "r1"],
                    "event_id": ["e1", "e1", "e1", "e1"],
                    "via": ["event_id", "text", "copy", "repost"],
                }
            )
        )
    pd.testing.assert_frame_equal(neo.memberships(), emb.memberships())
    for store in (neo, emb):
        store.set_memberships(
            pd.DataFrame(
                {
                    "content_id": ["c2", "c3", "r2"],
                    "event_id": ["e1", "e1", "e2"],
                    "via": ["reply", "text", "repost"],
                }
            )
        )
    pd.testing.assert_frame_equal(neo.memberships(), emb.memberships())
    pd.testing.assert_frame_equal(neo.memberships("e1"), emb.memberships("e1"))
    pd.testing.assert_frame_equal(neo.memberships("none"), emb.memberships("none"))
    assert neo.memberships("e1")["content_id"].tolist() == ["c2", "c3"]


def test_projection_is_the_same(neo, emb):
    for store in (neo, emb):
        build_incident(store)
    a, b = project(neo, "ev:campus"), project(emb, "ev:campus")
    assert a.event == b.event
    for name in (
        "accounts",
        "contents",
        "reposts",
        "renames",
        "affiliations",
        "mcns",
        "reports",
        "labels",
    ):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)


# ---------------------------------------------------------------- findings
def test_findings_read_back_as_on_the_embedded_store(neo, emb):
    runs = {}
    for store in (neo, emb):
        build_incident(store)
        first = store.save_report(incident_report())
        second = store.save_report(
            incident_report(generated_at="2026-03-03T00:00:00+00:00", reverse=True)
        )
        runs[id(store)] = (first, second)
        assert store.latest_run("ev:campus") == second
        assert store.latest_run("ev:quiet") is None
        assert store.report(first) == incident_report()
    (n1, n2), (e1, e2) = runs[id(neo)], runs[id(emb)]
    for kw in (
        {},
        {"after": 5, "limit": 7},
        {"role": "inciter"},
        {"min_tier": 3},
        {"role": "coordinated", "min_tier": 1, "limit": 3},
    ):
        for kind in ("accounts", "mcns", "clusters"):
            assert neo.ranked(n1, kind, **kw) == emb.ranked(e1, kind, **kw), (kind, kw)
            assert neo.ranked(n2, kind, **kw) == emb.ranked(e2, kind, **kw), (kind, kw)
    strip = lambda rows: [{k: v for k, v in r.items() if k != "run_id"} for r in rows]  # noqa
    assert strip(neo.account_findings("weibo:001")) == strip(emb.account_findings("weibo:001"))
    assert neo.account_findings("weibo:001")[0]["run_id"] == n2
    assert neo.account_findings("nobody") == []
    from pileon.graph.errors import NotFound

    with pytest.raises(NotFound):
        neo.report("no-such-run")


# ------------------------------------------------------------------ alerts
def _alert_rows() -> list[dict]:
    """Stored-alert rows in scrambled order: ties on score broken by time, then key, then seq."""
    spec = [
        ("target:weibo:002", 0, "weibo:002", "ev:campus", 1, 0.5, 300),
        ("target:weibo:002", 1, "weibo:002", "ev:campus", 1, 0.9, 900),
        ("target:weibo:001", 0, "weibo:001", "ev:campus", 0, 0.1, 500),
        ("event:ev:campus", 0, None, "ev:campus", 2, 1.0, 100),
        ("target:weibo:003", 0, "weibo:003", None, 1, 0.5, 300),
        ("target:weibo:001", 1, "weibo:001", "ev:campus", 1, 0.5, 200),
    ]
    return [
        {
            "key": k,
            "seq": q,
            "target_id": t,
            "event_id": e,
            "grp": g,
            "score": s,
            "began_ns": b,
            "body": {"target_id": t, "n": i, "text": "网暴 <b>"},
        }
        for i, (k, q, t, e, g, s, b) in enumerate(spec)
    ]


def test_stored_alerts_as_on_the_embedded_store(neo, emb):
    build_incident(neo)
    build_incident(emb)
    for store in (neo, emb):
        assert store.stored_alerts("") is None and store.alert_digests("") == {}
        store.write_alerts(
            "", remove=None, rows=_alert_rows(), digests={"": "v1", "target:weibo:001": "d1"}
        )
        store.write_alerts("ev:campus", remove=None, rows=_alert_rows()[:2], digests={"": "v1"})
    order = [r["n"] for r in neo.stored_alerts("")]
    assert order == [2, 1, 5, 0, 4, 3]  # grp, score desc, began_ns, key, seq
    for kw in (
        {},
        {"target_id": "weibo:001"},
        {"target_id": "weibo:nobody"},
        {"offset": 2, "limit": 3},
        {"target_id": "weibo:002", "offset": 1},
        {"limit": 0},
    ):
        for scope in ("", "ev:campus", "ev:quiet"):
            assert neo.stored_alerts(scope, **kw) == emb.stored_alerts(scope, **kw), (scope, kw)
    assert neo.stored_alerts("ev:quiet") is None
    assert neo.alert_digests("") == emb.alert_digests("") == {"": "v1", "target:weibo:001": "d1"}
    # replacing two keys leaves the others, in both stores, and drops their digests
    for store in (neo, emb):
        store.write_alerts(
            "",
            remove=["target:weibo:002", "target:weibo:003"],
            rows=[dict(_alert_rows()[0], score=0.7)],
            digests={"target:weibo:002": "d2"},
        )
    assert neo.stored_alerts("") == emb.stored_alerts("")
    assert [r["n"] for r in neo.stored_alerts("")] == [2, 0, 5, 3]
    assert neo.alert_digests("") == emb.alert_digests("")
    assert set(neo.alert_digests("")) == {"", "target:weibo:001", "target:weibo:002"}
    assert neo.stored_alerts("ev:campus") == emb.stored_alerts("ev:campus")
    # investigators see target alerts on their accounts and event alerts on their events
    on = neo._run.read(
        "MATCH (al:Alert {scope: $s})-[:ALERT_ON]->(a:Account) "
        "RETURN a.account_id AS a, count(al) AS n ORDER BY a",
        {"s": ""},
    )
    assert [(r["a"], r["n"]) for r in on] == [("weibo:001", 2), ("weibo:002", 1)]
    of = neo._run.read(
        "MATCH (:Alert {scope: $s})-[:ALERT_OF]->(e:Event) RETURN e.event_id AS e", {"s": ""}
    )
    assert [r["e"] for r in of] == ["ev:campus"]


def test_findings_are_written_into_the_graph(neo):
    build_incident(neo)
    neo.save_report(incident_report())
    neo.save_report(incident_report(reverse=True))  # the view shows the latest run only
    read = neo._run.read
    top = read(
        "MATCH (a:Account)-[f:FINDING]->(:Event {event_id: 'ev:campus'}) "
        "WHERE f.rank = 1 RETURN a.account_id AS a, f.tier AS tier, f.roles AS roles"
    )
    assert [r["a"] for r in top] == ["weibo:040"]
    assert read("MATCH ()-[f:FINDING]->() RETURN count(f) AS n")[0]["n"] == 40
    members = read(
        "MATCH (a:Account)-[:MEMBER_OF]->(c:Cluster {cluster_id: 'c1'})"
        "-[:CLUSTER_OF]->(:Event {event_id: 'ev:campus'}) "
        "RETURN count(a) AS n"
    )[0]["n"]
    assert members == 8
    mcn = read(
        "MATCH (m:MCN)-[f:MCN_FINDING]->(:Event) RETURN m.mcn_id AS m, f.measures AS "
        "measures ORDER BY f.rank"
    )
    assert [(r["m"], r["measures"]) for r in mcn] == [
        ("mcn:alpha", ["warning", "suspend_revenue"]),
        ("mcn:beta", ["warning"]),
    ]
    assert (
        read(
            "MATCH (:Narrative {narrative_id: 'n1'})-[:STARTED_WITH]->(c:Content) "
            "RETURN c.content_id AS c"
        )[0]["c"]
        == "weibo:c001"
    )
    evidence = read(
        "MATCH (:Account {account_id: 'weibo:001'})-[f:FINDING]->() RETURN f.evidence AS e"
    )[0]["e"]
    assert json.loads(evidence)[0]["kind"] == "posted"
    # a per-account summary on the node, for styling and filtering in Browser
    top = read(
        "MATCH (a:Account {account_id: 'weibo:040'}) "
        "RETURN a.max_tier AS t, a.roles AS r, a.finding_events AS e"
    )[0]
    assert (top["t"], top["e"]) == (4, ["ev:campus"])
    assert top["r"] == [
        r
        for r in (
            "first_poster",
            "multi_poster",
            "inciter",
            "splicer",
            "impersonator",
            "coordinated",
            "participant",
        )
        if r in incident_report()["accounts"][39]["roles"]
    ]
    # an account no longer in the latest report loses its summary
    smaller = incident_report()
    smaller["accounts"] = smaller["accounts"][:10]
    neo.save_report(smaller)
    gone = read(
        "MATCH (a:Account {account_id: 'weibo:040'}) "
        "RETURN a.max_tier AS t, a.roles AS r, a.finding_events AS e"
    )[0]
    assert gone.values() == [None, None, None]
    assert read("MATCH (a:Account) WHERE a.max_tier IS NOT NULL RETURN count(a) AS n")[0]["n"] == 10


def _current_view(store: Neo4jStore, event_id: str) -> dict:
    """The event's view as a reader that follows ``(:Event {view_run})`` sees it, and the
    run the API serves."""
    read = store._run.read
    e = {"e": event_id}
    return {
        "run": store.latest_run(event_id),
        "view_run": (read("MATCH (e:Event {event_id: $e}) RETURN e.view_run AS r", e) or [{}])[
            0
        ].get("r"),
        "accounts": [
            (r["a"], r["rank"], r["tier"])
            for r in read(
                "MATCH (e:Event {event_id: $e}) WITH e, e.view_run AS run "
                "MATCH (a:Account)-[f:FINDING]->(e) WHERE f.run_id = run "
                "RETURN a.account_id AS a, f.rank AS rank, f.tier AS tier ORDER BY f.rank",
                e,
            )
        ],
        "clusters": {
            r["c"]: (r["size"], r["n"])
            for r in read(
                "MATCH (e:Event {event_id: $e}) WITH e, e.view_run AS run "
                "MATCH (c:Cluster)-[:CLUSTER_OF]->(e) WHERE c.run_id = run "
                "RETURN c.cluster_id AS c, c.size AS size, COUNT { (c)<-[:MEMBER_OF]-() } AS n",
                e,
            )
        },
        "mcns": [
            r["m"]
            for r in read(
                "MATCH (e:Event {event_id: $e}) WITH e, e.view_run AS run "
                "MATCH (m:MCN)-[f:MCN_FINDING]->(e) WHERE f.run_id = run RETURN m.mcn_id AS m ORDER BY f.rank",
                e,
            )
        ],
        "narratives": [
            r["c"]
            for r in read(
                "MATCH (e:Event {event_id: $e}) WITH e, e.view_run AS run "
                "MATCH (x:Narrative)-[:NARRATIVE_OF]->(e) WHERE x.run_id = run "
                "MATCH (x)-[:STARTED_WITH]->(c:Content) RETURN c.content_id AS c",
                e,
            )
        ],
    }


def _expected_view(report: dict, run_id: str | None) -> dict:
    return {
        "run": run_id,
        "view_run": run_id,
        "accounts": [(a["account_id"], a["rank"], a["tier"]) for a in report["accounts"]],
        "clusters": {
            c["cluster_id"]: (len(c["accounts"]), len(c["accounts"])) for c in report["clusters"]
        },
        "mcns": [m["mcn_id"] for m in report["mcns"]],
        "narratives": [n["first_content_id"] for n in report["narratives"]],
    }


def _view_rows(store: Neo4jStore) -> dict:
    """Every view row in the graph, current or not."""
    read = store._run.read
    return {
        "FINDING": read("MATCH ()-[f:FINDING]->() RETURN count(f) AS n")[0]["n"],
        "MCN_FINDING": read("MATCH ()-[f:MCN_FINDING]->() RETURN count(f) AS n")[0]["n"],
        "MEMBER_OF": read("MATCH ()-[f:MEMBER_OF]->() RETURN count(f) AS n")[0]["n"],
        "Cluster": read("MATCH (c:Cluster) RETURN count(c) AS n")[0]["n"],
        "Narrative": read("MATCH (x:Narrative) RETURN count(x) AS n")[0]["n"],
        "RankedItem": read("MATCH (i:RankedItem) RETURN count(i) AS n")[0]["n"],
        "Run": read("MATCH (r:Run) RETURN count(r) AS n")[0]["n"],
        "stale": read("MATCH (e:Event) WHERE e.stale_views IS NOT NULL RETURN count(e) AS n")[0][
            "n"
        ],
    }


class _Interrupted(Exception):
    pass


def _watch_writes(monkeypatch, small: Neo4jStore, reader: Neo4jStore, event_id: str, *, stop=None):
    """Spy on ``small``'s writes: record each transaction's row count and, after each, the
    view a reader sees; ``stop(query)`` true interrupts the save before that write."""
    seen: list[dict] = []
    sizes: list[int] = []
    write, write_tx = small._run.write, small._run.write_tx

    def spy_write(query, params=None):
        if stop is not None and stop(query):
            raise _Interrupted(query)
        for key in ("rows", "account_ids"):
            if key in (params or {}):
                sizes.append(len(params[key]))
        out = write(query, params)
        seen.append(_current_view(reader, event_id))
        return out

    def spy_write_tx(steps):
        sizes.append(sum(len(p.get("rows", p.get("account_ids", []))) for _, p in steps))
        write_tx(steps)
        seen.append(_current_view(reader, event_id))

    monkeypatch.setattr(small._run, "write", spy_write)
    monkeypatch.setattr(small._run, "write_tx", spy_write_tx)
    return seen, sizes


def _small_batches(server):
    """A store on the test server that writes 3 rows a transaction: a view of several."""
    return Neo4jStore(server.uri, user=server.user, password=server.password, batch_size=3)


def test_a_view_larger_than_a_batch_is_switched_at_once(neo, neo4j_server, monkeypatch):
    """Issue 19: the view of a run is written in batches (the 1M-repost run's did not fit
    one transaction), yet a reader sees the previous complete view until one small
    transaction switches to the new one, never part of either; a re-save replaces the
    view and leaves no row of the old one behind."""
    build_incident(neo)
    ev = INCIDENT_EVENT
    small = _small_batches(neo4j_server)
    try:
        first, second = incident_report(), incident_report(reverse=True)
        seen, sizes = _watch_writes(monkeypatch, small, neo, ev)
        run1 = small.save_report(first)
        old = _expected_view(first, run1)
        assert seen[-1] == old
        empty = {"run": None, "view_run": None, "accounts": [], "clusters": {}}
        assert all(v in (empty | {"mcns": [], "narratives": []}, old) for v in seen)
        seen.clear()
        run2 = small.save_report(second)
        new = _expected_view(second, run2)
        # every transaction small: 40 accounts and their items, in batches of 3
        assert sizes and max(sizes) <= 3
        assert seen.count(old) > 10 and seen[-1] == new
        assert all(v in (old, new) for v in seen), "a reader saw a half-written view"
        switch = seen.index(new)
        assert all(v == new for v in seen[switch:])
        # the replaced view is gone, rows and all; the summaries follow the new view
        counts = _view_rows(neo)
        assert counts == {
            "FINDING": 40,
            "MCN_FINDING": 2,
            "MEMBER_OF": sum(len(c["accounts"]) for c in second["clusters"]),
            "Cluster": 3,
            "Narrative": 1,
            "RankedItem": counts["RankedItem"],
            "Run": 2,
            "stale": 0,
        }
        assert neo._run.read(
            "MATCH (a:Account {account_id: 'weibo:040'}) RETURN a.max_tier AS t, "
            "a.finding_events AS e"
        )[0].values() == [4, [ev]]
    finally:
        small.close()


def test_the_replaced_view_outlives_the_reads_begun_before_the_switch(neo, neo4j_server):
    """Neo4j's reads are read-committed: a transaction that bound the old view before the
    switch would see it shrink if it were deleted at once; the save waits for it."""
    build_incident(neo)
    ev = INCIDENT_EVENT
    small = _small_batches(neo4j_server)
    try:
        run1 = small.save_report(incident_report())
        saved: list[str] = []
        with neo._run.driver.session() as session:
            tx = session.begin_transaction()
            bound = tx.run("MATCH (e:Event {event_id: $e}) RETURN e.view_run AS r", e=ev)
            assert bound.single()["r"] == run1
            saver = threading.Thread(
                target=lambda: saved.append(small.save_report(incident_report(reverse=True)))
            )
            saver.start()
            deadline = time.monotonic() + 60
            while neo.latest_run(ev) == run1 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert neo.latest_run(ev) != run1  # switched
            time.sleep(1.0)
            left = tx.run("MATCH ()-[f:FINDING {run_id: $r}]->() RETURN count(f) AS n", r=run1)
            assert left.single()["n"] == 40
            assert saver.is_alive()  # waiting for this transaction
            tx.close()
        saver.join(60)
        assert not saver.is_alive() and saved
        assert _view_rows(neo)["FINDING"] == 40
    finally:
        small.close()


@pytest.mark.parametrize("where", ["view", "after_switch"])
def test_an_interrupted_save_leaves_the_previous_view(neo, neo4j_server, monkeypatch, where):
    """A save interrupted while it writes its view (or while it deletes the view it
    replaced) leaves readers a complete view; the next save removes what it left."""
    build_incident(neo)
    ev = INCIDENT_EVENT
    small = _small_batches(neo4j_server)
    try:
        first, second = incident_report(), incident_report(reverse=True)
        run1 = small.save_report(first)
        before = _view_rows(neo)
        calls = {"n": 0}

        def stop(query):
            if where == "view":
                calls["n"] += query == q_findings.VIEW_ACCOUNTS
                return calls["n"] == 5  # four batches of the accounts written
            return query in q_findings.DROP_VIEW

        _watch_writes(monkeypatch, small, neo, ev, stop=stop)
        with pytest.raises(_Interrupted):
            small.save_report(second)
        monkeypatch.undo()
        if where == "view":
            assert _current_view(neo, ev) == _expected_view(first, run1)
            assert _view_rows(neo)["FINDING"] == 40 + 12
        else:
            run2 = small.latest_run(ev)
            assert run2 != run1
            assert _current_view(neo, ev) == _expected_view(second, run2)
            assert _view_rows(neo)["stale"] == 1
        run3 = small.save_report(first)
        assert _current_view(neo, ev) == _expected_view(first, run3)
        after = _view_rows(neo)
        assert after == {**before, "RankedItem": after["RankedItem"], "Run": after["Run"]}
        # the interrupted run: gone when it never completed, kept (as a record) otherwise
        assert after["Run"] == (2 if where == "view" else 3)
    finally:
        small.close()


def test_decisions_as_on_the_embedded_store(neo, emb):
    for store in (neo, emb):
        build_incident(store)
        pd.testing.assert_frame_equal(store.decisions(), emb.decisions())
        store.add_decision(
            {
                "decision_id": "d1",
                "event_id": "ev:campus",
                "account_id": "weibo:001",
                "tier": 3,
                "measure": "close",
                "decided_at": "2026-03-04T00:00:00+00:00",
            }
        )
        store.add_decision(
            {
                "decision_id": "d2",
                "mcn_id": "mcn:alpha",
                "measure": "warning",
                "note": "first",
                "decided_at": "2026-03-05T00:00:00+00:00",
            }
        )
        store.add_decision(
            {
                "decision_id": "d1",
                "event_id": "ev:campus",
                "account_id": "weibo:001",
                "tier": 4,
                "measure": "ban",
                "decided_at": "2026-03-06T00:00:00+00:00",
            }
        )
    pd.testing.assert_frame_equal(neo.decisions(), emb.decisions())
    assert neo.decisions()["decision_id"].tolist() == ["d2", "d1"]
    assert (
        neo._run.read(
            "MATCH (:Decision {decision_id: 'd1'})-[:CONCERNS]->"
            "(a:Account) RETURN a.account_id AS a"
        )[0]["a"]
        == "weibo:001"
    )


def test_idempotent_decisions_and_audit_as_on_the_embedded_store(neo, emb):
    """Idempotency keys (per decider), conflicts, replaced decisions and the audit trail
    behave the same on both stores; the audit trail is created, never changed."""
    from pileon.graph.errors import IdempotencyConflict

    d = {
        "event_id": "ev:campus",
        "account_id": "weibo:001",
        "tier": 3,
        "decided_by": "alice",
        "decided_at": "2026-03-04T00:00:00+00:00",
    }
    ids = {}
    for store in (neo, emb):
        build_incident(store)
        got = [
            store.add_decision(d, idempotency_key="k", request_sha256="h1"),
            store.add_decision(d, idempotency_key="k", request_sha256="h1"),
        ]
        with pytest.raises(IdempotencyConflict, match="Idempotency-Key 'k'"):
            store.add_decision({**d, "tier": 4}, idempotency_key="k", request_sha256="h2")
        got.append(store.add_decision({**d, "decided_by": "bob"}, idempotency_key="k"))
        got.append(store.add_decision({**d, "decision_id": "d9"}))
        got.append(store.add_decision({**d, "decision_id": "d9", "tier": 1}))
        assert got[0] == got[1] and len({got[0], got[2], got[3]}) == 3 and got[3:] == ["d9"] * 2
        ids[id(store)] = got
    # decision IDs are random: compare the rest, and where each ID is used
    same = {ids[id(neo)][i]: ids[id(emb)][i] for i in range(5)}
    a, b = neo.decisions(), emb.decisions()
    assert a["decision_id"].map(same).tolist() == b["decision_id"].tolist()
    pd.testing.assert_frame_equal(a.drop(columns="decision_id"), b.drop(columns="decision_id"))
    assert b["decided_by"].tolist() == ["alice", "bob", "alice"] and b["tier"].tolist() == [3, 3, 1]
    a, b = neo.decision_audit(), emb.decision_audit()
    assert a["decision_id"].map(same).tolist() == b["decision_id"].tolist()
    pd.testing.assert_frame_equal(
        a.drop(columns=["decision_id", "at"]), b.drop(columns=["decision_id", "at"])
    )
    assert b["action"].tolist() == [
        "recorded",
        "replayed",
        "refused",
        "recorded",
        "recorded",
        "replaced",
    ]
    assert a["at"].notna().all() and b["at"].notna().all()


def test_issued_evidence_packs_as_on_the_embedded_store(neo, emb):
    """The record of issued evidence packs: appended and read back the same on both stores."""
    from pileon.service.evidence import evidence_pack

    for store in (neo, emb):
        build_incident(store)
        evidence_pack(store, INCIDENT_VICTIM, issued_by="alice")
        evidence_pack(store, INCIDENT_VICTIM, event_id="ev:quiet", issued_by="bob")
        evidence_pack(store, INCIDENT_VICTIM)  # not issued: no record
    a, b = neo.evidence_issues(), emb.evidence_issues()
    assert b["issued_by"].tolist() == ["alice", "bob"] and b["seq"].tolist() == [1, 2]
    assert a["issued_at"].notna().all() and b["issued_at"].notna().all()
    pd.testing.assert_frame_equal(a.drop(columns="issued_at"), b.drop(columns="issued_at"))
    seal = b["seal"].iloc[1]
    pd.testing.assert_frame_equal(
        neo.evidence_issues(seal=seal).drop(columns="issued_at"),
        emb.evidence_issues(seal=seal).drop(columns="issued_at"),
    )
    assert emb.evidence_issues(seal=seal)["issued_by"].tolist() == ["bob"]
    assert neo.evidence_issues(seal="0" * 64).empty


def test_ingest_mark_as_on_the_embedded_store(neo, emb, tmp_path, monkeypatch):
    """The mark of an ingest in progress: set, read and cleared the same on both stores;
    a load that fails half-way leaves it set, the same load run again clears it."""
    from pileon.ingest.load import load_folder
    from pileon.service.analysis import check_ingest

    mark = {"started_at": "2026-03-01T00:00:00+00:00", "source": "/data/x", "command": None}
    for store in (neo, emb):
        assert store.ingest_mark() is None
        store.set_ingest_mark(mark)
        store.set_ingest_mark({**mark, "source": "/data/y"})
        assert store.ingest_mark() == {**mark, "source": "/data/y"}
        store.set_ingest_mark(None)
        assert store.ingest_mark() is None
    (tmp_path / "accounts.csv").write_text("account_id,platform\nweibo:1,weibo\n")

    def broken(memberships):
        raise OSError("disk full")

    monkeypatch.setattr(neo, "set_memberships", broken)
    with pytest.raises(OSError):
        load_folder(neo, tmp_path, reject_path=tmp_path / "rejects.csv")
    assert neo.ingest_mark()["command"] == f"pileon ingest {tmp_path}"
    with pytest.raises(Exception, match="did not finish: re-run `pileon ingest"):
        check_ingest(neo)
    monkeypatch.undo()
    load_folder(neo, tmp_path, reject_path=tmp_path / "rejects.csv")
    assert neo.ingest_mark() is None
    check_ingest(neo)


# ------------------------------------------------------------------ errors
def test_wrong_password_is_one_clear_error(neo4j_server):
    uri, user, password = neo4j_server
    with pytest.raises(StoreAuthError) as err:
        Neo4jStore(uri, user=user, password=password + "-wrong")
    assert "refused the credentials" in str(err.value)
    assert "\n" not in str(err.value)


def test_unknown_database_is_one_clear_error(neo4j_server):
    uri, user, password = neo4j_server
    with pytest.raises(StoreUnavailable) as err:
        Neo4jStore(uri, user=user, password=password, database="nosuchdb")
    assert "NEO4J_DATABASE" in str(err.value)


@pytest.mark.parametrize("uri", ["bolt://127.0.0.1:1", "neo4j://127.0.0.1:1"])
def test_unreachable_server_is_one_clear_error(uri):
    with pytest.raises(StoreUnavailable) as err:
        Neo4jStore(uri, password="x", connection_timeout=2)
    msg = str(err.value)
    assert msg.startswith(f"cannot reach Neo4j at {uri}") and "\n" not in msg


def test_public_open_store_reads_the_settings_from_the_environment(
    monkeypatch, tmp_path, neo4j_server
):
    uri, user, password = neo4j_server
    import pileon

    monkeypatch.chdir(tmp_path)  # a wrong fall-back would create ./pileon.db here
    monkeypatch.setenv("PILEON_STORE", uri)
    monkeypatch.setenv("NEO4J_USER", user)
    monkeypatch.setenv("NEO4J_PASSWORD", password)
    monkeypatch.setenv("NEO4J_DATABASE", "neo4j")
    with pileon.open_store() as store:
        assert isinstance(store, Neo4jStore) and store.uri == uri and store.database == "neo4j"
    monkeypatch.setenv("NEO4J_PASSWORD", password + "-wrong")
    with pytest.raises(StoreAuthError):
        pileon.open_store(uri)
    assert not (tmp_path / "pileon.db").exists()


# ------------------------------------------------ offline: no server needed
@pytest.mark.filterwarnings("ignore:Neo4jError.hydrate is deprecated")
def test_transaction_memory_is_one_line_with_what_to_raise():
    """The server's own error when a transaction outgrows its memory pool (as Neo4j 5.26
    gave it saving the report of the 1M-repost sample under a 4 GiB heap): one line naming
    the settings to raise, not a retryable driver error."""
    from neo4j.exceptions import Neo4jError, TransientError

    run = CypherRunner(None, uri="bolt://db:7687", user="neo4j", database="neo4j")  # type: ignore[arg-type]
    full = Neo4jError.hydrate(
        code="Neo.TransientError.General.MemoryPoolOutOfMemoryError",
        message="The allocation of an extra 48.0 MiB would use more than the limit 2.8 GiB.",
    )
    with pytest.raises(StoreUnavailable) as err:
        with run.translated():
            raise full
    msg = str(err.value)
    assert msg.startswith("Neo4j at bolt://db:7687 ran out of transaction memory")
    assert "NEO4J_HEAP" in msg and "dbms.memory.transaction.total.max" in msg and "\n" not in msg
    other = Neo4jError.hydrate(code="Neo.TransientError.Transaction.DeadlockDetected", message="x")
    assert isinstance(other, TransientError)
    with pytest.raises(TransientError):  # the driver's own retry handles the others
        with run.translated():
            raise other


def test_uri_credentials_are_split_off():
    assert _split_uri("neo4j://u:p%40ss@db.example:7687") == (
        "neo4j://db.example:7687",
        "u",
        "p@ss",
    )
    assert _split_uri("bolt://127.0.0.1:7687") == ("bolt://127.0.0.1:7687", None, None)


def _query_texts() -> list[tuple[str, str]]:
    from pileon.graph.queries import alerts, counters, decisions, findings, membership, schema

    out = []
    for mod in (alerts, counters, decisions, findings, membership, schema, q_tables):
        for name, value in vars(mod).items():
            if isinstance(value, str) and not name.startswith("_") and name.isupper():
                out.append((f"{mod.__name__}.{name}", value))
            elif isinstance(value, dict) and name.isupper():
                out += [
                    (f"{mod.__name__}.{name}[{k}]", v)
                    for k, v in value.items()
                    if isinstance(v, str)
                ]
    for table, lay in q_tables.LAYOUT.items():
        times = q_tables.time_columns(table)
        if isinstance(lay, q_tables.RelationshipRows):
            out.append((f"upsert({table})", q_tables.relationship_upsert(table, times)))
        else:
            out.append((f"create({table})", q_tables.node_create(table, times)))
            out.append((f"update({table})", q_tables.node_update(table, times)))
            out.append((f"drop_links({table})", q_tables.drop_links(table) or ""))
            out += [
                (f"link({table}, {k.type})", q_tables.create_links(table, k)) for k in lay.links
            ]
        out.append((f"frame({table})", q_tables.frame_query(table)))
        out.append((f"frame({table}, key)", q_tables.frame_query(table, TABLES[table].key[0])))
        out.append((f"count({table})", q_tables.count_query(table)))
    return out


@pytest.mark.parametrize("name,query", _query_texts(), ids=lambda v: v if "\n" not in v else "")
def test_queries_hold_no_literal_values(name, query):
    """Values travel as $parameters: no string literals in any query text."""
    assert "'" not in query and '"' not in query, name


def test_only_the_runner_touches_the_driver():
    tree = ast.parse((REPO / "graph" / "neo4j_store.py").read_text(encoding="utf-8"))
    users = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for sub in ast.walk(node):
                if isinstance(sub, ast.Attribute) and sub.attr in ("execute_query", "session"):
                    users.add(node.name)
    assert users == {"CypherRunner"}


class RecordingRunner:
    """Stands in for the driver: records each query and its parameters; reads find every
    node (no key is missing), upserts find no node that existed."""

    def __init__(self):
        self.calls = []
        self.database = None

    def write(self, query, params=None):
        self.calls.append((query, params))
        return []

    read = write
    write_parallel = CypherRunner.write_parallel


def _offline_store(batch_size: int, workers: int = 1) -> Neo4jStore:
    store = object.__new__(Neo4jStore)
    store._run = RecordingRunner()
    store.batch_size = batch_size
    store.workers = workers
    return store


@pytest.mark.parametrize("workers", [1, 3])
def test_upsert_sends_unwind_batches_without_a_server(workers):
    store = _offline_store(2, workers)
    rows = ROWS["contents"]
    assert store.upsert("contents", rows) == 3
    create = q_tables.node_create("contents", ["posted_at"])
    calls = store._run.calls
    # which keys exist (a read: none here), then the new rows' nodes created
    assert calls[0] == (q_tables.EXISTING_NODES["Content"], {"ids": ["c1", "c2", "c3"]})
    assert [q for q, _ in calls[1:3]] == [create] * 2
    assert "n.posted_at = datetime(row.times.posted_at)" in create
    sent = [r for _, p in calls[1:3] for r in p["rows"]]
    assert [r["key"] for r in sent] == ["c1", "c2", "c3"]
    first = sent[0]
    assert first["props"]["target_ids"] == ["w:2"]
    assert first["props"]["placeholder"] is False and "posted_at" not in first["props"]
    assert sent[0]["times"] == {"posted_at": "2026-03-01T00:00:00+00:00"}
    assert sent[1]["props"]["harm"] is None and sent[1]["props"]["target_ids"] is None
    # then the other ends are looked up, and each link created between keys
    lay = q_tables.LAYOUT["contents"]
    pairs = {
        link.type: sorted(
            tuple(x)
            for q, p in calls
            if q == q_tables.create_links("contents", link)
            for x in p["pairs"]
        )
        for link in lay.links
    }
    assert pairs == {
        "POSTED": [("c1", "w:1"), ("c2", "w:3"), ("c3", "w:8")],
        "REPLY_TO": [("c2", "c1"), ("c3", "c7")],
        "TARGETS": [("c1", "w:2"), ("c3", "w:2"), ("c3", "w:3")],
        "POSTED_IN": [],  # no venue_id in these rows
    }
    # no upsert found an existing node: no relationship is dropped
    assert not any(q == q_tables.drop_links("contents") for q, _ in calls)


def test_duplicate_keys_in_one_upsert_keep_the_last_row():
    store = _offline_store(100)
    rows = pd.DataFrame({"account_id": ["a", "b", "a"], "platform": ["x", "y", "z"]})
    assert store.upsert("accounts", rows) == 3
    # which keys exist (each asked once), then the rows created
    (_, asked), (query, params) = store._run.calls
    assert asked == {"ids": ["b", "a"]} and query == q_tables.node_create("accounts", [])
    assert [(r["key"], r["props"]["platform"]) for r in params["rows"]] == [("b", "y"), ("a", "z")]


def test_parallel_batches_stop_at_the_first_failure():
    """A failing batch is raised; batches not started yet are not sent."""
    import threading

    runner = RecordingRunner()
    lock = threading.Lock()
    seen = []

    def write(query, params=None):
        with lock:
            seen.append(params["n"])
        if params["n"] == 0:
            raise StoreUnavailable("simulated")
        return [params["n"]]

    runner.write = write
    with pytest.raises(StoreUnavailable):
        runner.write_parallel("Q", [{"n": i} for i in range(200)], workers=2)
    assert 0 in seen and len(seen) < 200
    assert runner.write_parallel("Q", [{"n": i} for i in range(1, 50)], workers=4) == list(
        range(1, 50)
    )


def test_upsert_without_a_column_keeps_its_values(neo, emb):
    for store in (neo, emb):
        load_rows(store)
        store.upsert("accounts", pd.DataFrame({"account_id": ["w:1"], "platform": ["qq"]}))
        store.upsert(
            "contents",
            pd.DataFrame(
                {
                    "content_id": ["c1"],
                    "account_id": ["w:1"],
                    "platform": ["weibo"],
                    "text": ["edited"],
                }
            ),
        )
    pd.testing.assert_frame_equal(neo.frame("accounts"), emb.frame("accounts"))
    pd.testing.assert_frame_equal(neo.frame("contents"), emb.frame("contents"))
    row = neo.frame("accounts", ids=["w:1"]).iloc[0]
    assert row["platform"] == "qq" and row["created_at"] == pd.Timestamp("2020-01-01T00:00:00Z")


def test_millisecond_times_identical_with_missing_values(neo, emb):
    rows = pd.DataFrame(
        {
            "account_id": ["a", "b"],
            "platform": ["x", "x"],
            "created_at": pd.to_datetime(
                ["2026-03-01T08:15:30.123Z", None], utc=True, format="ISO8601"
            ),
        }
    )
    for store in (neo, emb):
        store.upsert("accounts", rows)
    assert neo.frame("accounts").loc[0, "created_at"] == pd.Timestamp("2026-03-01T08:15:30.123Z")
    pd.testing.assert_frame_equal(neo.frame("accounts"), emb.frame("accounts"))


# ----------------------------------------------------------------- event windows
def test_windows_and_source_material_as_on_the_embedded_store(neo, emb, tmp_path):
    """Membership bounded in time, source material and older contents: the same on both."""
    from pileon.graph.store import Store
    from pileon.ingest.load import load_folder

    rows, reposts, events = two_years_rows()
    more_rows, more_reposts = resurfacing_rows()
    ended = {**OLD_EVENT, "ended_at": OLD_EVENT["started_at"] + pd.Timedelta(days=30)}
    write_rows_folder(tmp_path / "in", rows + more_rows, reposts + more_reposts, [ended, events[1]])
    for store in (neo, emb):
        load_folder(store, tmp_path / "in", reject_path=tmp_path / "rej.csv")
    assert_same_tables(neo, emb)
    assert emb.frame("events")["ended_at"].notna().sum() == 1
    via = emb.memberships("e-new").set_index("content_id")["via"]
    assert via["w:old"] == "source" and via["r:0"] == "repost" and "w:o1" not in via
    a, b = project(neo, "e-new"), project(emb, "e-new")
    assert a.event == b.event and a.event.ended_at is None
    for name in ("accounts", "contents", "reposts"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)
    for before, terms in (
        (pd.Timestamp("2026-03-01T11:00:00Z"), ["南城七中", "林晓雯"]),
        (pd.Timestamp("2026-03-01T11:00:00Z"), []),
        (pd.Timestamp("2026-03-01T11:00:00Z") - pd.Timedelta(hours=YEAR_HOURS - 2), ["南城七中"]),
    ):
        got = neo.older_contents("e-new", before, terms)
        pd.testing.assert_frame_equal(got, emb.older_contents("e-new", before, terms))
        pd.testing.assert_frame_equal(got, Store.older_contents(neo, "e-new", before, terms))
