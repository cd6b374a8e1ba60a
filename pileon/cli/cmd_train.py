"""``pileon train``: fit the risk model on past decisions; ``analyze`` uses it from then on."""

from __future__ import annotations

import math
import sys

import click

from pileon.cli import COMMANDS, settings_for, store_option
from pileon.cli.watch import watched


def _num(v: float) -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3f}"


@click.command("train", short_help=COMMANDS["train"][1])
@click.option(
    "--labels",
    "labels_path",
    default=None,
    metavar="FILE",
    help="Labels: CSV or JSONL with event_id, account_id, tier (0-4).",
)
@click.option(
    "--from-decisions",
    is_flag=True,
    help="Learn from the decisions recorded through the API instead of a file.",
)
@click.option(
    "--from-store", is_flag=True, help="Learn from the labels table ingested into the store."
)
@click.option(
    "--out",
    default=None,
    metavar="FILE",
    help="Where to save the model (default: PILEON_MODEL, else beside the store).",
)
@click.option(
    "--unlabelled",
    type=click.Choice(["zero", "skip"]),
    default="zero",
    show_default=True,
    help="Accounts of a labelled event without a label: tier 0 (no measure was "
    "taken), or left out of training (decisions not yet taken).",
)
@click.option(
    "-k",
    "k",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="k of the precision at k printed.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@store_option
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar (default: when stderr is a terminal).",
)
@watched("train")
def command(
    labels_path: str | None,
    from_decisions: bool,
    from_store: bool,
    out: str | None,
    unlabelled: str,
    k: int,
    seed: int,
    store_uri: str | None,
    progress: bool | None,
) -> None:
    """Fit the LightGBM risk model on labelled past events and save it.

    Prints the held-out evaluation (leave one event out; with a single labelled
    event, half of its accounts): AUC and precision at k.

    Example: pileon train --labels labels.csv
    """
    from pileon.graph.errors import InputError
    from pileon.service.training import labels_from_decisions, read_labels, train

    if sum(bool(x) for x in (labels_path, from_decisions, from_store)) != 1:
        raise InputError("give exactly one of --labels FILE, --from-decisions, --from-store")
    show = sys.stderr.isatty() if progress is None else progress
    settings = settings_for(store_uri)
    with settings.open_store() as store:
        if labels_path:
            labels = read_labels(labels_path)
        elif from_decisions:
            labels = labels_from_decisions(store)
        else:
            labels = store.frame("labels")[["event_id", "account_id", "tier"]]
        res = train(
            store,
            labels,
            seed=seed,
            k=k,
            out=out,
            model_path=settings.model,
            show_progress=show,
            unlabelled_tier=0 if unlabelled == "zero" else None,
        )
    ev = res.evaluation
    split = (
        "held-out events"
        if ev["split"] == "events"
        else "held-out accounts (one labelled event: no event to hold out)"
    )
    click.echo(
        f"trained on {res.rows} accounts of {len(res.events)} event(s): {', '.join(res.events)}"
    )
    for f in ev["folds"]:
        click.echo(
            f"  held out {f['held_out']}: n={f['n']} positives={f['positives']} "
            f"AUC={_num(f['auc'])} precision@{k}={_num(f['precision_at_k'])} "
            f"R-precision={_num(f.get('r_precision'))}"
        )
    click.echo(
        f"{split}: AUC {_num(ev['auc'])}, precision@{k} {_num(ev['precision_at_k'])}, "
        f"R-precision {_num(ev['r_precision'])}"
    )
    click.echo(
        f"model {res.model.version} saved to {res.path} (metadata {res.path.with_suffix('.json')})"
    )
