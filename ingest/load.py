"""The load job: files -> validate -> normalise -> store; the reject file; the summary.

>>> import tempfile, pathlib
>>> from pileon.graph.embedded import EmbeddedStore
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "accounts.csv").write_text("account_id,platform,followers\\nweibo:1,weibo,10\\nweibo:2,weibo,-3\\n")
>>> s = load_folder(EmbeddedStore(str(d / "t.db")), d, reject_path=d / "rejects.csv")
>>> s.tables["accounts"].to_dict()
{'read': 2, 'stored': 1, 'rejected': 1, 'placeholders': 0}
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import Any

import pandas as pd

from pileon.graph.errors import InputError
from pileon.graph.frames import coerce, empty
from pileon.graph.model import LOAD_ORDER, TABLES
from pileon.graph.store import Store
from pileon.ingest.membership import (
    DEFAULT_MARGIN,
    INPUT_COLUMNS,
    compute_memberships,
    window_margin,
)
from pileon.ingest.readers import CHUNK_ROWS, find_tables, read_chunks, read_header
from pileon.ingest.tables import Rejected, validate

DEFAULT_REJECTS = "pileon-rejects.csv"
#: first characters that make a spreadsheet read a cell as a formula (OWASP's list)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: Any) -> Any:
    """A cell of a CSV meant for people (the reject file): text that a spreadsheet would
    run as a formula gets a leading ``'``; anything else is kept as it is.

    Machine-read CSVs (the co-activity edge list, converted input tables) stay exact.

    >>> [spreadsheet_text(v) for v in ("=1+1", "-3", "weibo:1", 7)]
    ["'=1+1", "'-3", 'weibo:1', 7]
    """
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def _reject_row(table: str, line: int, reason: str, raw: str) -> list[Any]:
    return [spreadsheet_text(v) for v in (table, line, reason, raw)]


#: the tables whose keys hold the nodes of each reference kind (see ``Store.missing_ids``)
_HELD_IN = {
    "account": ("accounts",),
    "content": ("contents", "reposts"),
    "mcn": ("mcns",),
    "venue": ("venues",),
}


@dataclass
class TableCount:
    """Per-table counts; ``read == stored + rejected`` always."""

    read: int = 0
    stored: int = 0
    rejected: int = 0
    placeholders: int = 0

    def to_dict(self) -> dict[str, int]:
        return {
            "read": self.read,
            "stored": self.stored,
            "rejected": self.rejected,
            "placeholders": self.placeholders,
        }


@dataclass
class LoadSummary:
    """What a load did (SPEC §2 ``--json`` summary)."""

    tables: dict[str, TableCount] = field(default_factory=dict)
    rejects: str = ""
    memberships: dict[str, int] = field(default_factory=dict)
    #: what the alert pass after the load did (:func:`pileon.service.ingest.ingest` fills it)
    alerts: dict[str, Any] = field(default_factory=dict)
    #: with ``keep``: the store's ``contents`` and ``reposts`` after the load (the columns
    #: asked for; placeholders may be missing) and ``memberships``, as the load had them
    frames: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"tables": {k: v.to_dict() for k, v in self.tables.items()}, "rejects": self.rejects}


class _NullBar:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, s: str) -> None:
        pass


def _bar(show: bool, desc: str, total: int | None):
    if not show:
        return nullcontext(_NullBar())
    from tqdm import tqdm

    return tqdm(
        total=total, desc=desc, unit=" rows", unit_scale=True, leave=False, dynamic_ncols=True
    )


def _row_estimate(path: Path) -> int | None:
    """A cheap row count for the progress bar (newlines; Parquet metadata)."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    n = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            n += block.count(b"\n")
    return max(n - (1 if path.suffix == ".csv" else 0), 0)


def _collect(ids: set, values: pd.Series) -> None:
    """Add the IDs of a reference column (cells: an ID or None, or lists of IDs) to ``ids``."""
    arr = values.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(arr, skipna=True) in ("string", "empty"):
        ids.update(pd.unique(arr[~pd.isna(arr)]).tolist())
    elif any(isinstance(v, list) for v in arr):
        ids.update(chain.from_iterable(v or () for v in arr))
    else:
        ids.update(values.dropna().tolist())


def _kept_frame(table: str, chunks: list[pd.DataFrame], cols: Sequence[str]) -> pd.DataFrame:
    """The columns ``cols`` of the validated rows of ``table``, missing columns as None."""
    cols = list(cols)
    if not chunks:
        return empty(table)[cols]
    # JSONL chunks lack the keys that none of their rows has
    return pd.concat(
        [g.assign(**{c: None for c in cols if c not in g.columns})[cols] for g in chunks],
        ignore_index=True,
    )


def load_folder(
    store: Store,
    folder: str | Path,
    *,
    reject_path: str | Path | None = None,
    show_progress: bool = False,
    chunk_rows: int = CHUNK_ROWS,
    margin: pd.Timedelta | str | float = DEFAULT_MARGIN,
    source: str | None = None,
    keep: Mapping[str, Sequence[str]] | None = None,
) -> LoadSummary:
    """Load every table file of ``folder`` into ``store``.

    Parameters
    ----------
    store : Store
        Where to load.
    folder : path
        A folder of ``<table>.csv|jsonl|parquet`` files (SPEC §2).
    reject_path : path, optional
        The reject file (CSV: table, line, reason, raw); default ``pileon-rejects.csv``
        in the working folder.  Always written, header only when nothing was rejected.
        Meant for people: cells that would run as spreadsheet formulas are escaped
        (:func:`spreadsheet_text`).
    show_progress : bool
        Show a progress bar per table (tqdm, on stderr).
    chunk_rows : int
        Rows per chunk: memory stays bounded whatever the file size.
    margin : Timedelta, str or float, default 48 hours
        How long before its start an event's window opens, for the contents that join it
        by text, copy or media (a number: hours); see :mod:`pileon.ingest.membership`.
    source : str, optional
        What the ingest mark names as the load to run again when it is interrupted
        (default: ``pileon ingest FOLDER``; the API names its upload).
    keep : mapping, optional
        ``{"contents": columns, "reposts": columns}``: give the store's contents and
        reposts after the load back in ``summary.frames`` (with ``memberships``), as
        :meth:`~pileon.graph.store.Store.frame` gives them but with these columns only and
        without placeholders, for a caller that goes on with them (the alert pass), so
        that it need not read them back.  Into an empty store they are the rows loaded.

    Returns
    -------
    LoadSummary

    Raises
    ------
    InputError
        When a file cannot be read, or lacks a required column, before anything is stored
        for it.

    Notes
    -----
    Upsert by key, so loading the same folder twice changes nothing, and loading it
    again after an interruption completes the load.  The store is marked "ingest in
    progress" (``Store.set_ingest_mark``) from before the first row is stored until the
    load is whole; an interrupted load leaves the mark set.  After all
    tables, unknown referenced accounts, contents, MCNs and venues become placeholder
    nodes (counted on the first table that referenced them), and event
    membership is recomputed over the whole store.  O(rows) plus membership.
    """
    folder = Path(folder)
    margin = window_margin(margin)
    files = find_tables(folder)
    if not files:
        raise InputError(
            f"{folder}: no table files (expected e.g. accounts.csv, contents.jsonl, "
            f"reposts.parquet)"
        )
    # check every file before loading any: a broken file fails the whole load early
    for name, path in files.items():
        header = read_header(path)
        missing = [c for c in TABLES[name].required if c not in header]
        if missing and path.suffix != ".jsonl":
            raise InputError(
                f"{path}: missing required column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)}"
            )

    reject_path = Path(reject_path or DEFAULT_REJECTS)
    summary = LoadSummary(rejects=str(reject_path))
    try:
        rej_file = open(reject_path, "w", encoding="utf-8", newline="")
    except OSError as exc:
        raise InputError(f"{reject_path}: cannot write the reject file ({exc.strerror})") from None
    # set before anything is stored, cleared once the load is whole: an interrupted load
    # (killed, out of memory, a failure) leaves it for /healthz and analyze to report
    started = datetime.now(UTC).isoformat(timespec="seconds")
    store.set_ingest_mark(
        {
            "started_at": started,
            "source": source or str(folder.resolve()),
            "command": None if source else _ingest_command(folder, margin),
        }
    )
    # the embedded store loads faster inside its bulk_load (same result)
    bulk = getattr(store, "bulk_load", None)
    with bulk() if bulk is not None else nullcontext():
        rows = _load_tables(
            store, files, rej_file, summary, show_progress, chunk_rows, margin, keep
        )
    # the embedded store keeps its reposts as integer codes for `pileon coactivity`: made
    # here, once per load that stored reposts, the command's first run is as quick as the next
    # (from the rows just loaded when the table was empty, else read back from the table)
    loaded = summary.tables.get("reposts")
    if loaded is not None and loaded.stored:
        keep_rows = getattr(store, "keep_repost_codes", None)
        if rows is None or keep_rows is None or not keep_rows(rows):
            keep_codes = getattr(store, "repost_codes", None)
            if keep_codes is not None:
                keep_codes()
    del rows
    store.set_ingest_mark(None)
    return summary


def _ingest_command(folder: Path, margin: pd.Timedelta) -> str:
    """The command that loads ``folder`` again with the same options."""
    command = f"pileon ingest {folder.resolve()}"
    if margin != window_margin(DEFAULT_MARGIN):
        command += f" --margin-hours {margin / pd.Timedelta(hours=1):g}"
    return command


def _load_tables(
    store: Store,
    files: dict[str, Path],
    rej_file,
    summary: LoadSummary,
    show_progress: bool,
    chunk_rows: int,
    margin: pd.Timedelta | str | float = DEFAULT_MARGIN,
    keep: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame | None:
    """The body of :func:`load_folder`: tables, placeholders, event membership.

    Returns ``account_id, source_id, reposted_at`` of the reposts loaded into an empty
    store (the rows the table then holds, in order), for ``store.keep_repost_codes``;
    None otherwise.

    Notes
    -----
    Into a store that holds no contents and no reposts yet, membership runs on the
    columns it needs of the rows just validated (they are then exactly what the store
    holds, placeholders aside, which membership skips) instead of reading both tables
    back, and the embedded store keeps its reposts' integer codes from them too.
    References to keys loaded here are known to exist and are not looked up again
    for placeholders.  O(rows) plus membership.
    """
    refs: dict[tuple[str, str], set[str]] = {}
    loaded: dict[str, set] = {}  # the keys stored from each table's file
    kept: dict[str, list[pd.DataFrame]] | None = None
    keep_codes = getattr(store, "keep_repost_codes", None)
    rows: pd.DataFrame | None = None
    # the columns kept of the rows loaded: membership's, the codes' (``account_id``) and the
    # caller's (``keep``) that rows have (not ``placeholder``: the rows loaded are no
    # placeholders)
    columns = {
        t: list(
            dict.fromkeys(
                [
                    *cols,
                    *(("account_id",) if t == "reposts" and keep_codes is not None else ()),
                    *(
                        c
                        for c in (keep or {}).get(t, ())
                        if c in TABLES[t].column_names or c == "extra"
                    ),
                ]
            )
        )
        for t, cols in INPUT_COLUMNS.items()
    }
    if all(store.count(t) == 0 for t in INPUT_COLUMNS):
        kept = {t: [] for t in INPUT_COLUMNS}
    with rej_file:
        writer = csv.writer(rej_file)
        writer.writerow(["table", "line", "reason", "raw"])
        for name in LOAD_ORDER:
            if name not in files:
                continue
            path = files[name]
            count = summary.tables.setdefault(name, TableCount())
            seen = loaded.setdefault(name, set())
            with _bar(
                show_progress, f"{path.name}", _row_estimate(path) if show_progress else None
            ) as bar:
                for raw, lines, bad_lines in read_chunks(path, chunk_rows=chunk_rows):
                    for line, reason, text in bad_lines:
                        writer.writerow(_reject_row(name, line, reason, text))
                    count.read += len(raw) + len(bad_lines)
                    count.rejected += len(bad_lines)
                    good, rej = validate(name, raw, lines, seen) if len(raw) else (raw, Rejected())
                    for line, reason, text in zip(rej.lines, rej.reasons, rej.raws):
                        writer.writerow(_reject_row(name, line, reason, text))
                    count.rejected += len(rej)
                    if len(good):
                        count.stored += store.upsert(name, good)
                        for r in TABLES[name].references:
                            if r.column in good.columns:
                                _collect(refs.setdefault((name, r.kind), set()), good[r.column])
                        if kept is not None and name in kept:
                            kept[name].append(good[[c for c in columns[name] if c in good.columns]])
                    bar.update(len(raw) + len(bad_lines))

    # placeholders for dangling references, counted on the first table that made them
    for name in LOAD_ORDER:
        for r in TABLES[name].references:
            ids = refs.get((name, r.kind))
            if ids:
                ids = ids.difference(*(loaded.get(t, ()) for t in _HELD_IN[r.kind]))
                made = store.create_placeholders(r.kind, ids)
                summary.tables[name].placeholders += made

    with _bar(show_progress, "event membership", None):
        if kept is not None:
            contents, reposts = (
                _kept_frame(t, kept.pop(t), columns[t]) for t in ("contents", "reposts")
            )
        else:
            contents, reposts = store.frame("contents"), store.frame("reposts")
        members = compute_memberships(store.frame("events"), contents, reposts, margin=margin)
        store.set_memberships(members)
        stored = summary.tables.get("reposts")
        if kept is not None and keep_codes is not None and stored is not None and stored.stored:
            rows = reposts[["account_id", "source_id", "reposted_at"]]
        if keep:
            summary.frames = {
                t: coerce(t, df)[list(keep[t])] if kept is not None else df[list(keep[t])]
                for t, df in (("contents", contents), ("reposts", reposts))
            }
            summary.frames["memberships"] = members
        del contents, reposts
    summary.memberships = members.groupby("event_id").size().astype(int).to_dict()
    return rows
