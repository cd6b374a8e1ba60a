"""The CLI end to end: exit codes, one-line errors, ingest summary, coactivity, demo."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from pileon.cli import COMMANDS, cli
from pileon.detectors.coactivity import coactivity
from pileon.graph.embedded import EmbeddedStore


@pytest.fixture(scope="module")
def incident(tmp_path_factory):
    from pileon.ingest.sample import generate_incident

    d = tmp_path_factory.mktemp("cli")
    truth = generate_incident(d / "incident", seed=3, scale=0.2)
    return d, truth


def run(*args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kw)


def test_ingest_json_summary_reconciles_and_twice_changes_nothing(incident, tmp_path):
    d, _ = incident
    db = tmp_path / "s.db"
    r = run("ingest", d / "incident", "--store", db, "--json", "--rejects", tmp_path / "rej.csv")
    assert r.exit_code == 0, r.output
    summary = json.loads(r.output)
    assert set(summary) == {"tables", "rejects"}
    for name, c in summary["tables"].items():
        assert c["read"] == c["stored"] + c["rejected"], name
    assert summary["tables"]["reposts"]["placeholders"] >= 1  # the planted deleted sources
    before = EmbeddedStore(str(db)).frame("reposts")
    r2 = run("ingest", d / "incident", "--store", db, "--json", "--rejects", tmp_path / "rej.csv")
    again = json.loads(r2.output)
    assert all(c["placeholders"] == 0 for c in again["tables"].values())
    pd.testing.assert_frame_equal(EmbeddedStore(str(db)).frame("reposts"), before)


@pytest.mark.parametrize(
    "args, message",
    [
        (["ingest", "/no/such/folder"], "error: /no/such/folder: not a folder\n"),
        (["analyze", "--event", "nope"], "error: unknown event 'nope'\n"),
        (
            ["coactivity", "--window", "-1", "--out", "x.csv"],
            "error: --window must be at least 0 seconds\n",
        ),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(tmp_path, args, message):
    db = tmp_path / "empty.db"
    r = CliRunner().invoke(cli, args + ["--store", str(db)])
    assert r.exit_code == 2
    assert r.output == message  # stderr is mixed into output: exactly one line, no traceback


def test_unreadable_file_names_it(tmp_path):
    (tmp_path / "contents.parquet").write_bytes(b"\x00not parquet")
    r = CliRunner().invoke(cli, ["ingest", str(tmp_path), "--store", str(tmp_path / "s.db")])
    assert r.exit_code == 2
    assert r.output.startswith("error: ") and "contents.parquet" in r.output
    assert r.output.count("\n") == 1


def test_a_store_in_a_missing_folder_says_so(incident, tmp_path):
    d, _ = incident
    db = tmp_path / "no" / "such" / "s.db"
    r = CliRunner().invoke(cli, ["ingest", str(d / "incident"), "--store", str(db)])
    assert r.exit_code == 3
    assert r.output == (
        f"error: cannot open the embedded store {db}: its folder {db.parent} does not exist\n"
    )


def test_coactivity_command_writes_the_exact_edge_list(incident, tmp_path):
    d, truth = incident
    db = tmp_path / "s.db"
    run("ingest", d / "incident", "--store", db, "--rejects", tmp_path / "rej.csv")
    out = tmp_path / "pairs.csv"
    r = run("coactivity", "--window", 60, "--min-weight", 2, "--out", out, "--store", db)
    assert r.exit_code == 0, r.output
    got = pd.read_csv(out, dtype={"account_a": str, "account_b": str})
    assert list(got.columns) == ["account_a", "account_b", "weight"]
    want = coactivity(EmbeddedStore(str(db)).frame("reposts"), window=60, min_weight=2)
    pd.testing.assert_frame_equal(got, want.reset_index(drop=True), check_dtype=False)
    assert (got["account_a"] < got["account_b"]).all() and (got["weight"] >= 2).all()
    # --event keeps the event's reposts only: every paired account took part in the event
    event = next(iter(truth["events"]))
    out_e = tmp_path / "pairs-e.csv"
    assert (
        run("coactivity", "--event", event, "--window", 60, "--out", out_e, "--store", db).exit_code
        == 0
    )
    ev = pd.read_csv(out_e, dtype=str)
    assert len(ev) > 0
    assert set(ev["account_a"]) | set(ev["account_b"]) <= _event_accounts(db, event)


def _event_accounts(db, event):
    from pileon.graph.projection import project

    p = project(EmbeddedStore(str(db)), event)
    return set(p.contents["account_id"].dropna()) | set(p.reposts["account_id"])


def test_demo_shows_ranked_accounts_mcns_clusters_and_alerts(tmp_path):
    r = run("demo", "--dir", tmp_path / "demo", "--scale", 0.3, "--seed", 5)
    assert r.exit_code == 0, r.output
    out = r.output
    for heading in (
        "Ranked accounts of",
        "MCN agencies and joint measures",
        "Coordinated clusters",
        "Early-warning alerts",
        "report: ",
    ):
        assert heading in out
    report_path = out.rsplit("report: ", 1)[1].splitlines()[0].strip()
    report = json.loads(open(report_path, encoding="utf-8").read())
    assert report["accounts"][0]["rank"] == 1
    assert [a["rank"] for a in report["accounts"]] == list(range(1, len(report["accounts"]) + 1))


# ------------------------------------------------------------- the command registry
def test_registry_names_every_command_module_and_its_help():
    import importlib
    import pkgutil

    import pileon.cli as cli_pkg
    from pileon.cli import COMMANDS

    modules = {m.name for m in pkgutil.iter_modules(cli_pkg.__path__) if m.name.startswith("cmd_")}
    assert {mod.rsplit(".", 1)[1] for mod, _ in COMMANDS.values()} == modules
    for name, (mod, short) in COMMANDS.items():
        command = importlib.import_module(mod).command
        assert command.name == name
        assert command.get_short_help_str(limit=200) == short


@pytest.mark.parametrize("args", [["--help"], ["--version"]] + [[c, "--help"] for c in COMMANDS])
def test_help_imports_no_data_library(args):
    """``pileon --help`` and ``pileon COMMAND --help`` stay quick: they import neither pandas
    nor numpy (bench/bench_cli.py times them)."""
    import subprocess
    import sys

    code = (
        "import sys\nfrom pileon.cli import main\nsys.argv = ['pileon'] + sys.argv[1:]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('pandas', 'numpy', 'pydantic', 'fastapi') if m in sys.modules)\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "HEAVY=", out


def test_store_is_accepted_before_or_after_the_command(incident, tmp_path):
    folder = incident[0] / "incident"
    before, after = tmp_path / "before.db", tmp_path / "after.db"
    invoke = CliRunner().invoke
    r1 = invoke(
        cli,
        [
            "--store",
            str(before),
            "ingest",
            str(folder),
            "--json",
            "--no-progress",
            "--rejects",
            str(tmp_path / "r1.csv"),
        ],
    )
    r2 = invoke(
        cli,
        [
            "ingest",
            str(folder),
            "--store",
            str(after),
            "--json",
            "--no-progress",
            "--rejects",
            str(tmp_path / "r2.csv"),
        ],
    )
    assert r1.exit_code == 0 and r2.exit_code == 0, (r1.output, r2.output)
    assert json.loads(r1.output)["tables"] == json.loads(r2.output)["tables"]
    assert (
        EmbeddedStore(str(before)).count("accounts")
        == EmbeddedStore(str(after)).count("accounts")
        > 0
    )
    # the one after the command wins over the one before it
    wins = tmp_path / "wins.db"
    r3 = invoke(
        cli,
        [
            "--store",
            str(tmp_path / "loses.db"),
            "ingest",
            str(folder),
            "--store",
            str(wins),
            "--no-progress",
            "--rejects",
            str(tmp_path / "r3.csv"),
        ],
    )
    assert r3.exit_code == 0 and wins.exists() and not (tmp_path / "loses.db").exists()


def test_store_falls_back_to_the_environment(incident, tmp_path, monkeypatch):
    monkeypatch.setenv("PILEON_STORE", str(tmp_path / "env.db"))
    r = CliRunner().invoke(
        cli,
        [
            "ingest",
            str(incident[0] / "incident"),
            "--no-progress",
            "--rejects",
            str(tmp_path / "r.csv"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert EmbeddedStore(str(tmp_path / "env.db")).count("accounts") > 0
