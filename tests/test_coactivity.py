"""Tests of pileon.detectors.coactivity: SPEC §3 semantics, the peer tool, speed."""

from __future__ import annotations

import itertools
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pileon.detectors.coactivity import COLUMNS, coactivity, write_coactivity_csv  # noqa: E402
from pileon.graph.errors import InputError  # noqa: E402

T0 = pd.Timestamp("2026-03-01T08:00:00Z")


def frame(rows):
    """Reposts from (account, source, seconds after T0) triples."""
    accounts, sources, seconds = zip(*rows) if rows else ((), (), ())
    return pd.DataFrame(
        {
            "account_id": pd.Series(accounts, dtype=object),
            "source_id": pd.Series(sources, dtype=object),
            "reposted_at": T0 + pd.to_timedelta(np.asarray(seconds, dtype=float), unit="s"),
        }
    )


def edges(df):
    """The edge list as {(a, b): weight}."""
    return {(a, b): int(w) for a, b, w in df.itertuples(index=False)}


def brute_force(reposts, window, min_weight=1):
    """Reference: every pair of reposts of a source, any-within semantics."""
    seen = set()
    when = pd.to_datetime(reposts["reposted_at"], utc=True).dt.tz_localize(None)
    t = when.to_numpy(dtype="datetime64[ns]").view(np.int64)
    rows = list(zip(reposts["account_id"], reposts["source_id"], t))
    w = round(window * 1e9)
    for (a, s, ta), (b, s2, tb) in itertools.combinations(rows, 2):
        if s == s2 and a != b and abs(ta - tb) <= w:
            seen.add((s, min(a, b), max(a, b)))
    counts = Counter((a, b) for _, a, b in seen)
    return {k: v for k, v in counts.items() if v >= min_weight}


def random_reposts(seed, n, *, n_accounts, n_sources, span, once=True):
    rng = np.random.default_rng(seed)
    df = frame(
        list(
            zip(
                [f"u{a:03d}" for a in rng.integers(0, n_accounts, n)],
                [f"s{s:03d}" for s in rng.integers(0, n_sources, n)],
                rng.integers(0, span, n).tolist(),
            )
        )
    )
    if once:
        df = df.drop_duplicates(["account_id", "source_id"]).reset_index(drop=True)
    return df


# ----------------------------------------------------------------- hand-made cases


def test_window_bound_is_inclusive():
    df = frame([("a", "s", 0), ("b", "s", 60), ("c", "s", 121)])
    # a-b exactly 60 s apart: in; b-c 61 s: out; a-c 121 s: out.
    assert edges(coactivity(df, window=60)) == {("a", "b"): 1}
    assert edges(coactivity(df, window=59.999)) == {}
    assert edges(coactivity(df, window=61)) == {("a", "b"): 1, ("b", "c"): 1}


def test_two_sources_give_weight_two_and_other_source_does_not_pair():
    df = frame(
        [
            ("b", "s1", 0),
            ("a", "s1", 10),
            ("a", "s2", 500),
            ("b", "s2", 505),
            ("c", "s3", 10),  # same time as a, but another source
        ]
    )
    out = coactivity(df, window=30)
    assert list(out.columns) == list(COLUMNS)
    assert edges(out) == {("a", "b"): 2}


def test_one_pair_output_shape_and_types():
    out = coactivity(frame([("y", "s", 0), ("x", "s", 1)]), window=5)
    assert out.to_dict("list") == {"account_a": ["x"], "account_b": ["y"], "weight": [1]}
    assert out["weight"].dtype == np.int64
    assert list(out.index) == [0]


def test_self_repost_is_not_a_pair():
    df = frame([("a", "s", 0), ("a", "s", 1), ("a", "s", 2)])
    assert coactivity(df, window=60).empty


def test_multi_reposts_count_once_per_source_if_any_within_window():
    df = frame(
        [
            ("a", "s", 0),
            ("a", "s", 1000),
            ("b", "s", 1030),  # only a's second repost is near b
            ("a", "t", 0),
            ("a", "t", 1),
            ("a", "t", 2),
            ("b", "t", 3),
            ("b", "t", 4),
            ("a", "u", 0),
            ("b", "u", 1000),  # never within window
        ]
    )
    assert edges(coactivity(df, window=60)) == {("a", "b"): 2}


def test_min_weight_filters_pairs():
    df = frame(
        [
            ("a", "s1", 0),
            ("b", "s1", 1),
            ("c", "s1", 2),
            ("a", "s2", 0),
            ("b", "s2", 1),
        ]
    )
    assert edges(coactivity(df, window=10)) == {("a", "b"): 2, ("a", "c"): 1, ("b", "c"): 1}
    assert edges(coactivity(df, window=10, min_weight=2)) == {("a", "b"): 2}
    assert coactivity(df, window=10, min_weight=3).empty


@pytest.mark.parametrize("rows", [[], [("a", "s", 0)]])
def test_empty_and_single_inputs_give_empty_edge_list(rows):
    out = coactivity(frame(rows), window=60)
    assert out.empty and list(out.columns) == list(COLUMNS)


def test_output_sorted_and_ordered_pairs_whatever_the_input_order():
    df = random_reposts(3, 400, n_accounts=40, n_sources=15, span=600, once=False)
    out = coactivity(df, window=30)
    assert (out["account_a"] < out["account_b"]).all()
    keys = list(zip(out["account_a"], out["account_b"]))
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    shuffled = df.sample(frac=1.0, random_state=7).reset_index(drop=True)
    pd.testing.assert_frame_equal(coactivity(shuffled, window=30), out)


def test_other_columns_ignored_and_timezones_respected():
    df = frame([("a", "s", 0), ("b", "s", 30)])
    df["repost_id"] = ["r1", "r2"]
    df["text"] = ["x", None]
    # Same instants written with an offset, and as ISO strings.
    shifted = df.assign(reposted_at=df["reposted_at"].dt.tz_convert("Asia/Shanghai"))
    strings = df.assign(reposted_at=["2026-03-01T16:00:00+08:00", "2026-03-01T08:00:30Z"])
    for d in (df, shifted, strings):
        assert edges(coactivity(d, window=30)) == {("a", "b"): 1}
        assert edges(coactivity(d, window=29)) == {}


def test_sub_second_windows():
    df = frame([("a", "s", 0.0), ("b", "s", 0.25), ("c", "s", 0.75)])
    assert edges(coactivity(df, window=0.5)) == {("a", "b"): 1, ("b", "c"): 1}
    assert edges(coactivity(df, window=0)) == {}


@pytest.mark.parametrize("chunk_pairs", [1, 2, 5, 64, 1 << 20])
def test_chunking_does_not_change_the_result(chunk_pairs):
    # Repeat reposts (once=False) exercise the (source, pair) de-duplication
    # across chunk boundaries inside one source.
    df = random_reposts(11, 300, n_accounts=12, n_sources=4, span=400, once=False)
    out = coactivity(df, window=45, chunk_pairs=chunk_pairs)
    assert edges(out) == brute_force(df, 45)


@pytest.mark.parametrize("seed", range(4))
def test_matches_brute_force_with_repeat_reposts(seed):
    df = random_reposts(seed, 250, n_accounts=25, n_sources=8, span=900, once=False)
    for window, min_weight in [(0, 1), (20, 1), (120, 2)]:
        assert edges(coactivity(df, window=window, min_weight=min_weight)) == brute_force(
            df, window, min_weight
        )


@pytest.mark.parametrize(
    "bad",
    [
        {"window": -1},
        {"window": float("nan")},
        {"window": "soon"},
        {"window": 10, "min_weight": 0},
        {"window": 10, "min_weight": 1.5},
    ],
)
def test_bad_arguments_raise_input_error(bad):
    with pytest.raises(InputError):
        coactivity(frame([("a", "s", 0), ("b", "s", 1)]), **bad)


def test_bad_frames_raise_input_error():
    good = frame([("a", "s", 0), ("b", "s", 1)])
    with pytest.raises(InputError, match="source_id"):
        coactivity(good.drop(columns="source_id"), window=10)
    with pytest.raises(InputError, match="reposted_at"):
        coactivity(good.assign(reposted_at=[T0, pd.NaT]), window=10)
    with pytest.raises(InputError, match="account_id"):
        coactivity(good.assign(account_id=["a", None]), window=10)
    with pytest.raises(InputError, match="reposted_at"):
        coactivity(good.assign(reposted_at=["yesterday", "today"]), window=10)


def test_write_csv_header_and_rows(tmp_path):
    out = coactivity(frame([("a", "s", 0), ("b", "s", 1), ("c", "s", 2)]), window=1)
    path = tmp_path / "edges.csv"
    assert write_coactivity_csv(out, path) == 2
    assert path.read_text(encoding="utf-8") == "account_a,account_b,weight\na,b,1\nb,c,1\n"
    write_coactivity_csv(coactivity(frame([]), window=1), path)
    assert path.read_text(encoding="utf-8") == "account_a,account_b,weight\n"


# ----------------------------------------------------------------- the peer tool

peer = pytest.importorskip("bench.peer")


def test_boundary_agrees_with_peer():
    df = frame([("a", "s", 0), ("b", "s", 60), ("c", "s", 121), ("d", "s", 181)])
    run = peer.run_peer(df, window=60, n_threads=1)
    assert edges(run.edges) == edges(coactivity(df, window=60)) == {("a", "b"): 1, ("c", "d"): 1}


@pytest.mark.parametrize(
    "seed,window,min_weight",
    [
        (0, 0, 1),
        (1, 10, 1),
        (2, 60, 1),
        (3, 60, 2),
        (4, 300, 3),
    ],
)
def test_matches_peer_pair_for_pair(seed, window, min_weight):
    df = random_reposts(seed, 700, n_accounts=60, n_sources=25, span=3600)
    assert df.duplicated(["account_id", "source_id"]).sum() == 0
    ours = coactivity(df, window=window, min_weight=min_weight)
    theirs = peer.run_peer(df, window=window, min_weight=min_weight, n_threads=1).edges
    assert len(ours) > 0
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=False)


def test_at_least_five_times_faster_than_peer():
    from bench.bench_coactivity import make_reposts

    df = make_reposts(5000, seed=1)
    coactivity(df.head(50), window=60)  # warm-up
    ours_runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        ours = coactivity(df, window=60)
        ours_runs.append(time.perf_counter() - t0)
    run = peer.run_peer(df, window=60)
    pd.testing.assert_frame_equal(ours, run.edges, check_dtype=False)
    ratio = run.compute_seconds / statistics.median(ours_runs)
    assert ratio >= 5, f"only {ratio:.1f}x faster than the peer's compute step"


# ------------------------------------------------ shared counting without building pairs


def _sorted_groups(seed, n, groups, span):
    rng = np.random.default_rng(seed)
    g = np.sort(rng.integers(0, groups, n))
    t = np.zeros(n)
    for k in range(groups):
        on = g == k
        t[on] = np.sort(rng.integers(0, span, on.sum()))  # ties included
    return g, t


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_window_counts_and_pairs_are_the_brute_force_pairs(seed):
    from pileon.detectors.coactivity import window_counts, window_pairs

    g, t = _sorted_groups(seed, 400, 6, 500)
    want = {
        (i, j)
        for i in range(len(t))
        for j in range(i + 1, len(t))
        if g[i] == g[j] and t[j] - t[i] <= 20
    }
    counts = window_counts(g, t, 20)
    assert counts.tolist() == [sum(1 for a, _ in want if a == i) for i in range(len(t))]
    got = [p for a, b in window_pairs(g, t, 20, chunk_pairs=37) for p in zip(a, b)]
    assert len(got) == len(set(got)) and set(got) == want
    # a cap keeps each row's nearest later partners only
    capped = {p for a, b in window_pairs(g, t, 20, max_partners=2) for p in zip(a, b)}
    assert capped <= want
    assert all(sum(1 for a, _ in capped if a == i) == min(c, 2) for i, c in enumerate(counts))


def test_sampled_window_pairs_keep_every_pair_at_the_group_rate():
    """Crowded groups are sampled uniformly (peaks and quiet stretches alike), quiet groups
    in full; the same seed gives the same sample."""
    from pileon.detectors.coactivity import sampled_window_pairs, window_pairs

    rng = np.random.default_rng(4)
    g = np.repeat([0, 1], [3000, 40])
    t = np.concatenate([np.sort(rng.exponential(120, 3000)), np.sort(rng.uniform(0, 1e4, 40))])
    full = {p for a, b in window_pairs(g, t, 60) for p in zip(a.tolist(), b.tolist())}
    rate, chunks = sampled_window_pairs(g, t, 60, mean_partners=4.0, seed=9)
    got = [p for a, b in chunks for p in zip(a.tolist(), b.tolist())]
    assert len(got) == len(set(got)) and set(got) <= full
    assert rate[1] == 1.0 and 0 < rate[0] < 0.1
    quiet = {p for p in full if g[p[0]] == 1}
    assert quiet <= set(got)
    busy = [p for p in full if g[p[0]] == 0]
    early = [p for p in busy if t[p[0]] < 60]  # the peak of the crowd
    late = [p for p in busy if t[p[0]] > 240]  # its tail
    kept = set(got)
    for part in (busy, early, late):
        share = sum(p in kept for p in part) / len(part)
        assert abs(share - rate[0]) < 0.25 * rate[0], (share, rate[0])
    again = [
        p
        for a, b in sampled_window_pairs(g, t, 60, mean_partners=4.0, seed=9)[1]
        for p in zip(a.tolist(), b.tolist())
    ]
    assert again == got


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_coactivity_degree_is_the_strength_in_the_coactivity_network(seed):
    from pileon.detectors.coactivity import coactivity_degree

    df = random_reposts(seed, 500, n_accounts=60, n_sources=15, span=900)
    df = df.drop_duplicates(["account_id", "source_id"])
    net = coactivity(df, window=45)
    strength = (
        pd.concat([net.set_index("account_a")["weight"], net.set_index("account_b")["weight"]])
        .groupby(level=0)
        .sum()
    )
    deg = coactivity_degree(df, window=45)
    assert set(deg.index) == set(df["account_id"])
    pd.testing.assert_series_equal(
        deg.sort_index(),
        strength.reindex(deg.index, fill_value=0).sort_index().astype(np.int64),
        check_names=False,
    )


def test_coactivity_degree_counts_other_accounts_only():
    from pileon.detectors.coactivity import coactivity_degree

    # a reposts s twice within the window: neither counts for a; b's repost counts twice
    df = frame([("a", "s", 0), ("a", "s", 10), ("b", "s", 20), ("c", "t", 0)])
    assert coactivity_degree(df, window=30).to_dict() == {"a": 2, "b": 2, "c": 0}
    assert coactivity_degree(df.iloc[:0], window=30).empty


def test_window_counts_integer_keys_equal_the_pairs_counted_one_by_one():
    """Integer times take the key group * span + t (no ranking sort): the later rows of
    the group within the window, counted by brute force, for windows of 0, fractions,
    and wider than the span; negative times; float times take the ranking path."""
    from pileon.detectors.coactivity import window_counts

    rng = np.random.default_rng(0)
    for trial in range(120):
        n = int(rng.integers(1, 200))
        g = np.sort(rng.integers(0, 12, n))
        t = rng.integers(-50, 200, n)
        order = np.lexsort((t, g))
        g, t = g[order], t[order]
        w = [0, 1, 5, 7.5, 30, 10**6][trial % 6]
        j = np.arange(n)
        want = [int(((g == g[i]) & (j > i) & (t - t[i] <= w)).sum()) for i in range(n)]
        assert window_counts(g, t, w).tolist() == want
        assert window_counts(g, t.astype(float), w).tolist() == want
