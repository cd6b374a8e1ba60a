"""Several read queries run as one (one round trip, one transaction).

A graph view or an account's page needs a handful of independent reads; each run on
its own costs a Bolt round trip, a transaction and the driver's per-query work.
:func:`bundle_query` nests them into one query: part ``i`` runs in its own
``CALL () { ... }`` subquery (no variable leaks in or out), its rows are collected
as maps of its returned columns into ``r<i>`` (an empty list when it has none), and
its parameters are renamed ``$p<i>_<name>`` (:func:`bundle_params`) so that parts
may use the same names.

The parts are this package's own fixed query texts (never input): the renaming is a
plain substitution of their ``$name`` placeholders.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def bundle_query(parts: Sequence[tuple[str, Sequence[str]]]) -> str:
    """One query returning one row: ``r0, r1, ...``, each the list of its part's rows
    (maps of the part's returned ``columns``, in the part's own order).

    ``parts``: ``(query, columns)`` with the names the query's ``RETURN`` gives."""
    if not parts:
        raise ValueError("no part to bundle")
    out = []
    for i, (query, columns) in enumerate(parts):
        if not columns or any(not _NAME.match(c) for c in columns):
            raise ValueError(f"bad column names {columns!r}")
        body = _PARAM.sub(rf"$p{i}_\1", query.strip())
        inner = "\n".join("    " + line for line in body.splitlines())
        fields = ", ".join(f"{c}: {c}" for c in columns)
        out.append(
            f"CALL () {{\n  CALL () {{\n{inner}\n  }}\n  RETURN collect({{{fields}}}) AS r{i}\n}}"
        )
    return "\n".join(out) + "\nRETURN " + ", ".join(f"r{i}" for i in range(len(parts))) + "\n"


def bundle_params(params: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The parameters of :func:`bundle_query`'s query: part ``i``'s ``name`` as ``p<i>_<name>``."""
    return {f"p{i}_{k}": v for i, p in enumerate(params) for k, v in p.items()}
