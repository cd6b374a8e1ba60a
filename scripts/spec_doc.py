"""Refresh the generated parts of docs/SPEC.md from the code (``scripts/dev spec``).

Each generated part sits between two markers::

    <!-- BEGIN GENERATED NAME: how it is made -->
    ...
    <!-- END GENERATED NAME -->

and is rewritten from the function named in :data:`BLOCKS`.  ``--check`` rewrites
nothing and exits 1 when a part differs from what the code gives (the test suite
checks the same in ``tests/test_spec_doc.py``).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

SPEC = Path(__file__).resolve().parent.parent / "docs" / "SPEC.md"


def _tables() -> str:
    from pileon.graph.model import spec_tables

    return spec_tables()


def _commands() -> str:
    from pileon.cli.reference import commands_markdown

    return commands_markdown()


#: generated part -> the function that writes it
BLOCKS: dict[str, Callable[[], str]] = {"tables": _tables, "commands": _commands}


def block_pattern(name: str) -> re.Pattern[str]:
    """The markers of one generated part; group 2 is its text."""
    return re.compile(
        rf"(<!-- BEGIN GENERATED {re.escape(name)}:[^>]*-->\n)(.*?)(<!-- END GENERATED {re.escape(name)} -->)",
        re.DOTALL,
    )


def refresh(text: str) -> str:
    """``text`` with every generated part written anew."""
    for name, make in BLOCKS.items():
        pattern = block_pattern(name)
        if len(pattern.findall(text)) != 1:
            raise SystemExit(f"error: docs/SPEC.md must hold one generated part {name!r}")
        body = make()
        text = pattern.sub(lambda m, body=body: m.group(1) + body + m.group(3), text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 when stale")
    args = parser.parse_args(argv)
    old = SPEC.read_text(encoding="utf-8")
    new = refresh(old)
    if args.check:
        if new != old:
            print("docs/SPEC.md is stale: run scripts/dev spec", file=sys.stderr)
            return 1
        print("docs/SPEC.md is up to date")
        return 0
    if new != old:
        SPEC.write_text(new, encoding="utf-8")
        print("docs/SPEC.md: generated parts rewritten")
    else:
        print("docs/SPEC.md: already up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
