"""``analyze``: one event from the store to its saved report.

::

    project -> detect -> harm, venues, features -> score -> tiers (with the accounts'
    history in other events, read here) -> MCN roll-up -> report (with the earlier tellings
    of its narratives, read here; venues and platforms when the store holds SPEC §7 data)
    -> store.save_report

The steps between the reads and the save are the pure functions of
:mod:`pileon.detectors.pipeline`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from pileon.detectors import risk_model as rm
from pileon.detectors.collector import no_cyclic_gc
from pileon.detectors.findings import Detections
from pileon.detectors.grading import grade
from pileon.detectors.harm import HARM_THRESHOLD, HarmfulItems
from pileon.detectors.joins import Joins, check_joins
from pileon.detectors.pipeline import (
    History,
    account_roles,
    detect,
    event_features,
    final_grades,
    platforms,
    role_tiers,
    rollup,
    score,
)
from pileon.detectors.report import build_report, data_time
from pileon.graph.errors import IngestIncomplete
from pileon.graph.projection import Projection, project
from pileon.graph.store import Store
from pileon.service.stages import Stages, load_native_libraries
from pileon.service.training import resolve_model

__all__ = [
    "analyze",
    "has_places",
    "project_and_detect",
    "read_history",
    "read_resurfacing",
]


def has_places(store: Store) -> bool:
    """Whether the store holds SPEC §7 data (a venue, placeholders included, or a moderation
    row): then reports carry the ``venues`` and ``platforms`` sections; without it a report
    is exactly the §4 one."""
    return store.count("venues") > 0 or store.count("moderation") > 0


def project_and_detect(
    store: Store,
    event_id: str,
    *,
    seed: int = 0,
    stages: Stages | None = None,
    joins: Joins | None = None,
    workers: int = 1,
) -> tuple[Projection, Detections, pd.DataFrame, HarmfulItems]:
    """Project an event, run the detectors and compute its account features.

    Returns the projection, the detections (with the event's venues), the features and
    the harm of the event's items (:func:`pileon.detectors.pipeline.event_features`).
    ``joins``: the joins computed elsewhere (a Spark job, :mod:`pileon.detectors.joins`)
    that the detectors take instead of computing them; ``workers``: processes the
    detectors may use (:func:`pileon.detectors.pipeline.detect`)."""
    st = stages or Stages(f"analyze {event_id}")
    with st.stage("project"):
        p = project(store, event_id)
    if joins is not None:
        check_joins(joins, event_id, p.reposts)
    det = detect(p, seed=seed, stages=st, joins=joins, workers=workers)
    with st.stage("features"):
        f, items, det = event_features(p, det, joins=joins)
    return p, det, f, items


def check_ingest(store: Store, *, action: str = "analyze") -> None:
    """Refuse (``IngestIncomplete``, one line) a store whose last ingest did not finish:
    its tables, event membership or indexes may be partial. ``action`` names the
    command that refuses (``analyze``, ``train``)."""
    mark = store.ingest_mark()
    if mark is None:
        return
    again = (
        f"re-run `{mark['command']}`, which resumes"
        if mark.get("command")
        else f"re-run the ingest ({mark.get('source')}), which resumes"
    )
    raise IngestIncomplete(
        f"an ingest into this store started at {mark.get('started_at')} and did not finish: "
        f"{again}; {action} refuses until it has"
    )


def analyze(
    store: Store,
    event_id: str,
    *,
    seed: int = 0,
    model: str | Path | rm.RiskModel | None = "auto",
    model_path: str | Path | None = None,
    top: int | None = None,
    show_progress: bool | TextIO = False,
    generated_at: str | None = None,
    save: bool = True,
    joins: Joins | None = None,
    workers: int | None = None,
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
        ``"auto"``: the trained risk model at ``model_path`` when present, else the
        transparent rules; ``None``: the rules; a path or a model: that model.
    model_path : path, optional
        Where ``"auto"`` looks (default :func:`pileon.service.training.default_model_path`).
    top : int, optional
        Cut the returned report's account list to the first ``top`` (the stored
        report stays whole).
    show_progress : bool or text stream, default False
        One line per stage with its time (:class:`pileon.service.stages.Stages`).
    generated_at : str, optional
        The report's time; default the event's latest activity (deterministic).
    save : bool, default True
        Save the report in the store.
    joins : Joins, optional
        Joins computed elsewhere (``analyze --engine spark``:
        :func:`pileon.service.spark.spark_joins`), taken instead of computing them here;
        every other step is unchanged.
    workers : int, optional
        Processes the detectors may use (:func:`pileon.detectors.pipeline.detect`: with 2,
        the splicers and impersonators run in a forked process beside the narratives when
        :func:`pileon.detectors.pipeline.can_fork`); default: 2 when this process may use
        two cores or more, else 1.  The report is the same whatever the value.

    Returns
    -------
    dict
        The SPEC §4 report.

    Raises
    ------
    pileon.graph.errors.NotFound
        The event is not in the store.
    pileon.graph.errors.IngestIncomplete
        The store holds an ingest that started and did not finish (:func:`check_ingest`).
    pileon.graph.errors.StageFailed
        A stage ran out of memory or failed unexpectedly (the message names it).

    Notes
    -----
    Dominated by the detectors: roughly linear in the event's contents and
    reposts, plus the within-window co-repost pairs.  The projection, the
    detections and the features are released before the report is saved, so
    that the save's own memory does not add to theirs.
    """
    check_ingest(store)
    st = Stages(f"analyze {event_id}", show=show_progress)
    risk = resolve_model(model, store=store, path=model_path)
    if workers is None:
        workers = min(2, len(os.sched_getaffinity(0)))
    with st.guard():  # a failure between stages is one line too
        load_native_libraries()
        report = _report(
            store,
            event_id,
            seed=seed,
            risk=risk,
            generated_at=generated_at,
            stages=st,
            joins=joins,
            workers=workers,
        )
        with st.stage("save"):  # the projection and detections are freed by now
            if save:
                # the report's 1.6M dicts and lists (ira-dev) have no cycles: without a
                # pause, the save's allocations set off collector passes that walk them
                # all (save 4.3 -> 2.6 CPU s on ira-dev)
                with no_cyclic_gc():
                    store.save_report(report)
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
    stages: Stages,
    joins: Joins | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    """Every stage of :func:`analyze` but the save: the report alone outlives this call."""
    st = stages
    p, det, f, items = project_and_detect(
        store, event_id, seed=seed, stages=st, joins=joins, workers=workers
    )
    with st.stage("score"):
        scored = score(f, risk)
    with st.stage("tiers"):
        roles = account_roles(det)
        by_role = role_tiers(det, f)
        first = grade(f, roles, role_tiers=by_role)
        candidates = [a for a, g in first.items() if g.tier >= 2]
        grades = final_grades(
            p, f, roles, first, read_history(store, p, candidates), tiers_of_roles=by_role
        )
    with st.stage("mcns"):
        mcns = rollup(p, det, grades)
    with st.stage("report"):
        det = read_resurfacing(store, p, det)
        places = has_places(store)
        return build_report(
            p,
            det,
            scored,
            grades,
            mcns=mcns,
            items=items,
            generated_at=generated_at or data_time(p),
            venues=det.venues if places else None,
            platforms=platforms(p, det, items) if places else None,
        )


# -------------------------------------------------------------------------- resurfacing


def read_resurfacing(store: Store, p: Projection, det: Detections) -> Detections:
    """The detections with each harmful narrative's earlier tellings as its evidence.

    Reads the store's older contents (:meth:`pileon.graph.store.Store.older_contents`:
    posted before the event's first own item, naming its keywords, entities or name, or
    in another event) and links them with
    :func:`pileon.detectors.resurfacing.detect_resurfacing`.
    """
    from pileon.detectors.resurfacing import (
        detect_resurfacing,
        event_terms,
        older_bound,
        with_evidence,
    )

    bound = older_bound(p)
    if bound is None or not any(n.harmful for n in det.narratives):
        return det
    older = store.older_contents(p.event_id, bound, event_terms(p))
    found = detect_resurfacing(p, det.narratives, older)
    if not found:
        return det
    return replace(det, narratives=with_evidence(det.narratives, found))


# ------------------------------------------------------------------------------ history


def _culpable_elsewhere(store: Store, ids: Sequence[str], event_id: str) -> dict[str, set[str]]:
    """account_id -> other events where a label or a recorded decision gave it tier >= 2."""
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


def _harmful_elsewhere(
    store: Store, ids: Sequence[str], p: Projection, *, harm_threshold: float
) -> dict[str, set[str]]:
    """account_id -> other events holding harmful content of its own: content that is not
    this event's too (the same act is not a repeated one), and that the other event holds
    as more than source material (older content it reposted or answered, whose author
    took no part in it)."""
    out: dict[str, set[str]] = {}
    own = store.frame("contents", ids=ids, column="account_id")
    own = own[own["harm"].fillna(0) >= harm_threshold]
    c = p.contents
    here = c["content_id"][c["via"] != "source"] if "via" in c else c["content_id"]
    own = own[~own["content_id"].isin(set(here))]
    if not len(own):
        return out
    author = dict(zip(own["content_id"], own["account_id"]))
    for e in store.event_ids():
        if e == p.event_id:
            continue
        m = store.memberships(e)
        m = m[(m["via"] != "source") & m["content_id"].isin(set(author))]
        for c in m["content_id"]:
            out.setdefault(author[c], set()).add(e)
    return out


def _identity_repeat(
    store: Store, p: Projection, candidates: Sequence[str], event_id: str
) -> set[str]:
    """Candidates whose identity_key is held by another account culpable in another event."""
    acc = p.accounts.drop_duplicates("account_id").set_index("account_id")
    keys = {
        a: key
        for a in candidates
        if a in acc.index and isinstance(key := acc.at[a, "identity_key"], str)
    }
    if not keys:
        return set()
    peers = store.frame("accounts", ids=sorted(set(keys.values())), column="identity_key")
    peers = peers[~peers["account_id"].isin(candidates)]
    if not len(peers):
        return set()
    bad = _culpable_elsewhere(store, sorted(peers["account_id"]), event_id)
    bad_keys = set(peers.loc[peers["account_id"].isin(bad), "identity_key"])
    return {a for a, k in keys.items() if k in bad_keys}


def read_history(
    store: Store,
    p: Projection,
    candidates: Sequence[str],
    *,
    harm_threshold: float = HARM_THRESHOLD,
) -> History:
    """Culpable conduct of ``candidates`` in OTHER events, and identities with several culprits.

    An account repeats when it was judged culpable in another event (tier >= 2 in
    a label or a recorded decision) or posted harmful content of its own there (not
    content of this event too, nor content the other event only shows as source
    material: older content it reposted or answered).  Accounts of an earlier incident
    that do not act in this event are not its candidates: the event's window keeps them
    out (:mod:`pileon.ingest.membership`).
    Repetition is read from the data (contents, labels, decisions), not from
    earlier analysis runs, so that a report does not depend on the order in
    which events are analyzed.
    """
    event_id = p.event_id
    cand = sorted(set(candidates))
    if not cand:
        return History()
    repeated: dict[str, set[str]] = {a: set() for a in cand}
    for found in (
        _culpable_elsewhere(store, cand, event_id),
        _harmful_elsewhere(store, cand, p, harm_threshold=harm_threshold),
    ):
        for a, evs in found.items():
            repeated[a] |= evs
    return History(
        repeated={a: sorted(e) for a, e in repeated.items() if e},
        identity_repeat=frozenset(_identity_repeat(store, p, cand, event_id)),
    )
