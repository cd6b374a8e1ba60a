"""Run mypy on the source tree under the installed package names (``scripts/dev lint``).

The four folders ``graph/``, ``ingest/``, ``detectors/`` and ``api/`` install as
``pileon.graph``, ``pileon.ingest``, ``pileon.detectors`` and ``pileon.api``
(setuptools ``package-dir``, see pyproject.toml), so no folder of the checkout is
``pileon/graph``, and the import hook of an editable install is invisible to mypy,
which finds modules by walking folders.  This script builds that layout as a tree of
symbolic links, ``build/typecheck/pileon/...`` (from the ``package-dir`` of
pyproject.toml, so it follows the packaging), runs mypy with the ``[tool.mypy]``
settings of pyproject.toml (which put ``build/typecheck`` on mypy's path and say what to
check), and prints mypy's findings with the paths of the checkout (``graph/model.py``,
not ``build/typecheck/pileon/graph/model.py``).  The links point at the files
themselves, so nothing is copied and nothing goes stale; the tree is rebuilt on every run.

Extra arguments go to mypy (for example ``--no-incremental``).  The exit status is mypy's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT / "build" / "typecheck"
TOP = "pileon"


def package_dirs() -> dict[str, Path]:
    """``{package: folder}`` of pyproject.toml's ``[tool.setuptools] package-dir``."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        config = tomllib.load(f)
    mapping = config["tool"]["setuptools"]["package-dir"]
    return {pkg: ROOT / folder for pkg, folder in mapping.items()}


def build_tree() -> dict[Path, Path]:
    """Make ``build/typecheck/pileon`` mirror the installed layout with symbolic links.

    Returns ``{link: target}`` for every link made (the targets are folders or files of
    the checkout), which :func:`to_checkout` uses to print paths of the checkout.
    """
    dirs = package_dirs()
    if TOP not in dirs:
        raise SystemExit(f"error: pyproject.toml maps no folder to {TOP!r}")
    shutil.rmtree(TREE, ignore_errors=True)
    top = TREE / TOP
    top.mkdir(parents=True)
    links: dict[Path, Path] = {}
    # pileon.X -> its folder; every package maps one level below pileon
    for pkg, folder in sorted(dirs.items()):
        if pkg == TOP:
            continue
        parent, _, leaf = pkg.rpartition(".")
        if parent != TOP:
            raise SystemExit(f"error: {pkg}: only packages directly under {TOP} are handled")
        links[top / leaf] = folder
    # the entries of pileon/ itself, unless a package-dir entry maps that name elsewhere
    for entry in sorted(dirs[TOP].iterdir()):
        if entry.name == "__pycache__" or (top / entry.name) in links:
            continue
        if entry.suffix in (".py", ".pyi") or (entry / "__init__.py").is_file():
            links[top / entry.name] = entry
    for link, target in links.items():
        link.symlink_to(os.path.relpath(target, link.parent), target_is_directory=target.is_dir())
    return links


def to_checkout(line: str, links: dict[Path, Path]) -> str:
    """A line of mypy's output with paths in the tree replaced by paths of the checkout."""
    for link, target in links.items():
        for form in (str(link.relative_to(ROOT)), str(link)):
            if form + os.sep in line or line.startswith(form + ":"):
                line = line.replace(form, str(target.relative_to(ROOT)))
    return line


def main(argv: list[str]) -> int:
    links = build_tree()
    cmd = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), *argv]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    for stream, text in ((sys.stdout, proc.stdout), (sys.stderr, proc.stderr)):
        for line in text.splitlines():
            print(to_checkout(line, links), file=stream)
    return proc.returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
