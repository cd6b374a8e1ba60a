"""Tests of pileon.detectors.clusters: tiny hand-made graphs and the sample incident."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pileon.detectors.clusters import ClusterResult, creation_bursts, detect_coordinated
from pileon.graph.errors import InputError
from pileon.graph.projection import Projection

T0 = pd.Timestamp("2026-03-01T08:00:00Z")


def organic_and_army(
    *, seed=0, army=("a1", "a2", "a3", "a4", "a5"), waves=4, crowd=60, per_source=40, span_h=12
):
    """Reposts of ``waves`` sources: the army reposts each within seconds at a random
    moment; a crowd reposts them at random times over ``span_h`` hours."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(waves):
        src = f"s{k}"
        burst = T0 + pd.Timedelta(seconds=int(rng.integers(0, span_h * 3600)))
        for a in army:
            rows.append(
                {
                    "repost_id": f"r{k}-{a}",
                    "account_id": a,
                    "source_id": src,
                    "reposted_at": burst + pd.Timedelta(seconds=int(rng.integers(0, 30))),
                }
            )
        who = rng.choice(crowd, size=per_source, replace=False)
        when = rng.integers(0, span_h * 3600, per_source)
        for w, t in zip(who, when):
            rows.append(
                {
                    "repost_id": f"o{k}-{w}",
                    "account_id": f"x{w:03d}",
                    "source_id": src,
                    "reposted_at": T0 + pd.Timedelta(seconds=int(t)),
                }
            )
    return rows


def test_planted_army_is_the_only_significant_cluster():
    p = Projection.from_tables({"event_id": "e"}, reposts=organic_and_army())
    res = detect_coordinated(p, narratives={}, seed=3)
    assert isinstance(res, ClusterResult)
    assert [c.accounts for c in res.significant] == [("a1", "a2", "a3", "a4", "a5")]
    c = res.significant[0]
    assert c.cluster_id == "c1" and 0 < c.score <= 1
    assert c.numbers["lift"] > 5 and c.numbers["surprise"] > c.numbers["null_max"]
    assert {e.kind for e in c.evidence} >= {"co_repost", "chance_baseline"}
    assert [f.account_id for f in res.findings] == ["a1", "a2", "a3", "a4", "a5"]
    assert all(f.role == "coordinated" and 0 < f.strength <= 1 for f in res.findings)
    assert all(f.evidence[0].content_ids for f in res.findings)


def test_same_seed_same_result_and_seed_only_changes_ties():
    p = Projection.from_tables({"event_id": "e"}, reposts=organic_and_army(seed=5))
    a = detect_coordinated(p, narratives={}, seed=11)
    b = detect_coordinated(p, narratives={}, seed=11)
    assert [(c.cluster_id, c.accounts, c.score) for c in a.clusters] == [
        (c.cluster_id, c.accounts, c.score) for c in b.clusters
    ]
    c = detect_coordinated(p, narratives={}, seed=12)
    assert [x.accounts for x in c.significant] == [x.accounts for x in a.significant]


def test_crowd_alone_gives_no_significant_cluster():
    p = Projection.from_tables(
        {"event_id": "e"}, reposts=organic_and_army(army=(), seed=2, per_source=50)
    )
    assert detect_coordinated(p, narratives={}, seed=0).significant == []


def test_one_lucky_wave_is_not_coordination():
    # five accounts in sync on ONE source only: chance explains one burst
    p = Projection.from_tables({"event_id": "e"}, reposts=organic_and_army(waves=1, seed=4))
    assert detect_coordinated(p, narratives={}, seed=0).significant == []


def test_viral_burst_of_organic_pairs_is_not_a_cluster():
    # a viral source: 200 accounts repost within ten minutes, a second one the same way;
    # many organic pairs land within 60 s on both by chance
    rng = np.random.default_rng(9)
    rows = []
    for k in range(2):
        who = rng.choice(400, size=200, replace=False)
        for w, t in zip(who, rng.integers(0, 600, 200)):
            rows.append(
                {
                    "repost_id": f"v{k}-{w}",
                    "account_id": f"u{w:03d}",
                    "source_id": f"v{k}",
                    "reposted_at": T0 + pd.Timedelta(hours=k, seconds=int(t)),
                }
            )
    p = Projection.from_tables({"event_id": "e"}, reposts=rows)
    assert detect_coordinated(p, narratives={}, seed=0).significant == []


def test_co_posting_counts_and_targets_are_never_members():
    rows = organic_and_army(waves=2, seed=6)
    contents = []
    for k in range(2):  # the army also posts copies of a story within minutes...
        for i, a in enumerate(("a1", "a2", "a3", "a4", "a5", "victim")):
            contents.append(
                {
                    "content_id": f"c{k}{a}",
                    "account_id": a,
                    "platform": "weibo",
                    "posted_at": T0 + pd.Timedelta(hours=20 + k, seconds=40 * i),
                    "text": f"story {k}",
                    "target_ids": ["victim"],
                }
            )
        for i in range(20):  # ...that the crowd copies over a day
            contents.append(
                {
                    "content_id": f"c{k}x{i}",
                    "account_id": f"x{i:03d}",
                    "platform": "weibo",
                    "posted_at": T0 + pd.Timedelta(hours=i + k),
                    "text": f"story {k}",
                    "target_ids": ["victim"],
                }
            )
    p = Projection.from_tables(
        {"event_id": "e", "target_ids": ["victim"]}, reposts=rows, contents=contents
    )
    narratives = {c["content_id"]: f"n{c['content_id'][1]}" for c in contents}
    res = detect_coordinated(p, narratives=narratives, seed=0)
    assert [c.accounts for c in res.significant] == [("a1", "a2", "a3", "a4", "a5")]
    assert "co_post" in {e.kind for e in res.significant[0].evidence}
    assert "victim" not in {f.account_id for f in res.findings}


def test_creation_burst_labels():
    created = [T0 - pd.Timedelta(days=400 * i) for i in range(1, 21)]  # background, years apart
    created += [T0 + pd.Timedelta(minutes=3 * i) for i in range(8)]  # eight in 21 minutes
    acc = pd.DataFrame(
        {
            "account_id": [f"a{i:02d}" for i in range(len(created))],
            "created_at": pd.to_datetime(created, utc=True),
        }
    )
    lab = creation_bursts(acc)
    burst = lab.dropna()
    assert sorted(burst.index) == [f"a{i:02d}" for i in range(20, 28)]
    assert burst.nunique() == 1


@pytest.mark.parametrize(
    "bad",
    [
        {"repost_window": 0},
        {"post_window": -5},
        {"min_size": 1},
        {"n_null": -1},
        {"max_crowd": 0},
        {"max_crowd": 2.5},
    ],
)
def test_bad_options_raise(bad):
    p = Projection.from_tables({"event_id": "e"}, reposts=organic_and_army(waves=1))
    with pytest.raises(InputError):
        detect_coordinated(p, narratives={}, **bad)


def test_empty_projection():
    res = detect_coordinated(Projection.from_tables({"event_id": "e"}), narratives={})
    assert res.clusters == [] and res.findings == [] and res.edges.empty


def test_pair_baseline_is_the_sum_of_q_over_shared_items():
    from pileon.detectors.clusters import pair_baseline

    rng = np.random.default_rng(3)
    n = 600
    acts = pd.DataFrame(
        {
            "account_id": [f"a{i:02d}" for i in rng.integers(0, 30, n)],
            "item": [f"r:s{i}" for i in rng.integers(0, 15, n)],
            "t": rng.random(n) * 50,
        }
    )
    q = pd.Series(rng.random(15), index=[f"r:s{i}" for i in range(15)])
    touched = acts.groupby("account_id")["item"].agg(set)
    pairs = pd.DataFrame(
        {
            "account_a": [f"a{i:02d}" for i in rng.integers(0, 30, 200)],
            "account_b": [f"a{i:02d}" for i in rng.integers(0, 30, 200)],
        }
    )
    pairs.loc[0] = ["a00", "nobody"]  # an account without acts: nothing shared
    want = [
        sum(q[i] for i in touched.get(a, set()) & touched.get(b, set()))
        for a, b in zip(pairs["account_a"], pairs["account_b"])
    ]
    np.testing.assert_allclose(pair_baseline(acts, pairs, q), want, rtol=1e-12)
    assert pair_baseline(acts, pairs, q)[0] == 0.0


def test_crowded_items_are_those_with_a_busy_window():
    from pileon.detectors.clusters import _crowded_items

    # item 0: 6 acts within one window; item 1: 6 acts two windows apart; item 2: empty
    item = np.array([0] * 6 + [1] * 6 + [3])
    t = np.array([0, 0.1, 0.2, 0.3, 0.4, 0.5] + [0, 2.5, 5, 7.5, 10, 12.5] + [0.0])
    assert _crowded_items(item, t, 4).tolist() == [True, False, False, False]
    assert _crowded_items(item, t, 5).tolist() == [False] * 4


def test_crowded_items_leave_the_account_graph_but_not_the_tests():
    """A viral source where every act has hundreds of others within a window adds no edge
    (its pairs are not enumerated), yet the army is still found on the quieter sources."""
    rows = organic_and_army(seed=5)
    rng = np.random.default_rng(5)
    for i in range(400):  # a viral post: 400 reposts in four minutes, the army among them
        rows.append(
            {
                "repost_id": f"viral{i}",
                "account_id": f"v{i:03d}",
                "source_id": "viral",
                "reposted_at": T0 + pd.Timedelta(seconds=int(rng.integers(0, 240))),
            }
        )
    for a in ("a1", "a2", "a3", "a4", "a5"):
        rows.append(
            {
                "repost_id": f"viral-{a}",
                "account_id": a,
                "source_id": "viral",
                "reposted_at": T0 + pd.Timedelta(seconds=100),
            }
        )
    p = Projection.from_tables({"event_id": "e"}, reposts=rows)
    wide = detect_coordinated(p, narratives={}, seed=0, max_crowd=10**6)
    capped = detect_coordinated(p, narratives={}, seed=0, max_crowd=100)
    viral = {f"v{i:03d}" for i in range(400)}
    assert not viral & (set(capped.edges["account_a"]) | set(capped.edges["account_b"]))
    # the army's sync on the viral source is left out of its edges...
    assert (capped.edges["observed"] == wide.edges["observed"] - 1).all()
    assert [c.accounts for c in capped.significant] == [("a1", "a2", "a3", "a4", "a5")]
    # ...but still counts in the cluster's own measure
    co_repost = next(e for e in capped.significant[0].evidence if e.kind == "co_repost")
    assert "viral" in co_repost.content_ids
    assert capped.significant[0].numbers["items"] == wide.significant[0].numbers["items"]


@pytest.mark.parametrize("chunk", [7, 1 << 22])
def test_co_activity_on_codes_matches_coactivity(chunk):
    """The detector's own pair counter gives the edge list of pileon.detectors.coactivity (accounts
    acting several times on one item, ties in time, pairs straddling chunks)."""
    from pileon.detectors.clusters import _NS, _co_activity, _Codes
    from pileon.detectors.coactivity import coactivity

    rng = np.random.default_rng(5)
    n = 600
    acts = pd.DataFrame(
        {
            "account_id": [f"a{i:02d}" for i in rng.integers(0, 40, n)],
            "item": [f"r:s{i}" for i in rng.integers(0, 12, n)],
            "t": rng.integers(0, 400, n) / 10.0,
        }
    )  # many ties and exact 1.0 gaps
    acts = acts.sort_values(["item", "t", "account_id"], kind="mergesort").reset_index(drop=True)
    t_ns = np.round(acts["t"].to_numpy() * _NS).astype(np.int64)
    frame = pd.DataFrame(
        {
            "account_id": acts["account_id"],
            "source_id": acts["item"],
            "reposted_at": pd.to_datetime(t_ns, utc=True),
        }
    )
    for min_weight in (1, 2, 4):
        want = coactivity(frame, window=1.0, min_weight=min_weight)
        got = _co_activity(_Codes(acts), t_ns, _NS, min_weight, chunk_pairs=chunk)
        assert len(want) > 0
        got = got[["account_a", "account_b", "weight"]].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, want, check_index_type=False)


# ------------------------------------------- an incident built unlike the sample generator


def chained_incident(
    seed,
    *,
    n_crowd=1500,
    n_roots=30,
    n_reposts=6000,
    army_n=10,
    waves=6,
    part=0.7,
    chain=0.4,
    wave_span=240,
    comments=True,
):
    """Another way to build a pile-on: Pareto popularity, log-normal delays, 40% of reposts
    chained to an earlier repost of the same post (the army's too), an army (no creation
    burst, ordinary followers) joining ``waves`` posts within ``wave_span`` seconds with
    partial participation, and near-identical army comments under three posts."""
    rng = np.random.default_rng(seed)
    t0 = int(T0.timestamp())
    crowd = [f"u{i}" for i in range(n_crowd)]
    army = [f"z{i}" for i in range(army_n)]
    n_acc = n_crowd + army_n
    accounts = pd.DataFrame(
        {
            "account_id": crowd + army,
            "platform": "weibo",
            "created_at": pd.to_datetime(
                rng.integers(1_260_000_000, 1_750_000_000, n_acc), unit="s", utc=True
            ),
            "followers": np.round(rng.lognormal(5, 1.5, n_acc)).astype(int),
        }
    )
    roots = [f"m{i}" for i in range(n_roots)]
    root_t = t0 + rng.integers(0, 2 * 86400, n_roots)
    contents = pd.DataFrame(
        {
            "content_id": roots,
            "account_id": rng.choice(crowd, n_roots),
            "platform": "weibo",
            "posted_at": pd.to_datetime(root_t, unit="s", utc=True),
            "text": [f"story number {i} about the school" for i in range(n_roots)],
        }
    )
    pop = rng.pareto(1.2, n_roots) + 0.05
    pop /= pop.sum()
    act = rng.pareto(1.5, n_crowd) + 0.1
    act /= act.sum()
    r_root = rng.choice(n_roots, n_reposts, p=pop)
    df = pd.DataFrame(
        {
            "root": r_root,
            "acc": np.array(crowd, dtype=object)[rng.choice(n_crowd, n_reposts, p=act)],
            "t": root_t[r_root] + np.round(rng.lognormal(np.log(3600), 1.2, n_reposts)).astype(int),
        }
    )
    df = df.drop_duplicates(["root", "acc"])
    targets = np.argsort(-pop)[:waves]
    rows = [
        (r, a, start + int(rng.integers(0, wave_span)))
        for r in targets
        for start in [root_t[r] + int(rng.integers(600, 6 * 3600))]
        for a in army
        if rng.random() < part
    ]
    df = pd.concat([df, pd.DataFrame(rows, columns=["root", "acc", "t"])])
    df = df.sort_values("t", kind="stable").reset_index(drop=True)
    df["repost_id"] = [f"r{i}" for i in range(len(df))]
    src = np.array([roots[r] for r in df["root"]], dtype=object)
    earlier: dict[int, list[int]] = {}
    for i, r in enumerate(df["root"].to_numpy()):
        seen = earlier.setdefault(r, [])
        if seen and rng.random() < chain:
            src[i] = df["repost_id"].iat[seen[int(rng.integers(len(seen)))]]
        seen.append(i)
    reposts = pd.DataFrame(
        {
            "repost_id": df["repost_id"],
            "account_id": df["acc"],
            "source_id": src,
            "reposted_at": pd.to_datetime(df["t"], unit="s", utc=True),
        }
    )
    if comments:
        rows = []
        for r in targets[:3]:
            for _ in range(2):
                start = root_t[r] + int(rng.integers(3600, 20 * 3600))
                rows += [
                    (a, start + int(rng.integers(0, 600)), r, "这个老师太过分了必须道歉")
                    for a in army
                    if rng.random() < part
                ]
            rows += [
                (
                    crowd[int(rng.integers(n_crowd))],
                    root_t[r] + int(rng.lognormal(np.log(7200), 1.0)),
                    r,
                    f"my view {j} here",
                )
                for j in range(60)
            ]
        extra = pd.DataFrame(
            {
                "content_id": [f"k{i}" for i in range(len(rows))],
                "account_id": [x[0] for x in rows],
                "platform": "weibo",
                "posted_at": pd.to_datetime([x[1] for x in rows], unit="s", utc=True),
                "text": [x[3] for x in rows],
                "kind": "comment",
                "reply_to": [roots[x[2]] for x in rows],
            }
        )
        contents = pd.concat([contents, extra], ignore_index=True)
    p = Projection.from_tables(
        {"event_id": "other"}, accounts=accounts, contents=contents, reposts=reposts
    )
    active = set(reposts["account_id"]) | set(contents["account_id"])
    return p, set(army) & active


@pytest.mark.parametrize(
    "seed,kw",
    [
        (10, {"comments": False}),
        (11, {"army_n": 12, "part": 0.6}),
        (13, {"army_n": 6, "waves": 5, "part": 0.8, "wave_span": 600}),
        (20, {"army_n": 15, "wave_span": 1800}),  # an army trickling in over half an hour
    ],
)
def test_other_generator_precision_and_recall(seed, kw):
    p, army = chained_incident(seed, **kw)
    found = {f.account_id for f in detect_coordinated(p, seed=0).findings}
    tp = len(found & army)
    assert tp / max(len(found), 1) >= 0.9 and tp / len(army) >= 0.9, (sorted(found), sorted(army))


def test_other_generator_without_army_finds_nothing():
    p, army = chained_incident(12, army_n=0, waves=0)
    assert army == set()
    assert detect_coordinated(p, seed=0).findings == []


# ----------------------------------------------------------------- the sample incident

E1 = "evt:2026-03-nancheng-teacher"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from pileon.graph.projection import project
    from tests.helpers import load_sample

    store, truth = load_sample(tmp_path_factory.mktemp("incident"), seed=7, scale=0.4)
    return project(store, E1), truth["events"][E1]


def test_sample_coordinated_precision_and_recall(sample):
    p, truth = sample
    res = detect_coordinated(p, seed=0)
    found = {f.account_id for f in res.findings}
    army = set(truth["coordinated"])
    tp = len(found & army)
    precision = tp / max(len(found), 1)
    recall = tp / len(army)
    assert precision >= 0.9 and recall >= 0.9, (precision, recall, len(found), len(army))
    # no account from outside the event
    event_accounts = set(p.reposts["account_id"]) | set(p.contents["account_id"].dropna())
    assert found <= event_accounts
    assert not found & (set(truth["news"]) | set(truth["targets"]))


def test_act_order_is_the_sort_by_item_time_account_and_act_id():
    from pileon.detectors.clusters import _act_order

    rng = np.random.default_rng(1)
    n = 3000  # few distinct values: many rows tie on item, time and account
    acts = pd.DataFrame(
        {
            "item": rng.choice(["r:a", "r:b", "n:c"], n),
            "t": rng.integers(0, 5, n) / 2,
            "account_id": rng.choice(["x", "y", "z", "w"], n),
            "act_id": [f"id{i}" for i in rng.permutation(n)],
        }
    )
    acts.loc[5, "act_id"] = acts.loc[6, "act_id"]  # even a repeated act ID keeps its place
    want = acts.sort_values(["item", "t", "account_id", "act_id"], kind="mergesort").index
    np.testing.assert_array_equal(_act_order(acts), want.to_numpy())


def test_an_army_alone_on_its_items_is_a_cluster():
    """Sources only the army reposts (no outsider to show what luck gives): members are
    tested on being in sync with most of the others, at the jitter's chance rate."""
    rows = organic_and_army(seed=8, per_source=0, waves=6)  # the crowd reposts other sources
    rng = np.random.default_rng(8)
    for k in range(6):
        for i in range(40):
            rows.append(
                {
                    "repost_id": f"c{k}-{i}",
                    "account_id": f"x{int(rng.integers(60)):03d}",
                    "source_id": f"crowd{k}",
                    "reposted_at": T0 + pd.Timedelta(seconds=int(rng.integers(0, 43200))),
                }
            )
    p = Projection.from_tables({"event_id": "e"}, reposts=rows)
    res = detect_coordinated(p, narratives={}, seed=0)
    assert [c.accounts for c in res.significant] == [("a1", "a2", "a3", "a4", "a5")]


def test_a_batch_registered_in_an_hour_is_a_burst_on_a_busy_platform():
    """30 accounts created within an hour among 1,000 created over a year: not 20 times the
    background over a day, but far above it over an hour."""
    rng = np.random.default_rng(2)
    created = [
        T0 + pd.Timedelta(seconds=int(s)) for s in rng.integers(-180 * 86400, 180 * 86400, 1000)
    ]
    created += [T0 + pd.Timedelta(seconds=int(s)) for s in rng.integers(0, 3600, 30)]
    acc = pd.DataFrame(
        {
            "account_id": [f"a{i:04d}" for i in range(len(created))],
            "created_at": pd.to_datetime(created, utc=True),
        }
    )
    batch = {f"a{i:04d}" for i in range(1000, 1030)}
    lab = creation_bursts(acc, burst_window=86400.0)
    assert set(lab.dropna().index) == batch and lab.dropna().nunique() == 1
    assert creation_bursts(acc, burst_window=86400.0, finer=()).dropna().empty
