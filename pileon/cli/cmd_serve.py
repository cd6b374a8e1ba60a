"""``pileon serve``: the HTTP API (SPEC §5) on uvicorn."""

from __future__ import annotations

import click

from pileon.cli import COMMANDS, settings_for, store_option


@click.command("serve", short_help=COMMANDS["serve"][1])
@click.option(
    "--host",
    default=None,
    metavar="HOST",
    help="Interface to listen on (PILEON_HOST, default 127.0.0.1).",
)
@click.option(
    "--port",
    default=None,
    type=int,
    metavar="PORT",
    help="Port to listen on (PILEON_PORT, default 8000).",
)
@store_option
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
def command(host: str | None, port: int | None, store_uri: str | None, log_level: str) -> None:
    """Serve the HTTP API: JSON under /v1, OpenAPI at /openapi.json.

    API keys come from PILEON_API_KEYS (NAME:KEY:ROLE,KEY:ROLE or a file of such lines;
    the name, optional, is recorded on decisions); roles are viewer, enforcer and admin.
    Keys under 128 bits are refused; make one with
    python -c "import secrets; print(secrets.token_urlsafe(32))".

    Example: PILEON_API_KEYS="$KEY:admin" pileon serve --port 8000
    """
    import uvicorn

    from pileon.api.app import create_app

    settings = settings_for(store_uri, host=host, port=port).require_keys()
    settings.open_store().close()  # refuse to start on a store that cannot be opened
    app = create_app(settings)
    click.echo(
        f"pileon API on http://{settings.host}:{settings.port} "
        f"(docs at /docs, {len(settings.keys)} API key(s))",
        err=True,
    )
    uvicorn.run(
        app, host=settings.host, port=settings.port, log_level=log_level, server_header=False
    )
