"""Monotone sequence numbers (run and decision order), atomic under Neo4j's node lock."""

NEXT = """
MERGE (c:PileonCounter {name: $name})
SET c.value = coalesce(c.value, 0) + 1
RETURN c.value AS value
"""
