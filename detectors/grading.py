"""Tiers 0–4, referral and priority: the notice's graded handling of each account.

:func:`grade` assigns every account of the event its tier, the ``refer`` flag and
the minor priority, from its features (:func:`pileon.detectors.features.account_features`)
and its culpable roles.

Grading (the notice's graded handling, SPEC §4)
-----------------------------------------------
* tier 0 — targets of the event (listed by the event, or attacked by several
  accounts while posting nothing harmful), and participants without harmful
  conduct (authoritative news, bystanders): listed for context only;
* tier 1 — ordinary participants whose own contents or reposts are harmful,
  or who drew reports;
* tier 2 — members of coordinated clusters (``coordinated``), and creators of
  venues named after the event's persons that filled with abuse (``venue_creator``,
  SPEC §7);
* tier 3 — first posters, repeat posters, inciters (close the account), and
  splicers and impersonators (fabricating false information, or posing as a
  person or institution of the event); venue creators with harmful posts of their
  own in the venue they created;
* a role's tier may depend on its finding (``role_tiers``): an impersonator that is
  only a new account bearing a name of the event (no rename) is graded by its conduct,
  tier 3 when it posted or spread harmful content, else as if it had no culpable role
  (its ``verify_identity`` measure stays, SPEC §7);
* tier 4 — a culpable account (tier ≥ 2) whose ``identity_key`` holds several
  culpable accounts (in the event, or another account of the identity judged
  culpable elsewhere), or a tier-3 account whose conduct repeats across events
  (harmful contents of its own in another event, or a label or recorded
  decision of tier ≥ 2 there); a tier-2 account whose conduct repeats goes to
  tier 3.  Repetition is read from the data, never from earlier analysis runs,
  so that a report does not depend on the order events are analyzed in.

Tiers depend on what the account did, never on its score: the risk model
ranks, the grading stays the notice's.

``refer`` (conduct for law enforcement) is set for

* first posters and inciters of harmful narratives whose harmful reach (reposts
  downstream of their own contents) reaches :data:`REFER_REPOSTS` (500, the
  threshold the 2013 judicial interpretation on online defamation sets for
  "serious circumstances": 转发次数达到五百次以上);
* splicers of harmful contents (编造、拼接虚假信息 — fabricating false stories);
* culpable accounts (tier ≥ 2) that attacked a minor.

``priority = "minor"`` marks accounts that attacked a minor (features
``minor_attacks`` and ``reports_minor``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from pileon.detectors.features import harmful_participation
from pileon.graph.model import CULPABLE_ROLES, LEAD_ROLES, TIER3_ROLES

__all__ = ["REFER_REPOSTS", "Grade", "grade", "role_tier"]

#: harmful reach (downstream reposts) from which first posters and inciters are referred
REFER_REPOSTS = 500


@dataclass(frozen=True)
class Grade:
    """Tier, referral and priority of one account, with the reasons."""

    tier: int
    refer: bool
    priority: str | None
    reasons: tuple[str, ...] = ()


def role_tier(role: str, overrides: Mapping[str, int] | None = None) -> int:
    """The tier a culpable role gives: 3 for :data:`pileon.graph.model.TIER3_ROLES`, 2 for
    ``coordinated`` and ``venue_creator``, unless ``overrides`` (role -> tier) says
    otherwise for this account.

    >>> role_tier("inciter"), role_tier("venue_creator"), role_tier("venue_creator", {"venue_creator": 3})
    (3, 2, 3)
    """
    if overrides and role in overrides:
        return int(overrides[role])
    return 3 if role in TIER3_ROLES else 2


def grade(
    features: pd.DataFrame,
    roles: Mapping[str, Iterable[str]],
    *,
    repeated: Mapping[str, Iterable[str]] | None = None,
    shared_identity: Iterable[str] = (),
    refer_reposts: int = REFER_REPOSTS,
    role_tiers: Mapping[str, Mapping[str, int]] | None = None,
) -> dict[str, Grade]:
    """Tiers 0–4, ``refer`` and ``priority`` for every account (module docstring for the rules).

    Parameters
    ----------
    features : pandas.DataFrame
        From :func:`pileon.detectors.features.account_features`.
    roles : mapping
        account_id -> its culpable roles (:data:`pileon.graph.model.CULPABLE_ROLES`).
    repeated : mapping, optional
        account_id -> other events where it (or an account of its identity) was
        found or labelled culpable.
    shared_identity : iterable of str
        Accounts whose ``identity_key`` holds several culpable accounts (in
        this event or across the store).
    refer_reposts : int, default 500
        Harmful reach from which first posters and inciters are referred.
    role_tiers : mapping, optional
        account_id -> role -> the tier that role gives this account, where the finding
        decides it (:func:`role_tier`; 0 or 1: the role alone grades nothing).

    Returns
    -------
    dict
        account_id -> :class:`Grade`.

    Notes
    -----
    ``O(A)`` for ``A`` accounts; accounts without a culpable role share one
    :class:`Grade` per (harmful, minor).
    """
    repeated = repeated or {}
    shared = set(shared_identity)
    culpable = set(CULPABLE_ROLES)
    out: dict[str, Grade] = {}
    target_grade = Grade(0, False, None, ("target of the event",))
    plain: dict[tuple[bool, bool], Grade] = {}  # (harmful, minor) -> grade, no culpable role
    minors = ((features["minor_attacks"] > 0) | (features["reports_minor"] > 0)).to_numpy()
    for a, target, minor, harmful, reach_log in zip(
        features.index,
        (features["is_target"] > 0).to_numpy(),
        minors,
        harmful_participation(features).to_numpy(),
        features["harmful_reach_log"].to_numpy(),
    ):
        if target:
            out[a] = target_grade
            continue
        rs = roles.get(a, ())
        minor = bool(minor)
        if not culpable.intersection(rs):  # tier 0 or 1: nothing more can apply
            key = (bool(harmful), minor)
            if key not in plain:
                plain[key] = Grade(
                    1 if harmful else 0,
                    False,
                    "minor" if minor else None,
                    ("tier 1: harmful participation" if harmful else "tier 0: no harmful conduct",),
                )
            out[a] = plain[key]
            continue
        rs = set(rs)
        over = (role_tiers or {}).get(a)
        by_role = {r: role_tier(r, over) for r in rs & culpable}
        reasons: list[str] = []
        tier3 = [r for r in TIER3_ROLES if by_role.get(r, 0) >= 3]
        if tier3 or by_role.get("venue_creator", 0) >= 3:
            tier = 3
            if tier3:
                reasons.append("tier 3: " + ", ".join(tier3))
            if by_role.get("venue_creator", 0) >= 3:
                reasons.append(
                    "tier 3: venue_creator with harmful posts of its own in the venue it created"
                )
        elif max(by_role.values(), default=0) >= 2:
            tier = 2
            if by_role.get("coordinated", 0) >= 2:
                reasons.append("tier 2: member of a coordinated cluster")
            if by_role.get("venue_creator", 0) >= 2:
                reasons.append(
                    "tier 2: venue_creator (created a venue named after the event's persons "
                    "that filled with abuse)"
                )
        else:
            tier = 1 if harmful else 0
            reasons.append(
                "tier 1: harmful participation" if harmful else "tier 0: no harmful conduct"
            )
        lesser = sorted(r for r, t in by_role.items() if t < 2)
        if lesser:
            reasons.append(
                f"{', '.join(lesser)}: by name alone, graded by its conduct (verify its identity)"
            )
        if tier >= 2 and a in shared:
            tier = 4
            reasons.append("tier 4: its identity holds several culpable accounts")
        if tier >= 2 and repeated.get(a):
            events = sorted(set(repeated[a]))
            tier = min(4, tier + 1)
            reasons.append(f"tier {tier}: culpable conduct repeated in " + ", ".join(events))
        harmful_reach = math.expm1(reach_log)
        refer = False
        if rs & set(LEAD_ROLES) and harmful_reach >= refer_reposts:
            refer = True
            reasons.append(
                f"refer: its contents drew {int(round(harmful_reach))} harmful reposts "
                f"and replies (>= {refer_reposts})"
            )
        if "splicer" in rs:
            refer = True
            reasons.append("refer: spliced false information")
        if minor and tier >= 2:
            refer = True
            reasons.append("refer: culpable conduct against a minor")
        out[a] = Grade(int(tier), refer, "minor" if minor else None, tuple(reasons))
    return out
