"""``pileon export``: the event's account graph as GraphML or GEXF, for Gephi."""

from __future__ import annotations

import click

from pileon.cli import store_option
from pileon.graph.errors import InputError
from pileon.graph.store import open_store


@click.command("export")
@click.option("--event", "event_id", required=True, help="Event ID.")
@click.option("--format", "fmt", type=click.Choice(["graphml", "gexf"]), required=True)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False))
@click.option(
    "--window",
    default=60.0,
    show_default=True,
    help="Seconds within which two reposts of the same content count as co-activity.",
)
@store_option
def command(event_id: str, fmt: str, out: str, window: float, store_uri: str | None) -> None:
    """Write the event's account graph (repost, co-activity and MCN edges; findings on nodes).

    Example: pileon export --event e1 --format gexf --out e1.gexf
    """
    from pileon.detectors.export import account_graph, write_graph
    from pileon.graph.projection import project

    with open_store(store_uri) as store:
        p = project(store, event_id)
        run = store.latest_run(event_id)
        report = store.report(run) if run else None
    g = account_graph(p, report, window=window)
    try:
        write_graph(g, out, fmt)
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror or exc}") from None
    note = "" if report else " (not analyzed yet: no findings on the nodes)"
    click.echo(f"wrote {out}: {g.number_of_nodes()} nodes, {g.number_of_edges()} edges{note}")
