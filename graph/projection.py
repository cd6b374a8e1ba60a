"""One event's slice of the store, as pandas frames: what every detector takes first.

:func:`project` reads it from any store; :meth:`Projection.from_tables` builds
one by hand (tests, notebooks).  Frames follow the conventions of
:mod:`pileon.graph.store` (columns of :func:`pileon.graph.model.stored_columns`).

What belongs to the event:

* ``contents``: the event's contents (see :mod:`pileon.ingest.membership`), with a
  ``via`` column saying how each joined, plus placeholder contents (deleted
  sources) that the event's reposts or replies point at (``via`` = None);
* ``reposts``: the event's reposts, with the same ``via`` column;
* ``accounts``: authors of those contents and reposts, and the event's targets
  (``events.target_ids`` and ``contents.target_ids``); column ``role_hint`` is
  ``author`` for accounts that took part, ``target`` for targets that did not,
  ``source`` for the authors of source material (``via == "source"``: older content
  that the event reposted or answered) that took no part in the event themselves
  (:attr:`Projection.source_only`);
* ``renames``, ``affiliations``: of those accounts; ``mcns``: those affiliated;
* ``reports``: about the event's contents, or about its accounts without a content;
* ``labels``: the event's past decisions;
* ``venues`` (SPEC §7): the venues where the event's contents were posted (their
  ``venue_id``); the accounts that created them from the event's start on are among
  ``accounts`` (``role_hint`` ``creator`` when they took no other part);
* ``venue_contents``: the other contents posted in those venues during the event (from its
  start to its end: ``ended_at``, else its latest own item), not the event's own;
* ``moderation``: the rows acting on the event's contents, reposts, accounts or venues, or
  answering its reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from pileon.graph.errors import NotFound
from pileon.graph.frames import as_list, coerce, empty
from pileon.graph.model import TABLES
from pileon.graph.store import Store

FRAMES = (
    "accounts",
    "contents",
    "reposts",
    "renames",
    "affiliations",
    "mcns",
    "reports",
    "labels",
    "venues",
    "venue_contents",
    "moderation",
)
#: the stored table of each frame (the same name but for these)
FRAME_TABLE = {"venue_contents": "contents"}


def frame_table(name: str) -> str:
    """The stored table whose columns the frame ``name`` of a projection has."""
    return FRAME_TABLE.get(name, name)


@dataclass(frozen=True)
class Event:
    """An event's own row (SPEC §2 ``events``)."""

    event_id: str
    name: str = ""
    started_at: pd.Timestamp | None = None
    ended_at: pd.Timestamp | None = None
    keywords: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    target_ids: tuple[str, ...] = ()


@dataclass
class Projection:
    """One event's frames. See the module docstring."""

    event: Event
    accounts: pd.DataFrame = field(default_factory=lambda: empty("accounts"))
    contents: pd.DataFrame = field(default_factory=lambda: empty("contents"))
    reposts: pd.DataFrame = field(default_factory=lambda: empty("reposts"))
    renames: pd.DataFrame = field(default_factory=lambda: empty("renames"))
    affiliations: pd.DataFrame = field(default_factory=lambda: empty("affiliations"))
    mcns: pd.DataFrame = field(default_factory=lambda: empty("mcns"))
    reports: pd.DataFrame = field(default_factory=lambda: empty("reports"))
    labels: pd.DataFrame = field(default_factory=lambda: empty("labels"))
    venues: pd.DataFrame = field(default_factory=lambda: empty("venues"))
    venue_contents: pd.DataFrame = field(default_factory=lambda: empty("contents"))
    moderation: pd.DataFrame = field(default_factory=lambda: empty("moderation"))
    #: what detectors derive from the frames once and share (e.g.
    #: :func:`pileon.detectors.cascades.coded_forest`), each entry checked against the frames
    #: it was made from; not compared, not copied by ``dataclasses.replace``, not pickled
    derived: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "derived": {}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update({"derived": {}, **state})

    @property
    def event_id(self) -> str:
        return self.event.event_id

    @property
    def start(self) -> pd.Timestamp | None:
        """When the event started: ``started_at``, else its earliest content or repost."""
        if self.event.started_at is not None and not pd.isna(self.event.started_at):
            return self.event.started_at
        times = pd.concat([self.contents["posted_at"], self.reposts["reposted_at"]]).dropna()
        return times.min() if len(times) else None

    @property
    def source_only(self) -> frozenset[str]:
        """Accounts whose only items in the event are source material (``via == "source"``:
        older content that the event reposted or answered, see
        :mod:`pileon.ingest.membership`), targets aside: they are shown, not judged; their
        content is no first post of this event."""
        return _source_only(self.contents, self.reposts, self._target_ids())

    def _target_ids(self) -> set[str]:
        targets = set(self.event.target_ids)
        for t in self.contents["target_ids"]:
            targets.update(t)
        return targets

    @classmethod
    def from_tables(cls, event: dict[str, Any], **tables: Any) -> Projection:
        """Build a projection from plain tables (dicts of lists, lists of dicts or frames).

        Missing columns are filled as missing values; ``accounts`` defaults to the
        authors and targets found in the other tables, as placeholders.

        >>> p = Projection.from_tables({"event_id": "e1"},
        ...     contents=[{"content_id": "c1", "account_id": "a1", "platform": "weibo",
        ...                "posted_at": "2026-03-01T08:00:00+08:00", "text": "hi"}])
        >>> p.contents.loc[0, "posted_at"]
        Timestamp('2026-03-01 00:00:00+0000', tz='UTC')
        >>> p.accounts["account_id"].tolist()
        ['a1']
        """
        unknown = set(tables) - set(FRAMES)
        if unknown:
            raise TypeError(f"unknown tables: {sorted(unknown)}")
        frames: dict[str, pd.DataFrame] = {}
        for name in FRAMES:
            raw = tables.get(name)
            if raw is None:
                continue
            df = raw if isinstance(raw, pd.DataFrame) else pd.DataFrame(raw)
            table = frame_table(name)
            extra_cols = [c for c in df.columns if c not in empty(table).columns]
            # coerce sorts by key: carry the extra columns along on the same index
            base = coerce(table, df.reset_index(drop=True), keep=extra_cols)
            frames[name] = base
        ev = make_event(event)
        if "accounts" not in frames:
            ids = set()
            for name, col in (("contents", "account_id"), ("reposts", "account_id")):
                if name in frames:
                    ids |= set(frames[name][col].dropna())
            if "contents" in frames:
                for t in frames["contents"]["target_ids"]:
                    ids |= set(t)
            ids |= set(ev.target_ids)
            frames["accounts"] = coerce(
                "accounts", pd.DataFrame({"account_id": sorted(ids), "placeholder": True})
            )
        if "contents" in frames and "via" not in frames["contents"]:
            frames["contents"]["via"] = "event_id"
        if "reposts" in frames and "via" not in frames["reposts"]:
            frames["reposts"]["via"] = "repost"
        return cls(event=ev, **frames)


def _utc(value: Any) -> pd.Timestamp | None:
    """A time cell as a UTC timestamp (None when missing; a time without zone is UTC)."""
    if value is None or pd.isna(value):
        return None
    t = pd.Timestamp(value)
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def _source_only(
    contents: pd.DataFrame, reposts: pd.DataFrame, targets: set[str]
) -> frozenset[str]:
    """Authors of source material (``via == "source"``) with no other item among
    ``contents`` and ``reposts``, and not among ``targets``."""
    frames = [df for df in (contents, reposts) if "via" in df and len(df)]
    flags = [(df["via"] == "source").to_numpy(dtype=bool) for df in frames]
    if not any(f.any() for f in flags):
        return frozenset()
    src: set[str] = set()
    active: set[str] = set()
    for df, is_src in zip(frames, flags):
        acc = df["account_id"]
        src.update(acc[is_src].dropna())
        active.update(pd.unique(acc[~is_src].dropna()))
    for df in (contents, reposts):  # frames without ``via``: every item takes part
        if "via" not in df:
            active.update(df["account_id"].dropna())
    return frozenset(src - active - targets)


def make_event(row: dict[str, Any]) -> Event:
    """An :class:`Event` from a row of the ``events`` frame (or a plain dict)."""
    return Event(
        event_id=str(row["event_id"]),
        name=str(row.get("name") or ""),
        started_at=_utc(row.get("started_at")),
        ended_at=_utc(row.get("ended_at")),
        keywords=tuple(as_list(row.get("keywords"))),
        entities=tuple(as_list(row.get("entities"))),
        target_ids=tuple(as_list(row.get("target_ids"))),
    )


def _with_rows(table: str, frame: pd.DataFrame, more: pd.DataFrame) -> pd.DataFrame:
    """``frame`` and ``more`` (frames of ``table`` with the same dtypes) in one, in key order:
    what :func:`coerce` of their concatenation gives, without coercing again."""
    if more.empty:
        return frame
    key = list(TABLES[table].key)
    return (
        pd.concat([frame, more], ignore_index=True)
        .sort_values(key, kind="mergesort", na_position="first")
        .reset_index(drop=True)
    )


def _present_distinct(*columns: pd.Series) -> np.ndarray:
    """The distinct values of ``columns`` one after the other, in first-seen order, missing
    values left out: ``pd.unique`` of their concatenation without the missing cells (an
    object array).

    Notes
    -----
    A dict of the cells (Python's equality, as pandas hashes objects), then the missing
    values dropped from the distinct ones: the columns of a store's read hold one object
    per distinct ID, whose hash Python keeps, so five million cells of a hundred thousand
    accounts cost one dict pass, where pandas hashed every cell's UTF-8 again and looked
    for missing ones among all.  O(cells).

    >>> _present_distinct(pd.Series(["b", None, "a", "b"]), pd.Series([float("nan"), "c"]))
    array(['b', 'a', 'c'], dtype=object)
    """
    seen: dict[Any, None] = {}
    for col in columns:
        seen.update(dict.fromkeys(col.to_numpy(dtype=object).tolist()))
    values = _objects(list(seen))
    return values[~pd.isna(values)] if len(values) else values


def _objects(values: list[Any]) -> np.ndarray:
    """``values`` as a 1-d object array (cell by cell, whatever they are)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def project(store: Store, event_id: str) -> Projection:
    """Read one event's projection from a store (raises ``NotFound`` for an unknown event).

    Notes
    -----
    The event's items in one read (:meth:`pileon.graph.store.Store.event_items`), the rest by
    ID lists (:meth:`pileon.graph.store.Store.frame`); the joins between them go through
    hashing: the distinct IDs of the items' columns by one dict pass each
    (:func:`_present_distinct`), the few pointed IDs looked for among the items' IDs by a set
    of them.  O(rows of the event).
    """
    events = store.frame("events", ids=[event_id])
    if events.empty:
        raise NotFound(f"unknown event {event_id!r}")
    # a frame's column labels are Hashable to pandas; a store's are the model's names
    ev = make_event(cast(dict[str, Any], events.iloc[0].to_dict()))
    contents, reposts = store.event_items(event_id)
    # placeholders (deleted sources, unknown reply parents) that event items point at
    pointed = _present_distinct(reposts["source_id"], contents["reply_to"])
    # which of the (few) pointed IDs are items: the items' IDs looked up among them, not a
    # hash table of every item's ID built to look them up in
    is_item = np.zeros(len(pointed), dtype=bool)
    if len(pointed):
        hits = set(pointed.tolist())
        found = hits.intersection(contents["content_id"].to_numpy(dtype=object).tolist())
        found.update(hits.intersection(reposts["repost_id"].to_numpy(dtype=object).tolist()))
        is_item = np.array([p in found for p in pointed.tolist()], dtype=bool)
    pointed = pointed[~is_item]
    if len(pointed):
        ph = store.frame("contents", ids=pointed.tolist())
        ph = ph[ph["placeholder"].to_numpy()].assign(via=None)
        contents = _with_rows("contents", contents, ph)

    authors = _present_distinct(contents["account_id"], reposts["account_id"])
    targets = list(ev.target_ids)
    for t in contents["target_ids"]:
        targets.extend(t)
    accounts = store.frame(
        "accounts",
        ids=pd.unique(np.concatenate([authors, np.array(targets, dtype=object)])).tolist(),
    )
    passive = _source_only(contents, reposts, set(targets))
    accounts["role_hint"] = np.where(
        accounts["account_id"].isin(passive),
        "source",
        np.where(accounts["account_id"].isin(authors), "author", "target"),
    ).astype(object)
    venues, venue_contents = _venues(store, ev, contents, reposts)
    held = set(accounts["account_id"])
    creators = [a for a in _creators(ev, venues, contents, reposts) if a not in held]
    if creators:  # venue creators that took no other part (SPEC §7)
        more = store.frame("accounts", ids=creators).assign(role_hint="creator")
        accounts = _with_rows("accounts", accounts, more)
    acc_ids = accounts["account_id"].tolist()
    renames = store.frame("renames", ids=acc_ids, column="account_id")
    affiliations = store.frame("affiliations", ids=acc_ids, column="account_id")
    mcns = store.frame("mcns", ids=sorted(set(affiliations["mcn_id"].dropna())))
    rep_c = store.frame(
        "reports",
        ids=contents["content_id"].tolist() + reposts["repost_id"].tolist(),
        column="content_id",
    )
    rep_a = store.frame("reports", ids=acc_ids, column="account_id")
    rep_a = rep_a[rep_a["content_id"].isna()]
    reports = coerce(
        "reports",
        pd.concat([rep_c, rep_a], ignore_index=True).drop_duplicates(subset=["report_id"]),
    )
    labels = store.frame("labels", ids=[event_id], column="event_id")
    moderation = _moderation(
        store, contents, reposts, acc_ids, venues["venue_id"].tolist(), reports
    )
    return Projection(
        event=ev,
        accounts=accounts,
        contents=contents,
        reposts=reposts,
        renames=renames,
        affiliations=affiliations,
        mcns=mcns,
        reports=reports,
        labels=labels,
        venues=venues,
        venue_contents=venue_contents,
        moderation=moderation,
    )


def _span(
    ev: Event, contents: pd.DataFrame, reposts: pd.DataFrame
) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The event's time span: ``started_at`` (else its earliest own item) to ``ended_at``
    (else its latest own item); source material aside."""
    times = []
    for df, col in ((contents, "posted_at"), (reposts, "reposted_at")):
        own = df[col][(df["via"] != "source").to_numpy(dtype=bool)] if "via" in df else df[col]
        times.append(own.dropna())
    t = pd.concat(times)
    start = ev.started_at if ev.started_at is not None else (t.min() if len(t) else None)
    end = ev.ended_at if ev.ended_at is not None else (t.max() if len(t) else None)
    return start, end


def _venues(
    store: Store, ev: Event, contents: pd.DataFrame, reposts: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The venues of the event's contents, and the other contents posted there during it."""
    ids = sorted(set(contents["venue_id"].dropna()))
    if not ids:
        return empty("venues"), empty("contents")
    venues = store.frame("venues", ids=ids)
    # the event's own contents: its member contents (and placeholders, left out anyway)
    start, end = _span(ev, contents, reposts)
    return venues, store.venue_contents(ev.event_id, ids, start, end, contents["content_id"])


def _creators(
    ev: Event, venues: pd.DataFrame, contents: pd.DataFrame, reposts: pd.DataFrame
) -> list[str]:
    """The accounts that created one of the event's venues from its start on (sorted)."""
    if venues.empty:
        return []
    start, _ = _span(ev, contents, reposts)
    made = venues["creator_id"].notna()
    if start is not None:
        made &= (venues["created_at"] >= start).fillna(False)
    return sorted(set(venues.loc[made.to_numpy(dtype=bool), "creator_id"]))


def _moderation(
    store: Store,
    contents: pd.DataFrame,
    reposts: pd.DataFrame,
    accounts: list[str],
    venues: list[str],
    reports: pd.DataFrame,
) -> pd.DataFrame:
    """The moderation rows acting on the event's contents, reposts, accounts or venues, or
    answering its reports (none read when the store holds no moderation row)."""
    if store.count("moderation") == 0:
        return empty("moderation")
    parts = [
        store.frame(
            "moderation",
            ids=contents["content_id"].tolist() + reposts["repost_id"].tolist(),
            column="content_id",
        ),
        store.frame("moderation", ids=accounts, column="account_id"),
        store.frame("moderation", ids=venues, column="venue_id"),
        store.frame("moderation", ids=reports["report_id"].tolist(), column="report_id"),
    ]
    return coerce(
        "moderation",
        pd.concat(parts, ignore_index=True).drop_duplicates(subset=["action_id"]),
    )
