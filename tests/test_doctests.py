"""The examples in the package's docstrings run and give what they show.

The modules are imported by their installed names (``pileon.graph.model``, not
``graph.model``), so each is imported once, as users import it.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

PACKAGES = (
    "pileon",
    "pileon.cli",
    "pileon.service",
    "pileon.spark",
    "pileon.graph",
    "pileon.graph.queries",
    "pileon.ingest",
    "pileon.ingest.sample",
    "pileon.detectors",
    "pileon.detectors.coordination",
    "pileon.api",
    "pileon.api.routes",
)


def _modules() -> list[str]:
    names = set(PACKAGES)
    for pkg in PACKAGES:
        for m in pkgutil.iter_modules(importlib.import_module(pkg).__path__):
            if not m.ispkg:
                names.add(f"{pkg}.{m.name}")
    return sorted(names)


def _with_examples() -> list[str]:
    out = []
    for name in _modules():
        tests = doctest.DocTestFinder().find(importlib.import_module(name))
        if any(t.examples for t in tests):
            out.append(name)
    return out


@pytest.mark.parametrize("module", _with_examples())
def test_docstring_examples_run(module):
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(verbose=False)
    for t in sorted(finder.find(importlib.import_module(module)), key=lambda t: t.name):
        runner.run(t)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {module} failed"


def test_every_package_is_walked():
    import tomllib
    from pathlib import Path

    conf = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    code = [
        p for p in conf["tool"]["setuptools"]["packages"] if not p.endswith((".static", ".vendor"))
    ]
    assert sorted(code) == sorted(PACKAGES)
