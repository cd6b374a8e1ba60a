"""``pileon coactivity`` end to end against the peer's compute step, on real data.

Usage::

    # once: the stores (Twitter15 from gszswork/Twitter15_16_dataset, the full CED from
    # thunlp/Chinese_Rumor_Dataset's CED_Dataset) and the peer's database of the same reposts
    .venv/bin/python bench/bench_coactivity_cli.py prepare --twitter DIR/twitter15 --dir /tmp/t15
    .venv/bin/python bench/bench_coactivity_cli.py prepare --ced DIR/CED_Dataset --dir /tmp/ced
    # the comparison
    .venv/bin/python bench/bench_coactivity_cli.py run --dir /tmp/t15 --window 60 --min-weight 2

``prepare`` converts the dataset (:mod:`pileon.ingest.realdata`, one event per
cascade), loads it with ``pileon ingest`` into ``DIR/store.db`` and loads the same
reposts into the peer's database ``DIR/peer.db`` (its ``preprocess``, as
:mod:`bench.peer` does).

``run`` times two whole processes in turn, ours then the peer's, ``--runs`` times
after one warm-up of each: ``pileon coactivity --window W --min-weight N --store
DIR/store.db --out ...`` and ``python -m coordination_network_toolkit DIR/peer.db
compute co_retweet --time_window W --min_edge_weight N --n_cpus C`` (the peer's
compute step alone; its loading was done by ``prepare``).  Each figure is wall and
CPU seconds (user + system of the finished process, from ``getrusage``); the ratio
is the peer's over ours, pair by pair, and the median is quoted.  Then the two
outputs are compared pair by pair (the peer's table read as :mod:`bench.peer` reads
it).  ``--cold`` empties the store's kept codes before each of our runs (the first
run after an ingest).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PILEON = str(Path(sys.executable).with_name("pileon"))


def prepare(args: argparse.Namespace) -> None:
    from coordination_network_toolkit.preprocess import preprocess_data

    from bench.peer import peer_rows
    from pileon.graph.store import open_store
    from pileon.ingest.realdata import ced_tables, twitter16_tables, write_tables

    out = Path(args.dir)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    tables = twitter16_tables(args.twitter) if args.twitter else ced_tables(args.ced)
    write_tables(tables, out / "tables")
    print(f"converted: {len(tables['reposts'])} reposts ({time.perf_counter() - t0:.0f} s)")
    store = out / "store.db"
    for p in (store, Path(f"{store}-wal"), Path(f"{store}-shm")):
        p.unlink(missing_ok=True)
    subprocess.run(
        [PILEON, "ingest", str(out / "tables"), "--store", str(store), "--json",
         "--rejects", str(out / "rejects.csv")],
        check=True,
    )  # fmt: skip
    with open_store(str(store)) as s:
        reposts = s.frame("reposts")
    peer = out / "peer.db"
    peer.unlink(missing_ok=True)
    with contextlib.redirect_stdout(sys.stderr):
        preprocess_data(str(peer), peer_rows(reposts))
    print(f"peer database {peer}: {len(reposts)} reposts")


def _timed(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one finished process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from bench.peer import read_peer_network

    d = Path(args.dir)
    out = d / "pairs.csv"
    ours = [PILEON, "coactivity", "--window", str(args.window), "--min-weight",
            str(args.min_weight), "--store", str(d / "store.db"), "--out", str(out)]  # fmt: skip
    peer = [sys.executable, "-m", "coordination_network_toolkit", str(d / "peer.db"), "compute",
            "co_retweet", "--time_window", str(int(args.window)), "--min_edge_weight",
            str(args.min_weight), "--n_cpus", str(args.peer_cpus)]  # fmt: skip

    def forget() -> None:
        if args.cold:
            with contextlib.closing(sqlite3.connect(d / "store.db")) as con, con:
                con.execute("DELETE FROM repost_codes")

    forget()
    _timed(ours)
    _timed(peer)
    rows = []
    for _ in range(args.runs):
        forget()
        o = _timed(ours)
        p = _timed(peer)
        rows.append((o, p))
        print(f"ours {o[0]:.3f} s wall {o[1]:.3f} s cpu   peer {p[0]:.3f} s wall {p[1]:.3f} s cpu",
              flush=True)  # fmt: skip

    def med(values: list[float]) -> float:
        return statistics.median(values)

    print(f"load {os.getloadavg()[0]:.1f} (1 min) at the end; {args.runs} pairs of runs")
    print(f"ours wall median {med([o[0] for o, _ in rows]):.3f} s, "
          f"cpu {med([o[1] for o, _ in rows]):.3f} s")  # fmt: skip
    print(f"peer wall median {med([p[0] for _, p in rows]):.3f} s, "
          f"cpu {med([p[1] for _, p in rows]):.3f} s")  # fmt: skip
    print(f"ratio peer/ours, wall: median {med([p[0] / o[0] for o, p in rows]):.2f} "
          f"(min {min(p[0] / o[0] for o, p in rows):.2f}, "
          f"max {max(p[0] / o[0] for o, p in rows):.2f}); "
          f"cpu: median {med([p[1] / o[1] for o, p in rows]):.2f}")  # fmt: skip
    mine = pd.read_csv(out, dtype={"account_a": str, "account_b": str}, keep_default_na=False)
    try:
        theirs = read_peer_network(d / "peer.db")
    except AssertionError:
        # an account reposted a source more than once: the peer's weight counts the
        # first account's reposts (so a pair's two directions differ), SPEC §3's counts
        # sources; the peer then keeps more pairs, never fewer
        theirs = _peer_pairs_either_way(d / "peer.db")
        kept = mine.set_index(["account_a", "account_b"]).index.isin(theirs)
        print(f"pairs: ours {len(mine)}; the peer's network is asymmetric (repeated reposts "
              f"of a source by one account): {len(theirs)} pairs in either direction, "
              f"ours all among them: {bool(kept.all())}")  # fmt: skip
        return 0 if kept.all() else 1
    same = mine.equals(theirs)
    print(f"pairs: ours {len(mine)}, peer {len(theirs)}, equal pair by pair: {same}")
    return 0 if same else 1


def _peer_pairs_either_way(db: Path) -> set[tuple[str, str]]:
    """Unordered pairs of distinct accounts that the peer kept in either direction."""
    with contextlib.closing(sqlite3.connect(db)) as con:
        rows = con.execute(
            "SELECT user_1, user_2 FROM co_retweet_network WHERE user_1 != user_2"
        ).fetchall()
    return {(min(str(a), str(b)), max(str(a), str(b))) for a, b in rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("prepare", help="make DIR/store.db and DIR/peer.db from a dataset")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--twitter", help="a Twitter15/16 folder (label.txt, tree/)")
    src.add_argument("--ced", help="the CED_Dataset folder")
    p.add_argument("--dir", required=True)
    r = sub.add_parser("run", help="time ours against the peer's compute step")
    r.add_argument("--dir", required=True)
    r.add_argument("--window", type=int, default=60)
    r.add_argument("--min-weight", type=int, default=2)
    r.add_argument("--runs", type=int, default=5)
    r.add_argument("--peer-cpus", type=int, default=os.cpu_count() or 1)
    r.add_argument("--cold", action="store_true", help="forget the kept codes before our runs")
    args = parser.parse_args(argv)
    if args.what == "prepare":
        prepare(args)
        return 0
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
