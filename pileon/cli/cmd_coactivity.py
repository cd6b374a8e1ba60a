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
@click.option(
    "--engine",
    type=click.Choice(["python", "spark"]),
    default="python",
    show_default=True,
    help="Where the pairs are computed: in this process, or on Spark (pip install 'pileon[spark]').",
)
@click.option(
    "--input",
    "input_dir",
    default=None,
    metavar="DIR|URI",
    help="--engine spark: the input tables (as for ingest; a folder or a Hadoop URI).",
)
@click.option(
    "--spark-master",
    default="local[*]",
    show_default=True,
    help="--engine spark: the Spark master (local[N] or a cluster's URL).",
)
@click.option(
    "--spark-dir",
    default=None,
    metavar="DIR",
    help="--engine spark: keep the edge list as Parquet here too (default: not kept).",
)
@store_option
def command(
    event_id: str | None,
    window: float,
    min_weight: int,
    out: str,
    engine: str,
    input_dir: str | None,
    spark_master: str,
    spark_dir: str | None,
    store_uri: str | None,
) -> None:
    """Write the co-repost network: pairs of distinct accounts that reposted the same content
    within WINDOW seconds, weighted by the number of such contents.

    With --engine spark the pairs are computed on Spark from the input tables (--input),
    over every repost there or, with --event, over the event's (its membership is read
    from the store); the same edge list.

    Example: pileon coactivity --event e1 --window 60 --min-weight 2 --out pairs.csv
    """
    from pileon.graph.errors import InputError
    from pileon.service.coactivity import coactivity_csv

    if window < 0:
        raise InputError("--window must be at least 0 seconds")
    if min_weight < 1:
        raise InputError("--min-weight must be at least 1")
    if engine == "spark":
        from pileon.service.spark import spark_coactivity

        if not input_dir:
            raise InputError("--engine spark needs --input DIR (the input tables)")
        from contextlib import nullcontext

        from pileon.cli import open_cli_store

        # the store is read only for an event's membership
        with open_cli_store(store_uri) if event_id else nullcontext() as store:
            n, n_reposts = spark_coactivity(
                input_dir=input_dir,
                window=window,
                min_weight=min_weight,
                out=out,
                store=store,
                event_id=event_id or None,
                parquet_dir=spark_dir,
                master=spark_master,
                show_progress=True,
            )
        click.echo(f"wrote {out}: {n} pairs from {n_reposts} reposts")
        return
    if input_dir:
        raise InputError("--input is for --engine spark (the default engine reads the store)")
    n, n_reposts = coactivity_csv(
        settings_for(store_uri),
        out,
        window=window,
        min_weight=min_weight,
        event_id=event_id,
        show_progress=sys.stderr.isatty(),
    )
    click.echo(f"wrote {out}: {n} pairs from {n_reposts} reposts")
