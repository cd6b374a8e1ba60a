"""Store URIs: which store a URI names, without importing any store (nor pandas).

>>> embedded_path("incident.db"), embedded_path("sqlite:///tmp/x.db")
('incident.db', 'tmp/x.db')
>>> embedded_path("neo4j://localhost:7687") is None
True
"""

from __future__ import annotations

__all__ = ["DEFAULT_STORE", "NEO4J_SCHEMES", "embedded_path"]

#: the embedded store's file when no URI is given
DEFAULT_STORE = "pileon.db"

#: URI schemes of the Neo4j store
NEO4J_SCHEMES = ("neo4j://", "neo4j+s://", "neo4j+ssc://", "bolt://", "bolt+s://", "bolt+ssc://")


def embedded_path(uri: str | None) -> str | None:
    """The file of the embedded store ``uri`` names (default :data:`DEFAULT_STORE`), or
    None when it names a Neo4j store."""
    uri = uri or DEFAULT_STORE
    if uri.startswith(NEO4J_SCHEMES):
        return None
    return uri[len("sqlite:///") :] if uri.startswith("sqlite:///") else uri
