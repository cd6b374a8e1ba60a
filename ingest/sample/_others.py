"""Everything around E1: a busy benign celebrity with an album day, an unrelated event E2, a
past labelled event E0, uninvolved organisations and the messy rows real exports contain."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from pileon.ingest.sample import _text as tx
from pileon.ingest.sample._e1 import (
    E1,
    MCN_OPERATING,
    MCN_UNINVOLVED,
    T0,
    Cast,
    _affiliate,
    _years_ago,
    harms,
    new_hash,
)
from pileon.ingest.sample._world import DAY, HOUR, HOUR_WEIGHTS, World, ts

E2 = "evt:2026-03-beichuan-milktea"
E0 = "evt:2025-10-dongling-nurse"
ALBUM_DAY = ts("2026-03-06T00:00")
MINUTE = 60


def _day_times(w: World, day_start: int, n: int) -> np.ndarray:
    """``n`` times within one local day following the hour rhythm."""
    hours = w.rng.choice(24, size=n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    return day_start + hours * HOUR + w.rng.integers(0, HOUR, n)


def plant_celebrity(w: World) -> str:
    """A busy benign account: a singer whose fans comment every day with a day rhythm, rising
    sharply around an album release; harm stays low but for the odd hater (0.5%). Returns the
    singer's account."""
    rng, s = w.rng, w.scale
    star = w.accounts(
        "weibo", [tx.CELEBRITY], [ts("2014-06-01T10:00")], [8_200_000], verified=True
    )[0]
    fans = w.crowd(round(2500 * s), {"weibo": 1.0}, median_followers=60)
    fan_ids = fans.ids["weibo"]
    fw = fans.weights["weibo"] / fans.weights["weibo"].sum()
    first = ALBUM_DAY - 25 * DAY
    posts, post_times = [], []
    for d in range(32):
        day = first + d * DAY  # local midnight
        for _ in range(int(rng.integers(1, 3))):
            t = int(day + rng.integers(10 * HOUR, 23 * HOUR))
            text = (
                tx.CELEB_POSTS[3] if day == ALBUM_DAY else tx.CELEB_POSTS[int(rng.integers(0, 5))]
            )
            posts.append(w.post(star, t, text, harm=[0.0]))
            post_times.append(t)
    order = np.argsort(post_times, kind="stable")
    posts, post_times = [posts[i] for i in order], np.array(post_times)[order]
    for d in range(32):
        day = first + d * DAY
        boost = {0: 6.0, 1: 3.0, 2: 1.6}.get(int((day - ALBUM_DAY) // DAY), 1.0)
        n = int(rng.poisson(150 * s * boost))
        times = np.sort(_day_times(w, day, n))
        k = np.searchsorted(post_times, times) - 1
        ok = k >= 0
        texts = tx.ALBUM_TEXTS if boost > 1 else tx.FAN_TEXTS
        body = [x.replace("{n}", str(d + 1)) for x in tx.pick(rng, texts, int(ok.sum()))]
        harm = harms(rng, len(body), 0.0, 0.12, 0.05)
        anti = rng.random(len(body)) < 0.005  # the odd hater
        body = [
            tx.ANTI_FAN[i % len(tx.ANTI_FAN)] if a else b
            for i, (a, b) in enumerate(zip(anti, body))
        ]
        harm[anti] = np.round(rng.uniform(0.55, 0.8, int(anti.sum())), 3)
        w.contents(
            fan_ids[rng.choice(len(fan_ids), size=int(ok.sum()), p=fw)],
            times[ok],
            body,
            kind="comment",
            reply_to=np.array(posts, dtype=object)[k[ok]],
            harm=harm,
        )
        m = int(rng.poisson(5 * s * boost))
        w.contents(
            fan_ids[rng.choice(len(fan_ids), size=m, p=fw)],
            np.sort(_day_times(w, day, m)),
            tx.pick(
                rng, ["哥哥我好喜欢你", "新专辑加油！", "生日快乐哥哥", "我从南城来看你的演唱会"], m
            ),
            kind="dm",
            harm=harms(rng, m, 0.0, 0.08),
            target_ids=[[star]] * m,
        )
    for p, t in zip(posts, post_times):
        big = abs(t - ALBUM_DAY) < DAY
        w.cascade(
            p,
            round((800 if big else 90) * s),
            fans,
            median_delay=HOUR,
            chain_prob=0.1,
            texts=tx.FAN_TEXTS[:4],
            text_prob=0.2,
            harm_range=(0.0, 0.05),
        )
    return star


def plant_background(w: World) -> dict:
    """Uninvolved organisations and accounts: food bloggers of an MCN, the singer's label, a
    few ordinary renames at random times."""
    rng = w.rng
    w.tables["mcns"].add(
        mcn_id=MCN_UNINVOLVED,
        name=["青柚文化传播有限公司", "星光娱乐经纪有限公司"],
        registered_in=["四川省成都市", "北京市"],
    )
    bloggers = w.accounts(
        ["weibo", "douyin", "xiaohongshu", "douyin", "bilibili"],
        ["青柚美食" + x for x in tx.nicknames(rng, 5)],
        _years_ago(w, 5, hi="2022-06-01"),
        rng.integers(20_000, 400_000, 5),
    )
    for a in bloggers:
        for d in range(0, 30, 3):
            t = T0 - 20 * DAY + d * DAY + int(rng.integers(11 * HOUR, 20 * HOUR))
            w.post(
                a,
                t,
                "今天探店："
                + tx.pick(rng, ["火锅", "烧烤", "米线", "甜品", "早茶"], 1)[0]
                + "，人均八十，推荐！",
                kind="video" if w.platform_of[a] in ("douyin", "bilibili") else "post",
                harm=[0.0],
                media_hash=[new_hash(rng)],
            )
    _affiliate(
        w, [(a, MCN_UNINVOLVED[0], ts("2023-01-01T00:00"), None, "签约达人") for a in bloggers]
    )
    return {"bloggers": list(bloggers)}


def plant_random_renames(w: World, c: Cast) -> None:
    """Ordinary renames: crowd accounts change their nickname at random times."""
    rng = w.rng
    n = max(3, round(20 * w.scale))
    ids = c.crowd.ids["weibo"][rng.choice(len(c.crowd.ids["weibo"]), size=n, replace=False)]
    acc = w.tables["accounts"]
    created = dict(zip(acc.column("account_id"), acc.column("created_at")))
    since = np.array([created[a] for a in ids], np.int64)
    end = ts("2026-03-20T00:00")
    w.tables["renames"].add(
        account_id=ids,
        old_name=[w.name_of[a] for a in ids],
        new_name=tx.nicknames(rng, n),
        renamed_at=since + (rng.random(n) * (end - since)).astype(np.int64),
    )


def plant_e2(w: World, c: Cast, crossover: str) -> dict:
    """An unrelated event (a food-safety rumour about a milk-tea shop), its own accounts, plus one
    repeat poster of E1 (``crossover``) who attacks here too."""
    rng, s = w.rng, w.scale
    roles: dict = defaultdict(set)
    crowd = w.crowd(round(1500 * s), {"weibo": 0.7, "douyin": 0.3})
    t2 = ts("2026-03-04T12:00")
    shop = w.accounts(
        "douyin", ["茶语时光北川万达店"], [ts("2021-08-01T10:00")], [8_800], verified=True
    )[0]
    fp = w.accounts("weibo", ["北川生活圈"], [ts("2019-01-01T10:00")], [64_000])[0]
    inc = w.accounts("weibo", ["北川老司机"], [ts("2016-01-01T10:00")], [230_000])[0]
    multi = list(
        w.accounts("weibo", tx.nicknames(rng, 2), _years_ago(w, 2), rng.integers(100, 2000, 2))
    ) + [crossover]
    root = w.post(
        fp,
        t2,
        "，".join(tx.E2_STORY) + "。",
        event=E2,
        event_id=E2,
        harm=[0.86],
        target_ids=[shop],
        media_hash=[new_hash(rng)],
        bad=True,
    )
    w.cascade(
        root,
        round(500 * s),
        crowd,
        event=E2,
        texts=tx.E2_COMMENTS,
        text_prob=0.15,
        harm_range=(0.2, 0.8),
    )
    call = w.post(
        inc,
        t2 + 3 * HOUR,
        tx.E2_STORY[0] + "！" + tx.E2_CALL,
        event=E2,
        harm=[0.9],
        target_ids=[shop],
        bad=True,
    )
    w.cascade(
        call,
        round(550 * s),
        crowd,
        event=E2,
        chain_prob=0.3,
        texts=tx.E2_COMMENTS,
        text_prob=0.2,
        harm_range=(0.3, 0.85),
    )
    reply = w.post(
        shop,
        t2 + 26 * HOUR,
        "茶语时光北川万达店声明：网传内容不实，已报警并提交监管部门检测。",
        kind="video",
        event=E2,
        event_id=E2,
        harm=[0.0],
    )
    w.cascade(reply, round(150 * s), crowd, event=E2)
    parents = [root, call, reply]
    for a in multi:
        k = int(rng.integers(10, 17))
        for t in np.sort(t2 + HOUR + rng.integers(0, 3 * DAY, k)).tolist():
            parent = parents[int(rng.integers(0, 2))]
            text = "茶语时光" + tx.pick(rng, tx.E2_COMMENTS[:4], 1)[0]
            w.contents(
                [a],
                [t],
                [text],
                kind="comment",
                reply_to=parent,
                event=E2,
                harm=harms(rng, 1, 0.7, 0.95, 0.1),
                target_ids=[[shop]],
                bad=True,
            )
    n = round(300 * s)
    w.comments_on(
        parents,
        n,
        crowd,
        tx.pick(rng, tx.E2_COMMENTS, n),
        harms(rng, n, 0.0, 0.7, 0.1),
        event=E2,
        event_ids=np.where(rng.random(n) < 0.3, E2, None),
    )
    w.tables["events"].add(
        event_id=[E2],
        name=[tx.E2_NAME],
        started_at=np.array([t2], np.int64),
        keywords=[tx.E2_KEYWORDS],
        entities=[tx.E2_ENTITIES],
        target_ids=[[shop]],
    )
    roles["first_poster"].add(fp)
    roles["inciter"].add(inc)
    roles["multi_poster"].update(multi)
    roles["targets"].add(shop)
    roles["repeat_across_events"].add(crossover)
    return roles


def plant_e0(w: World, c: Cast) -> dict:
    """A past event (a nurse accused) with the same kinds of roles at small size, and the
    ``labels`` table of the tiers decided for it."""
    rng, s = w.rng, w.scale
    roles: dict = defaultdict(set)
    t = ts("2025-10-12T19:00")
    crowd = w.crowd(round(900 * s), {"weibo": 1.0}, created=("2013-01-01", "2025-09-01"))
    nurse = w.accounts("weibo", ["护士周敏"], [ts("2018-03-01T10:00")], [300])[0]
    fp = w.accounts("weibo", ["东岭爆料君"], [ts("2018-05-01T10:00")], [41_000])[0]
    inc = w.accounts("weibo", ["东岭大嘴"], [ts("2017-05-01T10:00")], [390_000])[0]
    multi = list(
        w.accounts("weibo", tx.nicknames(rng, 3), _years_ago(w, 3), rng.integers(100, 2000, 3))
    )
    army = list(
        w.accounts(
            "weibo",
            [f"用户{k}" for k in rng.integers(5_000_000_000, 7_999_999_999, 12)],
            ts("2025-09-20T02:00") + np.sort(rng.integers(0, 80 * MINUTE, 12)),
            rng.integers(0, 30, 12),
        )
    )
    _affiliate(w, [(a, MCN_OPERATING, ts("2025-09-25T10:00"), None, "签约账号") for a in army[:6]])
    story = "，".join(tx.E0_STORY) + "。"
    root = w.post(
        fp,
        t,
        story,
        event=E0,
        event_id=E0,
        harm=[0.87],
        target_ids=[nurse],
        media_hash=[new_hash(rng)],
        bad=True,
    )
    call = w.post(
        inc,
        t + 2 * HOUR,
        tx.E0_STORY[0] + "！" + tx.E0_CALL,
        event=E0,
        event_id=E0,
        harm=[0.93],
        target_ids=[nurse],
        bad=True,
    )
    for p, n in ((root, 300), (call, 350)):
        w.cascade(p, round(n * s), crowd, event=E0, chain_prob=0.25)
    for p, lag in ((root, 20), (call, 15)):
        start = w.known[p][2] + lag * MINUTE
        for a, off in zip(army, np.sort(rng.exponential(70, len(army)).astype(np.int64))):
            w.repost(a, p, start + int(off), event=E0)
    for a, off in zip(army, rng.exponential(100, len(army)).astype(np.int64)):
        w.contents(
            [a],
            [t + 5 * HOUR + int(off)],
            ["扩散！" + story],
            event=E0,
            harm=harms(rng, 1, 0.7, 0.9, 0.2),
            target_ids=[[nurse]],
            bad=True,
        )
    for a in multi:
        k = int(rng.integers(12, 20))
        w.contents(
            [a] * k,
            np.sort(t + HOUR + rng.integers(0, 3 * DAY, k)),
            ["周敏" + x for x in tx.pick(rng, tx.E0_COMMENTS[:3], k)],
            kind="comment",
            reply_to=root,
            event=E0,
            harm=harms(rng, k, 0.7, 0.95, 0.1),
            target_ids=[[nurse]] * k,
            bad=True,
        )
    n = round(200 * s)
    w.comments_on(
        [root, call],
        n,
        crowd,
        tx.pick(rng, tx.E0_COMMENTS, n),
        harms(rng, n, 0.0, 0.7, 0.1),
        event=E0,
        event_ids=np.where(rng.random(n) < 0.5, E0, None),
    )
    imp = w.accounts("weibo", ["东岭小护士ww"], [ts("2020-04-01T10:00")], [640])[0]
    w.tables["renames"].add(
        account_id=[imp, imp],
        old_name=["东岭小护士ww", "东岭市中心医院官方"],
        new_name=["东岭市中心医院官方", "东岭小护士ww"],
        renamed_at=np.array([t + 4 * HOUR, t + 3 * DAY], np.int64),
    )
    w.contents(
        [imp],
        [t + 5 * HOUR],
        ["【东岭市中心医院官方】经核实，" + story],
        event=E0,
        harm=[0.85],
        target_ids=[[nurse]],
        bad=True,
    )
    news = c.group["news"][0]
    report = w.post(
        news,
        t + 3 * DAY,
        "【东岭市卫健委通报】网传东岭市中心医院护士周敏收红包一事经查不实。",
        event=E0,
        event_id=E0,
        harm=[0.0],
    )
    w.cascade(report, round(400 * s), crowd, event=E0)
    w.tables["events"].add(
        event_id=[E0],
        name=[tx.E0_NAME],
        started_at=np.array([t], np.int64),
        keywords=[tx.E0_KEYWORDS],
        entities=[tx.E0_ENTITIES],
        target_ids=[[nurse]],
    )
    roles["first_poster"].add(fp)
    roles["inciter"].add(inc)
    roles["multi_poster"].update(multi)
    roles["coordinated"].update(army)
    roles["impersonator"].add(imp)
    roles["targets"].add(nurse)
    roles["news"].add(news)
    roles["operating_mcn_members"].update(army[:6])
    return roles


def write_labels(w: World, event: str, roles: dict, participants: list[str]) -> None:
    """Past decisions: tier 3 for first/repeat posters and inciters, 2 for the army and
    impersonators, 1 for participants who posted harmful content, 0 for the rest, targets
    and news."""
    tiers: dict[str, int] = {}
    for a in participants:
        tiers[a] = 0
    frame = _bad_authors(w, event)
    for a in participants:
        if a in frame:
            tiers[a] = 1
    for a in list(roles["coordinated"]) + list(roles["impersonator"]):
        tiers[a] = 2
    for role in ("first_poster", "multi_poster", "inciter"):
        for a in roles[role]:
            tiers[a] = 3
    for a in list(roles["targets"]) + list(roles["news"]):
        tiers[a] = 0
    ids = sorted(tiers)
    w.tables["labels"].add(
        event_id=event, account_id=ids, tier=np.array([tiers[a] for a in ids], np.int64)
    )


def _bad_authors(w: World, event: str) -> set[str]:
    t = w.tables["contents"]
    ev, acc = t.column("_event"), t.column("account_id")
    harm = t.column("harm")
    return {a for a, e, h in zip(acc, ev, harm) if e == event and h == h and h >= 0.5}


def plant_messy_rows(w: World, c: Cast) -> dict:
    """Rows real exports contain: reposts of deleted contents (unknown source IDs) and an
    explicit repost chain (a repost of a repost of a repost)."""
    rng = w.rng
    weibo = c.crowd.ids["weibo"]
    missing = ["weibo:m4899001", "weibo:m4899002"]
    rows = []
    who = weibo[rng.choice(len(weibo), size=6, replace=False)]
    for k, src in enumerate(missing + [missing[0]]):
        rows.append(
            w.repost(
                who[k], src, T0 + 3 * HOUR + k * 977, "林晓雯体罚学生的原帖怎么删了？", event=E1
            )
        )
    r = w.tables["reposts"]
    already = set(
        r.column("account_id")[r.column("source_id") == c.post["A"]]
    )  # one repost per account and source
    first = next(a for a in weibo[rng.permutation(len(weibo))] if a not in already and a not in who)
    chain, parent = [], c.post["A"]
    for k, a in enumerate([first, who[3], who[4]]):
        parent = w.repost(
            a,
            parent,
            w.known[parent][2] + 600 * (k + 1),
            "//@" + w.name_of[w.known[parent][0]] + ":",
            event=E1,
        )
        chain.append(parent)
    return {"deleted_sources": missing, "deleted_source_reposts": rows, "repost_chain": chain}
