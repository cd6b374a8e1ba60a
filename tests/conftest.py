"""Shared fixtures: a temporary embedded store, and one holding an analyzed incident.

``analyzed_store`` holds the small hand-made incident of
:func:`tests.helpers.build_incident` (event ``ev:campus``, 40 accounts, 2 MCNs,
contents, reposts, renames, affiliations) and one analysis run: the report of
:func:`tests.helpers.incident_report` saved with ``store.save_report``.
``tests.helpers.INCIDENT`` names the IDs tests may rely on.  ``sample_store`` holds
the generated sample incident (``pileon.ingest.sample``, small scale) analyzed by the
real ``pileon.service.analysis.analyze``.

``neo4j_server``, ``neo4j_connection`` and ``neo4j_store`` are the one way to the Neo4j
test server (see :func:`neo4j_server`).

Fixtures only: plain helpers live in ``tests/helpers.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pileon.graph.embedded import EmbeddedStore
from pileon.graph.neo4j_store import Neo4jStore
from tests.helpers import (
    Neo4jServer,
    build_incident,
    incident_report,
    load_sample,
    wipe_neo4j,
)


@pytest.fixture
def tmp_store(tmp_path):
    """An empty embedded store in a temporary folder."""
    store = EmbeddedStore(str(tmp_path / "pileon.db"))
    yield store
    store.close()


@pytest.fixture
def analyzed_store(tmp_store):
    """An embedded store holding the incident and one analysis run of it."""
    build_incident(tmp_store)
    tmp_store.save_report(incident_report())
    return tmp_store


@pytest.fixture(scope="session")
def _sample_incident_db(tmp_path_factory):
    """The sample incident (small scale), ingested and analyzed by the real pipeline, once."""
    root = tmp_path_factory.mktemp("sample-incident")
    store, truth = load_sample(root, seed=0, scale=0.05)
    path = root / "pileon.db"
    try:
        from pileon.service.analysis import analyze

        for event_id in store.event_ids():
            analyze(store, event_id, seed=0, model=None)
    finally:
        store.close()
    return path, truth


@pytest.fixture
def sample_store(_sample_incident_db, tmp_path):
    """A private copy of the analyzed sample incident (tests may write to it)."""
    import shutil

    src, _ = _sample_incident_db
    for suffix in ("", "-wal", "-shm"):
        if Path(str(src) + suffix).exists():
            shutil.copy(str(src) + suffix, tmp_path / ("pileon.db" + suffix))
    store = EmbeddedStore(str(tmp_path / "pileon.db"))
    yield store
    store.close()


# ------------------------------------------------------------------ the Neo4j test server
@pytest.fixture(scope="session")
def neo4j_server() -> Neo4jServer:
    """The Neo4j test server: ``PILEON_TEST_NEO4J_URI`` with ``NEO4J_USER`` (default
    ``neo4j``) and ``NEO4J_PASSWORD`` (default ``pileon-test-pw``), the variables
    ``scripts/neo4j-local start`` writes to the env file it names.  The only place that
    reads them.  Without the URI the test skips, except in CI (``CI=true``) where it fails:
    the Neo4j side must run there.  Tests that use a server WIPE ITS DATABASE."""
    uri = os.environ.get("PILEON_TEST_NEO4J_URI", "").strip()
    if not uri:
        reason = (
            "PILEON_TEST_NEO4J_URI is not set: run `scripts/neo4j-local start` and "
            "source the env file it names"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but " + reason, pytrace=False)
        pytest.skip(reason)
    return Neo4jServer(
        uri,
        os.environ.get("NEO4J_USER", "neo4j"),
        os.environ.get("NEO4J_PASSWORD", "pileon-test-pw"),
    )


@pytest.fixture(scope="session")
def neo4j_connection(neo4j_server):
    """One Neo4j store connected to the test server for the whole session (not wiped:
    ask for :func:`neo4j_store`, or wipe it with :func:`tests.helpers.wipe_neo4j`)."""
    store = Neo4jStore(neo4j_server.uri, user=neo4j_server.user, password=neo4j_server.password)
    yield store
    store.close()


@pytest.fixture
def neo4j_store(neo4j_connection):
    """The Neo4j test store, emptied, with the default batch size."""
    wipe_neo4j(neo4j_connection)
    return neo4j_connection


@pytest.fixture(scope="session")
def neo4j_import(neo4j_server) -> str:
    """The command that bulk-imports a folder into the Neo4j test server
    (``PILEON_NEO4J_IMPORT``, which ``scripts/neo4j-local start`` writes into its env file);
    skips without it, except in CI where it fails.  THE IMPORT RESTARTS THE SERVER."""
    command = os.environ.get("PILEON_NEO4J_IMPORT", "").strip()
    if not command:
        reason = "PILEON_NEO4J_IMPORT is not set: source the env file of scripts/neo4j-local"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but " + reason, pytrace=False)
        pytest.skip(reason)
    return command
