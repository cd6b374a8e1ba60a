"""The co-repost edge list (SPEC §3) of an event or of the whole store.

On the embedded store the reposts are read as integer codes
(:mod:`pileon.graph.codes`) and paired by
:func:`pileon.detectors.coactivity_codes.coactivity_codes`: numpy only, so
:func:`coactivity_csv` (``pileon coactivity``) never imports pandas there.  On Neo4j
the reposts are read as a frame and paired by
:func:`pileon.detectors.coactivity.coactivity`.  Both give the same pairs, in the
same order, as the same CSV bytes.
"""

from __future__ import annotations

import csv
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pileon.graph.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from pileon.graph.codes import RepostCodes
    from pileon.graph.store import Store
    from pileon.settings import Settings

__all__ = ["Pairs", "coactivity_csv", "coactivity_edges", "code_pairs", "write_pairs_csv"]

#: ``(account_a, account_b, weight)``: two object arrays of account IDs and int64 weights
Pairs = tuple[np.ndarray, np.ndarray, np.ndarray]


def code_pairs(
    codes: RepostCodes,
    *,
    window: float,
    min_weight: int = 1,
    show_progress: bool = False,
) -> Pairs:
    """The co-repost pairs of coded reposts, as account IDs (``account_a < account_b``,
    sorted by both, as :func:`pileon.detectors.coactivity.coactivity` orders them)."""
    from pileon.detectors.coactivity_codes import coactivity_codes
    from pileon.graph.arrays import distinct

    progress: Callable[[int, int], None] | None = None
    bar = None
    if show_progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=0, unit="pair", desc="co-reposts")

        def progress(done: int, total: int) -> None:
            assert bar is not None
            bar.total = total
            bar.update(done - bar.n)

    try:
        a, b, w = coactivity_codes(
            codes.account,
            codes.source,
            codes.time,
            window=window,
            min_weight=min_weight,
            progress=progress,
        )
    finally:
        if bar is not None:
            bar.close()
    # names once per distinct account of the output (codes follow the names' order)
    used = distinct(np.concatenate([a, b]))  # one sort (numpy's unique of integers hashes)
    names = codes.names(used)
    return names[np.searchsorted(used, a)], names[np.searchsorted(used, b)], w


def write_pairs_csv(pairs: Pairs, path: str | os.PathLike[str]) -> int:
    """Write pairs as :func:`pileon.detectors.coactivity.write_coactivity_csv` writes an
    edge list (the same bytes: header ``account_a,account_b,weight``, UTF-8, ``\\n``,
    minimal quoting); return the number of pairs.  O(pairs)."""
    a, b, w = pairs
    with open(path, "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        out.writerow(("account_a", "account_b", "weight"))
        out.writerows(zip(a.tolist(), b.tolist(), w.tolist()))
    return len(w)


def coactivity_edges(
    store: Store,
    *,
    window: float,
    min_weight: int = 1,
    event_id: str | None = None,
    show_progress: bool = False,
) -> tuple[pd.DataFrame, int]:
    """The exact co-repost network of ``event_id``'s reposts, or of every repost in the store.

    Returns ``(edges, reposts)``: ``account_a, account_b, weight`` as
    :func:`pileon.detectors.coactivity.coactivity` gives them, and the number of
    reposts read.
    """
    import pandas as pd

    from pileon.graph.embedded import EmbeddedStore

    if isinstance(store, EmbeddedStore):
        codes = store.repost_codes(event_id)
        a, b, w = code_pairs(
            codes, window=window, min_weight=min_weight, show_progress=show_progress
        )
        edges = pd.DataFrame(
            {"account_a": a, "account_b": b, "weight": w.astype(np.int64)},
            columns=["account_a", "account_b", "weight"],
        )
        return edges, len(codes)
    from pileon.detectors.coactivity import coactivity
    from pileon.graph.projection import project

    reposts = project(store, event_id).reposts if event_id else store.frame("reposts")
    edges = coactivity(reposts, window=window, min_weight=min_weight, show_progress=show_progress)
    return edges, len(reposts)


def coactivity_csv(
    settings: Settings,
    out: str | os.PathLike[str],
    *,
    window: float,
    min_weight: int = 1,
    event_id: str | None = None,
    show_progress: bool = False,
) -> tuple[int, int]:
    """Write the co-repost network of the store ``settings`` name to ``out`` (CSV);
    return ``(pairs, reposts)``.

    An embedded store's existing file is read through :mod:`pileon.graph.codes`
    directly (no store object, no pandas); any other store is opened as usual.
    """
    from pileon.graph.uri import embedded_path

    path = embedded_path(settings.store)
    con = _codes_connection(path) if path is not None else None
    if con is None:
        with settings.open_store() as store:
            edges, n_reposts = coactivity_edges(
                store,
                window=window,
                min_weight=min_weight,
                event_id=event_id,
                show_progress=show_progress,
            )
        pairs: Pairs = (
            edges["account_a"].to_numpy(dtype=object),
            edges["account_b"].to_numpy(dtype=object),
            edges["weight"].to_numpy(dtype=np.int64),
        )
    else:
        from pileon.graph.codes import read_repost_codes

        try:
            codes = read_repost_codes(con, event_id)
        finally:
            con.close()
        pairs = code_pairs(codes, window=window, min_weight=min_weight, show_progress=show_progress)
        n_reposts = len(codes)
    try:
        n = write_pairs_csv(pairs, out)
    except OSError as exc:
        raise InputError(f"{out}: cannot write ({exc.strerror or exc})") from None
    return n, n_reposts


def _codes_connection(path: str) -> sqlite3.Connection | None:
    """A connection to an embedded store's existing file that holds the kept codes' table
    (made by :class:`pileon.graph.embedded.EmbeddedStore`), else None (then the store is
    opened as usual, which makes a new file or the table)."""
    if not Path(path).is_file():
        return None
    try:
        con = sqlite3.connect(path, timeout=60)
        found = con.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
            "AND name IN ('repost_codes', 'reposts', 'events', 'memberships')"
        ).fetchone()[0]
    except sqlite3.Error:
        return None
    if found != 4:
        con.close()
        return None
    return con
