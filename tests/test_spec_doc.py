"""docs/SPEC.md, the contract, says what the code does: tables, commands, report, API, alerts.

The input tables are read back from the document's own markdown and compared with
``pileon.graph.model.TABLES``; the generated parts must be what ``scripts/dev spec``
writes; the API's endpoint list must be the app's, role for role.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pileon.api.app import create_app
from pileon.detectors.alerts import RECOMMENDATIONS, SIGNALS
from pileon.detectors.report import ACCOUNT_KEYS, REPORT_KEYS
from pileon.graph.model import LOAD_ORDER, MCN_MEASURES, ROLES, TABLES, _main, spec_tables
from pileon.settings import Settings
from tests.helpers import KEYS, keys_setting

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "docs" / "SPEC.md"
TEXT = SPEC.read_text(encoding="utf-8")
ROLE_ORDER = ("none", "viewer", "enforcer", "admin")


def section(n: int) -> str:
    """The text of ``## n. ...`` up to the next section."""
    m = re.search(rf"^## {n}\. .*?(?=^## \d+\. |\Z)", TEXT, re.MULTILINE | re.DOTALL)
    assert m, f"docs/SPEC.md has no section {n}"
    return m.group(0)


def table_rows(text: str, header: str) -> list[list[str]]:
    """The body rows of the markdown table whose header line is ``header``, as cells."""
    lines = text.splitlines()
    assert header in lines, f"no table with header {header!r}"
    rows = []
    for line in lines[lines.index(header) + 2 :]:
        if not line.startswith("|"):
            break
        cells = re.split(r"(?<!\\) \| ", line.strip().strip("|").strip())
        rows.append([c.strip() for c in cells])
    return rows


def names(cell: str) -> list[str]:
    """The backticked names of a cell, in order."""
    return re.findall(r"`([^`]+)`", cell)


def load_spec_doc_script():
    spec = importlib.util.spec_from_file_location("spec_doc", ROOT / "scripts" / "spec_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------ §2 input tables


def test_input_tables_in_the_document_have_the_models_keys_and_columns():
    rows = table_rows(
        section(2),
        "| table | key | required columns | optional columns | references (placeholders) |",
    )
    documented = {names(r[0])[0]: r for r in rows}
    assert [names(r[0])[0] for r in rows] == list(LOAD_ORDER)
    assert set(documented) == set(TABLES)
    for name, t in TABLES.items():
        table, key, required, optional, refs = documented[name]
        assert tuple(names(key)) == t.key, name
        assert names(required) == t.required, name
        assert names(optional) == [c.name for c in t.columns if not c.required], name
        assert [n for n in names(refs)] == [r.column for r in t.references], name


def test_column_types_and_bounds_are_written_as_the_model_says():
    rows = table_rows(
        section(2),
        "| table | key | required columns | optional columns | references (placeholders) |",
    )
    cell = {names(r[0])[0]: r[2] + ", " + r[3] for r in rows}
    assert "`harm` (number 0..1)" in cell["contents"]
    assert "`tier` (integer 0..4)" in cell["labels"]
    assert "`followers` (integer >= 0)" in cell["accounts"]
    assert "`posted_at` (time)" in cell["contents"]
    assert "`keywords` (list)" in cell["events"]
    assert "`is_minor` (boolean)" in cell["accounts"]


def test_generated_parts_are_what_the_code_writes():
    script = load_spec_doc_script()
    assert set(script.BLOCKS) == {"tables", "commands"}
    for name, make in script.BLOCKS.items():
        m = script.block_pattern(name).search(TEXT)
        assert m, f"docs/SPEC.md lacks the generated part {name!r}"
        assert m.group(2) == make(), f"docs/SPEC.md part {name!r} is stale: run scripts/dev spec"
    assert script.refresh(TEXT) == TEXT


def test_model_prints_the_spec_tables(capsys):
    assert _main(["--spec-tables"]) == 0
    assert capsys.readouterr().out == spec_tables()


def test_every_command_has_a_heading_in_the_reference():
    from pileon.cli import cli

    ctx = cli.make_context("pileon", ["--help"], resilient_parsing=True)
    headings = re.findall(r"^#### `pileon (\S+)", section(3), re.MULTILINE)
    listed = list(dict.fromkeys(headings))  # a command's subcommands follow it
    assert listed == sorted(cli.list_commands(ctx))
    assert "#### `pileon evidence verify [OPTIONS] FILE.zip`" in section(3)
    assert len(listed) >= 10


# ------------------------------------------------------------------ §4 report


def test_roles_and_mcn_measures_are_the_models():
    sec = section(4)
    roles = [names(r[0])[0] for r in table_rows(sec, "| role | the account |")]
    assert tuple(roles) == ROLES
    measures = [names(r[0])[0] for r in table_rows(sec, "| measures end with | when the MCN |")]
    assert tuple(measures) == MCN_MEASURES
    tiers = [r[0] for r in table_rows(sec, "| tier | measure | who |")]
    assert tiers == ["0", "1", "2", "3", "4"]


def test_report_keys_are_the_reports():
    sec = section(4)
    m = re.search(
        r"The report's keys are exactly (.*?); an account's are exactly (.*?)\.", sec, re.S
    )
    assert m
    assert tuple(names(m.group(1))) == REPORT_KEYS
    assert tuple(names(m.group(2))) == ACCOUNT_KEYS


# ------------------------------------------------------------------ §5 API


def documented_endpoints() -> list[tuple[str, str, str]]:
    rows = table_rows(section(5), "| method | path | role | what |")
    return [(names(r[0])[0], names(r[1])[0], r[2]) for r in rows]


def test_api_endpoints_listed_are_exactly_the_apps(tmp_path):
    app = create_app(Settings(api_keys=keys_setting(), store=str(tmp_path / "p.db")))
    served = {
        (method.upper(), path)
        for path, ops in app.openapi()["paths"].items()
        for method in ops
        if method in ("get", "post", "put", "patch", "delete")
    }
    listed = [(m, p) for m, p, _ in documented_endpoints()]
    assert len(listed) == len(set(listed))
    assert set(listed) == served


def test_api_roles_listed_are_the_ones_enforced(tmp_path):
    keys = KEYS
    # every endpoint is called without a key on purpose: no throttling of those 401s here
    settings = Settings(
        api_keys=keys_setting(keys), store=str(tmp_path / "p.db"), max_auth_failures=10**6
    )
    with TestClient(create_app(settings)) as client:
        for method, path, role in documented_endpoints():
            assert role in ROLE_ORDER, (path, role)
            url = re.sub(r"\{[^}]+\}", "nobody", path)
            needed = ROLE_ORDER.index(role)
            for caller in ROLE_ORDER:
                headers = {} if caller == "none" else {"Authorization": f"Bearer {keys[caller]}"}
                status = client.request(method, url, headers=headers).status_code
                if ROLE_ORDER.index(caller) >= needed:
                    assert status not in (401, 403), (method, path, caller, status)
                else:
                    assert status == (401 if caller == "none" else 403), (method, path, caller)


# ------------------------------------------------------------------ §6 alerts


def test_alert_signals_and_recommendations_are_the_detectors():
    sec = section(6)
    signals = [names(r[0])[0] for r in table_rows(sec, "| signal | counts |")]
    assert tuple(signals) == SIGNALS
    recommend = [names(r[0])[0] for r in table_rows(sec, "| recommend | protection |")]
    assert recommend == list(RECOMMENDATIONS)


# ------------------------------------------------------------------ citations


SOURCES = ("graph", "ingest", "detectors", "api", "pileon", "tests", "bench", "scripts", "docs")


def cited_files() -> list[Path]:
    out = [ROOT / "README.md"]
    for top in SOURCES:
        for p in sorted((ROOT / top).rglob("*")):
            if p.suffix in (".py", ".md", ".js", ".html") and "vendor" not in p.parts:
                out.append(p)
    return out


def test_every_spec_citation_names_a_section_of_the_document():
    sections = {int(n) for n in re.findall(r"^## (\d+)\. ", TEXT, re.MULTILINE)}
    assert sections == set(range(1, 8))
    cited = {}
    for p in cited_files():
        for n in re.findall(r"SPEC §(\d+)", p.read_text(encoding="utf-8", errors="replace")):
            cited.setdefault(int(n), []).append(p.relative_to(ROOT).as_posix())
    assert cited, "no SPEC citations found: is the pattern right?"
    assert set(cited) <= sections, {n: f for n, f in cited.items() if n not in sections}


@pytest.mark.parametrize("phrase", ["project's shared folder", "shared/SPEC"])
def test_nothing_calls_a_folder_outside_the_repository_the_contract(phrase):
    hits = [
        p.relative_to(ROOT).as_posix()
        for p in cited_files()
        if phrase in p.read_text(encoding="utf-8", errors="replace")
        and p.name != "test_spec_doc.py"
    ]
    assert hits == []
    assert "docs/SPEC.md" in (ROOT / "README.md").read_text(encoding="utf-8")
