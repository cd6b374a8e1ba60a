"""Shared fixtures: a temporary embedded store, and one holding an analyzed incident.

``analyzed_store`` holds the small hand-made incident of
:func:`tests.helpers.build_incident` (event ``ev:campus``, 40 accounts, 2 MCNs,
contents, reposts, renames, affiliations) and one analysis run: the report of
:func:`tests.helpers.incident_report` saved with ``store.save_report``.
``tests.helpers.INCIDENT`` names the IDs tests may rely on.  ``sample_store`` holds
the generated sample incident (``pileon.ingest.sample``, small scale) analyzed by the
real ``pileon.service.analysis.analyze``.

Fixtures only: plain helpers live in ``tests/helpers.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pileon.graph.embedded import EmbeddedStore
from tests.helpers import build_incident, incident_report, load_sample


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
