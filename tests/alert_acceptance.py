"""Acceptance of the early warning (SPEC §6) on both generators: the criteria of issue 16.

The same criteria run on the alerts of an incident from the independent generator
(:mod:`tests.altgen`, through ``tests/altgen/acceptance.py``) and from the project's own
sample (:func:`run_sample`: ``pileon sample``, ``pileon ingest``, ``pileon alerts --json``);
``bench/acceptance.py`` runs both over many seeds and sizes.  Each generator's truth is
first turned into the same few lists (:func:`truth_altgen`, :func:`truth_sample`):

* ``minors``: minors under planted harm; ``first_harm``: minor -> the time of the first
  planted harmful content from a stranger aimed at her, which must alert at once (no surge
  needed): the independent generator's minor with no history, the sample's minor;
* ``alerted``: account -> the time its planted attack starts (a victim; an account whose
  post draws untargeted abuse), each must get an alert from about then;
* ``quiet``: accounts that must get no alert: news outlets whose posts collect abuse
  aimed at someone else, a busy benign account with a fan surge;
* ``events``: the events whose topic heat surges: each must get an event alert with its
  heat series, whose ``watch`` holds the event's victim (``victim``), so that she is
  watched from that hour on.

A criterion a generator has no case for is reported ``ok`` with ``"n/a"``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

#: an alert must begin at most this long after its planted start (hours), and not before
#: an hour ahead of it
LAG_H = 6.0


def _ts(v: Any) -> float:
    if isinstance(v, (int, float)):
        return float(v)
    return dt.datetime.fromisoformat(str(v).replace("Z", "+00:00")).timestamp()


def truth_altgen(T: dict[str, Any]) -> dict[str, Any]:
    """The alert truth of a :func:`tests.altgen.generate` incident."""
    return {
        "minors": list(T["minors"]),
        "first_harm": {T["minor_no_baseline"]: T["minor_no_baseline_first_harm"]},
        "alerted": {T["victim"]: T["attack_start"], T["defender"]: T["defender_attack_start"]},
        "untargeted": [T["defender"]],
        "quiet": sorted(set(T["news"]) | {T["celebrity"]}),
        "outlets": list(T["outlets"]),
        "events": [T["event"]],
        "victim": T["victim"],
    }


def truth_sample(truth: dict[str, Any]) -> dict[str, Any]:
    """The alert truth of a :func:`pileon.ingest.sample.generate_incident` incident."""
    a = truth["alerts"]
    news = sorted({n for roles in truth["events"].values() for n in roles.get("news", [])})
    return {
        "minors": [a["minor"]],
        # every planted harm aimed at the minor comes from strangers (attackers, the crowd)
        "first_harm": {a["minor"]: a["minor_attack_start"]},
        "alerted": {a["victim"]: a["attack_start"]},
        "untargeted": [],
        "quiet": sorted(set(news) | {a["busy_benign"]}),
        "outlets": news,
        # the victim's event
        "events": sorted(e for e, r in truth["events"].items() if a["victim"] in r["targets"]),
        "victim": a["victim"],
    }


def evaluate_alerts(alerts: list[dict[str, Any]], at: dict[str, Any]) -> dict[str, dict]:
    """The criteria over ``pileon alerts --json`` output: ``{name: {"ok": bool, ...}}``."""
    res: dict[str, dict] = {}
    minors = set(at["minors"])
    # every minor under harm alerted with priority "minor", all of them before any other
    marks = [a["target_id"] in minors and a.get("priority") == "minor" for a in alerts]
    got = {a["target_id"] for a, m in zip(alerts, marks) if m}
    res["warning.minors_first"] = dict(
        ok=bool(alerts) and got == minors and marks == sorted(marks, reverse=True),
        minors=len(minors),
        alerted=len(got),
        positions=[i for i, m in enumerate(marks) if m],
    )
    # a minor: at once, on her first harm from a stranger (with no history, or with one)
    lags = {}
    for m, first in at["first_harm"].items():
        mine = [a for a in alerts if a["target_id"] == m and a.get("priority") == "minor"]
        lags[m] = [round((_ts(a["began_at"]) - _ts(first)) / 3600, 2) for a in mine]
    res["warning.minor_at_first_harm"] = dict(
        ok=all(any(-0.01 <= g <= 1.0 for g in v) for v in lags.values()),
        lags_h=lags or "n/a",
    )
    # outlets whose posts collect abuse aimed at someone else, and the busy benign account
    loud = sorted({a["target_id"] for a in alerts if a["target_id"] in set(at["quiet"])})
    res["warning.quiet"] = dict(
        ok=not loud,
        loud=loud,
        outlets_loud=[x for x in loud if x in set(at["outlets"])],
        checked=len(at["quiet"]),
    )
    # victims, and accounts under untargeted abuse in replies to their posts
    late = {}
    for target, start in at["alerted"].items():
        mine = [a for a in alerts if a["target_id"] == target]
        late[target] = [round((_ts(a["began_at"]) - _ts(start)) / 3600, 2) for a in mine]
    res["warning.alerted"] = dict(
        ok=all(any(-1 <= g <= LAG_H for g in v) for v in late.values()),
        lags_h=late,
        untargeted=at["untargeted"] or "n/a",
    )
    # the events' heat, and their victim watched from then on
    ev = {a["event_id"] for a in alerts if a["target_id"] is None}
    unwatched = sorted(
        a["event_id"]
        for a in alerts
        if a["target_id"] is None
        and a["event_id"] in set(at["events"])
        and at["victim"] not in a.get("watch", ())
    )
    res["warning.event_heat"] = dict(
        ok=set(at["events"]) <= ev
        and not unwatched
        and all(
            a.get("heat") and a["signals"][0]["signal"] == "heat"
            for a in alerts
            if a["target_id"] is None
        ),
        events=sorted(ev),
        unwatched=unwatched,
    )
    return res


def run_sample(seed: int, scale: float, work: Path) -> dict[str, Any]:
    """``pileon sample``, ``pileon ingest`` and ``pileon alerts --json`` on a fresh store."""
    from click.testing import CliRunner

    from pileon.cli import cli

    def run(args: list[str]) -> str:
        res = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert res.exit_code == 0, f"pileon {' '.join(args)} failed: {res.output}"
        return res.output

    folder, store = work / "incident", str(work / "s.db")
    run(["sample", str(folder), "--seed", str(seed), "--scale", str(scale)])
    truth = json.loads(Path(f"{folder}-truth.json").read_text(encoding="utf-8"))
    run(["ingest", str(folder), "--store", store, "--no-progress", "--rejects",
         str(work / "rejects.csv")])  # fmt: skip
    alerts = json.loads(run(["alerts", "--json", "--store", store]))
    return {"truth": truth, "alerts": alerts}
