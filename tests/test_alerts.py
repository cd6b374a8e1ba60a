"""Early-warning alerts (pileon.detectors.alerts): a hand-made world, the sample incident, CLI, API."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from pileon.cli import cli
from pileon.detectors.alerts import aimed_items, detect_alerts
from pileon.graph.embedded import EmbeddedStore
from pileon.graph.errors import NotFound
from pileon.ingest.load import load_folder
from pileon.service.alerts import alert_frames, alerts_from_store
from tests.helpers import ATTACK, KEYS, W, client_for, load_world, make_world


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    info = load_world(tmp_path_factory.mktemp("world"))
    yield info
    info["store"].close()


@pytest.fixture(scope="module")
def world_alerts(world):
    return alerts_from_store(world["store"])


# ------------------------------------------------------------------ aimed items
def test_aimed_items_follow_targets_replies_and_mentions(world):
    items = aimed_items(alert_frames(world["store"]))
    victim = items[items["target_id"] == W["victim"]]
    assert set(world["harmful"]["victim"]) <= set(victim["content_id"])
    assert victim["how"].isin(["target", "reply", "mention"]).all()
    assert victim["content_id"].is_unique
    # the @mentions resolved to the victim by her name
    mentions = victim[victim["how"] == "mention"]
    assert len(mentions) >= 20
    # replies under the accusation do not make the accuser a target
    assert items[items["target_id"] == W["accuser"]].empty
    # nobody aims at the quiet account, and no one aims at themselves
    assert items[items["target_id"] == W["quiet"]].empty
    assert (items["target_id"] != items["sender_id"]).all()


def test_strangers_are_the_senders_without_earlier_contact(world):
    frames = alert_frames(world["store"])
    alerts = detect_alerts(frames, target_id=W["victim"])
    strangers = next(s for s in alerts[0].signals if s["signal"] == "strangers")
    # 60 strangers comment, 20 mention, 15 message; the contacts are no strangers
    assert strangers["surge"] and strangers["observed"] >= 60
    assert strangers["expected"] < 5


# ----------------------------------------------------------------------- alerts
def test_minor_first_and_marked(world_alerts):
    assert world_alerts[0].target_id == W["minor"]
    assert world_alerts[0].priority == "minor"
    assert "priority_human_review" in world_alerts[0].recommend
    assert all(a.priority is None for a in world_alerts if a.target_id != W["minor"])


def test_victim_alert_begins_when_the_attack_begins(world, world_alerts):
    victim = [a for a in world_alerts if a.target_id == W["victim"]]
    assert len(victim) == 1
    a = victim[0]
    assert ATTACK.tz_convert("UTC") <= a.began_at <= ATTACK + pd.Timedelta(hours=1)
    assert a.began_at <= a.peak_at
    d = a.to_dict()
    assert set(d) >= {
        "target_id",
        "began_at",
        "peak_at",
        "signals",
        "score",
        "priority",
        "recommend",
        "evidence",
    }
    assert d["began_at"].endswith("Z")
    surged = {s["signal"] for s in d["signals"] if s["surge"]}
    assert {"strangers", "harmful", "comments"} <= surged
    harmful = next(s for s in d["signals"] if s["signal"] == "harmful")
    assert harmful["observed"] >= 60 and harmful["share"] > 0.8
    assert {
        "limit_strangers",
        "hide_harmful_comments",
        "filter_harmful_messages",
        "filter_harmful_mentions",
        "evidence_pack",
    } <= set(a.recommend)
    ev = {e["kind"]: e for e in d["evidence"]}
    assert ev["surge:harmful"]["content_ids"]
    assert set(ev["surge:harmful"]["content_ids"]) <= set(world["harmful"]["victim"])
    assert 0 < a.score <= 1


def test_busy_benign_account_raises_no_alert(world, world_alerts):
    targets = {a.target_id for a in world_alerts}
    assert W["star"] not in targets
    # ... although its traffic did surge: the harm gate keeps it out, not the surge test
    from pileon.detectors.surge import detect_surges, hourly_counts

    items = aimed_items(alert_frames(world["store"]))
    star = items[items["target_id"] == W["star"]]
    assert detect_surges(hourly_counts(star["at"]))
    assert targets == {W["minor"], W["victim"]}


def test_event_restriction_and_target_filter(world):
    store = world["store"]
    in_event = alerts_from_store(store, event_id=W["event"])
    assert [a.target_id for a in in_event] == [W["minor"], W["victim"]]
    victim = next(a for a in in_event if a.target_id == W["victim"])
    assert victim.event_id == W["event"]
    assert ATTACK <= victim.began_at <= ATTACK + pd.Timedelta(hours=1)
    only = alerts_from_store(store, target_id=W["victim"])
    assert [a.target_id for a in only] == [W["victim"]]
    assert alerts_from_store(store, target_id=W["quiet"]) == []
    with pytest.raises(NotFound):
        alerts_from_store(store, target_id="weibo:nobody")
    with pytest.raises(NotFound):
        alerts_from_store(store, event_id="ev:nothing")


def test_same_answer_twice(world, world_alerts):
    again = alerts_from_store(world["store"])
    assert [a.to_dict() for a in again] == [a.to_dict() for a in world_alerts]


def test_empty_store(tmp_path):
    store = EmbeddedStore(str(tmp_path / "empty.db"))
    assert alerts_from_store(store) == []


# -------------------------------------------------------------------------- CLI
def test_cli_alerts_json_and_text(world):
    runner = CliRunner()
    res = runner.invoke(cli, ["alerts", "--store", world["db"], "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert [a["target_id"] for a in data] == [W["minor"], W["victim"]]
    assert data[0]["priority"] == "minor"
    res = runner.invoke(cli, ["alerts", "--store", world["db"], "--target", W["victim"]])
    assert res.exit_code == 0 and "strangers" in res.output and "limit of messages" in res.output
    res = runner.invoke(cli, ["alerts", "--store", world["db"], "--target", W["quiet"]])
    assert res.exit_code == 0 and res.output.strip() == "no alerts"
    res = runner.invoke(cli, ["alerts", "--store", world["db"], "--target", "weibo:nobody"])
    assert res.exit_code == 2
    assert res.output.strip().splitlines()[-1] == "error: unknown account 'weibo:nobody'"


# -------------------------------------------------------------------------- API
def test_api_alerts(world, world_alerts):
    with client_for(world["store"]) as c:
        h = {"Authorization": f"Bearer {KEYS['viewer']}"}
        r = c.get(f"/v1/targets/{W['victim']}/alerts", headers=h)
        assert r.status_code == 200
        body = r.json()
        want = [a.to_dict() for a in world_alerts if a.target_id == W["victim"]]
        assert [i["began_at"] for i in body["items"]] == [w["began_at"] for w in want]
        assert body["items"][0]["signals"] == want[0]["signals"]
        assert body["next_cursor"] is None
        r = c.get(f"/v1/targets/{W['quiet']}/alerts", headers=h)
        assert r.status_code == 200 and r.json() == {"items": [], "next_cursor": None}
        assert c.get("/v1/targets/weibo:nobody/alerts", headers=h).status_code == 404
        assert c.get(f"/v1/targets/{W['victim']}/alerts").status_code == 401
        r = c.get(f"/v1/targets/{W['victim']}/alerts", headers=h, params={"event": W["event"]})
        assert r.status_code == 200 and len(r.json()["items"]) == 1
        r = c.get(f"/v1/targets/{W['victim']}/alerts", headers=h, params={"cursor": "forged"})
        assert r.status_code == 400
        r = c.get(f"/v1/targets/{W['victim']}/alerts", headers=h, params={"limit": 0})
        assert r.status_code == 422


# ---------------------------------------------------------------- sample incident
@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from tests.helpers import load_sample

    base = tmp_path_factory.mktemp("sample")
    store, truth = load_sample(base, seed=3, scale=0.2)
    yield {"truth": truth, "store": store, "folder": base / "incident"}
    store.close()


def test_sample_incident_alerts(sample):
    truth = sample["truth"]["alerts"]
    alerts = alerts_from_store(sample["store"])
    first = alerts[0]
    assert first.target_id == truth["minor"] and first.priority == "minor"
    start = pd.Timestamp(truth["attack_start"])
    victim = [a for a in alerts if a.target_id == truth["victim"]]
    assert len(victim) == 1
    assert start - pd.Timedelta(hours=1) <= victim[0].began_at <= start + pd.Timedelta(hours=3)
    minor_start = pd.Timestamp(truth["minor_attack_start"])
    assert (
        minor_start - pd.Timedelta(hours=1) <= first.began_at <= minor_start + pd.Timedelta(hours=6)
    )
    assert truth["busy_benign"] not in {a.target_id for a in alerts}


# ------------------------------------------------------------------ both stores
@pytest.mark.neo4j
@pytest.mark.xdist_group("neo4j")
def test_neo4j_store_gives_the_same_alerts_and_pack(world, world_alerts, tmp_path, neo4j_store):
    """The same tables in Neo4j give the same alerts and a byte-identical evidence pack
    (WIPES the Neo4j test database: the ``neo4j_store`` fixture)."""
    from pileon.service.evidence import evidence_pack

    tables = tmp_path / "tables"
    make_world(tables)
    load_folder(neo4j_store, tables, reject_path=tmp_path / "rejects.csv")
    got = alerts_from_store(neo4j_store)
    assert [a.to_dict() for a in got] == [a.to_dict() for a in world_alerts]
    for target in (W["victim"], W["minor"], W["quiet"]):
        assert evidence_pack(neo4j_store, target) == evidence_pack(world["store"], target)


def test_projection_input(world):
    """A projection (one event's slice) works too: the event's own contents only."""
    from pileon.graph.projection import project

    p = project(world["store"], W["event"])
    alerts = detect_alerts(p)
    assert [a.target_id for a in alerts] == [W["minor"], W["victim"]]
    assert alerts[0].priority == "minor"


def test_two_surges_two_alerts_and_pages(tmp_path):
    """One alert per target and surge; the API pages through them without gaps or repeats."""
    rows, t0 = [], pd.Timestamp("2026-05-01T00:00:00+08:00")
    friends = [f"weibo:f{i}" for i in range(3)]

    def add(i, account, when, text, harm, **kw):
        rows.append(
            {
                "content_id": f"weibo:x{i}",
                "account_id": account,
                "platform": "weibo",
                "posted_at": when.isoformat(),
                "text": text,
                "harm": harm,
                **kw,
            }
        )

    n = 0
    for d in range(24):
        n += 1
        add(n, "weibo:t", t0 + pd.Timedelta(days=d, hours=12), "日常", 0.0)
        post = f"weibo:x{n}"
        for j, f in enumerate(friends[:2]):
            n += 1
            add(
                n,
                f,
                t0 + pd.Timedelta(days=d, hours=13 + j),
                "赞",
                0.01,
                kind="comment",
                reply_to=post,
            )
        if d in (8, 17):
            size = 20 if d == 8 else 45
            for j in range(size):
                n += 1
                add(
                    n,
                    f"weibo:s{d}_{j}",
                    t0 + pd.Timedelta(days=d, hours=14, minutes=4 * j),
                    "滚",
                    0.9,
                    kind="comment",
                    reply_to=post,
                )
    folder = tmp_path / "tables"
    folder.mkdir()
    pd.DataFrame(rows).to_csv(folder / "contents.csv", index=False)
    store = EmbeddedStore(str(tmp_path / "two.db"))
    load_folder(store, folder, reject_path=tmp_path / "rejects.csv")
    alerts = alerts_from_store(store)
    assert [a.target_id for a in alerts] == ["weibo:t", "weibo:t"]
    starts = sorted(a.began_at for a in alerts)
    assert [s.day for s in starts] == [9, 18]  # 9 and 18 May, 14:00 +08:00
    assert starts[0] == t0 + pd.Timedelta(days=8, hours=14)
    # the bigger surge scores higher and comes first
    assert alerts[0].began_at == starts[1] and alerts[0].score > alerts[1].score
    with client_for(store) as c:
        h = {"Authorization": f"Bearer {KEYS['viewer']}"}
        url = "/v1/targets/weibo:t/alerts"
        first = c.get(url, headers=h, params={"limit": 1}).json()
        assert len(first["items"]) == 1 and first["next_cursor"]
        second = c.get(url, headers=h, params={"limit": 1, "cursor": first["next_cursor"]}).json()
        assert second["next_cursor"] is None
        got = [i["began_at"] for i in first["items"] + second["items"]]
        assert got == [a.to_dict()["began_at"] for a in alerts]
        # a cursor of another list is refused
        r = c.get(
            "/v1/targets/weibo:f0/alerts",
            headers=h,
            params={"limit": 1, "cursor": first["next_cursor"]},
        )
        assert r.status_code == 400
    store.close()
