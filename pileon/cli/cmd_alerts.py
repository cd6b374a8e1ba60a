"""``pileon alerts``: the stored early warnings (SPEC §6); ``--recompute`` computes them anew."""

from __future__ import annotations

import json

import click

from pileon.cli import COMMANDS, open_cli_store, store_option


@click.command("alerts", short_help=COMMANDS["alerts"][1])
@click.option("--event", "event_id", default=None, help="Count only this event's contents.")
@click.option("--target", "target_id", default=None, help="This account's alerts only.")
@click.option("--json", "as_json", is_flag=True, help="Print the alerts as a JSON list.")
@click.option(
    "--recompute",
    is_flag=True,
    help="Compute every alert anew from the store's data and store them (ingest computes "
    "them for the rows it loads).",
)
@click.option("--progress/--no-progress", default=False, help="Show the stages of a computation.")
@store_option
def command(
    event_id: str | None,
    target_id: str | None,
    as_json: bool,
    recompute: bool,
    progress: bool,
    store_uri: str | None,
) -> None:
    """Alerts stored when data lands: harm reaching a minor from strangers (first), surges
    of messages, comments and mentions from strangers, harmful content and reports at every
    account that contents aim at, each against its own baseline; and surges of an event's
    heat (target_id null).

    Example: pileon alerts --event evt:2026-03-nancheng-teacher --json
    """
    from pileon.detectors.alerts import RECOMMENDATIONS
    from pileon.service.alerts import alerts_from_store

    with open_cli_store(store_uri) as store:
        alerts = alerts_from_store(
            store,
            event_id=event_id,
            target_id=target_id,
            recompute=recompute,
            show_progress=progress,
        )
    if as_json:
        click.echo(json.dumps([a.to_dict() for a in alerts], ensure_ascii=False, indent=2))
        return
    if not alerts:
        click.echo("no alerts")
        return
    for a in alerts:
        d = a.to_dict()
        mark = "[MINOR] " if a.priority == "minor" else ""
        who = a.target_id if a.target_id is not None else f"event {a.event_id}"
        click.echo(f"{mark}{who}  began {d['began_at']}  peak {d['peak_at']}  score {a.score:.2f}")
        for s in d["signals"]:
            if s["surge"]:
                exp = s.get("expected")
                click.echo(
                    f"    {s['signal']:<12} {s['observed']:>6}"
                    + (f"  (expected {exp:.1f})" if exp is not None else "")
                )
            elif s["signal"] == "first_harm":
                click.echo(
                    f"    {s['signal']:<12} {s['observed']:>6}  (no surge needed: {s['rule']}, "
                    f"first at {s['first_at']})"
                )
        if a.watch:
            click.echo(f"    watching {', '.join(a.watch)} from {d['began_at']}")
        for r in a.recommend:
            click.echo(f"    -> {RECOMMENDATIONS.get(r, r)}")
