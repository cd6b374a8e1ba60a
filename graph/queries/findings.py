"""Analysis runs and the findings written back into the graph.

Two layers:

* the record, one per ``analyze`` run and never changed afterwards:
  ``(:Run {run_id, event_id, seq, generated_at, report, complete})-[:OF_EVENT]->(:Event)``
  and one ``(:RankedItem {run_id, kind, rank, item_id, tier, roles, item})`` per
  ranked entry (``item`` is the entry's JSON), read by the API's paged lists;
* the investigator's view of the event's *latest* run, keyed by its run::

    (:Account)-[:FINDING {run_id, rank, score, tier, roles, refer, priority,
                          cluster_id, mcn_ids, evidence}]->(:Event)
    (:Account)-[:MEMBER_OF]->(:Cluster {cluster_id, event_id, run_id, score, size})
        -[:CLUSTER_OF]->(:Event)
    (:MCN)-[:MCN_FINDING {run_id, rank, score, measures, accounts, evidence}]->(:Event)
    (:Narrative {narrative_id, event_id, run_id, size, harmful, platforms, first_poster})
        -[:NARRATIVE_OF]->(:Event), (:Narrative)-[:STARTED_WITH]->(:Content)
    (:Venue)-[:VENUE_FINDING {run_id, rank, score, items, harmful, measures, named_after,
                              created_during_event, anonymous_board, evidence}]->(:Event)

and on each ``(:Account)`` with a finding in the current view of some event, a summary
over those events for styling and filtering in Browser: ``max_tier``, ``max_score``,
``roles`` (in the order of :data:`pileon.graph.model.ROLES`) and ``finding_events``.

A save writes, in batches of its own transactions each: the run with ``complete =
false``, its items, and its view (every row carrying the run's ID).  One small
transaction (:data:`SWITCH_VIEW`) then makes the run complete and its view the event's
current one, ``(:Event {view_run})``; readers of a view read ``view_run`` once and match
only the relationships and nodes whose ``run_id`` is that run, so that during a save they
see the previous complete view, never a half-written one.  After the switch, the account
summaries are recomputed in batches; then, once the transactions that were running at the
switch have ended (they may be reading the replaced view; Neo4j reads are read-committed,
and ``SHOW TRANSACTIONS`` lists those of the store's user), the replaced view is deleted
in batches; the replaced
view stays listed in ``(:Event {stale_views})`` until its deletion ends, and the next save
of the event finishes what an interrupted one left (its incomplete run's items and
partial view, a stale view).
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

#: the runs of the event left incomplete by an interrupted save (their items and partial
#: views are dropped in batches, then the run itself by :data:`DROP_RUN`)
INCOMPLETE_RUNS = """
MATCH (r:Run {event_id: $event_id})
WHERE NOT r.complete
RETURN r.run_id AS run_id
ORDER BY r.seq
"""

#: views of the event that a switch replaced but whose deletion did not finish
STALE_VIEWS = """
MATCH (e:Event {event_id: $event_id})
RETURN coalesce(e.stale_views, []) AS runs
"""

DROP_RUN = """
MATCH (r:Run {run_id: $run_id})
WHERE NOT r.complete
DETACH DELETE r
"""

# Deletions in batches: each removes at most $limit rows of one run and returns how many
# it removed; the caller repeats it until fewer than $limit are left.

DROP_ITEMS = """
MATCH (i:RankedItem)
WHERE i.run_id = $run_id AND i.kind IS NOT NULL AND i.rank IS NOT NULL
WITH i LIMIT $limit
DETACH DELETE i
RETURN count(*) AS n
"""

DROP_FINDINGS = """
MATCH ()-[f:FINDING {run_id: $run_id}]->()
WITH f LIMIT $limit
DELETE f
RETURN count(*) AS n
"""

DROP_MCN_FINDINGS = """
MATCH ()-[f:MCN_FINDING {run_id: $run_id}]->()
WITH f LIMIT $limit
DELETE f
RETURN count(*) AS n
"""

DROP_VENUE_FINDINGS = """
MATCH ()-[f:VENUE_FINDING {run_id: $run_id}]->()
WITH f LIMIT $limit
DELETE f
RETURN count(*) AS n
"""

DROP_MEMBERS = """
MATCH (:Cluster {run_id: $run_id})<-[m:MEMBER_OF]-()
WITH m LIMIT $limit
DELETE m
RETURN count(*) AS n
"""

#: (after :data:`DROP_MEMBERS`: a cluster has one relationship left, ``CLUSTER_OF``)
DROP_CLUSTERS = """
MATCH (c:Cluster {run_id: $run_id})
WITH c LIMIT $limit
DETACH DELETE c
RETURN count(*) AS n
"""

DROP_NARRATIVES = """
MATCH (x:Narrative {run_id: $run_id})
WITH x LIMIT $limit
DETACH DELETE x
RETURN count(*) AS n
"""

#: the deletions of one run's view, in this order
DROP_VIEW = (
    DROP_FINDINGS,
    DROP_MCN_FINDINGS,
    DROP_VENUE_FINDINGS,
    DROP_MEMBERS,
    DROP_CLUSTERS,
    DROP_NARRATIVES,
)

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
                   size: row.size, evidence: row.evidence})-[:CLUSTER_OF]->(e)
"""

#: rows ``{cluster_key, account_id}``: the clusters' members, after :data:`VIEW_CLUSTERS`
VIEW_MEMBERS = """
UNWIND $rows AS row
MATCH (c:Cluster {cluster_key: row.cluster_key})
MATCH (a:Account {account_id: row.account_id})
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

#: the switch, one small transaction: the run becomes complete (the API's latest run)
#: and its view the event's current one; the view it replaces is listed as stale until
#: its batched deletion ends (:data:`VIEW_DROPPED`).  Returns the stale views.
SWITCH_VIEW = """
MATCH (e:Event {event_id: $event_id})
MATCH (r:Run {run_id: $run_id})
WITH e, r, coalesce(e.stale_views, [])
     + CASE WHEN e.view_run IS NULL THEN [] ELSE [e.view_run] END AS listed
WITH e, r, [x IN listed WHERE x <> $run_id] AS stale
SET r.complete = true, e.view_run = $run_id,
    e.stale_views = CASE WHEN size(stale) = 0 THEN null ELSE stale END
RETURN stale
"""

#: the transactions running now (this one included): those running at a switch may
#: still read the view it replaced, which is deleted once they have ended
RUNNING_TRANSACTIONS = """
SHOW TRANSACTIONS YIELD transactionId AS id
RETURN id
"""

VIEW_DROPPED = """
MATCH (e:Event {event_id: $event_id})
WITH e, [x IN coalesce(e.stale_views, []) WHERE x <> $run_id] AS stale
SET e.stale_views = CASE WHEN size(stale) = 0 THEN null ELSE stale END
"""

#: the accounts of one run's view (the accounts whose summary a switch may change)
VIEW_ACCOUNT_IDS = """
MATCH (a:Account)-[:FINDING {run_id: $run_id}]->()
RETURN a.account_id AS account_id
"""

#: recompute the summaries of the accounts ``$account_ids`` (one batch) over the
#: current views of every event
ACCOUNT_SUMMARY = """
UNWIND $account_ids AS account_id
MATCH (a:Account {account_id: account_id})
OPTIONAL MATCH (a)-[f:FINDING]->(e:Event)
WHERE f.run_id = e.view_run
WITH a, max(f.tier) AS tier, max(f.score) AS score, collect(e.event_id) AS events,
     reduce(all = [], l IN collect(f.roles) | all + l) AS all_roles
WITH a, tier, score, events, [r IN $role_order WHERE r IN all_roles] AS roles
SET a.max_tier = tier, a.max_score = score,
    a.finding_events = CASE WHEN size(events) = 0 THEN null ELSE events END,
    a.roles = CASE WHEN size(roles) = 0 THEN null ELSE roles END
"""

#: stores written before views were keyed by run: an event's view is its latest
#: complete run's (the only one such stores kept)
ADOPT_VIEWS = """
MATCH (e:Event)
WHERE e.view_run IS NULL
CALL (e) {
  MATCH (r:Run {event_id: e.event_id})
  WHERE r.complete
  RETURN r.run_id AS run_id
  ORDER BY r.seq DESC
  LIMIT 1
}
SET e.view_run = run_id
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

#: a page of a run's ranked list; ordered by the whole key of the (run_id, kind, rank)
#: index (the same order, both leading keys being fixed) so that the index gives the order
#: and the page stops after ``$limit`` items: ``ORDER BY i.rank`` alone read and sorted the
#: whole list (264,769 items, 190-330 ms a page, on the 1M-repost sample)
RANKED = """
MATCH (i:RankedItem)
WHERE i.run_id = $run_id AND i.kind = $kind AND i.rank > $after
  AND ($min_tier IS NULL OR i.tier >= $min_tier)
  AND ($role IS NULL OR $role IN i.roles)
RETURN i.item AS item
ORDER BY i.run_id, i.kind, i.rank
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
