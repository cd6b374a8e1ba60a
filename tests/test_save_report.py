"""The embedded store keeps a saved report as the exact JSON text
(``json.dumps(..., ensure_ascii=False, sort_keys=True)``) of each ranked item, one row each,
and of the rest of the report, whose first key names the ranked lists kept as rows; reading
the report back gives the saved one, key order included."""

from __future__ import annotations

import json

from pileon.graph.embedded import EmbeddedStore
from pileon.graph.store import RANKED_LISTS
from tests.helpers import incident_report


def _rest(report):
    """The report's JSON text without its ranked lists, as the store keeps it."""
    kept = sorted(k for k in report if k in RANKED_LISTS)
    rest = {k: v for k, v in report.items() if k not in RANKED_LISTS}
    return json.dumps({"__ranked_in_table__": kept, **rest}, ensure_ascii=False, sort_keys=True)


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
    assert whole == _rest(report) and '"accounts": [' not in whole
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
    back = store.report(run)
    assert back == json.loads(json.dumps(report))
    assert list(back) == sorted(report)  # the key order of json.dumps(..., sort_keys=True)
    store.close()


def test_report_saved_whole_reads_as_before(tmp_path):
    """A run saved by an earlier version (the whole report in ``runs.report``, the ranked
    rows beside it) reads back unchanged."""
    report = incident_report()
    store = EmbeddedStore(str(tmp_path / "s.db"))
    run = store.save_report(report)
    con = store._con()
    with con:
        con.execute(
            "UPDATE runs SET report = ? WHERE run_id = ?",
            (json.dumps(report, ensure_ascii=False, sort_keys=True), run),
        )
    assert store.report(run) == json.loads(json.dumps(report))
    store.close()


def test_empty_ranked_lists_read_back(tmp_path):
    report = incident_report()
    report["mcns"] = []
    report.pop("venues", None)
    store = EmbeddedStore(str(tmp_path / "s.db"))
    back = store.report(store.save_report(report))
    assert back["mcns"] == [] and "venues" not in back
    assert back == json.loads(json.dumps(report))
    store.close()


def test_saved_text_without_the_c_encoder(tmp_path, monkeypatch):
    """Where json has no C encoder, the items are encoded by ``JSONEncoder.encode``: the
    same text."""
    monkeypatch.setattr(json.encoder, "c_make_encoder", None)
    report = incident_report()
    store = EmbeddedStore(str(tmp_path / "s.db"))
    run = store.save_report(report)
    con = store._con()
    (whole,) = con.execute("SELECT report FROM runs WHERE run_id = ?", (run,)).fetchone()
    assert whole == _rest(report)
    items = [i for (i,) in con.execute("SELECT item FROM ranked WHERE kind = 'accounts'")]
    assert items == [json.dumps(a, ensure_ascii=False, sort_keys=True) for a in report["accounts"]]
