"""``import pileon``: the public Python API as a notebook uses it, end to end."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest

import pileon

EVENT = "evt:2026-03-nancheng-teacher"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("public")
    truth = pileon.sample(tmp / "incident", seed=3, scale=0.2)
    db = tmp / "incident.db"
    summary = pileon.ingest_folder(db, tmp / "incident", rejects=tmp / "rejects.csv")
    return tmp, db, truth, summary


def test_names_are_documented_and_importing_is_light():
    for name in pileon.__all__:
        assert callable(getattr(pileon, name)) and getattr(pileon, name).__doc__, name
        assert f":func:`{name}`" in pileon.__doc__, name


def test_sample_ingest_analyze_through_a_uri(world):
    tmp, db, truth, summary = world
    assert summary.tables["reposts"].read == summary.tables["reposts"].stored > 0
    report = pileon.analyze(db, EVENT, model=None)  # a URI: opened for the call, closed after
    assert report["event_id"] == EVENT and report["accounts"]
    with pileon.open_store(db) as store:
        assert store.report(store.latest_run(EVENT))["accounts"] == report["accounts"]
    planted = truth["events"][EVENT]
    top = {a["account_id"] for a in report["accounts"][:10]}
    culprits = set().union(*(planted[r] for r in ("first_poster", "inciter", "multi_poster")))
    assert top & culprits


def test_project_coactivity_alerts_and_evidence_on_an_open_store(world):
    tmp, db, truth, _ = world
    with pileon.open_store(db) as store:
        p = pileon.project(store, EVENT)
        assert p.event_id == EVENT and len(p.reposts) > 0
        pairs = pileon.coactivity(store, window=60, min_weight=2, event_id=EVENT)
        assert list(pairs.columns) == ["account_a", "account_b", "weight"]
        assert (pairs["weight"] >= 2).all() and (pairs["account_a"] < pairs["account_b"]).all()
        victim = truth["alerts"]["victim"]
        assert victim in {a.target_id for a in pileon.alerts(store)}
        with zipfile.ZipFile(io.BytesIO(pileon.evidence_pack(store, victim))) as z:
            manifest = json.loads(z.read("manifest.json"))
        assert manifest["target_id"] == victim and manifest["items"]


def test_the_readme_example_uses_only_public_names():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("```python", 1)[1].split("```", 1)[0]
    used = set(re.findall(r"pileon\.(\w+)\(", block))
    assert used and used <= set(pileon.__all__)
