"""The LightGBM risk model: fit, evaluate by event, save/load, explain."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from pileon.detectors import risk_model as rm
from pileon.detectors.features import FEATURES
from pileon.detectors.rules import banded
from pileon.graph.errors import InputError


def synthetic(n_events: int = 3, per_event: int = 300, seed: int = 0):
    """Accounts whose culpability follows harm, cluster membership and reach, with noise."""
    rng = np.random.default_rng(seed)
    rows, tiers, events, ids = [], [], [], []
    for e in range(n_events):
        for i in range(per_event):
            row = {c: 0.0 for c in FEATURES}
            culprit = rng.random() < 0.2
            row["harm_max"] = rng.uniform(0.5, 1) if culprit else rng.uniform(0, 0.7)
            row["in_cluster"] = float(culprit and rng.random() < 0.7)
            row["reach_log"] = rng.normal(3 if culprit else 1, 1)
            row["followers_log"] = rng.normal(4, 2)
            row["account_age_days"] = np.nan if rng.random() < 0.3 else rng.uniform(0, 900)
            rows.append(row)
            tiers.append(int(rng.integers(2, 5)) if culprit else int(rng.integers(0, 2)))
            events.append(f"e{e}")
            ids.append(f"a{e}-{i:04d}")
    return pd.DataFrame(rows, columns=list(FEATURES), index=ids), tiers, events, ids


def test_auc_and_precision_at_k():
    assert rm.auc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert rm.auc([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1]) == 0.0
    assert rm.auc([0, 1], [0.5, 0.5]) == 0.5
    assert math.isnan(rm.auc([1, 1], [0.1, 0.2]))
    assert rm.precision_at_k([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1], 2) == 0.5
    # ties broken by id: "a" (positive) before "b"
    assert rm.precision_at_k([0, 1], [0.5, 0.5], 1, ids=["b", "a"]) == 1.0
    assert rm.precision_at_k([1, 0], [0.9, 0.1], 10) == 0.5  # k capped at n


def test_fit_learns_and_evaluates_on_held_out_events():
    X, tiers, events, ids = synthetic()
    ev = rm.evaluate_by_event(X, tiers, events, ids, k=20)
    assert ev["split"] == "events" and [f["held_out"] for f in ev["folds"]] == ["e0", "e1", "e2"]
    assert ev["auc"] > 0.9 and ev["precision_at_k"] > 0.8
    one = rm.evaluate_by_event(X.iloc[:300], tiers[:300], events[:300], ids[:300], k=20)
    assert one["split"] == "accounts" and abs(one["folds"][0]["n"] - 150) <= 1


def test_fit_is_deterministic_and_round_trips(tmp_path):
    X, tiers, events, _ = synthetic()
    m1 = rm.fit(X, tiers, events=events, seed=3)
    m2 = rm.fit(X, tiers, events=events, seed=3)
    assert m1.booster.model_to_string() == m2.booster.model_to_string()
    assert m1.version == m2.version and m1.version.startswith("v1-")
    path = m1.save(tmp_path / "m" / "model.txt")
    meta = json.loads(path.with_suffix(".json").read_text())
    learned = [f for f in FEATURES if f not in rm.UNLEARNED]  # role_venue_creator: rules only
    assert meta["features"] == learned and meta["events"] == ["e0", "e1", "e2"]
    assert meta["params"]["deterministic"] is True and meta["params"]["num_threads"] == 1
    back = rm.load(path)
    assert back.version == m1.version
    pd.testing.assert_series_equal(back.predict(X), m1.predict(X))


def test_contributions_explain_the_score():
    X, tiers, events, _ = synthetic()
    m = rm.fit(X, tiers, events=events)
    c = m.contributions(X.iloc[:50])
    assert list(c.columns) == [f for f in FEATURES if f not in rm.UNLEARNED] + ["bias", "prior"]
    logit = c.sum(axis=1)
    p = 1 / (1 + np.exp(-logit))
    np.testing.assert_allclose(p.to_numpy(), m.predict(X.iloc[:50]).to_numpy(), atol=1e-6)
    ex = m.explain(X.iloc[:5], top=3)
    e = ex[X.index[0]]
    assert e.kind == "model" and m.version in e.detail
    assert e.detail.count("(+") + e.detail.count("(-") == 3  # three features
    # the features that matter show up among the top contributions
    top_named = " ".join(ev.detail for ev in m.explain(X, top=3).values())
    assert "harm_max" in top_named and "reach_log" in top_named


def test_bad_training_input_and_bad_files(tmp_path):
    X, tiers, events, _ = synthetic(n_events=1, per_event=50)
    with pytest.raises(InputError, match="one class"):
        rm.fit(X, [0] * len(X))
    with pytest.raises(InputError, match="no labelled"):
        rm.fit(X.iloc[0:0], [])
    with pytest.raises(InputError, match="no risk model"):
        rm.load(tmp_path / "none.txt")
    m = rm.fit(X, tiers)
    path = m.save(tmp_path / "model.txt")
    meta = json.loads(path.with_suffix(".json").read_text())
    path.with_suffix(".json").write_text(json.dumps(dict(meta, format_version=99)))
    with pytest.raises(InputError, match="format 99"):
        rm.load(path)
    path.with_suffix(".json").write_text(json.dumps(meta))
    path.write_text("garbage")
    with pytest.raises(InputError, match="cannot read"):
        rm.load(path)
    with pytest.raises(InputError, match="needs features"):
        m.predict(X.drop(columns=["harm_max"]))


def test_model_lives_beside_the_embedded_store_unless_a_setting_names_it(tmp_path):
    from pileon.service.training import default_model_path

    class S:
        path = str(tmp_path / "x.db")

    assert default_model_path(S()) == tmp_path / "x.db.model.txt"
    assert str(default_model_path(object())) == "pileon-model.txt"
    assert default_model_path(S(), setting=tmp_path / "m.txt") == tmp_path / "m.txt"


def test_rules_prior_keeps_a_small_event_from_overturning_the_detectors():
    """Regression: trained on one small event where only culprits aimed content at the
    target (and the detectors found only some of them), a model from scratch ranked the next
    event's crowd (who aim at the target there) above its detected army (who do not);
    boosting from the rules' prior does not."""
    rng = np.random.default_rng(1)

    def event(n, n_culprits, crowd_targets, found, culprits_target=True):
        X = pd.DataFrame(0.0, index=[f"a{i:04d}" for i in range(n)], columns=list(FEATURES))
        X["n_harmful_reposts"] = rng.integers(0, 3, n)
        X["harm_max"] = rng.uniform(0, 0.6, n)
        X.iloc[:found, X.columns.get_loc("role_coordinated")] = rng.uniform(0.6, 0.9, found)
        X.iloc[:n_culprits, X.columns.get_loc("harm_max")] = rng.uniform(0.6, 1.0, n_culprits)
        if culprits_target:
            X.iloc[:n_culprits, X.columns.get_loc("n_targeted")] = rng.integers(1, 4, n_culprits)
        if crowd_targets:
            X.iloc[n_culprits:, X.columns.get_loc("n_targeted")] = rng.integers(
                1, 6, n - n_culprits
            )
        tiers = [2] * n_culprits + [0] * (n - n_culprits)
        return X, tiers

    X0, t0 = event(400, 12, crowd_targets=False, found=4)
    # the next event's army reposts without aiming at anyone; its crowd aims at the target
    X1, _ = event(3000, 40, crowd_targets=True, found=40, culprits_target=False)
    culprits = set(X1.index[:40])
    for prior, ok in (("rules", True), (None, False)):
        m = rm.fit(X0, t0, prior=prior)
        s = m.predict(X1)
        if prior:
            s = banded(X1, s)
        top = s.sort_values(ascending=False, kind="mergesort").index[:40]
        share = len(culprits & set(top)) / 40
        assert (share >= 0.9) == ok, (prior, share)
