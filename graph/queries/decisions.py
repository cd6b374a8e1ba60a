"""Measures actually taken on accounts and MCNs (the risk model's next labels).

``(:Decision)-[:CONCERNS]->(:Account|:MCN)`` and ``(:Decision)-[:IN_CASE]->(:Event)``
when those nodes exist, so investigators see decisions beside the findings.
"""

UPSERT = """
MERGE (d:Decision {decision_id: $decision_id})
SET d += $props
WITH d
CALL (d) {
  OPTIONAL MATCH (d)-[old:CONCERNS|IN_CASE]->()
  DELETE old
}
CALL (d) {
  OPTIONAL MATCH (a:Account {account_id: d.account_id})
  WITH d, a WHERE a IS NOT NULL
  MERGE (d)-[:CONCERNS]->(a)
}
CALL (d) {
  OPTIONAL MATCH (m:MCN {mcn_id: d.mcn_id})
  WITH d, m WHERE m IS NOT NULL
  MERGE (d)-[:CONCERNS]->(m)
}
CALL (d) {
  OPTIONAL MATCH (e:Event {event_id: d.event_id})
  WITH d, e WHERE e IS NOT NULL
  MERGE (d)-[:IN_CASE]->(e)
}
"""

ALL = """
MATCH (d:Decision)
RETURN d.decision_id AS decision_id, d.event_id AS event_id, d.account_id AS account_id,
       d.mcn_id AS mcn_id, d.tier AS tier, d.measure AS measure, d.note AS note,
       d.decided_at AS decided_at
ORDER BY d.seq
"""
