"""Row builders shared by the detector tests' hand-made projections."""

from __future__ import annotations

import pandas as pd

T0 = pd.Timestamp("2026-03-01T00:00:00Z")
STORY = "南城七中初二班主任林晓雯长期体罚学生，昨天把一个男生打到耳膜穿孔住院了，学校还想把事情压下去"
EDIT = "转：南城七中初二班主任林晓雯一直体罚学生们，昨天把一个男生打到耳膜穿孔住院了，学校还想把事情压下去😡"


def content_row(cid, acc, minutes=0, text=STORY, platform="weibo", **kw):
    """A ``contents`` row posted ``minutes`` after :data:`T0`."""
    return {"content_id": cid, "account_id": acc, "platform": platform,
            "posted_at": (T0 + pd.Timedelta(minutes=minutes)).isoformat(), "text": text, **kw}


def repost_row(rid, acc, src, minutes=1, text=None, **kw):
    """A ``reposts`` row of ``src`` made ``minutes`` after :data:`T0`."""
    return {"repost_id": rid, "account_id": acc, "source_id": src,
            "reposted_at": (T0 + pd.Timedelta(minutes=minutes)).isoformat(), "text": text, **kw}
