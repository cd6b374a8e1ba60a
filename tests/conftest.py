"""Shared fixtures: a temporary embedded store, and one holding an analyzed incident.

``analyzed_store`` holds a small hand-made incident (event ``ev:campus``, 40
accounts, 2 MCNs, contents, reposts, renames, affiliations) and one analysis
run: a SPEC §4 report saved with ``store.save_report``.  ``INCIDENT`` names
the IDs tests may rely on.  ``sample_store`` holds the generated sample incident
(``pileon.ingest.sample``, small scale) analyzed by the real ``pileon.detectors.pipeline.analyze``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pileon.graph.embedded import EmbeddedStore

INCIDENT = {
    "event_id": "ev:campus",
    "other_event_id": "ev:quiet",  # stored, never analyzed
    "victim": "weibo:victim",
    "accounts": [f"weibo:{i:03d}" for i in range(1, 41)],
    "mcns": ["mcn:alpha", "mcn:beta"],
    "first_content": "weibo:c001",
}

_ROLES = ("first_poster", "multi_poster", "inciter", "splicer", "impersonator", "coordinated")


def incident_report(
    event_id: str = INCIDENT["event_id"],
    *,
    generated_at: str = "2026-03-02T00:00:00+00:00",
    reverse: bool = False,
) -> dict:
    """A SPEC §4 report over the incident's accounts (``reverse`` flips the ranking)."""
    ids = list(INCIDENT["accounts"])
    if reverse:
        ids.reverse()
    accounts = []
    for rank, a in enumerate(ids, start=1):
        n = int(a.split(":")[1])
        roles = [_ROLES[n % len(_ROLES)]] if n % 4 else ["participant"]
        if n % 5 == 0:
            roles.append("coordinated")
        tier = 4 if rank <= 2 else 3 if rank <= 8 else 2 if rank <= 16 else 1 if rank <= 30 else 0
        accounts.append(
            {
                "account_id": a,
                "rank": rank,
                "score": round(1 - rank / 50, 4),
                "tier": tier,
                "roles": sorted(set(roles)),
                "cluster_id": "c1" if n % 5 == 0 else None,
                "mcn_ids": ["mcn:alpha"] if n <= 6 else [],
                "priority": "minor" if n == 7 else None,
                "refer": n == 1,
                "evidence": [
                    {
                        "kind": "posted",
                        "content_ids": [f"weibo:c{n:03d}"],
                        "detail": f"posted {n} times",
                    }
                ],
            }
        )
    return {
        "event_id": event_id,
        "generated_at": generated_at,
        "accounts": accounts,
        "mcns": [
            {
                "mcn_id": "mcn:alpha",
                "rank": 1,
                "score": 0.9,
                "accounts": [f"weibo:{i:03d}" for i in range(1, 7)],
                "measures": ["warning", "suspend_revenue"],
                "evidence": [],
            },
            {
                "mcn_id": "mcn:beta",
                "rank": 2,
                "score": 0.2,
                "accounts": ["weibo:040"],
                "measures": ["warning"],
                "evidence": [],
            },
        ],
        "clusters": [
            {
                "cluster_id": f"c{k}",
                "accounts": [f"weibo:{i:03d}" for i in range(k * 5, 41, 5)],
                "score": round(0.9 - k / 10, 2),
                "evidence": [],
            }
            for k in range(1, 4)
        ],
        "narratives": [
            {
                "narrative_id": "n1",
                "first_poster": "weibo:001",
                "first_content_id": INCIDENT["first_content"],
                "platforms": ["weibo"],
                "size": 80,
                "harmful": True,
            }
        ],
    }


def build_incident(store: EmbeddedStore) -> dict:
    """Load the incident's tables into ``store``; return ``INCIDENT``."""
    ev, victim = INCIDENT["event_id"], INCIDENT["victim"]
    accs = INCIDENT["accounts"]
    t0 = pd.Timestamp("2026-03-01T00:00:00Z")
    store.upsert(
        "accounts",
        pd.DataFrame(
            {
                "account_id": accs + [victim],
                "platform": "weibo",
                "name": [f"user {a}" for a in accs] + ["Ms Victim"],
                "followers": list(range(10, 10 * len(accs) + 1, 10)) + [5000],
                "is_minor": [a == "weibo:007" for a in accs] + [False],
            }
        ),
    )
    store.upsert(
        "mcns", pd.DataFrame({"mcn_id": INCIDENT["mcns"], "name": ["Alpha Media", "Beta Studio"]})
    )
    store.upsert(
        "events",
        pd.DataFrame(
            {
                "event_id": [ev, INCIDENT["other_event_id"]],
                "name": ["Campus rumour", "Quiet day"],
                "started_at": [t0, t0],
                "keywords": [["rumour"], ["quiet"]],
                "entities": [["Ms Victim"], []],
                "target_ids": [[victim], []],
            }
        ),
    )
    contents = pd.DataFrame(
        {
            "content_id": [f"weibo:c{i:03d}" for i in range(1, 41)],
            "account_id": accs,
            "platform": "weibo",
            "posted_at": [t0 + pd.Timedelta(minutes=i) for i in range(40)],
            "text": [f"the rumour about her, take {i}" for i in range(1, 41)],
            "event_id": ev,
            "harm": 0.9,
            "target_ids": [[victim]] * 40,
        }
    )
    contents.loc[1, "reply_to"] = INCIDENT["first_content"]
    store.upsert("contents", contents)
    store.upsert(
        "reposts",
        pd.DataFrame(
            {
                "repost_id": [f"weibo:r{i:03d}" for i in range(1, 21)],
                "account_id": accs[20:40],
                "source_id": INCIDENT["first_content"],
                "reposted_at": [t0 + pd.Timedelta(hours=1, minutes=i) for i in range(20)],
            }
        ),
    )
    store.upsert(
        "renames",
        pd.DataFrame(
            {
                "account_id": ["weibo:005"],
                "new_name": ["Ms Victim official"],
                "renamed_at": [t0 + pd.Timedelta(hours=2)],
                "old_name": ["user weibo:005"],
            }
        ),
    )
    store.upsert(
        "affiliations",
        pd.DataFrame(
            {
                "account_id": accs[:6] + ["weibo:040"],
                "mcn_id": ["mcn:alpha"] * 6 + ["mcn:beta"],
                "role": "creator",
            }
        ),
    )
    members = [f"weibo:c{i:03d}" for i in range(1, 41)] + [f"weibo:r{i:03d}" for i in range(1, 21)]
    store.set_memberships(
        pd.DataFrame(
            {"content_id": members, "event_id": ev, "via": ["event_id"] * 40 + ["repost"] * 20}
        )
    )
    return INCIDENT


@pytest.fixture
def tmp_store(tmp_path):
    """An empty embedded store in a temporary folder."""
    store = EmbeddedStore(str(tmp_path / "pileon.db"))
    yield store
    store.close()


@pytest.fixture
def analyzed_store(tmp_store):
    """An embedded store holding the incident and one analysis run of it."""
    build_incident(tmp_store)
    tmp_store.save_report(incident_report())
    return tmp_store


@pytest.fixture(scope="session")
def _sample_incident_db(tmp_path_factory):
    """The sample incident (small scale), ingested and analyzed by the real pipeline, once."""
    from pileon.ingest.load import load_folder
    from pileon.ingest.sample import generate_incident

    root = tmp_path_factory.mktemp("sample-incident")
    truth = generate_incident(root / "tables", seed=0, scale=0.05)
    path = root / "pileon.db"
    store = EmbeddedStore(str(path))
    load_folder(store, root / "tables", reject_path=root / "rejects.csv")
    try:
        from pileon.service.analysis import analyze

        for event_id in store.event_ids():
            analyze(store, event_id, seed=0, model=None)
    finally:
        store.close()
    return path, truth


@pytest.fixture
def sample_store(_sample_incident_db, tmp_path):
    """A private copy of the analyzed sample incident (tests may write to it)."""
    import shutil

    src, _ = _sample_incident_db
    for suffix in ("", "-wal", "-shm"):
        if Path(str(src) + suffix).exists():
            shutil.copy(str(src) + suffix, tmp_path / ("pileon.db" + suffix))
    store = EmbeddedStore(str(tmp_path / "pileon.db"))
    yield store
    store.close()
