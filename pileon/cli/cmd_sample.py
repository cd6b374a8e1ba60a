"""``pileon sample DIR``: write a generated sample incident (SPEC §2 tables) and its ground truth."""

from __future__ import annotations

import click

from pileon.cli import COMMANDS


@click.command("sample", short_help=COMMANDS["sample"][1])
@click.argument("folder", type=click.Path(file_okay=False, path_type=str))
@click.option("--seed", default=7, show_default=True, help="Random seed: same seed, same files.")
@click.option(
    "--scale",
    default=1.0,
    show_default=True,
    help="Size: 1 gives about 20 thousand reposts, 50 about a million.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl", "parquet"]),
    default="csv",
    show_default=True,
)
@click.option(
    "--history",
    is_flag=True,
    help="Also write the incident told once before, a year earlier, by other accounts "
    "(its own event), with repeat offenders active in both.",
)
def command(folder: str, seed: int, scale: float, fmt: str, history: bool) -> None:
    """Write a sample incident with planted culprits into FOLDER; the ground truth goes beside it.

    Example: pileon sample ./incident --seed 7 --scale 1 --history
    """
    from pileon.ingest.sample import generate_incident

    truth = generate_incident(
        folder, seed=seed, scale=scale, fmt=fmt, show_progress=True, history=history
    )
    counts = truth.get("counts", {})
    click.echo(f"wrote {folder}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
