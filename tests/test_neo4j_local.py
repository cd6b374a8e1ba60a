"""Checks that the server named by ``PILEON_TEST_NEO4J_URI`` is a real Neo4j.

``scripts/neo4j-local start`` starts one and writes the variables to source
into ``$PILEON_NEO4J_RUN/env``::

    eval "$(scripts/neo4j-local start >/dev/null && cat "$(scripts/neo4j-local env)")"
    .venv/bin/python -m pytest tests/test_neo4j_local.py -q

The server comes from the ``neo4j_server`` fixture of ``tests/conftest.py``: without
``PILEON_TEST_NEO4J_URI`` these tests skip, except in CI (``CI=true``) where they
fail: the Neo4j side must run there.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError

# on the worker of every test that uses the server (``--dist loadgroup``): the bulk import
# test restarts it
pytestmark = [pytest.mark.neo4j, pytest.mark.xdist_group("neo4j")]

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def driver(neo4j_server):
    uri, user, password = neo4j_server
    with GraphDatabase.driver(uri, auth=(user, password)) as drv:
        yield drv


def test_create_read_delete_roundtrip(driver):
    token = uuid.uuid4().hex
    db = os.environ.get("NEO4J_DATABASE") or None
    driver.execute_query(
        "CREATE (n:PileonLocalCheck {token: $token, n: $n, tags: $tags})",
        token=token,
        n=42,
        tags=["a", "b"],
        database_=db,
    )
    try:
        records, _, _ = driver.execute_query(
            "MATCH (n:PileonLocalCheck {token: $token}) RETURN n.n AS n, n.tags AS tags",
            token=token,
            database_=db,
        )
        assert [(r["n"], r["tags"]) for r in records] == [(42, ["a", "b"])]
    finally:
        _, summary, _ = driver.execute_query(
            "MATCH (n:PileonLocalCheck {token: $token}) DELETE n",
            token=token,
            database_=db,
        )
    assert summary.counters.nodes_deleted == 1
    records, _, _ = driver.execute_query(
        "MATCH (n:PileonLocalCheck {token: $token}) RETURN count(n) AS c",
        token=token,
        database_=db,
    )
    assert records[0]["c"] == 0


def test_server_is_neo4j_5(driver):
    records, _, _ = driver.execute_query(
        "CALL dbms.components() YIELD name, versions, edition "
        "RETURN name, versions[0] AS version, edition"
    )
    (row,) = records
    assert row["name"] == "Neo4j Kernel"
    assert row["version"].startswith("5.")


def test_wrong_password_is_refused(neo4j_server):
    uri, user, password = neo4j_server
    with GraphDatabase.driver(uri, auth=(user, password + "-wrong")) as bad:
        with pytest.raises(AuthError):
            bad.verify_connectivity()


def test_script_rejects_unknown_command():
    proc = subprocess.run(
        ["bash", str(REPO / "scripts" / "neo4j-local"), "frobnicate"],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2
    assert "usage:" in proc.stderr
