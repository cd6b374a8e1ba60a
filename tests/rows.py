"""Row builders shared by the detector tests' hand-made projections, and the sample
incident loaded into a store the way ``pileon ingest`` does."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

T0 = pd.Timestamp("2026-03-01T00:00:00Z")
STORY = (
    "南城七中初二班主任林晓雯长期体罚学生，昨天把一个男生打到耳膜穿孔住院了，学校还想把事情压下去"
)
EDIT = "转：南城七中初二班主任林晓雯一直体罚学生们，昨天把一个男生打到耳膜穿孔住院了，学校还想把事情压下去😡"


def content_row(cid, acc, minutes=0, text=STORY, platform="weibo", **kw):
    """A ``contents`` row posted ``minutes`` after :data:`T0`."""
    return {
        "content_id": cid,
        "account_id": acc,
        "platform": platform,
        "posted_at": (T0 + pd.Timedelta(minutes=minutes)).isoformat(),
        "text": text,
        **kw,
    }


def repost_row(rid, acc, src, minutes=1, text=None, **kw):
    """A ``reposts`` row of ``src`` made ``minutes`` after :data:`T0`."""
    return {
        "repost_id": rid,
        "account_id": acc,
        "source_id": src,
        "reposted_at": (T0 + pd.Timedelta(minutes=minutes)).isoformat(),
        "text": text,
        **kw,
    }


def load_sample(folder: Path, *, seed: int, scale: float):
    """The sample incident generated in ``folder/incident`` and ingested into a new embedded
    store ``folder/pileon.db`` (rejects in ``folder/rejects.csv``): ``(store, truth)``."""
    from pileon.graph.embedded import EmbeddedStore
    from pileon.ingest.load import load_folder
    from pileon.ingest.sample import generate_incident

    truth = generate_incident(folder / "incident", seed=seed, scale=scale)
    store = EmbeddedStore(str(folder / "pileon.db"))
    load_folder(store, folder / "incident", reject_path=folder / "rejects.csv")
    return store, truth
