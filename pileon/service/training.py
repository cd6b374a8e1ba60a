"""``train``: fit the risk model on past decisions, and where the model lives.

:func:`train` fits the risk model (:mod:`pileon.detectors.risk_model`) on past
decisions: a labels file, the store's ``labels`` table, or the decisions
recorded through the API.  Each labelled event is run through the same
detection and feature steps as ``analyze``, so the model sees exactly the
features ``analyze`` will give it.

Where the model lives (:func:`default_model_path`): the ``model`` setting
(``PILEON_MODEL``) when given, else beside the embedded store's file
(``<store file>.model.txt``), else ``./pileon-model.txt``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from pileon.detectors import risk_model as rm
from pileon.graph.errors import InputError, NotFound
from pileon.graph.store import Store

__all__ = [
    "TrainResult",
    "default_model_path",
    "labels_from_decisions",
    "read_labels",
    "resolve_model",
    "train",
]


def default_model_path(store: Store | None = None, *, setting: str | Path | None = None) -> Path:
    """Where the trained model lives: ``setting`` (``PILEON_MODEL``) when given, else beside
    the embedded store's file, else ``./pileon-model.txt``."""
    if setting:
        return Path(setting)
    path = getattr(store, "path", None)
    if path:
        return Path(f"{path}.model.txt")
    return Path("pileon-model.txt")


def resolve_model(
    model: str | Path | rm.RiskModel | None,
    *,
    store: Store | None = None,
    path: str | Path | None = None,
) -> rm.RiskModel | None:
    """The model ``analyze`` scores with: ``"auto"`` is the trained model at
    :func:`default_model_path` (``path`` as its setting) when that file exists, else
    none (the transparent rules); ``None`` is none; a path is that model's file."""
    if model is None:
        return None
    if isinstance(model, rm.RiskModel):
        return model
    if model == "auto":
        where = default_model_path(store, setting=path)
        return rm.load(where) if where.is_file() else None
    return rm.load(model)


# ------------------------------------------------------------------------------ labels


def read_labels(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a labels file (CSV or JSONL with ``event_id, account_id, tier``)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"labels file not found: {path}")
    try:
        if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
            df = pd.read_json(path, lines=True, dtype={"event_id": str, "account_id": str})
        else:
            df = pd.read_csv(path, dtype={"event_id": str, "account_id": str})
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read labels {path}: {exc}") from None
    return check_labels(df, str(path))


def check_labels(df: pd.DataFrame, where: str) -> pd.DataFrame:
    """``event_id, account_id, tier`` rows, checked (``InputError`` naming the first bad row);
    the last decision on an (event, account) wins; sorted by event and account."""
    missing = [c for c in ("event_id", "account_id", "tier") if c not in df.columns]
    if missing:
        raise InputError(
            f"{where}: labels need columns event_id, account_id, tier "
            f"(missing {', '.join(missing)})"
        )
    df = df[["event_id", "account_id", "tier"]].copy()
    tier = pd.to_numeric(df["tier"], errors="coerce")
    bad = (
        tier.isna()
        | (tier < 0)
        | (tier > 4)
        | (tier != tier.round())
        | df["event_id"].isna()
        | df["account_id"].isna()
    )
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"{where}: row {i + 1} is not a label (event_id, account_id, tier 0-4): "
            f"{df.iloc[i].to_dict()}"
        )
    df["tier"] = tier.astype(int)
    df["event_id"] = df["event_id"].astype(str)
    df["account_id"] = df["account_id"].astype(str)
    # the last decision on an (event, account) wins
    return (
        df.drop_duplicates(["event_id", "account_id"], keep="last")
        .sort_values(["event_id", "account_id"], kind="mergesort")
        .reset_index(drop=True)
    )


def labels_from_decisions(store: Store) -> pd.DataFrame:
    """Labels from the decisions recorded in the store (account decisions with a tier)."""
    dec = store.decisions()
    dec = dec[dec["account_id"].notna() & dec["event_id"].notna() & dec["tier"].notna()]
    return check_labels(dec[["event_id", "account_id", "tier"]], "recorded decisions")


# ------------------------------------------------------------------------------- train


@dataclass
class TrainResult:
    """What :func:`train` did: the model, where it was saved, how it scored on held-out data."""

    model: rm.RiskModel
    path: Path
    evaluation: dict[str, Any]
    rows: int
    events: list[str] = field(default_factory=list)


def train(
    store: Store,
    labels: pd.DataFrame,
    *,
    seed: int = 0,
    k: int = 50,
    out: str | os.PathLike[str] | None = None,
    model_path: str | Path | None = None,
    unlabelled_tier: int | None = 0,
    show_progress: bool = False,
) -> TrainResult:
    """Fit the risk model on labelled events and save it where ``analyze`` finds it.

    Parameters
    ----------
    store : Store
        Holds the labelled events.
    labels : pandas.DataFrame
        ``event_id, account_id, tier`` (:func:`read_labels`, :func:`labels_from_decisions`,
        or the store's ``labels`` table).
    seed : int, default 0
        Seed of the detectors and of LightGBM.
    k : int, default 50
        The ``k`` of precision at k in the evaluation.
    out : path, optional
        Where to save; default :func:`default_model_path` (``model_path`` as its setting).
    model_path : path, optional
        The ``model`` setting (``PILEON_MODEL``).
    unlabelled_tier : int or None, default 0
        Tier given to accounts of a labelled event that have no label (a past
        decision names the accounts that were sanctioned; the rest got none);
        ``None`` leaves them out of training.
    show_progress : bool, default False
        A progress bar over the events.

    Returns
    -------
    TrainResult
        The model (also saved), its path and the held-out evaluation
        (:func:`pileon.detectors.risk_model.evaluate_by_event`).

    Raises
    ------
    IngestIncomplete
        The store holds an ingest that started and did not finish
        (:func:`pileon.service.analysis.check_ingest`): its features would be partial.
    """
    from pileon.service.analysis import check_ingest, project_and_detect

    check_ingest(store, action="train")
    labels = check_labels(labels, "labels")
    if labels.empty:
        raise InputError("no labels to train on")
    events = sorted(labels["event_id"].unique())
    known = set(store.event_ids())
    unknown = [e for e in events if e not in known]
    if unknown:
        raise NotFound(
            f"labelled events not in the store: {', '.join(unknown)} (ingest them first)"
        )
    Xs, tiers, evs, ids = [], [], [], []
    for e in tqdm(events, desc="features", unit="event", disable=not show_progress):
        f = project_and_detect(store, e, seed=seed)[2]
        lab = labels[labels["event_id"] == e].set_index("account_id")["tier"]
        t = lab.reindex(f.index)
        if unlabelled_tier is None:
            t = t.dropna()
        else:
            t = t.fillna(unlabelled_tier)
        x = f.loc[t.index]
        x.index = [f"{e}/{a}" for a in t.index]
        Xs.append(x)
        tiers += [int(v) for v in t]
        evs += [e] * len(t)
        ids += list(x.index)
    X = pd.concat(Xs) if Xs else pd.DataFrame()
    if len(X) == 0:
        raise InputError("none of the labelled accounts took part in their events")
    evaluation = rm.evaluate_by_event(X, tiers, evs, ids, k=k, seed=seed)
    model = rm.fit(
        X,
        tiers,
        events=evs,
        seed=seed,
        metrics={
            key: evaluation[key] for key in ("split", "k", "auc", "precision_at_k", "r_precision")
        },
    )
    path = model.save(out or default_model_path(store, setting=model_path))
    return TrainResult(model=model, path=path, evaluation=evaluation, rows=len(X), events=events)
