"""Early-warning alerts (SPEC §6): computed when data lands, stored, served from the store.

* :func:`refresh_alerts` runs at the end of every ingest (:func:`pileon.service.ingest.ingest`):
  one pass of :class:`pileon.detectors.alerts.AlertPlan` over the store's frames, for the
  whole store and for each event, recomputing only the keys (targets and events) whose
  digest changed, i.e. those the new rows touch; ``recompute=True`` recomputes every key.
* :func:`alerts_from_store` and :func:`stored_alert_page` read what is stored: the CLI and
  the API never recompute per request.
* :func:`alert_frames` gives the frames the detector (and the evidence pack) reads.

Loading the same rows twice changes no digest, so nothing; the stored alerts equal a full
recompute (:func:`pileon.detectors.alerts.detect_alerts` over the same frames).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pileon.detectors.alerts import (
    ALERT_FRAMES,
    Alert,
    AlertFrames,
    AlertKey,
    AlertOptions,
    AlertPlan,
    AlertScope,
    alert_order,
)
from pileon.graph.errors import NotComputed, NotFound
from pileon.graph.frames import coerce, empty
from pileon.graph.store import Store
from pileon.service.stages import Stages

__all__ = [
    "AlertRefresh",
    "alert_frames",
    "alerts_from_store",
    "refresh_alerts",
    "stored_alert_page",
]

#: the scope of the whole store (an event's scope is its ID)
WHOLE_STORE = ""
#: the key whose digest marks a completed pass over a scope
MARKER = ""


def alert_frames(store: Store) -> AlertFrames:
    """Every frame alerts and evidence read, from a store (both stores give the same frames)."""
    return AlertFrames(
        **{name: store.frame(name) for name in ALERT_FRAMES}, memberships=store.memberships()
    )


def _plan_frames(store: Store, loaded: Mapping[str, pd.DataFrame] | None) -> AlertFrames:
    """What :class:`~pileon.detectors.alerts.AlertPlan` reads, but accounts: the contents,
    reposts and memberships a load just had (``loaded``), else the store's; the other
    frames from the store."""
    loaded = loaded or {}
    frames = {
        name: loaded[name] if name in loaded else store.frame(name)
        for name in ALERT_FRAMES
        if name != "accounts"
    }
    members = loaded["memberships"] if "memberships" in loaded else store.memberships()
    return AlertFrames(**frames, accounts=empty("accounts"), memberships=members)


def _account_reader(store: Store) -> Callable[[list[str], list[str]], pd.DataFrame]:
    """``read(ids, names)``: the store's accounts with these IDs or names."""

    def read(ids: list[str], names: list[str]) -> pd.DataFrame:
        found = pd.concat(
            [store.frame("accounts", ids=ids), store.frame("accounts", ids=names, column="name")],
            ignore_index=True,
        )
        return coerce("accounts", found.drop_duplicates("account_id"))

    return read


@dataclass
class AlertRefresh:
    """What a pass of :func:`refresh_alerts` did."""

    #: scopes passed over (the whole store and each event)
    scopes: int = 0
    #: keys (targets and events) watched over all scopes
    keys: int = 0
    #: keys whose alerts were computed (new or changed digest)
    computed: int = 0
    #: keys dropped (no longer watched)
    removed: int = 0
    #: alerts stored by this pass (of the computed keys)
    alerts: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "scopes": self.scopes,
            "keys": self.keys,
            "computed": self.computed,
            "removed": self.removed,
            "alerts": self.alerts,
            "seconds": round(self.seconds, 3),
        }


def _key(key: AlertKey) -> str:
    """A scope key as stored: ``target:ID`` or ``event:ID``."""
    return f"{key[0]}:{key[1]}"


def _row(key: str, seq: int, alert: Alert) -> dict[str, Any]:
    group, neg_score, began, _ = alert_order(alert)
    return {
        "key": key,
        "seq": seq,
        "target_id": alert.target_id,
        "event_id": alert.event_id,
        "grp": group,
        "score": -neg_score,
        "began_ns": int(began.value),
        "body": alert.to_dict(),
    }


def refresh_alerts(
    store: Store,
    *,
    recompute: bool = False,
    show_progress: bool = False,
    loaded: Mapping[str, pd.DataFrame] | None = None,
    **options: Any,
) -> AlertRefresh:
    """Compute and store the alerts of every key whose inputs changed since the last pass.

    Parameters
    ----------
    store : Store
    recompute : bool
        Recompute and replace every key's alerts, whatever the stored digests say.
    show_progress : bool
        One line per stage (read, prepare, compute and store) with its time, on stderr.
    loaded : mapping, optional
        The store's ``contents``, ``reposts`` (the columns of
        :data:`~pileon.detectors.alerts.PLAN_COLUMNS` at least) and ``memberships`` as a
        load just had them (:attr:`pileon.ingest.load.LoadSummary.frames`): not read again.
    **options
        :class:`pileon.detectors.alerts.AlertOptions` (default: its defaults); part of
        every digest, so a pass with other options recomputes everything.

    Returns
    -------
    AlertRefresh

    Notes
    -----
    One read of the frames and one O(n) pass (:class:`~pileon.detectors.alerts.AlertPlan`),
    then, per scope, a digest per key and the alerts of the changed keys only; each scope's
    changes are written in one transaction, its marker last.
    """
    t0 = time.perf_counter()
    stages = Stages("alerts", show=show_progress)
    out = AlertRefresh()
    with stages.stage("read"):
        frames = _plan_frames(store, loaded)
    with stages.stage("prepare"):
        plan = AlertPlan(frames, AlertOptions(**options), read_accounts=_account_reader(store))
        del frames
        scopes = [plan.scope()] + [plan.scope(event_id=e) for e in plan.event_ids]
    with stages.stage("compute and store"):
        for scope in scopes:
            _refresh_scope(store, plan, scope, recompute=recompute, out=out)
    out.seconds = time.perf_counter() - t0
    return out


def _refresh_scope(
    store: Store, plan: AlertPlan, scope: AlertScope, *, recompute: bool, out: AlertRefresh
) -> None:
    """One scope of :func:`refresh_alerts`: digests, the changed keys' alerts, one write."""
    name = scope.event_id if scope.event_id is not None else WHOLE_STORE
    old = {} if recompute else store.alert_digests(name)
    want = {_key(k): (k, scope.digest(k)) for k in scope.keys()}
    changed = [k for k, (_, d) in want.items() if old.get(k) != d]
    gone = [k for k in old if k != MARKER and k not in want]
    rows = []
    for k in changed:
        rows += [_row(k, seq, a) for seq, a in enumerate(scope.alerts(want[k][0]))]
    out.scopes += 1
    out.keys += len(want)
    out.computed += len(changed)
    out.removed += len(gone)
    out.alerts += len(rows)
    if recompute or changed or gone or old.get(MARKER) != plan.fingerprint:
        store.write_alerts(
            name,
            remove=None if recompute else changed + gone,
            rows=rows,
            digests={**{k: want[k][1] for k in changed}, MARKER: plan.fingerprint},
        )


def _stored(
    store: Store,
    event_id: str | None,
    target_id: str | None,
    *,
    offset: int = 0,
    limit: int | None = None,
) -> list[dict[str, Any]] | None:
    """The stored alerts of a scope (None: never computed); NotFound for an unknown event or
    account.  Two index lookups when both are known (the API's path), in one batch
    (``Store.read_many``: one query on Neo4j)."""
    scope = event_id if event_id is not None else WHOLE_STORE
    read = ("stored_alerts", (scope,), {"target_id": target_id, "offset": offset, "limit": limit})
    rows: list[dict[str, Any]] | None
    if target_id is None:
        rows = store.read_many([read])[0]
    else:
        missing, rows = store.read_many([("missing_ids", ("account", [target_id]), {}), read])
        if missing:
            raise NotFound(f"unknown account {target_id!r}")
    # every known event has its scope once a pass ran: an unknown one has none
    if rows is None and event_id is not None and store.frame("events", ids=[event_id]).empty:
        raise NotFound(f"unknown event {event_id!r}")
    return rows


_NOT_COMPUTED = "alerts have not been computed for this store yet: run `pileon alerts --recompute`"


def stored_alert_page(
    store: Store,
    *,
    event_id: str | None = None,
    target_id: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Stored alerts as JSON objects (SPEC §6), in list order, ``limit`` after ``offset``.

    Raises
    ------
    pileon.graph.errors.NotFound
        For an unknown event or account.
    pileon.graph.errors.NotComputed
        When no pass has stored alerts in this store yet (a store loaded by an older
        pileon): ``pileon alerts --recompute`` computes them.
    """
    rows = _stored(store, event_id, target_id, offset=offset, limit=limit)
    if rows is None:
        raise NotComputed(_NOT_COMPUTED)
    return rows


def alerts_from_store(
    store: Store,
    *,
    event_id: str | None = None,
    target_id: str | None = None,
    recompute: bool = False,
    compute_missing: bool = True,
    show_progress: bool = False,
) -> list[Alert]:
    """The stored alerts of the store, of one event's scope, or of one target.

    Parameters
    ----------
    store : Store
    event_id : str, optional
        Counting only the event's contents: its targets' alerts and its own (heat).
    target_id : str, optional
        This account's alerts only.
    recompute : bool
        First recompute every alert (:func:`refresh_alerts` with ``recompute=True``).
    compute_missing : bool
        When the store holds no alerts yet (never refreshed), compute them first; else
        raise :class:`~pileon.graph.errors.NotComputed`.
    show_progress : bool
        Progress of a computation.

    Returns
    -------
    list of Alert
        Minors' alerts first, then the other targets' by score, then events' (as
        :func:`pileon.detectors.alerts.detect_alerts` orders them).

    Raises
    ------
    pileon.graph.errors.NotFound
        For an unknown event or account.
    """
    if event_id is not None and store.frame("events", ids=[event_id]).empty:
        raise NotFound(f"unknown event {event_id!r}")  # before any computation
    if recompute:
        refresh_alerts(store, recompute=True, show_progress=show_progress)
    rows = _stored(store, event_id, target_id)
    if rows is None:
        if not compute_missing:
            raise NotComputed(_NOT_COMPUTED)
        refresh_alerts(store, show_progress=show_progress)
        rows = _stored(store, event_id, target_id) or []
    return [Alert.from_dict(r) for r in rows]
