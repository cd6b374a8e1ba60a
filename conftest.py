"""Repository-wide pytest set-up.

Tests that talk to the one local Neo4j server share its single database, so
under pytest-xdist (``--dist loadgroup``) they all run in one worker, one
after another: any test marked ``neo4j``, using a Neo4j fixture of
``tests/conftest.py`` or living in a module whose name mentions neo4j or the store
contract joins the ``neo4j`` group.
"""

import pytest

NEO4J_FIXTURES = {"neo4j_server", "neo4j_connection", "neo4j_store"}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config, items):
    for item in items:
        name = item.path.name if hasattr(item, "path") else ""
        uses_neo4j = NEO4J_FIXTURES & set(getattr(item, "fixturenames", ()))
        if item.get_closest_marker("neo4j") or uses_neo4j or "neo4j" in name or "contract" in name:
            item.add_marker(pytest.mark.xdist_group("neo4j"))
