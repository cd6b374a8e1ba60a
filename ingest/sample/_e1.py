"""The main event E1: a teacher falsely accused of abusing a student, and the pile-on on her.

Each ``plant_*`` function adds one part of the incident and records the accounts it planted
in ``roles`` (role -> set of account IDs). Times are local China time (UTC+8).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from pileon.ingest.sample import _text as tx
from pileon.ingest.sample._tables import NO_TIME
from pileon.ingest.sample._world import DAY, HOUR, Pool, World, _hidden_contents, ts

E1 = "evt:2026-03-nancheng-teacher"
T0 = ts("2026-03-01T20:00")  # the event starts
MINUTE = 60


def harms(
    rng: np.random.Generator, n: int, lo: float, hi: float, missing: float = 0.0
) -> np.ndarray:
    """``n`` harm scores in [lo, hi]; a share ``missing`` left unknown (NaN)."""
    h = np.round(rng.uniform(lo, hi, n), 3)
    h[rng.random(n) < missing] = np.nan
    return h


def new_hash(rng: np.random.Generator) -> str:
    """A 64-bit perceptual hash as 16 hex digits."""
    return f"{int(rng.integers(0, 2**63)):016x}"


def near_hash(rng: np.random.Generator, h: str, bits: int = 2) -> str:
    """``h`` with a few bits flipped (the same picture re-encoded or cropped)."""
    v = int(h, 16)
    for b in rng.choice(64, size=bits, replace=False):
        v ^= 1 << int(b)
    return f"{v:016x}"


@dataclass
class Cast:
    """The accounts of E1 and the contents others react to."""

    crowd: Pool
    roles: dict = field(default_factory=lambda: defaultdict(set))
    acc: dict = field(default_factory=dict)  # single accounts by role name
    group: dict = field(default_factory=dict)  # lists of accounts
    post: dict = field(default_factory=dict)  # notable contents by name
    hashes: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)  # spliced content -> the contents it was cut from


def _years_ago(w: World, n: int, lo: str = "2014-01-01", hi: str = "2024-06-01") -> np.ndarray:
    return w.rng.integers(ts(lo + "T00:00"), ts(hi + "T00:00"), n)


def cast_e1(w: World) -> Cast:
    """Create the accounts of E1 (everyone but the MCN bystanders, made in ``plant_mcns``)."""
    rng, s = w.rng, w.scale
    crowd = w.crowd(
        round(7000 * s), {"weibo": 0.62, "douyin": 0.25, "xiaohongshu": 0.08, "bilibili": 0.05}
    )
    c = Cast(crowd=crowd)

    def one(platform: str, name: str, created: str, followers: int, **kw) -> str:
        return w.accounts(platform, [name], [ts(created)], [followers], **kw)[0]

    c.acc["victim"] = one("weibo", tx.VICTIM, "2016-09-01T10:00", 860)
    c.acc["minor"] = one("douyin", "雨桐不吃香菜", "2024-09-01T17:00", 320, is_minor=True)
    c.acc["school"] = one("weibo", tx.SCHOOL_SHORT, "2015-03-01T09:00", 52_000, verified=True)
    c.acc["police"] = one("weibo", "南城东湖派出所", "2014-05-01T09:00", 180_000, verified=True)
    c.group["news"] = list(
        w.accounts(
            "weibo",
            ["南城日报", "南城新闻广播"],
            [ts("2012-02-01T09:00")] * 2,
            [12_400_000, 6_800_000],
            verified=True,
        )
    )
    c.group["contacts"] = list(
        w.accounts("weibo", tx.nicknames(rng, 15), _years_ago(w, 15), rng.integers(50, 900, 15))
    )
    c.group["classmates"] = list(
        w.accounts(
            "douyin",
            tx.nicknames(rng, 8),
            _years_ago(w, 8, "2023-01-01", "2025-06-01"),
            rng.integers(10, 300, 8),
        )
    )
    fp1_key = "idk:3f9a21"
    c.group["first_poster"] = [
        one("weibo", "南城吃瓜姐", "2019-04-11T12:00", 35_400, identity_key=fp1_key),
        one("douyin", "真相哥说事", "2020-07-02T12:00", 121_000),
        one("xiaohongshu", "七中家长群消息", "2022-11-20T12:00", 4_100),
    ]
    c.group["inciter"] = [
        one("weibo", "正义大V老周", "2015-06-30T12:00", 862_000, verified=True),
        one("weibo", "键盘侠阿凯", "2017-01-15T12:00", 210_000),
    ]
    # repeat posters: the first is FP1's own douyin account (same identity), one is also in E2
    multi = [one("douyin", "吃瓜姐的小号", "2021-02-02T12:00", 900, identity_key=fp1_key)]
    multi += list(
        w.accounts(
            ["weibo"] * 4 + ["douyin"],
            tx.nicknames(rng, 5),
            _years_ago(w, 5),
            rng.integers(200, 3000, 5),
        )
    )
    c.group["multi_poster"] = multi
    c.group["splicer"] = [
        one("bilibili", "南城热点搬运工", "2020-03-03T12:00", 15_600),
        one("weibo", "每日真相汇总", "2018-08-08T12:00", 48_000),
    ]
    c.group["impersonator"] = [
        one("weibo", "清风徐来2021", "2021-05-05T12:00", 1_300),
        one("douyin", "小鹿斑比", "2022-02-22T12:00", 2_600),
    ]
    c.group["not_impersonator"] = [
        one("weibo", "晓文ww", "2019-09-09T12:00", 420),
        one("weibo", "吃货小王", "2018-12-12T12:00", 310),
    ]
    c.group["minor_attacker"] = list(
        w.accounts("douyin", tx.nicknames(rng, 4), _years_ago(w, 4), rng.integers(20, 500, 4))
    )
    _cast_army(w, c)
    for role in (
        "first_poster",
        "inciter",
        "multi_poster",
        "splicer",
        "impersonator",
        "coordinated",
    ):
        c.roles[role].update(c.group[role])
    c.roles["inciter_via_repost_comment"].add(c.group["inciter"][1])
    c.roles["not_impersonator"].update(c.group["not_impersonator"])
    c.roles["news"].update(c.group["news"])
    c.roles["targets"].update([c.acc["victim"], c.acc["minor"]])
    c.roles["minor_targets"].add(c.acc["minor"])
    return c


def _cast_army(w: World, c: Cast) -> None:
    """A water army: accounts created in a burst, few followers, some sharing an identity."""
    rng = w.rng
    n = int(np.clip(round(40 * w.scale**0.5), 30, 400))
    burst = ts("2026-02-18T03:10") + np.sort(rng.integers(0, 95 * MINUTE, n - 1))
    names = [f"用户{k}" for k in rng.integers(5_000_000_000, 7_999_999_999, n - 1)]
    keys = np.full(n - 1, None, dtype=object)
    for g in range(max(3, n // 10)):  # a few identities run several accounts each
        keys[g * 3 : (g + 1) * 3] = f"idk:army{g:02d}"
    army = list(
        w.accounts("weibo", names, burst, rng.integers(0, 40, n - 1), identity_key=list(keys))
    )
    # one older account bought into the army; its MCN contract ended before the event
    old = w.accounts("weibo", ["阳光小树0927"], [ts("2025-05-12T09:00")], [35])[0]
    c.acc["army_expired"] = old
    c.group["coordinated"] = army + [old]


# --- everyday life before the attack ------------------------------------------------------------


def plant_victim_baseline(w: World, c: Cast) -> None:
    """Two weeks of ordinary activity around the victim: her posts, her contacts' comments,
    mentions and messages, and the odd comment from a stranger."""
    rng, victim, contacts = w.rng, c.acc["victim"], np.array(c.group["contacts"], dtype=object)
    posts = []
    for d in range(15):
        t = T0 - (15 - d) * DAY - 2 * HOUR + int(rng.integers(0, 3 * HOUR))
        posts.append(w.post(victim, t, tx.VICTIM_POSTS[d % len(tx.VICTIM_POSTS)], harm=[0.01]))
        k = int(rng.poisson(4))
        times = t + np.sort(rng.integers(5 * MINUTE, 10 * HOUR, k))
        w.contents(
            contacts[rng.integers(0, len(contacts), k)],
            times,
            tx.pick(rng, tx.CONTACT_TEXTS, k),
            kind="comment",
            reply_to=posts[-1],
            harm=harms(rng, k, 0.0, 0.08),
        )
        m = int(rng.poisson(1.2))
        w.contents(
            contacts[rng.integers(0, len(contacts), m)],
            t - rng.integers(0, 20 * HOUR, m),
            ["晓雯，" + x for x in tx.pick(rng, tx.CONTACT_TEXTS, m)],
            kind="dm",
            harm=harms(rng, m, 0.0, 0.05),
            target_ids=[[victim]] * m,
        )
        if rng.random() < 0.5:
            w.contents(
                contacts[rng.integers(0, len(contacts), 1)],
                [t - int(rng.integers(0, 10 * HOUR))],
                ["和@林晓雯 一起备课的一天"],
                harm=[0.02],
            )
        j = int(rng.poisson(0.6))  # now and then a stranger passes by
        strangers = c.crowd.ids["weibo"]
        w.contents(
            strangers[rng.integers(0, len(strangers), j)],
            t + rng.integers(HOUR, 30 * HOUR, j),
            tx.pick(rng, ["好温馨", "老师辛苦了", "路过点赞", "这是哪个学校呀"], j),
            kind="comment",
            reply_to=posts[-1],
            harm=harms(rng, j, 0.0, 0.1),
        )
    c.post["victim_recent"] = posts[-3:]


def plant_minor_baseline(w: World, c: Cast) -> None:
    """The minor's ordinary life: a post every few days, classmates' comments."""
    rng, minor, mates = w.rng, c.acc["minor"], np.array(c.group["classmates"], dtype=object)
    for d in range(0, 15, 3):
        t = T0 - (15 - d) * DAY - 3 * HOUR
        p = w.post(minor, t, "今天的舞蹈练习～", kind="video", harm=[0.0], media_hash=new_hash(rng))
        k = int(rng.poisson(3))
        w.contents(
            mates[rng.integers(0, len(mates), k)],
            t + np.sort(rng.integers(10 * MINUTE, 8 * HOUR, k)),
            tx.pick(rng, tx.MINOR_BASELINE, k),
            kind="comment",
            reply_to=p,
            harm=harms(rng, k, 0.0, 0.05),
        )


# --- the harmful narratives ----------------------------------------------------------------------


def plant_first_posts(w: World, c: Cast) -> None:
    """The three false stories, each from its first poster; FP3's harm is unknown."""
    rng, victim = w.rng, c.acc["victim"]
    fp = c.group["first_poster"]
    for key in "ABC":
        c.hashes[key] = new_hash(rng)
    c.post["A"] = w.post(
        fp[0],
        T0 + 7 * MINUTE + 13,
        tx.original(tx.NARRATIVES["A"]),
        event=E1,
        event_id=E1,
        harm=[0.91],
        target_ids=[victim],
        media_hash=[c.hashes["A"]],
        bad=True,
    )
    c.post["B"] = w.post(
        fp[1],
        T0 + 90 * MINUTE,
        tx.original(tx.NARRATIVES["B"]),
        kind="video",
        event=E1,
        event_id=E1,
        harm=[0.88],
        target_ids=[victim],
        media_hash=[c.hashes["B"]],
        bad=True,
    )
    c.post["C"] = w.post(
        fp[2],
        T0 + 12 * HOUR + 40 * MINUTE,
        tx.original(tx.NARRATIVES["C"]),
        event=E1,
        target_ids=[victim],
        media_hash=[c.hashes["C"]],
        bad=True,
    )
    s = w.scale
    for key, n in (("A", 1100), ("B", 900), ("C", 250)):
        w.cascade(
            c.post[key],
            round(n * s),
            c.crowd,
            event=E1,
            texts=tx.REPOST_HARMFUL + tx.REPOST_BENIGN,
            text_prob=0.15,
            harm_range=(0.3, 0.8),
        )


def copy_post(
    w: World,
    c: Cast,
    account: str,
    t: int,
    key: str,
    *,
    harm: float,
    event_id=None,
    prefix: str = "",
    reposts: int = 0,
) -> str:
    """A near-copy of story ``key`` by ``account`` (on its own platform), with a near media hash
    half of the time and a small cascade of its own."""
    rng = w.rng
    mh = [near_hash(rng, c.hashes[key])] if rng.random() < 0.5 else None
    kind = "video" if w.platform_of[account] in ("douyin", "bilibili") else "post"
    cid = w.post(
        account,
        t,
        prefix + tx.near_copy(rng, tx.NARRATIVES[key]),
        kind=kind,
        event=E1,
        event_id=event_id,
        harm=[harm],
        target_ids=[c.acc["victim"]],
        media_hash=mh,
        bad=True,
    )
    if reposts:
        w.cascade(cid, reposts, c.crowd, event=E1, median_delay=HOUR)
    return cid


def plant_crowd_copies(w: World, c: Cast) -> None:
    """Ordinary accounts copy the stories with small edits, across platforms (one copy each)."""
    rng, s = w.rng, w.scale
    plan = [
        ("weibo", "A", 25),
        ("douyin", "B", 15),
        ("xiaohongshu", "C", 8),
        ("weibo", "B", 8),
        ("douyin", "A", 6),
        ("weibo", "C", 5),
        ("bilibili", "A", 3),
    ]
    for platform, key, n in plan:
        n = max(1, round(n * s))
        ids = c.crowd.ids[platform]
        who = ids[rng.choice(len(ids), size=min(n, len(ids)), replace=False)]
        start = w.known[c.post[key]][2]
        for a in who:
            t = start + int(rng.lognormal(np.log(8 * HOUR), 1.0))
            h = float(rng.uniform(0.6, 0.95)) if rng.random() > 0.2 else float("nan")
            copy_post(
                w,
                c,
                a,
                t,
                key,
                harm=h,
                event_id=E1 if rng.random() < 0.3 else None,
                reposts=int(rng.poisson(4)),
            )


def plant_inciters(w: World, c: Cast) -> None:
    """Inciter 1 copies story A and adds a call to action; inciter 2 incites in a repost comment
    on FP1's post, and that repost (not its root) draws the big cascade."""
    rng, s, victim = w.rng, w.scale, c.acc["victim"]
    inc1, inc2 = c.group["inciter"]
    text = tx.near_copy(rng, tx.NARRATIVES["A"], edits=1, min_jaccard=0.9) + tx.CALL_TO_ACTION
    c.post["incite1"] = w.post(
        inc1,
        T0 + 2 * HOUR + 10 * MINUTE,
        text,
        event=E1,
        event_id=E1,
        harm=[0.95],
        target_ids=[victim],
        media_hash=[near_hash(rng, c.hashes["A"], 1)],
        bad=True,
    )
    w.cascade(
        c.post["incite1"],
        round(1800 * s),
        c.crowd,
        event=E1,
        chain_prob=0.3,
        texts=tx.REPOST_HARMFUL,
        text_prob=0.25,
        harm_range=(0.5, 0.9),
    )
    c.post["incite2"] = w.repost(
        inc2, c.post["A"], T0 + 3 * HOUR + 5 * MINUTE, tx.REPOST_INCITEMENT, event=E1, harm=0.9
    )
    w.cascade(
        c.post["incite2"],
        round(1100 * s),
        c.crowd,
        event=E1,
        chain_prob=0.3,
        texts=tx.REPOST_HARMFUL,
        text_prob=0.25,
        harm_range=(0.5, 0.9),
    )


def plant_army(w: World, c: Cast) -> None:
    """The water army: repost waves within seconds to minutes, near-duplicate co-posting, comments."""
    rng, victim = w.rng, c.acc["victim"]
    army = np.array(c.group["coordinated"], dtype=object)
    targets = [
        (c.post["A"], 25),
        (c.post["incite1"], 15),
        (c.post["incite2"], 20),
        (c.post["splice2"], 30),
    ]
    seen = set()
    for source, lag in targets:
        start = w.known[source][2] + lag * MINUTE
        members = army[rng.random(len(army)) < 0.92]
        offsets = np.sort(rng.exponential(80, len(members)).astype(np.int64)) + rng.integers(
            0, 20, len(members)
        )
        for a, off in zip(members, offsets):
            if (a, source) in seen:  # an account reposts a content once
                continue
            seen.add((a, source))
            text = (
                tx.REPOST_HARMFUL[rng.integers(len(tx.REPOST_HARMFUL))]
                if rng.random() < 0.3
                else None
            )
            w.repost(
                a, source, start + int(off), text, event=E1, harm=None if text is None else 0.7
            )
    for rnd, when in enumerate((T0 + 4 * HOUR, T0 + 22 * HOUR)):  # co-posting the same story
        members = army[rng.random(len(army)) < 0.8]
        for a, off in zip(members, rng.exponential(120, len(members)).astype(np.int64)):
            h = float(rng.uniform(0.7, 0.95)) if rng.random() > 0.15 else float("nan")
            copy_post(
                w,
                c,
                a,
                when + int(off),
                "A" if rnd == 0 else "B",
                harm=h,
                event_id=E1 if rng.random() < 0.4 else None,
            )
    parents = c.post["victim_recent"]
    k = len(army)
    who = army[rng.integers(0, len(army), k)]
    base = T0 + 5 * HOUR + rng.integers(0, 30 * HOUR, k)
    for i, a in enumerate(who):
        w.contents(
            [a],
            [base[i]],
            [tx.harmful_comment(rng)],
            kind="comment",
            reply_to=parents[i % len(parents)],
            event=E1,
            event_id=E1,
            harm=harms(rng, 1, 0.65, 0.95, 0.1),
            target_ids=[[victim]],
            bad=True,
        )


def plant_multi_posters(w: World, c: Cast) -> None:
    """Repeat posters: each publishes 22-35 harmful items (copies, comments, mentions, messages)."""
    rng, victim, minor = w.rng, c.acc["victim"], c.acc["minor"]
    for a in c.group["multi_poster"]:
        platform = w.platform_of[a]
        n = int(rng.integers(22, 36))
        times = np.sort(T0 + HOUR + rng.integers(0, 4 * DAY, n))
        for t in times.tolist():
            r = rng.random()
            h = harms(rng, 1, 0.7, 0.98, 0.1)
            if r < 0.25:
                key = "B" if platform == "douyin" else rng.choice(["A", "C"])
                copy_post(w, c, a, t, str(key), harm=float(h[0]))
            elif r < 0.75:
                parent = _latest_on(w, c, platform, t)
                target = minor if w.known[parent][0] == minor else victim
                text = (
                    tx.MINOR_HARMFUL[rng.integers(len(tx.MINOR_HARMFUL))]
                    if target == minor
                    else tx.harmful_comment(rng)
                )
                w.contents(
                    [a],
                    [t],
                    [text],
                    kind="comment",
                    reply_to=parent,
                    event=E1,
                    event_id=None if _linkable(text) else E1,
                    harm=h,
                    target_ids=[[target]],
                    bad=True,
                )
            elif r < 0.88 or platform != "weibo":  # messages only reach the victim on Weibo
                w.contents(
                    [a],
                    [t],
                    ["@林晓雯 " + tx.harmful_comment(rng)],
                    event=E1,
                    harm=h,
                    target_ids=[[victim]],
                    bad=True,
                )
            else:
                text = "林晓雯，" + tx.harmful_comment(rng)
                w.contents(
                    [a], [t], [text], kind="dm", event=E1, harm=h, target_ids=[[victim]], bad=True
                )


def _latest_on(w: World, c: Cast, platform: str, t: int) -> str:
    """A notable E1 content on ``platform`` published before ``t`` (victim's posts count)."""
    names = ["A", "B", "C", "incite1", "clarify", "minor_video", "school", "news0"]
    pool = [
        c.post[k]
        for k in names
        if k in c.post and w.known[c.post[k]][1] == platform and w.known[c.post[k]][2] < t
    ]
    if platform == "weibo":
        pool += c.post["victim_recent"]
    return pool[int(w.rng.integers(len(pool)))] if pool else c.post["victim_recent"][-1]


def _linkable(text: str) -> bool:
    """Whether ``text`` names one of E1's keywords or entities."""
    return any(k in text for k in tx.E1_KEYWORDS + tx.E1_ENTITIES)


def plant_splicers(w: World, c: Cast) -> None:
    """Posts assembled from sentences of two stories first published on other platforms."""
    rng, victim = w.rng, c.acc["victim"]
    a, b, cc = tx.NARRATIVES["A"], tx.NARRATIVES["B"], tx.NARRATIVES["C"]
    sp1, sp2 = c.group["splicer"]
    t1 = "整理一下目前的消息：" + a[0] + "。" + b[1] + "。这种老师必须严惩！"
    c.post["splice1"] = w.post(
        sp1,
        T0 + 19 * HOUR + 20 * MINUTE,
        t1,
        kind="video",
        event=E1,
        harm=[0.82],
        target_ids=[victim],
        media_hash=[new_hash(rng)],
        bad=True,
    )
    t2 = b[0] + "。更离谱的是，" + cc[0] + "！大家看清楚了。"
    c.post["splice2"] = w.post(
        sp2, T0 + 39 * HOUR, t2, event=E1, event_id=E1, harm=[0.77], target_ids=[victim], bad=True
    )
    for k in ("splice1", "splice2"):
        w.cascade(c.post[k], round(40 * w.scale), c.crowd, event=E1)
    c.sources = {
        c.post["splice1"]: [c.post["A"], c.post["B"]],
        c.post["splice2"]: [c.post["B"], c.post["C"]],
    }


def plant_renames(w: World, c: Cast) -> None:
    """Impersonating renames shortly after the start (one renamed back), plus two traps: a
    similar name taken long before the event and an unrelated rename during it."""
    rng, victim = w.rng, c.acc["victim"]
    imp1, imp2 = c.group["impersonator"]
    trap_old, trap_unrelated = c.group["not_impersonator"]
    rows = [
        (imp1, "清风徐来2021", "林晓雯本人", T0 + 5 * HOUR + 30 * MINUTE),
        (imp1, "林晓雯本人", "清风徐来2021", T0 + 5 * DAY + 14 * HOUR),
        (imp2, "小鹿斑比", "南城七中官方", T0 + 15 * HOUR),
        (trap_old, "晓文ww", "林晓文的日常", ts("2025-05-20T21:00")),
        (trap_unrelated, "吃货小王", "追光的蜗牛", T0 + 42 * HOUR),
    ]
    w.tables["renames"].add(
        account_id=[r[0] for r in rows],
        old_name=[r[1] for r in rows],
        new_name=[r[2] for r in rows],
        renamed_at=np.array([r[3] for r in rows], np.int64),
    )
    rid = w.repost(imp1, c.post["A"], T0 + 6 * HOUR, tx.IMPERSONATOR_REPOST, event=E1, harm=0.8)
    w.cascade(rid, round(30 * w.scale), c.crowd, event=E1)
    for k, parent in enumerate(
        (c.post["A"], c.post["incite1"], c.post["A"])
    ):  # posing as the victim
        w.contents(
            [imp1],
            [T0 + 7 * HOUR + k * 3 * HOUR],
            [tx.IMPERSONATOR_TAUNTS[k]],
            kind="comment",
            reply_to=parent,
            event=E1,
            harm=harms(rng, 1, 0.7, 0.9),
            target_ids=[[victim]],
            bad=True,
        )
    c.post["imp2"] = copy_post(
        w,
        c,
        imp2,
        T0 + 15 * HOUR + 30 * MINUTE,
        "C",
        harm=0.85,
        event_id=E1,
        prefix=tx.IMPERSONATOR_PREFIX,
        reposts=round(60 * w.scale),
    )
    # the traps take part like ordinary users
    w.contents(
        [trap_old], [T0 + 40 * HOUR], ["不信谣不传谣，等南城七中的调查"], event=E1, harm=[0.02]
    )
    w.contents([trap_unrelated], [T0 + 44 * HOUR], ["南城七中这下出名了"], event=E1, harm=[0.35])


def plant_authorities(w: World, c: Cast) -> None:
    """The victim's clarification, the school's and police statements, two news reports: benign
    contents with big cascades."""
    rng, s = w.rng, w.scale
    c.post["clarify"] = w.post(
        c.acc["victim"], T0 + 22 * HOUR, tx.VICTIM_CLARIFICATION, event=E1, event_id=E1, harm=[0.01]
    )
    c.post["school"] = w.post(
        c.acc["school"], T0 + 16 * HOUR, tx.SCHOOL_STATEMENT, event=E1, event_id=E1, harm=[0.0]
    )
    c.post["police"] = w.post(
        c.acc["police"], T0 + 38 * HOUR, tx.POLICE_STATEMENT, event=E1, event_id=E1, harm=[0.0]
    )
    news = c.group["news"]
    c.post["news0"] = w.post(
        news[0],
        T0 + 40 * HOUR,
        tx.NEWS_TEXTS[0],
        event=E1,
        event_id=E1,
        harm=[0.0],
        media_hash=[new_hash(rng)],
    )
    c.post["news1"] = w.post(news[1], T0 + 43 * HOUR, tx.NEWS_TEXTS[1], event=E1, harm=[0.02])
    for key, n in (
        ("clarify", 450),
        ("school", 250),
        ("police", 1300),
        ("news0", 3000),
        ("news1", 2300),
    ):
        w.cascade(
            c.post[key],
            round(n * s),
            c.crowd,
            event=E1,
            median_delay=3 * HOUR,
            texts=tx.REPOST_BENIGN + tx.BENIGN_TEXTS,
            text_prob=0.12,
            harm_range=(0.0, 0.1),
        )
    # contacts stand by her
    k = 12
    w.contents(
        np.array(c.group["contacts"], dtype=object)[rng.integers(0, 15, k)],
        T0 + 22 * HOUR + rng.integers(10 * MINUTE, 20 * HOUR, k),
        ["林老师加油，我们相信你"] * k,
        kind="comment",
        reply_to=c.post["clarify"],
        event=E1,
        harm=harms(rng, k, 0.0, 0.05),
    )


def plant_crowd_comments(w: World, c: Cast) -> None:
    """Ordinary participants comment on the event's contents: abusive, mild and benign, with
    the harm score missing on some; abuse on the victim's own posts and in her messages."""
    rng, s, victim = w.rng, w.scale, c.acc["victim"]
    stories = [c.post[k] for k in ("A", "B", "C")]
    _mixed_comments(w, c, stories, round(800 * s), (0.35, 0.35), [5, 3, 1])
    incitements = [c.post[k] for k in ("incite1", "incite2")]  # what they stir up is mostly abuse
    _mixed_comments(w, c, incitements, round(700 * s), (0.6, 0.25), [5, 3])
    benign_roots = [c.post[k] for k in ("clarify", "school", "police", "news0", "news1")]
    _mixed_comments(w, c, benign_roots, round(1100 * s), (0.08, 0.2), [3, 1, 3, 4, 3])
    # the surge at the victim: stranger comments on her own posts, direct messages, mentions
    n = round(500 * s)
    texts = [tx.harmful_comment(rng) for _ in range(n)]
    eid = [None if _linkable(t) else E1 for t in texts]
    w.comments_on(
        c.post["victim_recent"] + [c.post["clarify"]],
        n,
        c.crowd,
        texts,
        harms(rng, n, 0.55, 0.95, 0.12),
        event=E1,
        target=victim,
        median_delay=6 * HOUR,
        parent_weights=[1, 1, 2, 4],
        event_ids=eid,
        bad=True,
        not_before=T0 + HOUR,
    )
    weibo = c.crowd.ids["weibo"]
    n = round(200 * s)
    who = weibo[rng.integers(0, len(weibo), n)]
    times = T0 + HOUR + w.delays(T0 + HOUR, n, 14 * HOUR, 1.0)
    w.contents(
        who,
        times,
        ["林晓雯，" + tx.harmful_comment(rng) for _ in range(n)],
        kind="dm",
        event=E1,
        harm=harms(rng, n, 0.5, 0.95, 0.1),
        target_ids=[[victim]] * n,
        bad=True,
    )
    n = round(150 * s)
    who = weibo[rng.integers(0, len(weibo), n)]
    times = T0 + 2 * HOUR + w.delays(T0 + 2 * HOUR, n, 16 * HOUR, 1.0)
    w.contents(
        who,
        times,
        ["@林晓雯 " + tx.harmful_comment(rng) for _ in range(n)],
        event=E1,
        harm=harms(rng, n, 0.5, 0.9, 0.15),
        target_ids=[[victim]] * n,
        bad=True,
    )


def _mixed_comments(
    w: World, c: Cast, roots: list[str], n: int, shares: tuple[float, float], weights: list[float]
) -> None:
    """``n`` comments on ``roots``: a share abusive (aimed at the victim), a share mild, the rest benign."""
    rng, victim = w.rng, c.acc["victim"]
    kind = rng.choice(3, size=n, p=[shares[0], shares[1], 1 - sum(shares)])
    texts, harm = [], np.empty(n)
    for i, k in enumerate(kind):
        if k == 0:
            texts.append(tx.harmful_comment(rng))
            harm[i] = rng.uniform(0.55, 0.9)
        elif k == 1:
            texts.append(tx.MILD_TEXTS[rng.integers(len(tx.MILD_TEXTS))])
            harm[i] = rng.uniform(0.3, 0.55)
        else:
            texts.append(tx.BENIGN_TEXTS[rng.integers(len(tx.BENIGN_TEXTS))])
            harm[i] = rng.uniform(0.0, 0.15)
    harm[rng.random(n) < 0.12] = np.nan
    w.comments_on(
        roots,
        n,
        c.crowd,
        texts,
        harm,
        event=E1,
        event_ids=np.where(rng.random(n) < 0.3, E1, None),
        parent_weights=weights,
        target=[[victim] if k == 0 else None for k in kind],
        bad=kind == 0,
    )


def plant_minor_attack(w: World, c: Cast) -> None:
    """The minor defends her teacher in a video and is attacked in comments and messages."""
    rng, s, minor = w.rng, w.scale, c.acc["minor"]
    c.post["minor_video"] = w.post(
        minor,
        T0 + 13 * HOUR + 30 * MINUTE,
        tx.MINOR_DEFENCE,
        kind="video",
        event=E1,
        harm=[0.0],
        media_hash=[new_hash(rng)],
    )
    start = T0 + 17 * HOUR
    mates = np.array(c.group["classmates"], dtype=object)
    w.contents(
        mates,
        start + rng.integers(0, 6 * HOUR, len(mates)),
        ["支持你小雨，林老师是好老师"] * len(mates),
        kind="comment",
        reply_to=c.post["minor_video"],
        event=E1,
        harm=harms(rng, len(mates), 0.0, 0.05),
    )
    for a in c.group["minor_attacker"]:
        k = int(rng.integers(3, 6))
        times = np.sort(start + rng.integers(0, 40 * HOUR, k))
        kinds = np.where(rng.random(k) < 0.75, "comment", "dm")
        for t, kd in zip(times.tolist(), kinds):
            w.contents(
                [a],
                [t],
                [tx.MINOR_HARMFUL[rng.integers(len(tx.MINOR_HARMFUL))]],
                kind=str(kd),
                reply_to=c.post["minor_video"] if kd == "comment" else None,
                event=E1,
                event_id=E1,
                harm=harms(rng, 1, 0.6, 0.92, 0.1),
                target_ids=[[minor]],
                bad=True,
            )
    n = round(25 * s)
    w.comments_on(
        [c.post["minor_video"]],
        n,
        c.crowd,
        tx.pick(rng, tx.MINOR_HARMFUL, n),
        harms(rng, n, 0.5, 0.85, 0.1),
        event=E1,
        target=minor,
        median_delay=8 * HOUR,
        bad=True,
    )
    n = round(40 * s)
    w.comments_on(
        [c.post["minor_video"]],
        n,
        c.crowd,
        tx.pick(rng, tx.BENIGN_TEXTS, n),
        harms(rng, n, 0.0, 0.15),
        event=E1,
        median_delay=8 * HOUR,
    )


# --- organisations and reports -------------------------------------------------------------------

MCN_OPERATING = "mcn:nanfeng"
MCN_NEWS = "mcn:nancheng-daily"
MCN_BYSTANDER = "mcn:beichen"
MCN_UNINVOLVED = ["mcn:qingyou", "mcn:xingguang"]


def plant_mcns(w: World, c: Cast) -> None:
    """The operating MCN behind about half the army and FP2, a news MCN, a bystander MCN whose
    accounts take part like anyone else (the uninvolved MCNs are planted with the background)."""
    rng = w.rng
    w.tables["mcns"].add(
        mcn_id=[MCN_OPERATING, MCN_NEWS, MCN_BYSTANDER],
        name=["南风文化传媒有限公司", "南城日报传媒集团", "北辰网络科技有限公司"],
        registered_in=["浙江省杭州市", "南城市", "江苏省南京市"],
    )
    army = c.group["coordinated"][:-1]
    signed = [a for a, keep in zip(army, rng.random(len(army)) < 0.5) if keep]
    ends = [
        None,
        ts("2026-12-31T23:59"),
    ]  # open-ended or fixed-term contracts, both covering the event
    rows = [
        (a, MCN_OPERATING, ts("2026-02-19T10:00"), ends[i % 2], "签约账号")
        for i, a in enumerate(signed)
    ]
    late = next(a for a in army if a not in signed)  # signed only after the event: must not count
    rows.append((late, MCN_OPERATING, T0 + 20 * DAY, None, "签约账号"))
    c.acc["army_late"] = late
    rows.append(
        (c.group["first_poster"][1], MCN_OPERATING, ts("2025-09-01T10:00"), None, "签约达人")
    )
    rows.append(
        (
            c.acc["army_expired"],
            MCN_OPERATING,
            ts("2025-06-01T10:00"),
            ts("2026-01-31T23:59"),
            "签约账号",
        )
    )
    rows += [(a, MCN_NEWS, ts("2018-01-01T00:00"), None, "机构媒体") for a in c.group["news"]]
    bystanders = w.accounts(
        "weibo",
        ["北辰" + x for x in tx.nicknames(rng, 6)],
        _years_ago(w, 6, hi="2023-12-01"),
        rng.integers(5_000, 90_000, 6),
    )
    rows += [(a, MCN_BYSTANDER, ts("2024-03-01T00:00"), None, "签约达人") for a in bystanders]
    _affiliate(w, rows)
    c.group["operating_mcn_members"] = signed + [c.group["first_poster"][1]]
    c.group["bystander_mcn_members"] = list(bystanders)
    for i, a in enumerate(bystanders):  # they comment on the news like anyone else
        parent = c.post["news0"] if i % 2 else c.post["police"]
        w.contents(
            [a],
            [w.known[parent][2] + int(rng.integers(HOUR, 20 * HOUR))],
            [tx.BENIGN_TEXTS[i % len(tx.BENIGN_TEXTS)]],
            kind="comment",
            reply_to=parent,
            event=E1,
            harm=[0.05],
        )
        w.repost(a, parent, w.known[parent][2] + int(rng.integers(HOUR, 30 * HOUR)), event=E1)


def _affiliate(w: World, rows: list[tuple]) -> None:
    w.tables["affiliations"].add(
        account_id=[r[0] for r in rows],
        mcn_id=[r[1] for r in rows],
        since=np.array([r[2] for r in rows], np.int64),
        until=np.array([NO_TIME if r[3] is None else r[3] for r in rows], np.int64),
        role=[r[4] for r in rows],
    )


REASONS = ["造谣传谣", "人身攻击", "侵犯隐私", "煽动网暴"]


def plant_reports(w: World, c: Cast) -> None:
    """Reports on the harmful contents aimed at the victim and the minor, piling up during the
    attack; a few account reports against the army."""
    rng = w.rng
    frame = _hidden_contents(w)
    victim, minor = c.acc["victim"], c.acc["minor"]
    sel = np.flatnonzero(frame["bad"] & (frame["event"] == E1))
    roots = {c.post[k] for k in ("A", "B", "C", "incite1", "splice1", "splice2")}
    counts = rng.poisson(0.5, len(sel))
    for j, i in enumerate(sel):
        if frame["id"][i] in roots:
            counts[j] += round(40 * w.scale)
    reporters = np.concatenate(
        [c.crowd.ids["weibo"][:2000], np.array(c.group["contacts"], dtype=object)]
    )
    ids, accs, times, who, why, minor_flag = [], [], [], [], [], []
    for j, i in enumerate(sel):
        k = int(counts[j])
        if k == 0:
            continue
        is_minor = minor in (frame["targets"][i] or ())
        ids += [frame["id"][i]] * k
        accs += [frame["account"][i]] * k
        times += (
            frame["time"][i]
            + np.sort(rng.lognormal(np.log(2 * HOUR), 1.0, k)).astype(np.int64)
            + 60
        ).tolist()
        pool = np.array(c.group["classmates"], dtype=object) if is_minor else reporters
        who += list(pool[rng.integers(0, len(pool), k)])
        why += [
            "涉及未成年人" if is_minor else REASONS[r] for r in rng.integers(0, len(REASONS), k)
        ]
        minor_flag += [
            True if is_minor else (False if rng.random() < 0.7 else None) for _ in range(k)
        ]
    w.reports(ids, accs, times, who, why, involves_minor=minor_flag)
    army = c.group["coordinated"][:8]
    w.reports(
        [None] * len(army),
        army,
        [T0 + 30 * HOUR + 60 * i for i in range(len(army))],
        [victim] * len(army),
        ["疑似水军批量账号"] * len(army),
        involves_minor=False,
    )
