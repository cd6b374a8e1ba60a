"""The ``pileon`` command line: a thin layer over the library.

Each ``cmd_*.py`` module beside this one defines ``command`` (a click command)
and is registered automatically.  Commands open the store, call one library
function and print; a :class:`pileon.graph.errors.PileonError` becomes one line on
stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click

from pileon.graph.errors import PileonError

store_option = click.option(
    "--store",
    "store_uri",
    envvar="PILEON_STORE",
    default=None,
    metavar="URI",
    help="Store: a file path for the embedded store (default ./pileon.db) or "
    "neo4j://HOST:PORT (with NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE).",
)


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except PileonError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("error: interrupted", err=True)
            sys.exit(130)


@click.group(cls=_Group)
@click.version_option(package_name="pileon")
def cli() -> None:
    """pileon: find who is behind a pile-on, ranked and with evidence."""


def _register() -> None:
    for mod in sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("cmd_")):
        module = importlib.import_module(f"{__name__}.{mod}")
        cmd = getattr(module, "command", None)
        if isinstance(cmd, click.Command):
            cli.add_command(cmd)


_register()


def main() -> None:
    """Entry point of the ``pileon`` script."""
    cli(prog_name="pileon")
