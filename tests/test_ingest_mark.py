"""An interrupted ingest is not silent: a real ``kill -9`` of ``pileon ingest`` half-way.

The store keeps a mark from the start of a load to its end (``Store.ingest_mark``); while
it is set ``/healthz`` reports it and ``analyze`` refuses with one line; running the same
ingest again finishes the load (the same store as a load never interrupted) and clears it,
and analyze's check passes.
The same mark on the Neo4j store: ``tests/test_neo4j_store.py``.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pandas as pd
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from pileon.api.app import create_app
from pileon.cli import cli
from pileon.graph.embedded import EmbeddedStore
from pileon.graph.errors import IngestIncomplete
from pileon.graph.model import TABLES
from pileon.ingest.load import load_folder
from pileon.ingest.sample import generate_incident
from pileon.service.analysis import check_ingest
from pileon.service.training import train
from pileon.settings import Settings
from tests.helpers import keys_setting

RUN_CLI = "import sys; from pileon.cli import main; sys.argv[0] = 'pileon'; main()"


def _peek(db) -> tuple[bool, int]:
    """(mark set, contents stored) read straight from the file, as another process would."""
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            mark = con.execute("SELECT 1 FROM pileon_state WHERE name = 'ingest'").fetchone()
            n = con.execute("SELECT COUNT(*) FROM contents").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:  # not created yet, or busy
        return False, 0
    return mark is not None, n


def health(db) -> dict:
    app = create_app(Settings(api_keys=keys_setting(), store=str(db)))
    with TestClient(app) as c:
        r = c.get("/healthz")
    assert r.status_code == 200, r.text
    return r.json()


def test_a_killed_ingest_is_reported_until_it_is_run_again(tmp_path):
    tables = tmp_path / "tables"
    generate_incident(tables, seed=0, scale=1)
    event = pd.read_csv(tables / "events.csv")["event_id"].iloc[0]
    db = tmp_path / "pileon.db"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            RUN_CLI,
            "ingest",
            str(tables),
            "--store",
            str(db),
            "--no-progress",
            "--rejects",
            str(tmp_path / "rejects.csv"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while True:  # kill it once it has stored some contents
        assert proc.poll() is None, "the ingest ended before it could be killed half-way"
        assert time.monotonic() < deadline, "the ingest never started storing contents"
        marked, contents = _peek(db)
        if marked and contents:
            break
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL

    store = EmbeddedStore(str(db))
    mark = store.ingest_mark()
    assert mark is not None and mark["source"] == str(tables) and mark["started_at"]
    assert store.memberships().empty  # half-finished indeed: no event membership yet
    store.close()
    got = health(db)["ingest_in_progress"]
    assert got == {"started_at": mark["started_at"]}

    res = CliRunner().invoke(cli, ["analyze", "--event", event, "--store", str(db)])
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: an ingest into this store started")
    assert f"re-run `pileon ingest {tables}`, which resumes" in lines[0]
    assert lines[0].endswith("analyze refuses until it has")
    half = EmbeddedStore(str(db))
    with pytest.raises(IngestIncomplete, match="train refuses until it has"):
        train(half, pd.DataFrame({"event_id": [event], "account_id": ["x"], "tier": [1]}))
    half.close()

    res = CliRunner().invoke(
        cli,
        [
            "ingest",
            str(tables),
            "--store",
            str(db),
            "--no-progress",
            "--rejects",
            str(tmp_path / "rejects.csv"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert health(db)["ingest_in_progress"] is None
    resumed = EmbeddedStore(str(db))
    clean = EmbeddedStore(str(tmp_path / "clean.db"))
    load_folder(clean, tables, reject_path=tmp_path / "clean-rejects.csv")
    try:
        assert resumed.ingest_mark() is None
        for table in TABLES:
            pd.testing.assert_frame_equal(resumed.frame(table), clean.frame(table), obj=table)
        pd.testing.assert_frame_equal(resumed.memberships(), clean.memberships())
    finally:
        resumed.close()
        clean.close()
    check_ingest(EmbeddedStore(str(db)))  # what analyze asks first: it no longer refuses


def test_a_load_that_fails_half_way_keeps_its_mark(tmp_path, monkeypatch):
    tables = tmp_path / "tables"
    generate_incident(tables, seed=0, scale=0.05)
    store = EmbeddedStore(str(tmp_path / "pileon.db"))
    assert store.ingest_mark() is None

    def broken(memberships):
        raise OSError("disk full")

    monkeypatch.setattr(store, "set_memberships", broken)
    with pytest.raises(OSError):
        load_folder(store, tables, reject_path=tmp_path / "rejects.csv")
    assert store.ingest_mark()["source"] == str(tables)
    assert store.ingest_mark()["command"] == f"pileon ingest {tables}"
    # a load with other options names them, so that running it again resumes the same load
    with pytest.raises(OSError):
        load_folder(store, tables, reject_path=tmp_path / "rejects.csv", margin=12)
    assert store.ingest_mark()["command"] == f"pileon ingest {tables} --margin-hours 12"
    monkeypatch.undo()
    load_folder(store, tables, reject_path=tmp_path / "rejects.csv")
    assert store.ingest_mark() is None
    store.close()
