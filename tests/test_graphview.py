"""``GET /v1/events/{event_id}/graph``: the bounded, summarised incident graph of the UI."""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from pileon.api.app import create_app
from pileon.api.deps import get_store
from pileon.graph.projection import project
from pileon.settings import Settings
from tests.helpers import INCIDENT, api_key, build_incident, incident_report

KEY = api_key("graph-view")
ENFORCER = api_key("graph-view-enforcer")
EV = INCIDENT["event_id"]
MAIN = "evt:2026-03-nancheng-teacher"


def client_for(store) -> TestClient:
    app = create_app(
        Settings(
            api_keys=f"{KEY}:viewer,{api_key('other')}:viewer,{ENFORCER}:enforcer",
            store="/nonexistent/never-opened.db",
        )
    )
    app.dependency_overrides[get_store] = lambda: store
    return TestClient(app)


def get_graph(client: TestClient, event_id: str = EV, **params):
    return client.get(
        f"/v1/events/{event_id}/graph", params=params, headers={"Authorization": f"Bearer {KEY}"}
    )


def check_shape(body: dict) -> None:
    """Every edge joins shown nodes; IDs are unique; parents are shown cluster nodes."""
    ids = [n["id"] for n in body["nodes"]]
    assert len(ids) == len(set(ids))
    assert len(ids) <= body["limit"]
    kinds = {n["id"]: n["kind"] for n in body["nodes"]}
    for e in body["edges"]:
        assert e["source"] in kinds and e["target"] in kinds, e
        assert kinds[e["source"]] == "account"
        assert e["weight"] >= 1
    for n in body["nodes"]:
        if n["parent"] is not None:
            assert kinds[n["parent"]] == "cluster"
    keys = [(e["source"], e["target"], e["type"]) for e in body["edges"]]
    assert len(keys) == len(set(keys))
    s = body["summary"]
    assert s["accounts_shown"] == Counter(kinds.values())["account"]
    assert s["narratives_shown"] == Counter(kinds.values())["narrative"]


# ------------------------------------------------------------ hand-made incident
def test_small_incident_is_shown_whole(analyzed_store):
    with client_for(analyzed_store) as c:
        r = get_graph(c)
    assert r.status_code == 200, r.text
    body = r.json()
    check_shape(body)
    assert body["run_id"] == analyzed_store.latest_run(EV)
    s = body["summary"]
    assert (s["accounts_total"], s["accounts_shown"]) == (40, 40)
    assert (s["narratives_total"], s["narratives_shown"], s["harmful_narratives_total"]) == (
        1,
        1,
        1,
    )
    assert (s["clusters_total"], s["clusters_shown"]) == (3, 3)
    assert (s["mcns_total"], s["mcns_shown"]) == (2, 2)
    assert body["truncated"] is False
    nodes = {n["id"]: n for n in body["nodes"]}
    first = nodes["weibo:001"]
    assert (first["rank"], first["label"], first["tier"]) == (1, "user weibo:001", 4)
    assert first["refer"] is True and first["mcn_ids"] == ["mcn:alpha"]
    narrative = nodes["narrative:n1"]
    assert narrative["first_poster"] == "weibo:001" and narrative["size"] == 80
    # a narrative is labelled by its first content's text for enforcers, by its ID for viewers
    assert narrative["label"] == "narrative n1" and narrative["withheld"] == ["text"]
    with client_for(analyzed_store) as c:
        r = c.get(f"/v1/events/{EV}/graph", headers={"Authorization": f"Bearer {ENFORCER}"})
    narrative = next(n for n in r.json()["nodes"] if n["id"] == "narrative:n1")
    assert narrative["label"] == "the rumour about her, take 1" and narrative["withheld"] == []
    assert nodes["mcn:alpha"]["label"] == "Alpha Media"
    assert nodes["mcn:alpha"]["measures"] == ["warning", "suspend_revenue"]
    assert (nodes["mcn:alpha"]["members_total"], nodes["mcn:alpha"]["members_shown"]) == (6, 6)
    # clusters hold their members: weibo:005 is in c1 (report), weibo:010 too
    assert nodes["weibo:005"]["parent"] == "cluster:c1"
    assert nodes["weibo:003"]["parent"] is None
    edges = {(e["source"], e["target"], e["type"]): e["weight"] for e in body["edges"]}
    assert edges[("weibo:001", "narrative:n1", "first_post")] == 1
    # reposts r001..r020 by accounts 21..40 of the narrative's first content
    reposts = {k: w for k, w in edges.items() if k[2] == "repost"}
    assert reposts == {(f"weibo:{i:03d}", "narrative:n1", "repost"): 1 for i in range(21, 41)}
    assert s["reposts_shown"] == 20 and s["reposts_to_hidden"] == 0
    affiliations = {(a, m) for a, m, t in edges if t == "affiliation"}
    assert affiliations == {(f"weibo:{i:03d}", "mcn:alpha") for i in range(1, 7)}


def test_limit_bounds_the_graph_and_says_what_was_left_out(analyzed_store):
    with client_for(analyzed_store) as c:
        body = get_graph(c, limit=20).json()
    check_shape(body)
    s = body["summary"]
    assert len(body["nodes"]) <= 20
    assert body["truncated"] is True
    assert s["accounts_total"] == 40 and s["accounts_shown"] < 40
    shown = [n for n in body["nodes"] if n["kind"] == "account"]
    # the top of the ranking, in rank order, with the narrative's first poster
    assert [n["rank"] for n in shown] == list(range(1, len(shown) + 1))
    assert "weibo:001" in {n["id"] for n in shown}


def test_reposts_between_shown_accounts_are_aggregated_within_the_event(tmp_store):
    build_incident(tmp_store)
    t0 = pd.Timestamp("2026-03-01T03:00:00Z")
    tmp_store.upsert(
        "reposts",
        pd.DataFrame(
            {
                "repost_id": ["weibo:r101", "weibo:r102", "weibo:r103", "weibo:r104"],
                "account_id": ["weibo:002", "weibo:002", "weibo:002", "weibo:003"],
                "source_id": ["weibo:c003", "weibo:c003", "weibo:c004", "weibo:c002"],
                "reposted_at": [t0 + pd.Timedelta(minutes=i) for i in range(4)],
            }
        ),
    )
    m = tmp_store.memberships()
    # r104 belongs to another event only: it must not be drawn
    extra = pd.DataFrame(
        {
            "content_id": ["weibo:r101", "weibo:r102", "weibo:r103", "weibo:r104"],
            "event_id": [EV, EV, EV, INCIDENT["other_event_id"]],
            "via": "repost",
        }
    )
    tmp_store.set_memberships(pd.concat([m, extra], ignore_index=True))
    tmp_store.save_report(incident_report())
    with client_for(tmp_store) as c:
        body = get_graph(c).json()
    edges = {
        (e["source"], e["target"]): e["weight"] for e in body["edges"] if e["type"] == "repost"
    }
    assert edges[("weibo:002", "weibo:003")] == 2
    assert edges[("weibo:002", "weibo:004")] == 1
    assert ("weibo:003", "weibo:002") not in edges
    assert body["summary"]["reposts_shown"] == 23


@pytest.mark.parametrize("headers, status", [({}, 401), ({"Authorization": "Bearer nope"}, 401)])
def test_needs_a_key(analyzed_store, headers, status):
    with client_for(analyzed_store) as c:
        r = c.get(f"/v1/events/{EV}/graph", headers=headers)
    assert r.status_code == status
    assert r.json()["detail"]


def test_unknown_or_unanalyzed_event_and_bad_limit(analyzed_store):
    with client_for(analyzed_store) as c:
        assert get_graph(c, "ev:nope").status_code == 404
        r = get_graph(c, INCIDENT["other_event_id"])
        assert r.status_code == 404 and "not been analyzed" in r.json()["detail"]
        for bad in (0, 5, 100_000, "x"):
            r = get_graph(c, limit=bad)
            assert r.status_code == 422 and "limit" in r.json()["detail"]


def test_openapi_documents_the_route(analyzed_store):
    with client_for(analyzed_store) as c:
        spec = c.get("/openapi.json").json()
    op = spec["paths"]["/v1/events/{event_id}/graph"]["get"]
    ref = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/IncidentGraph")
    assert {"401", "403", "404", "422"} <= set(op["responses"])
    props = spec["components"]["schemas"]["IncidentGraph"]["properties"]
    assert {"nodes", "edges", "summary", "truncated"} <= set(props)


def test_root_redirects_to_the_page(analyzed_store):
    with client_for(analyzed_store) as c:
        r = c.get("/", follow_redirects=False)
        assert r.status_code in (302, 307) and r.headers["location"] == "/ui/"
        page = c.get("/ui/")
    assert page.status_code == 200 and "vendor/cytoscape.min.js" in page.text
    assert "/" not in {p for p in c.get("/openapi.json").json()["paths"]}


# ------------------------------------------------------------ the sample incident
def test_sample_incident_shows_the_planted_culprits(sample_store, _sample_incident_db):
    truth = _sample_incident_db[1]["events"][MAIN]
    with client_for(sample_store) as c:
        body = get_graph(c, MAIN).json()
    check_shape(body)
    assert len(body["nodes"]) <= 300
    nodes = {n["id"]: n for n in body["nodes"]}
    found = {
        a["account_id"]: a
        for a in sample_store.ranked(sample_store.latest_run(MAIN), "accounts", limit=10**6)
    }
    for role in ("first_poster", "inciter"):
        for a in truth[role]:  # every planted one is shown, with the analysis' findings
            assert nodes[a]["roles"] == found[a]["roles"]
            assert nodes[a]["rank"] == found[a]["rank"]
        assert sum(role in nodes[a]["roles"] for a in truth[role]) >= len(truth[role]) - 1
    edges = {(e["source"], e["target"], e["type"]) for e in body["edges"]}
    report = sample_store.report(sample_store.latest_run(MAIN))
    biggest = sorted(
        report["narratives"], key=lambda n: (not n["harmful"], -n["size"], n["narrative_id"])
    )
    shown = [n for n in body["nodes"] if n["kind"] == "narrative"]
    assert [n["ref"] for n in shown] == [n["narrative_id"] for n in biggest[: len(shown)]]
    for n in shown:
        assert (n["first_poster"], n["id"], "first_post") in edges
    assert shown[0]["harmful"] and shown[0]["first_poster"] in truth["first_poster"]
    op = nodes[truth["operating_mcn"]]
    mcn = next(m for m in report["mcns"] if m["mcn_id"] == truth["operating_mcn"])
    assert op["kind"] == "mcn" and op["measures"] == mcn["measures"] and op["measures"]
    for n in nodes.values():
        if n["kind"] == "account":
            in_shown = n["cluster_id"] is not None and f"cluster:{n['cluster_id']}" in nodes
            assert n["parent"] == (f"cluster:{n['cluster_id']}" if in_shown else None)
    assert len([n for n in nodes.values() if n["kind"] == "cluster"]) == len(report["clusters"])


def test_sample_repost_weights_match_the_projection(sample_store):
    """Repost edges against an independent count over the event's projection."""
    with client_for(sample_store) as c:
        body = get_graph(c, MAIN, limit=200).json()
    shown = {n["id"] for n in body["nodes"] if n["kind"] == "account"}
    to_narrative = {
        n["first_content_id"]: n["id"] for n in body["nodes"] if n["kind"] == "narrative"
    }
    p = project(sample_store, MAIN)
    author = dict(zip(p.contents["content_id"], p.contents["account_id"]))
    author.update(zip(p.reposts["repost_id"], p.reposts["account_id"]))
    expected: Counter[tuple[str, str]] = Counter()
    hidden = 0
    for a, src in zip(p.reposts["account_id"], p.reposts["source_id"]):
        if a not in shown:
            continue
        if src in to_narrative:
            expected[(a, to_narrative[src])] += 1
        elif author.get(src) in shown:
            if author[src] != a:
                expected[(a, author[src])] += 1
        else:
            hidden += 1
    got = {(e["source"], e["target"]): e["weight"] for e in body["edges"] if e["type"] == "repost"}
    assert got == dict(expected)
    assert body["summary"]["reposts_shown"] == sum(expected.values())
    assert body["summary"]["reposts_to_hidden"] == hidden
