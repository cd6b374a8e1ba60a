"""The behaviour-recognition risk model the notice asks for: LightGBM over account features.

A binary LightGBM classifier learns, from past decisions, whether an account
of an event was culpable (tier >= :data:`CULPABLE_TIER`) from the features of
:func:`pileon.detectors.features.account_features` (event, target, participants,
content, frequency, scene, reports and what the detectors found).  Its
probability is the account's score; :meth:`RiskModel.explain` gives each
account's per-feature contributions (LightGBM ``pred_contrib``, in log-odds),
which the report shows as an evidence item of kind ``model``.

Boosting starts from the transparent rules (``prior="rules"``): every row's
initial log-odds is the logit of its :func:`pileon.detectors.rules.rule_scores`
score (``init_score``), and the trees learn corrections to it from the
decisions.  Past decisions are few and every incident differs (a feature that
separates culprits perfectly in one small event, such as aiming content at
the target, may be common among the crowd of the next); learning corrections
to a sound prior, rather than a model from scratch, keeps a model trained on
one small labelled event from overturning what the detectors established,
while more labelled events let it move further.  The explanation names the
prior and the features whose corrections weigh most.

Persistence: :meth:`RiskModel.save` writes the LightGBM model text to
``PATH`` and a JSON metadata file beside it (``PATH`` with suffix
``.json``: format version, feature list, parameters, training events and
metrics).  Where ``train`` saves and ``analyze`` looks is the service's
choice (:func:`pileon.service.training.default_model_path`).

Everything is deterministic: fixed seeds, ``deterministic=True``,
``num_threads=1``, ``force_col_wise=True``; training rows sorted by
(event_id, account_id).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pileon.detectors.findings import Evidence
from pileon.graph.errors import InputError

if TYPE_CHECKING:
    import lightgbm as lgb

__all__ = [
    "RiskModel",
    "fit",
    "load",
    "auc",
    "precision_at_k",
    "evaluate_by_event",
    "FORMAT_VERSION",
    "CULPABLE_TIER",
]

#: version of the saved model format (text + metadata); bumped when either changes
FORMAT_VERSION = 1
#: labels at or above this tier count as culpable (the positive class)
CULPABLE_TIER = 2

PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 10,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.9,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "deterministic": True,
    "force_col_wise": True,
    "num_threads": 1,
    "verbosity": -1,
}
NUM_ROUNDS = 200


def _meta_path(path: Path) -> Path:
    return path.with_suffix(".json")


def auc(y: Sequence[int], score: Sequence[float]) -> float:
    """Area under the ROC curve (Mann–Whitney, ties counted half); NaN with one class only.

    >>> auc([0, 1, 0, 1], [0.1, 0.9, 0.4, 0.4])
    0.875
    """
    y = np.asarray(y, dtype=int)
    s = pd.Series(np.asarray(score, dtype=float))
    pos, neg = int(y.sum()), int(len(y) - y.sum())
    if pos == 0 or neg == 0:
        return float("nan")
    ranks = s.rank(method="average").to_numpy()
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def precision_at_k(
    y: Sequence[int], score: Sequence[float], k: int, ids: Sequence[str] | None = None
) -> float:
    """Share of positives among the ``k`` highest scores (ties broken by ``ids``, then position).

    >>> precision_at_k([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1], 2)
    0.5
    """
    y = np.asarray(y, dtype=int)
    s = np.asarray(score, dtype=float)
    if len(y) == 0 or k <= 0:
        return float("nan")
    tie = np.asarray(ids if ids is not None else np.arange(len(y))).astype(str)
    order = np.lexsort((tie, -s))
    k = min(k, len(y))
    return float(y[order[:k]].mean())


@dataclass
class RiskModel:
    """A trained LightGBM risk model with its feature list and metadata."""

    booster: lgb.Booster
    features: list[str]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        """A short identity of the model: ``v<format>-<hash of the model text>``."""
        return str(self.meta.get("version", f"v{FORMAT_VERSION}"))

    def _matrix(self, features: pd.DataFrame) -> np.ndarray:
        missing = [c for c in self.features if c not in features.columns]
        if missing:
            raise InputError(
                f"risk model {self.version} needs features {missing}; "
                "retrain it with `pileon train`"
            )
        return features[self.features].to_numpy(dtype=float)

    @property
    def prior(self) -> str | None:
        """``rules`` when boosting starts from the transparent rules' log-odds, else None."""
        return self.meta.get("prior")

    def prior_logit(self, features: pd.DataFrame) -> np.ndarray:
        """The initial log-odds of each account (zeros without a prior)."""
        return prior_logit(features, self.prior)

    def predict(self, features: pd.DataFrame) -> pd.Series:
        """Probability of culpability per account (index of ``features``)."""
        if features.empty:
            return pd.Series(dtype=float, index=features.index)
        raw = self.booster.predict(self._matrix(features), raw_score=True, num_threads=1)
        p = _sigmoid(raw + self.prior_logit(features))
        return pd.Series(np.round(p, 6), index=features.index, dtype=float)

    def contributions(self, features: pd.DataFrame) -> pd.DataFrame:
        """Per-feature contributions (log-odds) per account, plus ``bias`` (the trees' base)
        and ``prior`` (the rules' log-odds); a row sums to the account's log-odds."""
        cols = self.features + ["bias", "prior"]
        if features.empty:
            return pd.DataFrame(columns=cols, index=features.index)
        c = self.booster.predict(self._matrix(features), pred_contrib=True, num_threads=1)
        c = np.column_stack([c, self.prior_logit(features)])
        return pd.DataFrame(c, index=features.index, columns=cols)

    def explain(
        self, features: pd.DataFrame, *, top: int = 5, probability: pd.Series | None = None
    ) -> dict[str, Evidence]:
        """Per account, an evidence item of kind ``model`` naming the features that moved its
        score most (largest absolute contributions, ties by feature name).

        ``probability`` is :meth:`predict` of the same features when the caller has it.
        ``O(A F log F)`` for ``A`` accounts and ``F`` features: the contributions of all
        accounts are ordered at once (contributions rounded to 9 decimals, as numpy rounds).
        """
        contrib = self.contributions(features)
        prob = (self.predict(features) if probability is None else probability).to_numpy()
        names = list(self.features)
        c = contrib[names].to_numpy(dtype=float)
        x = features[names].to_numpy(dtype=float)
        by_name = np.argsort(np.argsort(np.array(names, dtype=object), kind="stable"))
        order = np.lexsort((np.broadcast_to(by_name, c.shape), -np.abs(np.round(c, 9))), axis=-1)[
            :, :top
        ]
        prior, bias = contrib["prior"].to_numpy(dtype=float), contrib["bias"].to_numpy(dtype=float)
        out: dict[str, Evidence] = {}
        for k, a in enumerate(features.index):
            bits = [f"{names[i]}={_fmt(x[k, i])} ({c[k, i]:+.2f})" for i in order[k].tolist()]
            base = (f"rules prior {prior[k]:+.2f}, " if self.prior else "") + f"base {bias[k]:+.2f}"
            out[a] = Evidence(
                "model",
                (),
                f"risk model {self.version}: p={prob[k]:.3f}; "
                f"log-odds = {base}, then top contributions: " + ", ".join(bits),
            )
        return out

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model text to ``path`` and its metadata to ``path`` with suffix ``.json``."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.booster.model_to_string(), encoding="utf-8")
        meta = dict(self.meta, features=self.features)
        _meta_path(path).write_text(
            json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8"
        )
        return path


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


#: rule scores are clipped to this range before their logit is taken
PRIOR_CLIP = (0.005, 0.995)


def prior_logit(features: pd.DataFrame, prior: str | None) -> np.ndarray:
    """Initial log-odds per row: the logit of the rules' score (``prior="rules"``), else 0."""
    if not prior or features.empty:
        return np.zeros(len(features))
    if prior != "rules":
        raise InputError(f"unknown risk-model prior {prior!r}; retrain with `pileon train`")
    from pileon.detectors.rules import rule_scores

    p = np.clip(rule_scores(features).score.to_numpy(dtype=float), *PRIOR_CLIP)
    return np.log(p / (1.0 - p))


def _fmt(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    return f"{v:.3g}"


def load(path: str | os.PathLike) -> RiskModel:
    """Read a model saved by :meth:`RiskModel.save` (raises ``InputError`` when unusable)."""
    import lightgbm as lgb

    path = Path(path)
    meta_path = _meta_path(path)
    if not path.is_file() or not meta_path.is_file():
        raise InputError(f"no risk model at {path} (train one with `pileon train`)")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        booster = lgb.Booster(model_str=path.read_text(encoding="utf-8"))
    except (ValueError, OSError, lgb.basic.LightGBMError) as exc:
        raise InputError(f"cannot read the risk model at {path}: {exc}") from None
    if meta.get("format_version") != FORMAT_VERSION:
        raise InputError(
            f"risk model at {path} has format {meta.get('format_version')}, "
            f"this pileon reads {FORMAT_VERSION}; retrain it with `pileon train`"
        )
    features = list(meta["features"])
    if booster.feature_name() != features:
        raise InputError(f"risk model at {path}: model and metadata disagree on features")
    return RiskModel(booster=booster, features=features, meta=meta)


def _check_training(X: pd.DataFrame, y: np.ndarray) -> None:
    if len(X) == 0:
        raise InputError("no labelled accounts to train on (do the labels name analyzed accounts?)")
    if y.min() == y.max():
        raise InputError(
            "the labels hold one class only (need both culpable tiers >= "
            f"{CULPABLE_TIER} and lower tiers)"
        )


#: feature columns the model does not learn from: they reach it through the rules' prior
#: (``prior="rules"``) and the score bands (:func:`pileon.detectors.rules.banded`) only.  The
#: venue creators of SPEC §7 came after the model's columns were fixed; leaving them out
#: keeps what a model learns from data without venues the same as before (LightGBM samples
#: its columns, so even a column of zeros would change the trees).
UNLEARNED = ("role_venue_creator",)


def learned(X: pd.DataFrame) -> list[str]:
    """The columns of ``X`` the model learns from (all but :data:`UNLEARNED`), in order."""
    return [c for c in X.columns if c not in UNLEARNED]


def _booster(
    X: pd.DataFrame, y: np.ndarray, *, seed: int, num_rounds: int, prior: str | None = None
) -> tuple[lgb.Booster, dict[str, Any]]:
    import lightgbm as lgb

    params = dict(
        PARAMS, seed=seed, bagging_seed=seed, feature_fraction_seed=seed, data_random_seed=seed
    )
    init = prior_logit(X, prior) if prior else None
    cols = learned(X)
    data = lgb.Dataset(
        X[cols].to_numpy(dtype=float),
        label=y,
        feature_name=cols,
        init_score=init,
        free_raw_data=False,
    )
    return lgb.train(params, data, num_boost_round=num_rounds), params


def _predict(booster: lgb.Booster, X: pd.DataFrame, prior: str | None) -> np.ndarray:
    raw = booster.predict(X[learned(X)].to_numpy(dtype=float), raw_score=True, num_threads=1)
    return _sigmoid(raw + prior_logit(X, prior))


def fit(
    X: pd.DataFrame,
    tiers: Sequence[int],
    *,
    events: Sequence[str] | None = None,
    seed: int = 0,
    num_rounds: int = NUM_ROUNDS,
    prior: str | None = "rules",
    metrics: dict[str, Any] | None = None,
) -> RiskModel:
    """Fit the risk model.

    Parameters
    ----------
    X : pandas.DataFrame
        One row per labelled (event, account), the feature columns in order.
    tiers : sequence of int
        The tier decided for each row; ``>= CULPABLE_TIER`` is the positive class.
    events : sequence of str, optional
        The event of each row (kept in the metadata).
    seed : int, default 0
        Seed of every random step of LightGBM.
    num_rounds : int, default 200
        Boosting rounds.
    prior : {"rules", None}, default "rules"
        Start boosting from the transparent rules' log-odds (module docstring), or
        from a constant.
    metrics : dict, optional
        Held-out evaluation to keep in the metadata.

    Returns
    -------
    RiskModel

    Notes
    -----
    Time ``O(R n f)`` for ``R`` rounds, ``n`` rows and ``f`` features
    (histogram building dominates); one thread, deterministic.
    """
    import hashlib

    import lightgbm as lgb

    y = (np.asarray(tiers, dtype=int) >= CULPABLE_TIER).astype(int)
    _check_training(X, y)
    booster, params = _booster(X, y, seed=seed, num_rounds=num_rounds, prior=prior)
    text = booster.model_to_string()
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    meta = {
        "format_version": FORMAT_VERSION,
        "version": f"v{FORMAT_VERSION}-{digest}",
        "lightgbm": lgb.__version__,
        "params": params,
        "num_rounds": num_rounds,
        "culpable_tier": CULPABLE_TIER,
        "prior": prior,
        "rows": int(len(X)),
        "positives": int(y.sum()),
        "events": sorted(set(events)) if events is not None else [],
        "metrics": metrics or {},
    }
    return RiskModel(booster=booster, features=learned(X), meta=meta)


def evaluate_by_event(
    X: pd.DataFrame,
    tiers: Sequence[int],
    events: Sequence[str],
    ids: Sequence[str],
    *,
    k: int = 50,
    seed: int = 0,
    num_rounds: int = NUM_ROUNDS,
    prior: str | None = "rules",
) -> dict[str, Any]:
    """Held-out evaluation: leave one event out in turn (a group split by event).

    With a single labelled event there is no event to hold out; the accounts are
    then split in two halves by a seeded shuffle (stratified by class) and the
    result says so (``split: "accounts"``).

    Returns
    -------
    dict
        ``split`` (``events`` or ``accounts``), ``folds`` (per held-out group:
        ``held_out``, ``n``, ``positives``, ``auc``, ``precision_at_k``,
        ``r_precision``: the precision at k = its number of positives), the means
        ``auc``, ``precision_at_k`` and ``r_precision``, and ``k``.
    """
    y = (np.asarray(tiers, dtype=int) >= CULPABLE_TIER).astype(int)
    events = np.asarray(events, dtype=object)
    ids = np.asarray(ids, dtype=object)
    groups = sorted(set(events))
    folds = []
    if len(groups) >= 2:
        split = "events"
        plan = [(g, events != g, events == g) for g in groups]
    else:
        split = "accounts"
        rng = np.random.default_rng(seed)
        test = np.zeros(len(y), dtype=bool)
        for cls in (0, 1):
            idx = np.flatnonzero(y == cls)
            idx = idx[rng.permutation(len(idx))]
            test[idx[: len(idx) // 2]] = True
        plan = [(f"{groups[0] if groups else ''} (half of the accounts)", ~test, test)]
    for name, train, test in plan:
        if y[train].min(initial=1) == y[train].max(initial=0) or not test.any():
            folds.append(
                {
                    "held_out": name,
                    "n": int(test.sum()),
                    "positives": int(y[test].sum()),
                    "auc": float("nan"),
                    "precision_at_k": float("nan"),
                    "r_precision": float("nan"),
                    "note": "skipped: one class only in training",
                }
            )
            continue
        booster, _ = _booster(X[train], y[train], seed=seed, num_rounds=num_rounds, prior=prior)
        s = _predict(booster, X[test], prior)
        n_pos = int(y[test].sum())
        folds.append(
            {
                "held_out": name,
                "n": int(test.sum()),
                "positives": n_pos,
                "auc": auc(y[test], s),
                "precision_at_k": precision_at_k(y[test], s, k, ids[test]),
                "r_precision": precision_at_k(y[test], s, n_pos, ids[test])
                if n_pos
                else float("nan"),
            }
        )
    vals = [f for f in folds if not math.isnan(f["auc"])]

    def mean(key: str) -> float:
        return float(np.mean([f[key] for f in vals])) if vals else float("nan")

    return {
        "split": split,
        "k": k,
        "folds": folds,
        "auc": mean("auc"),
        "precision_at_k": mean("precision_at_k"),
        "r_precision": mean("r_precision"),
    }
