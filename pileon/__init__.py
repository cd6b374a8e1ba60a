"""pileon: find who is behind a pile-on, ranked and with evidence, for graded sanctions.

The Python API, for notebooks and scripts (the CLI and the HTTP API call the same
functions)::

    import pileon

    pileon.sample("incident", seed=7)                  # a generated incident, or your own tables
    store = pileon.open_store("incident.db")           # or "neo4j://host:7687"
    pileon.ingest_folder(store, "incident")            # validate, normalise, load
    report = pileon.analyze(store, "evt:2026-03-nancheng-teacher")
    pairs = pileon.coactivity(store, window=60, min_weight=2)
    alerts = pileon.alerts(store)
    pack = pileon.evidence_pack(store, "weibo:8001")   # ZIP bytes

============================  ==========================================================
name                          what it does
============================  ==========================================================
:func:`open_store`            open the embedded store (a file) or Neo4j, settings from
                              the environment (:mod:`pileon.settings`)
:func:`ingest_folder`         load a folder of input tables (``pileon ingest``)
:func:`analyze`               run every detector on an event, save and return the report
:func:`project`               one event's tables as pandas frames (a ``Projection``)
:func:`coactivity`            the exact co-repost edge list (``pileon coactivity``)
:func:`alerts`                early-warning surges per target (``pileon alerts``)
:func:`evidence_pack`         the one-click evidence pack of a target, as ZIP bytes
:func:`train`                 fit the risk model on past decisions (``pileon train``)
:func:`sample`                write a generated sample incident (``pileon sample``)
============================  ==========================================================

Every function takes a store or a store URI (a URI is opened for the call and
closed after it).  The ingest function is ``ingest_folder``, not ``ingest``:
``pileon.ingest`` is the package of load jobs (:mod:`pileon.ingest`).  Each
function imports what it needs when called, so ``import pileon`` itself is quick.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from pileon.detectors.alerts import Alert
    from pileon.graph.projection import Projection
    from pileon.graph.store import Store
    from pileon.ingest.load import LoadSummary
    from pileon.service.training import TrainResult

__all__ = [
    "alerts",
    "analyze",
    "coactivity",
    "evidence_pack",
    "ingest_folder",
    "open_store",
    "project",
    "sample",
    "train",
]


def open_store(uri: str | os.PathLike[str] | None = None) -> Store:
    """Open a store: a file path for the embedded store, ``neo4j://``/``bolt://`` for Neo4j.

    Without ``uri``, ``PILEON_STORE`` (default ``./pileon.db``); Neo4j credentials from
    ``NEO4J_USER``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE`` (:class:`pileon.settings.Settings`).
    Close it with ``store.close()`` or use it as a context manager.
    """
    from pileon.settings import load_settings

    settings = load_settings(store=os.fspath(uri) if uri is not None else None)
    return settings.open_store()


@contextmanager
def _store(store: Store | str | os.PathLike[str]) -> Iterator[Store]:
    """The store itself, or the store a URI names, opened for one call and closed after it."""
    from pileon.graph.store import Store

    if isinstance(store, Store):
        yield store
        return
    with open_store(store) as opened:
        yield opened


def ingest_folder(
    store: Store | str | os.PathLike[str],
    folder: str | os.PathLike[str],
    *,
    rejects: str | os.PathLike[str] = "pileon-rejects.csv",
    show_progress: bool = False,
    margin_hours: float = 48.0,
) -> LoadSummary:
    """Load every input table of ``folder`` into ``store`` (``pileon ingest``).

    Bad rows go to the ``rejects`` CSV with their line and reason; the summary
    counts, per table, rows read = stored + rejected, and placeholders.
    ``margin_hours``: how far before its start (and after its last activity) an event's
    window reaches (:mod:`pileon.ingest.membership`).  The alerts the new rows touch are
    computed and stored (``summary.alerts`` says what that pass did).
    See :func:`pileon.service.ingest.ingest`.
    """
    from pileon.service.ingest import ingest

    with _store(store) as s:
        return ingest(
            s,
            Path(folder),
            reject_path=Path(rejects),
            show_progress=show_progress,
            margin=margin_hours,
        )


def analyze(store: Store | str | os.PathLike[str], event_id: str, **options: Any) -> dict[str, Any]:
    """Run every detector on one event, save the report in the store and return it.

    ``options``: ``seed``, ``model`` (``"auto"``, ``None`` for the rules, a path),
    ``top``, ``show_progress``, ``save``; see :func:`pileon.service.analysis.analyze`.
    The trained model is looked for where ``PILEON_MODEL`` says, else beside the
    embedded store's file.
    """
    from pileon.service.analysis import analyze as _analyze
    from pileon.settings import load_settings

    options.setdefault("model_path", load_settings().model)
    with _store(store) as s:
        return _analyze(s, event_id, **options)


def project(store: Store | str | os.PathLike[str], event_id: str) -> Projection:
    """One event's accounts, contents, reposts, renames, affiliations, MCNs, reports and
    labels as pandas frames (:func:`pileon.graph.projection.project`)."""
    from pileon.graph.projection import project as _project

    with _store(store) as s:
        return _project(s, event_id)


def coactivity(
    store: Store | str | os.PathLike[str],
    *,
    window: float,
    min_weight: int = 1,
    event_id: str | None = None,
) -> pd.DataFrame:
    """The exact co-repost network (``account_a, account_b, weight``): pairs of distinct
    accounts that reposted the same content at most ``window`` seconds apart, weighted by
    the number of such contents; an event's reposts, or every repost in the store."""
    from pileon.service.coactivity import coactivity_edges

    with _store(store) as s:
        return coactivity_edges(s, window=window, min_weight=min_weight, event_id=event_id)[0]


def alerts(
    store: Store | str | os.PathLike[str],
    *,
    event_id: str | None = None,
    target_id: str | None = None,
) -> list[Alert]:
    """The stored early-warning alerts, minors first, then the other targets', then events'
    (:func:`pileon.service.alerts.alerts_from_store`; computed first if the store holds none
    yet); ``alert.to_dict()`` gives the JSON."""
    from pileon.service.alerts import alerts_from_store

    with _store(store) as s:
        return alerts_from_store(s, event_id=event_id, target_id=target_id)


def evidence_pack(
    store: Store | str | os.PathLike[str],
    target_id: str,
    *,
    event_id: str | None = None,
    issued_by: str | None = "python",
) -> bytes:
    """The one-click evidence pack of ``target_id`` as ZIP bytes (``manifest.json`` with the
    hashes and seal, ``evidence.html``), recorded in the store as issued by ``issued_by``
    (None: not recorded); :func:`pileon.service.evidence.evidence_pack`."""
    from pileon.service.evidence import evidence_pack as _pack

    with _store(store) as s:
        return _pack(s, target_id, event_id=event_id, issued_by=issued_by)


def train(
    store: Store | str | os.PathLike[str],
    labels: pd.DataFrame | str | os.PathLike[str],
    **options: Any,
) -> TrainResult:
    """Fit the risk model on past decisions (a labels frame or file with ``event_id,
    account_id, tier``) and save it where :func:`analyze` finds it
    (:func:`pileon.service.training.train`)."""
    import pandas as pd

    from pileon.service.training import read_labels
    from pileon.service.training import train as _train
    from pileon.settings import load_settings

    if not isinstance(labels, pd.DataFrame):
        labels = read_labels(labels)
    options.setdefault("model_path", load_settings().model)
    with _store(store) as s:
        return _train(s, labels, **options)


def sample(
    folder: str | os.PathLike[str],
    *,
    seed: int = 7,
    scale: float = 1.0,
    fmt: str = "csv",
    show_progress: bool = False,
    history: bool = False,
) -> dict[str, Any]:
    """Write a generated sample incident (the input tables) into ``folder`` and return its
    ground truth (:func:`pileon.ingest.sample.generate_incident`); ``history``: also the
    incident told once before, a year earlier (``pileon sample --history``)."""
    from pileon.ingest.sample import generate_incident

    return generate_incident(
        folder, seed=seed, scale=scale, fmt=fmt, show_progress=show_progress, history=history
    )
