"""The files of a bulk import into an empty Neo4j database (``neo4j-admin database import
full``), written from what a load would store.

:class:`ImportWriter` takes the calls :func:`pileon.ingest.load.load_folder` makes on a
store (``upsert``, ``create_placeholders``, ``set_memberships`` …) and writes, instead of
transactions, CSV files in the header format of Neo4j's import tool: for each table its
nodes or relationships as :data:`pileon.graph.queries.tables.LAYOUT` declares them, the
relationships that follow its columns, the placeholders, the nodes that are only pointed at
(dangling: their key alone) and the event memberships.  The graph the import builds is the
one the ``UNWIND`` upserts of :class:`pileon.graph.neo4j_store.Neo4jStore` build from the
same load, node for node and property for property (``tests/test_neo4j_bulk.py`` compares
the two): labels, key properties, ``placeholder``, ``extra``, lists (``string[]``), times
(``datetime`` in UTC, to the nanosecond), integers (``long``), numbers (``double``) and
booleans.  A new table follows from its layout without code here.

Files, in the folder given (paths in the arguments are relative to it)::

    <group>.header.csv            the header line of a group of files
    <group>.csv                   its rows, every chunk loaded appended to it
    <group>.ml.csv                rows with a line break inside a text (read as multi-line)
    import.args                   the arguments of ``neo4j-admin database import full``

One data file per group, not one per chunk: before it imports anything, the import tool
parses up to 1 MiB of every file it is given, on one thread, to estimate the store's size
(``CsvInput.calculateEstimates`` in Neo4j 5), so a file per chunk (183 files at the
sample's scale 47) cost it about 40 s of parsing before the import began.

Strings are always quoted (an empty text stays an empty text; an empty cell is no
property); list items are joined by U+001F (:data:`ARRAY_DELIMITER`).  The writer keeps the
keys written (to find placeholders and dangling ends) and the events (membership reads
them), not the rows.

Import IDs are integers (``--id-type=INTEGER``): the writer numbers each label's keys in the
order it first meets them, as a node's row or as the end of a relationship, and writes the
key itself as a plain string property beside the ``:ID`` column (which the import does not
store).  The import tool then maps numbers instead of strings: on the sample at scale 47
(2.2M nodes, 4.7M relationships) it took 87.5 CPU s instead of 114.0 (its relationship
stage 15 s instead of 33 s; bench/RESULTS.md).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pileon.graph.errors import InputError
from pileon.graph.frames import coerce, empty, time_to_ns
from pileon.graph.model import PLACEHOLDER, TABLES, TZ, ColType
from pileon.graph.queries import tables as q_tables

__all__ = ["ARRAY_DELIMITER", "ImportPlan", "ImportWriter"]

#: between the items of a list cell (Neo4j's ``--array-delimiter``): a control character
#: that no identifier or keyword holds
ARRAY_DELIMITER = "\x1f"
ARGS_FILE = "import.args"
#: the header type of each value type (strings need none)
_HEADER_TYPE = {
    ColType.TIME: "datetime",
    ColType.FLOAT: "double",
    ColType.INT: "long",
    ColType.BOOL: "boolean",
    ColType.LIST: "string[]",
}
_LINE_BREAKS = ("\n", "\r")


def _kind(table: str, column: str) -> ColType | None:
    """The value type of a stored column (``placeholder`` bool, ``tz`` int, ``extra`` and
    strings None)."""
    t = TABLES[table]
    if column in t.column_names:
        return t.column(column).type
    if column == PLACEHOLDER:
        return ColType.BOOL
    if column == TZ:
        return ColType.INT
    return None


def _table(arrays: list[pa.Array]) -> pa.Table:
    return pa.table(arrays, names=[f"c{i}" for i in range(len(arrays))])


def _header(name: str, kind: ColType | None) -> str:
    typ = _HEADER_TYPE.get(kind) if kind is not None else None
    return f"{name}:{typ}" if typ else name


def _text_array(values: Sequence[Any] | np.ndarray) -> pa.Array:
    """Cells as text (None, NaN and NA missing), as the store sends strings."""
    arr = np.asarray(values, dtype=object)
    if pd.api.types.infer_dtype(arr, skipna=True) in ("string", "empty"):
        return pa.array(arr, type=pa.string(), from_pandas=True)
    return pa.array(
        [None if v is None or v is pd.NA or v != v else str(v) for v in arr], type=pa.string()
    )


def _column(kind: ColType | None, s: pd.Series) -> pa.Array:
    """One column as the import tool reads it (see the module docstring): whole arrays at
    once where the frame's dtype allows it, value by value otherwise."""
    if kind == ColType.TIME:
        t = pd.to_datetime(s, utc=True)
        text = np.datetime_as_string(t.dt.tz_localize(None).to_numpy("datetime64[ns]"), unit="ns")
        return pa.array(np.char.add(text, "Z"), type=pa.string(), mask=t.isna().to_numpy())
    if kind == ColType.FLOAT:
        return pa.array(pd.to_numeric(s, errors="coerce").astype("float64"), from_pandas=True)
    if kind == ColType.INT:
        if pd.api.types.is_integer_dtype(s.dtype) and not isinstance(s.dtype, pd.Int64Dtype):
            return pa.array(s.to_numpy(), type=pa.int64())
        ints = (
            s.array
            if isinstance(s.dtype, pd.Int64Dtype)
            else pd.array(
                [None if v is None or v is pd.NA or v != v else int(v) for v in s], dtype="Int64"
            )
        )
        return pa.array(ints, type=pa.int64(), from_pandas=True)
    if kind == ColType.BOOL:
        if s.dtype == bool:
            return pa.array(s.to_numpy(), type=pa.bool_())
        values = s.to_numpy(dtype=object)
        if pd.api.types.infer_dtype(values, skipna=True) in ("boolean", "empty"):
            return pa.array(values, type=pa.bool_(), from_pandas=True)
        return pa.array(
            [None if v is None or v is pd.NA or v != v else bool(v) for v in s], type=pa.bool_()
        )
    if kind == ColType.LIST:
        return _list_column(s)
    return _text_array(s.to_numpy(dtype=object))


def _string_lists(values: np.ndarray) -> pa.ListArray | None:
    """Cells of lists of text (or missing) as one list array; None when some cell is not
    such a list (the caller then goes value by value)."""
    try:
        arr = pa.array(values, type=pa.list_(pa.string()), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        return None
    # a text is not a list of characters: only list cells (and missing ones) qualify
    kinds = pd.api.types.infer_dtype(values, skipna=True)
    if kinds not in ("mixed", "empty") or pc.list_flatten(arr).null_count:
        return None
    return arr


def _list_column(s: pd.Series) -> pa.Array:
    """A list column as text with :data:`ARRAY_DELIMITER` between items; an empty list is
    no value."""
    lists = _string_lists(s.to_numpy(dtype=object))
    if lists is None:
        out: list[str | None] = []
        for v in s:
            if isinstance(v, (list, tuple, np.ndarray)) and len(v):
                items = [str(x) for x in v]
                if any(ARRAY_DELIMITER in x for x in items):
                    _delimiter_error()
                out.append(ARRAY_DELIMITER.join(items))
            else:
                out.append(None)
        return pa.array(out, type=pa.string())
    if pc.any(pc.match_substring(pc.list_flatten(lists), ARRAY_DELIMITER)).as_py():
        _delimiter_error()
    joined = pc.binary_join(lists, ARRAY_DELIMITER)
    filled = pc.fill_null(pc.list_value_length(lists), 0)
    return pc.if_else(pc.greater(filled, 0), joined, pa.scalar(None, pa.string()))


def _delimiter_error() -> None:
    raise InputError(
        "a list value holds the character U+001F, which the bulk import "
        "puts between list items: load without --bulk"
    )


@dataclass
class _Group:
    """One ``--nodes`` or ``--relationships`` argument: a header file and its data files."""

    option: str
    spec: str
    header: list[str]
    files: list[str] = field(default_factory=list)
    multiline: list[str] = field(default_factory=list)
    rows: int = 0


@dataclass(frozen=True)
class ImportPlan:
    """A written import folder: its arguments, and the nodes and relationships the import
    must end with (checked after it ran)."""

    folder: Path
    args: list[str]
    nodes: int
    relationships: int

    def command(self, admin: str = "neo4j-admin", database: str = "neo4j") -> str:
        """The command that imports the folder, run in it on the server (database stopped)."""
        return (
            f"cd {shlex.quote(str(self.folder))} && {admin} database import full "
            f"--overwrite-destination @{ARGS_FILE} {shlex.quote(database)}"
        )


class ImportWriter:
    """Writes a load into the files of a bulk import (see the module docstring).

    Parameters
    ----------
    folder : path
        Where to write; created, and it must hold no files.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        if any(self.folder.iterdir()):
            raise InputError(f"{self.folder}: the folder for the import files must be empty")
        self.uri = str(self.folder)
        self._groups: dict[str, _Group] = {}
        #: node keys written, per label of the key (rows and placeholders)
        self._held: dict[str, set[str]] = {label: set() for label in q_tables.NODE_KEY}
        #: the import ID of every key met, per label: of a node written, or of the end of
        #: a relationship (dangling unless held at the end)
        self._ids: dict[str, dict[str, int]] = {label: {} for label in q_tables.NODE_KEY}
        self._counts: dict[str, int] = {}
        self._events: list[pd.DataFrame] = []
        #: links to existing nodes only (``create_missing=False``), written at the end
        #: to the nodes loaded by then: (table, link, label, row keys, other keys)
        self._later: list[tuple[str, q_tables.Link, str, list[str], list[str]]] = []

    # ------------------------------------------------------------ the store's calls
    def count(self, table: str) -> int:
        """Rows written of ``table``."""
        if table not in TABLES:
            raise KeyError(table)
        return self._counts.get(table, 0)

    def frame(
        self, table: str, *, ids: Iterable[str] | None = None, column: str | None = None
    ) -> pd.DataFrame:
        """The events written (the one table a load reads back); placeholders aside."""
        if table != "events" or ids is not None:
            raise NotImplementedError("an import folder reads back its whole events table only")
        if not self._events:
            return empty("events")
        return coerce("events", pd.concat(self._events, ignore_index=True))

    def set_ingest_mark(self, mark: dict[str, Any] | None) -> None:
        """Nothing to mark: the import replaces the whole database in one step, and a
        failed import leaves it empty (``scripts/neo4j-local import``), so no load is ever
        half-stored in it."""

    def missing_ids(self, kind: str, ids: Iterable[str]) -> set[str]:
        label = q_tables.KIND[kind][0]
        return {str(i) for i in ids if i} - self._held[label]

    def create_placeholders(self, kind: str, ids: Iterable[str]) -> int:
        label, key = q_tables.KIND[kind]
        new = sorted(self.missing_ids(kind, ids))
        if new:
            group = self._group(
                f"placeholders.{label}",
                "--nodes",
                label,
                [f":ID({label})", key, f"{PLACEHOLDER}:boolean"],
            )
            self._write(
                group,
                _table(
                    [
                        self._id_array(label, new),
                        pa.array(new, type=pa.string()),
                        pa.array([True] * len(new)),
                    ]
                ),
            )
            self._held[label].update(new)
        return len(new)

    def upsert(self, table: str, rows: pd.DataFrame) -> int:
        """Write the rows of ``table`` (last row wins per key) and the relationships that
        follow their columns."""
        if table not in TABLES:
            raise KeyError(table)
        if rows.empty:
            return 0
        lay = q_tables.LAYOUT[table]
        t = TABLES[table]
        if isinstance(lay, q_tables.NodeRows):
            missing = {c: v for c, v in lay.defaults if c not in rows.columns}
            if missing:
                rows = rows.assign(**missing)
        n = len(rows)
        key_values = {
            c: _text_array(rows[c].to_numpy(dtype=object)).to_pylist()
            if t.column(c).type != ColType.TIME
            else []
            for c in t.key
            if c in rows.columns
        }
        key_times = {
            c: time_to_ns(rows[c] if c in rows.columns else pd.Series([None] * n))
            for c in t.key
            if t.column(c).type == ColType.TIME
        }
        keys = q_tables.row_keys(table, key_values, key_times)
        keep = ~pd.Series(keys).duplicated(keep="last").to_numpy()
        if not keep.all():
            rows = rows[keep]
            keys = [k for k, kept in zip(keys, keep) if kept]
        props = [c for c in q_tables.property_columns(table) if c in rows.columns or c in t.key]
        if isinstance(lay, q_tables.NodeRows):
            props += [c for c, _ in lay.defaults if c not in props]
            self._node_rows(table, lay, rows, keys, props)
        else:
            self._relationship_rows(table, lay, rows, keys, props)
        if table == "events":
            self._events.append(rows)
        self._counts[table] = self._counts.get(table, 0) + len(rows)
        return n

    def set_memberships(self, memberships: pd.DataFrame) -> None:
        m = memberships.drop_duplicates(subset=["content_id", "event_id"], keep="first")
        if m.empty:
            return
        group = self._group(
            "memberships",
            "--relationships",
            "IN_EVENT",
            [":START_ID(Content)", ":END_ID(Event)", "via"],
        )
        cols = [_text_array(m[c].to_numpy(dtype=object)) for c in ("content_id", "event_id", "via")]
        ends = [self._id_array(x, c.to_pylist()) for x, c in zip(("Content", "Event"), cols)]
        self._write(group, _table([*ends, cols[2]]))

    # ----------------------------------------------------------------- the end
    def finish(self) -> ImportPlan:
        """Write the links to loaded nodes only, the dangling nodes and the arguments
        file; return the plan."""
        for table, link, label, starts, others in self._later:
            held = self._held[link.label]
            kept = [(a, b) for a, b in zip(starts, others) if b in held]
            if kept:
                self._link_rows(table, link, label, [a for a, _ in kept], [b for _, b in kept])
        for label, ids in self._ids.items():
            held = self._held[label]
            dangling = sorted(k for k in ids if k not in held)
            if dangling:
                key = q_tables.NODE_KEY[label]
                group = self._group(f"dangling.{label}", "--nodes", label, [f":ID({label})", key])
                self._write(
                    group,
                    _table([self._id_array(label, dangling), pa.array(dangling, type=pa.string())]),
                )
                held.update(dangling)
        args = [
            f"{g.option}={g.spec}={','.join([f'{name}.header.csv', *g.files])}"
            for name, g in self._groups.items()
        ]
        args += ["--array-delimiter=U+001F", "--id-type=INTEGER"]
        multiline = [f for g in self._groups.values() for f in g.multiline]
        if multiline:
            args += [f"--multiline-fields={','.join(multiline)}", "--multiline-fields-format=v2"]
        (self.folder / ARGS_FILE).write_text("\n".join(args) + "\n", encoding="utf-8")
        nodes = sum(g.rows for g in self._groups.values() if g.option == "--nodes")
        rels = sum(g.rows for g in self._groups.values() if g.option == "--relationships")
        return ImportPlan(self.folder, args, nodes, rels)

    # --------------------------------------------------------------- internals
    def _node_rows(
        self,
        table: str,
        lay: q_tables.NodeRows,
        rows: pd.DataFrame,
        keys: list[Any],
        props: list[str],
    ) -> None:
        label, key = lay.labels[0], lay.key
        held = self._held[label]
        if not held.isdisjoint(keys):
            clash = next(k for k in keys if k in held)
            raise InputError(
                f"{table}: key {clash} is already the key of another {label} node (the store "
                f"would merge the two rows into one node): load without --bulk"
            )
        held.update(keys)
        cols = [c for c in props if c != key]
        kinds = [_kind(table, c) for c in cols]
        group = self._group(
            table,
            "--nodes",
            ":".join(lay.labels),
            [f":ID({label})", key, *(_header(c, k) for c, k in zip(cols, kinds))],
        )
        arrays = [self._id_array(label, keys), pa.array(keys, type=pa.string())]
        arrays += [
            _column(k, rows[c] if c in rows.columns else pd.Series([None] * len(rows)))
            for c, k in zip(cols, kinds)
        ]
        self._write(group, _table(arrays))
        for link in lay.links:
            if link.column not in rows.columns:
                continue
            starts, others = self._link_pairs(keys, rows[link.column])
            if not starts:
                continue
            if not link.create_missing:
                self._later.append((table, link, label, starts, others))
                continue
            self._link_rows(table, link, label, starts, others)

    def _link_rows(
        self, table: str, link: q_tables.Link, label: str, starts: list[str], others: list[str]
    ) -> None:
        """The relationships ``link`` from the nodes ``starts`` (of ``label``) to ``others``."""
        a, b = (label, link.label) if link.outgoing else (link.label, label)
        group = self._group(
            f"{table}.{link.type}.{link.label}",
            "--relationships",
            link.type,
            [f":START_ID({a})", f":END_ID({b})"],
        )
        ids = [self._id_array(label, starts), self._id_array(link.label, others)]
        self._write(group, _table(ids if link.outgoing else ids[::-1]))

    @staticmethod
    def _link_pairs(keys: list[Any], values: pd.Series) -> tuple[list[str], list[str]]:
        """``(row keys, other keys)`` of a link: one pair per value, per distinct item of
        a list (in the list's order)."""
        cells = values.to_numpy(dtype=object)
        kinds = pd.api.types.infer_dtype(cells, skipna=True)
        if kinds == "string":  # one text per row, or none
            held = pd.notna(cells)
            return np.asarray(keys, dtype=object)[held].tolist(), cells[held].tolist()
        lists = _string_lists(cells) if kinds != "empty" else None
        if lists is not None:
            pairs = pd.DataFrame(
                {
                    "row": pc.list_parent_indices(lists).to_numpy(),
                    "item": pc.list_flatten(lists).to_numpy(zero_copy_only=False),
                }
            ).drop_duplicates(keep="first")
            rows = np.asarray(keys, dtype=object)[pairs["row"].to_numpy()]
            return rows.tolist(), pairs["item"].tolist()
        starts: list[str] = []
        others: list[str] = []
        for k, v in zip(keys, cells):
            if v is None or v is pd.NA or (isinstance(v, float) and v != v):
                continue
            if isinstance(v, (list, tuple, np.ndarray)):
                for x in dict.fromkeys(str(i) for i in v):
                    starts.append(k)
                    others.append(x)
            else:
                starts.append(k)
                others.append(str(v))
        return starts, others

    def _relationship_rows(
        self,
        table: str,
        lay: q_tables.RelationshipRows,
        rows: pd.DataFrame,
        keys: list[Any],
        props: list[str],
    ) -> None:
        s, e = lay.start, lay.end
        kinds = [_kind(table, c) for c in props]
        group = self._group(
            table,
            "--relationships",
            lay.type,
            [
                f":START_ID({s.label})",
                f":END_ID({e.label})",
                lay.key,
                *(_header(c, k) for c, k in zip(props, kinds)),
            ],
        )
        starts = _text_array(rows[s.column].to_numpy(dtype=object)).to_pylist()
        ends = _text_array(rows[e.column].to_numpy(dtype=object)).to_pylist()
        arrays = [
            self._id_array(s.label, starts),
            self._id_array(e.label, ends),
            pa.array(keys, type=pa.string()),
        ]
        arrays += [
            _column(k, rows[c] if c in rows.columns else pd.Series([None] * len(rows)))
            for c, k in zip(props, kinds)
        ]
        self._write(group, _table(arrays))

    def _id_array(self, label: str, keys: Iterable[str]) -> pa.Array:
        """The import IDs of ``keys`` (of nodes of ``label``), numbering the keys not met
        before in their order."""
        ids = self._ids[label]
        return pa.array([ids.setdefault(k, len(ids)) for k in keys], type=pa.int64())

    def _group(self, name: str, option: str, spec: str, header: list[str]) -> _Group:
        group = self._groups.get(name)
        if group is None:
            group = _Group(option, spec, header)
            self._groups[name] = group
            (self.folder / f"{name}.header.csv").write_text(
                ",".join(header) + "\n",
                encoding="utf-8",
            )
        return group

    def _write(self, group: _Group, table: pa.Table) -> None:
        """Append ``table`` to ``group``'s files: rows with a line break in a text to the one
        the import reads as multi-line, the others to the plain one."""
        if table.num_rows == 0:
            return
        broken = None
        for col in table.columns:
            if pa.types.is_string(col.type):
                for brk in _LINE_BREAKS:  # plain searches: a regular expression costs more
                    hit = pc.fill_null(pc.match_substring(col, brk), False)
                    broken = hit if broken is None else pc.or_(broken, hit)
        name = next(k for k, g in self._groups.items() if g is group)
        parts = [(table, False)]
        if broken is not None and pc.any(broken).as_py():
            parts = [(table.filter(pc.invert(broken)), False), (table.filter(broken), True)]
        for part, multiline in parts:
            if part.num_rows == 0:
                continue
            fname = f"{name}.{'ml.' if multiline else ''}csv"
            with open(self.folder / fname, "ab") as sink:  # the group's one file of its kind
                pacsv.write_csv(
                    part, sink, pacsv.WriteOptions(include_header=False, quoting_style="needed")
                )
            if fname not in group.files:
                group.files.append(fname)
                if multiline:
                    group.multiline.append(fname)
            group.rows += part.num_rows
