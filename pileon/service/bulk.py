"""A first load into an empty Neo4j database through Neo4j's own bulk path
(``pileon ingest --store neo4j://… --bulk``).

The load runs as any load does (read, validate, reject, placeholders, event membership:
:func:`pileon.ingest.load.load_folder`), into an
:class:`pileon.graph.neo4j_import.ImportWriter` instead of the store: the result is a
folder of CSV files and the arguments of ``neo4j-admin database import full``.  Then:

* with an import command (``PILEON_NEO4J_IMPORT``, which ``scripts/neo4j-local`` writes
  into its env file), pileon runs it: the command stops the server, imports the folder over
  the empty database, starts the server again; pileon opens the store, which sets up the
  constraints and indexes, checks that the database holds exactly the nodes and
  relationships written, and computes the alerts as every ingest does
  (:func:`pileon.service.ingest.ingest`);
* without one (a remote server), the folder stays where it is and
  :meth:`~pileon.graph.neo4j_import.ImportPlan.command` says what to run on the server.

The import replaces the database's files, so it runs only into a database that holds
nothing at all: :func:`bulk_ingest` refuses otherwise, before it writes anything.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pileon.detectors.alerts import PLAN_COLUMNS
from pileon.graph.errors import BulkLoadError
from pileon.graph.neo4j_import import ImportPlan, ImportWriter
from pileon.graph.neo4j_store import Neo4jStore
from pileon.ingest.load import DEFAULT_REJECTS, LoadSummary, load_folder
from pileon.ingest.membership import DEFAULT_MARGIN
from pileon.service.alerts import refresh_alerts

__all__ = ["BulkResult", "bulk_ingest"]


@dataclass
class BulkResult:
    """What a bulk load did: the load's summary, the import folder and whether it was
    imported."""

    summary: LoadSummary
    plan: ImportPlan
    imported: bool
    #: seconds per step: ``write`` (the load into files), ``import`` (the command, server
    #: stop and start included), ``schema`` (constraints and indexes, and the check),
    #: ``alerts`` (the alert pass); and, when the import command names them, its ``stop``,
    #: ``import tool`` and ``start`` (whole seconds)
    seconds: dict[str, float] = field(default_factory=dict)


def bulk_ingest(
    store: Neo4jStore,
    folder: str | Path,
    *,
    out_dir: str | Path,
    import_command: str | None,
    reject_path: str | Path | None = None,
    show_progress: bool = False,
    margin: pd.Timedelta | str | float = DEFAULT_MARGIN,
) -> BulkResult:
    """Load ``folder`` into the empty database of ``store`` by a bulk import.

    Parameters
    ----------
    store : Neo4jStore
        The store to load; its database must hold no node.  Its connection is closed
        while the import runs and opened again after it (:meth:`Neo4jStore.reconnect`).
    folder : path
        The input tables (SPEC §2), as for ``pileon ingest``.
    out_dir : path
        Where to write the import files (an empty or new folder).
    import_command : str or None
        The command that imports a folder into the store's server, run as
        ``COMMAND OUT_DIR --uri URI`` (``scripts/neo4j-local import``); None: write the
        folder only.
    reject_path, show_progress, margin
        As for :func:`pileon.ingest.load.load_folder`.

    Raises
    ------
    BulkLoadError
        The database is not empty, the import command failed, or the imported graph is
        not the one written.
    """
    nodes, rels = store.graph_size()
    if nodes or rels:
        raise BulkLoadError(
            f"--bulk loads only into an empty database, and {store.uri} "
            f"(database {store.database or 'neo4j'}) holds {nodes} nodes: "
            f"load without --bulk, or empty the database first"
        )
    if import_command is not None and (store.database or "neo4j") != "neo4j":
        raise BulkLoadError(
            f"the import command loads the database neo4j, not {store.database}: "
            f"unset PILEON_NEO4J_IMPORT to write the folder and import it yourself"
        )
    if import_command is not None:  # before the load: is the store's server the local one?
        _run_import(import_command, ["--check", "--uri", store.uri], show_progress=False)
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    writer = ImportWriter(out_dir)
    summary = load_folder(
        writer,  # type: ignore[arg-type]  # the calls of a load, into files
        folder,
        reject_path=reject_path or DEFAULT_REJECTS,
        show_progress=show_progress,
        margin=margin,
        keep=PLAN_COLUMNS,
    )
    # the alert pass goes on with the rows the load had, once they are in the database
    loaded, summary.frames = summary.frames, {}
    plan = writer.finish()
    seconds["write"] = time.perf_counter() - t0
    if import_command is None:
        return BulkResult(summary, plan, imported=False, seconds=seconds)

    store.close()
    t0 = time.perf_counter()
    out = _run_import(import_command, [str(plan.folder), "--uri", store.uri], show_progress)
    if show_progress and out:
        sys.stderr.write(out)
    seconds["import"] = time.perf_counter() - t0
    # the command's own steps, when it names them (scripts/neo4j-local does)
    steps = re.search(r"import steps: stop (\d+) s, import tool (\d+) s, start (\d+) s", out)
    if steps:
        seconds.update(zip(("stop", "import tool", "start"), map(float, steps.groups())))

    t0 = time.perf_counter()
    store.reconnect()
    got = store.graph_size()
    if got != (plan.nodes, plan.relationships):
        raise BulkLoadError(
            f"the import left {got[0]} nodes and {got[1]} relationships, "
            f"{plan.nodes} and {plan.relationships} were written ({plan.folder})"
        )
    seconds["schema"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    # as after any ingest (pileon.service.ingest): the alerts the new rows touch
    summary.alerts = refresh_alerts(store, show_progress=show_progress, loaded=loaded).to_dict()
    seconds["alerts"] = time.perf_counter() - t0
    return BulkResult(summary, plan, imported=True, seconds=seconds)


def _run_import(command: str, args: list[str], show_progress: bool) -> str:
    """Run the import command with ``args``; return its stderr, or raise its last line."""
    argv = [*shlex.split(command), *args]
    if show_progress:
        print(f"bulk import: {' '.join(shlex.quote(a) for a in argv)}", file=sys.stderr)
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    except OSError as exc:
        raise BulkLoadError(f"cannot run the import command {argv[0]}: {exc.strerror}") from None
    if done.returncode != 0:
        lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
        why = lines[-1].strip() if lines else f"exit status {done.returncode}"
        why = why.removeprefix("neo4j-local: ").removeprefix("error: ")
        raise BulkLoadError(f"the bulk import failed: {why}")
    return done.stderr
