"""The input tables of SPEC §2 as a property graph: upserts, placeholders, reads.

How each table is stored (see :mod:`pileon.graph.model` for the picture)::

    accounts      (:Account {account_id, …})
    mcns          (:MCN {mcn_id, …})
    events        (:Event {event_id, …})-[:TARGETS]->(:Account)
    contents      (:Content {content_id, …}); (:Account)-[:POSTED]->(:Content),
                  (:Content)-[:REPLY_TO]->(:Content), (:Content)-[:TARGETS]->(:Account)
    reposts       (:Content:Repost {content_id = repost_id, repost_id, …});
                  (:Account)-[:POSTED]->(:Repost)-[:REPOST_OF]->(:Content)
    renames       (:Account)-[:RENAMED]->(:Rename {account_id, new_name, renamed_at, …})
    affiliations  (:Account)-[:AFFILIATED_WITH {since, until, role, …}]->(:MCN)
    reports       (:Report {report_id, …}); (:Account)-[:FILED]->(:Report),
                  (:Report)-[:ABOUT]->(:Content), (:Report)-[:ABOUT]->(:Account)
    labels        (:Account)-[:LABELLED {tier, …}]->(:Event)
    venues        (:Venue {venue_id, …}); (:Account)-[:CREATED]->(:Venue),
                  (:Account)-[:HOSTS]->(:Venue); contents.venue_id: (:Content)-[:POSTED_IN]->(:Venue)
    moderation    (:Moderation {action_id, …})-[:ACTS_ON]->(:Content|:Account|:Venue),
                  (:Moderation)-[:ANSWERS]->(:Report) (the report it names, when loaded)

Every column is also a property (foreign keys included), so a table reads
back from properties alone; relationships are kept in step with them on
every upsert (stale ones deleted, current ones merged) for traversal and
for investigators browsing the graph.

A node that something points at but that was neither loaded nor made a
placeholder has no ``placeholder`` property: it is *dangling* and belongs to
no table (``missing_ids`` reports it, ``create_placeholders`` adopts it).
Loaded nodes have ``placeholder = false``, placeholders ``true``.

Times are stored as Neo4j ``DATETIME`` values in UTC and read back as ISO-8601
text (``toString``), which keeps nanoseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pileon.graph.model import TABLES, ColType, stored_columns

# --------------------------------------------------------------------- upserts
# ``row.key`` is the merge key (a composite key is pre-joined by the store),
# ``row.props`` the stored columns present in the upserted frame but its times,
# ``row.times`` those times as ISO-8601 text, which ``datetime()`` turns into
# DATETIME values on the server ({times} in a template; see :func:`upsert_query`).
#
# Relationships that follow a column are deleted from the upserted node's side
# and CREATEd again, never MERGEd: a MERGE between two nodes checks for an
# existing relationship by expanding one of them, and when that node gained
# thousands of relationships in the same transaction (the source of a viral
# cascade, the person under attack) each check walks them all, which made one
# batch take minutes.  The store sends each key once per batch, so CREATE
# makes no duplicates.

_POSTED = """
CALL (n) {
  OPTIONAL MATCH (n)<-[old:POSTED]-()
  DELETE old
}
CALL (n) {
  WITH n WHERE n.account_id IS NOT NULL
  MERGE (a:Account {account_id: n.account_id})
  CREATE (a)-[:POSTED]->(n)
}
"""

_TARGETS = """
CALL (n) {
  OPTIONAL MATCH (n)-[old:TARGETS]->()
  DELETE old
}
CALL (n) {
  UNWIND coalesce(n.target_ids, []) AS tid
  WITH DISTINCT n, tid
  MERGE (t:Account {account_id: tid})
  CREATE (n)-[:TARGETS]->(t)
}
"""


def _relationship_upsert(rel: str, key: str, start: tuple[str, str], end: tuple[str, str]) -> str:
    """The upsert of a table stored as a relationship ``(start)-[rel]->(end)``: the row's
    relationship is found by its ``key`` property (a relationship index), created when
    missing, then updated in place.  Built from the model's fixed names only."""
    (s_label, s_key), (e_label, e_key) = start, end
    return f"""
UNWIND $rows AS row
MERGE (a:{s_label} {{{s_key}: row.{s_key}}})
MERGE (b:{e_label} {{{e_key}: row.{e_key}}})
WITH a, b, row
OPTIONAL MATCH ()-[old:{rel} {{{key}: row.key}}]->()
FOREACH (_ IN CASE WHEN old IS NULL THEN [1] ELSE [] END |
  CREATE (a)-[:{rel} {{{key}: row.key}}]->(b))
WITH row
MATCH ()-[n:{rel} {{{key}: row.key}}]->()
SET n += row.props{{times}}
"""


_UPSERT = {
    "accounts": """
UNWIND $rows AS row
MERGE (n:Account {account_id: row.key})
SET n += row.props{times}
""",
    "mcns": """
UNWIND $rows AS row
MERGE (n:MCN {mcn_id: row.key})
SET n += row.props{times}
""",
    "events": """
UNWIND $rows AS row
MERGE (n:Event {event_id: row.key})
SET n += row.props{times}, n.placeholder = false
WITH n
"""
    + _TARGETS,
    "contents": """
UNWIND $rows AS row
MERGE (n:Content {content_id: row.key})
SET n += row.props{times}
WITH n
"""
    + _POSTED
    + """
CALL (n) {
  OPTIONAL MATCH (n)-[old:REPLY_TO]->()
  DELETE old
}
CALL (n) {
  WITH n WHERE n.reply_to IS NOT NULL
  MERGE (p:Content {content_id: n.reply_to})
  CREATE (n)-[:REPLY_TO]->(p)
}
CALL (n) {
  OPTIONAL MATCH (n)-[old:POSTED_IN]->()
  DELETE old
}
CALL (n) {
  WITH n WHERE n.venue_id IS NOT NULL
  MERGE (v:Venue {venue_id: n.venue_id})
  CREATE (n)-[:POSTED_IN]->(v)
}
"""
    + _TARGETS,
    "reposts": """
UNWIND $rows AS row
MERGE (n:Content {content_id: row.key})
SET n:Repost, n += row.props{times}, n.repost_id = row.key, n.placeholder = false
WITH n
"""
    + _POSTED
    + """
CALL (n) {
  OPTIONAL MATCH (n)-[old:REPOST_OF]->()
  DELETE old
}
CALL (n) {
  MERGE (p:Content {content_id: n.source_id})
  CREATE (n)-[:REPOST_OF]->(p)
}
""",
    "renames": """
UNWIND $rows AS row
MERGE (n:Rename {rename_key: row.key})
SET n += row.props{times}
WITH n
CALL (n) {
  OPTIONAL MATCH (n)<-[old:RENAMED]-()
  DELETE old
}
CALL (n) {
  MERGE (a:Account {account_id: n.account_id})
  CREATE (a)-[:RENAMED]->(n)
}
""",
    # relationship tables (affiliations, labels) come from _relationship_upsert below
    "reports": """
UNWIND $rows AS row
MERGE (n:Report {report_id: row.key})
SET n += row.props{times}
WITH n
CALL (n) {
  OPTIONAL MATCH (n)<-[old:FILED]-()
  DELETE old
}
CALL (n) {
  OPTIONAL MATCH (n)-[old:ABOUT]->()
  DELETE old
}
CALL (n) {
  WITH n WHERE n.reporter_id IS NOT NULL
  MERGE (a:Account {account_id: n.reporter_id})
  CREATE (a)-[:FILED]->(n)
}
CALL (n) {
  WITH n WHERE n.content_id IS NOT NULL
  MERGE (c:Content {content_id: n.content_id})
  CREATE (n)-[:ABOUT]->(c)
}
CALL (n) {
  WITH n WHERE n.account_id IS NOT NULL
  MERGE (a:Account {account_id: n.account_id})
  CREATE (n)-[:ABOUT]->(a)
}
CALL (n) {
  OPTIONAL MATCH (m:Moderation {report_id: n.report_id})
  WITH n, m WHERE m IS NOT NULL AND NOT (m)-[:ANSWERS]->(n)
  CREATE (m)-[:ANSWERS]->(n)
}
""",
    "venues": """
UNWIND $rows AS row
MERGE (n:Venue {venue_id: row.key})
SET n += row.props{times}
WITH n
CALL (n) {
  OPTIONAL MATCH (n)<-[old:CREATED|HOSTS]-()
  DELETE old
}
CALL (n) {
  WITH n WHERE n.creator_id IS NOT NULL
  MERGE (a:Account {account_id: n.creator_id})
  CREATE (a)-[:CREATED]->(n)
}
CALL (n) {
  WITH n WHERE n.host_id IS NOT NULL
  MERGE (a:Account {account_id: n.host_id})
  CREATE (a)-[:HOSTS]->(n)
}
""",
    "moderation": """
UNWIND $rows AS row
MERGE (n:Moderation {action_id: row.key})
SET n += row.props{times}
WITH n
CALL (n) {
  OPTIONAL MATCH (n)-[old:ACTS_ON|ANSWERS]->()
  DELETE old
}
CALL (n) {
  WITH n WHERE n.content_id IS NOT NULL
  MERGE (c:Content {content_id: n.content_id})
  CREATE (n)-[:ACTS_ON]->(c)
}
CALL (n) {
  WITH n WHERE n.account_id IS NOT NULL
  MERGE (a:Account {account_id: n.account_id})
  CREATE (n)-[:ACTS_ON]->(a)
}
CALL (n) {
  WITH n WHERE n.venue_id IS NOT NULL
  MERGE (v:Venue {venue_id: n.venue_id})
  CREATE (n)-[:ACTS_ON]->(v)
}
CALL (n) {
  WITH n WHERE n.report_id IS NOT NULL
  OPTIONAL MATCH (r:Report {report_id: n.report_id})
  WITH n, r WHERE r IS NOT NULL
  CREATE (n)-[:ANSWERS]->(r)
}
""",
}
_UPSERT["affiliations"] = _relationship_upsert(
    "AFFILIATED_WITH", "affiliation_key", ("Account", "account_id"), ("MCN", "mcn_id")
)
_UPSERT["labels"] = _relationship_upsert(
    "LABELLED", "label_key", ("Account", "account_id"), ("Event", "event_id")
)


def time_columns(table: str) -> list[str]:
    """The table's time columns (sent as ISO text, stored as DATETIME)."""
    t = TABLES[table]
    return [c.name for c in t.columns if c.type == ColType.TIME]


def upsert_query(table: str, times: list[str] | tuple[str, ...] = ()) -> str:
    """The UNWIND/MERGE query of ``table`` setting the time columns ``times``.

    Only the time columns present in the upserted frame are set, so that an
    upsert without a column keeps the stored values, as for the other columns.
    Built from the model's fixed column names only.
    """
    allowed = time_columns(table)
    unknown = [c for c in times if c not in allowed]
    if unknown:
        raise KeyError(unknown[0])
    sets = "".join(f", n.{c} = datetime(row.times.{c})" for c in times)
    return _UPSERT[table].replace("{times}", sets)


#: tables stored as relationships: the key columns that are the two endpoints
ENDPOINTS = {"affiliations": ("account_id", "mcn_id"), "labels": ("account_id", "event_id")}

# ---------------------------------------------------------------- placeholders
#: node label and key property of each placeholder kind
KIND = {
    "account": ("Account", "account_id"),
    "content": ("Content", "content_id"),
    "mcn": ("MCN", "mcn_id"),
    "venue": ("Venue", "venue_id"),
}

MISSING = {
    kind: f"""
UNWIND $ids AS id
OPTIONAL MATCH (n:{label} {{{key}: id}})
WITH id, n WHERE n IS NULL OR n.placeholder IS NULL
RETURN id
"""
    for kind, (label, key) in KIND.items()
}

CREATE_PLACEHOLDERS = {
    kind: f"""
UNWIND $ids AS id
MERGE (n:{label} {{{key}: id}})
SET n.placeholder = coalesce(n.placeholder, true)
"""
    for kind, (label, key) in KIND.items()
}

# ----------------------------------------------------------------------- reads


@dataclass(frozen=True)
class Shape:
    """Where a table's rows live: a MATCH pattern binding ``n`` (the node or
    relationship holding the row), a condition for stored rows, and the
    expressions of the columns that are not plain ``n.<column>``."""

    pattern: str
    held: str | None = None
    columns: dict[str, str] = field(default_factory=dict)


SHAPES = {
    "accounts": Shape("(n:Account)", "n.placeholder IS NOT NULL"),
    "mcns": Shape("(n:MCN)", "n.placeholder IS NOT NULL"),
    "events": Shape("(n:Event)", "n.placeholder IS NOT NULL"),
    "contents": Shape("(n:Content)", "n.placeholder IS NOT NULL AND NOT n:Repost"),
    "reposts": Shape("(n:Repost)", "n.placeholder IS NOT NULL"),
    "renames": Shape("(n:Rename)"),
    "affiliations": Shape(
        "(a:Account)-[n:AFFILIATED_WITH]->(m:MCN)",
        columns={"account_id": "a.account_id", "mcn_id": "m.mcn_id"},
    ),
    "reports": Shape("(n:Report)"),
    "venues": Shape("(n:Venue)", "n.placeholder IS NOT NULL"),
    "moderation": Shape("(n:Moderation)"),
    "labels": Shape(
        "(a:Account)-[n:LABELLED]->(e:Event)",
        columns={"account_id": "a.account_id", "event_id": "e.event_id"},
    ),
}


def column_expression(table: str, column: str) -> str:
    """The Cypher expression of a stored column of ``table`` (its row bound to ``n``), as
    :func:`frame_query` returns it (times as ISO-8601 text)."""
    return _expr(table, column)


def _expr(table: str, column: str) -> str:
    expr = SHAPES[table].columns.get(column, f"n.{column}")
    t = TABLES[table]
    if column in t.column_names and t.column(column).type == ColType.TIME:
        return f"toString({expr})"
    return expr


def _where(table: str, filter_column: str | None) -> str:
    conds: list[str] = []
    held = SHAPES[table].held
    if held:
        conds.append(held)
    if filter_column is not None:
        conds.append(f"{SHAPES[table].columns.get(filter_column, f'n.{filter_column}')} IN $ids")
    return f"WHERE {' AND '.join(conds)}\n" if conds else ""


def frame_query(table: str, filter_column: str | None = None) -> str:
    """The query reading ``table`` (rows whose ``filter_column`` is in ``$ids`` if given).

    Built from the model's fixed table and column names only.
    """
    cols = stored_columns(table)
    if filter_column is not None and filter_column not in cols:
        raise KeyError(filter_column)
    returns = ",\n       ".join(f"{_expr(table, c)} AS {c}" for c in cols)
    return f"MATCH {SHAPES[table].pattern}\n{_where(table, filter_column)}RETURN {returns}\n"


def count_query(table: str) -> str:
    """The query counting the stored rows of ``table``."""
    return f"MATCH {SHAPES[table].pattern}\n{_where(table, None)}RETURN count(*) AS n\n"


#: (table, column) -> the index on (column, key) that :func:`linked_query` walks (named
#: in a hint: without it the planner seeks the one-column index and sorts every row of
#: the ID, 105,875 for a viral post at scale 47, instead of reading 51)
LINKED_INDEX = {
    ("reposts", "source_id"): "n:Repost(source_id, repost_id)",
    ("reposts", "account_id"): "n:Repost(account_id, repost_id)",
    ("contents", "account_id"): "n:Content(account_id, content_id)",
    ("contents", "reply_to"): "n:Content(reply_to, content_id)",
}


def linked_query(table: str, column: str, columns: list[str] | None = None) -> str:
    """The query reading, for each ID of ``$ids``, the first ``$limit`` rows of ``table``
    whose ``column`` equals it (in the table's key order; the stored ``columns``, default
    all), with ``_of``: that ID.

    The equality column leads the ``ORDER BY``, so that an index on it and the key can
    hand the rows over in order and the read stops at ``$limit``.  Built from the model's
    fixed table and column names only.
    """
    stored = stored_columns(table)
    if column not in stored or any(c not in stored for c in columns or ()):
        raise KeyError(column)
    cols = [c for c in stored if c in columns] if columns else stored
    shape = SHAPES[table]
    order = [shape.columns.get(column, f"n.{column}")] + [
        shape.columns.get(k, f"n.{k}") for k in TABLES[table].key if k != column
    ]
    conds = [f"{order[0]} = id"]
    hint = ""
    if (table, column) in LINKED_INDEX:  # walk the (column, key) index in order, lazily
        hint = f"\n  USING INDEX {LINKED_INDEX[table, column]}"
        conds += [f"{o} IS NOT NULL" for o in order[1:]]
    conds += [shape.held] if shape.held else []
    returns = ",\n       ".join(f"{_expr(table, c)} AS {c}" for c in cols)
    return f"""UNWIND $ids AS id
CALL (id) {{
  MATCH {shape.pattern}{hint}
  WHERE {" AND ".join(conds)}
  WITH * ORDER BY {", ".join(order)} LIMIT $limit
  RETURN {returns}
}}
RETURN id AS _of, {", ".join(cols)}
"""
