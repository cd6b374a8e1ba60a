"""``pileon demo``: a sample incident, ingested, analyzed and shown, on the embedded store."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import click

from pileon.cli import COMMANDS
from pileon.cli.cmd_ingest import format_summary
from pileon.cli.textable import render


@click.command("demo", short_help=COMMANDS["demo"][1])
@click.option(
    "--dir",
    "workdir",
    default="pileon-demo",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the incident, the store and the reports (replaced).",
)
@click.option("--seed", default=7, show_default=True)
@click.option("--scale", default=1.0, show_default=True)
@click.option("--top", default=15, show_default=True, help="Accounts to show.")
def command(workdir: Path, seed: int, scale: float, top: int) -> None:
    """Generate a sample incident, ingest it, analyze every event, and show the result.

    Example: pileon demo --dir ./pileon-demo
    """
    from pileon.graph.embedded import EmbeddedStore
    from pileon.ingest.sample import generate_incident
    from pileon.service.analysis import analyze
    from pileon.service.ingest import ingest

    show = sys.stderr.isatty()
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    incident = workdir / "incident"
    click.echo(f"== generating a sample incident (seed {seed}, scale {scale}) in {incident}")
    truth = generate_incident(incident, seed=seed, scale=scale, show_progress=show)
    store = EmbeddedStore(str(workdir / "pileon.db"))
    click.echo(f"== ingesting into the embedded store {workdir / 'pileon.db'}")
    summary = ingest(store, incident, reject_path=workdir / "rejects.csv", show_progress=show)
    click.echo(format_summary(summary))

    events = store.frame("events").sort_values(["started_at", "event_id"], na_position="last")
    reports = {}
    for event_id in events["event_id"]:
        click.echo(f"== analyzing event {event_id}")
        report = analyze(store, event_id, show_progress=show)
        path = workdir / f"report-{event_id}.json"
        path.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
        reports[event_id] = (report, path)

    main_event = max(summary.memberships, key=lambda e: (summary.memberships[e], e))
    report, path = reports[main_event]
    accounts = report["accounts"][:top]
    click.echo("")
    click.echo(
        render(
            accounts,
            ["rank", "account_id", "score", "tier", "roles", "cluster_id", "mcn_ids", "priority"],
            title=f"Ranked accounts of {main_event} (top {len(accounts)} of "
            f"{len(report['accounts'])})",
        )
    )
    click.echo("")
    click.echo(
        render(
            report["mcns"],
            ["rank", "mcn_id", "score", "measures", "accounts"],
            title="MCN agencies and joint measures",
            limit=60,
        )
    )
    click.echo("")
    clusters = [dict(c, size=len(c["accounts"])) for c in report["clusters"]]
    click.echo(
        render(
            clusters,
            ["cluster_id", "size", "score", "accounts"],
            title="Coordinated clusters",
            limit=70,
        )
    )
    click.echo("")
    narratives = [n for n in report["narratives"] if n["harmful"]][:10]
    click.echo(
        render(
            narratives,
            ["narrative_id", "first_poster", "size", "platforms"],
            title="Harmful narratives (largest first poster chains)",
        )
    )
    from pileon.service.alerts import alerts_from_store

    alerts = [a.to_dict() for a in alerts_from_store(store)]
    click.echo("")
    click.echo(
        render(
            [
                dict(
                    a,
                    signals=[
                        s.get("signal", s.get("name", "")) if isinstance(s, dict) else s
                        for s in a["signals"]
                    ],
                )
                for a in alerts
            ],
            ["target_id", "event_id", "priority", "began_at", "peak_at", "score", "signals"],
            title="Early-warning alerts (minors first, then targets under attack, then events)",
            limit=50,
        )
    )
    click.echo("")
    click.echo(f"report: {path}")
    click.echo(
        f"ground truth of the sample: {truth.get('truth_path', incident.parent / (incident.name + '-truth.json'))}"
    )
