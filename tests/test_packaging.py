"""What ``pip install .`` puts into site-packages: one top-level name, ``pileon``.

The four folders of the repository (graph/, ingest/, detectors/, api/) install as
subpackages of ``pileon``; nothing generic (``graph``, ``api``...) reaches
site-packages, where another wheel's package of the same name would overwrite it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


#: the repository's folders and the package each installs as
ROOTS = {
    "pileon": "pileon",
    "graph": "pileon/graph",
    "ingest": "pileon/ingest",
    "detectors": "pileon/detectors",
    "api": "pileon/api",
}


def _dockerfile_copies() -> list[tuple[list[str], str]]:
    """The ``COPY`` lines of the Dockerfile's build stage (before its second ``FROM``):
    ``(sources, destination)``, a destination ending in ``/`` being a folder."""
    out: list[tuple[list[str], str]] = []
    stages = 0
    for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        words = line.split()
        if words[:1] == ["FROM"]:
            stages += 1
        elif words[:1] == ["COPY"] and stages == 1:
            *sources, dest = words[1:]
            out.append((sources, "" if dest in (".", "./") else dest.removeprefix("./")))
    return out


def test_the_image_builds_from_every_folder_of_the_package():
    copied = {name for sources, _ in _dockerfile_copies() for name in sources}
    assert set(ROOTS) | {"pyproject.toml", "README.md"} <= copied, copied


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    # built, as the image builds it, from what the Dockerfile's build stage copies (and
    # from nothing else: a build/ folder an earlier build left in the repository would
    # otherwise lend the wheel its stale files)
    src = tmp_path_factory.mktemp("src")
    for sources, dest in _dockerfile_copies():
        for name in sources:
            into = src / dest / name if dest in ("", "/") or dest.endswith("/") else src / dest
            if (ROOT / name).is_dir():
                ignore = shutil.ignore_patterns("__pycache__")
                shutil.copytree(ROOT / name, into, ignore=ignore)
            else:
                into.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, into)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("pileon-*.whl")
    return zipfile.ZipFile(path)


def test_the_wheel_installs_one_top_level_package(wheel):
    top = {name.split("/")[0] for name in wheel.namelist()}
    assert {t for t in top if not t.endswith(".dist-info")} == {"pileon"}
    for generic in ("graph", "api", "ingest", "detectors"):
        assert f"pileon/{generic}/__init__.py" in wheel.namelist()
    assert "pileon/api/static/index.html" in wheel.namelist()
    assert "pileon/api/static/vendor/cytoscape.min.js" in wheel.namelist()


def _source_modules() -> list[str]:
    """The installed names of every module of the source tree."""
    out = []
    for folder, installed in ROOTS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out.append(".".join(installed.split("/") + parts))
    return out


def test_the_wheel_holds_every_package_of_the_source_tree(wheel):
    """Every folder with an ``__init__.py`` under the four folders and ``pileon/`` is in
    the wheel (a subpackage missing from ``pyproject.toml``'s list is left out of it, and
    the editable install of the repository would hide that)."""
    names = set(wheel.namelist())
    missing = []
    for folder, installed in ROOTS.items():
        for init in sorted((ROOT / folder).rglob("__init__.py")):
            rel = init.relative_to(ROOT / folder).as_posix()
            if f"{installed}/{rel}" not in names:
                missing.append(f"{folder}/{rel}")
    assert not missing, missing


def test_the_console_script_is_pileon_cli_main(wheel):
    (ep,) = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    text = wheel.read(ep).decode()
    assert "pileon = pileon.cli:main" in text


def test_the_installed_wheel_imports_and_runs_outside_the_repository(wheel, tmp_path):
    """Installed without the source tree: every module imports by its pileon name, and the
    CLI answers (the dependencies are this environment's)."""
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            wheel.filename,
        ],
        check=True,
        capture_output=True,
    )
    code = (
        "import importlib, pkgutil, sys\n"
        # without the repository's editable install, which maps pileon's subpackages onto
        # its folders: a module the wheel lacks would be found there instead
        "sys.meta_path[:] = [f for f in sys.meta_path\n"
        "                    if not getattr(f, '__module__', '').startswith('__editable__')]\n"
        "import pileon\n"
        f"assert pileon.__file__.startswith({str(target)!r}), pileon.__file__\n"
        "names = [m.name for m in pkgutil.walk_packages(pileon.__path__, 'pileon.')]\n"
        # and every module of the source tree, also those only imported inside functions
        f"names += {_source_modules()!r}\n"
        "for n in names:\n"
        "    importlib.import_module(n)\n"
        "from pileon.cli import main\n"
        "sys.argv = ['pileon', '--help']\n"
        "main()\n"
    )
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert "analyze" in r.stdout and "coactivity" in r.stdout
