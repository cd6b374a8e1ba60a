"""Event membership: ``(:Content)-[:IN_EVENT {via}]->(:Event)`` (reposts are contents too)."""

from pileon.graph.model import stored_columns
from pileon.graph.queries import tables as _tables

ALL = """
MATCH (c:Content)-[r:IN_EVENT]->(e:Event)
RETURN c.content_id AS content_id, e.event_id AS event_id, r.via AS via
"""

OF_EVENT = """
MATCH (c:Content)-[r:IN_EVENT]->(e:Event {event_id: $event_id})
RETURN c.content_id AS content_id, e.event_id AS event_id, r.via AS via
"""

#: rows known to be absent (the store diffs old and new memberships first), so
#: CREATE: a MERGE would walk the event's relationships for every row; both nodes exist
#: (the store creates the missing ones first), found by their keys
ADD = """
UNWIND $rows AS row
MATCH (c:Content {content_id: row.content_id})
MATCH (e:Event {event_id: row.event_id})
CREATE (c)-[:IN_EVENT {via: row.via}]->(e)
"""

REMOVE = """
UNWIND $rows AS row
MATCH (c:Content {content_id: row.content_id})-[r:IN_EVENT]->(e:Event)
WHERE e.event_id = row.event_id
DELETE r
"""


def _older_contents() -> str:
    """Contents (no reposts, no placeholders) posted before ``$before`` (ISO text) that
    belong to an event other than ``$event_id`` (by a membership other than ``$source``,
    the source-material one) or whose text holds one of ``$terms`` (lower case), with
    ``events``: those other events.

    The terms are matched on the lower-cased text, a superset of the store's exact match
    (:func:`pileon.graph.store.older_rows`), which the store applies to what comes back.
    Built from the model's fixed column names only.
    """
    returns = ", ".join(
        f"{_tables.column_expression('contents', c)} AS {c}" for c in stored_columns("contents")
    )
    return f"""
MATCH (n:Content)
WHERE n.placeholder = false AND NOT n:Repost AND n.posted_at < datetime($before)
OPTIONAL MATCH (n)-[r:IN_EVENT]->(e:Event)
WHERE e.event_id <> $event_id AND r.via <> $source
WITH n, collect(e.event_id) AS events
WHERE size(events) > 0
   OR (n.text IS NOT NULL AND any(t IN $terms WHERE toLower(n.text) CONTAINS t))
RETURN {returns}, events
"""


OLDER_CONTENTS = _older_contents()

#: the memberships of the contents and reposts ``$ids``
OF_CONTENTS = """
UNWIND $ids AS id
MATCH (c:Content {content_id: id})-[r:IN_EVENT]->(e:Event)
RETURN c.content_id AS content_id, e.event_id AS event_id, r.via AS via
"""

#: how many memberships the event has (the node's degree: no relationship is read), and
#: how many contents the store has (the count store)
EVENT_DEGREE = """
MATCH (e:Event {event_id: $event_id})
RETURN COUNT { (e)<-[:IN_EVENT]-() } AS degree, COUNT { MATCH (:Content) } AS contents
"""

#: the event's first ``$limit`` memberships by content_id, from the event: reads all of
#: them (for an event with few members)
EVENT_FIRST_SPARSE = """
MATCH (c:Content)-[r:IN_EVENT]->(e:Event {event_id: $event_id})
WITH c, r ORDER BY c.content_id LIMIT $limit
RETURN c.content_id AS content_id, r.via AS via
"""

#: the same, walking the contents' index in ID order (from ``$lowest``, the empty text)
#: until ``$limit`` members are found
#: (for an event that holds a good share of the contents: about ``$limit x contents /
#: members`` entries read, instead of every member)
EVENT_FIRST_DENSE = """
MATCH (e:Event {event_id: $event_id})
MATCH (c:Content)-[r:IN_EVENT]->(e)
USING INDEX c:Content(content_id)
WHERE c.content_id >= $lowest
RETURN c.content_id AS content_id, r.via AS via
ORDER BY c.content_id LIMIT $limit
"""
