"""``pileon ingest DIR``: load a folder of tables."""

from __future__ import annotations

import json
import sys

import click

from pileon.cli import COMMANDS, open_cli_store, store_option

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
def command(
    folder: str,
    store_uri: str | None,
    as_json: bool,
    reject_path: str | None,
    progress: bool | None,
    margin_hours: float,
) -> None:
    """Load the tables of FOLDER (accounts.csv, contents.jsonl, reposts.parquet, ...),
    then compute and store the early-warning alerts the new rows touch.

    Example: pileon ingest ./incident --json --margin-hours 48
    """
    from pileon.service.ingest import ingest

    show = sys.stderr.isatty() if progress is None else progress
    with open_cli_store(store_uri) as store:
        summary = ingest(
            store, folder, reject_path=reject_path, show_progress=show, margin=margin_hours
        )
    if as_json:
        click.echo(json.dumps(summary.to_dict(), ensure_ascii=False))
    else:
        click.echo(format_summary(summary))
