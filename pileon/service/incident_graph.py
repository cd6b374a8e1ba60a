"""An incident's bounded, summarised graph (``GET /v1/events/{event_id}/graph``).

The investigator page draws this.  An incident may hold a million reposts, so
the answer never grows with the event: it holds at most ``limit`` nodes, chosen
in this order from the event's latest analysis:

1. MCNs of the report (ranked), those with measures or with a shown member,
   at most ``limit // 15``;
2. narratives, harmful first, then by size (then ID), at most ``limit // 25``;
3. coordinated clusters with at least one shown member (compound nodes that
   hold their shown members), at most ``limit // 15``;
4. venues (SPEC §7) that call for a measure, in the report's rank order, at most
   ``limit // 15``;
5. accounts: the first posters of the shown narratives, then the top of the
   ranking, until ``limit`` nodes are held.

Edges:

* ``first_post``: account → narrative it started;
* ``repost``: account → account (or → narrative, when the source is the
  narrative's first content), the event's reposts by the shown accounts of
  contents by shown accounts, aggregated into one edge with a ``weight``;
* ``affiliation``: account → MCN (the report's ``mcn_ids``, i.e. the
  affiliations valid during the event);
* ``created``, ``hosts``: account → venue it created or hosts (both shown).

``summary`` says what was left out (totals against shown counts, reposts to
accounts not shown) and ``truncated`` is true when anything was.

Cost: a few ranked reads, one read of the reposts *by* the shown accounts and
their sources (never the reposts *of* them, which may be a million), and, once
per analysis run, a digest of the report (narratives, clusters, MCNs, the
number of accounts) and of the event's membership, kept in a small cache
because runs never change once saved (a later ingest that changes the event's
membership shows here after the next analysis).  The first request for a run
pays for reading its report whole: about 1.7 s for a 200,000-repost incident.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from typing import Any

from pileon.graph.frames import frame_records
from pileon.graph.store import Store

#: what the view keeps of a venue of the report
_VENUE_KEYS = (
    "venue_id",
    "rank",
    "score",
    "platform",
    "kind",
    "name",
    "creator_id",
    "host_id",
    "items",
    "harmful",
    "named_after",
    "created_during_event",
    "anonymous_board",
    "measures",
    "evidence",
)
DEFAULT_NODES = 300
MIN_NODES = 20
MAX_NODES = 2000
_LABEL_CHARS = 60


# ---------------------------------------------------------------- run digests
class _Digest:
    """What the view needs of one run, small enough to keep: never the accounts' evidence."""

    def __init__(self, store: Store, event_id: str, run_id: str) -> None:
        report = store.report(run_id)
        self.accounts_total = len(report.get("accounts") or [])
        self.narratives = sorted(
            (
                _pick(
                    n,
                    "narrative_id",
                    "first_poster",
                    "first_content_id",
                    "platforms",
                    "size",
                    "harmful",
                )
                for n in report.get("narratives") or []
            ),
            key=lambda n: (not n.get("harmful"), -int(n.get("size") or 0), n["narrative_id"]),
        )
        self.clusters = [
            {**_pick(c, "cluster_id", "score", "accounts", "evidence"), "rank": pos}
            for pos, c in enumerate(report.get("clusters") or [], start=1)
        ]
        self.mcns = sorted(
            (
                _pick(m, "mcn_id", "rank", "score", "accounts", "measures", "evidence")
                for m in report.get("mcns") or []
            ),
            key=lambda m: (m.get("rank") or 0, m["mcn_id"]),
        )
        self.venues = [
            _pick(v, *_VENUE_KEYS)
            for v in sorted(
                report.get("venues") or [], key=lambda v: (v.get("rank") or 0, v["venue_id"])
            )
        ]
        del report
        members = store.memberships(event_id)
        self.members = frozenset(members["content_id"].tolist())


_CACHE: OrderedDict[tuple[str, str], _Digest] = OrderedDict()
_CACHE_RUNS = 2
_cache_lock = threading.Lock()


def _digest(store: Store, event_id: str, run_id: str) -> _Digest:
    key = (str(getattr(store, "uri", id(store))), run_id)
    with _cache_lock:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    d = _Digest(store, event_id, run_id)  # outside the lock: other runs need not wait
    with _cache_lock:
        _CACHE[key] = d
        while len(_CACHE) > _CACHE_RUNS:
            _CACHE.popitem(last=False)
        return d


def _pick(d: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: d[k] for k in keys if k in d}


# ----------------------------------------------------------------------- build
def incident_graph(
    store: Store, event_id: str, run: str, *, limit: int = DEFAULT_NODES
) -> dict[str, Any]:
    """The bounded, summarised graph of the event's latest analysis (see the module docstring).

    Raises ``NotFound`` for an unknown or never analyzed event.
    """
    dig = _digest(store, event_id, run)

    narratives = dig.narratives[: max(1, limit // 25)]
    first_posters = sorted({n["first_poster"] for n in narratives if n.get("first_poster")})
    # accounts: room left after the capped MCNs, narratives and clusters
    cap_mcn, cap_cluster = max(1, limit // 15), max(1, limit // 15)
    venues = [v for v in dig.venues if v.get("measures")][: max(1, limit // 15)]
    room = max(
        limit
        - len(narratives)
        - len(venues)
        - min(cap_mcn, len(dig.mcns))
        - min(cap_cluster, len(dig.clusters)),
        len(first_posters),
    )
    top = store.ranked(run, "accounts", limit=room)
    found = {a["account_id"]: a for a in top}
    for a in first_posters:
        if a not in found:
            found[a] = _event_entry(store, a, event_id) or {"account_id": a}
    chosen = first_posters + [
        a["account_id"] for a in top if a["account_id"] not in set(first_posters)
    ]
    chosen = sorted(chosen[:room], key=lambda a: (found[a].get("rank") or float("inf"), a))
    shown = set(chosen)

    mcns = [m for m in dig.mcns if m.get("measures") or shown & set(m.get("accounts") or [])]
    mcns = mcns[:cap_mcn]
    clusters = [c for c in dig.clusters if shown & set(c.get("accounts") or [])][:cap_cluster]
    cluster_ids = {c["cluster_id"] for c in clusters}

    names = dict(
        zip(
            *(
                store.frame("mcns", ids=sorted(m["mcn_id"] for m in mcns))[c]
                for c in ("mcn_id", "name")
            )
        )
    )
    nodes = [_mcn_node(m, shown, names.get(m["mcn_id"])) for m in mcns]
    nodes += [_cluster_node(c, shown) for c in clusters]
    nodes += _narrative_nodes(store, narratives)
    nodes += [_venue_node(v) for v in venues]
    nodes += _account_nodes(store, chosen, found, cluster_ids)
    mcn_ids = {m["mcn_id"] for m in mcns}
    edges = [
        {
            "source": n["first_poster"],
            "target": f"narrative:{n['narrative_id']}",
            "type": "first_post",
            "weight": 1,
        }
        for n in narratives
        if n.get("first_poster") in shown
    ]
    edges += [
        {"source": a, "target": m, "type": "affiliation", "weight": 1}
        for a in chosen
        for m in sorted(set(found[a].get("mcn_ids") or []) & mcn_ids)
    ]
    edges += [
        {"source": v[key], "target": f"venue:{v['venue_id']}", "type": kind, "weight": 1}
        for v in venues
        for key, kind in (("creator_id", "created"), ("host_id", "hosts"))
        if v.get(key) in shown
    ]
    repost_edges, reposts_shown, reposts_hidden = _repost_edges(store, dig, chosen, narratives)
    edges += repost_edges

    summary = {
        "accounts_total": max(dig.accounts_total, len(chosen)),
        "accounts_shown": len(chosen),
        "narratives_total": len(dig.narratives),
        "harmful_narratives_total": sum(bool(n.get("harmful")) for n in dig.narratives),
        "narratives_shown": len(narratives),
        "clusters_total": len(dig.clusters),
        "clusters_shown": len(clusters),
        "mcns_total": len(dig.mcns),
        "mcns_shown": len(mcns),
        "venues_total": len([v for v in dig.venues if v.get("measures")]),
        "venues_shown": len(venues),
        "reposts_shown": reposts_shown,
        "reposts_to_hidden": reposts_hidden,
    }
    truncated = (
        summary["accounts_shown"] < summary["accounts_total"]
        or len(narratives) < len(dig.narratives)
        or len(clusters) < len(dig.clusters)
        or len(mcns) < len(dig.mcns)
        or len(venues) < len([v for v in dig.venues if v.get("measures")])
    )
    return {
        "event_id": event_id,
        "run_id": run,
        "limit": limit,
        "nodes": nodes,
        "edges": edges,
        "summary": summary,
        "truncated": truncated,
    }


def _event_entry(store: Store, account_id: str, event_id: str) -> dict[str, Any] | None:
    for f in store.account_findings(account_id):
        if f.get("event_id") == event_id:
            return f
    return None


def _mcn_node(m: dict[str, Any], shown: set[str], name: str | None) -> dict[str, Any]:
    members = m.get("accounts") or []
    return {
        "id": m["mcn_id"],
        "kind": "mcn",
        "ref": m["mcn_id"],
        "label": name or m["mcn_id"],
        "rank": m.get("rank"),
        "score": m.get("score"),
        "measures": m.get("measures") or [],
        "members_total": len(members),
        "members_shown": len(shown & set(members)),
        "evidence": m.get("evidence") or [],
    }


def _venue_node(v: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"venue:{v['venue_id']}",
        "kind": "venue",
        "ref": v["venue_id"],
        "label": (v.get("name") or v["venue_id"])[:_LABEL_CHARS],
        "rank": v.get("rank"),
        "score": v.get("score"),
        "platform": v.get("platform"),
        "venue_kind": v.get("kind"),
        "items": v.get("items"),
        "harmful_items": v.get("harmful"),
        "named_after": v.get("named_after") or [],
        "created_during_event": v.get("created_during_event"),
        "anonymous_board": v.get("anonymous_board"),
        "measures": v.get("measures") or [],
        "evidence": v.get("evidence") or [],
    }


def _cluster_node(c: dict[str, Any], shown: set[str]) -> dict[str, Any]:
    members = c.get("accounts") or []
    return {
        "id": f"cluster:{c['cluster_id']}",
        "kind": "cluster",
        "ref": c["cluster_id"],
        "label": f"cluster {c['cluster_id']}",
        "rank": c.get("rank"),
        "score": c.get("score"),
        "members_total": len(members),
        "members_shown": len(shown & set(members)),
        "evidence": c.get("evidence") or [],
    }


def _narrative_nodes(store: Store, narratives: list[dict[str, Any]]) -> list[dict[str, Any]]:
    firsts = sorted({n["first_content_id"] for n in narratives if n.get("first_content_id")})
    texts = {
        r["content_id"]: r.get("text")
        for r in frame_records(store.frame("contents", ids=firsts), ["content_id", "text"])
    }
    out = []
    for n in narratives:
        text = " ".join(str(texts.get(n.get("first_content_id")) or "").split())
        label = text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"
        out.append(
            {
                "id": f"narrative:{n['narrative_id']}",
                "kind": "narrative",
                "ref": n["narrative_id"],
                "label": label or n["narrative_id"],
                "size": int(n.get("size") or 0),
                "harmful": bool(n.get("harmful")),
                "platforms": n.get("platforms") or [],
                "first_poster": n.get("first_poster"),
                "first_content_id": n.get("first_content_id"),
            }
        )
    return out


def _account_nodes(
    store: Store, chosen: list[str], found: dict[str, dict[str, Any]], cluster_ids: set[str]
) -> list[dict[str, Any]]:
    rows = {
        r["account_id"]: r
        for r in frame_records(
            store.frame("accounts", ids=chosen),
            ["account_id", "platform", "name", "followers", "placeholder"],
        )
    }
    out = []
    for a in chosen:
        f, row = found.get(a, {}), rows.get(a, {})
        cluster = f.get("cluster_id")
        out.append(
            {
                "id": a,
                "kind": "account",
                "ref": a,
                "label": row.get("name") or a,
                "parent": f"cluster:{cluster}" if cluster in cluster_ids else None,
                **_pick(f, "rank", "score", "tier", "priority", "refer"),
                "roles": f.get("roles") or [],
                "cluster_id": cluster,
                "mcn_ids": f.get("mcn_ids") or [],
                "platform": row.get("platform"),
                "followers": row.get("followers"),
                "placeholder": bool(row.get("placeholder", False)),
            }
        )
    return out


def _repost_edges(
    store: Store, dig: _Digest, chosen: list[str], narratives: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], int, int]:
    """Aggregated repost edges from shown accounts; (edges, reposts drawn, reposts to hidden)."""
    shown = set(chosen)
    reposts = store.frame("reposts", ids=chosen, column="account_id")
    reposts = reposts[[r in dig.members for r in reposts["repost_id"]]]
    if reposts.empty:
        return [], 0, 0
    sources = sorted(set(reposts["source_id"].dropna()))
    author: dict[str, Any] = {}
    for table, key in (("contents", "content_id"), ("reposts", "repost_id")):
        df = store.frame(table, ids=sources)
        author.update(zip(df[key], df["account_id"]))
    to_narrative = {
        n["first_content_id"]: f"narrative:{n['narrative_id']}"
        for n in narratives
        if n.get("first_content_id")
    }
    weights: Counter[tuple[str, str]] = Counter()
    hidden = 0
    for a, src in reposts[["account_id", "source_id"]].itertuples(index=False, name=None):
        target = to_narrative.get(src)
        if target is None:
            b = author.get(src)
            if b is None or b != b or b not in shown:  # unknown or deleted source, or not shown
                hidden += 1
                continue
            if b == a:
                continue
            target = b
        weights[(a, target)] += 1
    edges = [
        {"source": a, "target": b, "type": "repost", "weight": w}
        for (a, b), w in sorted(weights.items())
    ]
    return edges, sum(weights.values()), hidden
