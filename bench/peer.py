"""Run the peer tool ``coordination-network-toolkit`` (1.5.2) on a reposts frame.

The peer computes the same co-repost network as :func:`pileon.detectors.coactivity.coactivity`
(its ``co_retweet`` network).  This module converts a pileon reposts frame into
the peer's input, runs ``compute co_retweet`` and reads back the edges as
unordered pairs of distinct accounts, so the two can be compared and timed.

Peer facts this relies on (read from its 1.5.2 source):

- input rows are ``message_id, user_id, username, repost_id, reply_id, message,
  timestamp, urls``; ``timestamp`` is seconds (stored as a float), ``repost_id``
  is the reposted message (our ``source_id``);
- the co_retweet join is ``e_2.timestamp between e_1.timestamp - W and
  e_1.timestamp + W``: inclusive, i.e. ``|t_a - t_b| <= W`` like SPEC §3;
- the weight is ``count(distinct e_1.message_id)``, which equals the number of
  shared sources when each account reposts a source once;
- edges are stored in ``co_retweet_network(user_1, user_2, weight)`` in both
  directions plus a self-pair per account; its CSV export raises TypeError in
  1.5.2, so the table is read directly;
- the CLI's ``--time_window`` is an ``int``; the Python API accepts a float.
"""

from __future__ import annotations

import contextlib
import io
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["PeerRun", "peer_rows", "run_peer", "read_peer_network"]


@dataclass
class PeerRun:
    """Result of one peer run: the edges and where the time went (seconds)."""

    edges: pd.DataFrame
    load_seconds: float
    compute_seconds: float
    db_path: Path | None = None
    log: str = field(default="", repr=False)

    @property
    def total_seconds(self) -> float:
        return self.load_seconds + self.compute_seconds


def peer_rows(reposts: pd.DataFrame) -> list[tuple]:
    """The peer's input rows for a reposts frame (one message per repost).

    Message ids are synthetic (``r0``, ``r1``…) so duplicate or missing
    ``repost_id`` values cannot make the peer drop rows.  Timestamps are epoch
    seconds as floats.
    """
    when = pd.to_datetime(reposts["reposted_at"], utc=True)
    seconds = when.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").view(np.int64) / 1e9
    users = reposts["account_id"].astype(str).to_numpy()
    sources = reposts["source_id"].astype(str).to_numpy()
    return [
        (f"r{i}", users[i], users[i], sources[i], None, "", float(seconds[i]), [])
        for i in range(len(reposts))
    ]


def write_peer_csv(reposts: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write `reposts` as the peer's CSV input (header row, the 8 columns)."""
    rows = peer_rows(reposts)
    frame = pd.DataFrame(
        [(m, u, n, r, "", msg, repr(ts), "") for m, u, n, r, _, msg, ts, _ in rows],
        columns=[
            "message_id",
            "user_id",
            "username",
            "repost_id",
            "reply_id",
            "message",
            "timestamp",
            "urls",
        ],
    )
    frame.to_csv(path, index=False)


def read_peer_network(db_path: str | os.PathLike) -> pd.DataFrame:
    """Unordered pairs of distinct accounts from the peer's ``co_retweet_network``.

    Returns columns ``account_a < account_b, weight`` sorted like ours.  Raises
    AssertionError if the peer's two directions of a pair disagree.
    """
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        rows = db.execute(
            "select user_1, user_2, weight from co_retweet_network where user_1 != user_2"
        ).fetchall()
    both = pd.DataFrame(rows, columns=["u1", "u2", "weight"])
    both["u1"] = both["u1"].astype(str)
    both["u2"] = both["u2"].astype(str)
    fwd = both[both["u1"] < both["u2"]].set_index(["u1", "u2"])["weight"]
    back = both[both["u1"] > both["u2"]]
    back = back.set_index([back["u2"].rename("u1"), back["u1"].rename("u2")])["weight"]
    assert fwd.sort_index().equals(back.sort_index()), "peer stored asymmetric weights"
    out = fwd.reset_index().rename(columns={"u1": "account_a", "u2": "account_b"})
    out["weight"] = out["weight"].astype(np.int64)
    return out.sort_values(["account_a", "account_b"], kind="stable").reset_index(drop=True)


def run_peer(
    reposts: pd.DataFrame,
    *,
    window: float,
    min_weight: int = 1,
    workdir: str | os.PathLike | None = None,
    via: str = "api",
    n_threads: int | None = None,
) -> PeerRun:
    """Load `reposts` into a fresh peer database, compute co_retweet, read it back.

    Parameters
    ----------
    reposts : pandas.DataFrame
        Columns ``account_id``, ``source_id``, ``reposted_at``.
    window : float
        The peer's ``time_window`` in seconds (an int when ``via="cli"``).
    min_weight : int
        The peer's ``min_edge_weight``.
    workdir : path, optional
        Folder for the SQLite file; a temporary one (deleted) when omitted.
    via : {"api", "cli"}
        ``"api"`` calls ``preprocess_data`` and ``compute_co_retweet_parallel``
        in this process (their stdout is captured); ``"cli"`` writes the CSV and
        runs ``python -m coordination_network_toolkit DB preprocess`` and
        ``DB compute co_retweet --time_window W --min_edge_weight N`` as
        subprocesses (timings then include interpreter start-up).
    n_threads : int, optional
        Worker processes of the peer; its default is every CPU.

    Returns
    -------
    PeerRun
        ``edges`` (account_a, account_b, weight), ``load_seconds`` (preprocess)
        and ``compute_seconds`` (the co_retweet computation alone).
    """
    if via not in ("api", "cli"):
        raise ValueError("via must be 'api' or 'cli'")
    threads = n_threads or os.cpu_count() or 1
    with contextlib.ExitStack() as stack:
        if workdir is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="peer-")))
        else:
            folder = Path(workdir)
            folder.mkdir(parents=True, exist_ok=True)
        db_path = folder / "peer.db"
        if db_path.exists():
            db_path.unlink()
        log = io.StringIO()
        if via == "api":
            from coordination_network_toolkit.compute_networks import compute_co_retweet_parallel
            from coordination_network_toolkit.preprocess import preprocess_data

            rows = peer_rows(reposts)
            t0 = time.perf_counter()
            with contextlib.redirect_stdout(log):
                preprocess_data(str(db_path), rows)
            t1 = time.perf_counter()
            with contextlib.redirect_stdout(log):
                compute_co_retweet_parallel(
                    str(db_path), window, n_threads=threads, min_edge_weight=min_weight
                )
            t2 = time.perf_counter()
        else:
            if float(window) != int(window):
                raise ValueError("the peer's CLI takes an integer --time_window")
            csv_path = folder / "reposts.csv"
            write_peer_csv(reposts, csv_path)
            base = [sys.executable, "-m", "coordination_network_toolkit", str(db_path)]
            t0 = time.perf_counter()
            p1 = subprocess.run(
                [*base, "preprocess", str(csv_path)], capture_output=True, text=True, check=True
            )
            t1 = time.perf_counter()
            p2 = subprocess.run(
                [
                    *base,
                    "compute",
                    "co_retweet",
                    "--time_window",
                    str(int(window)),
                    "--min_edge_weight",
                    str(min_weight),
                    "--n_cpus",
                    str(threads),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            t2 = time.perf_counter()
            log.write(p1.stdout + p2.stdout)
        edges = read_peer_network(db_path)
        return PeerRun(
            edges=edges,
            load_seconds=t1 - t0,
            compute_seconds=t2 - t1,
            db_path=db_path if workdir is not None else None,
            log=log.getvalue(),
        )
