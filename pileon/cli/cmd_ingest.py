"""``pileon ingest DIR``: load a folder of tables."""

from __future__ import annotations

import json
import sys

import click

from pileon.cli import COMMANDS, open_cli_store, store_option
from pileon.cli.watch import watched

#: pileon.ingest.membership.DEFAULT_MARGIN in hours (a literal: --help imports no pandas)
MARGIN_HOURS = 48.0


def format_summary(summary) -> str:
    """The per-table summary as a small aligned table."""
    rows = [("table", "read", "stored", "rejected", "placeholders")]
    for name, c in summary.tables.items():
        rows.append((name, str(c.read), str(c.stored), str(c.rejected), str(c.placeholders)))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = [
        "  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths)))
        for r in rows
    ]
    rejected = sum(c.rejected for c in summary.tables.values())
    lines.append(f"rejected rows: {rejected} (see {summary.rejects})")
    if summary.memberships:
        lines.append(
            "events: "
            + ", ".join(
                f"{e} ({n} contents and reposts)" for e, n in sorted(summary.memberships.items())
            )
        )
    if summary.alerts:
        a = summary.alerts
        lines.append(
            f"alerts: {a['alerts']} stored for {a['computed']} of {a['keys']} watched targets "
            f"and events that changed ({a['scopes']} scopes)"
        )
    return "\n".join(lines)


@click.command("ingest", short_help=COMMANDS["ingest"][1])
@click.argument("folder", type=click.Path(file_okay=False, path_type=str))
@store_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option(
    "--rejects",
    "reject_path",
    default=None,
    metavar="FILE",
    help="Where to write rejected rows (CSV: table, line, reason, raw); "
    "default pileon-rejects.csv.",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bars (default: when stderr is a terminal).",
)
@click.option(
    "--margin-hours",
    type=float,
    default=MARGIN_HOURS,
    show_default=True,
    help="How long before its start (and after its last activity) an event's window "
    "reaches: content joins an event by text, copy or media only inside its window.",
)
@click.option(
    "--bulk",
    is_flag=True,
    help="Neo4j only, into an empty database: write the files of Neo4j's bulk import "
    "(neo4j-admin database import full) and import them: with PILEON_NEO4J_IMPORT (set by "
    "scripts/neo4j-local) pileon runs the import itself (the server stops meanwhile); "
    "for a server elsewhere, with --bulk-dir, it writes the files and prints the command "
    "to run there.",
)
@click.option(
    "--bulk-dir",
    default=None,
    metavar="DIR",
    help="Where --bulk writes the import files (new or empty); default a temporary folder "
    "removed after the import.  Required when pileon cannot import itself "
    "(PILEON_NEO4J_IMPORT unset: a server elsewhere); it then only writes the files.",
)
@watched("ingest")
def command(
    folder: str,
    store_uri: str | None,
    as_json: bool,
    reject_path: str | None,
    progress: bool | None,
    margin_hours: float,
    bulk: bool,
    bulk_dir: str | None,
) -> None:
    """Load the tables of FOLDER (accounts.csv, contents.jsonl, reposts.parquet, ...),
    then compute and store the early-warning alerts the new rows touch.

    Example: pileon ingest ./incident --json --margin-hours 48
    """
    from pileon.service.ingest import ingest

    show = sys.stderr.isatty() if progress is None else progress
    if bulk:
        summary = _bulk(folder, store_uri, reject_path, show, margin_hours, bulk_dir)
    elif bulk_dir is not None:
        raise click.UsageError("--bulk-dir goes with --bulk")
    else:
        with open_cli_store(store_uri) as store:
            summary = ingest(
                store, folder, reject_path=reject_path, show_progress=show, margin=margin_hours
            )
    if as_json:
        click.echo(json.dumps(summary.to_dict(), ensure_ascii=False))
    else:
        click.echo(format_summary(summary))


def _bulk(
    folder: str,
    store_uri: str | None,
    reject_path: str | None,
    show: bool,
    margin_hours: float,
    bulk_dir: str | None,
):
    """``--bulk``: :func:`pileon.service.bulk.bulk_ingest`; what it did goes to stderr."""
    import shutil
    import tempfile
    from pathlib import Path

    from pileon.cli import settings_for
    from pileon.graph.errors import BulkLoadError, InputError
    from pileon.graph.neo4j_store import Neo4jStore
    from pileon.service.bulk import bulk_ingest

    settings = settings_for(store_uri)
    command = settings.neo4j_import
    store = settings.open_store()
    if not isinstance(store, Neo4jStore):
        store.close()
        raise InputError(
            "--bulk is for a Neo4j store (--store neo4j://HOST:PORT); the embedded store "
            "loads in bulk already"
        )
    if command is None and bulk_dir is None:
        store.close()
        raise BulkLoadError(
            f"--bulk imports into the local server of scripts/neo4j-local only "
            f"(PILEON_NEO4J_IMPORT is not set), and {store.uri} is not known to be one: "
            f"give --bulk-dir DIR to write the import files for that server"
        )
    temporary = bulk_dir is None
    out = Path(tempfile.mkdtemp(prefix="pileon-import-") if temporary else str(bulk_dir))

    try:
        result = bulk_ingest(
            store,
            folder,
            out_dir=out,
            import_command=command,
            reject_path=reject_path,
            show_progress=show,
            margin=margin_hours,
        )
    finally:
        store.close()
        if temporary:
            shutil.rmtree(out, ignore_errors=True)
    plan, took = result.plan, result.seconds
    if result.imported:
        click.echo(
            f"bulk import: {plan.nodes} nodes and {plan.relationships} relationships "
            f"(files {took['write']:.1f} s, import and restart {took['import']:.1f} s, "
            f"indexes {took['schema']:.1f} s, alerts {took['alerts']:.1f} s)"
            + (
                f"; the import command: server stop {took['stop']:.0f} s, import tool "
                f"{took['import tool']:.0f} s, server start {took['start']:.0f} s"
                if "import tool" in took
                else ""
            ),
            err=True,
        )
    else:
        click.echo(
            f"wrote the import files of {plan.nodes} nodes and {plan.relationships} "
            f"relationships to {out}; on the server, with Neo4j stopped, run: "
            f"{plan.command(database=settings.neo4j_database or 'neo4j')}; then start Neo4j "
            f"(pileon sets up its indexes when it first opens the database)",
            err=True,
        )
    return result.summary
