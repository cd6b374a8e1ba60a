"""Acceptance of issues 4, 5, 6 and 9 on incidents from an independent generator.

The incident comes from :mod:`tests.altgen` (written without reading
``pileon.ingest.sample``) and goes through the real command line on a temporary
embedded store (:func:`tests.altgen.acceptance.run_incident`); each test checks one
criterion of :func:`tests.altgen.acceptance.evaluate`.  ``bench/acceptance.py`` runs
the same criteria over many seeds and sizes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.altgen.acceptance import evaluate, run_incident

SEED, SIZE = 1, "small"


@pytest.fixture(scope="module")
def outcome(tmp_path_factory) -> dict[str, dict[str, Any]]:
    out = run_incident(SEED, SIZE, tmp_path_factory.mktemp("altgen"))
    return evaluate(out)


def _check(outcome: dict, *names: str) -> None:
    bad = {n: outcome[n] for n in names if not outcome[n]["ok"]}
    assert not bad, json.dumps(bad, ensure_ascii=False, indent=1, default=str)


def test_issue4_first_posters(outcome):
    _check(outcome, "i4.first_poster")


def test_issue4_inciters_incl_repost_comment(outcome):
    _check(outcome, "i4.inciter")
    assert outcome["i4.inciter"]["repost_comment_inciter_found"]


def test_issue4_splicers(outcome):
    _check(outcome, "i4.splicer")


def test_issue4_impersonators_exact(outcome):
    _check(outcome, "i4.impersonator")


def test_issue4_repeat_posters(outcome):
    _check(outcome, "i4.multi_poster")


def test_issue4_no_other_event(outcome):
    _check(outcome, "i4.no_other_event")


def test_issue5_coordinated(outcome):
    _check(outcome, "i5.coordinated")


def test_issue5_operating_mcn_first(outcome):
    _check(outcome, "i5.operating_mcn_first")


def test_issue5_news_and_bystander_mcns(outcome):
    _check(outcome, "i5.news_bystander_mcns")


def test_issue6_top10(outcome):
    _check(outcome, "i6.top10_culprits")


def test_issue6_precision_at_50(outcome):
    _check(outcome, "i6.precision_at_50")


def test_issue6_no_news_in_top100(outcome):
    _check(outcome, "i6.no_news_top100")


def test_issue6_tiers(outcome):
    _check(outcome, "i6.tiers")


def test_issue6_minor_attacker_marked(outcome):
    _check(outcome, "i6.minor_attacker")


def test_issue6_trained_model_used(outcome):
    _check(outcome, "i6.model_used")


def test_issue9_victim_alert_early(outcome):
    _check(outcome, "i9.victim_alert")


def test_issue9_minor_alert_first(outcome):
    _check(outcome, "i9.minor_first")


def test_issue9_celebrity_quiet(outcome):
    _check(outcome, "i9.celebrity_quiet")


def test_issue9_evidence_pack(outcome):
    _check(outcome, "i9.evidence")
