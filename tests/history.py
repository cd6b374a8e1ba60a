"""A store that holds history (issue 21): what must stay the same in this year's report.

:func:`assert_same_findings` compares the report of an event analyzed without and with a
year-old copy of its incident in the store: identical but for the resurfacing evidence on
its narratives and the planted repeat offenders' grade.  Shared by the contract tests (the
sample incident, both stores) and the independent generator's check
(``tests/test_history_altgen.py``).
"""

from __future__ import annotations

from typing import Any

CULPABLE = ("first_poster", "multi_poster", "inciter", "splicer", "impersonator", "coordinated")


def holders(report: dict[str, Any], role: str) -> list[str]:
    """The accounts of a report that hold ``role``, sorted."""
    return sorted(a["account_id"] for a in report["accounts"] if role in a["roles"])


def assert_same_findings(
    plain: dict[str, Any], hist: dict[str, Any], *, past: str, repeat: set[str]
) -> None:
    """``hist`` (with the copy of the incident in ``past``) is ``plain`` but for the
    narratives' resurfacing evidence (which must name ``past``) and the accounts of
    ``repeat`` (one tier up, to 4, with grading evidence naming ``past``)."""
    for role in CULPABLE:
        assert holders(hist, role) == holders(plain, role), role
    top = [a["account_id"] for a in plain["accounts"][:10]]
    assert [a["account_id"] for a in hist["accounts"][:10]] == top
    assert [m["mcn_id"] for m in hist["mcns"]] == [m["mcn_id"] for m in plain["mcns"]]
    assert hist["mcns"] == plain["mcns"] and hist["clusters"] == plain["clusters"]
    # everything else, account by account
    assert len(hist["accounts"]) == len(plain["accounts"])
    for h, p in zip(hist["accounts"], plain["accounts"]):
        if h["account_id"] in repeat:
            assert p["tier"] == 3 and h["tier"] == 4, (h["account_id"], p["tier"], h["tier"])
            grading = [e["detail"] for e in h["evidence"] if e["kind"] == "grading"]
            assert f"tier 4: culpable conduct repeated in {past}" in grading[0], grading
            h = {**h, "tier": p["tier"], "evidence": p["evidence"]}
        assert h == p, h["account_id"]
    # the narratives, but for where a rumour was told before
    without = [{k: v for k, v in n.items() if k != "evidence"} for n in hist["narratives"]]
    assert without == plain["narratives"]
    assert not any("evidence" in n for n in plain["narratives"])
    told: dict[str | None, list[dict]] = {}
    for n in hist["narratives"]:
        told.setdefault(n["first_poster"], []).extend(n.get("evidence", []))
    for fp in holders(plain, "first_poster"):
        assert any(e["kind"] == "resurfaced" and past in e["detail"] for e in told[fp]), fp
