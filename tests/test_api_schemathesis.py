"""A short property-based run of schemathesis against the app's own OpenAPI.

Every operation is called with generated valid and invalid inputs, with an
admin key (so every route is reached) on a store holding an analyzed incident.
Checks: no server error, status codes and response bodies as the OpenAPI says.
Examples are few and derandomized so the run is short and repeatable.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from pileon.api.app import create_app
from pileon.graph.embedded import EmbeddedStore
from pileon.settings import Settings
from tests.helpers import api_key, build_incident, incident_report

ADMIN = api_key("schemathesis")


def _app():
    folder = Path(tempfile.mkdtemp(prefix="pileon-schemathesis-"))
    atexit.register(shutil.rmtree, folder, True)
    store = EmbeddedStore(str(folder / "pileon.db"))
    build_incident(store)
    store.save_report(incident_report())
    store.close()
    # schemathesis sends requests without a key or with a wrong one on purpose: do not let
    # the failed-key throttle (tests/test_security.py) turn the rest of the run into 429s
    return create_app(
        Settings(
            api_keys=f"{ADMIN}:admin", store=str(folder / "pileon.db"), max_auth_failures=10**9
        )
    )


app = _app()
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(autouse=True)
def quick_pipeline(monkeypatch):
    """Analyze jobs run a stand-in pipeline that saves the hand-made report (fast, no
    dependency on the detectors); the route, job and store paths are the real ones."""

    def analyze(store, event_id, **options):
        report = incident_report(event_id)
        store.save_report(report)
        return report

    monkeypatch.setattr("pileon.service.analysis.analyze", analyze)


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_input_makes_a_server_error(case):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {ADMIN}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
