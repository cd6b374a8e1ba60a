"""The pileon property-graph model, written down in one place.

Input tables (SPEC §2) map onto nodes and relationships as follows::

    (:Account {account_id})                      accounts; placeholders have placeholder=true
    (:Content {content_id})                      contents (post, comment, video, live, dm)
    (:Content:Repost {content_id: repost_id})    reposts are contents too ...
    (:Content:Repost)-[:REPOST_OF]->(:Content)   ... with an edge to the IMMEDIATE parent
    (:Account)-[:POSTED]->(:Content)             author of a content or repost
    (:Content)-[:REPLY_TO]->(:Content)           comments and replies
    (:Content)-[:TARGETS]->(:Account)            contents.target_ids
    (:Content)-[:IN_EVENT {via}]->(:Event)       event membership (SPEC §2, see pileon.ingest.membership)
    (:Account)-[:RENAMED]->(:Rename {new_name, old_name, renamed_at})
    (:MCN {mcn_id})
    (:Account)-[:AFFILIATED_WITH {since, until, role}]->(:MCN)
    (:Event {event_id})-[:TARGETS]->(:Account)   events.target_ids
    (:Report {report_id})-[:ABOUT]->(:Content|:Account), (:Account)-[:FILED]->(:Report)
    (:Account)-[:LABELLED {tier}]->(:Event)      labels: past decisions
    (:Venue {venue_id})                          venues (SPEC §7): topics, groups, forums, chats, live rooms
    (:Content)-[:POSTED_IN]->(:Venue)            contents.venue_id
    (:Account)-[:CREATED]->(:Venue), (:Account)-[:HOSTS]->(:Venue)
    (:Moderation {action_id})-[:ACTS_ON]->(:Content|:Account|:Venue), -[:ANSWERS]->(:Report)
    findings (written by ``analyze``; the event's view is its rows whose ``run_id`` is
    ``(:Event {view_run})``, see :mod:`pileon.graph.queries.findings`):
    (:Account)-[:FINDING {run_id, roles, score, rank, tier, refer, priority}]->(:Event)
    (:Account)-[:MEMBER_OF]->(:Cluster {cluster_id, event_id, run_id, score})
    (:MCN)-[:MCN_FINDING {run_id, score, rank, measures}]->(:Event)
    (:Venue)-[:VENUE_FINDING {run_id, score, rank, measures, ...}]->(:Event)

Every table also keeps the columns a file had beyond the model (``extra``,
a JSON object) and nodes carry ``placeholder`` (true when the node was only
referenced, never loaded).  Times are stored in UTC; contents and reposts also
keep ``tz`` (the UTC offset of the original timestamp, in minutes) so that
evidence can be shown in the author's local time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class ColType(str, Enum):
    """Value types of input columns."""

    STR = "str"
    TIME = "time"
    FLOAT = "float"
    INT = "int"
    BOOL = "bool"
    LIST = "list"


@dataclass(frozen=True)
class Column:
    """One column of an input table."""

    name: str
    type: ColType = ColType.STR
    required: bool = False
    #: inclusive bounds for numbers (``None``: unbounded)
    min: float | None = None
    max: float | None = None
    #: allowed values for strings (``None``: any)
    choices: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Reference:
    """A column that points at a node of another table (placeholders are made for unknown IDs)."""

    column: str
    #: ``account``, ``content`` (contents or reposts), ``mcn`` or ``venue``
    kind: str


@dataclass(frozen=True)
class Table:
    """An input table of SPEC §2 and how it is stored."""

    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    references: tuple[Reference, ...] = field(default_factory=tuple)
    #: the table holds nodes (placeholders possible)
    node: bool = False

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


S, T, F, I, B, L = ColType.STR, ColType.TIME, ColType.FLOAT, ColType.INT, ColType.BOOL, ColType.LIST  # noqa: E741

CONTENT_KINDS = ("post", "comment", "video", "live", "dm")
#: kinds of venues (SPEC §7): topics (hashtags, 超话, 词条), groups (群组), forums (贴吧,
#: boards), chat rooms, live rooms (直播间)
VENUE_KINDS = ("topic", "group", "forum", "chat", "live_room")
#: what a ``moderation`` row did (``dismiss``: the report it answers was found unfounded)
MODERATION_ACTIONS = ("remove", "hide", "warn", "mute", "suspend", "close", "dismiss")

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "accounts",
            key=("account_id",),
            node=True,
            columns=(
                Column("account_id", S, True),
                Column("platform", S, True),
                Column("name"),
                Column("created_at", T),
                Column("followers", I, min=0),
                Column("verified", B),
                Column("identity_key"),
                Column("is_minor", B),
            ),
        ),
        Table(
            "mcns",
            key=("mcn_id",),
            node=True,
            columns=(Column("mcn_id", S, True), Column("name"), Column("registered_in")),
        ),
        Table(
            "events",
            key=("event_id",),
            columns=(
                Column("event_id", S, True),
                Column("name", S, True),
                Column("started_at", T),
                Column("keywords", L),
                Column("entities", L),
                Column("target_ids", L),
                # optional end of the event's window (pileon.ingest.membership): without
                # it, the event ends at its last linked activity
                Column("ended_at", T),
            ),
            references=(Reference("target_ids", "account"),),
        ),
        Table(
            "venues",
            key=("venue_id",),
            node=True,
            columns=(
                Column("venue_id", S, True),
                Column("platform", S, True),
                Column("kind", S, True, choices=VENUE_KINDS),
                Column("name"),
                Column("created_at", T),
                Column("creator_id"),
                Column("host_id"),
                Column("closed_at", T),
            ),
            references=(Reference("creator_id", "account"), Reference("host_id", "account")),
        ),
        Table(
            "contents",
            key=("content_id",),
            node=True,
            columns=(
                Column("content_id", S, True),
                Column("account_id", S, True),
                Column("platform", S, True),
                Column("posted_at", T, True),
                Column("text"),
                Column("kind", S, choices=CONTENT_KINDS),
                Column("reply_to"),
                Column("event_id"),
                Column("harm", F, min=0.0, max=1.0),
                Column("target_ids", L),
                Column("media_hash"),
                Column("url"),
                # where the content was posted (SPEC §7); a bullet comment (弹幕) is a comment
                # with its live room's venue_id
                Column("venue_id"),
            ),
            references=(
                Reference("account_id", "account"),
                Reference("reply_to", "content"),
                Reference("target_ids", "account"),
                Reference("venue_id", "venue"),
            ),
        ),
        Table(
            "reposts",
            key=("repost_id",),
            columns=(
                Column("repost_id", S, True),
                Column("account_id", S, True),
                Column("source_id", S, True),
                Column("reposted_at", T, True),
                Column("platform"),
                Column("text"),
            ),
            references=(Reference("account_id", "account"), Reference("source_id", "content")),
        ),
        Table(
            "renames",
            key=("account_id", "new_name", "renamed_at"),
            columns=(
                Column("account_id", S, True),
                Column("new_name", S, True),
                Column("renamed_at", T, True),
                Column("old_name"),
            ),
            references=(Reference("account_id", "account"),),
        ),
        Table(
            "affiliations",
            key=("account_id", "mcn_id", "since"),
            columns=(
                Column("account_id", S, True),
                Column("mcn_id", S, True),
                Column("since", T),
                Column("until", T),
                Column("role"),
            ),
            references=(Reference("account_id", "account"), Reference("mcn_id", "mcn")),
        ),
        Table(
            "reports",
            key=("report_id",),
            columns=(
                Column("report_id", S, True),
                Column("reported_at", T, True),
                Column("reporter_id"),
                Column("content_id"),
                Column("account_id"),
                Column("reason"),
                Column("involves_minor", B),
            ),
            references=(
                Reference("reporter_id", "account"),
                Reference("content_id", "content"),
                Reference("account_id", "account"),
            ),
        ),
        Table(
            "moderation",
            key=("action_id",),
            columns=(
                Column("action_id", S, True),
                Column("platform", S, True),
                Column("acted_at", T, True),
                Column("action", S, True, choices=MODERATION_ACTIONS),
                Column("content_id"),
                Column("account_id"),
                Column("venue_id"),
                # the report the row answers (no placeholder: a report is no node others need)
                Column("report_id"),
            ),
            references=(
                Reference("content_id", "content"),
                Reference("account_id", "account"),
                Reference("venue_id", "venue"),
            ),
        ),
        Table(
            "labels",
            key=("event_id", "account_id"),
            columns=(
                Column("event_id", S, True),
                Column("account_id", S, True),
                Column("tier", I, True, min=0, max=4),
            ),
            references=(Reference("account_id", "account"),),
        ),
    )
}

#: the order in which ``ingest`` loads tables (nodes before what points at them)
LOAD_ORDER = (
    "accounts",
    "mcns",
    "events",
    "venues",
    "contents",
    "reposts",
    "renames",
    "affiliations",
    "reports",
    "moderation",
    "labels",
)

#: columns every stored table has beyond its model columns
META_COLUMNS = ("extra",)
#: node tables also carry ``placeholder``; contents and reposts carry ``tz``
PLACEHOLDER = "placeholder"
TZ = "tz"

#: which node table a reference kind creates placeholders in, and its key
PLACEHOLDER_TABLE = {
    "account": ("accounts", "account_id"),
    "content": ("contents", "content_id"),
    "mcn": ("mcns", "mcn_id"),
    "venue": ("venues", "venue_id"),
}

#: the time column of tables whose rows keep the original UTC offset
TZ_SOURCE = {"contents": "posted_at", "reposts": "reposted_at"}

#: roles that grade an account tier 3 (close the account): publishing or fabricating the attack
TIER3_ROLES = ("first_poster", "multi_poster", "inciter", "splicer", "impersonator")
#: roles that make an account culpable (tier >= 2): the tier-3 roles, coordinated clusters and
#: the creators of venues named after the event's persons that filled with abuse (SPEC §7;
#: tier 3 with harmful posts of their own there)
CULPABLE_ROLES = TIER3_ROLES + ("coordinated", "venue_creator")
#: roles that lead a pile-on (first posters and inciters: referral, MCN measures)
LEAD_ROLES = ("first_poster", "inciter")
#: every role a report names, in the report's order (an account without a culpable role is a
#: ``participant``)
ROLES = CULPABLE_ROLES + ("participant",)
MCN_MEASURES = ("warning", "suspend_revenue", "restrict_service", "evict")
#: measures of an account entry beyond its tier (SPEC §7): identity verification for
#: impersonators (真实身份核验)
ACCOUNT_MEASURES = ("verify_identity",)
#: measures of a venue (SPEC §7), in the report's order
VENUE_MEASURES = ("dissolve", "freeze_new", "clean", "close_room", "filter_comments", "protect")


def stored_columns(table: str) -> list[str]:
    """Columns of a stored table, in the order ``Store.frame`` returns them."""
    t = TABLES[table]
    cols = list(t.column_names)
    if t.node:
        cols.append(PLACEHOLDER)
    if table in TZ_SOURCE:
        cols.append(TZ)
    cols.extend(META_COLUMNS)
    return cols


# ------------------------------------------------------------ the contract's tables

#: how docs/SPEC.md writes each value type after a column's name (text needs no note)
_TYPE_NOTES = {
    ColType.STR: "",
    ColType.TIME: "time",
    ColType.FLOAT: "number",
    ColType.INT: "integer",
    ColType.BOOL: "boolean",
    ColType.LIST: "list",
}


def _column_note(c: Column) -> str:
    """A column as docs/SPEC.md lists it: its name in backticks, then its type and bounds.

    >>> _column_note(TABLES["contents"].column("harm"))
    '`harm` (number 0..1)'
    >>> _column_note(TABLES["accounts"].column("followers"))
    '`followers` (integer >= 0)'
    >>> _column_note(TABLES["contents"].column("kind"))
    '`kind` (post/comment/video/live/dm)'
    """
    parts = [_TYPE_NOTES[c.type]] if _TYPE_NOTES[c.type] else []
    if c.min is not None and c.max is not None:
        parts.append(f"{c.min:g}..{c.max:g}")
    elif c.min is not None:
        parts.append(f">= {c.min:g}")
    elif c.max is not None:
        parts.append(f"<= {c.max:g}")
    if c.choices:
        parts.append("/".join(c.choices))
    return f"`{c.name}`" + (f" ({' '.join(parts)})" if parts else "")


def spec_tables() -> str:
    """The input tables of docs/SPEC.md §2 as a markdown table, written from :data:`TABLES`.

    One row per table in :data:`LOAD_ORDER`: its key, its required and optional
    columns (each with its type and bounds) and the columns that reference other
    nodes (an unknown ID there becomes a placeholder).  ``scripts/dev spec`` writes
    it into docs/SPEC.md, and ``tests/test_spec_doc.py`` checks that the document
    holds exactly this text, so the contract cannot drift from the model.
    """
    lines = [
        "| table | key | required columns | optional columns | references (placeholders) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name in LOAD_ORDER:
        t = TABLES[name]
        refs = ", ".join(f"`{r.column}` → {r.kind}" for r in t.references)
        cells = [
            f"`{name}`",
            ", ".join(f"`{k}`" for k in t.key),
            ", ".join(_column_note(c) for c in t.columns if c.required),
            ", ".join(_column_note(c) for c in t.columns if not c.required) or "—",
            refs or "—",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m pileon.graph.model", description="Print parts of the model."
    )
    parser.add_argument(
        "--spec-tables",
        action="store_true",
        help="the input tables of docs/SPEC.md section 2, as markdown",
    )
    args = parser.parse_args(argv)
    if not args.spec_tables:
        parser.print_help()
        return 2
    print(spec_tables(), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
