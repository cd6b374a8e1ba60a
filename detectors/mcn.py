"""MCN roll-up: the agencies behind the accounts, and the notice's joint measures.

An MCN (multi-channel network agency) answers for what its signed accounts did
*while signed*.  :func:`rollup_mcns` takes the event's graded accounts and its
coordinated clusters and, per MCN, gathers its implicated accounts, decides a
level on the measures ladder ``warning < suspend_revenue < restrict_service <
evict`` and scores it.

Which affiliations count
------------------------
An affiliation counts when it was valid while its account acted in the event:
``[since, until]`` (a missing bound is open) overlaps the span of the account's
own contents and reposts in the event (the event's start when it has none;
:func:`pileon.detectors.affiliations.affiliation_valid`).
A contract that ended before the event, or began after the account's part in it,
does not count; the evidence says how many were set aside.

Levels
------
With *leads* the members that are first posters or inciters, *culprits* the
members with a tier-3 role (first poster, repeat poster, inciter, splicer,
impersonator), and *operating* a significant coordinated cluster of which the
MCN holds at least ``operate_share`` of the members (and at least
``operate_min`` accounts):

====================  ==========================================================
level                 when
====================  ==========================================================
``evict``             it operates a cluster and has a lead
``restrict_service``  it operates a cluster and has another culprit, or has
                      several leads
``suspend_revenue``   it operates a cluster, or has a lead, or several culprits
``warning``           some member is culpable (a coordinated member, one
                      culprit) or took part harmfully (tier 1)
(none)                its members took part like anyone else, harmlessly
====================  ==========================================================

An MCN whose members only took part therefore gets at most a warning; an MCN
with no member in the event is not listed.  Measures are cumulative: an MCN at
``restrict_service`` gets ``["warning", "suspend_revenue", "restrict_service"]``.

The score is ``(level + intensity) / 5`` in [0, 1), so MCNs rank by level
first; ``intensity`` (in [0, 1)) grows with the share of a cluster it
operates, the share of its members that are culpable and their mean tier.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from pileon.detectors.affiliations import affiliation_valid
from pileon.detectors.findings import Cluster, Evidence, MCNFinding
from pileon.graph.errors import InputError
from pileon.graph.model import LEAD_ROLES, MCN_MEASURES, TIER3_ROLES
from pileon.graph.projection import Projection

__all__ = ["rollup_mcns"]


def rollup_mcns(
    p: Projection,
    accounts: Sequence[Mapping[str, Any]],
    clusters: Iterable[Cluster] = (),
    *,
    operate_share: float = 0.2,
    operate_min: int = 2,
) -> list[MCNFinding]:
    """Roll the event's findings up to the MCNs behind its accounts.

    Parameters
    ----------
    p : Projection
        The event's projection (affiliations, MCNs, contents and reposts).
    accounts : sequence of mappings
        The event's graded accounts, as in the report: each with ``account_id``,
        ``roles`` (list of role names), ``tier`` (0-4) and optionally ``score``.
    clusters : iterable of Cluster
        The coordinated clusters; only ``significant`` ones count.
    operate_share : float, default 0.2
        Share of a cluster's members an MCN must hold to *operate* it.
    operate_min : int, default 2
        Members of a cluster an MCN must hold, at least, to operate it.

    Returns
    -------
    list of MCNFinding
        One per MCN with at least one member among ``accounts`` (valid
        affiliation), highest score first (ties by ``mcn_id``).

    Notes
    -----
    ``O(A + F + sum |cluster|)`` for ``A`` accounts and ``F`` affiliations.

    Examples
    --------
    >>> from pileon.graph.projection import Projection
    >>> from pileon.detectors.findings import Cluster
    >>> p = Projection.from_tables({"event_id": "e", "started_at": "2026-03-01T00:00:00Z"},
    ...     affiliations=[{"account_id": a, "mcn_id": "m1"} for a in ("a", "b", "c")]
    ...                  + [{"account_id": "z", "mcn_id": "m2"}])
    >>> accs = [{"account_id": "a", "roles": ["first_poster"], "tier": 3},
    ...         {"account_id": "b", "roles": ["coordinated"], "tier": 2},
    ...         {"account_id": "c", "roles": ["coordinated"], "tier": 2},
    ...         {"account_id": "z", "roles": ["participant"], "tier": 0}]
    >>> army = Cluster("c1", ("b", "c", "d"), 0.9, True)
    >>> [(m.mcn_id, m.measures[-1] if m.measures else None)
    ...  for m in rollup_mcns(p, accs, [army])]
    [('m1', 'evict'), ('m2', None)]
    """
    if not 0 < operate_share <= 1:
        raise InputError(f"operate_share must be in (0, 1], got {operate_share!r}")
    by_id: dict[str, Mapping[str, Any]] = {}
    for a in accounts:
        if "account_id" not in a:
            raise InputError("every account needs an account_id")
        by_id[str(a["account_id"])] = a
    ok = affiliation_valid(p)
    valid, set_aside = p.affiliations[ok], p.affiliations[~ok]
    members: dict[str, list[str]] = {}
    for a, m in sorted(set(zip(valid["account_id"].astype(str), valid["mcn_id"].astype(str)))):
        if a in by_id:
            members.setdefault(m, []).append(a)
    aside: dict[str, int] = {}
    for a, m in zip(set_aside["account_id"].astype(str), set_aside["mcn_id"].astype(str)):
        if a in by_id:
            aside[m] = aside.get(m, 0) + 1
    sig = sorted((c for c in clusters if c.significant), key=lambda c: c.cluster_id)
    names = {}
    if not p.mcns.empty and "name" in p.mcns:
        names = {str(k): v for k, v in zip(p.mcns["mcn_id"], p.mcns["name"]) if isinstance(v, str)}

    out = []
    for mcn_id in sorted(members):
        accs = members[mcn_id]
        roles = {a: set(by_id[a].get("roles") or ()) for a in accs}
        tiers = {a: int(by_id[a].get("tier") or 0) for a in accs}
        leads = sorted(a for a in accs if roles[a] & set(LEAD_ROLES))
        culprits = sorted(a for a in accs if roles[a] & set(TIER3_ROLES))
        coordinated = sorted(a for a in accs if "coordinated" in roles[a])
        harmful = sorted(a for a in accs if tiers[a] >= 1)
        operated = []
        for c in sig:
            held = sorted(set(c.accounts) & set(accs))
            if len(held) >= operate_min and len(held) >= operate_share * len(c.accounts):
                operated.append((c, held))
        operates = bool(operated)
        if operates and leads:
            level = 4
        elif operates and (set(culprits) - set(leads) or len(leads) >= 2) or len(leads) >= 2:
            level = 3
        elif operates or leads or len(culprits) >= 2:
            level = 2
        elif coordinated or culprits or harmful:
            level = 1
        else:
            level = 0
        op_share = max((len(h) / len(c.accounts) for c, h in operated), default=0.0)
        culpable = set(culprits) | set(coordinated)
        intensity = (
            0.5 * op_share
            + 0.3 * len(culpable) / len(accs)
            + 0.2 * float(np.mean([tiers[a] for a in accs])) / 4
        )
        score = (level + min(intensity, 0.999)) / 5
        measures = tuple(MCN_MEASURES[:level])

        ev = [
            Evidence(
                "mcn_accounts",
                (),
                f"{len(accs)} account(s) of {names.get(mcn_id, mcn_id)} took part while "
                f"signed; {len(culpable)} culpable, {len(harmful)} tier 1 or more",
            )
        ]
        for c, held in operated:
            ev.append(
                Evidence(
                    "operates_cluster",
                    (),
                    f"holds {len(held)} of the {len(c.accounts)} accounts of "
                    f"coordinated cluster {c.cluster_id} (score {c.score:.2f}): "
                    + ", ".join(held[:10])
                    + (" …" if len(held) > 10 else ""),
                )
            )
        if leads:
            ev.append(
                Evidence(
                    "lead_accounts",
                    (),
                    "first posters / inciters: "
                    + ", ".join(
                        f"{a} ({'/'.join(sorted(roles[a] & set(LEAD_ROLES)))})" for a in leads
                    ),
                )
            )
        other = sorted(set(culprits) - set(leads))
        if other:
            ev.append(
                Evidence(
                    "culprit_accounts",
                    (),
                    "other tier-3 accounts: "
                    + ", ".join(
                        f"{a} ({'/'.join(sorted(roles[a] & set(TIER3_ROLES)))})" for a in other
                    ),
                )
            )
        if coordinated and not operates:
            ev.append(
                Evidence(
                    "coordinated_accounts",
                    (),
                    f"{len(coordinated)} member(s) in coordinated clusters it does "
                    "not operate: " + ", ".join(coordinated[:10]),
                )
            )
        if mcn_id in aside:
            ev.append(
                Evidence(
                    "affiliation_window",
                    (),
                    f"{aside[mcn_id]} affiliation(s) not valid during the event were left out",
                )
            )
        ev.append(Evidence("measures", (), _why(level)))
        out.append(
            MCNFinding(
                mcn_id=mcn_id,
                score=round(float(score), 6),
                accounts=tuple(accs),
                measures=measures,
                evidence=tuple(ev),
            )
        )
    out.sort(key=lambda m: (-m.score, m.mcn_id))
    return out


def _why(level: int) -> str:
    return {
        4: "evict: operates a coordinated cluster and its accounts first-posted or incited",
        3: "restrict_service: operates a coordinated cluster with other culprits, or several "
        "of its accounts first-posted or incited",
        2: "suspend_revenue: operates a coordinated cluster, or its accounts first-posted, "
        "incited or repeatedly offended",
        1: "warning: some of its accounts took part harmfully or were culpable on their own",
        0: "no measure: its accounts took part like anyone else, without harm",
    }[level]
