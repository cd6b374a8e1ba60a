"""``pileon analyze --event ID``: run every detector, store the findings, write the report."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pileon.cli import COMMANDS, settings_for, store_option


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
def command(
    event_id: str,
    out: str | None,
    top: int | None,
    model: str,
    seed: int,
    store_uri: str | None,
    progress: bool,
) -> None:
    """Analyze one event and write its ranked report (SPEC §4) as JSON.

    Example: pileon analyze --event evt:2026-03-nancheng-teacher --out report.json --top 100
    """
    from pileon.graph.errors import InputError
    from pileon.service.analysis import analyze

    settings = settings_for(store_uri)
    chosen = None if model == "rules" else model
    with settings.open_store() as store:
        report = analyze(
            store,
            event_id,
            seed=seed,
            model=chosen,
            model_path=settings.model,
            top=top,
            show_progress=progress,
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
