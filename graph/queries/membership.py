"""Event membership: ``(:Content)-[:IN_EVENT {via}]->(:Event)`` (reposts are contents too)."""

ALL = """
MATCH (c:Content)-[r:IN_EVENT]->(e:Event)
RETURN c.content_id AS content_id, e.event_id AS event_id, r.via AS via
"""

OF_EVENT = """
MATCH (c:Content)-[r:IN_EVENT]->(e:Event {event_id: $event_id})
RETURN c.content_id AS content_id, e.event_id AS event_id, r.via AS via
"""

#: first row wins for a (content, event) pair, as the embedded store's INSERT OR IGNORE
ADD = """
UNWIND $rows AS row
MERGE (c:Content {content_id: row.content_id})
MERGE (e:Event {event_id: row.event_id})
MERGE (c)-[r:IN_EVENT]->(e)
ON CREATE SET r.via = row.via
"""

REMOVE = """
UNWIND $rows AS row
MATCH (c:Content {content_id: row.content_id})-[r:IN_EVENT]->(e:Event {event_id: row.event_id})
DELETE r
"""
