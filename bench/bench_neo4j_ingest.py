"""Neo4j ingest throughput (rows per second) at several UNWIND batch sizes.

Generates the sample incident, loads it into a temporary embedded store to get
normalised rows, then, for each batch size, empties the Neo4j database and
times ``Neo4jStore.upsert`` table by table in load order (the work
``pileon ingest`` does per chunk), then placeholders and event membership.
Rows per second count input rows (nodes or relationships written).

    eval "$(cat "$(scripts/neo4j-local env)")"     # after scripts/neo4j-local start
    .venv/bin/python bench/bench_neo4j_ingest.py --scale 1 --batch-sizes 250,1000,2000,5000,10000

With ``--cli``, it times instead the whole command a user runs on the generated folder
(kept in ``--folder`` when given), in a child process, into the emptied database:
``unwind`` is ``pileon ingest FOLDER --store URI`` (the incremental path: UNWIND batches on
parallel transactions), ``bulk`` is the same with ``--bulk`` (a first load through
``neo4j-admin database import full``; needs ``PILEON_NEO4J_IMPORT`` from the env file of
``scripts/neo4j-local``, and restarts that server).  Rows are the rows read from the
input files, as in ``bench/bench_scale.py``.

    .venv/bin/python bench/bench_neo4j_ingest.py --scale 47 --seed 7 --cli unwind,bulk \
        --folder /tmp/s47

THE BENCHMARK WIPES THE DATABASE it is pointed at (``PILEON_TEST_NEO4J_URI`` or
``NEO4J_URI``).  It prints one JSON line per run and a table at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pileon.graph.embedded import EmbeddedStore
from pileon.graph.model import LOAD_ORDER, TABLES
from pileon.graph.neo4j_store import Neo4jStore
from pileon.ingest.load import load_folder
from pileon.ingest.sample import generate_incident


def reference_frames(scale: float, seed: int, work: Path):
    """The sample incident's stored frames and memberships, via the embedded store."""
    folder = work / "incident"
    generate_incident(folder, seed=seed, scale=scale)
    emb = EmbeddedStore(str(work / "ref.db"))
    load_folder(emb, folder, reject_path=work / "rejects.csv")
    frames = {}
    for name in LOAD_ORDER:
        df = emb.frame(name)
        if TABLES[name].node:  # load real rows only; placeholders are made after
            df = df[~df["placeholder"]].drop(columns="placeholder")
        frames[name] = df
    placeholders = {
        kind: emb.frame(table)[lambda d: d["placeholder"]][key].tolist()
        for kind, (table, key) in (
            ("account", ("accounts", "account_id")),
            ("content", ("contents", "content_id")),
            ("mcn", ("mcns", "mcn_id")),
        )
    }
    members = emb.memberships()
    emb.close()
    return frames, placeholders, members


def run_once(store: Neo4jStore, frames, placeholders, members, batch_size: int) -> dict:
    _wipe(store)
    store.batch_size = batch_size
    per_table = {}
    total_rows = 0
    t_all = time.perf_counter()
    for name, df in frames.items():
        t = time.perf_counter()
        store.upsert(name, df)
        dt = time.perf_counter() - t
        per_table[name] = {
            "rows": len(df),
            "seconds": round(dt, 3),
            "rows_per_s": round(len(df) / dt) if dt else None,
        }
        total_rows += len(df)
    t_tables = time.perf_counter() - t_all
    t = time.perf_counter()
    for kind, ids in placeholders.items():
        store.create_placeholders(kind, ids)
    t_ph = time.perf_counter() - t
    t = time.perf_counter()
    store.set_memberships(members)
    t_mem = time.perf_counter() - t
    return {
        "batch_size": batch_size,
        "rows": total_rows,
        "table_seconds": round(t_tables, 3),
        "rows_per_s": round(total_rows / t_tables),
        "placeholder_seconds": round(t_ph, 3),
        "membership_rows": len(members),
        "membership_seconds": round(t_mem, 3),
        "membership_rows_per_s": round(len(members) / t_mem) if t_mem else None,
        "tables": per_table,
    }


def _load_average() -> float:
    return round(os.getloadavg()[0], 2)


def _server_cpu() -> tuple[int | None, float]:
    """``(pid, CPU seconds so far)`` of the server of ``scripts/neo4j-local``
    (``PILEON_NEO4J_RUN``), ``(None, 0)`` when unknown."""
    run = os.environ.get("PILEON_NEO4J_RUN")
    try:
        pid = int(Path(run, "neo4j.pid").read_text().strip()) if run else None
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, ValueError, TypeError):
        return None, 0.0
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def cli_once(store: Neo4jStore, folder: Path, how: str, work: Path) -> dict:
    """``pileon ingest FOLDER --store URI`` (``--bulk`` for ``bulk``) into the emptied
    database, in a child process; the wall seconds and what the command reported."""
    _wipe(store)
    uri = store.uri
    pileon = Path(sys.executable).with_name("pileon")  # the command of this environment
    argv = [str(pileon), "ingest", str(folder), "--store", uri]
    argv += ["--json", "--no-progress", "--rejects", str(work / f"rejects-{how}.csv")]
    if how == "bulk":
        argv.append("--bulk")
    store.close()
    load = [_load_average()]
    pid, server0 = _server_cpu()
    child0 = _children_cpu()
    t = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True)
    wall = time.perf_counter() - t
    load.append(_load_average())
    child = _children_cpu() - child0  # pileon and, for bulk, the import tool
    pid1, server1 = _server_cpu()  # a new server after a bulk import: all its CPU
    server = server1 - server0 if pid1 == pid else server1
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.strip()}")
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    rows = sum(t["read"] for t in summary["tables"].values())
    out = {
        "how": how,
        "rows": rows,
        "seconds": round(wall, 2),
        "rows_per_s": round(rows / wall),
        "load": load,
        # CPU seconds: the command (with the import tool) and the server (when known)
        "client_cpu_s": round(child, 2),
        "server_cpu_s": round(server, 2) if pid1 else None,
    }
    # bulk: "bulk import: N nodes and M relationships (files A s, import and restart B s,
    # indexes C s)"; the import tool's own seconds are in scripts/neo4j-local's log line
    m = re.search(
        r"bulk import: (\d+) nodes and (\d+) relationships \(files ([\d.]+) s, import and "
        r"restart ([\d.]+) s, indexes ([\d.]+) s, alerts ([\d.]+) s\)",
        done.stderr,
    )
    if m:
        out.update(
            nodes=int(m[1]),
            relationships=int(m[2]),
            files_s=float(m[3]),
            import_restart_s=float(m[4]),
            indexes_s=float(m[5]),
            alerts_s=float(m[6]),
        )
    m = re.search(
        r"the import command: server stop (\d+) s, import tool (\d+) s, server start (\d+) s",
        done.stderr,
    )
    if m:
        out.update(stop_s=int(m[1]), import_tool_s=int(m[2]), start_s=int(m[3]))
    return out


def _wipe(store: Neo4jStore) -> None:
    # small transactions, relationships first: DETACH DELETE of one node with a hundred
    # thousand memberships exceeds Neo4j's default transaction memory
    for query in (
        "MATCH ()-[r]->() WITH r LIMIT 20000 DELETE r RETURN count(*) AS n",
        "MATCH (n) WITH n LIMIT 20000 DELETE n RETURN count(*) AS n",
    ):
        while store._run.write(query)[0]["n"]:
            pass


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch-sizes", default="250,1000,2000,5000,10000")
    ap.add_argument("--repeat", type=int, default=1, help="runs per batch size (best kept)")
    ap.add_argument(
        "--cli",
        default=None,
        help="time the command instead: unwind, bulk or unwind,bulk (see the docstring)",
    )
    ap.add_argument("--folder", default=None, help="with --cli: the generated folder (kept)")
    args = ap.parse_args(argv)
    uri = os.environ.get("PILEON_TEST_NEO4J_URI") or os.environ.get("NEO4J_URI")
    if not uri:
        print("set PILEON_TEST_NEO4J_URI or NEO4J_URI (scripts/neo4j-local start)", file=sys.stderr)
        return 2
    if args.cli:
        return main_cli(args, uri)
    with tempfile.TemporaryDirectory() as tmp:
        frames, placeholders, members = reference_frames(args.scale, args.seed, Path(tmp))
    store = Neo4jStore(
        uri, user=os.environ.get("NEO4J_USER"), password=os.environ.get("NEO4J_PASSWORD")
    )
    results = []
    try:
        for bs in (int(x) for x in args.batch_sizes.split(",")):
            best = None
            for _ in range(args.repeat):
                r = run_once(store, frames, placeholders, members, bs)
                print(json.dumps(r), flush=True)
                if best is None or r["rows_per_s"] > best["rows_per_s"]:
                    best = r
            results.append(best)
    finally:
        _wipe(store)
        store.close()
    print(f"\n{'batch':>7} {'rows':>7} {'tables s':>9} {'rows/s':>8} {'membership rows/s':>18}")
    for r in results:
        print(
            f"{r['batch_size']:>7} {r['rows']:>7} {r['table_seconds']:>9} {r['rows_per_s']:>8} "
            f"{r['membership_rows_per_s']:>18}"
        )
    return 0


def main_cli(args, uri: str) -> int:
    """``--cli``: the whole command, per way of loading."""

    def open_store() -> Neo4jStore:
        return Neo4jStore(
            uri, user=os.environ.get("NEO4J_USER"), password=os.environ.get("NEO4J_PASSWORD")
        )

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.folder or Path(tmp) / "incident")
        if not (folder / "reposts.csv").exists() and not any(folder.glob("reposts.*")):
            generate_incident(folder, seed=args.seed, scale=args.scale)
        results = []
        for how in args.cli.split(","):
            for _ in range(args.repeat):
                r = cli_once(open_store(), folder, how, Path(tmp))
                print(json.dumps(r), flush=True)
                results.append(r)
        store = open_store()
        _wipe(store)
        store.close()
    print(f"\n{'how':>7} {'rows':>9} {'seconds':>8} {'rows/s':>8} {'CPU s':>13}  load")
    for r in results:
        cpu = f"{r['client_cpu_s']}+{r['server_cpu_s']}"
        print(
            f"{r['how']:>7} {r['rows']:>9} {r['seconds']:>8} {r['rows_per_s']:>8} {cpu:>13}  "
            f"{r['load']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
