"""All the Cypher of the Neo4j store, one module per concern.

Query text holds labels, relationship types, property names and ``$parameter``
placeholders only; every value travels as a parameter, and bulk rows as a
list parameter consumed by ``UNWIND $rows AS row``.  Labels, types and
property names come from :mod:`pileon.graph.model` (fixed names), never from input.

* :mod:`pileon.graph.queries.schema` — uniqueness constraints and indexes (created on first use);
* :mod:`pileon.graph.queries.tables` — upserts, placeholders and reads of the input tables;
* :mod:`pileon.graph.queries.membership` — event membership (``IN_EVENT``);
* :mod:`pileon.graph.queries.findings` — analysis runs, ranked lists, findings written back
  into the graph for investigators;
* :mod:`pileon.graph.queries.decisions` — measures actually taken, and their audit trail;
* :mod:`pileon.graph.queries.alerts` — early-warning alerts stored per scope and key;
* :mod:`pileon.graph.queries.evidence` — the record of issued evidence packs;
* :mod:`pileon.graph.queries.counters` — monotone sequence numbers;
* :mod:`pileon.graph.queries.state` — facts about the store itself (an ingest in progress).
"""
