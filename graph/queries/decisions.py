"""Measures actually taken on accounts and MCNs (the risk model's next labels), and their
append-only audit trail.

``(:Decision)-[:CONCERNS]->(:Account|:MCN)`` and ``(:Decision)-[:IN_CASE]->(:Event)``
when those nodes exist, so investigators see decisions beside the findings.  A decision
made under an idempotency key carries ``request_key`` (the JSON of ``[decided_by, key]``,
unique: see :mod:`pileon.graph.queries.schema`), so two requests with one key make one
decision.  Every call leaves a ``(:DecisionAudit)`` node; no query here changes or deletes one.
"""

EXISTS = """
OPTIONAL MATCH (d:Decision {decision_id: $decision_id})
RETURN d IS NOT NULL AS found
"""

UPSERT = """
MERGE (d:Decision {decision_id: $decision_id})
SET d += $props
"""

#: create the decision of an idempotency key, or find the one made before; ``created``
#: tells which (the one made before keeps its own decision_id)
CLAIM = """
MERGE (d:Decision {request_key: $request_key})
ON CREATE SET d.decision_id = $decision_id, d += $props
RETURN d.decision_id AS decision_id, d.request_sha256 AS request_sha256,
       d.decision_id = $decision_id AS created
"""

LINK = """
MATCH (d:Decision {decision_id: $decision_id})
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

#: the decisions about one account (:meth:`Store.account_decisions`)
OF_ACCOUNT = """
MATCH (d:Decision)
WHERE d.account_id = $account_id
RETURN d.decision_id AS decision_id, d.event_id AS event_id, d.account_id AS account_id,
       d.mcn_id AS mcn_id, d.tier AS tier, d.measure AS measure, d.note AS note,
       d.decided_at AS decided_at, d.decided_by AS decided_by
ORDER BY d.seq
"""

ALL = """
MATCH (d:Decision)
RETURN d.decision_id AS decision_id, d.event_id AS event_id, d.account_id AS account_id,
       d.mcn_id AS mcn_id, d.tier AS tier, d.measure AS measure, d.note AS note,
       d.decided_at AS decided_at, d.decided_by AS decided_by
ORDER BY d.seq
"""

AUDIT = """
CREATE (a:DecisionAudit)
SET a = $props
"""

AUDIT_ALL = """
MATCH (a:DecisionAudit)
RETURN a.seq AS seq, a.at AS at, a.action AS action, a.decision_id AS decision_id,
       a.decided_by AS decided_by, a.idempotency_key AS idempotency_key,
       a.request_sha256 AS request_sha256, a.decision AS decision
ORDER BY a.seq
"""
