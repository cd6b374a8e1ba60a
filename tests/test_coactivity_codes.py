"""``pileon coactivity`` on integer codes: the kernel (pileon.detectors.coactivity_codes),
the kept codes of the embedded store (pileon.graph.codes) and the command's fast path.

Every result is checked against :func:`pileon.detectors.coactivity.coactivity` (itself
checked against the peer tool in tests/test_coactivity.py) and, once, against the peer.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pileon.detectors.coactivity import coactivity, write_coactivity_csv  # noqa: E402
from pileon.detectors.coactivity_codes import coactivity_codes  # noqa: E402
from pileon.graph.codes import read_repost_codes  # noqa: E402
from pileon.graph.embedded import EmbeddedStore  # noqa: E402
from pileon.graph.errors import InputError, NotFound  # noqa: E402
from pileon.service.coactivity import coactivity_edges, code_pairs, write_pairs_csv  # noqa: E402

S = 1_000_000_000
T0 = pd.Timestamp("2026-03-01T08:00:00Z")


def _frame(acc, src, t_ns, names):
    return pd.DataFrame(
        {
            "account_id": names[acc],
            "source_id": [f"s{x}" for x in src],
            "reposted_at": pd.to_datetime(t_ns, utc=True),
        }
    )


@pytest.mark.parametrize("seed", range(40))
def test_kernel_matches_coactivity(seed):
    """Random reposts with repeats (an account reposting a source twice), ties, tiny and
    huge windows and spans (the ranked fallback), every min_weight and chunk size."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 400))
    n_acc, n_src = int(rng.integers(2, 40)), int(rng.integers(1, 12))
    acc = rng.integers(0, n_acc, n)
    src = rng.integers(0, n_src, n)
    unit = [1, 10**3, S, 10**4 * S][seed % 4]  # the last: spans up to ~30 years
    t = rng.integers(0, [30, 600, 10**5][seed % 3], n) * unit
    window = [0, 1, 60, 10**9][seed % 4 if seed % 5 else 3]
    min_weight = 1 + seed % 3
    names = np.array([f"u{i:03d}" for i in range(n_acc)], dtype=object)
    want = coactivity(_frame(acc, src, t, names), window=window, min_weight=min_weight)
    for chunk in (1, 5, 1 << 20):
        a, b, w = coactivity_codes(
            acc, src, t, window=window, min_weight=min_weight, chunk_pairs=chunk
        )
        got = pd.DataFrame({"account_a": names[a], "account_b": names[b], "weight": w})
        pd.testing.assert_frame_equal(got, want, check_dtype=False, check_index_type=False)


def test_kernel_keeps_pairs_of_accounts_whose_other_reposts_pair_with_nothing():
    # a and b co-repost s1 and s2; c reposts s1 with them but nothing else in time
    acc = np.array([0, 1, 2, 0, 1, 2, 0])
    src = np.array([1, 1, 1, 2, 2, 3, 4])
    t = np.array([0, 10, 20, 1000, 1030, 5000, 9000]) * S
    a, b, w = coactivity_codes(acc, src, t, window=60, min_weight=2)
    assert (a.tolist(), b.tolist(), w.tolist()) == ([0], [1], [2])
    a, b, w = coactivity_codes(acc, src, t, window=60, min_weight=1)
    assert list(zip(a.tolist(), b.tolist(), w.tolist())) == [(0, 1, 2), (0, 2, 1), (1, 2, 1)]


@pytest.mark.parametrize(
    "kw", [{"window": -1}, {"window": float("nan")}, {"min_weight": 0}, {"chunk_pairs": 0}]
)
def test_kernel_bad_arguments(kw):
    args = {"window": 60, **kw}
    with pytest.raises(InputError):
        coactivity_codes(np.zeros(3), np.zeros(3), np.zeros(3), **args)


def _store(tmp_path, reposts: pd.DataFrame, events=None) -> EmbeddedStore:
    store = EmbeddedStore(str(tmp_path / "s.db"))
    store.upsert("reposts", reposts)
    if events:
        store.upsert("events", pd.DataFrame({"event_id": list(events)}))
        store.set_memberships(
            pd.DataFrame(
                [(c, e, "repost") for e, ids in events.items() for c in ids],
                columns=["content_id", "event_id", "via"],
            )
        )
    return store


def _reposts(seed: int, n: int, *, names=None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    names = names or [f"u{i:03d}" for i in range(30)]
    acc = rng.integers(0, len(names), n)
    return pd.DataFrame(
        {
            "repost_id": [f"r{seed}-{i}" for i in range(n)],
            "account_id": [names[a] for a in acc],
            "source_id": [f"s{x}" for x in rng.integers(0, 8, n)],
            "reposted_at": T0 + pd.to_timedelta(rng.integers(0, 900, n), unit="s"),
        }
    )


def test_kept_codes_follow_every_change_of_the_reposts(tmp_path):
    store = _store(tmp_path, _reposts(0, 300))

    def kept() -> int:
        return store._con().execute("SELECT count(*) FROM repost_codes").fetchone()[0]

    def check() -> None:
        got = coactivity_edges(store, window=60, min_weight=2)
        want = coactivity(store.frame("reposts"), window=60, min_weight=2)
        assert got[1] == len(store.frame("reposts"))
        pd.testing.assert_frame_equal(got[0], want)

    assert kept() == 0
    check()
    assert kept() > 0  # the first read kept them
    first = store.repost_codes()
    check()  # from the kept codes
    store.upsert("reposts", _reposts(1, 50))  # insert
    assert kept() == 0
    check()
    assert len(store.repost_codes()) == len(first) + 50
    moved = store.frame("reposts").head(20).assign(account_id="zz-new")  # update
    store.upsert("reposts", moved)
    assert kept() == 0
    check()
    with store._con() as con:  # any writer: a delete outside the store's methods
        con.execute("DELETE FROM reposts WHERE repost_id LIKE 'r1-%'")
    assert kept() == 0
    check()
    assert len(store.repost_codes()) == len(first)


def test_codes_of_an_event_and_an_unknown_event(tmp_path):
    r = _reposts(2, 200)
    store = _store(tmp_path, r, events={"e1": r["repost_id"][:120].tolist()})
    got, n = coactivity_edges(store, window=60, min_weight=1, event_id="e1")
    assert n == 120
    pd.testing.assert_frame_equal(got, coactivity(r.head(120), window=60, min_weight=1))
    with pytest.raises(NotFound):
        coactivity_edges(store, window=60, event_id="nope")


def test_missing_times_are_refused_as_coactivity_refuses_them(tmp_path):
    store = _store(tmp_path, _reposts(3, 20))
    with store._con() as con:
        con.execute("UPDATE reposts SET reposted_at = NULL WHERE rowid = 3")
    with pytest.raises(InputError, match="reposted_at has missing values"):
        coactivity_edges(store, window=60)


def test_odd_account_ids_write_the_same_csv_bytes(tmp_path):
    """IDs with commas, quotes, newlines, non-ASCII and code-point order (``Z`` < ``a`` <
    ``é``): the pandas-free writer writes the bytes of write_coactivity_csv."""
    names = ["a,b", 'q"uote', "new\nline", "Zed", "alpha", "été", "ü", "ß", " sp", "x\r"]
    store = _store(tmp_path, _reposts(4, 400, names=names))
    pairs = code_pairs(store.repost_codes(), window=120, min_weight=1)
    want = coactivity(store.frame("reposts"), window=120, min_weight=1)
    assert len(want) > 20
    write_pairs_csv(pairs, tmp_path / "ours.csv")
    write_coactivity_csv(want, tmp_path / "want.csv")
    assert (tmp_path / "ours.csv").read_bytes() == (tmp_path / "want.csv").read_bytes()


def test_read_only_store_computes_the_codes_without_keeping_them(tmp_path):
    store = _store(tmp_path, _reposts(5, 200))
    want = coactivity_edges(store, window=60)[0]
    with store._con() as con:
        con.execute("DELETE FROM repost_codes")
    store.close()
    path = tmp_path / "s.db"
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    codes = read_repost_codes(con)
    assert con.execute("SELECT count(*) FROM repost_codes").fetchone()[0] == 0
    a, b, w = code_pairs(codes, window=60)
    assert list(a) == want["account_a"].tolist() and w.tolist() == want["weight"].tolist()


def _cli(*args: object, env: dict | None = None) -> subprocess.CompletedProcess:
    code = (
        "import sys\nfrom pileon.cli import main\nsys.argv = ['pileon'] + sys.argv[1:]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\nelse:\n    code = 0\n"
        "print('HEAVY=' + ','.join(m for m in ('pandas', 'pyarrow') if m in sys.modules))\n"
        "sys.exit(code)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


def test_command_reads_codes_without_pandas_and_writes_the_exact_edge_list(tmp_path):
    store = _store(tmp_path, _reposts(6, 500))
    want = coactivity(store.frame("reposts"), window=60, min_weight=2)
    assert len(want) > 0
    write_coactivity_csv(want, tmp_path / "want.csv")
    store.close()
    out = tmp_path / "pairs.csv"
    for run in ("builds the codes", "reads the kept codes"):
        r = _cli("coactivity", "--window", 60, "--min-weight", 2, "--out", out,
                 env={"PILEON_STORE": str(tmp_path / "s.db")})  # fmt: skip
        assert r.returncode == 0, r.stderr
        assert r.stdout.splitlines() == [
            f"wrote {out}: {len(want)} pairs from 500 reposts",
            "HEAVY=",
        ], run
        assert out.read_bytes() == (tmp_path / "want.csv").read_bytes(), run


def test_command_on_a_store_made_before_the_codes(tmp_path):
    """A file without the codes' table is opened as a store once (which adds it)."""
    store = _store(tmp_path, _reposts(7, 300))
    want = coactivity(store.frame("reposts"), window=60, min_weight=1)
    store.close()
    with sqlite3.connect(tmp_path / "s.db") as con:
        con.executescript(
            "DROP TRIGGER repost_codes_insert; DROP TRIGGER repost_codes_update; "
            "DROP TRIGGER repost_codes_delete; DROP TABLE repost_codes;"
        )
    out = tmp_path / "p.csv"
    r = _cli("coactivity", "--window", 60, "--out", out, "--store", tmp_path / "s.db")
    assert r.returncode == 0, r.stderr
    got = pd.read_csv(out, dtype={"account_a": str, "account_b": str})
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    r = _cli("coactivity", "--window", 60, "--out", out, "--store", tmp_path / "s.db")
    assert r.stdout.splitlines()[-1] == "HEAVY="  # the second run takes the fast path


def test_command_cannot_write_its_output_says_so_in_one_line(tmp_path):
    _store(tmp_path, _reposts(8, 50)).close()
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        r = _cli(
            "coactivity", "--window", 60, "--out", locked / "p.csv", "--store", tmp_path / "s.db"
        )
    finally:
        locked.chmod(stat.S_IRWXU)
    if os.geteuid() == 0:  # root writes anyway: the command must then succeed
        assert r.returncode == 0, r.stderr
    else:
        assert r.returncode != 0 and r.stderr.count("\n") == 1 and "cannot write" in r.stderr


def test_matches_the_peer_pair_for_pair(tmp_path):
    peer = pytest.importorskip("bench.peer")
    from bench.bench_coactivity import make_reposts

    reposts = make_reposts(3000, seed=2)
    store = _store(tmp_path, reposts)
    for min_weight in (1, 2):
        ours = coactivity_edges(store, window=60, min_weight=min_weight)[0]
        theirs = peer.run_peer(reposts, window=60, min_weight=min_weight, n_threads=1).edges
        assert len(ours) > 0
        pd.testing.assert_frame_equal(ours, theirs, check_dtype=False)


def test_ingest_keeps_the_codes_so_the_first_command_is_quick(tmp_path):
    from pileon.ingest.load import load_folder

    folder = tmp_path / "in"
    folder.mkdir()
    r = _reposts(9, 200)
    r.assign(reposted_at=r["reposted_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")).to_csv(
        folder / "reposts.csv", index=False
    )
    store = EmbeddedStore(str(tmp_path / "s.db"))
    load_folder(store, folder, reject_path=tmp_path / "rej.csv")
    con = store._con()
    parts = {p for (p,) in con.execute("SELECT part FROM repost_codes")}
    assert {"account", "source", "time", "names"} <= parts
    got = coactivity_edges(store, window=60)[0]
    pd.testing.assert_frame_equal(got, coactivity(store.frame("reposts"), window=60))


def _codes_equal(a, b) -> None:
    for part in ("account", "source", "time", "name_ends"):
        np.testing.assert_array_equal(getattr(a, part), getattr(b, part))
    assert a.names_utf8 == b.names_utf8


def test_codes_kept_from_the_loaded_rows_equal_the_codes_built_from_the_table(
    tmp_path, monkeypatch
):
    """A load into an empty store keeps the codes from the rows it has just validated,
    without reading the table back: the same arrays as the build from the table, for IDs
    in code-point order, a repeated key and a row without its time (both rejected)
    in the middle of the file; a second load into the non-empty store builds them from
    the table again."""
    import pileon.graph.codes as codes
    from pileon.ingest.load import load_folder

    _build = codes._build

    names = ["a,b", "Zed", "alpha", "été", "ü", "ß", "z", "Ω", "10", "9"]
    folder = tmp_path / "in"
    folder.mkdir()
    r = _reposts(11, 500, names=names)
    text = r.assign(reposted_at=r["reposted_at"].dt.strftime("%Y-%m-%dT%H:%M:%S+08:00"))
    text.loc[40, "reposted_at"] = ""  # rejected: no time
    text = pd.concat([text.iloc[:100], text.iloc[[7]], text.iloc[100:]])  # repeated key
    text.to_csv(folder / "reposts.csv", index=False)
    store = EmbeddedStore(str(tmp_path / "s.db"))
    with monkeypatch.context() as m:  # the first load does not read the table back
        m.setattr(codes, "_build", lambda con: pytest.fail("codes built from the table"))
        summary = load_folder(store, folder, reject_path=tmp_path / "rej.csv")
    assert summary.tables["reposts"].rejected == 2
    con = store._con()
    assert con.execute("SELECT count(*) FROM repost_codes").fetchone()[0] > 0
    kept = store.repost_codes()
    assert len(kept) == 499
    _codes_equal(kept, _build(con))
    # the bulk load put back the triggers it dropped: any change empties the codes again
    triggers = {n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    assert {"repost_codes_insert", "repost_codes_update", "repost_codes_delete"} <= triggers
    with con:
        con.execute("UPDATE reposts SET account_id = 'zz' WHERE rowid = 1")
    assert con.execute("SELECT count(*) FROM repost_codes").fetchone()[0] == 0
    with con:
        con.execute("UPDATE reposts SET account_id = ? WHERE rowid = 1", (r.loc[0, "account_id"],))

    more = tmp_path / "more"
    more.mkdir()
    r2 = _reposts(12, 50, names=names[::-1] + ["new"])
    r2.assign(reposted_at=r2["reposted_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")).to_csv(
        more / "reposts.csv", index=False
    )
    load_folder(store, more, reject_path=tmp_path / "rej2.csv")
    _codes_equal(store.repost_codes(), _build(con))
    assert len(store.repost_codes()) == 549


def test_codes_are_not_kept_for_rows_that_are_not_the_table(tmp_path):
    store = _store(tmp_path, _reposts(13, 30))
    with store._con() as con:
        con.execute("DELETE FROM repost_codes")
    assert not store.keep_repost_codes(_reposts(13, 29))  # another count of rows
    assert store._con().execute("SELECT count(*) FROM repost_codes").fetchone()[0] == 0
