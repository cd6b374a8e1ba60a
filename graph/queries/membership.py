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

#: an event's first ``$limit`` memberships by content ID, one query.  An event holding
#: at least one content in ``$dense`` (its degree: no relationship read; the contents:
#: the count store) is read by walking the contents' ID index in order (from
#: ``$lowest``, the empty text) until ``$limit`` members are found: about ``$limit x
#: contents / members`` entries when its members are spread over the IDs; a smaller one
#: from its own relationships (fewer than ``contents / $dense``).  The index walk comes
#: first in its branch, so that the planner keeps the index order and stops at
#: ``$limit`` (``MATCH (e) MATCH (c)-->(e) USING INDEX ...`` sorted every member: 133k db
#: hits on the sample's largest event, against 249).
EVENT_FIRST = """
MATCH (e:Event {event_id: $event_id})
WITH e, COUNT { (e)<-[:IN_EVENT]-() } * $dense >= COUNT { MATCH (:Content) } AS dense
CALL (e, dense) {
  WITH e, dense WHERE dense
  MATCH (c:Content)
  USING INDEX c:Content(content_id)
  WHERE c.content_id >= $lowest
  WITH e, c ORDER BY c.content_id
  MATCH (c)-[r:IN_EVENT]->(e)
  RETURN c.content_id AS content_id, r.via AS via
  ORDER BY content_id LIMIT $limit
  UNION ALL
  WITH e, dense WHERE NOT dense
  MATCH (c:Content)-[r:IN_EVENT]->(e)
  WITH c, r ORDER BY c.content_id LIMIT $limit
  RETURN c.content_id AS content_id, r.via AS via
}
RETURN content_id, via
"""
