"""``--engine spark``: the Spark joins equal the in-process ones (Spark ``local[2]``).

One Spark session for the module (the JVM starts once); a small sample incident ingested
into an embedded store, its input tables read by Spark.  Checked: the co-repost edge list
(hand-made edge cases and the sample, CSV, JSONL and Parquet input), the features'
co-repost counts, the narratives' text pairs, the coordination detector's pairs in sync
(with and without the sampling of crowded items), and the whole
``analyze --engine spark`` report against the in-process one (and that the analysis
really takes the joins handed over).  The bigger checks (sample at scales 1 and 10,
Twitter16, CED) and the scaling figures are ``bench/bench_spark.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pyspark  # noqa: F401  (the spark extra is installed for the tests: an error if not)
import pytest
from click.testing import CliRunner

from pileon.detectors.coactivity import coactivity, coactivity_degree
from pileon.detectors.joins import Joins
from pileon.detectors.narratives import own_texts
from pileon.graph.embedded import EmbeddedStore
from pileon.graph.projection import project
from pileon.graph.textsim import near_duplicate_pairs
from tests.helpers import load_sample

pytestmark = [
    pytest.mark.xdist_group("spark"),
    # pyspark 3.5 compares versions with distutils' LooseVersion
    pytest.mark.filterwarnings("ignore:distutils Version classes:DeprecationWarning"),
]


@pytest.fixture(scope="module")
def spark():
    from pileon.spark import session

    s = session("local[2]", shuffle_partitions=2)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The sample incident (scale 0.05) as input tables and in an embedded store."""
    root = tmp_path_factory.mktemp("spark-sample")
    store, _ = load_sample(root, seed=3, scale=0.05)
    store.close()
    return root / "incident", str(root / "pileon.db")


def _sorted(edges: pd.DataFrame) -> pd.DataFrame:
    return edges.sort_values(["account_a", "account_b"]).reset_index(drop=True)


def _reposts_df(spark, rows):
    return spark.createDataFrame(
        [(a, s, int(t)) for a, s, t in rows], schema="account_id string, source_id string, t long"
    )


def test_edges_on_hand_made_cases_equal_the_in_process_ones(spark):
    """Boundaries (exactly the window apart, one more nanosecond), an account reposting a
    source twice, a hot source spread over many window buckets, window 0; the co-repost
    a minimum weight; the co-repost counts against brute force."""
    from pileon.spark.joins import coactivity_edges, corepost_counts

    s = 1_000_000_000
    rng = np.random.default_rng(5)
    rows = [
        ("a", "s1", 0),
        ("b", "s1", 60 * s),  # exactly the window: in
        ("c", "s1", 120 * s + 1),  # 60 s + 1 ns after b: out
        ("a", "s2", 0),
        ("a", "s2", 30 * s),  # twice the same source: the pair counts once
        ("b", "s2", 31 * s),
        ("d", "s3", 5 * s),
        ("e", "s3", 5 * s),  # same instant (window 0 pairs them)
    ]
    # a hot source: 400 reposts by 120 accounts over two hours
    for _ in range(400):
        rows.append((f"h{int(rng.integers(120)):03d}", "hot", int(rng.integers(7200)) * s))
    frame = pd.DataFrame(rows, columns=["account_id", "source_id", "t"])
    frame["reposted_at"] = pd.to_datetime(frame["t"], unit="ns", utc=True)
    df = _reposts_df(spark, rows)
    for window, min_weight in ((60, 1), (60, 2), (0, 1)):
        want = coactivity(frame, window=window, min_weight=min_weight)
        got = _sorted(coactivity_edges(df, window=window, min_weight=min_weight).toPandas()).astype(
            {"weight": "int64"}
        )
        pd.testing.assert_frame_equal(got, want, check_dtype=False)
        assert len(want) > 0
    # co-repost counts: against a brute-force count over the rows
    got = corepost_counts(df, window=60).toPandas().set_index("account_id")["coreposts"]
    t = frame["t"].to_numpy()
    acc, src = frame["account_id"].to_numpy(), frame["source_id"].to_numpy()
    near = (src[:, None] == src[None, :]) & (np.abs(t[:, None] - t[None, :]) <= 60 * s)
    near &= acc[:, None] != acc[None, :]
    brute = pd.Series(near.sum(axis=1), index=acc).groupby(level=0).sum()
    pd.testing.assert_series_equal(
        got.sort_index().astype("int64"), brute.sort_index().astype("int64"), check_names=False
    )


def test_analyze_engine_spark_gives_the_same_report(spark, sample, tmp_path):
    """``pileon analyze --engine spark`` (the CLI, local[2]) against ``pileon analyze``:
    the same report, byte for byte; and the joins are really taken (without text pairs the
    narratives change)."""
    import shutil

    from pileon.cli import cli
    from pileon.service.analysis import analyze
    from pileon.service.spark import read_joins

    folder, db = sample
    for name in ("py.db", "sp.db"):
        shutil.copy(db, tmp_path / name)
    store = EmbeddedStore(db)
    try:
        event = max(store.event_ids(), key=lambda e: len(store.memberships(e)))
    finally:
        store.close()
    runner = CliRunner()
    base = ["analyze", "--event", event, "--model", "rules", "--no-progress"]
    r1 = runner.invoke(
        cli, ["--store", str(tmp_path / "py.db"), *base, "--out", str(tmp_path / "py.json")]
    )
    assert r1.exit_code == 0, r1.output
    r2 = runner.invoke(
        cli,
        [
            "--store",
            str(tmp_path / "sp.db"),
            *base,
            "--out",
            str(tmp_path / "sp.json"),
            "--engine",
            "spark",
            "--input",
            str(folder),
            "--spark-dir",
            str(tmp_path / "joins"),
        ],
    )
    assert r2.exit_code == 0, r2.output
    py = (tmp_path / "py.json").read_text(encoding="utf-8")
    assert (tmp_path / "sp.json").read_text(encoding="utf-8") == py
    report = json.loads(py)
    assert report["clusters"], "the sample has coordinated clusters to compare"
    # the coordination pairs were counted on Spark: its candidate pairs are kept as Parquet
    spark_pairs = pd.read_parquet(tmp_path / "joins" / "coordination-1" / "pairs")
    assert len(spark_pairs) > 0 and {"a", "b", "o0", "c0"} <= set(spark_pairs.columns)
    # each join handed over equals the in-process function on the store's event
    joins = read_joins(tmp_path / "joins")
    assert joins.event_id == event
    store = EmbeddedStore(db)
    try:
        p = project(store, event)
    finally:
        store.close()
    want = coactivity_degree(p.reposts, window=60).sort_index()
    assert int((want > 0).sum()) > 0
    pd.testing.assert_series_equal(
        joins.coreposts.sort_index(), want, check_names=False, check_dtype=False
    )
    # the co-repost counts: against a brute force over the event's reposts
    r = p.reposts[p.reposts["account_id"].notna()]
    t = r["reposted_at"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().view("i8")
    acc, src = r["account_id"].to_numpy(), r["source_id"].to_numpy()
    near = (src[:, None] == src[None, :]) & (np.abs(t[:, None] - t[None, :]) <= 60 * 10**9)
    near &= acc[:, None] != acc[None, :]
    brute = pd.Series(near.sum(axis=1), index=acc).groupby(level=0).sum().sort_index()
    pd.testing.assert_series_equal(
        joins.coreposts.sort_index(), brute, check_names=False, check_dtype=False
    )
    c = p.contents.drop_duplicates("content_id")
    norms = own_texts(c["text"]).where(~c["placeholder"].astype(bool), "")
    uniq = pd.unique(norms[norms != ""].to_numpy(dtype=object)).tolist()
    want_pairs = {
        tuple(sorted((uniq[i], uniq[j]))): s
        for i, j, s in near_duplicate_pairs(uniq, threshold=0.6, normalized=True)
    }
    assert len(want_pairs) > 0
    assert {(a, b): s for a, b, s in joins.text_pairs.itertuples(index=False)} == want_pairs
    # the analysis takes what it is handed: no text pairs, fewer copies grouped
    store = EmbeddedStore(str(tmp_path / "sp.db"))
    try:
        bare = Joins(
            text_pairs=joins.text_pairs.iloc[:0],
            coreposts=joins.coreposts,
            event_id=event,
            reposts=joins.reposts,
        )
        other = analyze(store, event, model=None, save=False, joins=bare)
    finally:
        store.close()
    assert len(other["narratives"]) > len(report["narratives"])
    # joins over other reposts than the event's are refused, in one line
    store = EmbeddedStore(str(tmp_path / "sp.db"))
    try:
        from pileon.graph.errors import InputError

        wrong = Joins(coreposts=joins.coreposts, event_id=event, reposts=joins.reposts - 1)
        with pytest.raises(InputError, match="--input"):
            analyze(store, event, model=None, save=False, joins=wrong)
    finally:
        store.close()


def test_coactivity_engine_spark_cli_on_jsonl_and_parquet(spark, sample, tmp_path):
    """``pileon coactivity --engine spark`` writes the in-process CSV byte for byte: an
    event's pairs from the tables as JSONL, every repost's from the tables as Parquet (the
    analyze test reads them as CSV)."""
    from pileon.cli import cli

    folder, db = sample
    store = EmbeddedStore(db)
    try:
        event = max(store.event_ids(), key=lambda e: len(store.memberships(e)))
    finally:
        store.close()
    for fmt in ("jsonl", "parquet"):
        (tmp_path / fmt).mkdir()
        for table in ("reposts", "contents"):
            raw = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
            raw = raw.replace("", None)
            if fmt == "jsonl":
                raw.to_json(
                    tmp_path / fmt / f"{table}.jsonl",
                    orient="records",
                    lines=True,
                    force_ascii=False,
                )
            else:
                raw.to_parquet(tmp_path / fmt / f"{table}.parquet")
    runner = CliRunner()
    for scope, fmt in ((["--event", event], "jsonl"), ([], "parquet")):
        common = ["--store", db, "coactivity", *scope, "--window", "120", "--min-weight", "1"]
        a = runner.invoke(cli, [*common, "--out", str(tmp_path / f"py-{fmt}.csv")])
        b = runner.invoke(
            cli,
            [
                *common,
                "--out",
                str(tmp_path / f"sp-{fmt}.csv"),
                "--engine",
                "spark",
                "--input",
                str(tmp_path / fmt),
            ],
        )
        assert a.exit_code == 0 and b.exit_code == 0, (a.output, b.output)
        text = (tmp_path / f"py-{fmt}.csv").read_text(encoding="utf-8")
        assert text.count("\n") > 10
        assert (tmp_path / f"sp-{fmt}.csv").read_text(encoding="utf-8") == text
    bad = runner.invoke(cli, [*common, "--out", str(tmp_path / "x.csv"), "--engine", "spark"])
    assert bad.exit_code != 0 and "--input" in bad.output and "Traceback" not in bad.output


def test_default_path_never_imports_pyspark(sample, tmp_path):
    """analyze and coactivity without --engine spark: pyspark is never imported."""
    import shutil

    folder, db = sample
    shutil.copy(db, tmp_path / "x.db")
    code = f"""
import sys
from click.testing import CliRunner
from pileon.cli import cli
from pileon.graph.embedded import EmbeddedStore
s = EmbeddedStore({str(tmp_path / "x.db")!r}); e = s.event_ids()[0]; s.close()
r = CliRunner()
for args in (["analyze", "--event", e, "--model", "rules", "--no-progress", "--out",
              {str(tmp_path / "r.json")!r}],
             ["coactivity", "--window", "60", "--out", {str(tmp_path / "c.csv")!r}]):
    out = r.invoke(cli, ["--store", {str(tmp_path / "x.db")!r}, *args])
    assert out.exit_code == 0, out.output
print(sorted(m for m in sys.modules if m.split(".")[0] in ("pyspark", "py4j")))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    assert out.stdout.strip() == "[]"
    assert (tmp_path / "r.json").exists() and (tmp_path / "c.csv").exists()


def test_pairs_in_sync_equal_the_in_process_ones(spark, sample):
    """The coordination detector's pairs in sync counted on Spark equal
    :func:`pileon.detectors.coordination.pairs.synced_pairs` array for array with crowded
    items sampled (few partners per act; a pair budget that lowers them), so the seeded
    sample is the same.  (With the defaults, through the detector's ``pair_engine`` seam,
    the analyze test above compares the whole report.)"""
    from pileon.detectors.coactivity import window_counts
    from pileon.detectors.coordination import _in_play, coordination_acts
    from pileon.detectors.coordination.pairs import synced_pairs
    from pileon.detectors.narratives import detect_narratives
    from pileon.spark.coordination import synced_pairs as spark_synced_pairs

    _, db = sample
    store = EmbeddedStore(db)
    try:
        event = max(store.event_ids(), key=lambda e: len(store.memberships(e)))
        p = project(store, event)
    finally:
        store.close()
    every = coordination_acts(p, narratives=detect_narratives(p, seed=0))
    acts = _in_play(every, 2, 2)
    # act pairs in sync within each window, all of them
    every_pair = sum(int(window_counts(acts.item, acts.t, w).sum()) for w in (60.0, 300.0))
    for max_partners, budget, seed in ((2, 16_000_000, 5), (32, 3_000, 1)):
        opts = dict(
            windows=(60.0, 300.0),
            min_items=2,
            min_contexts=2,
            max_partners=max_partners,
            pair_budget=budget,
            seed=seed,
            every=every,
        )
        want = synced_pairs(acts, **opts)
        got = spark_synced_pairs(spark, acts, **opts)
        for name in ("a", "b", "observed", "contexts", "in_sync"):
            np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
        assert (got.tested, got.enumerated, got.mean_partners) == (
            want.tested,
            want.enumerated,
            want.mean_partners,
        )
        assert len(want.a) > 0
        # crowded items sampled: fewer act pairs enumerated than are in sync
        assert want.enumerated < every_pair


def test_text_pairs_cap_a_hot_bucket_as_in_process(spark):
    """Skew in the narratives' text candidates: 227 near-identical texts share LSH buckets
    (a copied post with a counter appended, and a second family).  Capped at 4 texts a
    bucket, the Spark candidates are the in-process ones (``_bucket_pairs`` over the texts
    in text order, the same cap), far fewer than uncapped and within ``n · b · cap``; the
    verified pairs group the texts as :func:`near_duplicate_links` does with that cap; an
    unusable cap is one error."""
    from pileon.graph.errors import InputError
    from pileon.graph.textsim import (
        NUM_PERM,
        _bucket_pairs,
        _lsh_bands,
        _signatures,
        jaccard,
        near_duplicate_links,
    )
    from pileon.spark.joins import text_pairs

    rng = np.random.default_rng(11)
    base = [
        "网传某中学老师体罚学生，大家都去她的主页骂她",
        "那个女老师的住址和电话已经被人发出来了",
    ]
    texts = {f"{base[i % 2]}{int(rng.integers(1000)):03d}" for i in range(240)}
    texts |= {"今天天气很好适合出门散步", "这家店的咖啡很好喝推荐大家"}
    uniq = sorted(texts)
    cap, threshold = 4, 0.6
    df = spark.createDataFrame([(t,) for t in uniq], schema="norm string")
    got = {(a, b): s for a, b, s in text_pairs(df, threshold=threshold, bucket_cap=cap).collect()}

    sig = _signatures(uniq, num_perm=NUM_PERM, seed=1)
    ca, cb, _ = _bucket_pairs(sig, threshold=threshold, cap=cap)
    want = {
        (uniq[a], uniq[b]): s
        for a, b in zip(ca.tolist(), cb.tolist())
        if (s := jaccard(uniq[a], uniq[b])) >= threshold
    }
    assert got == want
    every = _bucket_pairs(sig, threshold=threshold)[0]
    bands = _lsh_bands(threshold, NUM_PERM)[0]
    assert len(ca) <= len(uniq) * bands * cap and 3 * len(ca) < len(every)

    # the groups: those of the in-process links with the same cap (and two families)
    def groups(i, j):
        label = list(range(len(uniq)))

        def find(x):
            while label[x] != x:
                x = label[x]
            return x

        for x, y in zip(i, j):
            label[max(find(x), find(y))] = min(find(x), find(y))
        return [find(x) for x in range(len(uniq))]

    at = {t: k for k, t in enumerate(uniq)}
    li, lj = near_duplicate_links(uniq, threshold=threshold, normalized=True, bucket_cap=cap)
    spark_groups = groups([at[a] for a, _ in got], [at[b] for _, b in got])
    assert spark_groups == groups(li.tolist(), lj.tolist())
    assert len(set(spark_groups)) < len(uniq)
    with pytest.raises(InputError, match="bucket_cap"):
        text_pairs(df, bucket_cap=0)


@pytest.mark.parametrize("dataset", ["twitter16", "ced-sample"])
def test_real_data_gives_the_same_edges_and_report(spark, dataset, tmp_path):
    """On the vendored cut of real data (Twitter16 retweet cascades, CED Weibo cascades
    with Chinese text: one event for the whole cut), ``coactivity --engine spark`` writes
    the in-process CSV byte for byte (the event and the whole store), and ``analyze
    --engine spark`` gives the in-process report byte for byte.  The full data sets are
    checked the same way by ``bench/bench_spark.py identity``."""
    import shutil

    from pileon.cli import cli
    from pileon.ingest.realdata import ced_tables, twitter16_tables, write_tables
    from tests.helpers import real_data

    convert = twitter16_tables if dataset == "twitter16" else ced_tables
    folder = write_tables(convert(real_data(dataset, "vendored"), events="all"), tmp_path / "in")
    db = tmp_path / "py.db"
    runner = CliRunner()
    r = runner.invoke(cli, ["--store", str(db), "ingest", str(folder), "--no-progress"])
    assert r.exit_code == 0, r.output
    shutil.copy(db, tmp_path / "sp.db")
    store = EmbeddedStore(str(db))
    try:
        event = max(store.event_ids(), key=lambda e: len(store.memberships(e)))
    finally:
        store.close()
    spark_args = ["--engine", "spark", "--input", str(folder)]
    for scope in (["--event", event], []):
        out = {}
        for name, extra in (("py", []), ("sp", spark_args)):
            path = tmp_path / f"{name}-{len(scope)}.csv"
            args = ["--store", str(db), "coactivity", *scope, "--window", "60"]
            res = runner.invoke(cli, [*args, "--out", str(path), *extra])
            assert res.exit_code == 0, res.output
            out[name] = path.read_text(encoding="utf-8")
        assert out["py"].count("\n") > 10, "the cut has co-reposts to compare"
        assert out["sp"] == out["py"]
    reports = {}
    for name, extra in (("py", []), ("sp", [*spark_args, "--spark-dir", str(tmp_path / "j")])):
        res = runner.invoke(
            cli,
            [
                "--store",
                str(tmp_path / f"{name}.db"),
                "analyze",
                "--event",
                event,
                "--model",
                "rules",
                "--no-progress",
                "--out",
                str(tmp_path / f"{name}.json"),
                *extra,
            ],
        )
        assert res.exit_code == 0, res.output
        reports[name] = (tmp_path / f"{name}.json").read_text(encoding="utf-8")
    assert json.loads(reports["py"])["accounts"], "the cut has ranked accounts"
    assert reports["sp"] == reports["py"]
