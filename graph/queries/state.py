"""Small named facts about the store itself: ``(:PileonState {name, value})`` (value: JSON).

Today one: ``ingest``, the mark of an ingest in progress (``Store.set_ingest_mark``).
"""

SET = """
MERGE (s:PileonState {name: $name})
SET s.value = $value
"""

CLEAR = """
MATCH (s:PileonState {name: $name})
DELETE s
"""

GET = """
OPTIONAL MATCH (s:PileonState {name: $name})
RETURN s.value AS value
"""

#: a read that touches nothing: its transaction's bookmark names the last transaction
#: committed to the database (``Neo4jStore.generation``)
NOTHING = "RETURN 0 AS n"
