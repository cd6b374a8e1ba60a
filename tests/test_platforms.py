"""Platform accountability (SPEC §7): the figures against a direct computation from the
``moderation`` rows, hand-made handling times, the command and the API routes."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from click.testing import CliRunner

from pileon.detectors.pipeline import detect, event_features
from pileon.detectors.platforms import PLATFORM_KEYS, handling_times, platform_figures
from pileon.graph.projection import Projection, project
from tests.helpers import KEYS

E1 = "evt:2026-03-nancheng-teacher"


def ts(s: str) -> pd.Timestamp:
    return pd.Timestamp(s, tz="UTC") if "+" not in s and not s.endswith("Z") else pd.Timestamp(s)


# ------------------------------------------------------------------ handling times by hand
def test_handling_time_prefers_the_row_naming_the_report():
    reports = pd.DataFrame(
        {
            "report_id": ["r1", "r2", "r3", "r4"],
            "content_id": ["c1", "c2", None, "c4"],
            "account_id": [None, None, "a3", None],
            "reported_at": pd.to_datetime(["2026-03-01T00:00Z"] * 4),
        }
    )
    moderation = pd.DataFrame(
        {
            "action_id": ["m1", "m2", "m3", "m4", "m5"],
            # r1: a row on its content 10 min after, one naming it 2 h after: the named one
            # r2: only a row before the report: not actioned
            # r3: a suspension of its account 30 min after
            # r4: a dismissal naming it 5 h after
            "content_id": ["c1", "c1", "c2", None, "c4"],
            "account_id": [None, None, None, "a3", None],
            "report_id": [None, "r1", None, None, "r4"],
            "acted_at": pd.to_datetime(
                [
                    "2026-03-01T00:10Z",
                    "2026-03-01T02:00Z",
                    "2026-02-28T23:00Z",
                    "2026-03-01T00:30Z",
                    "2026-03-01T05:00Z",
                ]
            ),
        }
    )
    got = handling_times(reports, moderation).tolist()
    assert got[0] == 7200 and math.isnan(got[1]) and got[2] == 1800 and got[3] == 5 * 3600


def _small() -> Projection:
    t = "2026-03-01T00:00:00Z"
    contents = [
        {
            "content_id": f"wb{i}",
            "account_id": f"wa{i}",
            "platform": "weibo",
            "posted_at": t,
            "harm": 0.9 if i < 4 else 0.1,
        }
        for i in range(6)
    ] + [
        {
            "content_id": "dy0",
            "account_id": "da0",
            "platform": "douyin",
            "posted_at": t,
            "harm": 0.9,
        }
    ]
    reports = [
        {
            "report_id": f"r{i}",
            "reported_at": "2026-03-01T01:00:00Z",
            "content_id": f"wb{i}",
            "involves_minor": i == 0,
        }
        for i in range(4)
    ] + [{"report_id": "rd", "reported_at": "2026-03-01T01:00:00Z", "account_id": "da0"}]
    moderation = [
        {
            "action_id": "m0",
            "platform": "weibo",
            "acted_at": "2026-03-01T01:30:00Z",
            "action": "remove",
            "content_id": "wb0",
            "report_id": "r0",
        },
        {
            "action_id": "m1",
            "platform": "weibo",
            "acted_at": "2026-03-01T03:00:00Z",
            "action": "hide",
            "content_id": "wb1",
        },
        {
            "action_id": "m2",
            "platform": "weibo",
            "acted_at": "2026-03-03T01:00:00Z",
            "action": "dismiss",
            "report_id": "r2",
        },
    ]
    return Projection.from_tables(
        {"event_id": "e", "started_at": t},
        contents=contents,
        reports=reports,
        moderation=moderation,
    )


def test_figures_by_hand():
    p = _small()
    rows = {f.platform: f.to_dict() for f in platform_figures(p, p.contents["harm"] >= 0.5)}
    wb, dy = rows["weibo"], rows["douyin"]
    assert tuple(wb) == PLATFORM_KEYS
    assert wb["harmful"] == 4 and wb["harmful_removed_share"] == 0.5  # wb0 removed, wb1 hidden
    assert wb["reports"] == 4 and wb["reports_actioned_share"] == 0.75  # r3 never
    assert wb["report_to_action_median_s"] == 7200  # 1800, 7200, 172800
    assert wb["report_to_action_p90_s"] == pytest.approx(7200 + 0.8 * (172800 - 7200))
    assert wb["actioned_within_1h_share"] == 0.25 and wb["actioned_within_24h_share"] == 0.5
    assert wb["minor_report_to_action_median_s"] == 1800
    # the account report's platform is its account's (none known here: the content's author)
    assert dy["harmful"] == 1 and dy["harmful_removed_share"] == 0.0
    assert dy["report_to_action_median_s"] is None and dy["reports_actioned_share"] in (0.0, None)


# ------------------------------------------------------------------ the sample, independently
@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from tests.helpers import load_sample

    tmp = tmp_path_factory.mktemp("platforms")
    store, truth = load_sample(tmp, seed=5, scale=0.25)
    yield store, truth, tmp
    store.close()


def _direct(p, harmful_ids: set[str], folder) -> dict[str, dict]:
    """The platform figures computed straight from the moderation CSV, row by row."""
    mod = pd.read_csv(folder / "incident" / "moderation.csv", dtype=str, keep_default_na=False)
    mod["t"] = pd.to_datetime(mod["acted_at"], format="ISO8601", utc=True)
    own = p.contents[~p.contents["placeholder"] & (p.contents["via"] != "source")]
    plat_of = dict(zip(p.accounts["account_id"], p.accounts["platform"]))
    plat_of.update(zip(p.reposts["repost_id"], p.reposts["platform"]))
    plat_of.update(zip(p.contents["content_id"], p.contents["platform"]))
    removed = set(mod.loc[mod["action"].isin(["remove", "hide"]), "content_id"])
    out: dict[str, dict] = {}

    def entry(pl):
        return out.setdefault(pl, {"bad": 0, "removed": 0, "delays": [], "minor": [], "n": 0})

    for cid, pl in zip(own["content_id"], own["platform"]):
        entry(pl)
        if cid in harmful_ids:
            entry(pl)["bad"] += 1
            entry(pl)["removed"] += cid in removed
    for r in p.reports.itertuples():
        pl = plat_of.get(r.content_id) if isinstance(r.content_id, str) else None
        pl = pl or (plat_of.get(r.account_id) if isinstance(r.account_id, str) else None)
        if pl is None:
            continue
        e = entry(pl)
        e["n"] += 1
        after = mod[mod["t"] >= r.reported_at]
        named = after[after["report_id"] == r.report_id]
        if named.empty:
            named = after[
                ((after["content_id"] == r.content_id) & (after["content_id"] != ""))
                | ((after["account_id"] == r.account_id) & (after["account_id"] != ""))
            ]
        if not named.empty:
            d = (named["t"].min() - r.reported_at).total_seconds()
            e["delays"].append(d)
            if pd.notna(r.involves_minor) and bool(r.involves_minor):
                e["minor"].append(d)
    return out


def test_sample_figures_match_a_direct_computation(sample):
    store, truth, folder = sample
    p = project(store, E1)
    det = detect(p, seed=0)
    _, items, det = event_features(p, det)
    harmful_ids = set(p.contents.loc[items.contents.to_numpy(dtype=bool), "content_id"])
    figures = {f.platform: f.to_dict() for f in platform_figures(p, items.contents, det.venues)}
    direct = _direct(p, harmful_ids, folder)
    assert set(figures) == set(direct)
    for pl, d in direct.items():
        f = figures[pl]
        delays = pd.Series(d["delays"], dtype=float)
        assert f["harmful"] == d["bad"], pl
        assert f["harmful_removed_share"] == (
            round(d["removed"] / d["bad"], 6) if d["bad"] else None
        ), pl
        assert f["reports"] == d["n"], pl
        if d["n"]:
            assert f["reports_actioned_share"] == round(len(delays) / d["n"], 6), pl
            assert f["actioned_within_1h_share"] == round((delays <= 3600).sum() / d["n"], 6)
            assert f["actioned_within_24h_share"] == round((delays <= 86400).sum() / d["n"], 6)
        if len(delays):
            assert f["report_to_action_median_s"] == pytest.approx(delays.median(), abs=1e-6)
            assert f["report_to_action_p90_s"] == pytest.approx(delays.quantile(0.9), abs=1e-5)
        minor = pd.Series(d["minor"], dtype=float)
        assert f["minor_report_to_action_median_s"] == (
            pytest.approx(minor.median(), abs=1e-6) if len(minor) else None
        ), pl
    # what the sample plants: Weibo fastest; Douyin slow on minors' reports
    plant = truth["events"][E1]["venues"]["moderation"]
    fast = figures[plant["fast"]]["report_to_action_median_s"]
    assert all(
        fast <= f["report_to_action_median_s"]
        for f in figures.values()
        if f["report_to_action_median_s"] is not None
    )
    slow = figures[plant["slow_on_minors"]]
    assert slow["minor_report_to_action_median_s"] > 3 * slow["report_to_action_median_s"]
    # the teacher's topic was closed: Weibo keeps the school's topic open
    assert figures["weibo"]["harmful_venues_open"] == 1


# ------------------------------------------------------------------ command and API
def test_command_prints_the_reports_platforms(sample):
    from pileon.cli import cli
    from pileon.service.analysis import analyze

    store, _, _ = sample
    runner = CliRunner()
    # before any analysis: computed, not saved
    r = runner.invoke(cli, ["platforms", "--event", E1, "--json", "--store", store.uri])
    assert r.exit_code == 0, r.output
    computed = json.loads(r.output)
    assert store.latest_run(E1) is None
    report = analyze(store, E1, seed=0, model=None)
    r = runner.invoke(cli, ["platforms", "--event", E1, "--json", "--store", store.uri])
    assert json.loads(r.output) == report["platforms"] == computed
    table = runner.invoke(cli, ["platforms", "--event", E1, "--store", store.uri])
    assert table.exit_code == 0 and table.output.splitlines()[0].split()[0] == "platform"
    assert len(table.output.splitlines()) == 1 + len(report["platforms"])
    bad = runner.invoke(cli, ["platforms", "--event", "evt:none", "--store", store.uri])
    assert bad.exit_code != 0 and bad.output.count("\n") == 1 and "evt:none" in bad.output


def test_api_pages_venues_and_platforms_for_viewers(sample_store):
    from tests.test_api import make_client, pull_all

    report = sample_store.report(sample_store.latest_run(E1))
    with make_client(sample_store) as client:
        venues = pull_all(client, f"/v1/events/{E1}/venues", limit=2)
        plats = pull_all(client, f"/v1/events/{E1}/platforms", limit=3)
        r = client.get(f"/v1/events/{E1}/venues")
        assert r.status_code == 401
        r = client.get(
            "/v1/events/evt:none/platforms", headers={"Authorization": f"Bearer {KEYS['viewer']}"}
        )
        assert r.status_code == 404
        rep = client.get(
            f"/v1/events/{E1}/report", headers={"Authorization": f"Bearer {KEYS['viewer']}"}
        ).json()
        graph = client.get(
            f"/v1/events/{E1}/graph", headers={"Authorization": f"Bearer {KEYS['viewer']}"}
        ).json()
    assert [v["venue_id"] for v in venues] == [v["venue_id"] for v in report["venues"]]
    assert [v["rank"] for v in venues] == list(range(1, len(venues) + 1))
    assert [p["platform"] for p in plats] == [p["platform"] for p in report["platforms"]]
    assert (
        plats[0]["report_to_action_median_s"] == report["platforms"][0]["report_to_action_median_s"]
    )
    assert rep["venues"] == venues and len(rep["platforms"]) == len(plats)
    # venues appear in the incident graph as their own kind of node, with their makers
    kinds = {n["kind"] for n in graph["nodes"]}
    assert "venue" in kinds
    shown = {n["ref"] for n in graph["nodes"] if n["kind"] == "venue"}
    assert shown == {v["venue_id"] for v in report["venues"] if v["measures"]}
    assert graph["summary"]["venues_shown"] == len(shown)
