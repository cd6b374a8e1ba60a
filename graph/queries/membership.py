"""Event membership: ``(:Content)-[:IN_EVENT {via}]->(:Event)`` (reposts are contents too)."""

ALL = """
MATCH (c:Content)-[r:IN_EVENT]->(e:Event)
RETURN c.content_id AS content_id, e.event_id AS event_id, r.via AS via
"""

OF_EVENT = """
MATCH (c:Content)-[r:IN_EVENT]->(e:Event {event_id: $event_id})
RETURN c.content_id AS content_id, e.event_id AS event_id, r.via AS via
"""

#: rows known to be absent (the store diffs old and new memberships first), so
#: CREATE: a MERGE would walk the event's relationships for every row
ADD = """
UNWIND $rows AS row
MERGE (c:Content {content_id: row.content_id})
MERGE (e:Event {event_id: row.event_id})
CREATE (c)-[:IN_EVENT {via: row.via}]->(e)
"""

REMOVE = """
UNWIND $rows AS row
MATCH (c:Content {content_id: row.content_id})-[r:IN_EVENT]->(e:Event)
WHERE e.event_id = row.event_id
DELETE r
"""
