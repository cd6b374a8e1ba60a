"""The input tables of SPEC §2 as a property graph: how each is stored, upserts,
placeholders, reads.

How each table is stored is declared once, in :data:`LAYOUT` (see :mod:`pileon.graph.model`
for the picture)::

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

Both ways of writing follow the declaration: the ``UNWIND`` upserts of this module
(built from it) and the files of a bulk import (:mod:`pileon.graph.neo4j_import`).  A
new table needs its entry in :data:`LAYOUT` and nothing else here.

Every column is also a property (foreign keys included), so a table reads
back from properties alone; relationships are kept in step with them on
every upsert (stale ones deleted, current ones created) for traversal and
for investigators browsing the graph.

A node that something points at but that was neither loaded nor made a
placeholder has no ``placeholder`` property: it is *dangling* and belongs to
no table (``missing_ids`` reports it, ``create_placeholders`` adopts it).
Loaded nodes have ``placeholder = false``, placeholders ``true``.

Times are stored as Neo4j ``DATETIME`` values in UTC and read back as ISO-8601
text (``toString``), which keeps nanoseconds.

Upserts run in phases, each a set of ``UNWIND`` batches that the store may run in
parallel because no two batches of a phase touch the same key (see
:class:`pileon.graph.neo4j_store.Neo4jStore`):

1. which of the rows' keys a node holds already (:data:`EXISTING_NODES`, a read); the
   other rows' nodes created (:func:`node_create`), those that exist updated in place
   (:func:`node_update`).  A ``MERGE`` per row cost the server twice the CPU of a
   ``CREATE`` (20,000 accounts in batches of 1,000: 3.9 against 1.8 CPU s), and a load
   is mostly new keys; one ingest at a time per database keeps the keys read new until
   they are created (the uniqueness constraint refuses a duplicate all the same);
2. for the rows that existed, the relationships that followed the old row
   (:func:`drop_links`);
3. the nodes at the other ends that do not exist yet (:data:`MISSING_NODES`, then
   :data:`CREATE_NODES`);
4. the relationships, ``CREATE`` between nodes found by their indexed keys
   (:func:`create_links`).  A ``MERGE`` between two nodes would check for an existing
   relationship by expanding one of them, and the source of a viral cascade gains
   thousands in one load; the old ones are gone after phase 2, so ``CREATE`` makes no
   duplicates.

Tables stored as relationships (affiliations, labels) find their row by a key property
on a relationship index (:func:`relationship_upsert`), after phase 3 for their two ends.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pileon.graph.model import TABLES, ColType, stored_columns

# ---------------------------------------------------------------------- layout
#: the key property of the nodes of each label (the uniqueness constraints of
#: :mod:`pileon.graph.queries.schema`); a node's labels start with one of these
NODE_KEY = {
    "Account": "account_id",
    "MCN": "mcn_id",
    "Event": "event_id",
    "Content": "content_id",
    "Report": "report_id",
    "Rename": "rename_key",
    "Venue": "venue_id",
    "Moderation": "action_id",
}


@dataclass(frozen=True)
class Link:
    """A relationship that follows a column of a row stored as a node: one for each
    value (of a list column: each distinct value), to the node of ``label`` whose key
    property holds it; ``(row)-[type]->(other)``, or ``(other)-[type]->(row)`` when not
    ``outgoing``."""

    type: str
    column: str
    label: str
    outgoing: bool = True
    #: False: only to a node that exists (no dangling node is made for an unknown value);
    #: such a link is made from the other side too when that node comes later
    #: (:data:`LINKED_LATER`)
    create_missing: bool = True


@dataclass(frozen=True)
class NodeRows:
    """A table whose rows are nodes with ``labels`` (the first one names the key property,
    :data:`NODE_KEY`); the key is the table's key column, or the JSON text of its key
    columns when there are several (:func:`row_keys`)."""

    labels: tuple[str, ...]
    links: tuple[Link, ...] = ()
    #: properties a row's node gets when the upserted frame has no such column
    defaults: tuple[tuple[str, Any], ...] = ()

    @property
    def key(self) -> str:
        return NODE_KEY[self.labels[0]]


@dataclass(frozen=True)
class End:
    """One end of a table stored as relationships: the node of ``label`` whose key
    property holds the row's ``column``."""

    column: str
    label: str


@dataclass(frozen=True)
class RelationshipRows:
    """A table whose rows are relationships ``(start)-[type]->(end)``, found by the key
    property ``key`` (the JSON text of the table's key columns, :func:`row_keys`)."""

    type: str
    key: str
    start: End
    end: End


Layout = NodeRows | RelationshipRows

_LOADED = (("placeholder", False),)

LAYOUT: dict[str, Layout] = {
    "accounts": NodeRows(("Account",), defaults=_LOADED),
    "mcns": NodeRows(("MCN",), defaults=_LOADED),
    "events": NodeRows(
        ("Event",), links=(Link("TARGETS", "target_ids", "Account"),), defaults=_LOADED
    ),
    "contents": NodeRows(
        ("Content",),
        links=(
            Link("POSTED", "account_id", "Account", outgoing=False),
            Link("REPLY_TO", "reply_to", "Content"),
            Link("TARGETS", "target_ids", "Account"),
            Link("POSTED_IN", "venue_id", "Venue"),
        ),
        defaults=_LOADED,
    ),
    "reposts": NodeRows(
        ("Content", "Repost"),
        links=(
            Link("POSTED", "account_id", "Account", outgoing=False),
            Link("REPOST_OF", "source_id", "Content"),
        ),
        defaults=_LOADED,
    ),
    "renames": NodeRows(("Rename",), links=(Link("RENAMED", "account_id", "Account", False),)),
    "affiliations": RelationshipRows(
        "AFFILIATED_WITH", "affiliation_key", End("account_id", "Account"), End("mcn_id", "MCN")
    ),
    "reports": NodeRows(
        ("Report",),
        links=(
            Link("FILED", "reporter_id", "Account", outgoing=False),
            Link("ABOUT", "content_id", "Content"),
            Link("ABOUT", "account_id", "Account"),
        ),
    ),
    "labels": RelationshipRows(
        "LABELLED", "label_key", End("account_id", "Account"), End("event_id", "Event")
    ),
    "venues": NodeRows(
        ("Venue",),
        links=(
            Link("CREATED", "creator_id", "Account", outgoing=False),
            Link("HOSTS", "host_id", "Account", outgoing=False),
        ),
        defaults=_LOADED,
    ),
    "moderation": NodeRows(
        ("Moderation",),
        links=(
            Link("ACTS_ON", "content_id", "Content"),
            Link("ACTS_ON", "account_id", "Account"),
            Link("ACTS_ON", "venue_id", "Venue"),
            # the report the action answers, when loaded (a report is no node others need)
            Link("ANSWERS", "report_id", "Report", create_missing=False),
        ),
    ),
}

#: links to existing nodes only (``create_missing=False``), to make when the node they
#: point at is loaded after the row: ``{table of that node: ((table of the row, link), …)}``
LINKED_LATER: dict[str, tuple[tuple[str, Link], ...]] = {}
for _owner, _lay in LAYOUT.items():
    for _link in _lay.links if isinstance(_lay, NodeRows) else ():
        if not _link.create_missing:
            _target = next(
                t
                for t, lay in LAYOUT.items()
                if isinstance(lay, NodeRows) and lay.labels[0] == _link.label
            )
            LINKED_LATER[_target] = (*LINKED_LATER.get(_target, ()), (_owner, _link))


def time_columns(table: str) -> list[str]:
    """The table's time columns (sent as ISO text, stored as DATETIME)."""
    t = TABLES[table]
    return [c.name for c in t.columns if c.type == ColType.TIME]


def endpoint_columns(table: str) -> tuple[str, ...]:
    """The columns of a table stored as relationships that are its two ends (not
    properties); none for a table of nodes."""
    lay = LAYOUT[table]
    if isinstance(lay, RelationshipRows):
        return (lay.start.column, lay.end.column)
    return ()


def property_columns(table: str) -> list[str]:
    """The stored columns of ``table`` that are properties of its row's node or
    relationship (times among them), in :func:`pileon.graph.model.stored_columns` order."""
    ends = endpoint_columns(table)
    return [c for c in stored_columns(table) if c not in ends]


def row_keys(
    table: str, values: Mapping[str, Sequence[Any]], times_ns: Mapping[str, Sequence[Any]]
) -> list[Any]:
    """The key each row is stored by: the key column's value, or for a key of several
    columns the JSON text of their values (times as integer nanoseconds, a missing
    time as -1).

    ``values`` holds the key columns as driver values, ``times_ns`` the key's time
    columns as nanoseconds (None when missing).
    """
    key = TABLES[table].key
    if len(key) == 1:
        return list(values[key[0]])
    cols = [
        [-1 if v is None else v for v in times_ns[c]] if c in times_ns else values[c] for c in key
    ]
    return [json.dumps(list(parts), ensure_ascii=False) for parts in zip(*cols)]


# --------------------------------------------------------------------- upserts
# ``row.key`` is the merge key, ``row.props`` the stored columns present in the upserted
# frame but its times, ``row.times`` those times as ISO-8601 text, which ``datetime()``
# turns into DATETIME values on the server.


def _times(times: Sequence[str], var: str) -> str:
    return "".join(f", {var}.{c} = datetime(row.times.{c})" for c in times)


def _check_times(table: str, times: Sequence[str]) -> None:
    allowed = time_columns(table)
    unknown = [c for c in times if c not in allowed]
    if unknown:
        raise KeyError(unknown[0])


#: phase 1: which of ``$ids`` a node of the label holds already (read), per label
EXISTING_NODES = {
    label: f"""
UNWIND $ids AS id
MATCH (n:{label} {{{key}: id}})
RETURN id
"""
    for label, key in NODE_KEY.items()
}


def node_create(table: str, times: Sequence[str] = ()) -> str:
    """Phase 1 of an upsert of ``table`` (a table of nodes), for the rows whose key no node
    holds (:data:`EXISTING_NODES`): ``CREATE`` each row's node with its labels, its
    properties and the time columns ``times``.  Built from the model's fixed names only.
    """
    lay = LAYOUT[table]
    assert isinstance(lay, NodeRows), table
    _check_times(table, times)
    return f"""
UNWIND $rows AS row
CREATE (n:{":".join(lay.labels)} {{{lay.key}: row.key}})
SET n += row.props{_times(times, "n")}
"""


def node_update(table: str, times: Sequence[str] = ()) -> str:
    """Phase 1 of an upsert of ``table`` (a table of nodes), for the rows whose key a node
    holds already (loaded before, a placeholder or dangling): add the table's labels, set
    its properties and the time columns ``times``.

    Only the time columns present in the upserted frame are set, so that an upsert
    without a column keeps the stored values, as for the other columns.  Built from the
    model's fixed names only.
    """
    lay = LAYOUT[table]
    assert isinstance(lay, NodeRows), table
    _check_times(table, times)
    first, more = lay.labels[0], "".join(f":{x}" for x in lay.labels[1:])
    extra = f"n{more}, " if more else ""
    return f"""
UNWIND $rows AS row
MATCH (n:{first} {{{lay.key}: row.key}})
SET {extra}n += row.props{_times(times, "n")}
"""


def _pattern(link: Link, var: str = "old") -> str:
    rel = f"[{var}:{link.type}]"
    return f"(n)-{rel}->()" if link.outgoing else f"(n)<-{rel}-()"


def drop_links(table: str) -> str | None:
    """Phase 2: delete the relationships that follow the rows of the nodes keyed by
    ``$keys`` (None when the table has none)."""
    lay = LAYOUT[table]
    assert isinstance(lay, NodeRows), table
    patterns = list(dict.fromkeys(_pattern(link) for link in lay.links))
    if not patterns:
        return None
    calls = "".join(f"CALL (n) {{\n  OPTIONAL MATCH {p}\n  DELETE old\n}}\n" for p in patterns)
    return f"""
UNWIND $keys AS k
MATCH (n:{lay.labels[0]} {{{lay.key}: k}})
{calls}"""


#: phase 3: which of ``$ids`` no node of the label holds yet (read), per label
MISSING_NODES = {
    label: f"""
UNWIND $ids AS id
OPTIONAL MATCH (n:{label} {{{key}: id}})
WITH id, n WHERE n IS NULL
RETURN id
"""
    for label, key in NODE_KEY.items()
}

#: phase 3: nodes (dangling: key only) for ``$ids`` that :data:`MISSING_NODES` found missing
CREATE_NODES = {
    label: f"""
UNWIND $ids AS id
MERGE (:{label} {{{key}: id}})
"""
    for label, key in NODE_KEY.items()
}


def create_links(table: str, link: Link) -> str:
    """Phase 4: one relationship ``link`` for each ``[row key, other key]`` pair of
    ``$pairs``, between nodes found by their keys."""
    lay = LAYOUT[table]
    assert isinstance(lay, NodeRows), table
    other = f"(o:{link.label} {{{NODE_KEY[link.label]}: p[1]}})"
    rel = f"(n)-[:{link.type}]->(o)" if link.outgoing else f"(o)-[:{link.type}]->(n)"
    return f"""
UNWIND $pairs AS p
MATCH (n:{lay.labels[0]} {{{lay.key}: p[0]}})
MATCH {other}
CREATE {rel}
"""


def link_from_earlier(table: str, owner: str, link: Link) -> str:
    """After an upsert of ``table`` (keys in ``$keys``): the relationships ``link`` of the
    rows of ``owner``, loaded before, that point at these nodes (``create_missing=False``
    links, :data:`LINKED_LATER`), where missing."""
    lay_owner = LAYOUT[owner]
    lay = LAYOUT[table]
    assert isinstance(lay_owner, NodeRows) and isinstance(lay, NodeRows), table
    o, n = lay_owner.labels[0], lay.labels[0]
    rel = f"(m)-[:{link.type}]->(n)" if link.outgoing else f"(n)-[:{link.type}]->(m)"
    return f"""
UNWIND $keys AS k
MATCH (n:{n} {{{lay.key}: k}})
MATCH (m:{o} {{{link.column}: k}})
WHERE NOT {rel}
CREATE {rel}
"""


def relationship_upsert(table: str, times: Sequence[str] = ()) -> str:
    """The upsert of a table stored as relationships ``(start)-[type]->(end)`` (its two
    ends exist, phase 3): the row's relationship is found by its key property (a
    relationship index), created when missing, then updated in place.  Built from the
    model's fixed names only."""
    lay = LAYOUT[table]
    assert isinstance(lay, RelationshipRows), table
    _check_times(table, times)
    s, e = lay.start, lay.end
    skey, ekey = NODE_KEY[s.label], NODE_KEY[e.label]
    return f"""
UNWIND $rows AS row
MATCH (a:{s.label} {{{skey}: row.{s.column}}})
MATCH (b:{e.label} {{{ekey}: row.{e.column}}})
OPTIONAL MATCH ()-[old:{lay.type} {{{lay.key}: row.key}}]->()
FOREACH (_ IN CASE WHEN old IS NULL THEN [1] ELSE [] END |
  CREATE (a)-[:{lay.type} {{{lay.key}: row.key}}]->(b))
WITH row
MATCH ()-[n:{lay.type} {{{lay.key}: row.key}}]->()
SET n += row.props{_times(times, "n")}
"""


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


def _shape(table: str) -> Shape:
    """Where the rows of ``table`` live, from :data:`LAYOUT`: the nodes of its most
    specific label (not those of another table that adds a label to its own, as reposts do
    to contents), loaded or placeholders when the table's nodes carry ``placeholder``; or
    the relationships of its type."""
    lay = LAYOUT[table]
    if isinstance(lay, RelationshipRows):
        s, e = lay.start, lay.end
        return Shape(
            f"(a:{s.label})-[n:{lay.type}]->(b:{e.label})",
            columns={s.column: f"a.{NODE_KEY[s.label]}", e.column: f"b.{NODE_KEY[e.label]}"},
        )
    conds = []
    if "placeholder" in stored_columns(table) or "placeholder" in dict(lay.defaults):
        conds.append("n.placeholder IS NOT NULL")
    for other in LAYOUT.values():
        if (
            isinstance(other, NodeRows)
            and other.labels[0] == lay.labels[-1]
            and len(other.labels) > len(lay.labels)
        ):
            conds += [f"NOT n:{x}" for x in other.labels[len(lay.labels) :]]
    return Shape(f"(n:{lay.labels[-1]})", " AND ".join(conds) or None)


SHAPES = {table: _shape(table) for table in LAYOUT}


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
        if (table, filter_column) in LINKED_INDEX:  # the (column, key) index serves it
            conds += [f"n.{k} IS NOT NULL" for k in TABLES[table].key if k != filter_column]
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


def event_frame_query(table: str) -> str:
    """The query reading the rows of ``table`` (``contents`` or ``reposts``) that are
    members of the event ``$event_id``, as :func:`frame_query` returns them, each with
    ``via`` (how it joined).

    The event's membership relationships lead the match, so the read sends no list of IDs
    (an event of 800k members made a parameter list the server's heap could not hold
    beside the rows).  Built from the model's fixed table and column names only.
    """
    if table not in ("contents", "reposts"):
        raise KeyError(table)
    cols = stored_columns(table)
    returns = ",\n       ".join(f"{_expr(table, c)} AS {c}" for c in cols)
    held = SHAPES[table].held
    where = f"WHERE {held}\n" if held else ""
    return (
        f"MATCH (:Event {{event_id: $event_id}})<-[m:IN_EVENT]-{SHAPES[table].pattern}\n"
        f"{where}RETURN {returns},\n       m.via AS via\n"
    )


def count_query(table: str) -> str:
    """The query counting the stored rows of ``table``."""
    return f"MATCH {SHAPES[table].pattern}\n{_where(table, None)}RETURN count(*) AS n\n"


#: all nodes and all relationships of the database (from Neo4j's count store: no scan)
NODE_COUNT = "MATCH (n) RETURN count(n) AS n"
RELATIONSHIP_COUNT = "MATCH ()-[r]->() RETURN count(r) AS n"


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
