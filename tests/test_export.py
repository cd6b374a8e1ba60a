"""``pileon export``: the event's account graph as GraphML and GEXF, read back with networkx.

The sample incident (``pileon.ingest.sample``, scale 0.3) is loaded and its main event analyzed once
per module; the export goes through the CLI (click's ``CliRunner``) and is read back with
networkx's readers, then checked against the report and the event's own tables.
"""

from __future__ import annotations

from collections import Counter

import networkx as nx
import pytest
from click.testing import CliRunner

from pileon.cli import cli
from pileon.detectors.coactivity import coactivity
from pileon.detectors.export import account_graph
from pileon.graph.embedded import EmbeddedStore
from pileon.graph.projection import Projection, project

MAIN = "evt:2026-03-nancheng-teacher"
READERS = {"graphml": nx.read_graphml, "gexf": nx.read_gexf}


@pytest.fixture(scope="module")
def incident(tmp_path_factory):
    """(store path, ground truth, report, projection) of the analyzed sample's main event."""
    from pileon.ingest.load import load_folder
    from pileon.ingest.sample import generate_incident
    from pileon.service.analysis import analyze

    root = tmp_path_factory.mktemp("export-incident")
    truth = generate_incident(root / "tables", seed=3, scale=0.3)
    path = str(root / "pileon.db")
    with EmbeddedStore(path) as store:
        load_folder(store, root / "tables", reject_path=root / "rejects.csv")
        analyze(store, MAIN, seed=0, model=None)
        report = store.report(store.latest_run(MAIN))
        p = project(store, MAIN)
    return path, truth["events"][MAIN], report, p


def export(path: str, fmt: str, out, *extra: str):
    result = CliRunner().invoke(
        cli,
        ["export", "--event", MAIN, "--format", fmt, "--out", str(out), "--store", path, *extra],
    )
    return result


@pytest.fixture(scope="module", params=["graphml", "gexf"])
def exported(request, incident, tmp_path_factory):
    """(format, graph read back with networkx) for each format."""
    path = incident[0]
    out = tmp_path_factory.mktemp("export") / f"main.{request.param}"
    result = export(path, request.param, out)
    assert result.exit_code == 0, result.output
    g = READERS[request.param](str(out))
    assert result.output.strip() == (
        f"wrote {out}: {g.number_of_nodes()} nodes, {g.number_of_edges()} edges"
    )
    return request.param, g


def edges_of(g: nx.MultiDiGraph, kind: str) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for a, b, d in g.edges(data=True):
        if d.get("kind") == kind:
            assert (a, b) not in out, f"two {kind} edges {a} -> {b}"
            out[(a, b)] = float(d["weight"])
    return out


def test_every_account_of_the_event_with_its_findings(incident, exported):
    _, _, report, p = incident
    fmt, g = exported
    accounts = [n for n, d in g.nodes(data=True) if d.get("kind") == "account"]
    assert sorted(accounts) == sorted(p.accounts["account_id"])
    assert len(report["accounts"]) > 500
    for f in report["accounts"]:
        node = g.nodes[f["account_id"]]
        assert node["rank"] == f["rank"], fmt
        assert node["tier"] == f["tier"]
        assert node["score"] == pytest.approx(f["score"], abs=1e-6)
        assert sorted(filter(None, node["roles"].split(","))) == sorted(f["roles"])
        assert node["cluster_id"] == (f["cluster_id"] or "")
        assert sorted(filter(None, node["mcn_ids"].split(","))) == sorted(f["mcn_ids"])
        assert node["refer"] == bool(f.get("refer"))


def test_planted_culprits_carry_their_roles(incident, exported):
    _, truth, _, _ = incident
    _, g = exported
    for role in ("first_poster", "inciter"):
        for a in truth[role]:
            node = g.nodes[a]
            assert role in node["roles"].split(","), (role, a, node["roles"])
            assert node["tier"] >= 3
    coordinated = [a for a in truth["coordinated"] if "coordinated" in g.nodes[a]["roles"]]
    assert len(coordinated) >= 0.8 * len(truth["coordinated"])
    assert len({g.nodes[a]["cluster_id"] for a in coordinated}) == 1


def test_repost_edges_count_who_reposted_whom(incident, exported):
    _, _, _, p = incident
    _, g = exported
    author = {c: a for c, a in zip(p.contents["content_id"], p.contents["account_id"])}
    author.update(zip(p.reposts["repost_id"], p.reposts["account_id"]))
    expected: Counter[tuple[str, str]] = Counter()
    for a, src in zip(p.reposts["account_id"], p.reposts["source_id"]):
        b = author.get(src)
        if isinstance(b, str) and b != a:
            expected[(a, b)] += 1
    got = edges_of(g, "repost")
    assert len(got) > 1000
    assert got == {k: float(v) for k, v in expected.items()}


def test_coactivity_edges_with_weights(incident, exported):
    _, truth, _, p = incident
    _, g = exported
    got = edges_of(g, "coactivity")
    co = coactivity(p.reposts, window=60.0)
    assert got == {(a, b): float(w) for a, b, w in co.itertuples(index=False)}
    # a weight is a number of sources both accounts reposted
    sources = p.reposts.groupby("account_id")["source_id"].agg(set)
    for (a, b), w in list(got.items())[:300]:
        assert 1 <= w <= len(sources[a] & sources[b])
    army = set(truth["coordinated"])
    inside = [w for (a, b), w in got.items() if a in army and b in army]
    assert len(inside) > len(army)  # the water army reposts in step


def test_mcn_edges_follow_the_affiliations_valid_during_the_event(incident, exported):
    _, truth, report, _ = incident
    _, g = exported
    got = edges_of(g, "mcn")
    assert set(got) == {(f["account_id"], m) for f in report["accounts"] for m in f["mcn_ids"]}
    assert all(w == 1 for w in got.values())
    op = truth["operating_mcn"]
    assert {a for a, m in got if m == op} == set(truth["operating_mcn_members"])
    for a in truth["expired_affiliation"]:
        assert (a, op) not in got
    node = g.nodes[op]
    assert node["kind"] == "mcn"
    mcn = next(m for m in report["mcns"] if m["mcn_id"] == op)
    assert node["measures"] == ",".join(mcn["measures"]) and "evict" in node["measures"]


def test_window_option_changes_the_coactivity_edges(incident, tmp_path):
    path, _, _, p = incident
    out = tmp_path / "w1.graphml"
    result = export(path, "graphml", out, "--window", "1")
    assert result.exit_code == 0, result.output
    got = edges_of(nx.read_graphml(out), "coactivity")
    co = coactivity(p.reposts, window=1.0)
    assert got == {(a, b): float(w) for a, b, w in co.itertuples(index=False)}
    assert len(got) < len(coactivity(p.reposts, window=60.0))


def test_unknown_event_is_one_line(incident, tmp_path):
    path = incident[0]
    result = CliRunner().invoke(
        cli,
        [
            "export",
            "--event",
            "evt:nope",
            "--format",
            "gexf",
            "--out",
            str(tmp_path / "x.gexf"),
            "--store",
            path,
        ],
    )
    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [result.output.strip()]
    assert result.output.startswith("error: ") and "evt:nope" in result.output
    assert not (tmp_path / "x.gexf").exists()


def test_unwritable_output_is_one_line(incident, tmp_path):
    path = incident[0]
    out = tmp_path / "missing-folder" / "x.graphml"
    result = export(path, "graphml", out)
    assert result.exit_code != 0
    assert result.output.startswith("error: ") and "missing-folder" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_unanalyzed_event_exports_without_findings(tmp_path):
    from tests.helpers import INCIDENT, build_incident

    path = str(tmp_path / "pileon.db")
    with EmbeddedStore(path) as store:
        build_incident(store)
    out = tmp_path / "campus.gexf"
    result = CliRunner().invoke(
        cli,
        [
            "export",
            "--event",
            INCIDENT["event_id"],
            "--format",
            "gexf",
            "--out",
            str(out),
            "--store",
            path,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "not analyzed yet" in result.output
    g = nx.read_gexf(out)
    assert set(INCIDENT["accounts"]) <= set(g)
    node = g.nodes[INCIDENT["accounts"][0]]
    assert node["roles"] == "" and "rank" not in node and "tier" not in node
    # reposts r001..r020 by accounts 21..40 of the first content (by account 1)
    reposts = edges_of(g, "repost")
    assert reposts == {(a, INCIDENT["accounts"][0]): 1.0 for a in INCIDENT["accounts"][20:40]}


def test_findings_with_missing_values_are_written():
    """Regression: a report entry whose score, tier or rank is null must not crash the export."""
    p = Projection.from_tables(
        {"event_id": "e1", "started_at": "2026-03-01T00:00:00Z"},
        contents=[
            {
                "content_id": "c1",
                "account_id": "a1",
                "platform": "weibo",
                "posted_at": "2026-03-01T08:00:00+08:00",
                "text": "hi",
            }
        ],
        reposts=[
            {
                "repost_id": "r1",
                "account_id": "a2",
                "source_id": "c1",
                "platform": "weibo",
                "reposted_at": "2026-03-01T08:01:00+08:00",
            }
        ],
    )
    report = {
        "accounts": [
            {
                "account_id": "a1",
                "rank": 1,
                "score": None,
                "tier": None,
                "roles": ["first_poster"],
                "cluster_id": None,
                "mcn_ids": [],
            }
        ]
    }
    g = account_graph(p, report)
    assert g.nodes["a1"]["roles"] == "first_poster" and g.nodes["a1"]["rank"] == 1
    assert "score" not in g.nodes["a1"] and "tier" not in g.nodes["a1"]
    assert list(g.edges(data=True)) == [("a2", "a1", {"kind": "repost", "weight": 1})]
    for writer in (nx.generate_graphml, nx.generate_gexf):
        assert "first_poster" in "".join(writer(g))
