"""Acceptance criteria on an incident from an independent generator.

The criteria: roles, coordination and MCNs, ranking and tiers, and the protection of the
person under attack (alerts and evidence).

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


def test_planted_first_posters_are_found(outcome):
    _check(outcome, "roles.first_poster")


def test_planted_inciters_are_found_with_the_repost_commenter(outcome):
    _check(outcome, "roles.inciter")
    assert outcome["roles.inciter"]["repost_comment_inciter_found"]


def test_planted_splicers_are_found(outcome):
    _check(outcome, "roles.splicer")


def test_exactly_the_planted_impersonators_are_found(outcome):
    _check(outcome, "roles.impersonator")


def test_repeat_posters_are_found(outcome):
    _check(outcome, "roles.multi_poster")


def test_no_account_of_another_event_is_listed(outcome):
    _check(outcome, "roles.no_other_event")


def test_the_army_is_coordinated_and_no_other_events_account(outcome):
    _check(outcome, "coordination.coordinated")


def test_the_operating_mcn_ranks_first_with_a_sanction(outcome):
    _check(outcome, "coordination.operating_mcn_first")


def test_news_and_bystander_mcns_get_at_most_a_warning(outcome):
    _check(outcome, "coordination.news_bystander_mcns")


def test_the_top_10_are_all_culprits(outcome):
    _check(outcome, "ranking.top10_culprits")


def test_precision_at_50_is_at_least_0_9(outcome):
    _check(outcome, "ranking.precision_at_50")


def test_no_news_account_in_the_top_100(outcome):
    _check(outcome, "ranking.no_news_top100")


def test_tiers_of_army_ordinary_heavy_culprits_and_targets(outcome):
    _check(outcome, "ranking.tiers")


def test_the_minors_main_attacker_is_marked_minor(outcome):
    _check(outcome, "ranking.minor_attacker")


def test_the_trained_model_scores_every_account(outcome):
    _check(outcome, "ranking.model_used")


def test_the_victims_alert_begins_with_the_attack(outcome):
    _check(outcome, "protection.victim_alert")


def test_the_minors_alert_comes_first(outcome):
    _check(outcome, "protection.minor_first")


def test_a_celebritys_busy_day_raises_no_alert(outcome):
    _check(outcome, "protection.celebrity_quiet")


def test_the_evidence_pack_holds_the_harmful_items_only_with_valid_hashes(outcome):
    _check(outcome, "protection.evidence")


def test_every_minor_under_harm_is_alerted_before_anyone_else(outcome):
    _check(outcome, "warning.minors_first")


def test_a_minor_without_history_is_alerted_at_the_first_harm(outcome):
    _check(outcome, "warning.minor_at_first_harm")


def test_outlets_and_the_celebrity_get_no_alert(outcome):
    _check(outcome, "warning.quiet")


def test_the_victim_and_an_account_under_untargeted_replies_are_alerted(outcome):
    _check(outcome, "warning.alerted")


def test_the_event_heat_surge_is_an_event_alert(outcome):
    _check(outcome, "warning.event_heat")
