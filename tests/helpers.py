"""Plain helpers the tests share: builders of rows, incidents, projections and worlds.

Fixtures live in ``tests/conftest.py``; everything here is a plain function or constant,
imported as ``from tests.helpers import ...`` (``tests`` is a package, so each module has
one name, whether pytest runs from the repository root or ``scripts/dev test`` runs it).
No test module imports another test module: what two of them share lives here.

Sections, in order:

* rows of hand-made projections: :func:`content_row`, :func:`repost_row`, :data:`T0`,
  :data:`STORY`, :data:`EDIT`;
* a tiny scored event: :func:`tiny_event` (a projection and its detections), :func:`at`;
* the hand-made incident: :data:`INCIDENT`, :func:`build_incident`, :func:`incident_report`;
* the generated sample incident: :func:`load_sample`, :func:`sample_projections`;
* an incident in another style: :func:`other_incident`;
* API keys: :func:`api_key`, :data:`KEYS` (one per role), :func:`keys_setting`, :func:`bearer`;
* the alerts world: :func:`make_world`, :func:`load_world`, :data:`W`, :data:`ATTACK`,
  :func:`client_for` with :data:`KEYS`;
* the Neo4j test server: :class:`Neo4jServer`, :func:`wipe_neo4j` (the fixtures are in
  ``tests/conftest.py``);
* real data: :func:`real_data`, :func:`full_data_dir`, :data:`VENDORED_DATA`;
* events in time, a store with history: rows in hours from :data:`EVENT_START`
  (:func:`hour_content`, :func:`hour_repost`, :data:`NEW_EVENT`, :data:`OLD_EVENT`),
  :func:`event_frames`, :func:`store_of_rows`, :func:`write_rows_folder`,
  :func:`resurfacing_rows`, :func:`two_years_rows`, and :func:`assert_same_findings` (a
  report with and without a year-old copy of its incident), :func:`holders`.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd
import pytest

from pileon.detectors.findings import Cluster, Detections, Evidence, Narrative, RoleFinding
from pileon.graph.embedded import EmbeddedStore
from pileon.graph.frames import coerce
from pileon.graph.model import CULPABLE_ROLES, TABLES, ColType
from pileon.graph.neo4j_store import DEFAULT_BATCH_SIZE, Neo4jStore
from pileon.graph.projection import Projection
from pileon.ingest.load import load_folder
from pileon.ingest.membership import compute_memberships

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

# ------------------------------------------------------------------ rows of hand-made projections
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


# ------------------------------------------------------------------ a tiny scored event
def at(minutes: float) -> str:
    """ISO time ``minutes`` after :data:`T0`."""
    return (T0 + pd.Timedelta(minutes=minutes)).isoformat()


def tiny_event() -> tuple[Projection, Detections]:
    """An event against teacher ``t`` and pupil ``kid`` (a minor).

    ``fp`` first-posts a harmful rumour, ``army1..3`` repost it within seconds
    (a cluster), ``p1`` reposts it once, ``news`` posts a benign report that
    ``p2`` and 3 others repost, ``bully`` sends the minor a harmful comment.
    """
    accounts = [
        {"account_id": "t", "platform": "weibo", "name": "Teacher"},
        {"account_id": "kid", "platform": "weibo", "is_minor": True},
        {
            "account_id": "fp",
            "platform": "weibo",
            "followers": 120,
            "created_at": at(-60 * 24 * 30),
            "identity_key": "id-x",
        },
        {"account_id": "army1", "platform": "weibo", "followers": 3, "identity_key": "id-x"},
        {"account_id": "army2", "platform": "weibo", "followers": 2},
        {"account_id": "army3", "platform": "weibo", "followers": 1},
        {"account_id": "p1", "platform": "weibo", "followers": 50},
        {"account_id": "p2", "platform": "weibo", "followers": 80},
        {"account_id": "news", "platform": "weibo", "followers": 5_000_000, "verified": True},
        {"account_id": "bully", "platform": "weibo"},
    ] + [{"account_id": f"o{i}", "platform": "weibo"} for i in range(3)]
    contents = [
        {
            "content_id": "c1",
            "account_id": "fp",
            "platform": "weibo",
            "posted_at": at(0),
            "text": "rumour",
            "harm": 0.9,
            "target_ids": ["t"],
        },
        {
            "content_id": "c2",
            "account_id": "news",
            "platform": "weibo",
            "posted_at": at(30),
            "text": "police statement",
            "harm": 0.02,
        },
        {
            "content_id": "c3",
            "account_id": "bully",
            "platform": "weibo",
            "posted_at": at(40),
            "text": "you deserve it",
            "kind": "comment",
            "harm": 0.8,
            "target_ids": ["kid"],
        },
        {
            "content_id": "c4",
            "account_id": "kid",
            "platform": "weibo",
            "posted_at": at(35),
            "text": "it is not true",
            "harm": 0.0,
        },
    ]
    reposts = [
        {"repost_id": "r1", "account_id": "army1", "source_id": "c1", "reposted_at": at(1)},
        {"repost_id": "r2", "account_id": "army2", "source_id": "c1", "reposted_at": at(1.2)},
        {"repost_id": "r3", "account_id": "army3", "source_id": "c1", "reposted_at": at(1.3)},
        {"repost_id": "r4", "account_id": "p1", "source_id": "r1", "reposted_at": at(90)},
        {"repost_id": "r5", "account_id": "p2", "source_id": "c2", "reposted_at": at(31)},
    ] + [
        {
            "repost_id": f"ro{i}",
            "account_id": f"o{i}",
            "source_id": "c2",
            "reposted_at": at(32 + 20 * i),
        }
        for i in range(3)
    ]
    affiliations = [
        {"account_id": "army1", "mcn_id": "m1", "since": at(-1000)},
        {"account_id": "army2", "mcn_id": "m1", "since": at(-1000), "until": at(-10)},
    ]
    reports = [
        {"report_id": "rep1", "reported_at": at(50), "content_id": "c3", "involves_minor": True}
    ]
    p = Projection.from_tables(
        {"event_id": "e1", "name": "E", "started_at": at(0), "target_ids": ["t"]},
        accounts=accounts,
        contents=contents,
        reposts=reposts,
        affiliations=affiliations,
        reports=reports,
    )
    p.accounts["role_hint"] = ["target" if a == "t" else "author" for a in p.accounts["account_id"]]
    narratives = (
        Narrative("n1", "fp", "c1", ("weibo",), 5, True, ("c1",), 0.9),
        Narrative("n2", "news", "c2", ("weibo",), 5, False, ("c2",), 0.02),
        Narrative("n3", "bully", "c3", ("weibo",), 1, True, ("c3",), 0.8),
        Narrative("n4", "kid", "c4", ("weibo",), 1, False, ("c4",), 0.0),
    )
    of = {
        "c1": "n1",
        "r1": "n1",
        "r2": "n1",
        "r3": "n1",
        "r4": "n1",
        "c2": "n2",
        "r5": "n2",
        "ro0": "n2",
        "ro1": "n2",
        "ro2": "n2",
        "c3": "n3",
        "c4": "n4",
    }
    roles = (
        RoleFinding("fp", "first_poster", 0.95, (Evidence("first_post", ("c1",), "first"),)),
        RoleFinding("army1", "coordinated", 0.8),
        RoleFinding("army2", "coordinated", 0.8),
        RoleFinding("army3", "coordinated", 0.8),
    )
    clusters = (
        Cluster("c1", ("army1", "army2", "army3"), 0.8, True),
        Cluster("c2", ("o0", "o1"), 0.1, False),
    )
    return p, Detections(narratives, of, roles, clusters)


# ------------------------------------------------------------------ the hand-made incident
INCIDENT = {
    "event_id": "ev:campus",
    "other_event_id": "ev:quiet",  # stored, never analyzed
    "victim": "weibo:victim",
    "accounts": [f"weibo:{i:03d}" for i in range(1, 41)],
    "mcns": ["mcn:alpha", "mcn:beta"],
    "first_content": "weibo:c001",
}


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
        roles = [CULPABLE_ROLES[n % len(CULPABLE_ROLES)]] if n % 4 else ["participant"]
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


# ------------------------------------------------------------------ the generated sample incident
def load_sample(folder: Path, *, seed: int, scale: float):
    """The sample incident generated in ``folder/incident`` and ingested into a new embedded
    store ``folder/pileon.db`` (rejects in ``folder/rejects.csv``): ``(store, truth)``."""
    from pileon.ingest.sample import generate_incident

    truth = generate_incident(folder / "incident", seed=seed, scale=scale)
    store = EmbeddedStore(str(folder / "pileon.db"))
    load_folder(store, folder / "incident", reject_path=folder / "rejects.csv")
    return store, truth


def _read_csv(folder: Path, table: str) -> pd.DataFrame:
    """One generated CSV table as text columns (lists split on ``|``); empty if absent."""
    path = folder / f"{table}.csv"
    if not path.exists():
        return coerce(table, pd.DataFrame())
    df = pd.read_csv(path, dtype=str, keep_default_na=False).replace("", None)
    for col in TABLES[table].columns:
        if col.type == ColType.LIST and col.name in df:
            df[col.name] = df[col.name].map(lambda v: v.split("|") if v else [])
        elif col.type == ColType.BOOL and col.name in df:
            df[col.name] = df[col.name].map(lambda v: None if v is None else v.lower() == "true")
    return df


def sample_projections(folder: Path) -> dict[str, Projection]:
    """Every event's projection of a generated incident, built from its CSV files with
    :func:`compute_memberships` the way ``pileon.graph.projection.project`` builds it from a store."""
    raw = {
        t: _read_csv(folder, t) for t in ("events", "contents", "reposts", "accounts", "renames")
    }
    events = coerce("events", raw["events"])
    contents, reposts = coerce("contents", raw["contents"]), coerce("reposts", raw["reposts"])
    members = compute_memberships(events, contents, reposts)
    out = {}
    for ev in raw["events"].to_dict("records"):
        eid = ev["event_id"]
        ids = set(members.loc[members["event_id"] == eid, "content_id"])
        c = raw["contents"][raw["contents"]["content_id"].isin(ids)]
        r = raw["reposts"][raw["reposts"]["repost_id"].isin(ids)]
        known = set(raw["contents"]["content_id"]) | set(raw["reposts"]["repost_id"])
        gone = sorted((set(r["source_id"]) | set(c["reply_to"].dropna())) - known)
        c = pd.concat(
            [c, pd.DataFrame({"content_id": gone, "placeholder": True})], ignore_index=True
        )
        authors = set(c["account_id"].dropna()) | set(r["account_id"])
        targets = set(ev["target_ids"]) | {t for ts in c["target_ids"].dropna() for t in ts}
        acc = raw["accounts"][raw["accounts"]["account_id"].isin(authors | targets)].copy()
        acc["role_hint"] = ["author" if a in authors else "target" for a in acc["account_id"]]
        ren = raw["renames"][raw["renames"]["account_id"].isin(set(acc["account_id"]))]
        out[eid] = Projection.from_tables(ev, contents=c, reposts=r, accounts=acc, renames=ren)
    return out


# ------------------------------------------------------------------ an incident in another style
def other_incident(seed=0, n_crowd=400, with_old_name=True, n_templates=160):
    """A small incident written independently of ``pileon.ingest.sample``: three stories copied only a
    few times, posts and comments recombined from long stock phrases, three splicers (one
    a video with an edit, one copied virally), a self-splice, a rebuttal quoting two
    rumours, three impersonators (a decorated name renamed back, an institution's
    department before the start, a homophone) and five traps (a similar name taken long
    before, an unrelated rename, the verified company tidying its name, a different
    person's similar name, the victim herself).  Returns ``(projection, splicers,
    impersonators, not_impersonators)``."""
    rng = np.random.default_rng(seed)
    T0 = pd.Timestamp("2026-05-10T09:00:00+08:00")
    ev = {
        "event_id": "evt:hy",
        "name": "恒远科技员工赵雅琴被网暴",
        "started_at": T0.isoformat(),
        "keywords": ["恒远科技", "赵雅琴", "HR霸凌"],
        "entities": ["赵雅琴", "恒远科技有限公司", "恒远科技", "滨江区人社局"],
        "target_ids": ["douyin:victim"],
    }
    C, RN, A = [], [], []

    def acc(aid, name, **kw):
        A.append({"account_id": aid, "platform": aid.split(":")[0], "name": name, **kw})

    n = [0]

    def post(aid, t, text, harm=None, kind="post", reply_to=None):
        n[0] += 1
        cid = f"{aid.split(':')[0]}:p{n[0]}"
        C.append(
            {
                "content_id": cid,
                "account_id": aid,
                "platform": aid.split(":")[0],
                "posted_at": t.isoformat(),
                "text": text,
                "harm": harm,
                "kind": kind,
                "reply_to": reply_to,
            }
        )
        return cid

    acc("douyin:victim", "赵雅琴Zoe")
    acc("weibo:company", "恒远科技", verified=True)
    S1 = [
        "恒远科技的HR赵雅琴私下克扣实习生工资，还威胁不签字就不给开实习证明",
        "有同事实名举报她，结果被公司约谈劝退",
        "这种人凭什么还能留在公司",
    ]
    S2 = [
        "赵雅琴在面试时当众嘲讽求职者的学历和长相，录音已经流出来了",
        "恒远科技一直在包庇她，人社局也不管",
        "建议大家都去看看录音",
    ]
    S3 = [
        "知情人爆料：赵雅琴的舅舅是滨江区人社局的领导，所以投诉全都石沉大海",
        "难怪公司对她这么客气",
    ]
    fp = {}
    fp[1] = post("douyin:f1", T0, "，".join(S1), harm=0.85)
    acc("douyin:f1", "真相挖掘机")
    fp[2] = post("xiaohongshu:f2", T0 + pd.Timedelta(hours=3), "。".join(S2), harm=0.8)
    acc("xiaohongshu:f2", "职场吐槽君")
    fp[3] = post("bilibili:f3", T0 + pd.Timedelta(hours=5), "，".join(S3), harm=None)
    acc("bilibili:f3", "打工人日报")
    crowd = [
        f"{p}:u{i}"
        for i, p in enumerate(rng.choice(["weibo", "douyin", "xiaohongshu", "bilibili"], n_crowd))
    ]
    for a in crowd:
        acc(a, f"网友{rng.integers(10**5, 10**6)}")
    stories = [S1, S2, S3]
    # copies with edits, a few per story only
    for k in range(12):
        s = stories[k % 3]
        a = crowd[k]
        txt = "，".join(s).replace("赵雅琴", "赵某琴" if k % 4 == 0 else "赵雅琴")
        post(
            a,
            T0 + pd.Timedelta(hours=6 + k),
            "搬运：" + txt + rng.choice(["", "！！", "…"]),
            harm=0.7,
        )
    # template posts and comments from long stock phrases
    OPEN = [
        "这种职场霸凌必须严肃处理才行",
        "恒远科技这家公司我记住你了",
        "打工人太难了真的受够这种人",
        "人事部门不作为简直令人心寒",
        "看完真的气得我一晚上没睡着",
    ]
    Z = [
        "希望相关部门尽快介入调查吧",
        "大家一起帮忙扩散让更多人看到",
        "不给个说法这事就没完",
        "以后再也不会投这家公司的简历",
    ]
    for k in range(n_templates):
        a = crowd[12 + k % 300]
        post(
            a,
            T0 + pd.Timedelta(hours=8, minutes=7 * k),
            rng.choice(OPEN) + "，" + rng.choice(Z),
            harm=float(rng.uniform(0.3, 0.7)),
            kind="post" if k % 3 else "comment",
            reply_to=None,
        )
    # splicers
    sp = {}
    acc("weibo:sp1", "热点搬运站")
    acc("bilibili:sp2", "吃瓜前线")
    acc("weibo:sp3", "一线爆料")
    sp["weibo:sp1"] = post(
        "weibo:sp1",
        T0 + pd.Timedelta(hours=20),
        "汇总：" + S1[0] + "。" + S2[0] + "。" + S3[0] + "！",
        harm=0.9,
    )
    sp["bilibili:sp2"] = post(
        "bilibili:sp2",
        T0 + pd.Timedelta(hours=26),
        S2[0].replace("当众", "公开") + "，而且" + S1[1] + "。",
        harm=None,
        kind="video",
    )
    sp["weibo:sp3"] = post(
        "weibo:sp3", T0 + pd.Timedelta(hours=30), S3[0] + "，" + S1[0] + "，太黑了", harm=0.75
    )
    # copies of a splice (copies, not splices)
    for k in range(5):
        post(
            crowd[320 + k],
            T0 + pd.Timedelta(hours=31 + k),
            "转发：汇总：" + S1[0] + "。" + S2[0] + "。" + S3[0],
            harm=0.8,
        )
    # self-splice (own earlier posts) -> not
    acc("weibo:self", "自说自话")
    post(
        "weibo:self",
        T0 + pd.Timedelta(hours=1),
        "恒远科技今天又开了一次全员大会，说是要整顿工作作风",
    )
    post("weibo:self", T0 + pd.Timedelta(hours=2), "听说赵雅琴下周要调去别的部门了，消息来源可靠")
    post(
        "weibo:self",
        T0 + pd.Timedelta(hours=40),
        "恒远科技今天又开了一次全员大会，说是要整顿工作作风。听说赵雅琴下周要调去别的部门了",
    )
    # debunk quoting two rumors
    acc("weibo:news", "滨江日报", verified=True)
    post(
        "weibo:news",
        T0 + pd.Timedelta(hours=50),
        "【辟谣】网传“" + S1[0] + "”“" + S3[0] + "”，经核实均系谣言。",
        harm=0.05,
    )
    # a single-source quote with long own commentary
    post(
        crowd[330],
        T0 + pd.Timedelta(hours=44),
        S2[0]
        + "。我觉得这件事还需要等待官方调查结果，不能只听一面之词，网络不是法外之地，大家理性讨论，不要人身攻击。",
        harm=0.2,
    )
    # comments replying to the victim
    vpost = post("douyin:victim", T0 - pd.Timedelta(days=3), "周末去爬山，风景很好")
    for k in range(60):
        post(
            crowd[k],
            T0 + pd.Timedelta(hours=10, minutes=13 * k),
            rng.choice(OPEN) + "，" + rng.choice(Z),
            harm=0.6,
            kind="comment",
            reply_to=vpost,
        )
    # impersonators
    imp = ["weibo:imp1", "douyin:imp2", "xiaohongshu:imp3"]
    acc("weibo:imp1", "快乐小狗")
    acc("douyin:imp2", "路人甲乙丙")
    acc("xiaohongshu:imp3", "momo")

    def rn(a, old, new, t):
        row = {"account_id": a, "new_name": new, "renamed_at": t.isoformat()}
        if with_old_name:
            row["old_name"] = old
        RN.append(row)

    rn("weibo:imp1", "快乐小狗", "赵雅琴本人", T0 + pd.Timedelta(hours=12))
    rn("weibo:imp1", "赵雅琴本人", "快乐小狗", T0 + pd.Timedelta(days=4))
    rn("douyin:imp2", "路人甲乙丙", "恒远科技HR部", T0 - pd.Timedelta(hours=10))
    rn("xiaohongshu:imp3", "momo", "赵亚琴", T0 + pd.Timedelta(days=1))
    for a in imp:
        post(a, T0 + pd.Timedelta(days=1, hours=3), "我是赵雅琴，我承认这些都是真的，对不起大家")
    # traps
    nots = ["weibo:old", "weibo:unrel", "weibo:company", "weibo:othername", "douyin:victim"]
    acc("weibo:old", "雅琴的小屋")
    acc("weibo:unrel", "小雨点")
    acc("weibo:othername", "阿婷")
    rn("weibo:old", "琴琴", "雅琴的小屋", T0 - pd.Timedelta(days=60))
    rn("weibo:unrel", "小雨点", "今天也要加油鸭", T0 + pd.Timedelta(days=1))
    rn("weibo:company", "恒远科技", "恒远科技有限公司", T0 + pd.Timedelta(days=2))
    rn("weibo:othername", "阿婷", "赵雅婷", T0 + pd.Timedelta(days=1))
    rn("douyin:victim", "赵雅琴Zoe", "用户已注销", T0 + pd.Timedelta(days=2))
    for a in ["weibo:old", "weibo:unrel", "weibo:company", "weibo:othername"]:
        post(a, T0 + pd.Timedelta(days=1, hours=5), "关于恒远科技的事情，大家等官方消息吧")
    # random crowd renames at random times
    for a in crowd[:40]:
        rn(
            a,
            "x",
            f"网友{rng.integers(10**5, 10**6)}",
            T0 + pd.Timedelta(days=int(rng.integers(-200, 5))),
        )
    accounts = pd.DataFrame(A).drop_duplicates("account_id")
    p = Projection.from_tables(ev, contents=C, renames=RN, accounts=accounts)
    return p, set(sp), set(imp), set(nots)


# ------------------------------------------------------------------ API keys
def api_key(label: str) -> str:
    """A strong, repeatable API key for ``label``: ``label-`` and 40 hex digits derived from
    it (the API refuses keys under 128 bits; this one has 160 by its estimate)."""
    return f"{label}-{hashlib.sha256(label.encode('utf-8')).hexdigest()[:40]}"


#: one key per role
KEYS = {role: api_key(role) for role in ("viewer", "enforcer", "admin")}


def keys_setting(keys: dict[str, str] | None = None) -> str:
    """``PILEON_API_KEYS`` for ``{role: key}`` (default :data:`KEYS`): ``KEY:ROLE,...``."""
    return ",".join(f"{key}:{role}" for role, key in (keys or KEYS).items())


def bearer(key: str) -> dict[str, str]:
    """The ``Authorization`` header of ``key``."""
    return {"Authorization": f"Bearer {key}"}


# ------------------------------------------------------------------ the alerts world
WORLD_T0 = pd.Timestamp("2026-03-01T00:00:00+08:00")
DAYS = 21
#: the attack on the victim starts here (local 20:30 on day 15)
ATTACK = WORLD_T0 + pd.Timedelta(days=15, hours=20, minutes=30)
MINOR_ATTACK = WORLD_T0 + pd.Timedelta(days=16, hours=9, minutes=15)
FAN_DAY = WORLD_T0 + pd.Timedelta(days=17)
RHYTHM = np.array(
    [
        0.55,
        0.35,
        0.2,
        0.12,
        0.08,
        0.08,
        0.15,
        0.35,
        0.6,
        0.7,
        0.75,
        0.8,
        0.9,
        0.85,
        0.75,
        0.75,
        0.8,
        0.85,
        0.9,
        0.95,
        1.0,
        1.0,
        0.95,
        0.8,
    ]
)
W = {
    "victim": "weibo:1",
    "star": "weibo:2",
    "minor": "douyin:3",
    "accuser": "weibo:4",
    "quiet": "weibo:5",
    "outlet": "weibo:7",
    "shop": "weibo:8",
    "pupil": "douyin:9",
    "event": "ev:rumour",
}
#: the shop's post draws untargeted abuse here (day 18, 14:00 local)
SHOP_ATTACK = WORLD_T0 + pd.Timedelta(days=18, hours=14)
#: the victim's pupil, a minor with no history, gets one harmful comment from a stranger
PUPIL_HARM = ATTACK + pd.Timedelta(hours=16)


def _world_iso(ts: pd.Timestamp) -> str:
    return ts.isoformat()


def make_world(folder: Path, seed: int = 0) -> dict:
    """Write a small world as CSV tables; return what the tests need to know about it.

    * a victim with three weeks of contacts' comments and messages, then a pile-on of
      strangers' harmful comments, messages and @mentions (event ``ev:rumour``);
    * a busy singer whose fans comment with a day rhythm, six-fold on a fan day, harm low;
    * a minor whose video draws harmful comments and messages from strangers;
    * an accuser whose harmful post against the victim draws harmful replies (no target);
    * an account nothing aims at;
    * a verified news outlet whose report on the event draws 300 comments, a third of them
      harmful, aimed at the victim (``target_ids``) and ``@``-mentioning the outlet, the rest
      benign and untargeted;
    * a shop whose post draws 25 harmful replies from strangers, naming no target;
    * the victim's pupil, a minor with no history, under one harmful comment from a
      stranger that names her.
    """
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    accounts = [
        (W["victim"], "weibo", "王小雨", False),
        (W["star"], "weibo", "星河", False),
        (W["minor"], "douyin", "小鹿", True),
        (W["accuser"], "weibo", "爆料君", False),
        (W["quiet"], "weibo", "安静的人", False),
        (W["outlet"], "weibo", "南城日报", False),
        (W["shop"], "weibo", "老街面包房", False),
        (W["pupil"], "douyin", "小雨同学", True),
    ]
    readers = [f"weibo:{i}" for i in range(3000, 3300)]
    buyers = [f"weibo:{i}" for i in range(1000, 1004)]
    vandals = [f"weibo:{i}" for i in range(1100, 1125)]
    contacts = [f"weibo:{i}" for i in range(10, 16)]
    strangers = [f"weibo:{i}" for i in range(100, 160)]
    fans = [f"weibo:{i}" for i in range(200, 600)]
    mates = [f"douyin:{i}" for i in range(700, 706)]
    attackers = [f"douyin:{i}" for i in range(800, 812)]
    for group, plat in (
        (contacts, "weibo"),
        (strangers, "weibo"),
        (fans, "weibo"),
        (mates, "douyin"),
        (attackers, "douyin"),
        (readers, "weibo"),
        (buyers, "weibo"),
        (vandals, "weibo"),
        (["douyin:950"], "douyin"),
    ):
        accounts += [(a, plat, f"用户{a.split(':')[1]}", False) for a in group]
    rows: list[dict] = []
    n = [0]

    def content(
        account,
        when,
        text,
        *,
        kind="post",
        reply_to=None,
        harm=None,
        targets=(),
        event_id=None,
        platform=None,
    ):
        n[0] += 1
        cid = f"{platform or account.split(':')[0]}:c{n[0]}"
        rows.append(
            {
                "content_id": cid,
                "account_id": account,
                "platform": platform or account.split(":")[0],
                "posted_at": _world_iso(when),
                "text": text,
                "kind": kind,
                "reply_to": reply_to,
                "harm": harm,
                "target_ids": "|".join(targets) or None,
                "event_id": event_id,
                "url": f"https://example.org/{cid}" if kind == "post" else None,
            }
        )
        return cid

    harmful: dict[str, list[str]] = {"victim": [], "minor": []}
    benign_aimed: dict[str, list[str]] = {"victim": [], "minor": []}
    # the victim's ordinary life
    for d in range(DAYS):
        p = content(
            W["victim"], WORLD_T0 + pd.Timedelta(days=d, hours=19), f"第{d + 1}天的备课笔记"
        )
        for k in range(int(rng.integers(2, 5))):
            c = content(
                contacts[int(rng.integers(len(contacts)))],
                WORLD_T0 + pd.Timedelta(days=d, hours=19, minutes=20 + 30 * k),
                "加油王老师",
                kind="comment",
                reply_to=p,
                harm=0.02,
            )
            benign_aimed["victim"].append(c)
        c = content(
            contacts[int(rng.integers(len(contacts)))],
            WORLD_T0 + pd.Timedelta(days=d, hours=12),
            "明天一起吃饭？",
            kind="dm",
            harm=0.01,
            targets=[W["victim"]],
        )
        benign_aimed["victim"].append(c)
        if d == 15:
            victim_post = p
    # the pile-on: 6 hours of strangers' abuse, with <script> and Chinese text
    accuse = content(
        W["accuser"],
        ATTACK,
        "爆料！王小雨体罚学生 <script>alert(1)</script>",
        harm=0.9,
        targets=[W["victim"]],
        event_id=W["event"],
    )
    harmful["victim"].append(accuse)
    for i, a in enumerate(strangers):
        when = ATTACK + pd.Timedelta(minutes=5 + 6 * i)
        harmful["victim"].append(
            content(
                a,
                when,
                "王老师滚出学校！",
                kind="comment",
                reply_to=victim_post,
                harm=0.85,
                event_id=W["event"],
            )
        )
        if i % 3 == 0:
            harmful["victim"].append(
                content(
                    a,
                    when + pd.Timedelta(minutes=2),
                    "@王小雨 你还有脸发微博？",
                    harm=0.8,
                    event_id=W["event"],
                )
            )
        if i % 4 == 0:
            harmful["victim"].append(
                content(
                    a,
                    when + pd.Timedelta(minutes=3),
                    "王小雨，等着",
                    kind="dm",
                    harm=0.75,
                    targets=[W["victim"]],
                    event_id=W["event"],
                )
            )
        # replies under the accusation: they join the attack, they are not aimed at the accuser
        content(
            a,
            when + pd.Timedelta(minutes=1),
            "支持爆料，这种老师必须开除",
            kind="comment",
            reply_to=accuse,
            harm=0.7,
            event_id=W["event"],
        )
    # a supporter, benign, during the attack
    benign_aimed["victim"].append(
        content(contacts[0], ATTACK + pd.Timedelta(hours=1), "@王小雨 我们相信你", harm=0.01)
    )
    # a harmful comment with unknown harm: neither harmful nor benign
    unknown = content(
        strangers[0], ATTACK + pd.Timedelta(hours=2), "呵呵", kind="comment", reply_to=victim_post
    )
    # the singer: a post a day, fans' comments with a day rhythm, six-fold on the fan day
    for d in range(DAYS):
        day = WORLD_T0 + pd.Timedelta(days=d)
        p = content(W["star"], day + pd.Timedelta(hours=9), "今天也要开心", harm=0.0)
        boost = 6.0 if day == FAN_DAY else 1.0
        for h in range(9, 24):
            for _ in range(int(rng.poisson(6 * RHYTHM[h] * boost))):
                harm = 0.6 if rng.random() < 0.03 else 0.05
                content(
                    fans[int(rng.integers(len(fans)))],
                    day + pd.Timedelta(hours=h, minutes=int(rng.integers(60))),
                    "新歌太好听了" if boost > 1 else "哥哥早安",
                    kind="comment",
                    reply_to=p,
                    harm=harm,
                )
    # the minor: classmates' comments every few days, then an attack on her video
    for d in range(0, 15, 3):
        p = content(
            W["minor"],
            WORLD_T0 + pd.Timedelta(days=d, hours=17),
            "今天的舞蹈练习",
            kind="video",
            harm=0.0,
        )
        for m in mates[:3]:
            benign_aimed["minor"].append(
                content(
                    m,
                    WORLD_T0 + pd.Timedelta(days=d, hours=18),
                    "好看！",
                    kind="comment",
                    reply_to=p,
                    harm=0.0,
                )
            )
    video = content(
        W["minor"],
        MINOR_ATTACK - pd.Timedelta(minutes=30),
        "林老师是好老师",
        kind="video",
        harm=0.0,
        event_id=W["event"],
    )
    for i, a in enumerate(attackers):
        when = MINOR_ATTACK + pd.Timedelta(minutes=10 * i)
        harmful["minor"].append(
            content(
                a, when, "小学生闭嘴", kind="comment", reply_to=video, harm=0.8, event_id=W["event"]
            )
        )
        if i % 2:
            harmful["minor"].append(
                content(
                    a,
                    when + pd.Timedelta(minutes=3),
                    "再说话试试",
                    kind="dm",
                    harm=0.9,
                    targets=[W["minor"]],
                    event_id=W["event"],
                )
            )
    # the outlet: a report a day with its readers' comments, then its report on the event draws
    # 300 comments in ten hours: a third harmful and aimed at the victim, the rest benign
    for d in range(DAYS):
        p = content(
            W["outlet"], WORLD_T0 + pd.Timedelta(days=d, hours=8), "南城早报：今日天气晴", harm=0.0
        )
        for k in range(2):
            content(
                readers[int(rng.integers(len(readers)))],
                WORLD_T0 + pd.Timedelta(days=d, hours=9 + k),
                "早安南城",
                kind="comment",
                reply_to=p,
                harm=0.01,
            )
    report = content(
        W["outlet"],
        ATTACK + pd.Timedelta(hours=3),
        "【关注】网传王小雨体罚学生，教育局已介入调查",
        harm=0.02,
        event_id=W["event"],
    )
    for i, a in enumerate(readers):
        when = ATTACK + pd.Timedelta(hours=3, minutes=5 + 2 * i)
        if i % 3 == 0:
            harmful["victim"].append(
                content(
                    a,
                    when,
                    "@南城日报 王小雨滚出教育界",
                    kind="comment",
                    reply_to=report,
                    harm=0.8,
                    targets=[W["victim"]],
                )
            )
        else:
            content(a, when, "等待官方调查结果", kind="comment", reply_to=report, harm=0.03)
    # the shop: a post a day with a regular's comment, then 25 strangers' untargeted abuse
    for d in range(DAYS):
        p = content(
            W["shop"], WORLD_T0 + pd.Timedelta(days=d, hours=10), "今日新品：全麦面包", harm=0.0
        )
        content(
            buyers[d % len(buyers)],
            WORLD_T0 + pd.Timedelta(days=d, hours=11),
            "明天去买",
            kind="comment",
            reply_to=p,
            harm=0.01,
        )
        if (
            WORLD_T0 + pd.Timedelta(days=d, hours=10)
            < SHOP_ATTACK
            <= WORLD_T0 + pd.Timedelta(days=d + 1)
        ):
            shop_post = p
    shop_abuse = [
        content(
            a,
            SHOP_ATTACK + pd.Timedelta(minutes=7 * i),
            "黑店，骗子，大家别去",
            kind="comment",
            reply_to=shop_post,
            harm=0.85,
        )
        for i, a in enumerate(vandals)
    ]
    # the pupil: one harmful comment from a stranger, naming her, under the victim's post
    pupil_harm = content(
        "douyin:950",
        PUPIL_HARM,
        "王老师的学生小雨也不是好东西，该死",
        kind="comment",
        reply_to=victim_post,
        harm=0.85,
        targets=[W["pupil"]],
        event_id=W["event"],
        platform="douyin",
    )

    pd.DataFrame(rows).to_csv(folder / "contents.csv", index=False)
    pd.DataFrame(
        [
            {"account_id": a, "platform": p, "name": nm, "is_minor": "true" if m else "false"}
            for a, p, nm, m in accounts
        ]
    ).to_csv(folder / "accounts.csv", index=False)
    pd.DataFrame(
        [
            {
                "event_id": W["event"],
                "name": "王小雨被造谣",
                "started_at": _world_iso(ATTACK),
                "keywords": "王小雨",
                "target_ids": W["victim"],
            }
        ]
    ).to_csv(folder / "events.csv", index=False)
    # renames: one attacker renamed after the attack, one renamed before it
    pd.DataFrame(
        [
            {
                "account_id": strangers[1],
                "old_name": "用户101",
                "new_name": "改名后的人",
                "renamed_at": _world_iso(ATTACK + pd.Timedelta(days=2)),
            },
            {
                "account_id": strangers[2],
                "old_name": "用户102",
                "new_name": "王小雨本人",
                "renamed_at": _world_iso(ATTACK - pd.Timedelta(hours=3)),
            },
        ]
    ).to_csv(folder / "renames.csv", index=False)
    # reports: the victim reports the abuse; the minor's classmates report with involves_minor
    rep = [
        {
            "report_id": f"r{i}",
            "reported_at": _world_iso(ATTACK + pd.Timedelta(minutes=30 + 5 * i)),
            "reporter_id": W["victim"],
            "content_id": c,
            "reason": "辱骂",
            "involves_minor": "false",
        }
        for i, c in enumerate(harmful["victim"][:20])
    ]
    rep += [
        {
            "report_id": f"m{i}",
            "reported_at": _world_iso(MINOR_ATTACK + pd.Timedelta(hours=1)),
            "reporter_id": mates[0],
            "content_id": c,
            "reason": "涉及未成年人",
            "involves_minor": "true",
        }
        for i, c in enumerate(harmful["minor"][:3])
    ]
    pd.DataFrame(rep).to_csv(folder / "reports.csv", index=False)
    return {
        "harmful": harmful,
        "benign": benign_aimed,
        "unknown": unknown,
        "renamed_after": strangers[1],
        "renamed_before": strangers[2],
        "shop_abuse": shop_abuse,
        "pupil_harm": pupil_harm,
        "contents": pd.DataFrame(rows),
    }


def load_world(base: Path) -> dict:
    """:func:`make_world` written to ``base/tables`` and ingested into ``base/w.db`` (the
    tables, then the alerts): its information plus ``store`` (open) and ``db`` (the path)."""
    info = make_world(base / "tables")
    from pileon.service.ingest import ingest

    info["store"] = EmbeddedStore(str(base / "w.db"))
    ingest(info["store"], base / "tables", reject_path=base / "rejects.csv")
    info["db"] = str(base / "w.db")
    return info


def client_for(store) -> TestClient:
    """A TestClient of the API over ``store``, with the keys of :data:`KEYS`."""
    from fastapi.testclient import TestClient

    from pileon.api.app import create_app
    from pileon.api.deps import get_store
    from pileon.settings import Settings

    settings = Settings(api_keys=keys_setting(KEYS), store="/nonexistent/never-opened.db")
    app = create_app(settings)
    app.dependency_overrides[get_store] = lambda: store
    return TestClient(app)


# ------------------------------------------------------------------ the Neo4j test server
class Neo4jServer(NamedTuple):
    """Where the Neo4j test server listens and how to log in (the ``neo4j_server`` fixture
    of ``tests/conftest.py`` reads it from the environment)."""

    uri: str
    user: str
    password: str


def wipe_neo4j(store: Neo4jStore) -> None:
    """Empty the Neo4j test database (the schema stays) and give ``store`` back the default
    batch size (a test may have changed it on the session's connection)."""
    store._run.write("MATCH (n) DETACH DELETE n")
    store.batch_size = DEFAULT_BATCH_SIZE


def _dump_value(v: Any) -> Any:
    """A property value as plain, exactly comparable Python: times as (ISO text, offset)."""
    if isinstance(v, list):
        return ("list", tuple(_dump_value(x) for x in v))
    if hasattr(v, "iso_format"):  # the driver's DateTime and friends
        offset = v.utcoffset() if hasattr(v, "utcoffset") else None
        return (type(v).__name__, v.iso_format(), str(offset))
    return (type(v).__name__, v)


def graph_dump(store: Neo4jStore) -> tuple[list[Any], list[Any]]:
    """The whole graph of a Neo4j store as two sorted lists, exactly comparable between two
    loads: nodes ``(labels, properties)`` and relationships ``(type, start node, end node,
    properties)`` (a node named by its labels and properties: no internal IDs)."""
    nodes = store._run.read(
        "MATCH (n) RETURN elementId(n) AS id, labels(n) AS labels, properties(n) AS props"
    )
    name = {
        r["id"]: (
            tuple(sorted(r["labels"])),
            tuple(sorted((k, _dump_value(v)) for k, v in r["props"].items())),
        )
        for r in nodes
    }
    rels = store._run.read(
        "MATCH (a)-[r]->(b) RETURN elementId(a) AS a, elementId(b) AS b, type(r) AS type, "
        "properties(r) AS props"
    )
    return sorted(name.values()), sorted(
        (
            r["type"],
            name[r["a"]],
            name[r["b"]],
            tuple(sorted((k, _dump_value(v)) for k, v in r["props"].items())),
        )
        for r in rels
    )


# ------------------------------------------------------------------ real data
#: the real-data subset vendored with the repository (``tests/data/README.md``)
VENDORED_DATA = Path(__file__).resolve().parent / "data"
REPO = Path(__file__).resolve().parents[1]


def full_data_dir() -> Path:
    """The folder of the full real datasets: ``PILEON_DATA_DIR``, or ``../shared/data``
    from the repository root.  The one place that reads the setting; a relative value is
    taken from the repository root too."""
    value = os.environ.get("PILEON_DATA_DIR", "").strip() or "../shared/data"
    path = Path(value).expanduser()
    return (path if path.is_absolute() else REPO / path).resolve()


def real_data(dataset: str, source: str) -> Path:
    """The folder of one real dataset (``twitter16``, ``ced-sample``, ``ira-dev``), from the
    vendored subset (``source="vendored"``) or the full data (``source="full"``).

    The rule for every real-data test:

    * The vendored subset under ``tests/data/`` is part of the repository: its tests always
      run, and a missing folder is an error.
    * The full datasets are found through :func:`full_data_dir` (``PILEON_DATA_DIR``,
      default ``../shared/data`` from the repository root).  When the dataset is not there,
      a full-data test FAILS in CI (``CI=true``), with a message naming the folder and the
      setting; elsewhere, and only when CI is not set, it skips with the same message.
      ``scripts/dev test`` and ``.ci/run`` run them; ``-m "not slow"`` leaves out the
      longest (the whole datasets).
    """
    if source == "vendored":
        folder = VENDORED_DATA / dataset
        if not folder.is_dir():
            raise FileNotFoundError(f"the vendored real data {folder} is missing")
        return folder
    if source != "full":
        raise ValueError(f"source must be 'vendored' or 'full', not {source!r}")
    folder = full_data_dir() / dataset
    if not folder.is_dir():
        reason = (
            f"the full {dataset} dataset is not at {folder}: set PILEON_DATA_DIR to the "
            "folder of the real datasets (default ../shared/data from the repository root)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but " + reason, pytrace=False)
        pytest.skip(reason)
    return folder


# ---------------------------------------------------- events in time: a store with history
# Hand-made rows counted in hours from :data:`EVENT_START` (an event "e-new" and the same
# rumour's event a year before, "e-old"), a store built from them as ingest builds it, and
# the comparison of a report with and without a year-old copy of its incident.
EVENT_START = pd.Timestamp("2026-03-01T12:00:00Z")
YEAR_HOURS = 365 * 24
RUMOUR = "南城七中初二班主任林晓雯长期体罚学生，昨天把一个男生打到耳膜穿孔住院了，学校还想压下去"
NEW_EVENT = {
    "event_id": "e-new",
    "name": "南城七中教师遭网暴事件",
    "started_at": EVENT_START,
    "keywords": ["南城七中", "体罚学生"],
    "entities": ["林晓雯"],
    "target_ids": ["weibo:victim"],
}
OLD_EVENT = {
    **NEW_EVENT,
    "event_id": "e-old",
    "started_at": EVENT_START - pd.Timedelta(hours=YEAR_HOURS),
}
CALL = "大家去她微博下面骂，人肉她！林晓雯滚出南城七中"
BRIBE = "南城七中林晓雯收家长红包，不给钱就给孩子穿小鞋，有录音为证"
BENIGN = "南城七中今天开运动会，孩子们跑得很开心，林晓雯老师也来加油了"


def in_hours(hours: float) -> str:
    """:data:`EVENT_START` plus ``hours``, as ISO text."""
    return (EVENT_START + pd.Timedelta(hours=hours)).isoformat()


def hour_content(
    cid, hours, text=RUMOUR, *, acc="weibo:u", event_id=None, reply_to=None, media=None, to=()
):
    """A ``contents`` row posted ``hours`` after :data:`EVENT_START`."""
    return {
        "content_id": cid,
        "account_id": acc,
        "platform": "weibo",
        "posted_at": in_hours(hours),
        "text": text,
        "event_id": event_id,
        "reply_to": reply_to,
        "media_hash": media,
        "target_ids": list(to),
    }


def hour_repost(rid, source, hours, acc="weibo:r", text=None):
    """A ``reposts`` row made ``hours`` after :data:`EVENT_START`."""
    return {
        "repost_id": rid,
        "account_id": acc,
        "source_id": source,
        "reposted_at": in_hours(hours),
        "text": text,
    }


def event_frames(contents, reposts=(), events=(NEW_EVENT,)):
    """``(events, contents, reposts)`` frames of the rows, as a store gives them."""
    ev = coerce("events", pd.DataFrame(list(events)))
    cf = coerce("contents", pd.DataFrame(list(contents)))
    cols = ["repost_id", "account_id", "source_id", "reposted_at", "text"]
    rf = coerce("reposts", pd.DataFrame(list(reposts), columns=cols))
    return ev, cf, rf


def store_of_rows(tmp_path, contents, reposts, events=(NEW_EVENT,), accounts=()):
    """An embedded store holding the rows, with membership computed as ingest does."""
    ev, cf, rf = event_frames(contents, reposts, events)
    store = EmbeddedStore(str(tmp_path / "s.db"))
    ids = sorted(set(cf["account_id"]) | set(rf["account_id"]) | {"weibo:victim"})
    acc = pd.DataFrame(list(accounts) or [{"account_id": a, "platform": "weibo"} for a in ids])
    store.upsert("accounts", coerce("accounts", acc))
    for table, df in (("events", ev), ("contents", cf), ("reposts", rf)):
        store.upsert(table, df)
    store.set_memberships(compute_memberships(ev, store.frame("contents"), rf))
    return store


def write_rows_folder(folder, contents, reposts=(), events=(NEW_EVENT,), accounts=()) -> None:
    """The rows as an ingest folder (JSON Lines), so that both stores load them alike."""
    folder.mkdir(parents=True, exist_ok=True)
    ev, cf, rf = event_frames(contents, reposts, events)
    ids = sorted(set(cf["account_id"]) | set(rf["account_id"]))
    acc = pd.DataFrame(list(accounts) or [{"account_id": a, "platform": "weibo"} for a in ids])
    for name, df in (("events", ev), ("contents", cf), ("reposts", rf), ("accounts", acc)):
        df = df.drop(columns=[x for x in ("extra", "placeholder", "tz") if x in df])
        (folder / f"{name}.jsonl").write_text(
            df.to_json(orient="records", lines=True, date_format="iso", force_ascii=False),
            encoding="utf-8",
        )


def resurfacing_rows():
    """Last year's post of the rumour and a call to action on it, outside any event; this
    year a crowd reposts both, and one of last year's posters (weibo:back) acts again."""
    c, r, year = hour_content, hour_repost, YEAR_HOURS
    old = [
        {**c("w:old", -year, acc="weibo:old-author"), "harm": 0.9},
        {**c("w:back-old", -year + 3, BRIBE, acc="weibo:back"), "harm": 0.9},
        {**c("w:back-now", 5, "南城七中的事又来了，快转", acc="weibo:back"), "harm": 0.8},
    ]
    reposts = [r("r:call", "w:old", -year + 1, acc="weibo:old-caller", text=CALL)]
    reposts += [r(f"r:{i}", "w:old", 1 + i / 10, acc=f"weibo:crowd{i}") for i in range(12)]
    reposts += [r(f"r:c{i}", "r:call", 2 + i / 10, acc=f"weibo:crowd{i}") for i in range(12)]
    reposts += [r(f"r:b{i}", "w:back-old", 3 + i / 10, acc=f"weibo:crowd{i}") for i in range(12)]
    return old, reposts


def two_years_rows():
    """Last year's event (e-old): the rumour and its copies; this year's (e-new): the same
    rumour by other accounts, reposted by a crowd, and a benign post told both years."""
    c, r, year = hour_content, hour_repost, YEAR_HOURS
    rows = [
        {**c("w:o1", -year, acc="weibo:old-fp", event_id="e-old"), "harm": 0.9},
        {**c("w:o2", -year + 1, "转：" + RUMOUR, acc="weibo:old-2"), "harm": 0.9},
        {**c("w:ob", -year + 2, BENIGN, acc="weibo:old-3"), "harm": 0.0},
        {**c("w:n1", 0, acc="weibo:new-fp", event_id="e-new"), "harm": 0.9},
        {**c("w:n2", 1, "转：" + RUMOUR + "！", acc="weibo:new-2"), "harm": 0.9},
        {**c("w:nb", 2, BENIGN, acc="weibo:new-3"), "harm": 0.0},
    ]
    reposts = [r(f"r:o{i}", "w:o1", -year + 2 + i / 10, acc=f"weibo:oc{i}") for i in range(15)]
    reposts += [r(f"r:n{i}", "w:n1", 2 + i / 10, acc=f"weibo:nc{i}") for i in range(15)]
    return rows, reposts, [OLD_EVENT, NEW_EVENT]


HISTORY_ROLES = (
    "first_poster",
    "multi_poster",
    "inciter",
    "splicer",
    "impersonator",
    "coordinated",
)


def holders(report: dict[str, Any], role: str) -> list[str]:
    """The accounts of a report that hold ``role``, sorted."""
    return sorted(a["account_id"] for a in report["accounts"] if role in a["roles"])


def assert_same_findings(
    plain: dict[str, Any], hist: dict[str, Any], *, past: str, repeat: set[str]
) -> None:
    """``hist`` (with the copy of the incident in ``past``) is ``plain`` but for the
    narratives' resurfacing evidence (which must name ``past``) and the accounts of
    ``repeat`` (one tier up, to 4, with grading evidence naming ``past``)."""
    for role in HISTORY_ROLES:
        assert holders(hist, role) == holders(plain, role), role
    top = [a["account_id"] for a in plain["accounts"][:10]]
    assert [a["account_id"] for a in hist["accounts"][:10]] == top
    assert [m["mcn_id"] for m in hist["mcns"]] == [m["mcn_id"] for m in plain["mcns"]]
    assert hist["mcns"] == plain["mcns"] and hist["clusters"] == plain["clusters"]
    # everything else, account by account
    assert len(hist["accounts"]) == len(plain["accounts"])
    for h, p in zip(hist["accounts"], plain["accounts"]):
        if h["account_id"] in repeat:
            assert p["tier"] == 3 and h["tier"] == 4, (h["account_id"], p["tier"], h["tier"])
            grading = [e["detail"] for e in h["evidence"] if e["kind"] == "grading"]
            assert f"tier 4: culpable conduct repeated in {past}" in grading[0], grading
            h = {**h, "tier": p["tier"], "evidence": p["evidence"]}
        assert h == p, h["account_id"]
    # the narratives, but for where a rumour was told before
    without = [{k: v for k, v in n.items() if k != "evidence"} for n in hist["narratives"]]
    assert without == plain["narratives"]
    assert not any("evidence" in n for n in plain["narratives"])
    told: dict[str | None, list[dict]] = {}
    for n in hist["narratives"]:
        told.setdefault(n["first_poster"], []).extend(n.get("evidence", []))
    for fp in holders(plain, "first_poster"):
        assert any(e["kind"] == "resurfaced" and past in e["detail"] for e in told[fp]), fp


def write_edge_folder(folder: Path) -> Path:
    """A small ingest folder (CSV; added to the tables of ``folder`` when it has some) of
    the cells a bulk import must carry exactly: texts with
    quotes, commas, new lines and carriage returns, lists, missing values, nanosecond and
    offset times, extra columns, a repost of a repost, a dangling reply and report,
    targets and labels of unknown accounts and events, affiliations without ``since``."""
    import csv

    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "accounts": [
            ["account_id", "platform", "name", "created_at", "followers", "verified", "bio"],
            [
                "w:1",
                "weibo",
                '甲 "the" one, first',
                "2020-01-01T08:00:00.123456789+08:00",
                "10",
                "true",
                "line one\nline two",
            ],
            ["w:2", "weibo", "", "", "", "", ""],
            ["w:3", "douyin", "C\r\nD", "1969-12-31T23:59:59.5Z", "0", "false", "x"],
        ],
        "mcns": [["mcn_id", "name", "registered_in"], ["m1", "Alpha; Beta", ""]],
        "events": [
            ["event_id", "name", "started_at", "keywords", "entities", "target_ids"],
            ["e1", "E, one", "2026-03-01T12:00:00Z", "rumour|谣言|a;b", "", "w:2|w:9|w:2"],
        ],
        "contents": [
            [
                "content_id",
                "account_id",
                "platform",
                "posted_at",
                "text",
                "kind",
                "reply_to",
                "event_id",
                "harm",
                "target_ids",
                "media_hash",
                "url",
                "lang",
            ],
            [
                "c1",
                "w:1",
                "weibo",
                "2026-03-01T12:30:00+08:00",
                'say "hi",\nthen go',
                "post",
                "",
                "e1",
                "0.1",
                "w:2",
                "",
                "http://x/1?a=1,b",
                "zh",
            ],
            [
                "c2",
                "w:3",
                "weibo",
                "2026-03-01T13:00:00.000000001Z",
                "",
                "comment",
                "c1",
                "",
                "",
                "",
                "abc",
                "",
                "",
            ],
            [
                "c3",
                "w:8",
                "weibo",
                "2026-03-01T14:00:00-05:00",
                "reply to a ghost",
                "",
                "c7",
                "",
                "1",
                "w:2|w:3|w:2",
                "",
                "",
                "",
            ],
        ],
        "reposts": [
            ["repost_id", "account_id", "source_id", "reposted_at", "platform", "text"],
            ["r1", "w:2", "c1", "2026-03-01T15:00:00Z", "weibo", ""],
            ["r2", "w:1", "r1", "2026-03-01T16:00:00+08:00", "", "转发\n//@w:2"],
        ],
        "renames": [
            ["account_id", "new_name", "renamed_at", "old_name"],
            ["w:1", "Victim", "2026-03-02T00:00:00Z", "甲"],
            ["w:1", "Victim", "2026-03-03T00:00:00Z", ""],
        ],
        "affiliations": [
            ["account_id", "mcn_id", "since", "until", "role"],
            ["w:1", "m1", "", "2025-06-01T00:00:00Z", "creator"],
            ["w:1", "m1", "2025-01-01T00:00:00Z", "", "creator"],
            ["w:2", "m2", "", "", ""],
        ],
        "reports": [
            [
                "report_id",
                "reported_at",
                "reporter_id",
                "content_id",
                "account_id",
                "reason",
                "involves_minor",
            ],
            ["p1", "2026-03-01T05:00:00Z", "w:2", "c1", "", "abuse", "true"],
            ["p2", "2026-03-01T06:00:00Z", "", "c404", "w:3", "spam", ""],
        ],
        "labels": [["event_id", "account_id", "tier"], ["e0", "w:1", "3"], ["e1", "w:2", "0"]],
    }
    for name, rows in tables.items():
        path = folder / f"{name}.csv"
        if path.exists():  # after the rows of another folder (none of the same keys)
            have = pd.read_csv(path, dtype=str, keep_default_na=False)
            more = pd.DataFrame(rows[1:], columns=rows[0])
            both = pd.concat([have, more], ignore_index=True).fillna("")
            rows = [list(both.columns), *both.itertuples(index=False, name=None)]
        with open(path, "w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows(rows)
    return folder
