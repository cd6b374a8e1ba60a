"""E1's venues, impersonating new accounts, and how each platform moderated (SPEC §7).

Planted after the rest of E1 with a random generator of its own, so that every row planted
before stays as it was (the contents gain a ``venue_id``; IDs planted later move on):

* ``#林晓雯滚出教师队伍#`` (Weibo topic), created by a new account hours after the start and
  filled with abuse, the creator's own posts among it (``venue_creator``, tier 3); Weibo
  closes it two days later;
* ``#南城七中黑幕#`` (Weibo topic), created by an army account an hour after the start and
  filled with the army's copied stories, none of the creator's own (``venue_creator``);
* ``南城树洞`` (Xiaohongshu forum): an anonymous-submission board older than the event where
  submissions about the teacher pile up among everyday ones;
* ``真相哥直播间`` (Douyin live room) of the second first poster, where he streams the
  accusations under a flood of abusive bullet comments (close the room);
* the negatives: the singer's fan super-topic (Weibo), huge and benign, where a few abusive
  posts about the teacher land (``clean`` at most), and the teacher's own live room, opened to
  clarify and flooded with abusive bullet comments (``protect``, never ``close_room``);
* impersonation by new accounts: ``林晓雯老师本人`` (Douyin, created during the event, posts
  abuse in her name: tier 3) and ``南城七中官方发布`` (Weibo, posts a harmless notice: an
  impersonator whose tier follows its conduct), and a trap, ``支持林晓雯老师`` (a supporter);
* moderation: Weibo acts within about an hour, Douyin within hours but takes more than a day
  on reports involving minors, Xiaohongshu within a day or two, Bilibili rarely; a share of
  the rows acts on the content without naming the report, some reports are dismissed, and
  some harmful contents are removed without a report.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from pileon.ingest.sample import _text as tx
from pileon.ingest.sample._e1 import E1, MINUTE, T0, Cast, harms
from pileon.ingest.sample._tables import NO_TIME
from pileon.ingest.sample._world import DAY, HOUR, World, _hidden_contents, ts

VENUE_TEXTS_SUPPORT = [
    "心疼林老师，等调查结果",
    "不信谣不传谣，林老师加油",
    "理性看待，别网暴林老师",
]
BOARD_EVERYDAY = [
    "投稿：求推荐南城好吃的火锅店",
    "投稿：失物招领，在地铁二号线捡到一张公交卡",
    "匿名投稿：有没有一起周末爬山的",
    "投稿：南城哪家驾校靠谱",
    "树洞：最近工作压力好大，想哭",
]
BOARD_ABUSE = [
    "投稿人不要透露：七中林老师打学生的事是真的，",
    "匿名投稿：我孩子也在七中，林晓雯",
    "投稿：喊话林晓雯，",
    "树洞投稿：挂人！南城七中林老师",
]
LIVE_ABUSE = ["滚出直播间", "还有脸开直播？", "林晓雯道歉！", "骗子老师", "下播吧你"]
LIVE_BENIGN = ["林老师加油", "支持老师", "等官方通报", "主播别理他们"]
ROOM_ABUSE = ["冲！", "必须开除林晓雯", "主播说得对，七中老师太恶心了", "人肉她！", "南城七中包庇"]

#: per platform: share of reports acted on, median delay (hours), its spread, and the
#: median delay for reports involving minors (None: as the others)
SPEEDS = {
    "weibo": (0.92, 0.6, 0.9, None),
    "douyin": (0.85, 3.0, 0.8, 30.0),
    "xiaohongshu": (0.65, 20.0, 0.7, None),
    "bilibili": (0.3, 72.0, 0.6, None),
}
#: per platform: share of unreported harmful contents removed anyway
PROACTIVE = {"weibo": 0.3, "douyin": 0.2, "xiaohongshu": 0.05, "bilibili": 0.0}


@contextmanager
def _own_rng(w: World):
    """The world with a generator of its own for what is planted here (seeded by the world's
    seed), so that the draws before and after are those of a sample without venues."""
    saved = w.rng
    w.rng = np.random.default_rng([w.seed, 18])
    try:
        yield w.rng
    finally:
        w.rng = saved


def plant_venues(w: World, c: Cast, star: str) -> dict:
    """Plant E1's venues, new-account impersonators and moderation (module docstring).

    Returns the venues' ground truth and updates ``c.roles`` (``venue_creator``,
    ``impersonator``, ``not_impersonator``, ``impersonator_new_account``)."""
    with _own_rng(w) as rng:
        victim, s = c.acc["victim"], w.scale
        venue_of: dict[str, str] = {}
        vids = {}
        for key, platform in (
            ("victim_topic", "weibo"),
            ("school_topic", "weibo"),
            ("board", "xiaohongshu"),
            ("culprit_room", "douyin"),
            ("fan_topic", "weibo"),
            ("victim_room", "weibo"),
        ):
            vids[key] = w.ids("v", platform, 1)[0]

        # --- the topic named after the teacher, by a new culprit -------------------------------
        maker = w.accounts("weibo", ["南城正义联盟"], [ts("2024-08-08T12:00")], [830])[0]
        t_victim = T0 + 2 * HOUR + 30 * MINUTE
        frame = _hidden_contents(w)
        kinds = w.tables["contents"].column("kind")
        texts = w.tables["contents"].column("text")
        for i in range(len(frame["id"])):
            if (
                frame["event"][i] == E1
                and frame["bad"][i]
                and kinds[i] == "post"
                and str(texts[i]).startswith("@林晓雯 ")
                and frame["time"][i] >= t_victim
                and rng.random() < 0.7
            ):
                venue_of[frame["id"][i]] = vids["victim_topic"]
        own = w.contents(
            [maker] * 5,
            t_victim + np.sort(rng.integers(5 * MINUTE, 30 * HOUR, 5)),
            ["#林晓雯滚出教师队伍# " + tx.harmful_comment(rng) for _ in range(5)],
            event=E1,
            harm=harms(rng, 5, 0.75, 0.95),
            target_ids=[[victim]] * 5,
            bad=True,
        )
        venue_of.update(dict.fromkeys(own, vids["victim_topic"]))
        n = max(2, round(8 * s))
        fans = c.crowd.ids["weibo"]
        support = w.contents(
            fans[rng.integers(0, len(fans), n)],
            t_victim + np.sort(rng.integers(HOUR, 40 * HOUR, n)),
            [VENUE_TEXTS_SUPPORT[k % 3] for k in range(n)],
            event=E1,
            harm=harms(rng, n, 0.0, 0.1),
        )
        venue_of.update(dict.fromkeys(support, vids["victim_topic"]))

        # --- the topic named after the school, by an army account ------------------------------
        army = set(c.group["coordinated"])
        school_maker = c.group["coordinated"][1]
        t_school = T0 + HOUR
        for i in range(len(frame["id"])):
            if (
                frame["event"][i] == E1
                and frame["bad"][i]
                and kinds[i] == "post"
                and frame["account"][i] in army
                and frame["account"][i] != school_maker
                and frame["time"][i] >= t_school
            ):
                venue_of[frame["id"][i]] = vids["school_topic"]

        # --- the anonymous board ----------------------------------------------------------------
        xhs = c.crowd.ids["xiaohongshu"]
        board_maker = xhs[0]
        n_everyday = max(6, round(30 * s))
        every = w.contents(
            xhs[rng.integers(0, len(xhs), n_everyday)],
            T0 - 2 * DAY + np.sort(rng.integers(0, 7 * DAY, n_everyday)),
            tx.pick(rng, BOARD_EVERYDAY, n_everyday),
            harm=harms(rng, n_everyday, 0.0, 0.1),
        )
        n_abuse = max(6, round(24 * s))
        abuse = w.contents(
            xhs[rng.integers(0, len(xhs), n_abuse)],
            T0 + 3 * HOUR + np.sort(rng.integers(0, 3 * DAY, n_abuse)),
            [BOARD_ABUSE[k % 4] + tx.HARMFUL_CLOSERS[k % 8] for k in range(n_abuse)],
            event=E1,
            harm=harms(rng, n_abuse, 0.6, 0.92, 0.15),
            target_ids=[[victim]] * n_abuse,
            bad=True,
        )
        venue_of.update(dict.fromkeys(list(every) + list(abuse), vids["board"]))

        # --- the first poster's live room ----------------------------------------------------------
        host = c.group["first_poster"][1]
        t_live = T0 + 9 * HOUR
        live = w.post(
            host,
            t_live,
            "直播：南城七中林晓雯体罚学生事件，真相都在这里",
            kind="live",
            event=E1,
            event_id=E1,
            harm=[0.8],
            target_ids=[victim],
            bad=True,
        )
        venue_of[live] = vids["culprit_room"]
        dy = c.crowd.ids["douyin"]
        n = max(10, round(80 * s))
        bad = rng.random(n) < 0.85
        bullets = w.contents(
            dy[rng.integers(0, len(dy), n)],
            t_live + np.sort(rng.integers(30, 2 * HOUR, n)),
            [ROOM_ABUSE[k % 5] if b else LIVE_BENIGN[k % 4] for k, b in enumerate(bad)],
            kind="comment",
            reply_to=live,
            event=E1,
            harm=np.where(bad, rng.uniform(0.6, 0.9, n), rng.uniform(0.0, 0.1, n)),
            bad=bad,
        )
        venue_of.update(dict.fromkeys(bullets, vids["culprit_room"]))

        # --- negatives: the fan super-topic and the teacher's own room ----------------------------
        star_posts = set(
            w.tables["contents"].column("content_id")[
                w.tables["contents"].column("account_id") == star
            ]
        )
        cc = w.tables["contents"]
        for cid, kind, parent in zip(
            cc.column("content_id"), cc.column("kind"), cc.column("reply_to")
        ):
            if cid in star_posts or (kind == "comment" and parent in star_posts):
                venue_of[cid] = vids["fan_topic"]
        n = 6
        stray = w.contents(
            fans[rng.integers(0, len(fans), n)],
            T0 + 5 * HOUR + np.sort(rng.integers(0, 3 * DAY, n)),
            ["#许星野超话# 插一句，南城七中那个林晓雯" + tx.HARMFUL_CLOSERS[k] for k in range(n)],
            event=E1,
            harm=harms(rng, n, 0.6, 0.85),
            target_ids=[[victim]] * n,
            bad=True,
        )
        venue_of.update(dict.fromkeys(stray, vids["fan_topic"]))

        t_room = T0 + 30 * HOUR
        clar = w.post(
            victim,
            t_room,
            "直播澄清：我是林晓雯，网上的说法不是事实",
            kind="live",
            event=E1,
            event_id=E1,
            harm=[0.01],
        )
        venue_of[clar] = vids["victim_room"]
        wb = c.crowd.ids["weibo"]
        n = max(20, round(300 * s))
        bad = rng.random(n) < 0.8
        senders = wb[rng.integers(0, len(wb), n)]
        flood = w.contents(
            senders,
            t_room + np.sort(rng.integers(20, 90 * MINUTE, n)),
            [LIVE_ABUSE[k % 5] if b else LIVE_BENIGN[k % 4] for k, b in enumerate(bad)],
            kind="comment",
            reply_to=clar,
            event=E1,
            harm=np.where(bad, rng.uniform(0.6, 0.95, n), rng.uniform(0.0, 0.1, n)),
            target_ids=[[victim] if b else None for b in bad],
            bad=bad,
        )
        venue_of.update(dict.fromkeys(flood, vids["victim_room"]))
        k = min(10, int(bad.sum()))
        w.reports(
            list(flood[bad][:k]),
            list(senders[bad][:k]),
            t_room + HOUR + 60 * np.arange(k),
            [victim] * k,
            ["人身攻击"] * k,
            involves_minor=False,
        )

        w.tables["venues"].add(
            venue_id=[vids[k] for k in vids],
            platform=[v.split(":")[0] for v in vids.values()],
            kind=["topic", "topic", "forum", "live_room", "topic", "live_room"],
            name=[
                "#林晓雯滚出教师队伍#",
                "#南城七中黑幕#",
                "南城树洞",
                "真相哥直播间",
                "许星野超话",
                "林晓雯的直播间",
            ],
            created_at=np.array(
                [
                    t_victim,
                    t_school,
                    ts("2023-05-01T12:00"),
                    ts("2022-01-10T20:00"),
                    ts("2016-03-01T10:00"),
                    t_room - 10 * MINUTE,
                ],
                np.int64,
            ),
            creator_id=[maker, school_maker, board_maker, host, star, victim],
            host_id=[None, None, None, host, star, victim],
            closed_at=np.array([T0 + 2 * DAY] + [NO_TIME] * 5, np.int64),
        )
        w.tables["contents"].assign("venue_id", "content_id", venue_of)

        imps = _plant_new_accounts(w, c, rng)
        c.roles["venue_creator"].update([maker, school_maker])
        moderation = plant_moderation(w, c, rng, vids)
    return {
        "sanction": sorted(
            [vids["victim_topic"], vids["school_topic"], vids["board"], vids["culprit_room"]]
        ),
        "named_after": sorted([vids["victim_topic"], vids["school_topic"], vids["victim_room"]]),
        "created_during_event": sorted(
            [vids["victim_topic"], vids["school_topic"], vids["victim_room"]]
        ),
        "anonymous_board": [vids["board"]],
        "close_room": [vids["culprit_room"]],
        "benign": [vids["fan_topic"]],
        "protect": [vids["victim_room"]],
        "venue_creator_own_posts": [maker],
        "new_account_impersonators": imps,
        "moderation": moderation,
    }


def _plant_new_accounts(w: World, c: Cast, rng: np.random.Generator) -> list[str]:
    """Accounts created during the event under a name of its persons (two impersonators, one
    of them harmless) and a supporter's account (a trap)."""
    victim = c.acc["victim"]
    fake = w.accounts("douyin", ["林晓雯老师本人"], [T0 + 9 * HOUR], [12])[0]
    # replies on its own platform (Douyin) only: the first taunt is a post of its own (the
    # teacher's clarification is on Weibo)
    for k, parent in enumerate((None, c.post["minor_video"], c.post["B"])):
        w.contents(
            [fake],
            [T0 + 26 * HOUR + k * 2 * HOUR],
            [tx.IMPERSONATOR_TAUNTS[k]],
            kind="comment" if parent is not None else "post",
            reply_to=parent,
            event=E1,
            harm=harms(rng, 1, 0.7, 0.9),
            target_ids=[[victim]],
            bad=True,
        )
    official = w.accounts("weibo", ["南城七中官方发布"], [T0 + 20 * HOUR], [40])[0]
    w.contents(
        [official],
        [T0 + 21 * HOUR],
        ["【南城七中官方发布】请大家不信谣不传谣，学校正在配合调查"],
        event=E1,
        harm=[0.03],
    )
    fan = w.accounts("weibo", ["支持林晓雯老师"], [T0 + 30 * HOUR], [5])[0]
    w.contents(
        [fan],
        [T0 + 31 * HOUR],
        ["林老师加油，我们都相信你"],
        kind="comment",
        reply_to=c.post["clarify"],
        event=E1,
        harm=[0.01],
    )
    c.roles["impersonator"].update([fake, official])
    c.roles["impersonator_new_account"].update([fake, official])
    c.roles["not_impersonator"].add(fan)
    return sorted([fake, official])


def plant_moderation(w: World, c: Cast, rng: np.random.Generator, vids: dict) -> dict:
    """Moderation rows: answers to E1's reports at each platform's speed (module docstring),
    removals without a report, and the closing of the teacher's topic."""
    cc, rc = w.tables["contents"], w.tables["reposts"]
    platform = dict(zip(cc.column("content_id"), cc.column("platform")))
    platform.update(zip(rc.column("repost_id"), rc.column("platform")))
    frame = _hidden_contents(w)
    e1 = {frame["id"][i] for i in range(len(frame["id"])) if frame["event"][i] == E1}
    e1_bad = {
        frame["id"][i]
        for i in range(len(frame["id"]))
        if frame["event"][i] == E1 and frame["bad"][i]
    }
    rp = w.tables["reports"]
    rows: list[tuple] = []  # platform, acted_at, action, content, account, venue, report
    reported: set[str] = set()
    for rid, at, cid, aid, minor in zip(
        rp.column("report_id"),
        rp.column("reported_at"),
        rp.column("content_id"),
        rp.column("account_id"),
        rp.column("involves_minor"),
    ):
        if cid is not None and cid not in e1:
            continue
        plat = platform.get(cid) if cid is not None else w.platform_of.get(aid)
        if plat is None:
            continue
        if cid is not None:
            reported.add(cid)
        share, median, spread, minor_median = SPEEDS[plat]
        if rng.random() >= share:
            continue
        m = minor_median if (minor and minor_median is not None) else median
        delay = int(rng.lognormal(np.log(m * HOUR), spread)) + 30
        action = "dismiss" if rng.random() < 0.08 else ("remove" if cid is not None else "suspend")
        name_it = rng.random() < 0.85
        rows.append(
            (
                plat,
                int(at) + delay,
                action,
                cid,
                None if cid else aid,
                None,
                rid if name_it else None,
            )
        )
    for cid in sorted(e1_bad - reported):
        plat = platform.get(cid)
        if plat is None or rng.random() >= PROACTIVE[plat]:
            continue
        rows.append((plat, None, "remove", cid, None, None, None))
    # removals without a report act some hours after the post
    times = dict(zip(frame["id"], frame["time"]))
    rows = [
        r
        if r[1] is not None
        else (r[0], int(times[r[3]]) + int(rng.integers(HOUR, 2 * DAY)), *r[2:])
        for r in rows
    ]
    rows.append(("weibo", T0 + 2 * DAY, "close", None, None, vids["victim_topic"], None))
    rows.sort(key=lambda r: (r[1], str(r[3]), str(r[6])))
    ids = w.plain_ids("mod", len(rows))
    w.tables["moderation"].add(
        action_id=ids,
        platform=[r[0] for r in rows],
        acted_at=np.array([r[1] for r in rows], np.int64),
        action=[r[2] for r in rows],
        content_id=[r[3] for r in rows],
        account_id=[r[4] for r in rows],
        venue_id=[r[5] for r in rows],
        report_id=[r[6] for r in rows],
    )
    return {"fast": "weibo", "slow_on_minors": "douyin", "rows": len(rows)}
