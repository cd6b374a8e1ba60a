"""Neo4j ingest throughput (rows per second) at several UNWIND batch sizes.

Generates the sample incident, loads it into a temporary embedded store to get
normalised rows, then, for each batch size, empties the Neo4j database and
times ``Neo4jStore.upsert`` table by table in load order (the work
``pileon ingest`` does per chunk), then placeholders and event membership.
Rows per second count input rows (nodes or relationships written).

    eval "$(cat "$(scripts/neo4j-local env)")"     # after scripts/neo4j-local start
    .venv/bin/python bench/bench_neo4j_ingest.py --scale 1 --batch-sizes 250,1000,2000,5000,10000

THE BENCHMARK WIPES THE DATABASE it is pointed at (``PILEON_TEST_NEO4J_URI`` or
``NEO4J_URI``).  It prints one JSON line per run and a table at the end.
"""

from __future__ import annotations

import argparse
import json
import os
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
    args = ap.parse_args(argv)
    uri = os.environ.get("PILEON_TEST_NEO4J_URI") or os.environ.get("NEO4J_URI")
    if not uri:
        print("set PILEON_TEST_NEO4J_URI or NEO4J_URI (scripts/neo4j-local start)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        frames, placeholders, members = reference_frames(args.scale, args.seed, Path(tmp))
    store = Neo4jStore(uri)
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


if __name__ == "__main__":
    raise SystemExit(main())
