"""Tests of pileon.detectors.coordination.cohorts: accounts of one creation burst or one MCN
tested as a group, on tiny hand-made incidents whose answer is obvious."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pileon.detectors.coordination import detect_coordinated
from pileon.detectors.coordination.cohorts import (
    bh_keep,
    configuration_sums,
    member_tests,
    poisson_tail,
    wave_tests,
)
from pileon.graph.projection import Projection

T0 = pd.Timestamp("2026-03-01T08:00:00Z")


def incident(
    *,
    seed=0,
    army=40,
    burst=(),
    mcn=(),
    waves=6,
    authors=3,
    share=0.5,
    spread=7_200.0,
    crowd=80,
    crowd_sources=40,
    per_source=12,
    second_army=0,
):
    """A crowd of ``crowd`` old accounts reposting ``crowd_sources`` posts and the army's
    targets at random times over a day; an army of ``army`` accounts (``w0..``) whose
    ``waves`` waves each take a random ``share`` of it onto one target (of ``authors``
    authors) within ``spread`` seconds, a few hours apart.  ``burst`` and ``mcn`` name the
    accounts registered in one hour and signed to one MCN (``"army"`` for the army).
    ``second_army`` accounts (``v0..``) do the same on targets of their own.  Returns the
    projection and the waves each army account took part in."""
    rng = np.random.default_rng(seed)
    waves_of: dict[str, int] = {}
    reposts, contents = [], []
    crowd_ids = [f"x{i:03d}" for i in range(crowd)]
    srcs = [f"s{k}" for k in range(crowd_sources)]
    for k, s in enumerate(srcs):
        contents.append({"content_id": s, "account_id": f"x{k % crowd:03d}", "platform": "weibo"})
        for a in rng.choice(crowd_ids, per_source, replace=False):
            t = rng.uniform(0, 86_400)
            reposts.append((a, s, t))

    def one_army(prefix, n):
        members = [f"{prefix}{i}" for i in range(n)]
        for k in range(waves):
            tg = f"{prefix}t{k}"
            contents.append(
                {
                    "content_id": tg,
                    "account_id": f"{prefix}author{k % authors}",
                    "platform": "weibo",
                }
            )
            start = 3_600.0 * (1 + 3 * k) + rng.uniform(0, 600)
            on = [m for m in members if rng.random() < share]
            for m in on:
                reposts.append((m, tg, start + rng.uniform(0, spread)))
                waves_of[m] = waves_of.get(m, 0) + 1
            for a in rng.choice(crowd_ids, per_source, replace=False):  # the crowd too
                reposts.append((a, tg, rng.uniform(0, 86_400)))
        for m in members:  # a little camouflage
            reposts.append((m, srcs[int(rng.integers(crowd_sources))], rng.uniform(0, 86_400)))
        return members

    members = one_army("w", army)
    members += one_army("v", second_army) if second_army else []
    rows = [
        {
            "repost_id": f"r{i}",
            "account_id": a,
            "source_id": s,
            "reposted_at": T0 + pd.Timedelta(seconds=float(t)),
        }
        for i, (a, s, t) in enumerate(reposts)
    ]
    for c in contents:
        c["posted_at"] = T0
    names = crowd_ids + members

    def pick(spec):
        return members if spec == "army" else list(spec)

    in_burst, in_mcn = set(pick(burst)), set(pick(mcn))
    accounts = [
        {
            "account_id": a,
            "platform": "weibo",
            "created_at": (
                T0 - pd.Timedelta(days=20) + pd.Timedelta(minutes=i % 60)
                if a in in_burst
                else T0 - pd.Timedelta(days=100 + 37 * i)
            ),
            "followers": 100,
        }
        for i, a in enumerate(names)
    ]
    aff = [{"account_id": a, "mcn_id": "m1", "role": "signed"} for a in sorted(in_mcn)]
    tables = dict(reposts=rows, contents=contents, accounts=accounts)
    if aff:
        tables["affiliations"] = aff
        tables["mcns"] = [{"mcn_id": "m1", "name": "Agency"}]
    return Projection.from_tables({"event_id": "e"}, **tables), waves_of


def clustered(res):
    return sorted(a for c in res.significant for a in c.accounts)


def found_well(got, waves_of, prefix="w"):
    """Only army accounts, all that joined 4+ waves, at least 90 % of those in 3+ (in a
    world of a hundred accounts, two waves of six are within chance)."""
    army = {a for a, k in waves_of.items() if a.startswith(prefix)}
    three = {a for a in army if waves_of[a] >= 3}
    four = {a for a in army if waves_of[a] >= 4}
    got = set(got)
    return got <= army and four <= got and len(got & three) >= 0.9 * len(three)


def test_configuration_sums_is_the_sum_over_items():
    rng = np.random.default_rng(1)
    d, n, w = (
        rng.integers(1, 40, 7).astype(float),
        rng.integers(1, 60, 9).astype(float),
        rng.random(9),
    )
    brute = [sum(min(1.0, x * y / 300.0) * z for y, z in zip(n, w)) for x in d]
    assert np.allclose(configuration_sums(d, n, w, 300.0), brute)
    assert configuration_sums(d, n[:0], w[:0], 300.0).tolist() == [0.0] * 7


def test_bh_keep_is_benjamini_hochberg():
    p = np.array([0.2, 0.001, 0.02, 0.011, 0.9, 0.03])
    # sorted 0.001 0.011 0.02 0.03 0.2 0.9 against 0.05 k / 6 (0.0083 0.0167 0.025 0.033 ..)
    assert bh_keep(p, 0.05).tolist() == [False, True, True, True, False, True]
    # among 12 hypotheses (0.0042 0.0083 0.0125 ..) only the smallest
    assert bh_keep(p, 0.05, m=12).tolist() == [False, True, False, False, False, False]
    assert bh_keep(np.zeros(0), 0.05).tolist() == []


def test_wave_and_member_tests_are_poisson_tails_of_the_configuration_model():
    # three members of degree 2 among M = 100 incidences, an item of 10 accounts: E = 0.6
    e, p = wave_tests(np.array([3]), np.array([10.0]), np.array([[0, 100.0]]), [np.full(3, 2.0)])
    assert np.allclose(e, [0.6]) and np.allclose(p, poisson_tail(np.array([3]), np.array([0.6])))
    # a member in sync on 2 of 2 waves of 10 accounts whose crowd is in sync half the time
    e, p = member_tests(np.array([2]), np.array([5.0]), np.full(2, 10.0), np.full(2, 0.5), 100.0)
    assert np.allclose(e, [0.5]) and np.allclose(p, [1 - np.exp(-0.5) * 1.5])


def test_a_slow_army_in_one_burst_is_found_only_through_its_cohort():
    p, waves_of = incident(burst="army")
    assert clustered(detect_coordinated(p, narratives={}, cohort_alpha=None)) == []
    res = detect_coordinated(p, narratives={})
    assert found_well(clustered(res), waves_of) and len(res.significant) == 1
    c = res.significant[0]
    ev = next(e for e in c.evidence if e.kind == "cohort_sync")
    assert "(burst:" in ev.detail
    assert "wave" in ev.detail and c.numbers["observed"] > c.numbers["expected"]
    found = {f.account_id: f for f in res.findings}
    assert sorted(found) == clustered(res)
    paired = set(res.edges["account_a"]) | set(res.edges["account_b"])
    assert all("cohort burst:" in f.evidence[0].detail for a, f in found.items() if a not in paired)


def test_an_army_signed_to_one_mcn_is_found_and_the_crowd_in_its_burst_is_not():
    crowd_in_burst = [f"x{i:03d}" for i in range(0, 80, 4)]
    p, waves_of = incident(burst=crowd_in_burst + [f"w{i}" for i in range(40)], mcn="army")
    assert found_well(clustered(detect_coordinated(p, narratives={})), waves_of)


@pytest.mark.parametrize("trait", ["burst", "mcn"])
def test_organic_accounts_sharing_a_trait_are_no_cluster(trait):
    crowd = [f"x{i:03d}" for i in range(40)]
    p, _ = incident(army=0, **{trait: crowd})
    assert clustered(detect_coordinated(p, narratives={})) == []


def test_a_cohort_that_amplifies_one_voice_is_no_cluster():
    p, _ = incident(burst="army", authors=1)
    assert clustered(detect_coordinated(p, narratives={}, cohort_alpha=None)) == []
    assert clustered(detect_coordinated(p, narratives={})) == []


def test_two_armies_in_one_burst_are_two_clusters():
    both = [f"w{i}" for i in range(40)] + [f"v{i}" for i in range(30)]
    p, waves_of = incident(burst=both, second_army=30)
    res = detect_coordinated(p, narratives={})
    assert len(res.significant) == 2
    v, w = sorted(res.significant, key=lambda c: c.accounts[0])
    assert found_well(v.accounts, waves_of, "v") and found_well(w.accounts, waves_of, "w")


def test_cohort_options_are_checked():
    from pileon.graph.errors import InputError

    p, _ = incident(burst="army")
    with pytest.raises(InputError):
        detect_coordinated(p, narratives={}, cohort_q=0)
    with pytest.raises(InputError):
        detect_coordinated(p, narratives={}, cohort_alpha=2.0)
