"""Benchmark ``coactivity`` against the peer tool on realistic synthetic reposts.

Usage::

    .venv/bin/python bench/bench_coactivity.py --sizes 20000,200000
    .venv/bin/python bench/bench_coactivity.py --sizes 20000,200000,1000000 --peer-max 200000

For each size it generates reposts (seeded), times :func:`coactivity` and, when
the size is at most ``--peer-max``, the peer's ``compute co_retweet`` on the
same reposts in the same run, checks the two edge lists are equal, and prints
one table row.  ``ours s`` is the median of ``--repeat`` runs, ``peer s`` the
peer's compute step in one run, ``ratio`` peer s / ours s (the peer's data
loading is reported apart and not counted in the ratio, which favours the peer).  ``peak MiB`` is
our tracemalloc peak in a second, separate run (tracemalloc slows numpy
allocation, so it is not timed).

The generator: heavy-tailed source popularity (Pareto), heavy-tailed account
activity, repost delays after each source's start drawn from an exponential
with a per-source time scale (minutes to hours, so viral sources burst), and
coordinated groups of accounts that repost a run of sources within seconds of
each other.  Each account reposts a source at most once (the peer's contract).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.peer import run_peer  # noqa: E402
from pileon.detectors.coactivity import coactivity  # noqa: E402

EPOCH = np.datetime64("2026-03-01T00:00:00", "ns")


def make_reposts(n: int, *, seed: int = 0) -> pd.DataFrame:
    """`n` synthetic reposts (or slightly fewer for tiny `n`).

    Parameters
    ----------
    n : int
        Target number of reposts.
    seed : int
        Seed of the numpy generator; the same seed gives the same frame.

    Returns
    -------
    pandas.DataFrame
        ``repost_id, account_id, source_id, reposted_at`` (UTC, whole seconds).
    """
    rng = np.random.default_rng(seed)
    target = n
    n = int(n * 1.4)  # oversample: repeat reposts are removed, then trimmed to `target`
    n_sources = max(n // 20, 10)
    n_accounts = max(n // 2, 50)
    week = 7 * 24 * 3600

    # Organic reposts: Pareto popularity, heavy-tailed account activity.
    n_coord = n // 20
    n_organic = n - n_coord
    popularity = rng.pareto(1.1, n_sources) + 1e-3
    src = rng.choice(n_sources, size=n_organic, p=popularity / popularity.sum())
    activity = rng.pareto(2.0, n_accounts) + 0.05
    acc = rng.choice(n_accounts, size=n_organic, p=activity / activity.sum())
    start = rng.integers(0, week, n_sources)
    scale = np.exp(rng.uniform(np.log(120), np.log(6 * 3600), n_sources))
    t = start[src] + rng.exponential(scale[src]).astype(np.int64)

    # Coordinated groups: 25 accounts each, reposting a run of sources within ~20 s.
    group_size, sources_per_group = 25, 8
    n_groups = max(n_coord // (group_size * sources_per_group), 1)
    members = rng.choice(
        n_accounts,
        size=(n_groups, group_size),
        replace=False if n_groups * group_size <= n_accounts else True,
    )
    targets = rng.choice(n_sources, size=(n_groups, sources_per_group))
    g_acc = np.repeat(members[:, None, :], sources_per_group, axis=1).ravel()
    g_src = np.repeat(targets[:, :, None], group_size, axis=2).ravel()
    # One burst moment per (group, source) within an hour of the source's start.
    g_t = np.repeat(
        (start[targets] + rng.integers(0, 3600, targets.shape))[:, :, None], group_size, axis=2
    ).ravel() + rng.integers(0, 20, g_src.shape)

    frame = pd.DataFrame(
        {
            "account_id": np.concatenate([acc, g_acc]),
            "source_id": np.concatenate([src, g_src]),
            "t": np.concatenate([t, g_t]),
        }
    )
    frame = frame.drop_duplicates(["account_id", "source_id"])
    if len(frame) > target:
        frame = frame.iloc[np.sort(rng.choice(len(frame), size=target, replace=False))]
    frame = frame.sort_values("t", kind="stable").reset_index(drop=True)
    return pd.DataFrame(
        {
            "repost_id": [f"bench:r{i}" for i in range(len(frame))],
            "account_id": [f"bench:u{a}" for a in frame["account_id"].to_numpy()],
            "source_id": [f"bench:s{s}" for s in frame["source_id"].to_numpy()],
            "reposted_at": pd.to_datetime(
                EPOCH + frame["t"].to_numpy() * np.int64(1_000_000_000), utc=True
            ),
        }
    )


def candidate_pairs(reposts: pd.DataFrame, window: float) -> int:
    """Within-window repost pairs P (before dropping self-pairs and aggregating)."""
    from pileon.detectors.coactivity import _encode, window_counts

    acc, _, src, t = _encode(reposts)
    order = np.lexsort((acc, t, src))
    return int(window_counts(src[order], t[order], int(window * 1e9)).sum())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default="20000,200000,1000000",
        help="comma-separated repost counts (default %(default)s)",
    )
    parser.add_argument("--window", type=float, default=60, help="seconds (default 60)")
    parser.add_argument("--min-weight", type=int, default=1)
    parser.add_argument(
        "--peer-max",
        type=int,
        default=200_000,
        help="run the peer only up to this many reposts (default %(default)s)",
    )
    parser.add_argument(
        "--peer-threads",
        type=int,
        default=os.cpu_count() or 1,
        help="worker processes for the peer (default: all CPUs)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of ours per size; the median is reported (default 3)",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]

    header = (
        f"{'reposts':>9} {'sources':>8} {'accounts':>8} {'cand.P':>11} {'pairs':>10} "
        f"{'ours s':>8} {'peer s':>8} {'ratio':>7} {'peer load s':>11} "
        f"{'peak MiB':>8} {'equal':>5}"
    )
    print(
        f"window={args.window:g}s min_weight={args.min_weight} seed={args.seed} "
        f"cpus={os.cpu_count()} peer_threads={args.peer_threads}"
    )
    print(header)
    print("-" * len(header))
    coactivity(make_reposts(200, seed=args.seed), window=args.window)  # warm-up (imports)
    for size in sizes:
        reposts = make_reposts(size, seed=args.seed)
        runs = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            ours = coactivity(reposts, window=args.window, min_weight=args.min_weight)
            runs.append(time.perf_counter() - t0)
        ours_s = statistics.median(runs)

        tracemalloc.start()
        coactivity(reposts, window=args.window, min_weight=args.min_weight)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        peer_s = load_s = None
        equal = "-"
        if len(reposts) <= args.peer_max:
            run = run_peer(
                reposts, window=args.window, min_weight=args.min_weight, n_threads=args.peer_threads
            )
            peer_s, load_s = run.compute_seconds, run.load_seconds
            equal = "yes" if run.edges.equals(ours) else "NO"
        ratio = f"{peer_s / ours_s:7.1f}" if peer_s is not None else f"{'-':>7}"
        print(
            f"{len(reposts):>9} {reposts['source_id'].nunique():>8} "
            f"{reposts['account_id'].nunique():>8} "
            f"{candidate_pairs(reposts, args.window):>11} {len(ours):>10} "
            f"{ours_s:>8.2f} {(f'{peer_s:.2f}' if peer_s is not None else '-'):>8} {ratio} "
            f"{(f'{load_s:.2f}' if load_s is not None else '-'):>11} "
            f"{peak / 2**20:>8.0f} {equal:>5}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
