"""``analyze`` and ``train``: every detector, scoring, the report, the risk model, end to end.

:func:`analyze` runs, for one event::

    project -> narratives -> first posters, repeat posters, inciters, splicers,
    impersonators -> coordinated clusters -> features -> score (risk model when
    one is trained, else transparent rules) -> tiers -> MCN roll-up -> report
    -> store.save_report

:func:`train` fits the risk model on past decisions: a labels file, the store's
``labels`` table, or the decisions recorded through the API.  Each labelled
event is run through the same detection and feature steps, so the model sees
exactly the features ``analyze`` will give it.

Where the model lives: :func:`pileon.detectors.risk_model.default_model_path`
(``PILEON_MODEL``, else ``<store file>.model.txt`` beside the embedded store,
else ``./pileon-model.txt``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from pileon.detectors import risk_model as rm
from pileon.detectors.report import build_report, data_time
from pileon.detectors.scoring import (
    CULPABLE_ROLES,
    HARM_THRESHOLD,
    Detections,
    HarmfulItems,
    Scored,
    account_features,
    banded,
    corroborate,
    grade,
    harmful_items,
    rule_scores,
)
from pileon.graph.errors import InputError, NotFound
from pileon.graph.projection import Projection, project
from pileon.graph.store import Store

__all__ = [
    "analyze",
    "detect",
    "score",
    "train",
    "read_labels",
    "labels_from_decisions",
    "event_features",
    "TrainResult",
    "STAGES",
]

STAGES = (
    "project",
    "narratives",
    "roles",
    "clusters",
    "features",
    "score",
    "tiers",
    "mcns",
    "report",
    "save",
)


class _Stages:
    """A tqdm bar over named stages (silent when ``show``is false)."""

    def __init__(self, show: bool, desc: str, stages: Sequence[str] = STAGES) -> None:
        self.bar = tqdm(total=len(stages), desc=desc, unit="stage", disable=not show, leave=False)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.bar.set_postfix_str(name)
        yield
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


# ------------------------------------------------------------------------------ detect


def detect(p: Projection, *, seed: int = 0, stages: _Stages | None = None) -> Detections:
    """Run every detector on one event's projection and gather the findings.

    Parameters
    ----------
    p : Projection
        The event's projection.
    seed : int, default 0
        Seed of the randomised steps (MinHash, Louvain, baselines).

    Returns
    -------
    Detections
    """
    from pileon.detectors.clusters import detect_coordinated
    from pileon.detectors.narratives import detect_narratives
    from pileon.detectors.posters import detect_first_posters, detect_inciters, detect_multi_posters
    from pileon.detectors.renames import detect_impersonators
    from pileon.detectors.splicing import detect_splicers

    st = stages or _Stages(False, "")
    with st.stage("narratives"):
        nres = detect_narratives(p, seed=seed)
    with st.stage("roles"):
        roles = (
            list(detect_first_posters(p, nres, seed=seed))
            + list(detect_multi_posters(p, nres, seed=seed))
            + list(detect_inciters(p, nres, seed=seed))
            + list(detect_splicers(p))
            + list(detect_impersonators(p))
        )
    with st.stage("clusters"):
        cres = detect_coordinated(p, narratives=nres, seed=seed)
        roles += list(cres.findings)
    roles.sort(key=lambda f: (f.account_id, f.role, -f.strength))
    det = Detections(
        narratives=tuple(nres.narratives),
        of_content=dict(nres.of_content),
        roles=tuple(roles),
        clusters=tuple(cres.clusters),
        harm=getattr(nres, "harm", None),
    )
    return corroborate(p, det)


def _load_model(store: Store, model: Any) -> rm.RiskModel | None:
    if model is None:
        return None
    if isinstance(model, rm.RiskModel):
        return model
    if model == "auto":
        path = rm.default_model_path(store)
        return rm.load(path) if path.is_file() else None
    return rm.load(model)


def score(features: pd.DataFrame, model: rm.RiskModel | None = None) -> Scored:
    """Score accounts with the risk model when given, else with the transparent rules.

    With the model, the score is its probability placed in the rules' bands
    (:func:`pileon.detectors.scoring.banded`: accounts with culpable roles above the
    others, targets 0) and each account's evidence is the model's top
    per-feature contributions.
    """
    if model is None:
        return rule_scores(features)
    prob = model.predict(features)
    return Scored(
        score=banded(features, prob),
        explain=model.explain(features, probability=prob),
        method=f"model:{model.version}",
        probability=prob,
    )


# ------------------------------------------------------------------------------ history


def _history(
    store: Store,
    p: Projection,
    candidates: Sequence[str],
    *,
    harm_threshold: float = HARM_THRESHOLD,
) -> tuple[dict[str, list[str]], set[str]]:
    """Culpable conduct of ``candidates`` in OTHER events, and identities with several culprits.

    Returns ``(repeated, identity_repeat)``: account_id -> other events where it
    was judged culpable (tier >= 2 in a label or a recorded decision) or posted
    harmful content of its own; and the candidates whose identity_key is held by
    an account judged culpable in another event.

    Repetition is read from the data (contents, labels, decisions), not from
    earlier analysis runs, so that a report does not depend on the order in
    which events are analyzed.
    """
    event_id = p.event_id
    cand = sorted(set(candidates))
    repeated: dict[str, set[str]] = {a: set() for a in cand}
    if not cand:
        return {}, set()

    def culpable_elsewhere(ids: Sequence[str]) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        lab = store.frame("labels", ids=ids, column="account_id")
        lab = lab[(lab["event_id"] != event_id) & (lab["tier"].fillna(0) >= 2)]
        for a, e in zip(lab["account_id"], lab["event_id"]):
            out.setdefault(a, set()).add(e)
        dec = store.decisions()
        if len(dec):
            dec = dec[
                dec["account_id"].isin(ids)
                & dec["event_id"].notna()
                & (dec["event_id"] != event_id)
                & (dec["tier"].fillna(0) >= 2)
            ]
            for a, e in zip(dec["account_id"], dec["event_id"]):
                out.setdefault(a, set()).add(e)
        return out

    for a, evs in culpable_elsewhere(cand).items():
        repeated[a] |= evs
    # harmful contents of their own in other events
    own = store.frame("contents", ids=cand, column="account_id")
    own = own[own["harm"].fillna(0) >= harm_threshold]
    if len(own):
        ids = set(own["content_id"])
        author = dict(zip(own["content_id"], own["account_id"]))
        for e in store.event_ids():
            if e == event_id:
                continue
            m = store.memberships(e)
            for c in m.loc[m["content_id"].isin(ids), "content_id"]:
                repeated[author[c]].add(e)
    # identities: another account of the same identity culpable elsewhere
    acc = p.accounts.drop_duplicates("account_id").set_index("account_id")
    keys = {
        a: acc.at[a, "identity_key"]
        for a in cand
        if a in acc.index and isinstance(acc.at[a, "identity_key"], str)
    }
    identity_repeat: set[str] = set()
    if keys:
        peers = store.frame("accounts", ids=sorted(set(keys.values())), column="identity_key")
        peers = peers[~peers["account_id"].isin(cand)]
        if len(peers):
            bad = culpable_elsewhere(sorted(peers["account_id"]))
            bad_keys = set(peers.loc[peers["account_id"].isin(bad), "identity_key"])
            identity_repeat = {a for a, k in keys.items() if k in bad_keys}
    return {a: sorted(e) for a, e in repeated.items() if e}, identity_repeat


def _shared_identity(features: pd.DataFrame, p: Projection, tiers: dict[str, int]) -> set[str]:
    """Accounts (tier >= 2) whose identity_key holds at least two such accounts in the event."""
    acc = p.accounts.drop_duplicates("account_id").set_index("account_id")["identity_key"]
    culp = [a for a, t in tiers.items() if t >= 2 and isinstance(acc.get(a), str)]
    counts = pd.Series([acc[a] for a in culp], dtype=object).value_counts()
    return {a for a in culp if counts.get(acc[a], 0) >= 2}


# ----------------------------------------------------------------------------- analyze


def event_features(
    store: Store, event_id: str, *, seed: int = 0, stages: _Stages | None = None
) -> tuple[Projection, Detections, pd.DataFrame, HarmfulItems]:
    """Project an event, run the detectors and compute its account features.

    Returns the projection, the detections, the features and the harm of the
    event's items (:func:`pileon.detectors.scoring.harmful_items`)."""
    st = stages or _Stages(False, "")
    with st.stage("project"):
        p = project(store, event_id)
    det = detect(p, seed=seed, stages=st)
    with st.stage("features"):
        items = harmful_items(p, det)
        f = account_features(p, det, items=items)
    return p, det, f, items


def analyze(
    store: Store,
    event_id: str,
    *,
    seed: int = 0,
    model: Any = "auto",
    top: int | None = None,
    show_progress: bool = False,
    generated_at: str | None = None,
    save: bool = True,
) -> dict[str, Any]:
    """Analyze one event: run every detector, score, grade, roll up MCNs, save and return the report.

    Parameters
    ----------
    store : Store
        Where the event lives; the report is saved there (``save_report``).
    event_id : str
        The event (``NotFound`` when unknown).
    seed : int, default 0
        Seed of every randomised step; the same store and seed give the same report.
    model : {"auto", None} or path or RiskModel, default "auto"
        ``"auto"``: the trained risk model at
        :func:`pileon.detectors.risk_model.default_model_path` when present, else the
        transparent rules; ``None``: the rules; a path or a model: that model.
    top : int, optional
        Cut the returned report's account list to the first ``top`` (the stored
        report stays whole).
    show_progress : bool, default False
        A progress bar over the stages.
    generated_at : str, optional
        The report's time; default the event's latest activity (deterministic).
    save : bool, default True
        Save the report in the store.

    Returns
    -------
    dict
        The SPEC §4 report.

    Notes
    -----
    Dominated by the detectors: roughly linear in the event's contents and
    reposts, plus the within-window co-repost pairs.  The projection, the
    detections and the features are released before the report is saved, so
    that the save's own memory does not add to theirs.
    """
    st = _Stages(show_progress, f"analyze {event_id}")
    try:
        report = _report(
            store,
            event_id,
            seed=seed,
            risk=_load_model(store, model),
            generated_at=generated_at,
            stages=st,
        )
        with st.stage("save"):  # the projection and detections are freed by now
            if save:
                store.save_report(report)
    finally:
        st.close()
    if top is not None:
        report = dict(report, accounts=report["accounts"][:top])
    return report


def _report(
    store: Store,
    event_id: str,
    *,
    seed: int,
    risk: rm.RiskModel | None,
    generated_at: str | None,
    stages: _Stages,
) -> dict[str, Any]:
    """Every stage of :func:`analyze` but the save: the report alone outlives this call."""
    st = stages
    p, det, f, items = event_features(store, event_id, seed=seed, stages=st)
    with st.stage("score"):
        scored = score(f, risk)
    with st.stage("tiers"):
        roles = {a: set(r) for a, r in det.roles_of().items()}
        for a in det.cluster_of():
            roles.setdefault(a, set()).add("coordinated")
        first = grade(f, roles)
        shared = _shared_identity(f, p, {a: g.tier for a, g in first.items()})
        candidates = [a for a, g in first.items() if g.tier >= 2]
        repeated, identity_repeat = _history(store, p, candidates)
        grades = grade(f, roles, repeated=repeated, shared_identity=shared | identity_repeat)
    with st.stage("mcns"):
        mcns = _rollup(p, det, grades)
    with st.stage("report"):
        return build_report(
            p,
            det,
            scored,
            grades,
            mcns=mcns,
            items=items,
            generated_at=generated_at or data_time(p),
        )


def _rollup(p: Projection, det: Detections, grades: dict) -> list:
    """MCN roll-up (``pileon.detectors.mcn.rollup_mcns``) over the graded accounts that hold an
    affiliation, the only ones it reads."""
    from pileon.detectors.mcn import rollup_mcns

    roles_of = det.roles_of()
    cluster_of = det.cluster_of()
    accounts = []
    for a in sorted(set(p.affiliations["account_id"].dropna()) & grades.keys()):
        roles = [
            r
            for r in CULPABLE_ROLES
            if r in roles_of.get(a, {}) or (r == "coordinated" and a in cluster_of)
        ]
        accounts.append(
            {"account_id": a, "tier": int(grades[a].tier), "roles": roles or ["participant"]}
        )
    return list(rollup_mcns(p, accounts, list(det.clusters)))


# ------------------------------------------------------------------------------- train


def read_labels(path: str | os.PathLike) -> pd.DataFrame:
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
    return _check_labels(df, str(path))


def _check_labels(df: pd.DataFrame, where: str) -> pd.DataFrame:
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
    return _check_labels(dec[["event_id", "account_id", "tier"]], "recorded decisions")


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
    out: str | os.PathLike | None = None,
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
        Where to save; default :func:`pileon.detectors.risk_model.default_model_path`.
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
    """
    labels = _check_labels(labels, "labels")
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
        f = event_features(store, e, seed=seed)[2]
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
    path = model.save(out or rm.default_model_path(store))
    return TrainResult(model=model, path=path, evaluation=evaluation, rows=len(X), events=events)
