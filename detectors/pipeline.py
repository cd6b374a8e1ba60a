"""Every detector over one event's projection, then scoring and grading: the pure half of analyze.

Nothing here reads or writes a store: :mod:`pileon.service.analysis` projects the
event, calls these steps in order and saves the report::

    detect (narratives -> coordinated clusters -> first posters, repeat posters,
    inciters, splicers, impersonators) -> harm -> venues and their creators
    (SPEC §7) -> features -> score (the risk model when one is trained, else
    transparent rules) -> grade (tiers, with the accounts' history in other
    events, read by the service) -> MCN roll-up -> report (with the platforms'
    figures, SPEC §7)

Each step takes what the one before it gave; :data:`STAGES` names them as the
progress lines show them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from pileon.detectors import risk_model as rm
from pileon.detectors.features import account_features
from pileon.detectors.findings import Detections, MCNFinding, RoleFinding
from pileon.detectors.grading import Grade, grade
from pileon.detectors.harm import HarmfulItems, corroborate, harmful_items
from pileon.detectors.joins import Joins
from pileon.detectors.rules import Scored, banded, rule_scores
from pileon.graph.model import CULPABLE_ROLES
from pileon.graph.projection import Projection

if TYPE_CHECKING:  # each stage imports its detectors (see detect)
    from pileon.detectors.coordination import ClusterResult
    from pileon.detectors.narratives import NarrativeResult

__all__ = [
    "STAGES",
    "History",
    "StageRunner",
    "account_roles",
    "can_fork",
    "detect",
    "event_features",
    "find_venues",
    "final_grades",
    "platforms",
    "role_tiers",
    "rollup",
    "score",
]

#: analyze's stages, in order (``narratives``, ``clusters`` and ``roles`` are :func:`detect`'s:
#: the clusters need only the narratives, so they run (or, with workers, start in a forked
#: process) before the roles stage collects the forked detectors' results, :func:`detect`)
STAGES = (
    "project",
    "narratives",
    "clusters",
    "roles",
    "features",
    "score",
    "tiers",
    "mcns",
    "report",
    "save",
)


class StageRunner(Protocol):
    """Something that wraps each named stage (progress lines, timings, error context)."""

    def stage(self, name: str) -> AbstractContextManager[None]: ...

    def inside(self, name: str) -> AbstractContextManager[None]:
        """Work of stage ``name`` done within the current stage (failures name ``name``)."""
        ...


class _Silent:
    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        yield

    @contextmanager
    def inside(self, name: str) -> Iterator[None]:
        yield


# ------------------------------------------------------------------------------ detect


def _text_roles(p: Projection) -> tuple[list[RoleFinding], list[RoleFinding]]:
    """The role detectors that read the projection alone: splicers, then impersonators."""
    from pileon.detectors.renames import detect_impersonators
    from pileon.detectors.splicing import detect_splicers

    return list(detect_splicers(p)), list(detect_impersonators(p))


def can_fork() -> bool:
    """Whether :func:`detect` may run :func:`_text_roles` in a forked process beside the
    narratives: at least two cores for this process, ``fork`` available, and no other
    thread alive (a thread that holds a lock when the process forks would leave it held in
    the child)."""
    import multiprocessing
    import threading

    return (
        len(os.sched_getaffinity(0)) >= 2
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
    )


def _before_fork() -> None:
    """Keep the pages the parent and a forked child share from being copied: the objects
    alive now go to the collector's permanent generation (``gc.freeze``, until
    :func:`detect` ends), so that neither process's collector writes to their headers,
    and the heap's free memory goes back to the system (glibc's ``malloc_trim``), so that
    neither process copies the free pages it reuses."""
    import ctypes
    import gc

    gc.freeze()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):  # not glibc
        pass


def _child(
    conn: Any, job: Callable[..., Any], args: tuple[Any, ...]
) -> None:  # pragma: no cover - runs in the forked child
    try:
        out: tuple[str, Any] = ("ok", job(*args))
    except Exception as exc:  # handed to the parent, which raises it
        out = ("error", exc)
    try:
        conn.send(out)
    except Exception as exc:  # one that does not pickle: its name and message
        conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
    conn.close()


class _Beside:
    """``job(*args)`` in a forked process, started at once and collected by :meth:`result`;
    the child reads the parent's objects as they were at the fork (copy on write) and
    sends back only the job's result, which should be small (findings, clusters)."""

    def __init__(self, job: Callable[..., Any], *args: Any) -> None:
        import multiprocessing

        self._job, self._args = job, args
        _before_fork()
        ctx = multiprocessing.get_context("fork")
        self._conn, child_conn = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_child, args=(child_conn, job, args), daemon=True)
        self._proc.start()
        child_conn.close()

    def result(self) -> Any:
        """The child's result; its exception raised here; computed here if the child died
        without an answer (killed, out of memory)."""
        try:
            status, value = self._conn.recv()
        except (EOFError, OSError):
            status, value = "lost", None
        finally:
            self.close()
        if status == "ok":
            return value
        if status == "error":
            raise value
        return self._job(*self._args)

    def close(self) -> None:
        """Stop the child if it still runs, and reap it."""
        self._conn.close()
        if self._proc.is_alive():
            self._proc.terminate()
        self._proc.join()


def _coordinated(p: Projection, nres: NarrativeResult, seed: int, engine: Any) -> ClusterResult:
    """The coordinated clusters (:func:`pileon.detectors.coordination.detect_coordinated`),
    which read the narratives only for the narrative of each content."""
    from pileon.detectors.coordination import detect_coordinated

    return detect_coordinated(p, narratives=nres, seed=seed, pair_engine=engine)


def detect(
    p: Projection,
    *,
    seed: int = 0,
    stages: StageRunner | None = None,
    joins: Joins | None = None,
    workers: int = 1,
) -> Detections:
    """Run every detector on one event's projection and gather the findings.

    Parameters
    ----------
    p : Projection
        The event's projection.
    seed : int, default 0
        Seed of the randomised steps (MinHash, the sampling of crowded items' pairs).
    stages : StageRunner, optional
        Wraps the ``narratives``, ``clusters`` and ``roles`` stages, in that order.
    joins : Joins, optional
        Joins computed elsewhere (:mod:`pileon.detectors.joins`): the narratives take its
        near-duplicate text pairs instead of running MinHash LSH, and the coordinated
        clusters its engine's pairs in sync (:attr:`~pileon.detectors.joins.Joins.synced_pairs`).
    workers : int, default 1
        With 2 or more (and :func:`can_fork`), the detectors that read the projection alone
        (splicers, impersonators) run in a forked process while the narratives run here;
        then the coordinated clusters, which need only the narratives, run in a second
        forked process (not with an engine of ``joins``, which holds a connection) while
        the first posters and repeat posters run here; the inciters run once the clusters
        are back (their memory and the clusters' would add up), in the ``roles`` stage,
        which collects both children's results.  The findings are the same either way
        (pure functions of the projection and the narratives, each role found by one
        detector, sorted at the end).

    Returns
    -------
    Detections

    Notes
    -----
    With ``workers >= 2`` each child holds the projection (and the second one the
    narratives) copy on write: it writes only the pages of the objects it touches, plus
    its detector's own work.  Only findings and clusters travel back (pickled through a
    pipe).  The children's CPU time is not this process's (``time.process_time``) but
    its children's (``resource.RUSAGE_CHILDREN``).
    """
    st = stages or _Silent()
    fork = workers >= 2 and can_fork()
    text = _Beside(_text_roles, p) if fork else None
    beside: _Beside | None = None
    try:
        # each stage imports its detectors: running out of memory there names the stage
        with st.stage("narratives"):
            from pileon.detectors.narratives import detect_narratives

            if joins is not None and joins.text_pairs is not None:
                nres = detect_narratives(
                    p, seed=seed, threshold=joins.text_threshold, text_pairs=joins.text_pairs
                )
            else:
                nres = detect_narratives(p, seed=seed)
        # the clusters need only the narratives: beside the posters when forking, else here
        engine = joins.synced_pairs if joins is not None else None
        with st.stage("clusters"):
            if fork and engine is None:
                beside = _Beside(_coordinated, p, nres, seed, None)
                cres = None
            else:
                cres = _coordinated(p, nres, seed, engine)
        with st.stage("roles"):
            from pileon.detectors.posters import (
                detect_first_posters,
                detect_inciters,
                detect_multi_posters,
            )

            roles = list(detect_first_posters(p, nres, seed=seed)) + list(
                detect_multi_posters(p, nres, seed=seed)
            )
            if beside is not None:
                with st.inside("clusters"):  # the child's failure is the clusters'
                    cres = beside.result()
            roles += list(detect_inciters(p, nres, seed=seed))
            splicers, impersonators = text.result() if text else _text_roles(p)
            roles += splicers + impersonators + list(cres.findings)
    finally:
        for child in (text, beside):
            if child is not None:
                child.close()
        if fork:
            import gc

            gc.unfreeze()
    return gather(p, nres, cres, roles)


def gather(
    p: Projection, nres: NarrativeResult, cres: ClusterResult, roles: list[RoleFinding]
) -> Detections:
    """The detections of :func:`detect` from its detectors' results: the roles in a stable
    order (account, role, strongest first), those of source material's authors left out,
    then :func:`pileon.detectors.harm.corroborate`."""
    # the authors of source material alone (older content the event acted on) are shown,
    # not judged: no role in this event
    passive = p.source_only
    kept = sorted(
        (f for f in roles if f.account_id not in passive),
        key=lambda f: (f.account_id, f.role, -f.strength),
    )
    det = Detections(
        narratives=tuple(nres.narratives),
        of_content=dict(nres.of_content),
        roles=tuple(kept),
        clusters=tuple(cres.clusters),
        harm=getattr(nres, "harm", None),
    )
    return corroborate(p, det)


def find_venues(p: Projection, det: Detections, items: HarmfulItems) -> Detections:
    """The detections with the event's venues (SPEC §7) and the ``venue_creator`` findings
    (:func:`pileon.detectors.venues.detect_venues`); unchanged when no content of the event
    was posted in a venue."""
    if not p.contents["venue_id"].notna().any():
        return det
    from pileon.detectors.venues import detect_venues

    found = detect_venues(p, items.contents)
    passive = p.source_only
    roles = list(det.roles) + [f for f in found.creators if f.account_id not in passive]
    roles.sort(key=lambda f: (f.account_id, f.role, -f.strength))
    return replace(det, roles=tuple(roles), venues=found.venues)


def event_features(
    p: Projection, det: Detections, *, joins: Joins | None = None
) -> tuple[pd.DataFrame, HarmfulItems, Detections]:
    """The accounts' features, the harm of the event's items, and the detections with the
    event's venues.

    Returns ``(features, items, det)``: :func:`pileon.detectors.features.account_features`,
    :func:`pileon.detectors.harm.harmful_items` and :func:`find_venues`.  The accounts that
    take part only through source material
    (:attr:`pileon.graph.projection.Projection.source_only`) have no row: they are not
    scored and not listed.  With ``joins`` holding the co-repost counts
    (:attr:`pileon.detectors.joins.Joins.coreposts`), the features take them.
    """
    items = harmful_items(p, det)
    det = find_venues(p, det, items)
    if joins is not None and joins.coreposts is not None:
        f = account_features(
            p, det, items=items, coact_window=joins.coact_window, coact_count=joins.coreposts
        )
    else:
        f = account_features(p, det, items=items)
    passive = p.source_only
    if passive:
        f = f[~f.index.isin(passive)]
    return f, items, det


def platforms(p: Projection, det: Detections, items: HarmfulItems) -> list[dict[str, Any]]:
    """The platforms' figures of the report (SPEC §7,
    :func:`pileon.detectors.platforms.platform_figures`)."""
    from pileon.detectors.platforms import platform_figures

    return [x.to_dict() for x in platform_figures(p, items.contents, det.venues)]


def score(features: pd.DataFrame, model: rm.RiskModel | None = None) -> Scored:
    """Score accounts with the risk model when given, else with the transparent rules.

    With the model, the score is its probability placed in the rules' bands
    (:func:`pileon.detectors.rules.banded`: accounts with culpable roles above the
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


# ------------------------------------------------------------------------------ grades


def account_roles(det: Detections) -> dict[str, set[str]]:
    """account_id -> its culpable roles, ``coordinated`` for members of a significant cluster."""
    roles = {a: set(r) for a, r in det.roles_of().items()}
    for a in det.cluster_of():
        roles.setdefault(a, set()).add("coordinated")
    return roles


def role_tiers(det: Detections, features: pd.DataFrame) -> dict[str, dict[str, int]]:
    """account_id -> role -> tier, for the roles whose tier their finding decides (SPEC §7):

    * ``venue_creator``: 3 with harmful posts of its own in the venue it created, else 2;
    * ``impersonator`` found only as a new account bearing a name of the event (no
      rename): 3 when the account posted or spread harmful content in the event, else 0
      (its tier follows its other conduct).
    """
    out: dict[str, dict[str, int]] = {}
    harmful = (features["n_harmful"] + features["n_harmful_reposts"]) > 0
    for a, found in det.roles_of().items():
        vc = found.get("venue_creator")
        if vc is not None and vc.numbers.get("own_harmful", 0) > 0:
            out.setdefault(a, {})["venue_creator"] = 3
        im = found.get("impersonator")
        if im is not None and im.numbers.get("renames", 0) == 0:
            out.setdefault(a, {})["impersonator"] = 3 if bool(harmful.get(a, False)) else 0
    return out


@dataclass(frozen=True)
class History:
    """The accounts' conduct in other events, as the service read it from the store.

    ``repeated``: account_id -> other events where it was judged culpable (tier >= 2
    in a label or a recorded decision) or posted harmful content of its own;
    ``identity_repeat``: accounts whose identity_key is held by an account judged
    culpable in another event.
    """

    repeated: Mapping[str, Sequence[str]] = field(default_factory=dict)
    identity_repeat: frozenset[str] = frozenset()


def _shared_identity(p: Projection, tiers: Mapping[str, int]) -> set[str]:
    """Accounts (tier >= 2) whose identity_key holds at least two such accounts in the event."""
    acc = p.accounts.drop_duplicates("account_id").set_index("account_id")["identity_key"]
    culp = [a for a, t in tiers.items() if t >= 2 and isinstance(acc.get(a), str)]
    counts = pd.Series([acc[a] for a in culp], dtype=object).value_counts()
    return {a for a in culp if counts.get(acc[a], 0) >= 2}


def final_grades(
    p: Projection,
    features: pd.DataFrame,
    roles: Mapping[str, set[str]],
    first: Mapping[str, Grade],
    history: History,
    *,
    tiers_of_roles: Mapping[str, Mapping[str, int]] | None = None,
) -> dict[str, Grade]:
    """Tiers with the accounts' history: repeat offenders and shared identities.

    Parameters
    ----------
    p : Projection
    features : pandas.DataFrame
        From :func:`event_features`.
    roles : mapping
        From :func:`account_roles`.
    first : mapping
        ``grade(features, roles)``, the tiers before history; its accounts of tier
        >= 2 are the ones whose history the service reads.
    history : History
        Their conduct in other events.
    tiers_of_roles : mapping, optional
        :func:`role_tiers`.
    """
    shared = _shared_identity(p, {a: g.tier for a, g in first.items()})
    return grade(
        features,
        roles,
        repeated=history.repeated,
        shared_identity=shared | set(history.identity_repeat),
        role_tiers=tiers_of_roles,
    )


def rollup(p: Projection, det: Detections, grades: Mapping[str, Grade]) -> list[MCNFinding]:
    """MCN roll-up (:func:`pileon.detectors.mcn.rollup_mcns`) over the graded accounts that
    hold an affiliation, the only ones it reads."""
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
