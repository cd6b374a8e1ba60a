"""``pileon export``: the event's account graph as GraphML or GEXF, for Gephi."""

from __future__ import annotations

import click

from pileon.cli import COMMANDS, open_cli_store, store_option


@click.command("export", short_help=COMMANDS["export"][1])
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
    from pileon.detectors.export import write_graph
    from pileon.graph.errors import InputError
    from pileon.service.exports import event_graph

    with open_cli_store(store_uri) as store:
        g, report = event_graph(store, event_id, window=window)
    try:
        write_graph(g, out, fmt)
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror or exc}") from None
    note = "" if report else " (not analyzed yet: no findings on the nodes)"
    click.echo(f"wrote {out}: {g.number_of_nodes()} nodes, {g.number_of_edges()} edges{note}")
