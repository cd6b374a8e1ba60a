"""The acceptance round on an incident of the independent generator, and its criteria.

:func:`run_incident` generates an incident with :mod:`tests.altgen.generator` (written
without reading ``pileon.ingest.sample``) and sends it through the real command line
(click's ``CliRunner``) on a temporary embedded store: ``ingest``, ``analyze`` (rules),
``alerts --json``, ``evidence``, ``train --labels`` on the labelled past event and
``analyze`` again with the model.  :func:`evaluate` computes every criterion with its
numbers.  ``tests/test_acceptance_alt.py`` checks them on one incident;
``bench/acceptance.py`` runs them over many seeds and sizes.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from pileon.cli import cli
from tests.alert_acceptance import evaluate_alerts, truth_altgen
from tests.altgen.generator import generate, write_incident

MEASURES = ["warning", "suspend_revenue", "restrict_service", "evict"]
#: the victim's alert must begin at most this long after the first harmful content aimed at her
ALERT_LAG_H = 6.0


def _run(args: list[str]) -> str:
    res = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert res.exit_code == 0, f"pileon {' '.join(args)} failed ({res.exit_code}): {res.output}"
    return res.output


def run_incident(seed: int, size: str, work: Path) -> dict[str, Any]:
    """Generate, write, ingest and run every command; returns the outputs and the truth."""
    inc = generate(seed, size)
    data = write_incident(inc, work / "data")
    store = str(work / "x.db")
    ev = inc.truth["event"]
    _run(
        [
            "ingest",
            str(data),
            "--store",
            store,
            "--json",
            "--no-progress",
            "--rejects",
            str(work / "rejects.csv"),
        ]
    )
    _run(
        [
            "analyze",
            "--event",
            ev,
            "--out",
            str(work / "report.json"),
            "--store",
            store,
            "--no-progress",
        ]
    )
    report = json.loads((work / "report.json").read_text(encoding="utf-8"))
    alerts = json.loads(_run(["alerts", "--json", "--store", store]))
    victim = inc.truth["victim"]
    _run(["evidence", "--target", victim, "--out", str(work / "victim.zip"), "--store", store])
    with zipfile.ZipFile(work / "victim.zip") as z:
        manifest = json.loads(z.read("manifest.json"))
        html = z.read("evidence.html").decode("utf-8")
    train_out = _run(
        ["train", "--labels", str(data / "labels.csv"), "--store", store, "--no-progress"]
    )
    _run(
        [
            "analyze",
            "--event",
            ev,
            "--out",
            str(work / "report_model.json"),
            "--store",
            store,
            "--no-progress",
        ]
    )
    report_model = json.loads((work / "report_model.json").read_text(encoding="utf-8"))
    return dict(
        truth=inc.truth,
        report=report,
        report_model=report_model,
        alerts=alerts,
        manifest=manifest,
        html=html,
        train_out=train_out,
    )


def _prf(found: set, truth: set) -> tuple[float, float]:
    p = len(found & truth) / len(found) if found else 0.0
    r = len(found & truth) / len(truth) if truth else 1.0
    return p, r


def _level(measures: list[str]) -> int:
    return max((MEASURES.index(m) + 1 for m in measures if m in MEASURES), default=0)


def _sha(obj: Any) -> str:
    raw = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def evaluate(out: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every criterion: ``{name: {"ok": bool, **numbers}}``."""
    T = out["truth"]
    rep = out["report"]
    accs = rep["accounts"]
    by_id = {a["account_id"]: a for a in accs}
    has = lambda role: {a["account_id"] for a in accs if role in a["roles"]}  # noqa: E731
    res: dict[str, dict[str, Any]] = {}

    def role(
        name: str,
        role_name: str,
        truth: set,
        *,
        min_recall: float = 1.0,
        min_precision: float = 0.6,
        exact: bool = False,
    ) -> None:
        found = has(role_name)
        p, r = _prf(found, truth)
        ok = found == truth if exact else (r >= min_recall and p >= min_precision)
        res[name] = dict(
            ok=ok,
            precision=round(p, 3),
            recall=round(r, 3),
            found=len(found),
            planted=len(truth),
            missed=sorted(truth - found),
            extra=sorted(found - truth)[:12],
        )

    # ---- roles
    # a first poster is the first author of a harmful narrative: the planted first posters
    # must all be found; inciters with an original post of their own, splicers and
    # impersonators also start harmful narratives, so flagging them is no false positive
    originators = (
        set(T["first_posters"])
        | set(T["inciters"]) - {T["repost_comment_inciter"]}
        | set(T["splicers"])
        | set(T["impersonators"])
    )
    role("roles.first_poster", "first_poster", set(T["first_posters"]))
    fp_found = has("first_poster")
    res["roles.first_poster"]["precision"] = round(
        len(fp_found & originators) / max(1, len(fp_found)), 3
    )
    res["roles.first_poster"]["extra"] = sorted(fp_found - originators)[:12]
    res["roles.first_poster"]["ok"] = (
        res["roles.first_poster"]["recall"] == 1.0 and res["roles.first_poster"]["precision"] >= 0.6
    )
    role("roles.inciter", "inciter", set(T["inciters"]))
    res["roles.inciter"]["repost_comment_inciter_found"] = T["repost_comment_inciter"] in has(
        "inciter"
    )
    role("roles.splicer", "splicer", set(T["splicers"]))
    role("roles.impersonator", "impersonator", set(T["impersonators"]), exact=True)
    role("roles.multi_poster", "multi_poster", set(T["repeat_posters"]), min_recall=0.8)
    other = set(T["other_event_accounts"]) & set(by_id)
    res["roles.no_other_event"] = dict(ok=not other, leaked=sorted(other)[:12], n=len(other))

    # ---- coordination and MCNs
    role(
        "coordination.coordinated", "coordinated", set(T["army"]), min_recall=0.9, min_precision=0.9
    )
    coord_other = has("coordinated") & set(T["other_event_accounts"])
    res["coordination.coordinated"]["ok"] &= not coord_other
    res["coordination.coordinated"]["other_event"] = len(coord_other)
    mcns = rep["mcns"]
    first = mcns[0] if mcns else {}
    res["coordination.operating_mcn_first"] = dict(
        ok=first.get("mcn_id") == T["operating_mcn"] and _level(first.get("measures", [])) >= 2,
        first=first.get("mcn_id"),
        measures=first.get("measures"),
        ranking=[(m["mcn_id"], m["measures"][-1] if m["measures"] else None) for m in mcns],
    )
    mild = {
        m["mcn_id"]: m["measures"]
        for m in mcns
        if m["mcn_id"] in set(T["news_mcns"]) | set(T["bystander_mcns"])
    }
    res["coordination.news_bystander_mcns"] = dict(
        ok=all(_level(v) <= 1 for v in mild.values()), listed=mild
    )

    # ---- ranking and tiers
    culprits = set(T["culprits"])
    ranked = [a["account_id"] for a in sorted(accs, key=lambda a: a["rank"])]
    top10 = ranked[:10]
    res["ranking.top10_culprits"] = dict(
        ok=all(a in culprits for a in top10), not_culprits=[a for a in top10 if a not in culprits]
    )
    k = 50
    p50 = sum(a in culprits for a in ranked[:k]) / k
    res["ranking.precision_at_50"] = dict(
        ok=p50 >= 0.9,
        p50=round(p50, 3),
        culprits=len(culprits),
        intruders=[(i + 1, a) for i, a in enumerate(ranked[:k]) if a not in culprits][:10],
    )
    news_in = [(ranked.index(a) + 1, a) for a in T["news"] if a in ranked[:100]]
    res["ranking.no_news_top100"] = dict(ok=not news_in, news=news_in)
    tier = {
        a: by_id[a]["tier"] if a in by_id else None
        for a in set(T["army"])
        | set(T["ordinary"])
        | culprits
        | set(T["news"])
        | {T["victim"], T["minor"]}
    }
    army_ok = sum((tier[a] or 0) >= 2 for a in T["army"]) / len(T["army"])
    ordinary = [a for a in T["ordinary"] if a in by_id]
    ord_ok = sum(tier[a] <= 1 for a in ordinary) / max(1, len(ordinary))
    heavy = set(T["first_posters"]) | set(T["repeat_posters"]) | set(T["inciters"])
    heavy_bad = {a: tier[a] for a in heavy if (tier[a] or 0) < 3}
    zero = set(T["news"]) | {T["victim"], T["minor"]}
    zero_bad = {a: tier[a] for a in zero if tier[a] not in (0, None)}
    res["ranking.tiers"] = dict(
        ok=army_ok >= 0.9 and ord_ok >= 0.95 and not heavy_bad and not zero_bad,
        army_tier2=round(army_ok, 3),
        ordinary_tier1=round(ord_ok, 3),
        ordinary_n=len(ordinary),
        ordinary_over=sorted(a for a in ordinary if tier[a] > 1)[:10],
        heavy_below3=heavy_bad,
        targets_news_nonzero=zero_bad,
    )
    att = T["minor_main_attacker"]
    marked = {a for a in T["minor_attackers"] if by_id.get(a, {}).get("priority") == "minor"}
    res["ranking.minor_attacker"] = dict(
        ok=att in marked,
        main=att,
        marked=f"{len(marked)}/{len([a for a in T['minor_attackers'] if a in by_id])}",
        wrongly_marked=sorted(
            a
            for a in by_id
            if by_id[a].get("priority") == "minor" and a not in set(T["minor_attackers"])
        )[:5],
    )
    rm_ = out["report_model"]["accounts"]
    with_model = sum(any(e.get("kind") == "model" for e in a.get("evidence", [])) for a in rm_)
    res["ranking.model_used"] = dict(
        ok=with_model == len(rm_) and len(rm_) > 0,
        accounts_with_model_evidence=f"{with_model}/{len(rm_)}",
    )
    # the model-based ranking (reported, same bars)
    mranked = [a["account_id"] for a in sorted(rm_, key=lambda a: a["rank"])]
    res["ranking.model_ranking"] = dict(
        ok=all(a in culprits for a in mranked[:10])
        and sum(a in culprits for a in mranked[:50]) / 50 >= 0.9,
        top10_culprits=sum(a in culprits for a in mranked[:10]),
        p50=round(sum(a in culprits for a in mranked[:50]) / 50, 3),
    )

    # ---- protection of the person under attack: alerts and evidence
    alerts = out["alerts"]
    v = [a for a in alerts if a["target_id"] == T["victim"]]
    import datetime as dt

    start = T["attack_start"]

    def ts(s: str) -> float:
        return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()

    lags = [round((ts(a["began_at"]) - start) / 3600, 2) for a in v]
    res["protection.victim_alert"] = dict(ok=any(-1 <= g <= ALERT_LAG_H for g in lags), lags_h=lags)
    res["protection.minor_first"] = dict(
        ok=bool(alerts)
        and alerts[0]["target_id"] in T["minors"]
        and alerts[0].get("priority") == "minor",
        first=alerts[0]["target_id"] if alerts else None,
        minor_alerts=[
            (i, a.get("priority")) for i, a in enumerate(alerts) if a["target_id"] == T["minor"]
        ],
    )
    celeb = [a["began_at"] for a in alerts if a["target_id"] == T["celebrity"]]
    res["protection.celebrity_quiet"] = dict(
        ok=not celeb, alerts=celeb, album_at=round(T["album_at"])
    )
    man = out["manifest"]
    items = man["items"]
    ids = {i["content_id"] for i in items}
    harmful, benign = set(T["harmful_at_victim"]), set(T["benign_at_victim"])
    missing = harmful - ids
    miss_unknown = missing & set(T["harm_missing"])
    hashes_ok = (
        all(i["sha256"] == _sha({k: x for k, x in i.items() if k != "sha256"}) for i in items)
        and man["sha256"]
        == hashlib.sha256("".join(i["sha256"] for i in items).encode()).hexdigest()
    )
    res["protection.evidence"] = dict(
        ok=not missing and not (ids & benign) and hashes_ok,
        harmful=len(harmful),
        in_pack=len(harmful & ids),
        missed=len(missing),
        missed_harm_unknown=len(miss_unknown),
        missed_harm_known=sorted(missing - miss_unknown)[:5],
        benign_in_pack=sorted(ids & benign)[:5],
        items=len(items),
        hashes_ok=hashes_ok,
    )
    # ---- the early warning on the right people (both generators: tests/alert_acceptance.py)
    res.update(evaluate_alerts(alerts, truth_altgen(T)))
    return res
