"""``pileon evidence``: the one-click evidence pack for an account under attack (SPEC §6)."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO

import click

from pileon.cli import COMMANDS, open_cli_store, store_option


@click.command("evidence", short_help=COMMANDS["evidence"][1])
@click.option("--target", "target_id", required=True, help="The account under attack.")
@click.option("--event", "event_id", default=None, help="Keep only this event's contents.")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False),
    help="The ZIP to write (manifest.json and evidence.html).",
)
@store_option
def command(target_id: str, event_id: str | None, out: str, store_uri: str | None) -> None:
    """Write the evidence pack: every harmful content aimed at the target, hashed, with a
    readable page. The same store gives a byte-identical file.

    Example: pileon evidence --target weibo:1001 --out evidence.zip
    """
    from pileon.graph.errors import InputError
    from pileon.service.evidence import evidence_pack

    with open_cli_store(store_uri) as store:
        data = evidence_pack(store, target_id, event_id=event_id)
    try:
        with open(out, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        raise InputError(f"{out}: cannot write ({exc.strerror})") from None
    manifest = json.loads(zipfile.ZipFile(BytesIO(data)).read("manifest.json"))
    click.echo(f"wrote {out}: {len(manifest['items'])} items, sha256 {manifest['sha256']}")
