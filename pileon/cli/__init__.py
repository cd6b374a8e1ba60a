"""The ``pileon`` command line: a thin layer over the library.

Commands are registered lazily: :data:`COMMANDS` names each command's module
and its one-line help, so ``pileon --help`` imports no command and
``pileon COMMAND --help`` imports only that one (each module keeps its heavy
imports inside the command).  A module ``cmd_NAME.py`` beside this one defines
``command`` (a click command); ``tests/test_cli.py`` checks that the registry
and the modules agree.

Commands open the store, call one library function and print; a
:class:`pileon.graph.errors.PileonError` becomes one line on stderr and a
non-zero exit, never a traceback.  ``--store`` is accepted before the command
(``pileon --store URI ingest DIR``) or after it; the one after wins, then the
one before, then ``PILEON_STORE`` (:class:`pileon.settings.Settings`).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from pileon.graph.store import Store
    from pileon.settings import Settings

#: command name -> (module, one-line help as ``pileon --help`` lists it)
COMMANDS: dict[str, tuple[str, str]] = {
    "alerts": (
        "pileon.cli.cmd_alerts",
        "Early warnings: harm reaching minors, hostile surges per target, event heat.",
    ),
    "analyze": ("pileon.cli.cmd_analyze", "Analyze one event and write its ranked report."),
    "coactivity": ("pileon.cli.cmd_coactivity", "Write the co-repost network as a CSV edge list."),
    "demo": ("pileon.cli.cmd_demo", "Sample incident -> ingest -> analyze -> ranked tables."),
    "evidence": ("pileon.cli.cmd_evidence", "Write the one-click evidence pack of a target."),
    "export": ("pileon.cli.cmd_export", "Export an event's account graph for Gephi."),
    "ingest": ("pileon.cli.cmd_ingest", "Load a folder of input tables into the store."),
    "platforms": (
        "pileon.cli.cmd_platforms",
        "Per platform: abuse carried, removed, and how fast reports were acted on.",
    ),
    "sample": ("pileon.cli.cmd_sample", "Write a generated sample incident with its truth."),
    "serve": ("pileon.cli.cmd_serve", "Serve the HTTP API and the investigator page."),
    "train": ("pileon.cli.cmd_train", "Fit the risk model on past decisions."),
}

STORE_HELP = (
    "Store: a file path for the embedded store (default ./pileon.db) or "
    "neo4j://HOST:PORT (with NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE); "
    "default PILEON_STORE."
)

F = TypeVar("F", bound=Callable[..., Any])


def store_option(f: F) -> F:
    """The ``--store URI`` option of a command (see the module docstring for precedence)."""
    return click.option("--store", "store_uri", default=None, metavar="URI", help=STORE_HELP)(f)


def settings_for(store_uri: str | None = None, **overrides: Any) -> Settings:
    """The settings of this invocation: ``--store`` after the command, else before it, else
    the environment (:func:`pileon.settings.load_settings`); ``overrides`` (not None) win."""
    from pileon.settings import load_settings

    ctx = click.get_current_context(silent=True)
    before = ctx.find_root().params.get("store_uri") if ctx is not None else None
    return load_settings(store=store_uri or before, **overrides)


def open_cli_store(store_uri: str | None = None) -> Store:
    """Open the store this invocation names (:func:`settings_for`)."""
    return settings_for(store_uri).open_store()


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command runs or shows help,
    and turns pileon's errors into one line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        command = importlib.import_module(entry[0]).command
        assert isinstance(command, click.Command), entry[0]
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (Exception, KeyboardInterrupt) as exc:
            line = one_line(exc, ctx.invoked_subcommand)
            if line is None:
                raise
            click.echo(line[0], err=True)
            sys.exit(line[1])


def one_line(exc: BaseException, command: str | None = None) -> tuple[str, int] | None:
    """The error line and exit code a command's failure ``exc`` is shown as, or None for a
    failure that is a bug outside any job's stages (its traceback is shown)."""
    from pileon.graph.errors import PileonError, out_of_memory

    if isinstance(exc, PileonError):
        return f"error: {exc}", exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        return "error: interrupted", 130
    if isinstance(exc, (MemoryError, OSError, ImportError)) and out_of_memory(exc):
        # outside a job's stages (which name theirs): still one line
        who = " ".join(filter(None, ["pileon", command]))
        return (
            f"error: {who} ran out of memory: free memory or run on a machine with more, "
            "or give it less data at once",
            4,
        )
    return None


@click.group(cls=LazyGroup)
@click.option("--store", "store_uri", default=None, metavar="URI", help=STORE_HELP)
@click.version_option(package_name="pileon")
def cli(store_uri: str | None) -> None:
    """pileon: find who is behind a pile-on, ranked and with evidence.

    Example: pileon --store ./incident.db analyze --event evt:1 --out report.json
    """


def main() -> None:
    """Entry point of the ``pileon`` script."""
    cli(prog_name="pileon")
