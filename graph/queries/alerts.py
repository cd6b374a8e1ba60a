"""Early-warning alerts (SPEC §6), stored when data lands, per scope and key.

``scope`` is ``""`` for the whole store or an event ID (counting only its contents);
``key`` names a target or an event (see :mod:`pileon.service.alerts`)::

    (:Alert {scope, key, seq, target_id, event_id, grp, score, began_ns, body})
        -[:ALERT_ON]->(:Account)      a target's alert
        -[:ALERT_OF]->(:Event)        an event's alert (target_id null)
    (:AlertDigest {scope, key, digest})

``body`` is the alert's JSON; ``grp``, ``score``, ``began_ns``, ``key`` and ``seq`` give
the order of the lists.  A key's digest says what its alerts were computed from; the
digest of the key ``$marker`` (the empty key) marks a completed pass over the scope.
A pass replaces the alerts and digests of the keys it recomputed in one transaction.
"""

DIGESTS = """
MATCH (d:AlertDigest {scope: $scope})
RETURN d.key AS key, d.digest AS digest
"""

MARKER = """
MATCH (d:AlertDigest {scope: $scope, key: $marker})
RETURN count(d) AS n
"""

REMOVE_SCOPE = """
MATCH (a:Alert {scope: $scope})
DETACH DELETE a
"""

REMOVE_SCOPE_DIGESTS = """
MATCH (d:AlertDigest {scope: $scope})
DELETE d
"""

REMOVE_KEYS = """
MATCH (a:Alert {scope: $scope})
WHERE a.key IN $keys
DETACH DELETE a
"""

REMOVE_DIGEST_KEYS = """
MATCH (d:AlertDigest {scope: $scope})
WHERE d.key IN $keys
DELETE d
"""

ADD = """
UNWIND $rows AS row
CREATE (a:Alert {scope: $scope, key: row.key, seq: row.seq, target_id: row.target_id,
                 event_id: row.event_id, grp: row.grp, score: row.score,
                 began_ns: row.began_ns, body: row.body})
WITH a, row
CALL (a, row) {
  OPTIONAL MATCH (t:Account {account_id: row.target_id})
  WITH a, t WHERE t IS NOT NULL
  CREATE (a)-[:ALERT_ON]->(t)
}
CALL (a, row) {
  OPTIONAL MATCH (e:Event {event_id: row.event_id})
  WITH a, e WHERE e IS NOT NULL AND row.target_id IS NULL
  CREATE (a)-[:ALERT_OF]->(e)
}
"""

SET_DIGESTS = """
UNWIND $rows AS row
CREATE (:AlertDigest {scope: $scope, key: row.key, digest: row.digest})
"""

READ_SCOPE = """
MATCH (a:Alert {scope: $scope})
RETURN a.body AS body
ORDER BY a.grp, a.score DESC, a.began_ns, a.key, a.seq
SKIP $offset
LIMIT $limit
"""

READ_TARGET = """
MATCH (a:Alert {scope: $scope, target_id: $target_id})
RETURN a.body AS body
ORDER BY a.grp, a.score DESC, a.began_ns, a.key, a.seq
SKIP $offset
LIMIT $limit
"""
