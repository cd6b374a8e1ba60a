"""The event's account graph for Gephi and other graph tools.

Nodes are the event's accounts (with their findings as attributes) and its
MCNs; edges are who reposted whom (``repost``), co-activity (``coactivity``,
the exact co-repost network of :mod:`pileon.detectors.coactivity`) and MCN
affiliations valid while the account acted in the event (``mcn``, as the report's ``mcn_ids``; every
affiliation when the event has no time: :mod:`pileon.detectors.affiliations`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import networkx as nx
import pandas as pd

from pileon.detectors.affiliations import valid_affiliations
from pileon.detectors.coactivity import coactivity
from pileon.graph.projection import Projection


def _numbers(finding: Mapping[str, Any], **kinds: Callable[[Any], float]) -> dict[str, float]:
    """The finding's numeric fields that are known (GraphML and GEXF cannot hold nulls)."""
    return {k: cast(finding[k]) for k, cast in kinds.items() if finding.get(k) is not None}


def account_graph(
    p: Projection, report: Mapping[str, Any] | None = None, *, window: float = 60.0
) -> nx.MultiDiGraph:
    """The event's account graph with findings on the nodes.

    Parameters
    ----------
    p : Projection
        The event.
    report : dict, optional
        The event's SPEC §4 report; its findings become node attributes
        (``rank, score, tier, roles, cluster_id, mcn_ids, priority``).
    window : float
        Seconds for the co-activity edges.

    Returns
    -------
    networkx.MultiDiGraph
        Node attributes are scalars (lists joined with ``,``) so GraphML and
        GEXF writers take them; ``rank``, ``score`` and ``tier`` are left out
        where unknown (no finding, or a null in the report), never written as
        a made-up 0. Every edge has ``kind`` and ``weight``.

    Notes
    -----
    O(R log R + P) for R reposts and P co-active pairs.
    """
    g = nx.MultiDiGraph(event_id=p.event_id, name=p.event.name)
    found = {a["account_id"]: a for a in (report or {}).get("accounts", [])}
    for acc in p.accounts.itertuples(index=False):
        f = found.get(acc.account_id, {})
        g.add_node(
            acc.account_id,
            kind="account",
            label=acc.name or acc.account_id,
            platform=acc.platform or "",
            placeholder=bool(acc.placeholder),
            followers=int(acc.followers) if pd.notna(acc.followers) else -1,
            **_numbers(f, rank=int, score=float, tier=int),
            roles=",".join(f.get("roles") or []),
            cluster_id=f.get("cluster_id") or "",
            mcn_ids=",".join(f.get("mcn_ids") or []),
            priority=f.get("priority") or "",
            refer=bool(f.get("refer", False)),
        )
    # who reposted whom: repost author -> author of the immediate parent
    author = dict(zip(p.contents["content_id"], p.contents["account_id"]))
    author.update(zip(p.reposts["repost_id"], p.reposts["account_id"]))
    r = p.reposts.assign(parent_author=p.reposts["source_id"].map(author)).dropna(
        subset=["parent_author", "account_id"]
    )
    r = r[r["account_id"] != r["parent_author"]]
    for (a, b), n in r.groupby(["account_id", "parent_author"]).size().items():
        g.add_edge(a, b, kind="repost", weight=int(n))
    co = coactivity(p.reposts, window=window)
    for a, b, w in co.itertuples(index=False):
        g.add_edge(a, b, kind="coactivity", weight=int(w))
    mcn_names = dict(zip(p.mcns["mcn_id"], p.mcns["name"]))
    mcn_found = {m["mcn_id"]: m for m in (report or {}).get("mcns", [])}
    for aff in valid_affiliations(p, keep_undated=True).itertuples(index=False):
        m = mcn_found.get(aff.mcn_id, {})
        if aff.mcn_id not in g:
            g.add_node(
                aff.mcn_id,
                kind="mcn",
                label=mcn_names.get(aff.mcn_id) or aff.mcn_id,
                **_numbers(m, rank=int, score=float),
                measures=",".join(m.get("measures") or []),
            )
        g.add_edge(aff.account_id, aff.mcn_id, kind="mcn", weight=1)
    return g


def write_graph(g: nx.Graph, path: str, fmt: str) -> None:
    """Write ``g`` as ``graphml`` or ``gexf`` with networkx's writers."""
    if fmt == "graphml":
        nx.write_graphml(g, path)
    elif fmt == "gexf":
        nx.write_gexf(g, path)
    else:
        raise ValueError(f"unknown graph format {fmt!r}")
