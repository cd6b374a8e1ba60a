"""Bulk loads into Neo4j (``pileon ingest --store neo4j://… --bulk``): the import files,
and a real import into the test server that must give the graph the ``UNWIND`` path gives
and the tables, memberships and reports of the embedded store.

The import test restarts the Neo4j test server (``scripts/neo4j-local import``, named by
``PILEON_NEO4J_IMPORT``) and WIPES ITS DATABASE, on the worker of every Neo4j test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from pileon.graph.embedded import EmbeddedStore
from pileon.graph.errors import InputError
from pileon.graph.model import TABLES
from pileon.graph.neo4j_import import ARGS_FILE, ImportWriter
from pileon.graph.queries import tables as q_tables
from pileon.ingest.load import load_folder
from pileon.ingest.sample import generate_incident
from pileon.service.ingest import ingest
from tests.helpers import graph_dump, wipe_neo4j, write_edge_folder

pytestmark = pytest.mark.xdist_group("neo4j")
# small (the import restarts the server): four events, the main one with a coordinated group
SEED, SCALE = 7, 0.05


def _cli(server, args, env=None):
    from pileon.cli import cli

    uri, user, password = server
    res = CliRunner().invoke(
        cli,
        ["ingest", *args, "--store", uri, "--json", "--no-progress"],
        env={"NEO4J_USER": user, "NEO4J_PASSWORD": password, "PILEON_STORE": None, **(env or {})},
    )
    return res


# ------------------------------------------------------------ files, no server
def test_import_files_follow_the_layout(tmp_path):
    folder = write_edge_folder(tmp_path / "edge")
    writer = ImportWriter(tmp_path / "out")
    summary = load_folder(writer, folder, reject_path=tmp_path / "rejects.csv")
    plan = writer.finish()
    out = tmp_path / "out"
    args = (out / ARGS_FILE).read_text(encoding="utf-8").split()
    assert args == plan.args
    # every group's files exist; one header each, in the import tool's format
    for arg in args:
        if arg.startswith(("--nodes=", "--relationships=")):
            for name in arg.split("=", 2)[2].split(","):
                assert (out / name).exists(), name
    header = (out / "contents.header.csv").read_text(encoding="utf-8").strip().split(",")
    assert header[:2] == [":ID(Content)", "content_id"]  # integer import IDs, the key beside
    assert "--id-type=INTEGER" in args
    assert {"posted_at:datetime", "harm:double", "target_ids:string[]", "tz:long"} <= set(header)
    assert "placeholder:boolean" in header and "extra" in header
    reposts = next(a for a in args if "reposts.header.csv" in a)
    assert reposts.startswith("--nodes=Content:Repost=")
    assert "--relationships=AFFILIATED_WITH=affiliations.header.csv" in " ".join(args)
    # texts with line breaks go to the files read as multi-line, and only those
    multiline = next(a for a in args if a.startswith("--multiline-fields="))
    ml = multiline.split("=", 1)[1].split(",")
    assert ml and all(".ml." in name for name in ml)
    assert any('then go"' in (out / name).read_text(encoding="utf-8") for name in ml)
    # the placeholders a load makes, and the event a label names that nothing loads
    assert summary.to_dict()["tables"]["reports"]["placeholders"] == 1
    dangling = (out / "dangling.Event.csv").read_text(encoding="utf-8").split()
    assert len(dangling) == 1 and dangling[0].split(",")[1] == '"e0"'
    # one data file per group and kind (the import tool samples every file it is given)
    for arg in args:
        if arg.startswith(("--nodes=", "--relationships=")):
            files = arg.split("=", 2)[2].split(",")[1:]
            assert len([f for f in files if ".ml." not in f]) <= 1, arg
            assert len([f for f in files if ".ml." in f]) <= 1, arg
    assert plan.nodes == 20 and plan.relationships == 30
    assert plan.command().endswith(
        f"database import full --overwrite-destination @{ARGS_FILE} neo4j"
    )


def test_every_table_has_a_layout():
    """A table of the model that the layout does not place cannot be loaded either way."""
    assert set(q_tables.LAYOUT) == set(TABLES)
    for lay in q_tables.LAYOUT.values():
        labels = lay.labels if isinstance(lay, q_tables.NodeRows) else ()
        ends = (
            [link.label for link in lay.links]
            if isinstance(lay, q_tables.NodeRows)
            else [lay.start.label, lay.end.label]
        )
        assert all(x in q_tables.NODE_KEY for x in [*labels[:1], *ends])


def test_whole_column_conversions_match_the_value_by_value_ones():
    """The writer converts list, link, integer and boolean columns whole where their dtype
    allows it; cells it cannot take whole (items that are no text, a text among lists)
    go value by value, with the same result for the cells both can take."""
    from pileon.graph.model import ColType
    from pileon.graph.neo4j_import import ARRAY_DELIMITER as D
    from pileon.graph.neo4j_import import _column

    lists = pd.Series([["a", "b"], None, [], ("x", "x", "y"), float("nan")], dtype=object)
    assert _column(ColType.LIST, lists).to_pylist() == [f"a{D}b", None, None, f"x{D}x{D}y", None]
    mixed = pd.Series([["a", 1], "bc", None], dtype=object)  # value by value: str() of each
    assert _column(ColType.LIST, mixed).to_pylist() == [f"a{D}1", None, None]
    with pytest.raises(InputError, match="U\\+001F"):
        _column(ColType.LIST, pd.Series([[f"a{D}b"]], dtype=object))
    keys = ["k1", "k2", "k3", "k4", "k5"]
    # a list link: one pair per distinct item, in the list's order
    assert ImportWriter._link_pairs(keys, lists) == (
        ["k1", "k1", "k4", "k4"],
        ["a", "b", "x", "y"],
    )
    assert ImportWriter._link_pairs(keys[:3], pd.Series(["p", None, "q"])) == (
        ["k1", "k3"],
        ["p", "q"],
    )
    assert ImportWriter._link_pairs(keys[:3], mixed) == (["k1", "k1", "k2"], ["a", "1", "bc"])
    assert _column(ColType.INT, pd.Series([3, 4])).to_pylist() == [3, 4]
    assert _column(ColType.BOOL, pd.Series([True, None], dtype=object)).to_pylist() == [True, None]
    assert _column(ColType.BOOL, pd.Series([False, True])).to_pylist() == [False, True]


def test_the_folder_must_be_empty(tmp_path):
    from pileon.graph.errors import InputError

    (tmp_path / "x.csv").write_text("x\n")
    with pytest.raises(InputError, match="must be empty"):
        ImportWriter(tmp_path)


# ------------------------------------------------------------------- a server
def test_bulk_refuses_a_database_that_holds_nodes(neo4j_store, neo4j_server, tmp_path):
    neo4j_store.upsert("accounts", pd.DataFrame({"account_id": ["a"], "platform": ["x"]}))
    folder = write_edge_folder(tmp_path / "edge")
    res = _cli(neo4j_server, [str(folder), "--bulk", "--bulk-dir", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert res.stderr.strip().count("\n") == 0
    assert (
        "--bulk loads only into an empty database" in res.stderr and "holds 1 nodes" in res.stderr
    )
    assert not (tmp_path / "out").exists()
    assert neo4j_store.count("accounts") == 1


def test_bulk_refuses_a_server_that_is_not_the_local_one(neo4j_store, neo4j_server, tmp_path):
    """The import command imports into its own server only: another one (here a run
    folder of ``scripts/neo4j-local`` whose server would listen on another port) is
    refused in one line before any file is written."""
    other = tmp_path / "other-run"
    (other / "conf").mkdir(parents=True)
    (other / "conf" / "neo4j.conf").write_text("")
    (other / ".password").write_text("pileon-test-pw")
    (other / "ports").write_text("bolt=1\nhttp=2\n")
    script = Path(__file__).resolve().parents[1] / "scripts" / "neo4j-local"
    folder = write_edge_folder(tmp_path / "edge")
    res = _cli(
        neo4j_server,
        [str(folder), "--bulk", "--bulk-dir", str(tmp_path / "out")],
        env={"PILEON_NEO4J_IMPORT": f"env PILEON_NEO4J_RUN={other} {script} import"},
    )
    assert res.exit_code == 2, res.output
    line = res.stderr.strip()
    assert "\n" not in line
    assert f"the bulk import failed: {neo4j_server.uri} is not the local server of {other}" in line
    assert not (tmp_path / "out").exists()
    assert neo4j_store.graph_size() == (0, 0)


def test_bulk_without_an_import_command_needs_a_folder(neo4j_store, neo4j_server, tmp_path):
    folder = write_edge_folder(tmp_path / "edge")
    res = _cli(neo4j_server, [str(folder), "--bulk"], env={"PILEON_NEO4J_IMPORT": None})
    assert res.exit_code == 2, res.output
    line = res.stderr.strip()
    assert "\n" not in line
    assert "PILEON_NEO4J_IMPORT is not set" in line and "give --bulk-dir DIR" in line
    assert neo4j_store.graph_size() == (0, 0)


def test_bulk_without_an_import_command_writes_the_folder(neo4j_store, neo4j_server, tmp_path):
    folder = write_edge_folder(tmp_path / "edge")
    out = tmp_path / "out"
    res = _cli(
        neo4j_server,
        [str(folder), "--bulk", "--bulk-dir", str(out), "--rejects", str(tmp_path / "r.csv")],
        env={"PILEON_NEO4J_IMPORT": None},
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["tables"]["contents"]["stored"] == 3
    assert (
        f"to {out}; on the server, with Neo4j stopped, run: cd {out} && neo4j-admin" in res.stderr
    )
    assert (out / ARGS_FILE).exists()
    assert neo4j_store.graph_size() == (0, 0)


# ------------------------------------------------ a real import: parity
@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """The sample incident with its history, and the edge cases beside it."""
    folder = tmp_path_factory.mktemp("bulk") / "incident"
    generate_incident(folder, seed=SEED, scale=SCALE, history=True)
    return write_edge_folder(folder)


@pytest.fixture(scope="module")
def loaded(folder, neo4j_server, neo4j_connection, neo4j_import, tmp_path_factory):
    """The folder loaded three ways: the embedded store, the UNWIND path (its graph
    dumped) and the bulk import (which restarts the server), then the Neo4j store."""
    tmp = tmp_path_factory.mktemp("bulk-loads")
    emb = EmbeddedStore(str(tmp / "pileon.db"))
    emb_summary = ingest(emb, folder, reject_path=tmp / "emb-rejects.csv").to_dict()
    wipe_neo4j(neo4j_connection)
    res = _cli(neo4j_server, [str(folder), "--rejects", str(tmp / "unwind-rejects.csv")])
    assert res.exit_code == 0, res.output
    unwind = graph_dump(neo4j_connection)
    wipe_neo4j(neo4j_connection)
    res = _cli(
        neo4j_server,
        [str(folder), "--bulk", "--rejects", str(tmp / "bulk-rejects.csv")],
        env={"PILEON_NEO4J_IMPORT": neo4j_import},
    )
    assert res.exit_code == 0, res.output
    assert "bulk import: " in res.stderr
    # the database was replaced: the session's connection must open a new one
    neo4j_connection.reconnect()
    yield {
        "emb": emb,
        "neo": neo4j_connection,
        "unwind": unwind,
        "summaries": (json.loads(res.stdout), emb_summary),
        "rejects": [
            (tmp / f"{k}-rejects.csv").read_text(encoding="utf-8") for k in ("bulk", "emb")
        ],
    }
    emb.close()


def test_bulk_graph_is_the_unwind_graph(loaded):
    """Node for node and relationship for relationship, every label, key and property."""
    nodes, rels = graph_dump(loaded["neo"])
    want_nodes, want_rels = loaded["unwind"]
    assert len(nodes) > 5000 and len(rels) > 10000
    assert nodes == want_nodes
    assert rels == want_rels


def test_bulk_summary_and_rejects_as_on_the_embedded_store(loaded):
    bulk, emb = loaded["summaries"]
    assert {**bulk, "rejects": None} == {**emb, "rejects": None}
    assert loaded["rejects"][0] == loaded["rejects"][1]


def test_bulk_tables_and_memberships_identical(loaded):
    neo, emb = loaded["neo"], loaded["emb"]
    for table in TABLES:
        pd.testing.assert_frame_equal(
            neo.frame(table), emb.frame(table), obj=table, check_exact=True
        )
        assert neo.count(table) == emb.count(table), table
    pd.testing.assert_frame_equal(neo.memberships(), emb.memberships())


def test_bulk_alerts_identical(loaded):
    """The alert pass after the import stored the alerts the embedded ingest stored."""
    from pileon.service.alerts import alerts_from_store

    neo, emb = loaded["neo"], loaded["emb"]
    scopes = [None, *emb.event_ids()]
    for event_id in scopes:
        a = alerts_from_store(neo, event_id=event_id, compute_missing=False)
        assert a == alerts_from_store(emb, event_id=event_id, compute_missing=False), event_id
        assert neo.alert_digests(event_id or "") == emb.alert_digests(event_id or "")
    assert alerts_from_store(emb, event_id=None, compute_missing=False)


def test_bulk_reports_identical(loaded):
    from pileon.service.analysis import analyze

    neo, emb = loaded["neo"], loaded["emb"]
    events = emb.event_ids()
    assert len(events) >= 4
    for event_id in events:
        a = analyze(neo, event_id, seed=0, model=None)
        b = analyze(emb, event_id, seed=0, model=None)
        a.pop("generated_at"), b.pop("generated_at")
        assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True), event_id
    main = emb.ranked(emb.latest_run(events[-1]), "accounts", limit=5)
    assert main == neo.ranked(neo.latest_run(events[-1]), "accounts", limit=5)
