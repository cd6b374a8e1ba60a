"""``pileon analyze --event ID``: run every detector, store the findings, write the report."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import click

from pileon.cli import COMMANDS, settings_for, store_option
from pileon.cli.watch import watched


@click.command("analyze", short_help=COMMANDS["analyze"][1])
@click.option("--event", "event_id", required=True, metavar="ID", help="The event to analyze.")
@click.option(
    "--out",
    "out",
    default=None,
    metavar="FILE",
    help="Write the report JSON here (default: stdout).",
)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Keep only the first N accounts in the written report (the store keeps all).",
)
@click.option(
    "--model",
    "model",
    default="auto",
    metavar="PATH|auto|rules",
    show_default=True,
    help="Risk model: the trained one when present (auto), a model file, or the transparent rules.",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed of the randomised steps."
)
@store_option
@click.option(
    "--progress/--no-progress",
    default=True,
    show_default=True,
    help="A line per stage with its time on stderr (also when stderr is not a terminal).",
)
@click.option(
    "--engine",
    type=click.Choice(["python", "spark"]),
    default="python",
    show_default=True,
    help="Where the heavy joins run: in this process, or on Spark (pip install 'pileon[spark]').",
)
@click.option(
    "--input",
    "input_dir",
    default=None,
    metavar="DIR|URI",
    help="--engine spark: the input tables the store was loaded from (folder or Hadoop URI).",
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
    help="--engine spark: keep the joins as Parquet here (default: not kept).",
)
@watched("analyze")
def command(
    event_id: str,
    out: str | None,
    top: int | None,
    model: str,
    seed: int,
    store_uri: str | None,
    progress: bool,
    engine: str,
    input_dir: str | None,
    spark_master: str,
    spark_dir: str | None,
) -> None:
    """Analyze one event and write its ranked report (SPEC §4) as JSON.

    With --engine spark the co-repost counts and the near-duplicate text pairs are
    computed on Spark from the input tables (--input) and handed to the analysis, and the
    coordination detector's pairs in sync are counted on Spark; the rest runs here, the
    same report.

    Example: pileon analyze --event evt:2026-03-nancheng-teacher --out report.json --top 100
    """
    from pileon.graph.errors import InputError
    from pileon.service.analysis import analyze

    settings = settings_for(store_uri)
    chosen = None if model == "rules" else model
    if engine == "python" and input_dir:
        raise InputError("--input is for --engine spark (the default engine reads the store)")
    if engine == "spark" and not input_dir:
        raise InputError("--engine spark needs --input DIR (the input tables)")
    with settings.open_store() as store:
        engine_joins: Any = nullcontext(None)
        if engine == "spark":
            from pileon.service.analysis import check_ingest
            from pileon.service.spark import spark_analysis

            check_ingest(store)
            # the Spark session stays up while the analysis runs (the pairs in sync)
            engine_joins = spark_analysis(
                store,
                event_id,
                input_dir=str(input_dir),
                work_dir=spark_dir,
                master=spark_master,
                show_progress=progress,
            )
        with engine_joins as joins:
            report = analyze(
                store,
                event_id,
                seed=seed,
                model=chosen,
                model_path=settings.model,
                top=top,
                show_progress=progress,
                joins=joins,
            )
    text = json.dumps(report, ensure_ascii=False, indent=2)
    if out:
        try:
            Path(out).write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write {out}: {exc.strerror or exc}") from None
        n = len(report["accounts"])
        click.echo(
            f"report of {event_id}: {n} accounts written, {len(report['mcns'])} MCNs, "
            f"{len(report['clusters'])} clusters, {len(report['narratives'])} narratives "
            f"-> {out}",
            err=True,
        )
    else:
        click.echo(text)
