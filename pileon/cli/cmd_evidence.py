"""``pileon evidence``: the one-click evidence pack for an account under attack (SPEC §6),
and ``pileon evidence verify FILE.zip``, which checks one.

``evidence`` is a group that runs itself when no subcommand follows, so that
``pileon evidence --target ID --out FILE.zip`` writes a pack as it always did.
"""

from __future__ import annotations

import json
import sys
import zipfile
from io import BytesIO

import click

from pileon.cli import COMMANDS, open_cli_store, store_option


@click.group(
    "evidence",
    short_help=COMMANDS["evidence"][1],
    invoke_without_command=True,
    subcommand_metavar="[verify FILE.zip]",
)
@click.option(
    "--target", "target_id", default=None, help="The account under attack (needed for a pack)."
)
@click.option("--event", "event_id", default=None, help="Keep only this event's contents.")
@click.option(
    "--out",
    "out",
    default=None,
    type=click.Path(dir_okay=False),
    help="The ZIP to write (manifest.json and evidence.html; needed for a pack).",
)
@store_option
@click.pass_context
def command(
    ctx: click.Context,
    target_id: str | None,
    event_id: str | None,
    out: str | None,
    store_uri: str | None,
) -> None:
    """Write the evidence pack: every harmful content aimed at the target, hashed and
    sealed, with a readable page. The same store gives a byte-identical file, and records
    that it issued it. `pileon evidence verify FILE.zip` checks a pack.

    Example: pileon evidence --target weibo:1001 --out evidence.zip
    """
    if ctx.invoked_subcommand is not None:
        if target_id or event_id or out:
            raise click.UsageError("--target, --event and --out make a pack; verify takes none")
        return
    if not target_id or not out:
        raise click.UsageError(f"Missing option '{'--target' if not target_id else '--out'}'.")
    from pileon.graph.errors import InputError
    from pileon.service.evidence import evidence_pack

    with open_cli_store(store_uri) as store:
        data = evidence_pack(store, target_id, event_id=event_id, issued_by="cli")
    try:
        with open(out, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        raise InputError(f"{out}: cannot write ({exc.strerror})") from None
    manifest = json.loads(zipfile.ZipFile(BytesIO(data)).read("manifest.json"))
    click.echo(
        f"wrote {out}: {len(manifest['items'])} items, sha256 {manifest['sha256']}, "
        f"seal {manifest['seal']}"
    )


@command.command("verify")
@click.argument("pack", metavar="FILE.zip", type=click.Path(dir_okay=False))
@click.option(
    "--issued",
    is_flag=True,
    help="Also check that the store (--store) issued this very pack.",
)
@store_option
@click.pass_context
def verify(ctx: click.Context, pack: str, issued: bool, store_uri: str | None) -> None:
    """Recompute every hash of an evidence pack (each item's, the manifest's, the seal over
    the target and the time) and render its page again from its manifest; print what fails
    and exit 1 when anything does. Hashes alone cannot tell a pack recomputed by a forger:
    --issued also checks that the store handed out a pack with this seal and this page.

    Example: pileon evidence verify victim.zip --issued --store incident.db
    """
    from pileon.graph.errors import InputError
    from pileon.service.evidence import verify_evidence

    try:
        with open(pack, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise InputError(f"{pack}: cannot read ({exc.strerror})") from None
    store = None
    if issued:
        store = open_cli_store(store_uri or ctx.parent.params.get("store_uri"))
    try:
        check, found = verify_evidence(data, store)
    except InputError as exc:
        raise InputError(f"{pack}: {exc}") from None
    finally:
        if store is not None:
            store.close()
    for line in check.failures:
        click.echo(f"FAIL {line}")
    for line in found:
        click.echo(line)
    if not check.ok:
        click.echo(
            f"error: {pack}: {len(check.failures)} of {check.checks} checks failed", err=True
        )
        sys.exit(1)
    click.echo(
        f"ok {pack}: {check.items} items, target {check.target_id}, generated "
        f"{check.generated_at}, sha256 {check.sha256}, seal {check.seal} "
        f"({check.checks} checks)"
    )
