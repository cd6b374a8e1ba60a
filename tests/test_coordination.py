"""Tests of pileon.detectors.coordination: hand-made graphs, an incident built unlike the
sample generator, the scenario grid of bench/scenarios beside the naive baseline, the
sample incident."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pileon.detectors.coordination import ClusterResult, creation_bursts, detect_coordinated
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
    assert c.numbers["lift"] > 5 and c.numbers["observed"] > c.numbers["expected"]
    assert {e.kind for e in c.evidence} >= {"co_repost", "chance_baseline"}
    co_repost = next(e for e in c.evidence if e.kind == "co_repost")
    assert set(co_repost.content_ids) == {"s0", "s1", "s2", "s3"}
    assert [f.account_id for f in res.findings] == ["a1", "a2", "a3", "a4", "a5"]
    assert all(f.role == "coordinated" and 0 < f.strength <= 1 for f in res.findings)
    assert all(f.evidence[0].content_ids for f in res.findings)
    # every kept pair is in the edges, with its observed items against the expectation
    members = set(c.accounts)
    assert set(res.edges["account_a"]) | set(res.edges["account_b"]) == members
    assert (res.edges["observed"] > res.edges["expected"]).all()


def test_same_seed_same_result():
    p = Projection.from_tables({"event_id": "e"}, reposts=organic_and_army(seed=5))
    a = detect_coordinated(p, narratives={}, seed=11)
    b = detect_coordinated(p, narratives={}, seed=11)
    assert [(c.cluster_id, c.accounts, c.score, c.evidence) for c in a.clusters] == [
        (c.cluster_id, c.accounts, c.score, c.evidence) for c in b.clusters
    ]
    assert a.findings == b.findings
    pd.testing.assert_frame_equal(a.edges, b.edges)


def test_crowd_alone_gives_no_significant_cluster():
    p = Projection.from_tables(
        {"event_id": "e"}, reposts=organic_and_army(army=(), seed=2, per_source=50)
    )
    assert detect_coordinated(p, narratives={}, seed=0).significant == []


def test_one_lucky_wave_is_not_coordination():
    # five accounts in sync on ONE source only: a pair needs two items
    p = Projection.from_tables({"event_id": "e"}, reposts=organic_and_army(waves=1, seed=4))
    assert detect_coordinated(p, narratives={}, seed=0).significant == []


def test_viral_burst_of_organic_pairs_is_not_a_cluster():
    # two viral sources: 200 accounts repost each within ten minutes; many organic pairs
    # land within 60 s on both by chance
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
    res = detect_coordinated(p, narratives={}, seed=0)
    assert res.significant == [] and res.edges.empty


def test_fan_club_of_one_idol_is_not_an_army():
    """Thirty fans repost every one of their idol's twelve posts within a minute of it (the
    same burst an army makes), and a few other posts: one voice they follow, no army."""
    rng = np.random.default_rng(1)
    contents = [
        {
            "content_id": f"ip{k}",
            "account_id": "idol",
            "platform": "weibo",
            "posted_at": T0 + pd.Timedelta(hours=3 * k),
        }
        for k in range(12)
    ] + [
        {
            "content_id": f"o{k}",
            "account_id": f"author{k}",
            "platform": "weibo",
            "posted_at": T0 + pd.Timedelta(hours=3 * k + 1),
        }
        for k in range(12)
    ]
    rows = []
    for k in range(12):
        for i in range(30):
            if rng.random() < 0.8:
                rows.append(
                    {
                        "repost_id": f"f{k}-{i}",
                        "account_id": f"fan{i:02d}",
                        "source_id": f"ip{k}",
                        "reposted_at": T0
                        + pd.Timedelta(hours=3 * k, seconds=int(rng.integers(5, 60))),
                    }
                )
        for i in range(40):  # other posts, reposted by fans and others over hours
            who = f"fan{i:02d}" if i < 30 and rng.random() < 0.1 else f"x{i:02d}"
            rows.append(
                {
                    "repost_id": f"o{k}-{i}",
                    "account_id": who,
                    "source_id": f"o{k}",
                    "reposted_at": T0
                    + pd.Timedelta(hours=3 * k + 1, seconds=int(rng.integers(0, 7200))),
                }
            )
    p = Projection.from_tables({"event_id": "e"}, reposts=rows, contents=contents)
    res = detect_coordinated(p, narratives={}, seed=0)
    assert res.significant == [], [c.accounts for c in res.significant]


def test_co_posting_counts_and_targets_are_never_members():
    rows = organic_and_army(waves=2, seed=6)
    contents = []
    for k in range(3):  # the army also posts copies of stories within minutes...
        for i, a in enumerate(("a1", "a2", "a3", "a4", "a5", "victim")):
            contents.append(
                {
                    "content_id": f"c{k}{a}",
                    "account_id": a,
                    "platform": "weibo",
                    "posted_at": T0 + pd.Timedelta(hours=20 + k, seconds=20 * i),
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


@pytest.mark.parametrize(
    "bad",
    [
        {"windows": ()},
        {"windows": (300, 60)},
        {"windows": (0,)},
        {"min_size": 1},
        {"min_items": 0},
        {"max_partners": 0},
        {"max_partners": 2.5},
        {"alpha": 0},
        {"alpha": 2},
        {"strong": -1},
        {"pair_budget": 0},
    ],
)
def test_bad_options_raise(bad):
    p = Projection.from_tables({"event_id": "e"}, reposts=organic_and_army(waves=1))
    with pytest.raises(InputError):
        detect_coordinated(p, narratives={}, **bad)


def test_empty_projection():
    res = detect_coordinated(Projection.from_tables({"event_id": "e"}), narratives={})
    assert res.clusters == [] and res.findings == [] and res.edges.empty


def test_expected_sync_is_the_configuration_sum_over_items():
    """E of each pair against the formula summed item by item (a few accounts busy enough
    that their chance of acting on a popular item reaches 1)."""
    from pileon.detectors.coordination import coordination_acts
    from pileon.detectors.coordination.chance import _voice_affinity, expected_sync
    from pileon.detectors.coordination.pairs import synced_pairs

    rng = np.random.default_rng(3)
    rows = []
    for i in range(3000):
        a = int(rng.pareto(1.0) * 3) % 80
        s = int(rng.pareto(0.8) * 2) % 40
        rows.append(
            {
                "repost_id": f"r{i}",
                "account_id": f"a{a:02d}",
                "source_id": f"s{s:02d}",
                "reposted_at": T0 + pd.Timedelta(seconds=int(rng.integers(0, 20000))),
            }
        )
    p = Projection.from_tables({"event_id": "e"}, reposts=rows)
    acts = coordination_acts(p, narratives={})
    pairs = synced_pairs(
        acts,
        windows=(60.0, 600.0),
        min_items=1,
        min_contexts=1,
        max_partners=10**6,
        pair_budget=10**9,
    )
    assert len(pairs.a) > 50
    got = expected_sync(acts, pairs)
    n_items = len(acts.items)
    inc = np.unique(acts.account * n_items + acts.item)
    ia, ii = inc // n_items, inc % n_items
    n_i = np.bincount(ii, minlength=n_items).astype(float)
    m = n_i.sum()
    d = np.bincount(ia, minlength=len(acts.accounts)).astype(float)
    n_acts = np.bincount(acts.item, minlength=n_items).astype(float)
    q = pairs.in_sync / np.maximum(n_acts * (n_acts - 1) / 2, 1)[:, None]
    want = np.array(
        [
            (
                np.minimum(1, d[a] * n_i / m)[:, None] * np.minimum(1, d[b] * n_i / m)[:, None] * q
            ).sum(0)
            for a, b in zip(pairs.a, pairs.b)
        ]
    )
    # what the accounts' affinity to the voices they follow adds comes on top
    item_stratum = np.zeros(n_items, dtype=np.int64)
    extra = _voice_affinity(acts, pairs, np.minimum(q, 1), ia, ii, n_i, item_stratum)
    np.testing.assert_allclose(got, want + extra, rtol=1e-9)
    assert (np.minimum(1, d.max() * n_i / m) == 1).any()  # the cap was exercised


def test_a_crowded_item_costs_a_bounded_number_of_pairs():
    """An army hidden in two posts reposted 10,000 times each in ten minutes by accounts that
    repost both: the pairs enumerated stay within the budget, and the army is still found
    on its other waves."""
    rows = organic_and_army(seed=7, waves=6)
    rng = np.random.default_rng(7)
    for k in range(2):
        for i in range(10_000):
            rows.append(
                {
                    "repost_id": f"viral{k}-{i}",
                    "account_id": f"v{i:05d}",
                    "source_id": f"viral{k}",
                    "reposted_at": T0 + pd.Timedelta(hours=k, seconds=int(rng.integers(0, 600))),
                }
            )
        for a in ("a1", "a2", "a3", "a4", "a5"):
            rows.append(
                {
                    "repost_id": f"viral{k}-{a}",
                    "account_id": a,
                    "source_id": f"viral{k}",
                    "reposted_at": T0 + pd.Timedelta(hours=k, seconds=100),
                }
            )
    p = Projection.from_tables({"event_id": "e"}, reposts=rows)
    res = detect_coordinated(p, narratives={}, seed=0, pair_budget=200_000)
    # the exact pairs within five minutes would be about ten million
    assert res.stats["enumerated"] <= 200_000
    assert res.stats["mean_partners"] < 32  # the budget, not the cap, bounded the sample
    (c,) = res.significant
    army = {"a1", "a2", "a3", "a4", "a5"}
    # the army, and at most one of the sixty crowd accounts that landed near it twice
    assert army <= set(c.accounts) and len(c.accounts) <= 6


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


def test_scenarios_small_grid_beats_the_naive_baseline():
    """The small scenarios of bench/scenarios (an organic crowd, a fan club and news
    cascades beside an army of 40-60, or no army): the army at recall and precision 0.9,
    no negative clustered, and precision at least the naive baseline's at K = 2 and 3."""
    from bench.scenarios import generate
    from bench.scenarios.evaluate import compare
    from bench.scenarios.grid import SMALL

    for name, scenario in SMALL.items():
        r = compare(generate(scenario, seed=0))
        mine = r["pileon"]
        assert mine["recall"] >= 0.9 and mine["precision"] >= 0.9, (name, mine)
        assert mine["fans"] == mine["news"] == mine["organic"] == mine["culprits"] == 0, (
            name,
            mine,
        )
        for k in ("naive2", "naive3"):
            assert mine["precision"] >= r[k]["precision"], (name, k, r)


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
        (13, {"army_n": 6, "waves": 5, "part": 0.8, "wave_span": 600}),
        (20, {"army_n": 15, "wave_span": 1800}),  # an army trickling in over half an hour
    ],
)
def test_other_generator_precision_and_recall(seed, kw):
    p, army = chained_incident(seed, **kw)
    found = {f.account_id for f in detect_coordinated(p, seed=0).findings}
    tp = len(found & army)
    assert tp / max(len(found), 1) >= 0.9 and tp / len(army) >= 0.9, (sorted(found), sorted(army))


def test_other_generator_small_sparse_army_is_found_in_part():
    """Known limit, measured: twelve accounts in six waves at 60% participation give each
    pair about two shared items, weak against chance at p 1e-4 (1.3e-4 to 6e-4 for most);
    the pairs that pass find half the army, and no outsider."""
    p, army = chained_incident(11, army_n=12, part=0.6)
    found = {f.account_id for f in detect_coordinated(p, seed=0).findings}
    assert found <= army and len(found) >= len(army) // 2, (sorted(found), sorted(army))


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


def test_group_test_is_the_poisson_tail_of_sync_against_the_waves_crowd():
    """group_test against a brute-force count: the group's waves (items where at least
    three members' acts were within the window of another member's), for each tested
    account the waves it acted on in sync with a member (O) and the sum of the outsiders'
    in-sync share of those waves (E), tail P(X >= O | E), best window times two."""
    from scipy.stats import poisson

    from pileon.detectors.coordination import coordination_acts
    from pileon.detectors.coordination.groups import group_test

    rows = organic_and_army(seed=5, waves=5, crowd=40, per_source=30)
    p = Projection.from_tables({"event_id": "e"}, reposts=rows)
    acts = coordination_acts(p, narratives={})
    code = {str(a): i for i, a in enumerate(acts.accounts)}
    members = np.array(sorted(code[a] for a in ("a1", "a2", "a3", "a4")))
    tested = np.array([code["a5"], code["x000"], code["x001"], code["x007"], code["a1"]])
    windows = (60.0, 300.0)
    got = group_test(acts, members, tested, windows)
    want = []
    for who in tested:
        best = 1.0
        for w in windows:
            o = e = 0.0
            for item in np.unique(acts.item[np.isin(acts.account, members)]):
                on = np.flatnonzero(acts.item == item)
                mem = [j for j in on if acts.account[j] in members]

                def in_sync(j, mem=mem, w=w):
                    return any(
                        abs(acts.t[m] - acts.t[j]) <= w
                        and m != j
                        and acts.account[m] != acts.account[j]
                        for m in mem
                    )

                if sum(in_sync(j) for j in mem) < 3:
                    continue  # not a wave
                outs = [j for j in on if acts.account[j] not in members]
                s = np.mean([in_sync(j) for j in outs]) if outs else 0.0
                mine = [j for j in on if acts.account[j] == who]
                if mine:
                    e += s
                    o += any(in_sync(j) for j in mine)
            best = min(best, poisson.sf(o - 1, e) if o > 0 else 1.0)
        want.append(min(best * 2, 1.0))
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-300)
    assert got[0] < 1e-3 and got[1:4].min() > 1e-2  # the army's fifth member, not the crowd


def test_an_account_in_sync_with_a_groups_waves_joins_it():
    """_joins: an outsider in sync with the cluster's waves on five of them (the crowd
    of those items reposts at other times) joins, with O = 5 and its p-value; one in sync
    on a single wave, or on the same items hours away, does not; off with None."""
    from pileon.detectors.coordination import _joins, coordination_acts

    rows = organic_and_army(seed=7, waves=6, crowd=40, per_source=30)
    bursts = {}
    for r in rows:
        if r["account_id"] == "a1":
            bursts[r["source_id"]] = pd.Timestamp(r["reposted_at"])
    for k in range(5):
        src = f"s{k}"
        rows.append(
            {
                "repost_id": f"j{k}",
                "account_id": "j",
                "source_id": src,
                "reposted_at": bursts[src] + pd.Timedelta(seconds=20),
            }
        )
        rows.append(
            {
                "repost_id": f"late{k}",
                "account_id": "late",
                "source_id": src,
                "reposted_at": bursts[src] + pd.Timedelta(hours=3),
            }
        )
    rows.append(
        {
            "repost_id": "once",
            "account_id": "once",
            "source_id": "s5",
            "reposted_at": bursts["s5"] + pd.Timedelta(seconds=10),
        }
    )
    p = Projection.from_tables({"event_id": "e"}, reposts=rows)
    every = coordination_acts(p, narratives={})
    code = {str(a): i for i, a in enumerate(every.accounts)}
    army = [code[a] for a in ("a1", "a2", "a3", "a4", "a5")]
    a = [x for i, x in enumerate(army) for y in army[i + 1 :]]
    b = [y for i, x in enumerate(army) for y in army[i + 1 :]]
    edges = pd.DataFrame({"a": a, "b": b})
    got = _joins(every, edges, (60.0, 300.0), 2, 3, 1e-4)
    assert [str(every.accounts[c]) for c in got["account"]] == ["j"]
    assert got["anchor"].tolist() == [min(army)] and got["observed"].tolist() == [5.0]
    assert 0 < got["p_value"].iloc[0] <= 1e-4
    assert _joins(every, edges, (60.0, 300.0), 2, 3, None).empty
    # two members only: no cluster to join
    assert _joins(every, edges.iloc[:1], (60.0, 300.0), 2, 3, 1e-4).empty


def test_pairs_below_the_bar_in_a_window_count_zero_there_and_nothing_else_changes():
    """synced_pairs keeps, window by window, only the rows of pairs in sync on at least
    min(min_items, min_contexts) items (memory on dense shapes): against a run that keeps
    every row (bars of 1), the same pairs seen (``tested``), the same candidates, and the
    same counts but in the windows where both are below the bar, which count 0 (:func:`below`)."""
    from pileon.detectors.coordination import coordination_acts
    from pileon.detectors.coordination.pairs import below, synced_pairs

    rng = np.random.default_rng(5)
    rows = [
        {
            "repost_id": f"r{i}",
            "account_id": f"a{int(rng.pareto(1.0) * 3) % 60:02d}",
            "source_id": f"s{int(rng.pareto(0.8) * 2) % 30:02d}",
            "reposted_at": T0 + pd.Timedelta(seconds=int(rng.integers(0, 20000))),
        }
        for i in range(3000)
    ]
    acts = coordination_acts(Projection.from_tables({"event_id": "e"}, reposts=rows), narratives={})
    opts = dict(windows=(60.0, 600.0), max_partners=8, pair_budget=10**9, seed=1)
    every = synced_pairs(acts, min_items=1, min_contexts=1, **opts)
    got = synced_pairs(acts, min_items=2, min_contexts=2, **opts)
    assert got.tested == every.tested
    obs, ctx = every.observed.copy(), every.contexts.copy()
    below(obs, ctx, 2)
    cand = (ctx.max(axis=1) >= 2) & (obs.max(axis=1) >= 2)
    assert 50 < cand.sum() < len(cand)
    assert got.a.tolist() == every.a[cand].tolist() and got.b.tolist() == every.b[cand].tolist()
    assert (got.observed == obs[cand]).all() and (got.contexts == ctx[cand]).all()
    assert (got.observed != every.observed[cand]).any()  # some window below the bar: 0
