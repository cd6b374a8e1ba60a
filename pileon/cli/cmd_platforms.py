"""``pileon platforms``: how much abuse each platform carried and how fast it acted (SPEC §7)."""

from __future__ import annotations

import json

import click

from pileon.cli import COMMANDS, open_cli_store, store_option


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def _share(x: float | None) -> str:
    return "-" if x is None else f"{x:.0%}"


@click.command("platforms", short_help=COMMANDS["platforms"][1])
@click.option("--event", "event_id", required=True, help="The event.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as a JSON list.")
@click.option("--progress/--no-progress", default=False, help="Show progress when computing.")
@store_option
def command(event_id: str, as_json: bool, progress: bool, store_uri: str | None) -> None:
    """Per platform: the event's harmful contents and the share removed, its reports, the
    median and p90 time from report to first action, the shares acted on within 1 h and
    24 h, the median for reports involving minors, and the harmful venues still open.
    From the event's latest analysis (computed, not saved, when it has none).

    Example: pileon platforms --event evt:2026-03-nancheng-teacher --json
    """
    from pileon.service.places import event_platforms

    with open_cli_store(store_uri) as store:
        rows, _ = event_platforms(store, event_id, show_progress=progress)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no platform carried the event")
        return
    head = (
        f"{'platform':<14}{'harmful':>8}{'removed':>9}{'reports':>9}{'acted':>7}"
        f"{'median':>10}{'p90':>10}{'<1h':>6}{'<24h':>6}{'minors':>10}{'open':>6}"
    )
    click.echo(head)
    for r in rows:
        click.echo(
            f"{r['platform']:<14}{r['harmful']:>8}{_share(r['harmful_removed_share']):>9}"
            f"{r['reports']:>9}{_share(r['reports_actioned_share']):>7}"
            f"{_duration(r['report_to_action_median_s']):>10}"
            f"{_duration(r['report_to_action_p90_s']):>10}"
            f"{_share(r['actioned_within_1h_share']):>6}"
            f"{_share(r['actioned_within_24h_share']):>6}"
            f"{_duration(r['minor_report_to_action_median_s']):>10}"
            f"{r['harmful_venues_open']:>6}"
        )
