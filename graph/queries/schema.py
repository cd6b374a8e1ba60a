"""Uniqueness constraints and indexes of the Neo4j store.

All statements are idempotent (``IF NOT EXISTS``): the store runs them when it
is first opened on a database, then waits for the indexes to come online.
Uniqueness constraints are the Community edition's kind (node key and
existence constraints need Enterprise); each also backs a range index used
by ``MERGE`` and by ``WHERE … IN $ids`` reads.
"""

CONSTRAINTS = (
    "CREATE CONSTRAINT pileon_account IF NOT EXISTS FOR (n:Account) REQUIRE n.account_id IS UNIQUE",
    "CREATE CONSTRAINT pileon_mcn IF NOT EXISTS FOR (n:MCN) REQUIRE n.mcn_id IS UNIQUE",
    "CREATE CONSTRAINT pileon_event IF NOT EXISTS FOR (n:Event) REQUIRE n.event_id IS UNIQUE",
    # contents and reposts share one ID space (reposts are contents too)
    "CREATE CONSTRAINT pileon_content IF NOT EXISTS FOR (n:Content) REQUIRE n.content_id IS UNIQUE",
    "CREATE CONSTRAINT pileon_report IF NOT EXISTS FOR (n:Report) REQUIRE n.report_id IS UNIQUE",
    "CREATE CONSTRAINT pileon_rename IF NOT EXISTS FOR (n:Rename) REQUIRE n.rename_key IS UNIQUE",
    "CREATE CONSTRAINT pileon_venue IF NOT EXISTS FOR (n:Venue) REQUIRE n.venue_id IS UNIQUE",
    "CREATE CONSTRAINT pileon_moderation IF NOT EXISTS "
    "FOR (n:Moderation) REQUIRE n.action_id IS UNIQUE",
    "CREATE CONSTRAINT pileon_run IF NOT EXISTS FOR (n:Run) REQUIRE n.run_id IS UNIQUE",
    "CREATE CONSTRAINT pileon_decision IF NOT EXISTS "
    "FOR (n:Decision) REQUIRE n.decision_id IS UNIQUE",
    # one decision per (decided_by, idempotency key): MERGE on it is atomic
    "CREATE CONSTRAINT pileon_decision_request IF NOT EXISTS "
    "FOR (n:Decision) REQUIRE n.request_key IS UNIQUE",
    "CREATE CONSTRAINT pileon_decision_audit IF NOT EXISTS "
    "FOR (n:DecisionAudit) REQUIRE n.seq IS UNIQUE",
    "CREATE CONSTRAINT pileon_evidence_issue IF NOT EXISTS "
    "FOR (n:EvidenceIssue) REQUIRE n.seq IS UNIQUE",
    "CREATE CONSTRAINT pileon_cluster IF NOT EXISTS "
    "FOR (n:Cluster) REQUIRE n.cluster_key IS UNIQUE",
    "CREATE CONSTRAINT pileon_narrative IF NOT EXISTS "
    "FOR (n:Narrative) REQUIRE n.narrative_key IS UNIQUE",
    "CREATE CONSTRAINT pileon_counter IF NOT EXISTS FOR (n:PileonCounter) REQUIRE n.name IS UNIQUE",
    "CREATE CONSTRAINT pileon_state IF NOT EXISTS FOR (n:PileonState) REQUIRE n.name IS UNIQUE",
)

INDEXES = (
    # (contents and reposts by author, reposts by source: the (column, key) indexes below,
    # whose first property serves them; one index less to populate and to maintain each)
    "CREATE INDEX pileon_repost_id IF NOT EXISTS FOR (n:Repost) ON (n.repost_id)",
    "CREATE INDEX pileon_rename_account IF NOT EXISTS FOR (n:Rename) ON (n.account_id)",
    "CREATE INDEX pileon_report_content IF NOT EXISTS FOR (n:Report) ON (n.content_id)",
    "CREATE INDEX pileon_report_account IF NOT EXISTS FOR (n:Report) ON (n.account_id)",
    "CREATE INDEX pileon_account_identity IF NOT EXISTS FOR (n:Account) ON (n.identity_key)",
    # accounts by name: the accounts a text @-mentions (alerts)
    "CREATE INDEX pileon_account_name IF NOT EXISTS FOR (n:Account) ON (n.name)",
    "CREATE INDEX pileon_content_venue IF NOT EXISTS FOR (n:Content) ON (n.venue_id)",
    "CREATE INDEX pileon_moderation_content IF NOT EXISTS FOR (n:Moderation) ON (n.content_id)",
    "CREATE INDEX pileon_moderation_account IF NOT EXISTS FOR (n:Moderation) ON (n.account_id)",
    "CREATE INDEX pileon_moderation_venue IF NOT EXISTS FOR (n:Moderation) ON (n.venue_id)",
    "CREATE INDEX pileon_moderation_report IF NOT EXISTS FOR (n:Moderation) ON (n.report_id)",
    "CREATE INDEX pileon_run_event IF NOT EXISTS FOR (n:Run) ON (n.event_id, n.seq)",
    "CREATE INDEX pileon_ranked_rank IF NOT EXISTS "
    "FOR (n:RankedItem) ON (n.run_id, n.kind, n.rank)",
    "CREATE INDEX pileon_ranked_item IF NOT EXISTS FOR (n:RankedItem) ON (n.item_id)",
    # the rows of one run's view, found to delete it in batches once another replaced it
    "CREATE INDEX pileon_finding_run IF NOT EXISTS FOR ()-[r:FINDING]-() ON (r.run_id)",
    "CREATE INDEX pileon_mcn_finding_run IF NOT EXISTS FOR ()-[r:MCN_FINDING]-() ON (r.run_id)",
    "CREATE INDEX pileon_venue_finding_run IF NOT EXISTS FOR ()-[r:VENUE_FINDING]-() ON (r.run_id)",
    "CREATE INDEX pileon_cluster_run IF NOT EXISTS FOR (n:Cluster) ON (n.run_id)",
    "CREATE INDEX pileon_narrative_run IF NOT EXISTS FOR (n:Narrative) ON (n.run_id)",
    "CREATE INDEX pileon_decision_seq IF NOT EXISTS FOR (n:Decision) ON (n.seq)",
    "CREATE INDEX pileon_evidence_seal IF NOT EXISTS FOR (n:EvidenceIssue) ON (n.seal)",
    "CREATE INDEX pileon_alert_target IF NOT EXISTS FOR (n:Alert) ON (n.scope, n.target_id)",
    "CREATE INDEX pileon_alert_key IF NOT EXISTS FOR (n:Alert) ON (n.scope, n.key)",
    "CREATE INDEX pileon_alert_digest IF NOT EXISTS FOR (n:AlertDigest) ON (n.scope, n.key)",
    # a foreign key with the table's key after it: the first rows of one ID in key order
    # are an index walk that stops there (Store.linked; the reads name them in a hint);
    # the rows of some IDs are a seek on its first property (tables._where)
    "CREATE INDEX pileon_repost_source_key IF NOT EXISTS FOR (n:Repost) ON (n.source_id, n.repost_id)",
    "CREATE INDEX pileon_repost_account_key IF NOT EXISTS "
    "FOR (n:Repost) ON (n.account_id, n.repost_id)",
    "CREATE INDEX pileon_content_account_key IF NOT EXISTS "
    "FOR (n:Content) ON (n.account_id, n.content_id)",
    "CREATE INDEX pileon_content_reply_key IF NOT EXISTS "
    "FOR (n:Content) ON (n.reply_to, n.content_id)",
    # the rows of the relationship tables, found by key
    "CREATE INDEX pileon_affiliation_key IF NOT EXISTS "
    "FOR ()-[r:AFFILIATED_WITH]-() ON (r.affiliation_key)",
    "CREATE INDEX pileon_label_key IF NOT EXISTS FOR ()-[r:LABELLED]-() ON (r.label_key)",
)

#: names of the indexes (a uniqueness constraint's index has the constraint's name),
#: to tell whether a database is set up already
SHOW_NAMES = "SHOW INDEXES YIELD name RETURN name"

AWAIT_INDEXES = "CALL db.awaitIndexes($seconds)"
