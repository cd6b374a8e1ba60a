"""The command reference of docs/SPEC.md §3, written from the click commands themselves.

:func:`commands_markdown` walks the ``pileon`` group through click's own interface
(``list_commands`` and ``get_command``, which a lazily loading group answers too) and
renders each command's usage, help and options as ``--help`` shows them.  Only this
function imports every command, never ``pileon --help``.  ``scripts/dev spec`` writes its
output into docs/SPEC.md, and ``tests/test_spec_doc.py`` checks that the document holds
exactly this text, so the reference cannot drift from the commands.
"""

from __future__ import annotations

import inspect

import click


def _cell(text: str) -> str:
    """Text for one markdown table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def _help_paragraphs(cmd: click.Command) -> list[str]:
    """The command's help as paragraphs (click's ``\\b`` markers dropped); an ``Example:``
    paragraph shows its command line as code."""
    text = inspect.cleandoc(cmd.help or "")
    out = []
    for para in text.split("\n\n"):
        lines = [ln for ln in para.splitlines() if ln.strip() != "\b"]
        words = " ".join(" ".join(lines).split())
        if not words:
            continue
        if words.startswith("Example: "):
            words = f"Example: `{words.removeprefix('Example: ')}`"
        out.append(words)
    return out


def _options_table(cmd: click.Command, ctx: click.Context) -> list[str]:
    rows = []
    for param in cmd.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is None or "--help" in param.opts:
            continue
        names, help_text = record
        if isinstance(param, click.Argument) and not help_text:
            continue  # shown in the usage line
        rows.append(f"| `{_cell(names)}` | {_cell(help_text)} |")
    if not rows:
        return []
    return ["| option | meaning |", "| --- | --- |", *rows]


def _command_markdown(cmd: click.Command, ctx: click.Context) -> list[str]:
    """One command's heading (its usage), help and options table."""
    usage = " ".join([ctx.command_path, *cmd.collect_usage_pieces(ctx)])
    lines = ["", f"#### `{usage}`", ""]
    for para in _help_paragraphs(cmd):
        lines += [para, ""]
    return lines + _options_table(cmd, ctx)


def commands_markdown(group: click.Group | None = None, prog: str = "pileon") -> str:
    """Every command of ``group`` (default: the ``pileon`` group), as markdown.

    Parameters
    ----------
    group : click.Group, optional
        The group to document; default :data:`pileon.cli.cli`.
    prog : str
        The program name the usage lines start with.

    Returns
    -------
    str
        The group's own options, then per command (by name): a heading with its usage,
        its help and a table of its options with their help, defaults and bounds as
        ``pileon COMMAND --help`` prints them; a command's subcommands follow it.

    Notes
    -----
    Imports every command module (that is what a reference needs); O(commands + options).
    """
    if group is None:
        from pileon.cli import cli

        group = cli
    root = click.Context(group, info_name=prog)
    lines = [f"`{prog} [OPTIONS] COMMAND [ARGS]...`", ""]
    lines += _options_table(group, root)
    for name in group.list_commands(root):
        cmd = group.get_command(root, name)
        if cmd is None or cmd.hidden:
            continue
        ctx = click.Context(cmd, info_name=name, parent=root)
        lines += _command_markdown(cmd, ctx)
        if isinstance(cmd, click.Group):  # a command with subcommands (pileon evidence verify)
            for sub_name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, sub_name)
                if sub is not None and not sub.hidden:
                    lines += _command_markdown(
                        sub, click.Context(sub, info_name=sub_name, parent=ctx)
                    )
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(commands_markdown(), end="")
