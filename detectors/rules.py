"""Scores without a model: transparent rules, and the bands a model's probabilities keep.

:func:`rule_scores` scores accounts from their features
(:func:`pileon.detectors.features.account_features`): culpable roles put an account
in the upper band ``[0.5, 1]``, ordinary participation in the lower band
``[0, 0.5)``, so the ranking reads as the grading does.  Every rule that fires is
named in the account's evidence.  With a trained model, :func:`banded` keeps its
probabilities within the same bands.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pileon.detectors.features import MIN_STRENGTH, ROLE_FEATURES, harmful_participation
from pileon.detectors.findings import Evidence
from pileon.graph.model import CULPABLE_ROLES

__all__ = ["ROLE_WEIGHTS", "Scored", "rule_scores", "banded"]

#: weight of each role in the transparent rules (times the finding's strength)
ROLE_WEIGHTS = {
    "first_poster": 0.9,
    "inciter": 0.9,
    "multi_poster": 0.85,
    "splicer": 0.85,
    "impersonator": 0.8,
    "coordinated": 0.75,
    "venue_creator": 0.75,
}


@dataclass(frozen=True)
class Scored:
    """Scores with the reasons behind them, per account (index of ``features``)."""

    score: pd.Series
    #: account_id -> evidence explaining the score (rules fired, or model contributions)
    explain: dict[str, Evidence]
    #: ``rules`` or ``model:<version>``
    method: str = "rules"
    #: the risk model's probability per account (before banding), when a model scored
    probability: pd.Series | None = None


def _participation_rules(row: Mapping[str, float]) -> list[tuple[str, float, str]]:
    """(rule, weight, detail) for the participation rules that fire on one account."""
    fired = []
    nh = row["n_harmful"]
    if nh > 0:
        fired.append(
            (
                "harmful_contents",
                0.5 * min(1.0, nh / 3.0),
                f"{int(nh)} harmful content(s) of its own",
            )
        )
    nr = row["n_harmful_reposts"]
    if nr > 0:
        fired.append(
            (
                "harmful_reposts",
                0.3 * min(1.0, nr / 5.0),
                f"{int(nr)} repost(s) of harmful narratives",
            )
        )
    rp = row["reports_against"]
    if rp > 0:
        fired.append(("reported", 0.2 * min(1.0, rp / 3.0), f"{int(rp)} report(s) against it"))
    if row["minor_attacks"] > 0 or row["reports_minor"] > 0:
        fired.append(("minor_attacked", 0.3, "aimed harmful content at a minor"))
    return fired


def rule_scores(features: pd.DataFrame) -> Scored:
    """Score accounts with the transparent rules (no model).

    An account with culpable roles scores ``0.5 + 0.45 * R + 0.05 * Q``, an
    account without ``0.45 * Q``, a target 0, where ``R = 1 - prod(1 - w_r s_r)``
    over its roles (weights :data:`ROLE_WEIGHTS`, strengths ``s_r`` from the
    findings, at least :data:`pileon.detectors.features.MIN_STRENGTH`) and ``Q = 1 - prod(1 - w_q)`` over
    the participation rules that fire (harmful contents, harmful reposts,
    reports against it, a minor attacked).  Culpable accounts thus always rank
    above ordinary participants.

    Parameters
    ----------
    features : pandas.DataFrame
        From :func:`pileon.detectors.features.account_features`.

    Returns
    -------
    Scored
        Scores in [0, 1] and, per account, an evidence item of kind ``rules``
        naming every rule that fired.

    Notes
    -----
    ``O(A log A)`` for ``A`` accounts; the rules run once per distinct row of
    the columns they read (most accounts share one of a few rows).
    """
    cols = [
        "is_target",
        "n_harmful",
        "n_harmful_reposts",
        "reports_against",
        "minor_attacks",
        "reports_minor",
        *ROLE_FEATURES,
    ]
    rows, inverse = _distinct_rows(features[cols].to_numpy(dtype=float))
    fired = [_rules(dict(zip(cols, vals))) for vals in rows]
    return Scored(
        score=pd.Series([fired[i][0] for i in inverse], index=features.index, dtype=float),
        explain=dict(zip(features.index, [fired[i][1] for i in inverse])),
        method="rules",
    )


def _distinct_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a 2-D array and, per row, the position of its own among them
    (one lexsort of the columns: ``np.unique(axis=0)`` sorts rows as opaque bytes, 15 times
    slower; rows holding NaN stay apart)."""
    o = np.lexsort(x.T[::-1])
    xs = x[o]
    new = np.ones(len(xs), dtype=bool)
    new[1:] = (xs[1:] != xs[:-1]).any(axis=1)
    inverse = np.empty(len(xs), dtype=np.int64)
    inverse[o] = np.cumsum(new) - 1
    return xs[new], inverse


def _rules(row: Mapping[str, float]) -> tuple[float, Evidence]:
    """The score of one account and the rules behind it (:func:`rule_scores`)."""
    if row["is_target"] > 0:
        return 0.0, Evidence("rules", (), "target of the event: not scored")
    roles = [
        (r, ROLE_WEIGHTS[r], max(MIN_STRENGTH, row[f"role_{r}"]))
        for r in CULPABLE_ROLES
        if row[f"role_{r}"] > 0
    ]
    part = _participation_rules(row)
    q = 1.0 - math.prod(1.0 - w for _, w, _ in part)
    if roles:
        r_ = 1.0 - math.prod(1.0 - w * s for _, w, s in roles)
        score = 0.5 + 0.45 * r_ + 0.05 * q
    else:
        score = 0.45 * q
    bits = [f"{r} (weight {w:g} x strength {s:.2f})" for r, w, s in roles]
    bits += [f"{name} ({detail}, weight {w:.2f})" for name, w, detail in part]
    detail = ("rules fired: " + "; ".join(bits)) if bits else "no rule fired"
    return round(float(score), 6), Evidence("rules", (), f"score {score:.3f}; {detail}")


def banded(features: pd.DataFrame, p: pd.Series) -> pd.Series:
    """Model probabilities placed in the rules' bands.

    ``0.5 + 0.5 p`` for accounts with a culpable role, ``0.2 + 0.29 p`` for the
    other accounts with harmful conduct of their own, ``0.19 p`` for the rest
    (bystanders, news), 0 for targets.  The detectors' findings decide who is
    culpable (and the tiers follow them); the risk model orders accounts within
    each band, so a model trained on few past decisions can refine the ranking
    but never lift a bystander above a detected culprit, or a news account above
    an abusive participant.
    """
    culpable = (features[list(ROLE_FEATURES)] > 0).any(axis=1)
    harmful = harmful_participation(features)
    out = np.where(culpable, 0.5 + 0.5 * p, np.where(harmful, 0.2 + 0.29 * p, 0.19 * p))
    out = np.where(features["is_target"] > 0, 0.0, out)
    return pd.Series(np.round(out, 6), index=features.index, dtype=float)
