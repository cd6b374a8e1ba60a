"""Analysis runs and the findings written back into the graph.

Two layers:

* the record, one per ``analyze`` run and never changed afterwards:
  ``(:Run {run_id, event_id, seq, generated_at, report, complete})-[:OF_EVENT]->(:Event)``
  and one ``(:RankedItem {run_id, kind, rank, item_id, tier, roles, item})`` per
  ranked entry (``item`` is the entry's JSON), read by the API's paged lists;
* the investigator's view of the event's *latest* run, replaced in one
  transaction when a run completes::

    (:Account)-[:FINDING {run_id, rank, score, tier, roles, refer, priority,
                          cluster_id, mcn_ids, evidence}]->(:Event)
    (:Account)-[:MEMBER_OF]->(:Cluster {cluster_id, event_id, score, size})-[:CLUSTER_OF]->(:Event)
    (:MCN)-[:MCN_FINDING {run_id, rank, score, measures, accounts, evidence}]->(:Event)
    (:Narrative {narrative_id, event_id, size, harmful, platforms, first_poster})
        -[:NARRATIVE_OF]->(:Event), (:Narrative)-[:STARTED_WITH]->(:Content)
    (:Venue)-[:VENUE_FINDING {run_id, rank, score, items, harmful, measures, named_after,
                              created_during_event, anonymous_board, evidence}]->(:Event)

and on each ``(:Account)`` with a finding in the latest run of some event, a summary
over those events for styling and filtering in Browser: ``max_tier``, ``max_score``,
``roles`` (in the order of :data:`pileon.graph.model.ROLES`) and ``finding_events``.

A run is written first with ``complete = false`` and becomes visible when
it is complete, so an interrupted save leaves no half run behind in reads.
"""

CREATE_RUN = """
MERGE (e:Event {event_id: $event_id})
CREATE (r:Run {run_id: $run_id, event_id: $event_id, generated_at: $generated_at,
               seq: $seq, report: $report, complete: false})-[:OF_EVENT]->(e)
"""

ADD_ITEMS = """
UNWIND $rows AS row
CREATE (:RankedItem {run_id: $run_id, kind: row.kind, rank: row.rank, item_id: row.item_id,
                     tier: row.tier, roles: row.roles, item: row.item})
"""

#: runs of the event left incomplete by an interrupted save, and their items
DROP_INCOMPLETE = """
MATCH (r:Run {event_id: $event_id})
WHERE NOT r.complete
OPTIONAL MATCH (i:RankedItem {run_id: r.run_id})
DETACH DELETE r, i
"""

CLEAR_VIEW = """
MATCH (e:Event {event_id: $event_id})
CALL (e) {
  OPTIONAL MATCH (:Account)-[f:FINDING]->(e)
  DELETE f
}
CALL (e) {
  OPTIONAL MATCH (:MCN)-[f:MCN_FINDING]->(e)
  DELETE f
}
CALL (e) {
  OPTIONAL MATCH (c:Cluster)-[:CLUSTER_OF]->(e)
  DETACH DELETE c
}
CALL (e) {
  OPTIONAL MATCH (x:Narrative)-[:NARRATIVE_OF]->(e)
  DETACH DELETE x
}
CALL (e) {
  OPTIONAL MATCH (:Venue)-[f:VENUE_FINDING]->(e)
  DELETE f
}
"""

VIEW_ACCOUNTS = """
MATCH (e:Event {event_id: $event_id})
UNWIND $rows AS row
MATCH (a:Account {account_id: row.account_id})
CREATE (a)-[:FINDING {run_id: $run_id, rank: row.rank, score: row.score, tier: row.tier,
                      roles: row.roles, refer: row.refer, priority: row.priority,
                      cluster_id: row.cluster_id, mcn_ids: row.mcn_ids,
                      evidence: row.evidence}]->(e)
"""

VIEW_CLUSTERS = """
MATCH (e:Event {event_id: $event_id})
UNWIND $rows AS row
CREATE (c:Cluster {cluster_key: row.cluster_key, cluster_id: row.cluster_id,
                   event_id: $event_id, run_id: $run_id, score: row.score,
                   size: size(row.accounts), evidence: row.evidence})-[:CLUSTER_OF]->(e)
WITH c, row
UNWIND row.accounts AS account_id
MATCH (a:Account {account_id: account_id})
CREATE (a)-[:MEMBER_OF]->(c)
"""

VIEW_MCNS = """
MATCH (e:Event {event_id: $event_id})
UNWIND $rows AS row
MATCH (m:MCN {mcn_id: row.mcn_id})
CREATE (m)-[:MCN_FINDING {run_id: $run_id, rank: row.rank, score: row.score,
                          measures: row.measures, accounts: row.accounts,
                          evidence: row.evidence}]->(e)
"""

VIEW_NARRATIVES = """
MATCH (e:Event {event_id: $event_id})
UNWIND $rows AS row
CREATE (x:Narrative {narrative_key: row.narrative_key, narrative_id: row.narrative_id,
                     event_id: $event_id, run_id: $run_id, first_poster: row.first_poster,
                     first_content_id: row.first_content_id, platforms: row.platforms,
                     size: row.size, harmful: row.harmful})-[:NARRATIVE_OF]->(e)
WITH x, row
MATCH (c:Content {content_id: row.first_content_id})
CREATE (x)-[:STARTED_WITH]->(c)
"""

VIEW_VENUES = """
MATCH (e:Event {event_id: $event_id})
UNWIND $rows AS row
MATCH (v:Venue {venue_id: row.venue_id})
CREATE (v)-[:VENUE_FINDING {run_id: $run_id, rank: row.rank, score: row.score,
                            items: row.items, harmful: row.harmful, measures: row.measures,
                            named_after: row.named_after,
                            created_during_event: row.created_during_event,
                            anonymous_board: row.anonymous_board,
                            evidence: row.evidence}]->(e)
"""

#: recompute the account summaries touched by a new view of one event
ACCOUNT_SUMMARY = """
MATCH (a:Account)
WHERE a.account_id IN $account_ids OR $event_id IN coalesce(a.finding_events, [])
OPTIONAL MATCH (a)-[f:FINDING]->(e:Event)
WITH a, max(f.tier) AS tier, max(f.score) AS score, collect(e.event_id) AS events,
     reduce(all = [], l IN collect(f.roles) | all + l) AS all_roles
WITH a, tier, score, events, [r IN $role_order WHERE r IN all_roles] AS roles
SET a.max_tier = tier, a.max_score = score,
    a.finding_events = CASE WHEN size(events) = 0 THEN null ELSE events END,
    a.roles = CASE WHEN size(roles) = 0 THEN null ELSE roles END
"""

COMPLETE_RUN = """
MATCH (r:Run {run_id: $run_id})
SET r.complete = true
"""

LATEST_RUN = """
MATCH (r:Run {event_id: $event_id})
WHERE r.complete
RETURN r.run_id AS run_id
ORDER BY r.seq DESC
LIMIT 1
"""

REPORT = """
MATCH (r:Run {run_id: $run_id})
WHERE r.complete
RETURN r.report AS report
"""

RANKED = """
MATCH (i:RankedItem)
WHERE i.run_id = $run_id AND i.kind = $kind AND i.rank > $after
  AND ($min_tier IS NULL OR i.tier >= $min_tier)
  AND ($role IS NULL OR $role IN i.roles)
RETURN i.item AS item
ORDER BY i.rank
LIMIT $limit
"""

ACCOUNT_FINDINGS = """
MATCH (r:Run)
WHERE r.complete
WITH r.event_id AS event_id, max(r.seq) AS seq
MATCH (r:Run {event_id: event_id, seq: seq})
MATCH (i:RankedItem {item_id: $account_id})
WHERE i.run_id = r.run_id AND i.kind = $kind
RETURN event_id, r.run_id AS run_id, i.item AS item
ORDER BY event_id
"""

#: :data:`ACCOUNT_FINDINGS` of every account of ``$ids`` at once
ACCOUNTS_FINDINGS = """
MATCH (r:Run)
WHERE r.complete
WITH r.event_id AS event_id, max(r.seq) AS seq
MATCH (r:Run {event_id: event_id, seq: seq})
WITH collect(r.run_id) AS runs
UNWIND $ids AS id
MATCH (i:RankedItem {item_id: id})
WHERE i.run_id IN runs AND i.kind = $kind
MATCH (r:Run {run_id: i.run_id})
RETURN id AS account_id, r.event_id AS event_id, r.run_id AS run_id, i.item AS item
"""
