"""Decisions: who decided (named keys), Idempotency-Key, and the append-only audit trail.

The same checks on the Neo4j store are in ``tests/test_neo4j_store.py``
(``test_idempotent_decisions_and_audit_as_on_the_embedded_store``).
"""

from __future__ import annotations

import sqlite3

import pytest
from fastapi.testclient import TestClient

from pileon.api.app import create_app
from pileon.api.deps import get_store
from pileon.settings import SettingsError, load_settings
from tests.helpers import INCIDENT, api_key, bearer

EV = INCIDENT["event_id"]
ALICE, BOB, CAROL = api_key("alice"), api_key("bob"), api_key("carol")


def test_keys_may_carry_a_name():
    keys = load_settings(
        api_keys=f"alice:{ALICE}:enforcer, bob.b@x-1:{BOB}:admin, {CAROL}:viewer"
    ).keys
    assert [(k.name, k.role.value) for k in keys[:2]] == [
        ("alice", "enforcer"),
        ("bob.b@x-1", "admin"),
    ]
    # an unnamed key is named by the start of its digest (never by the key)
    assert keys[2].name == "key-" + keys[2].digest[:4].hex() and CAROL not in keys[2].name
    for bad, message in (
        (f"al ice:{ALICE}:viewer", "a key may not contain spaces"),
        (f"a:b:{ALICE}:viewer", "NAME:KEY:ROLE"),
        (f":{ALICE}:viewer", "NAME:KEY:ROLE"),
        (f"al/ice:{ALICE}:viewer", "a name is"),
    ):
        with pytest.raises(SettingsError, match=message) as exc:
            load_settings(api_keys=bad)
        assert ALICE not in str(exc.value)


@pytest.fixture
def client(analyzed_store):
    app = create_app(
        load_settings(
            api_keys=f"alice:{ALICE}:enforcer,bob:{BOB}:enforcer,{CAROL}:admin",
            store="/nonexistent/never-opened.db",
        )
    )
    app.dependency_overrides[get_store] = lambda: analyzed_store
    with TestClient(app) as c:
        yield c


def post(client, key, body, idem=None):
    headers = bearer(key) | ({"Idempotency-Key": idem} if idem is not None else {})
    return client.post("/v1/decisions", json=body, headers=headers)


def test_decisions_record_who_decided(client, analyzed_store):
    r = post(client, ALICE, {"event_id": EV, "account_id": "weibo:001", "tier": 3})
    assert r.status_code == 201 and r.json()["decided_by"] == "alice"
    r = post(client, CAROL, {"event_id": EV, "account_id": "weibo:002", "tier": 2})
    assert r.json()["decided_by"].startswith("key-")
    assert analyzed_store.decisions()["decided_by"].tolist() == ["alice", r.json()["decided_by"]]
    listed = client.get("/v1/decisions", headers=bearer(ALICE)).json()["items"]
    assert [d["decided_by"] for d in listed] == ["alice", r.json()["decided_by"]]


def test_the_same_idempotency_key_and_body_give_the_same_decision(client, analyzed_store):
    body = {"event_id": EV, "account_id": "weibo:001", "tier": 3, "note": "closed"}
    first = post(client, ALICE, body, idem="req-1")
    again = post(client, ALICE, dict(reversed(body.items())), idem="req-1")  # same body
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert len(analyzed_store.decisions()) == 1
    # the same key with another body: 409, nothing recorded
    other = post(client, ALICE, {**body, "tier": 4}, idem="req-1")
    assert other.status_code == 409, other.text
    assert "Idempotency-Key" in other.json()["detail"]
    assert len(analyzed_store.decisions()) == 1
    # keys are the caller's own: bob's req-1 is another request
    bobs = post(client, BOB, body, idem="req-1")
    assert bobs.status_code == 201 and bobs.json()["decision_id"] != first.json()["decision_id"]
    # without a key, every POST is a new decision
    post(client, ALICE, body)
    post(client, ALICE, body)
    assert len(analyzed_store.decisions()) == 4
    for bad in ("", "x" * 256, "é"):
        r = client.post(
            "/v1/decisions",
            json=body,
            headers=bearer(ALICE) | {"Idempotency-Key": bad.encode("utf-8")},
        )
        assert r.status_code == 422, (bad, r.text)


def test_decisions_leave_an_append_only_audit_trail(client, analyzed_store):
    body = {"event_id": EV, "account_id": "weibo:001", "tier": 3}
    ids = [
        post(client, ALICE, body, idem="k").json().get("decision_id"),
        post(client, ALICE, body, idem="k").json().get("decision_id"),
        post(client, ALICE, {**body, "tier": 1}, idem="k").json().get("decision_id"),
        post(client, BOB, body).json().get("decision_id"),
    ]
    audit = analyzed_store.decision_audit()
    assert audit["action"].tolist() == ["recorded", "replayed", "refused", "recorded"]
    assert audit["decided_by"].tolist() == ["alice", "alice", "alice", "bob"]
    assert audit["idempotency_key"].tolist() == ["k", "k", "k", None]
    assert audit["decision_id"].tolist() == [ids[0], ids[0], ids[0], ids[3]]
    assert audit["seq"].tolist() == [1, 2, 3, 4] and audit["at"].notna().all()
    assert audit["request_sha256"].iloc[0] == audit["request_sha256"].iloc[1]
    assert audit["request_sha256"].iloc[2] != audit["request_sha256"].iloc[0]
    # the admin reads it over the API; an enforcer may not
    r = client.get("/v1/decisions/audit", headers=bearer(CAROL))
    assert r.status_code == 200 and [a["action"] for a in r.json()["items"]] == [
        "recorded",
        "replayed",
        "refused",
        "recorded",
    ]
    assert client.get("/v1/decisions/audit", headers=bearer(ALICE)).status_code == 403
    # the trail cannot be changed nor shortened, even by SQL on the file
    con = sqlite3.connect(analyzed_store.path)
    for sql in ("UPDATE decision_audit SET action = 'x'", "DELETE FROM decision_audit"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute(sql)
    con.close()
    assert len(analyzed_store.decision_audit()) == 4
