"""The embedded store keeps a saved report as the exact JSON text of the whole report and of
each ranked item (``json.dumps(..., ensure_ascii=False, sort_keys=True)``)."""

from __future__ import annotations

import json

from pileon.graph.embedded import EmbeddedStore
from tests.helpers import incident_report


def test_saved_text_is_the_reports_own_json(tmp_path):
    report = incident_report()
    report["accounts"][0]["evidence"].append(
        {"kind": "note", "content_ids": [], "detail": '转发 "引号" \\ 与换行\n', "z": 1, "a": None}
    )
    report["extra"] = {"b": [1.5, 2], "a": "网暴"}
    store = EmbeddedStore(str(tmp_path / "s.db"))
    run = store.save_report(report)
    con = store._con()
    (whole,) = con.execute("SELECT report FROM runs WHERE run_id = ?", (run,)).fetchone()
    assert whole == json.dumps(report, ensure_ascii=False, sort_keys=True)
    rows = con.execute(
        "SELECT kind, rank, item_id, tier, roles, item FROM ranked WHERE run_id = ? ORDER BY rowid",
        (run,),
    ).fetchall()
    want = []
    for kind, key in (("accounts", "account_id"), ("mcns", "mcn_id"), ("clusters", "cluster_id")):
        for pos, item in enumerate(report.get(kind, []), start=1):
            want.append(
                (
                    kind,
                    int(item.get("rank", pos)),
                    item[key],
                    item.get("tier"),
                    json.dumps(item.get("roles", [])),
                    json.dumps(item, ensure_ascii=False, sort_keys=True),
                )
            )
    assert rows == want and len(want) > 3
    assert store.report(run) == json.loads(json.dumps(report))
    store.close()


def test_saved_text_without_the_c_encoder(tmp_path, monkeypatch):
    """Where json has no C encoder, the items are encoded by ``JSONEncoder.encode``: the
    same text."""
    monkeypatch.setattr(json.encoder, "c_make_encoder", None)
    report = incident_report()
    store = EmbeddedStore(str(tmp_path / "s.db"))
    run = store.save_report(report)
    (whole,) = store._con().execute("SELECT report FROM runs WHERE run_id = ?", (run,)).fetchone()
    assert whole == json.dumps(report, ensure_ascii=False, sort_keys=True)
