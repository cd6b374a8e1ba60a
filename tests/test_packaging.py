"""What ``pip install .`` puts into site-packages: one top-level name, ``pileon``.

The four folders of the repository (graph/, ingest/, detectors/, api/) install as
subpackages of ``pileon``; nothing generic (``graph``, ``api``...) reaches
site-packages, where another wheel's package of the same name would overwrite it.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
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
        "import pileon\n"
        f"assert pileon.__file__.startswith({str(target)!r}), pileon.__file__\n"
        "names = [m.name for m in pkgutil.walk_packages(pileon.__path__, 'pileon.')]\n"
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
