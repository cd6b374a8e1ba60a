"""``pileon coactivity``: the exact co-repost edge list (SPEC §3)."""

from __future__ import annotations

import sys

import click

from pileon.cli import COMMANDS, settings_for, store_option


@click.command("coactivity", short_help=COMMANDS["coactivity"][1])
@click.option(
    "--event",
    "event_id",
    default=None,
    help="Only this event's reposts (default: every repost in the store).",
)
@click.option(
    "--window",
    type=float,
    required=True,
    help="Seconds: two reposts of the same content at most this far apart co-occur.",
)
@click.option(
    "--min-weight",
    default=1,
    show_default=True,
    type=int,
    help="Keep pairs that co-reposted at least this many contents.",
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False),
    help="CSV file: account_a,account_b,weight.",
)
@store_option
def command(
    event_id: str | None, window: float, min_weight: int, out: str, store_uri: str | None
) -> None:
    """Write the co-repost network: pairs of distinct accounts that reposted the same content
    within WINDOW seconds, weighted by the number of such contents.

    Example: pileon coactivity --event e1 --window 60 --min-weight 2 --out pairs.csv
    """
    from pileon.graph.errors import InputError
    from pileon.service.coactivity import coactivity_csv

    if window < 0:
        raise InputError("--window must be at least 0 seconds")
    if min_weight < 1:
        raise InputError("--min-weight must be at least 1")
    n, n_reposts = coactivity_csv(
        settings_for(store_uri),
        out,
        window=window,
        min_weight=min_weight,
        event_id=event_id,
        show_progress=sys.stderr.isatty(),
    )
    click.echo(f"wrote {out}: {n} pairs from {n_reposts} reposts")
