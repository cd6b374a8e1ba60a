"""A seeded incident generator written independently of ``pileon.ingest.sample``.

It writes the SPEC §2 tables for three events and a few bystanders, in its own style:

* platforms weibo, douyin, kuaishou, zhihu, tieba, each with its own ID shape
  (``weibo:5829301847``, ``douyin:dy_k3m9x2ab``, ``kuaishou:u_38817``,
  ``zhihu:qinghe-7fa3``, ``tieba:tb.184772``);
* timestamps with ``+08:00``, ``Z`` or no offset (UTC), row by row;
* lists as JSON arrays in JSONL files and ``|``-joined in CSV files (which table
  is which format changes with the seed);
* ``harm`` missing on 20-40 % of contents, most contents without ``event_id``
  (they join by keywords, entities, replies, reposts or copies), repost chains
  with and without comments, a deleted source.

The main event (a bakery owner falsely accused of selling expired cake) plants:
first posters (copied across platforms with small edits), inciters (one through
a repost comment that is itself reposted a lot), repeat posters, splicers,
impersonators (temporary renames) with two rename traps, a water army (burst
creation, low followers, tight co-reposting, near-duplicate co-posting, shared
identity keys) partly signed to an operating MCN, news accounts with big benign
cascades in a news MCN, a bystander MCN, an MCN whose affiliations ended before
the event, a victim with a two-week benign baseline, a minor under harmful
comments and reports, and a busy benign celebrity with a daily rhythm and an
album-day surge.  A second unrelated event runs at the same time; a labelled past
event (``labels`` table) serves ``pileon train``.

Early warning on the right people: the victim's apprentice, a minor with no history,
gets three harmful comments from one stranger that name her (harm 0.85); three
verified news outlets (300k-2M followers) report on the event and their posts draw
hundreds of comments, a third of them harmful and aimed at the victim (``target_ids``),
the rest benign and untargeted; a neighbour who defends the victim gets harmful replies
from strangers that name nobody (they count for her, the author of the post).

:func:`generate` returns an :class:`Incident` (tables as lists of rows, the
truth as a dict); :func:`write_incident` writes the folder.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["SIZES", "Incident", "generate", "write_incident"]

UTC = dt.UTC
CN = dt.timezone(dt.timedelta(hours=8))
HOUR = 3600.0
DAY = 86400.0

#: crowd sizes per scale
SIZES = {
    "small": dict(crowd=420, fans=200, e2_crowd=70, e0_crowd=90, regulars=14),
    "medium": dict(crowd=1300, fans=500, e2_crowd=180, e0_crowd=200, regulars=20),
}

TABLE_COLUMNS = {
    "accounts": [
        "account_id",
        "platform",
        "name",
        "created_at",
        "followers",
        "verified",
        "identity_key",
        "is_minor",
        "bio",
    ],
    "contents": [
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
        "venue_id",
        "client",
    ],
    "reposts": ["repost_id", "account_id", "source_id", "reposted_at", "platform", "text"],
    "renames": ["account_id", "old_name", "new_name", "renamed_at"],
    "mcns": ["mcn_id", "name", "registered_in"],
    "affiliations": ["account_id", "mcn_id", "since", "until", "role"],
    "events": ["event_id", "name", "started_at", "keywords", "entities", "target_ids"],
    "reports": [
        "report_id",
        "reported_at",
        "reporter_id",
        "content_id",
        "account_id",
        "reason",
        "involves_minor",
    ],
    "labels": ["event_id", "account_id", "tier"],
    "venues": [
        "venue_id",
        "platform",
        "kind",
        "name",
        "created_at",
        "creator_id",
        "host_id",
        "closed_at",
    ],
    "moderation": [
        "action_id",
        "platform",
        "acted_at",
        "action",
        "content_id",
        "account_id",
        "venue_id",
        "report_id",
    ],
}

# ----------------------------------------------------------------------------- vocabulary

_NICK_A = [
    "快乐的",
    "爱吃",
    "深夜",
    "不吃香菜的",
    "橘子",
    "小",
    "阿",
    "南风",
    "晚安",
    "奔跑的",
    "佛系",
    "认真的",
    "早睡的",
    "路过的",
    "隔壁",
    "失眠的",
    "北岸",
    "温柔的",
    "一只",
    "追光",
]
_NICK_B = [
    "小鱼",
    "喵",
    "阿杰",
    "打工人",
    "柠檬",
    "老王",
    "土豆",
    "兔子",
    "星星",
    "芒果",
    "大白",
    "松鼠",
    "橙子",
    "阿涛",
    "麦穗",
    "可乐",
    "阿琳",
    "小熊",
    "蘑菇",
    "团子",
]
_ARMY_NAMES = ["用户", "青禾网友", "热心市民", "吃瓜", "正义", "路人"]

E1 = dict(
    keywords=["晓雨烘焙", "过期蛋糕", "过期奶油"],
    entities=["林晓雨", "晓雨烘焙坊", "青禾市场监管局", "青禾路"],
)
E2 = dict(keywords=["老街火锅", "地沟油锅底"], entities=["老街火锅", "江川区"])
E0 = dict(keywords=["明川中学", "王老师体罚"], entities=["王建国", "明川中学"])

FP1_TEXT = (
    "扒一扒青禾晓雨烘焙坊的老板林晓雨：用过期奶油给孩子做生日蛋糕，三个小孩吃完上吐下泻进了医院，"
    "家长找上门她还威胁人家删帖！聊天记录和照片都在，青禾的家长们擦亮眼睛，转起来别让更多孩子受害"
)
FP2_TEXT = (
    "实拍晓雨烘焙坊后厨，一箱箱发霉的过期奶油直接往蛋糕上抹，老板娘被拍到还在笑，"
    "这种黑心店凭什么还开着？#青禾美食 #食品安全"
)
INC_A_TEXT = (
    "林晓雨的主页和店铺地址都在这了，都去她主页评论区问问她良心何在！必须让她社死，"
    "给晓雨烘焙坊狂打差评，私信也别停，一人一句骂到她关店为止"
)
INC_B_TEXT = (
    "开盒了：晓雨烘焙坊老板林晓雨，手机尾号7731，家就在青禾路18号楼上，"
    "明天都去店门口堵她，让她当面给个说法！"
)
INC_C_TEXT = (
    "家人们冲！晓雨烘焙坊老板娘的号我放评论区了，过期蛋糕害了那么多孩子，"
    "都去她主页刷屏，让她在青禾混不下去"
)
NEWS_TEXTS = [
    "【通报】青禾市场监管局：已对晓雨烘焙坊开展现场检查，抽检的奶油、面粉等原料均在保质期内，"
    "网传后厨视频系外地旧视频，警方已介入调查造谣者。请广大网友理性看待，不信谣不传谣。",
    "青禾融媒记者实地探访晓雨烘焙坊：店内原料台账齐全，三名孩子就医记录与该店无关。"
    "青禾市场监管局表示将持续跟进，依法处理恶意网暴行为。",
]
SPLICE_GLUE = [
    (
        "如何看待青禾晓雨烘焙坊事件？我整理了一下目前能看到的信息：",
        "另外抖音上有人实拍：",
        "综合来看，基本实锤了，大家自己判断。",
    ),
    (
        "【汇总帖】晓雨烘焙坊到底怎么回事，楼主帮大家理一理。",
        "再补充一条：",
        "以上信息来自网络，转载请注明。",
    ),
]
IMPERSONATION = [
    (
        "青禾市场监管局通报",
        "【情况通报】经查，晓雨烘焙坊确实存在使用过期奶油问题，已责令停业整顿，"
        "林晓雨本人已被约谈，请网友继续监督。",
    ),
    (
        "林晓雨本人回应",
        "我是林晓雨，我承认用了过期奶油，是我贪小便宜，对不起那些孩子，店我不开了。",
    ),
    ("晓雨烘焙坊官方", "晓雨烘焙坊声明：本店后厨视频属实，过期原料已全部销毁，顾客可凭小票退款。"),
]
INSULTS = [
    "黑心老板娘滚出青禾！",
    "这种人就该社死，良心被狗吃了",
    "无良商家吃人血馒头，坐等倒闭",
    "恶心透了，孩子都敢害，你全家出门小心点",
    "骂死她都不解气，建议封店",
    "去她主页冲，别让她好过",
    "一看就不是好东西，还有脸笑？",
    "人肉她全家，让她给孩子磕头道歉",
    "蛇蝎心肠，滚！",
    "这种店老板就该被开盒",
    "她的号我已经挂出来了，大家私信轰炸她",
    "活该被骂，赶紧关门吧",
]
EVENT_HARM = [
    "晓雨烘焙的过期蛋糕害了孩子，林晓雨必须付出代价",
    "过期奶油做蛋糕？晓雨烘焙坊去死吧",
    "林晓雨这种人怎么还不进去",
    "晓雨烘焙坊老板娘真是恶毒，过期蛋糕都敢卖",
    "青禾路那家晓雨烘焙坊，大家去门口拉横幅",
    "林晓雨滚出青禾！！",
]
BENIGN_AT_VICTIM = [
    "等官方调查结果吧，别急着骂",
    "我吃过她家蛋糕好几年了，一直挺好的",
    "网暴不可取，理性一点",
    "老板娘加油，清者自清",
    "支持你，我们都相信你",
    "市场监管局都通报了，别再传谣了",
    "今天还去买了面包，没什么问题啊",
    "先让子弹飞一会儿",
]
BENIGN_EVENT = [
    "晓雨烘焙的事等官方通报再说吧",
    "过期蛋糕的视频好像是外地的旧视频？",
    "理性吃瓜，晓雨烘焙坊事件持续关注",
    "青禾市场监管局已经介入了，坐等结果",
    "林晓雨事件反转了吗？",
    "造谣的人也该查一查，晓雨烘焙坊真惨",
]
ARMY_BURSTS = [
    "黑心商家林晓雨滚出青禾！大家都去她主页看看她的嘴脸",
    "晓雨烘焙坊过期蛋糕害娃，必须严惩，不给说法绝不罢休",
    "让她社死！林晓雨还敢删评论？",
    "过期奶油蛋糕谁吃谁倒霉，晓雨烘焙坊必须关门",
    "青禾的家长们联合起来，让林晓雨付出代价",
]
ARMY_REPOST = ["", "", "", "转发扩散", "必须严查！", "让她社死", "支持！", "顶上去", "别让她跑了"]
VICTIM_BASE = [
    "今天的新品：抹茶千层，欢迎来尝",
    "凌晨四点开始揉面，面包出炉啦",
    "周末生日蛋糕预订已满，谢谢大家",
    "小店三周年，感谢老顾客一路陪伴",
    "新到的法国黄油，做了可颂",
    "雨天也有热乎的吐司",
]
REGULAR_COMMENTS = [
    "看着就好吃！",
    "明天去买",
    "老板辛苦了",
    "上次的芝士蛋糕太好吃了",
    "给我留两个可颂",
    "孩子最爱你家的小面包",
    "周末见",
]
MINOR_POSTS = [
    "今天学校艺术节跳了一支舞",
    "期中考试进步了十名！",
    "和同学去公园写生",
    "新学的吉他曲",
]
MINOR_CLASSMATES = ["跳得真好看！", "小满加油", "下周一起去图书馆", "哈哈哈你太可爱了"]
MINOR_ATTACKS = [
    "你家卖过期蛋糕害人，你也不是好东西",
    "小满是吧，青禾实验中学几班的？我们去学校看看",
    "有其母必有其女，滚出学校",
    "你家开黑店的还好意思跳舞？",
    "让你家林晓雨出来道歉，不然天天来骂你",
    "小小年纪就这么会装，恶心",
]
_M_CORE = [
    "你妈卖过期蛋糕你也好不到哪去",
    "小满是吧，哪个学校的",
    "有其母必有其女",
    "还好意思发跳舞视频",
    "让你家大人出来道歉",
    "小小年纪就会装",
    "你家黑店关门了没",
    "明天去你学校门口等你",
]
CELEB_POSTS = [
    "今晚八点直播见",
    "新歌的小样录好了",
    "巡演第三站，谢谢大家",
    "今天的排练有点累",
    "新专辑《远山》明天中午十二点上线！",
    "感谢每一位听众",
]
FAN_COMMENTS = [
    "哥哥太帅了！",
    "新专辑单曲循环中",
    "啊啊啊终于等到了",
    "《远山》太好听了哭了",
    "冲销量！！",
    "永远支持你",
    "今天也爱你",
    "演唱会什么时候来青禾",
    "早点休息哥哥",
]
ANTI_FAN = ["唱的什么玩意，难听死了", "过气了还营销，滚吧"]
E2_FP = (
    "江川区老街火锅用地沟油锅底！后厨员工亲口说的，锅底一天回收三次，吃过的人赶紧去医院查查，"
    "老板还放话说没人管得了他"
)
E2_INSULTS = [
    "老街火锅黑心店，倒闭吧",
    "地沟油锅底还敢开？老板滚",
    "江川区老街火锅吃死人了谁负责",
    "这种老板就该关进去",
]
E2_BENIGN = [
    "老街火锅我常去，没发现问题",
    "地沟油锅底这事有证据吗",
    "等江川区市场监管通报",
    "别传谣",
]
E0_FP = (
    "明川中学王老师体罚学生，把孩子关在储物间两个小时，家长去问还被王建国骂了出来，"
    "这种老师凭什么还在教书，大家扩散"
)
E0_INSULTS = [
    "王建国滚出明川中学",
    "体罚孩子的畜生",
    "明川中学包庇王老师，一起举报",
    "人肉他，看他还敢不敢",
]
E0_BENIGN = ["明川中学王老师的事等教育局调查", "王老师体罚有视频吗？", "听说是误会", "理性讨论"]
UNRELATED = [
    "今天天气不错",
    "晚饭吃了麻辣烫",
    "周末去爬山",
    "加班到十点",
    "新买的耳机不错",
    "猫主子又拆家了",
    "追剧中",
    "下雨了记得带伞",
]

# compositional crowd texts: independent people do not share stock sentences
_H_OPEN = [
    "真没想到",
    "看完气炸了",
    "说句难听的",
    "我就想问",
    "刚刷到",
    "笑死",
    "服了",
    "呵呵",
    "讲真",
    "离谱",
    "家人们谁懂啊",
    "不吐不快",
]
_H_CORE = [
    "林晓雨这种人不配开店",
    "晓雨烘焙坊的蛋糕谁还敢吃",
    "卖过期奶油的良心不会痛吗",
    "林晓雨赶紧滚出青禾",
    "那个老板娘一脸刻薄相",
    "这店迟早要倒闭",
    "晓雨烘焙的老板就是个骗子",
    "害孩子的人全家都该道歉",
    "这种黑店就该被查封",
    "林晓雨装什么可怜",
    "她那张脸看着就恶心",
    "过期蛋糕还敢卖给小孩",
    "晓雨烘焙坊老板人品太差",
    "这女的嘴真硬",
    "给她店打一星",
    "她还有脸发澄清",
]
_H_CLOSE = [
    "！",
    "，呸",
    "，无语",
    "，绝了",
    "，坐等凉凉",
    "。。。",
    "，真恶心",
    "，别洗了",
    "，建议严查",
    "，活该",
    "[怒]",
    "，谁洗谁是托",
]
_B_OPEN = [
    "说实话",
    "路过",
    "个人觉得",
    "冷静一下",
    "我觉得",
    "emmm",
    "插一句",
    "看了半天",
    "不太懂",
    "补充下",
]
_B_CORE = [
    "晓雨烘焙坊的事还是等通报吧",
    "过期蛋糕的说法证据不足",
    "林晓雨店里我去过挺干净的",
    "青禾市场监管局都查过了",
    "网上的视频不一定是真的",
    "别被带节奏了",
    "骂人解决不了问题",
    "晓雨烘焙这件事疑点很多",
    "造谣的人也该追责",
    "老板娘也挺不容易的",
    "先看事实再说",
    "那个后厨视频好像是外地的",
]
_B_CLOSE = ["", "。", "，理性吃瓜", "，持续关注", "～", "，就这样", "。个人看法"]


def _compose(r: np.random.Generator, harmful: bool) -> str:
    o, c, e = (_H_OPEN, _H_CORE, _H_CLOSE) if harmful else (_B_OPEN, _B_CORE, _B_CLOSE)
    core = c[int(r.integers(len(c)))]
    if r.random() < 0.5:  # two cores sometimes
        core2 = c[int(r.integers(len(c)))]
        if core2 != core:
            core = core + "，" + core2
    return o[int(r.integers(len(o)))] + "，" + _jitter(r, core) + e[int(r.integers(len(e)))]


OUTLET_TEXTS = [
    "【南方晚报】青禾“过期蛋糕”事件追踪：晓雨烘焙坊原料抽检合格，警方已对造谣视频立案调查",
    "【新青禾观察】晓雨烘焙坊事件复盘：一段外地旧视频如何引发全网围攻",
    "【热点快讯】青禾过期蛋糕传闻最新进展，市场监管局回应网友关切",
]
OUTLET_NAMES = ["南方晚报", "新青禾观察", "热点快讯"]
DEFENDER_POST = "我认识晓雨十年了，她的店干干净净，大家别再传那个视频了，求求了"
DEFENDER_ABUSE = [
    "你收了多少钱替她说话",
    "一伙的吧，一起查",
    "洗地的都不是好东西",
    "帮黑店说话，你也别想好过",
    "水军滚",
]
APPRENTICE_ABUSE = "晓雨烘焙坊那个小学徒也不是好东西，该死"

_FILLERS = ["啊", "真的", "就", "也", "都", "吧", "嘛", "还", "简直", "确实", "这"]


def _jitter(r: np.random.Generator, text: str) -> str:
    """Each person words it their own way: filler words every few characters, so that two
    independent posts rarely share a long verbatim run (real crowds do not share sentences)."""
    out, i = [], 0
    while i < len(text):
        step = int(r.integers(3, 7))
        out.append(text[i : i + step])
        i += step
        if i < len(text) and r.random() < 0.7:
            out.append(_FILLERS[int(r.integers(len(_FILLERS)))])
    return "".join(out)


_SIMILAR = {
    "的": "滴",
    "了": "啦",
    "她": "TA",
    "！": "!",
    "，": ",",
    "去": "都去",
    "是": "系",
    "吃": "恰",
    "这": "这个",
    "人": "銀",
    "大家": "家人们",
}
_EMOJI = ["[怒]", "[吃瓜]", "[微笑]", "!!", "。。。", "[doge]", "🙄", "😡"]


# ------------------------------------------------------------------------------- helpers


@dataclass
class Incident:
    """A generated incident: the tables (rows as dicts, times as epoch seconds) and the truth."""

    tables: dict[str, list[dict[str, Any]]]
    truth: dict[str, Any]
    seed: int
    size: str
    formats: dict[str, str] = field(default_factory=dict)


def _iso(t: float, style: str) -> str:
    d = dt.datetime.fromtimestamp(round(t), tz=UTC)
    if style == "cn":
        return d.astimezone(CN).isoformat()
    if style == "z":
        return d.strftime("%Y-%m-%dT%H:%M:%SZ")
    return d.strftime("%Y-%m-%dT%H:%M:%S")  # no offset: read as UTC


class _B:
    """The builder: accounts, contents and reposts as rows, plus the planted roles."""

    def __init__(self, seed: int, size: str) -> None:
        self.rng = np.random.default_rng([20260512, seed])
        self.seed = seed
        self.n = SIZES[size]
        self.t = {k: [] for k in TABLE_COLUMNS}
        self.used: set[str] = set()
        self.acc: dict[str, dict] = {}
        self.content: dict[str, dict] = {}
        self.repost: dict[str, dict] = {}
        self.harmful: dict[str, bool] = {}
        self.copy_of: dict[str, str] = {}
        self.did_repost: set[tuple[str, str]] = set()
        self.p_missing = float(self.rng.uniform(0.22, 0.38))
        self.p_tag = float(self.rng.uniform(0.25, 0.55))
        self.T0 = (
            dt.datetime(2026, 5, 12, 1, 30, tzinfo=UTC).timestamp()
            + int(self.rng.integers(0, 6)) * HOUR
        )

    # ids -------------------------------------------------------------------
    def _fresh(self, make) -> str:
        for _ in range(1000):
            s = make()
            if s not in self.used:
                self.used.add(s)
                return s
        raise RuntimeError("id space exhausted")

    def _alnum(self, n: int) -> str:
        abc = "abcdefghjkmnpqrstuvwxyz23456789"
        return "".join(abc[i] for i in self.rng.integers(0, len(abc), n))

    def account_id(self, platform: str) -> str:
        r = self.rng
        make = {
            "weibo": lambda: f"weibo:{int(r.integers(1_000_000_000, 7_999_999_999))}",
            "douyin": lambda: f"douyin:dy_{self._alnum(8)}",
            "kuaishou": lambda: f"kuaishou:u_{int(r.integers(10000, 99999))}",
            "zhihu": lambda: (
                f"zhihu:{['qinghe', 'lumen', 'xiaoke', 'dabai', 'zhi'][int(r.integers(5))]}-{self._alnum(4)}"
            ),
            "tieba": lambda: f"tieba:tb.{int(r.integers(100000, 9999999))}",
        }[platform]
        return self._fresh(make)

    def content_id(self, platform: str, kind: str) -> str:
        r = self.rng
        if kind == "dm":
            return self._fresh(lambda: f"{platform}:dm:{self._alnum(12)}")
        make = {
            "weibo": lambda: (
                f"weibo:M{self._alnum(9)}"
                if kind != "comment"
                else f"weibo:C{int(r.integers(10**14, 10**15))}"
            ),
            "douyin": lambda: f"douyin:7{int(r.integers(10**17, 10**18))}",
            "kuaishou": lambda: f"kuaishou:p_3x{self._alnum(10)}",
            "zhihu": lambda: f"zhihu:a/{int(r.integers(10**8, 10**9))}",
            "tieba": lambda: f"tieba:p{int(r.integers(10**9, 10**10))}",
        }[platform]
        return self._fresh(make)

    def repost_id(self, platform: str) -> str:
        return self._fresh(lambda: f"{platform}:rt/{self._alnum(10)}")

    def style(self) -> str:
        return ["cn", "z", "naive"][int(self.rng.choice(3, p=[0.45, 0.35, 0.2]))]

    def nick(self) -> str:
        r = self.rng
        s = _NICK_A[int(r.integers(len(_NICK_A)))] + _NICK_B[int(r.integers(len(_NICK_B)))]
        return s + (str(int(r.integers(1, 999))) if r.random() < 0.4 else "")

    def edit(self, text: str, n: int = 2) -> str:
        """A copy with small edits (swapped characters, an emoji, a prefix)."""
        r = self.rng
        for _ in range(n):
            op = int(r.integers(4))
            keys = [k for k in _SIMILAR if k in text]
            if op == 0 and keys:
                k = keys[int(r.integers(len(keys)))]
                text = text.replace(k, _SIMILAR[k], 1)
            elif op == 1:
                text = text + _EMOJI[int(r.integers(len(_EMOJI)))]
            elif op == 2:
                text = ["转：", "震惊！", "【扩散】", "刚看到，"][int(r.integers(4))] + text
            elif len(text) > 20:
                i = int(r.integers(5, len(text) - 5))
                text = text[:i] + text[i + 1 :]
        return text

    # rows ------------------------------------------------------------------
    def add_account(
        self,
        platform: str,
        *,
        name: str | None = None,
        created: float,
        followers: int,
        verified: bool = False,
        identity: str | None = None,
        minor: bool | None = None,
        bio: str | None = None,
    ) -> str:
        a = self.account_id(platform)
        row = dict(
            account_id=a,
            platform=platform,
            name=name or self.nick(),
            created_at=created,
            followers=int(followers),
            verified=verified,
            identity_key=identity,
            is_minor=minor,
            bio=bio,
        )
        self.acc[a] = row
        self.t["accounts"].append(row)
        return a

    def harm_value(self, harmful: bool) -> float | None:
        r = self.rng
        if r.random() < self.p_missing:
            return None
        if harmful:
            return round(0.56 + 0.42 * float(r.beta(3, 2)), 3)
        return round(0.4 * float(r.beta(1.2, 7)), 3)

    def post(
        self,
        a: str,
        t: float,
        text: str,
        *,
        kind: str = "post",
        reply_to: str | None = None,
        event: str | None = None,
        harmful: bool = False,
        targets: tuple = (),
        media: str | None = None,
        copy_of: str | None = None,
        harm: Any = "auto",
    ) -> str:
        platform = self.acc[a]["platform"]
        if kind == "post" and platform in ("douyin", "kuaishou"):
            kind = "video"
        cid = self.content_id(platform, kind)
        row = dict(
            content_id=cid,
            account_id=a,
            platform=platform,
            posted_at=float(t),
            text=text,
            kind=kind if (kind != "post" or self.rng.random() < 0.5) else None,
            reply_to=reply_to,
            event_id=event if (event and self.rng.random() < self.p_tag) else None,
            harm=self.harm_value(harmful) if harm == "auto" else harm,
            target_ids=list(targets),
            media_hash=media,
            url=f"https://{platform}.example/{cid.split(':', 1)[1]}"
            if self.rng.random() < 0.7
            else None,
            client=["iPhone", "Android", "网页版", None][int(self.rng.integers(4))],
        )
        self.content[cid] = row
        self.harmful[cid] = harmful
        if copy_of:
            self.copy_of[cid] = copy_of
        self.t["contents"].append(row)
        return cid

    def when(self, x: str) -> float:
        if x in self.content:
            return self.content[x]["posted_at"]
        return self.repost[x]["reposted_at"]

    def share(self, a: str, src: str, t: float, text: str = "") -> str | None:
        if (a, src) in self.did_repost:
            return None
        self.did_repost.add((a, src))
        platform = self.acc[a]["platform"]
        rid = self.repost_id(platform)
        row = dict(
            repost_id=rid,
            account_id=a,
            source_id=src,
            reposted_at=float(t),
            platform=platform if self.rng.random() < 0.8 else None,
            text=text or None,
        )
        self.repost[rid] = row
        self.t["reposts"].append(row)
        return rid

    def report(
        self,
        t: float,
        reporter: str | None,
        *,
        content: str | None = None,
        account: str | None = None,
        reason: str,
        minor: bool = False,
    ) -> None:
        rid = self._fresh(lambda: f"rpt-{self._alnum(10)}")
        self.t["reports"].append(
            dict(
                report_id=rid,
                reported_at=float(t),
                reporter_id=reporter,
                content_id=content,
                account_id=account,
                reason=reason,
                involves_minor=minor if (minor or self.rng.random() < 0.5) else None,
            )
        )

    def crowd(self, n: int, platforms: dict[str, float], *, start: float) -> list[str]:
        """Organic accounts: created over years, heavy-tailed followers."""
        r = self.rng
        plats = list(platforms)
        p = np.array(list(platforms.values()), dtype=float)
        out = []
        for _ in range(n):
            pl = plats[int(r.choice(len(plats), p=p / p.sum()))]
            out.append(
                self.add_account(
                    pl,
                    created=start - float(r.uniform(60, 3000)) * DAY,
                    followers=int(min(2e6, r.lognormal(4.2, 1.7))),
                    verified=bool(r.random() < 0.02),
                )
            )
        return out

    def army(self, n: int, platforms: dict[str, float], *, born: float) -> list[str]:
        """Water army: a creation burst, low followers, identity keys shared in small groups."""
        r = self.rng
        plats = list(platforms)
        p = np.array(list(platforms.values()), dtype=float)
        out = []
        keys: list[str | None] = [None] * n
        i = 0
        while i < n:
            if r.random() < 0.25 and i + 1 < n:
                k = f"idk-{self._alnum(8)}"
                g = int(r.integers(2, 4))
                for j in range(i, min(n, i + g)):
                    keys[j] = k
                i += g
            else:
                i += 1
        for j in range(n):
            pl = plats[int(r.choice(len(plats), p=p / p.sum()))]
            name = (
                _ARMY_NAMES[int(r.integers(len(_ARMY_NAMES)))] + self._alnum(5)
                if r.random() < 0.6
                else self.nick()
            )
            out.append(
                self.add_account(
                    pl,
                    name=name,
                    created=born + float(r.uniform(0, 1.8)) * DAY,
                    followers=int(r.integers(0, 40)),
                    identity=keys[j],
                )
            )
        return out


def _pick(r: np.random.Generator, seq: list, k: int | None = None):
    if k is None:
        return seq[int(r.integers(len(seq)))]
    idx = r.choice(len(seq), size=min(k, len(seq)), replace=False)
    return [seq[int(i)] for i in sorted(idx)]


# ------------------------------------------------------------------------- the events


def _side_event(
    b: _B,
    eid: str,
    *,
    story: dict,
    start: float,
    fp_text: str,
    insults: list,
    benign: list,
    n_crowd: int,
    n_army: int,
    platform: str,
    name: str,
    labels: bool,
) -> dict:
    """A smaller incident (another event, or the labelled past one): its truth."""
    r = b.rng
    crowd = b.crowd(n_crowd, {platform: 1.0}, start=start)
    target = b.add_account(
        platform,
        name=story["entities"][0] + ("官方" if r.random() < 0.5 else ""),
        created=start - 800 * DAY,
        followers=int(r.integers(500, 5000)),
    )
    fp = b.add_account(platform, created=start - 500 * DAY, followers=int(r.integers(200, 3000)))
    inc = b.add_account(platform, created=start - 700 * DAY, followers=int(r.integers(1000, 9000)))
    reps = [
        b.add_account(platform, created=start - 400 * DAY, followers=int(r.integers(50, 800)))
        for _ in range(3)
    ]
    army = b.army(n_army, {platform: 1.0}, born=start - 40 * DAY)
    b.t["events"].append(
        dict(
            event_id=eid,
            name=name,
            started_at=start,
            keywords=story["keywords"],
            entities=story["entities"],
            target_ids=[target],
        )
    )
    base = b.post(target, start - 3 * DAY, story["entities"][0] + "欢迎大家光临", event=eid)
    first = b.post(fp, start, fp_text, event=eid, harmful=True, targets=(target,))
    call = b.post(
        inc,
        start + 2 * HOUR,
        f"都去{story['entities'][0]}的主页，" + insults[0] + "，让他社死",
        event=eid,
        harmful=True,
        targets=(target,),
    )
    srcs = [first, call]
    for w in range(4):
        src = srcs[w % 2]
        tw = b.when(src) + float(r.uniform(0.2, 6)) * HOUR
        for a in army:
            if r.random() < 0.8:
                b.share(a, src, tw + float(r.exponential(40)), _pick(r, ARMY_REPOST))
    for a in army:
        if r.random() < 0.7:
            b.post(
                a,
                start + float(r.uniform(1, 30)) * HOUR,
                b.edit(insults[1], 1),
                kind="comment",
                reply_to=base,
                event=eid,
                harmful=True,
                targets=(target,),
            )
    for a in reps:
        for _ in range(int(r.integers(7, 12))):
            b.post(
                a,
                start + float(r.uniform(0.5, 48)) * HOUR,
                _pick(r, insults) + story["keywords"][0],
                event=eid,
                harmful=True,
                targets=(target,) if r.random() < 0.5 else (),
            )
    for a in crowd:
        for _ in range(1 + min(6, int(r.pareto(1.8)))):
            x = r.random()
            t = start + float(r.gamma(1.5, 8)) * HOUR
            if x < 0.5:
                src = _pick(r, srcs)
                b.share(a, src, max(t, b.when(src) + 30))
            elif x < 0.8:
                h = r.random() < 0.3
                b.post(
                    a,
                    t,
                    _pick(r, insults if h else benign),
                    kind="comment",
                    reply_to=base,
                    event=eid,
                    harmful=h,
                )
            else:
                b.post(a, t, story["keywords"][0] + "，" + _pick(r, benign), event=eid)
    truth = dict(
        event_id=eid,
        target=target,
        first_poster=fp,
        inciter=inc,
        repeat=reps,
        army=army,
        crowd=crowd,
    )
    if labels:
        for a, tier in [(fp, 3), (inc, 3)] + [(a, 3) for a in reps] + [(a, 2) for a in army]:
            b.t["labels"].append(dict(event_id=eid, account_id=a, tier=tier))
        for a in _pick(r, crowd, 8):
            b.t["labels"].append(dict(event_id=eid, account_id=a, tier=int(r.integers(0, 2))))
    return truth


def generate(seed: int = 0, size: str = "small") -> Incident:
    """Generate the incident of ``seed`` at scale ``size`` ("small" or "medium")."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}")
    b = _B(seed, size)
    r = b.rng
    n = b.n
    T0 = b.T0
    ev1 = f"evt:altgen-{seed}-bakery"
    ev2 = f"evt:altgen-{seed}-hotpot"
    ev0 = f"evt:altgen-{seed}-school"
    truth: dict[str, Any] = dict(event=ev1, other_event=ev2, past_event=ev0, seed=seed, size=size)

    # --- MCNs -----------------------------------------------------------------
    mcn_op, mcn_news, mcn_by, mcn_old, mcn_music = (
        "mcn:yunqi-culture",
        "mcn:qinghe-media",
        "mcn:xingyao-ent",
        "mcn:bailu-net",
        "mcn:tianyin",
    )
    for m, nm, reg in [
        (mcn_op, "杭州云起文化传媒有限公司", "浙江杭州"),
        (mcn_news, "青禾融媒中心", "青禾"),
        (mcn_by, "星耀娱乐", "上海"),
        (mcn_old, "白鹿网络科技", "广东广州"),
        (mcn_music, "天音音乐", "北京"),
    ]:
        b.t["mcns"].append(dict(mcn_id=m, name=nm, registered_in=reg))

    def affiliate(a, m, since, until=None, role="签约达人"):
        b.t["affiliations"].append(
            dict(account_id=a, mcn_id=m, since=since, until=until, role=role)
        )

    # --- the victim, her regulars, the minor ------------------------------------
    victim = b.add_account(
        "weibo",
        name="晓雨的烘焙日记",
        created=T0 - 1500 * DAY,
        followers=int(r.integers(800, 6000)),
        bio="青禾一家小烘焙店",
    )
    regulars = b.crowd(n["regulars"], {"weibo": 1.0}, start=T0)
    minor = b.add_account(
        "douyin",
        name="小满不吃香菜",
        created=T0 - 300 * DAY,
        followers=int(r.integers(40, 400)),
        minor=True,
    )
    classmates = b.crowd(6, {"douyin": 1.0}, start=T0)
    victim_posts: list[tuple[str, float]] = []
    t = T0 - 16 * DAY
    while t < T0 + 6 * DAY:
        tp = t + float(r.uniform(0, 10)) * HOUR
        txt = _pick(r, VICTIM_BASE)
        if r.random() < 0.25:
            txt = "晓雨烘焙坊｜" + txt
        ev = ev1 if any(k in txt for k in E1["keywords"] + E1["entities"]) else None
        c = b.post(victim, tp, txt, event=ev)
        victim_posts.append((c, tp))
        for a in regulars:
            if r.random() < 0.22:
                b.post(
                    a,
                    tp + float(r.exponential(3)) * HOUR,
                    _pick(r, REGULAR_COMMENTS),
                    kind="comment",
                    reply_to=c,
                    event=ev,
                )
            if r.random() < 0.03:
                b.post(
                    a,
                    tp + float(r.uniform(0, 20)) * HOUR,
                    "老板，明天能留一个蛋糕吗",
                    kind="dm",
                    targets=(victim,),
                )
        t += DAY * float(r.uniform(0.7, 1.3))
    clar = b.post(
        victim,
        T0 + 20 * HOUR,
        "关于晓雨烘焙坊的网传视频：本店原料都在保质期内，已向青禾市场监管局提交全部台账，"
        "视频不是我们店。请不要再骚扰我的家人。",
        event=ev1,
    )
    victim_posts.append((clar, T0 + 20 * HOUR))
    vposts_attack = [c for c, tp in victim_posts if T0 - 5 * DAY <= tp <= T0 + 5 * DAY]

    minor_posts = []
    t = T0 - 15 * DAY
    while t < T0 + 5 * DAY:
        c = b.post(minor, t + float(r.uniform(0, 8)) * HOUR, _pick(r, MINOR_POSTS))
        minor_posts.append((c, t))
        for a in classmates:
            if r.random() < 0.3:
                b.post(
                    a,
                    t + float(r.uniform(1, 9)) * HOUR,
                    _pick(r, MINOR_CLASSMATES),
                    kind="comment",
                    reply_to=c,
                )
        t += DAY * float(r.uniform(1.5, 3))

    # --- the main event's cast ----------------------------------------------------
    crowd = b.crowd(
        n["crowd"],
        {"weibo": 0.55, "douyin": 0.2, "kuaishou": 0.1, "zhihu": 0.1, "tieba": 0.05},
        start=T0,
    )
    news = [
        b.add_account(
            "weibo",
            name="青禾发布",
            created=T0 - 2500 * DAY,
            followers=int(r.integers(2_000_000, 5_000_000)),
            verified=True,
        )
    ]
    if r.random() < 0.7:
        news.append(
            b.add_account(
                "douyin",
                name="青禾融媒",
                created=T0 - 1800 * DAY,
                followers=int(r.integers(500_000, 2_000_000)),
                verified=True,
            )
        )
    fp1 = b.add_account("weibo", created=T0 - 900 * DAY, followers=int(r.integers(300, 5000)))
    fp2 = b.add_account("douyin", created=T0 - 600 * DAY, followers=int(r.integers(1000, 20000)))
    inc_a = b.add_account(
        "weibo", created=T0 - 1200 * DAY, followers=int(r.integers(20000, 200000))
    )
    inc_b = b.add_account("weibo", created=T0 - 700 * DAY, followers=int(r.integers(5000, 50000)))
    inc_c = (
        b.add_account("douyin", created=T0 - 400 * DAY, followers=int(r.integers(3000, 30000)))
        if r.random() < 0.6
        else None
    )
    n_rep = int(r.integers(4, 8))
    reps = [
        b.add_account(
            p, created=T0 - float(r.uniform(100, 900)) * DAY, followers=int(r.integers(30, 3000))
        )
        for p in ["douyin"] + list(r.choice(["weibo", "douyin", "kuaishou"], n_rep - 1))
    ]
    minor_attacker = reps[0]
    splice_plats = ["zhihu", "tieba"][: int(r.integers(1, 3))]
    splicers = [
        b.add_account(
            p, created=T0 - float(r.uniform(200, 900)) * DAY, followers=int(r.integers(100, 5000))
        )
        for p in splice_plats
    ]
    n_imp = int(r.integers(1, 3))
    imp_plan = _pick(r, IMPERSONATION, n_imp)
    impersonators = [
        b.add_account(
            ["weibo", "douyin"][i % 2],
            created=T0 - float(r.uniform(300, 1500)) * DAY,
            followers=int(r.integers(100, 3000)),
        )
        for i in range(n_imp)
    ]
    n_army = int(r.integers(38, 81))
    army = b.army(n_army, {"weibo": 0.7, "douyin": 0.3}, born=T0 - float(r.uniform(25, 60)) * DAY)
    army_wb = [a for a in army if b.acc[a]["platform"] == "weibo"]
    army_dy = [a for a in army if b.acc[a]["platform"] == "douyin"]

    b.t["events"].append(
        dict(
            event_id=ev1,
            name="青禾晓雨烘焙坊“过期蛋糕”事件",
            started_at=T0,
            keywords=E1["keywords"],
            entities=E1["entities"] + ["林小满"],
            target_ids=[victim, minor],
        )
    )

    # MCN affiliations
    op_share = float(r.uniform(0.5, 0.8))
    signed = [a for a in army if r.random() < op_share]
    for a in signed:
        affiliate(a, mcn_op, T0 - float(r.uniform(10, 30)) * DAY, role="运营号")
    affiliate(inc_a, mcn_op, T0 - 200 * DAY)
    for a in _pick(r, army, max(3, n_army // 6)):
        affiliate(a, mcn_old, T0 - 55 * DAY + float(r.uniform(0, 5)) * DAY, T0 - 20 * DAY)
    ex = _pick(r, crowd)
    affiliate(ex, mcn_op, T0 - 400 * DAY, T0 - 90 * DAY)
    for a in news:
        affiliate(a, mcn_news, T0 - 1000 * DAY, role="机构号")
    bystanders = _pick(r, [c for c in crowd if c != ex], int(r.integers(5, 10)))
    for a in bystanders:
        affiliate(a, mcn_by, T0 - float(r.uniform(30, 600)) * DAY)

    # --- first posters and copies ----------------------------------------------------
    for a in (
        [fp1, fp2] + reps + splicers + impersonators + [inc_a, inc_b] + ([inc_c] if inc_c else [])
    ):
        for _ in range(int(r.integers(1, 4))):  # ordinary history
            b.post(a, T0 - float(r.uniform(2, 40)) * DAY, _pick(r, UNRELATED))
    media2 = "".join(f"{int(x):x}" for x in r.integers(0, 16, 16))
    p1 = b.post(fp1, T0, FP1_TEXT, event=ev1, harmful=True, targets=(victim,))
    p2 = b.post(
        fp2, T0 + float(r.uniform(2, 5)) * HOUR, FP2_TEXT, harmful=True, media=media2, event=ev1
    )
    copies = []
    copiers = reps[1:] + _pick(
        r, [c for c in crowd if b.acc[c]["platform"] in ("douyin", "kuaishou", "tieba")], 4
    )
    for i, a in enumerate(copiers):
        src, text = (p1, FP1_TEXT) if i % 2 == 0 else (p2, FP2_TEXT)
        tc = b.when(src) + float(r.uniform(1, 30)) * HOUR
        med = None
        if src == p2:
            flip = int(r.integers(16))
            med = (
                media2[:flip] + f"{(int(media2[flip], 16) ^ 1):x}" + media2[flip + 1 :]
                if r.random() < 0.5
                else media2
            )
        copies.append(
            b.post(
                a,
                tc,
                b.edit(text, 2),
                harmful=True,
                media=med,
                copy_of=src,
                event=ev1,
                targets=(victim,) if r.random() < 0.3 else (),
            )
        )

    # --- inciters -------------------------------------------------------------------
    pa = b.post(
        inc_a,
        T0 + float(r.uniform(1, 3)) * HOUR,
        INC_A_TEXT,
        event=ev1,
        harmful=True,
        targets=(victim,),
    )
    rb = b.share(inc_b, p1, T0 + float(r.uniform(0.8, 2.5)) * HOUR, INC_B_TEXT)
    pc = (
        b.post(
            inc_c,
            b.when(p2) + float(r.uniform(1, 4)) * HOUR,
            INC_C_TEXT,
            event=ev1,
            harmful=True,
            targets=(victim,),
        )
        if inc_c
        else None
    )

    # --- news ----------------------------------------------------------------------
    news_posts = [
        b.post(a, T0 + float(r.uniform(18, 26)) * HOUR, NEWS_TEXTS[i], event=ev1)
        for i, a in enumerate(news)
    ]

    # --- repeat posters ----------------------------------------------------------------
    deleted = None
    for i, a in enumerate(reps):
        k = int(r.integers(9, 19))
        mine = [_compose(r, True) for _ in range(3)]  # a repeat poster repeats their own lines
        for j in range(k):
            tj = T0 + float(r.uniform(0.5, 80)) * HOUR
            x = r.random()
            if a == minor_attacker and j < 5:
                c = _pick(r, [c for c, tm in minor_posts if tm < T0 + 26 * HOUR][-2:])
                b.post(
                    a,
                    T0 + 26 * HOUR + float(r.uniform(0, 12)) * HOUR,
                    _pick(r, MINOR_ATTACKS),
                    kind="comment",
                    reply_to=c,
                    harmful=True,
                    targets=(minor,),
                )
            elif x < 0.4 and b.acc[a]["platform"] == "weibo":
                b.post(
                    a,
                    tj,
                    b.edit(_pick(r, mine), 1),
                    kind="comment",
                    reply_to=_pick(r, vposts_attack),
                    event=ev1,
                    harmful=True,
                    targets=(victim,) if r.random() < 0.5 else (),
                )
            elif x < 0.55 and b.acc[a]["platform"] == "weibo":
                b.post(a, tj, b.edit(_pick(r, mine), 1), kind="dm", targets=(victim,), harmful=True)
            else:
                src = p2 if b.acc[a]["platform"] == "douyin" else None
                if src and r.random() < 0.5:
                    b.post(
                        a,
                        max(tj, b.when(p2) + 60),
                        b.edit(_pick(r, mine), 1),
                        kind="comment",
                        reply_to=p2,
                        event=ev1,
                        harmful=True,
                        targets=(victim,),
                    )
                else:
                    c = b.post(
                        a, tj, b.edit(_pick(r, mine), 1) + " #晓雨烘焙#", event=ev1, harmful=True
                    )
                    if deleted is None and i == 1:
                        deleted = c
    # a deleted source: the post leaves the table, its reposts stay
    if deleted:
        row = b.content.pop(deleted)
        b.t["contents"].remove(row)
        b.harmful.pop(deleted)
        truth["deleted_source"] = deleted

    # --- splicers ------------------------------------------------------------------------
    sources = [(FP1_TEXT, p1), (FP2_TEXT, p2), (INC_A_TEXT, pa), (NEWS_TEXTS[0], news_posts[0])]
    splice_posts, splice_sources = [], {}
    for i, a in enumerate(splicers):
        (ta, ca), (tb, cb) = (sources[0], sources[1]) if i == 0 else (sources[2], sources[1])
        ia, ib = int(r.integers(5, 20)), int(r.integers(0, 12))
        frag_a, frag_b = (
            ta[ia : ia + int(r.integers(26, 36))],
            tb[ib : ib + int(r.integers(22, 30))],
        )
        g = SPLICE_GLUE[i]
        text = g[0] + frag_a + "。" + g[1] + frag_b + "。" + g[2]
        ts = max(b.when(ca), b.when(cb)) + float(r.uniform(2, 12)) * HOUR
        splice_posts.append(
            b.post(
                a, ts, text, event=ev1, harmful=True, targets=(victim,) if r.random() < 0.5 else ()
            )
        )
        splice_sources[splice_posts[-1]] = [ca, cb]
    truth["splice_sources"] = splice_sources

    # --- impersonators and rename traps --------------------------------------------------
    imp_posts = []
    for a, (new, text) in zip(impersonators, imp_plan):
        old = b.acc[a]["name"]
        tr = T0 + float(r.uniform(3, 20)) * HOUR
        back = tr + float(r.uniform(2, 5)) * DAY
        b.t["renames"].append(dict(account_id=a, old_name=old, new_name=new, renamed_at=tr))
        b.t["renames"].append(dict(account_id=a, old_name=new, new_name=old, renamed_at=back))
        imp_posts.append(
            b.post(a, tr + float(r.uniform(0.5, 6)) * HOUR, text, event=ev1, harmful=True)
        )
    trap_old, trap_unrel = _pick(r, [c for c in crowd if c not in bystanders and c != ex], 2)
    b.t["renames"].append(
        dict(
            account_id=trap_old,
            old_name=b.acc[trap_old]["name"],
            new_name="林晓雨呀",
            renamed_at=T0 - float(r.uniform(120, 300)) * DAY,
        )
    )
    b.acc[trap_old]["name"] = "林晓雨呀"
    b.t["renames"].append(
        dict(
            account_id=trap_unrel,
            old_name=b.acc[trap_unrel]["name"],
            new_name="今天也要加油鸭",
            renamed_at=T0 + float(r.uniform(5, 40)) * HOUR,
        )
    )
    b.acc[trap_unrel]["name"] = "今天也要加油鸭"
    for a in (trap_old, trap_unrel):
        b.post(a, T0 + float(r.uniform(20, 60)) * HOUR, _pick(r, BENIGN_EVENT), event=ev1)

    # --- the water army --------------------------------------------------------------------
    for a in army:
        for _ in range(int(r.integers(0, 3))):  # cover activity before the event
            b.post(a, T0 - float(r.uniform(1, 20)) * DAY, _pick(r, UNRELATED))
    wb_targets = [p1, pa, rb] + [
        c for c in copies if b.acc[b.content[c]["account_id"]]["platform"] == "weibo"
    ]
    dy_targets = (
        [p2]
        + ([pc] if pc else [])
        + [c for c in copies if b.acc[b.content[c]["account_id"]]["platform"] == "douyin"]
    )
    for group, targets in ((army_wb, wb_targets), (army_dy, dy_targets)):
        for src in targets:
            for _wave in range(1):
                tw = b.when(src) + float(r.uniform(0.1, 3)) * HOUR
                for a in group:
                    if r.random() < 0.8:
                        b.share(a, src, tw + float(r.exponential(45)), _pick(r, ARMY_REPOST))
        # near-duplicate co-posting in bursts
        for k in range(int(r.integers(3, 6))):
            tb = T0 + float(r.uniform(1.5, 60)) * HOUR
            tmpl = ARMY_BURSTS[k % len(ARMY_BURSTS)]
            if group is army_wb:
                parent = [c for c, tp in victim_posts if tp <= tb][-1]
                tg = (victim,)
            else:
                parent, tg = p2, (victim,)
                tb = max(tb, b.when(p2) + 600)
            for a in group:
                if r.random() < 0.65:
                    b.post(
                        a,
                        tb + float(r.uniform(0, 600)),
                        b.edit(tmpl, 1),
                        kind="comment",
                        reply_to=parent,
                        event=ev1,
                        harmful=True,
                        targets=tg if r.random() < 0.6 else (),
                    )
        if group is army_wb:  # DM storm and mass reports
            tb = T0 + float(r.uniform(4, 30)) * HOUR
            for a in group:
                if r.random() < 0.4:
                    b.post(
                        a,
                        tb + float(r.uniform(0, 900)),
                        b.edit(ARMY_BURSTS[2], 1),
                        kind="dm",
                        targets=(victim,),
                        harmful=True,
                    )
                if r.random() < 0.3:
                    b.report(
                        tb + float(r.uniform(0, 1800)),
                        a,
                        content=_pick(r, vposts_attack),
                        account=victim,
                        reason="虚假宣传",
                    )
    # --- the organic crowd ------------------------------------------------------------------
    harm_src = {
        "weibo": [(p1, 3), (pa, 6), (rb, 8)]
        + [(c, 1) for c in copies if b.content[c]["platform"] == "weibo"],
        "douyin": [(p2, 5)] + ([(pc, 4)] if pc else []),
        "kuaishou": [(c, 2) for c in copies if b.content[c]["platform"] == "kuaishou"],
        "zhihu": [(s, 2) for s in splice_posts if b.content[s]["platform"] == "zhihu"],
        "tieba": [(c, 1) for c in copies + splice_posts if b.content[c]["platform"] == "tieba"],
    }
    if deleted:
        harm_src["weibo"].append((deleted, 2))
    chains: dict[str, list[str]] = {}
    for a in crowd:
        pl = b.acc[a]["platform"]
        for _ in range(1 + min(10, int(r.pareto(1.5)))):
            x = r.random()
            t = T0 + float(r.gamma(1.4, 10)) * HOUR
            srcs = harm_src.get(pl) or []
            if x < 0.4 and srcs:
                w = np.array([s[1] for s in srcs], dtype=float)
                src = srcs[int(r.choice(len(srcs), p=w / w.sum()))][0]
                t0 = b.when(src) if src in b.content or src in b.repost else T0 + 10 * HOUR
                if chains.get(src) and r.random() < 0.3:  # repost a repost
                    src = _pick(r, chains[src])
                    t0 = b.when(src)
                txt = ""
                if r.random() < 0.3:
                    txt = _compose(r, r.random() < 0.5)
                    if src in b.repost:
                        txt += f"//@{b.acc[b.repost[src]['account_id']]['name']}:"
                rid = b.share(a, src, t0 + float(r.exponential(2.5 * HOUR)) + 20, txt)
                if rid:
                    chains.setdefault(
                        src if src not in b.repost else b.repost[src]["source_id"], []
                    ).append(rid)
            elif x < 0.7 and pl == "weibo":
                h = r.random() < 0.35
                parent = _pick(r, [c for c in vposts_attack if b.when(c) < t] or vposts_attack)
                b.post(
                    a,
                    max(t, b.when(parent) + 60),
                    _compose(r, h),
                    kind="comment",
                    reply_to=parent,
                    event=ev1,
                    harmful=h,
                    targets=(victim,) if (h and r.random() < 0.4) else (),
                )
            elif x < 0.7 and pl == "douyin":
                h = r.random() < 0.35
                b.post(
                    a,
                    max(t, b.when(p2) + 60),
                    _compose(r, h),
                    kind="comment",
                    reply_to=p2,
                    event=ev1,
                    harmful=h,
                )
            else:
                h = r.random() < 0.25
                b.post(a, t, _compose(r, h), event=ev1, harmful=h)
    # chance co-reposts: big benign cascades of the news
    for c in news_posts:
        pl = b.content[c]["platform"]
        pool = [a for a in crowd if b.acc[a]["platform"] == pl]
        k = int(len(pool) * float(r.uniform(0.5, 0.85)))
        for a in _pick(r, pool, k):
            b.share(
                a,
                c,
                b.when(c) + 20 + float(r.exponential(12 * 60)),
                _pick(r, ["", "", "辟谣了", "不信谣不传谣", "支持依法处理造谣者"]),
            )
    # regulars stand by the victim during the attack
    for a in regulars:
        if r.random() < 0.6:
            b.post(
                a,
                T0 + float(r.uniform(2, 50)) * HOUR,
                _pick(r, BENIGN_AT_VICTIM),
                kind="comment",
                reply_to=_pick(r, vposts_attack),
                event=ev1,
            )
    # the minor: harmful comments from strangers, reports involving a minor
    minor_targets = [c for c, tm in minor_posts if tm < T0 + 40 * HOUR][-2:]
    minor_att = [minor_attacker] + _pick(
        r, army_dy + [c for c in crowd if b.acc[c]["platform"] == "douyin"], int(r.integers(4, 9))
    )
    minor_harm = []
    for a in minor_att[1:]:
        for _ in range(int(r.integers(1, 3))):
            text = _pick(r, _H_OPEN) + "，" + _pick(r, _M_CORE) + _pick(r, _H_CLOSE)
            minor_harm.append(
                b.post(
                    a,
                    T0 + float(r.uniform(28, 40)) * HOUR,
                    text,
                    kind="comment",
                    reply_to=_pick(r, minor_targets),
                    harmful=True,
                    targets=(minor,) if r.random() < 0.7 else (),
                )
            )
    for c in minor_harm[: int(r.integers(3, 8))]:
        b.report(
            b.when(c) + float(r.uniform(0.2, 5)) * HOUR,
            _pick(r, classmates),
            content=c,
            account=b.content[c]["account_id"],
            reason="对未成年人的辱骂骚扰",
            minor=True,
        )
    # reports of harmful contents aimed at the victim
    for c, row in list(b.content.items()):
        if b.harmful.get(c) and victim in row["target_ids"] and r.random() < 0.25:
            b.report(
                row["posted_at"] + float(r.uniform(0.5, 12)) * HOUR,
                _pick(r, regulars + [victim]),
                content=c,
                account=row["account_id"],
                reason="辱骂/人肉搜索",
            )

    # --- the busy benign celebrity --------------------------------------------------------
    celeb = b.add_account(
        "weibo",
        name="周屿Zhou",
        created=T0 - 3000 * DAY,
        followers=int(r.integers(5_000_000, 12_000_000)),
        verified=True,
    )
    affiliate(celeb, mcn_music, T0 - 900 * DAY, role="艺人")
    fans = b.crowd(n["fans"], {"weibo": 1.0}, start=T0)
    core = fans[: len(fans) // 2]
    album = T0 + float(r.uniform(40, 60)) * HOUR
    album = album - (album % HOUR)
    d = T0 - 18 * DAY
    cposts = []
    while d < T0 + 6 * DAY:
        for tp in (d + 4 * HOUR, d + 12 * HOUR):  # 12:00 and 20:00 China time
            cposts.append(
                (b.post(celeb, tp + float(r.uniform(0, 1800)), _pick(r, CELEB_POSTS)), tp)
            )
        d += DAY
    base_rate = float(r.uniform(6, 10))  # comments per hour at the daily mean
    hour = T0 - 18 * DAY
    while hour < T0 + 6 * DAY:
        h_cn = ((hour % DAY) / HOUR + 8) % 24
        rate = base_rate * (1 + 0.85 * np.sin((h_cn - 14) / 24 * 2 * np.pi))  # evening peak
        if 2 <= h_cn < 8:
            rate *= 0.15
        fan_pool = core
        if album <= hour < album + 16 * HOUR:
            rate *= float(r.uniform(6, 10))
            fan_pool = fans
        for _ in range(int(r.poisson(max(rate, 0.1)))):
            tc = hour + float(r.uniform(0, HOUR))
            parent = [c for c, tp in cposts if tp <= tc]
            if not parent:
                continue
            bad = r.random() < 0.012
            b.post(
                _pick(r, fan_pool),
                tc,
                _pick(r, ANTI_FAN if bad else FAN_COMMENTS),
                kind="comment",
                reply_to=parent[-1],
                harmful=bad,
            )
        hour += HOUR
    for a in fans:
        if r.random() < 0.1:
            b.post(
                a,
                album + float(r.uniform(0, 10)) * HOUR,
                "@周屿Zhou 新专辑《远山》太好听了",
                harmful=False,
            )

    # --- another event at the same time, and the labelled past one --------------------------
    t2 = _side_event(
        b,
        ev2,
        story=E2,
        start=T0 + float(r.uniform(6, 30)) * HOUR,
        fp_text=E2_FP,
        insults=E2_INSULTS,
        benign=E2_BENIGN,
        n_crowd=n["e2_crowd"],
        n_army=int(r.integers(10, 16)),
        platform="kuaishou",
        name="江川老街火锅“地沟油”传闻",
        labels=False,
    )
    t0 = _side_event(
        b,
        ev0,
        story=E0,
        start=T0 - 80 * DAY,
        fp_text=E0_FP,
        insults=E0_INSULTS,
        benign=E0_BENIGN,
        n_crowd=n["e0_crowd"],
        n_army=int(r.integers(18, 30)),
        platform="tieba",
        name="明川中学体罚传闻",
        labels=True,
    )
    # a few unrelated posts by everyone in the crowd
    for a in crowd:
        if r.random() < 0.3:
            b.post(a, T0 + float(r.uniform(-10, 5)) * DAY, _pick(r, UNRELATED))

    scene = _misdirected_attention(b, ev1, victim, clar, crowd, T0)
    news = news + scene["outlets"]

    # --- truth -----------------------------------------------------------------------------
    member1 = _members(b, ev1, E1)
    participants = {row["account_id"] for c, row in b.content.items() if c in member1} | {
        row["account_id"] for rid, row in b.repost.items() if rid in member1
    }
    first_posters = [fp1, fp2]
    inciters = [inc_a, inc_b] + ([inc_c] if inc_c else [])
    culprits = set(first_posters + inciters + reps + splicers + impersonators + army)
    targets = {victim, minor}
    ordinary = sorted(participants - culprits - set(news) - targets)
    other = (
        set(t2["crowd"])
        | set(t2["army"])
        | {t2["target"], t2["first_poster"], t2["inciter"]}
        | set(t2["repeat"])
    )
    aimed = _aimed(b, victim)
    truth.update(
        T0=T0,
        victim=victim,
        minor=minor,
        celebrity=celeb,
        news=news,
        first_posters=first_posters,
        first_contents=[p1, p2],
        copies=copies,
        inciters=inciters,
        repost_comment_inciter=inc_b,
        repost_comment=rb,
        repeat_posters=reps,
        splicers=splicers,
        splice_posts=splice_posts,
        impersonators=impersonators,
        rename_traps=[trap_old, trap_unrel],
        army=army,
        army_signed=signed,
        operating_mcn=mcn_op,
        news_mcns=[mcn_news],
        bystander_mcns=[mcn_by, mcn_old],
        unrelated_mcns=[mcn_music],
        minor_attackers=sorted(set(minor_att)),
        minor_main_attacker=minor_attacker,
        culprits=sorted(culprits),
        ordinary=ordinary,
        participants=sorted(participants),
        other_event_accounts=sorted(other - participants),
        fans=fans,
        harmful_at_victim=sorted(c for c in aimed if b.harmful[c]),
        benign_at_victim=sorted(c for c in aimed if not b.harmful[c]),
        attack_start=min(b.content[c]["posted_at"] for c in aimed if b.harmful[c]),
        album_at=album,
        p_missing=b.p_missing,
        side_event=t2,
        past=t0,
        harm_missing={c for c, row in b.content.items() if row["harm"] is None},
        minors=[minor, scene["apprentice"]],
        minor_no_baseline=scene["apprentice"],
        minor_no_baseline_first_harm=scene["apprentice_first_harm"],
        outlets=scene["outlets"],
        outlet_posts=scene["outlet_posts"],
        defender=scene["defender"],
        defender_attack_start=scene["defender_attack_start"],
    )
    truth["harm_missing"] = sorted(truth["harm_missing"] & set(truth["harmful_at_victim"]))
    truth["venues"] = _plant_venues(b, truth, member1, cposts, victim_posts, army)
    return Incident(tables=b.t, truth=truth, seed=seed, size=size)


def _misdirected_attention(
    b: _B, ev1: str, victim: str, clar: str, crowd: list[str], T0: float
) -> dict[str, Any]:
    """Where attention must be counted for the right account.

    * the victim's apprentice, a minor with no posts: three harmful comments from one
      stranger under the victim's clarification, naming her (``target_ids``);
    * three verified news outlets report on the event; each report draws 200-400 comments
      from readers, a third harmful and naming the victim, the rest benign and untargeted;
      most of the harmful ones and some benign ones ``@``-mention the outlet;
    * a neighbour with a two-week baseline (a post a day or two, regulars' comments)
      defends the victim and draws harmful replies from strangers that name nobody.
    """
    r = b.rng
    apprentice = b.add_account(
        "douyin",
        name="晓雨家的小学徒",
        created=T0 - 200 * DAY,
        followers=int(r.integers(20, 300)),
        minor=True,
    )
    stranger = _pick(r, [a for a in crowd if b.acc[a]["platform"] == "weibo"])
    t = T0 + float(r.uniform(26, 34)) * HOUR
    first_harm = t
    for _ in range(3):
        b.post(
            stranger,
            t,
            APPRENTICE_ABUSE,
            kind="comment",
            reply_to=clar,
            event=ev1,
            harmful=True,
            targets=(apprentice,),
            harm=0.85,
        )
        t += float(r.uniform(1, 3)) * HOUR
    outlets, posts = [], []
    for name, text in zip(OUTLET_NAMES, OUTLET_TEXTS):
        plat = "douyin" if name == "热点快讯" else "weibo"
        o = b.add_account(
            plat,
            name=name,
            created=T0 - float(r.uniform(1500, 3000)) * DAY,
            followers=int(r.integers(300_000, 2_000_000)),
            verified=True,
        )
        tp = T0 + float(r.uniform(20, 34)) * HOUR
        p = b.post(o, tp, text, event=ev1, harm=round(float(r.uniform(0.0, 0.05)), 3))
        outlets.append(o)
        posts.append(p)
        readers = b.crowd(int(r.integers(200, 400)), {plat: 1.0}, start=T0)
        for j, a in enumerate(readers):
            bad = j % 3 == 0
            # readers often @ the outlet, most of all in abuse aimed at the victim
            at = f"@{name} " if r.random() < (0.8 if bad else 0.3) else ""
            b.post(
                a,
                tp + 60 + float(r.exponential(2 * HOUR)),
                at + _compose(r, bad),
                kind="comment",
                reply_to=p,
                event=ev1,
                harmful=bad,
                targets=(victim,) if bad else (),
                harm=round(float(r.uniform(0.6, 0.95) if bad else r.uniform(0.0, 0.2)), 3),
            )
    defender = b.add_account(
        "weibo", name="青禾路花店", created=T0 - 900 * DAY, followers=int(r.integers(500, 3000))
    )
    regulars = b.crowd(8, {"weibo": 1.0}, start=T0)
    t = T0 - 16 * DAY
    while t < T0:
        p = b.post(defender, t + float(r.uniform(0, 8)) * HOUR, "今日鲜花：向日葵和小雏菊")
        for a in regulars:
            if r.random() < 0.3:
                b.post(
                    a,
                    b.when(p) + float(r.uniform(0.5, 6)) * HOUR,
                    "好漂亮",
                    kind="comment",
                    reply_to=p,
                    harm=round(float(r.uniform(0.0, 0.1)), 3),
                )
        t += DAY * float(r.uniform(1, 2))
    td = T0 + float(r.uniform(24, 36)) * HOUR
    post = b.post(defender, td, DEFENDER_POST, harm=0.02)
    attackers = _pick(r, [a for a in crowd if b.acc[a]["platform"] == "weibo"], 40)
    starts = []
    for a in attackers:
        bad = r.random() < 0.7
        tc = td + 120 + float(r.exponential(1.5 * HOUR))
        if bad:
            starts.append(tc)
        b.post(
            a,
            tc,
            _pick(r, DEFENDER_ABUSE) if bad else "支持你，理性发声",
            kind="comment",
            reply_to=post,
            harmful=bad,
            harm=round(float(r.uniform(0.6, 0.95) if bad else r.uniform(0.0, 0.2)), 3),
        )
    return dict(
        apprentice=apprentice,
        apprentice_first_harm=first_harm,
        outlets=outlets,
        outlet_posts=posts,
        defender=defender,
        defender_attack_start=min(starts),
    )


def _plant_venues(
    b: _B,
    truth: dict,
    members: set[str],
    cposts: list[tuple[str, float]],
    victim_posts: list[tuple[str, float]],
    army: list[str],
) -> dict[str, Any]:
    """SPEC §7, planted last with a generator of its own (every row planted before stays as it
    was; only ``venue_id`` is set on existing contents): a topic named after the owner,
    created by an army account an hour and a half after the start and filled with the
    attack's posts; a tieba submission board (投稿) carrying the attack; the celebrity's
    huge super-topic with a few harmful posts (a negative); the owner's own live room with
    the comments under her posts (protect, never close); moderation at three speeds; and a
    new account named after the shop that posts abuse in its name (an impersonator)."""
    r = np.random.default_rng([20260512, b.seed, 18])
    T0 = truth["T0"]
    ids = {
        "topic": "weibo:topic/林晓雨",
        "board": "tieba:forum/qinghe-tougao",
        "fans": "weibo:topic/zhouyu",
        "room": "weibo:live/xiaoyu",
    }
    creator = sorted(a for a in army if b.acc[a]["platform"] == "weibo")[0]
    t_topic = T0 + 1.5 * HOUR
    venue_of: dict[str, str] = {}
    bad_posts = sorted(
        c
        for c in members
        if c in b.content
        and b.harmful[c]
        and b.content[c]["reply_to"] is None
        and b.content[c]["posted_at"] >= t_topic
    )
    weibo_bad = [c for c in bad_posts if b.content[c]["platform"] == "weibo"]
    stray = set(weibo_bad[:: max(1, len(weibo_bad) // 6)][:6])  # a few land in the fan topic
    for c in weibo_bad:
        if c in stray:
            venue_of[c] = ids["fans"]
        elif r.random() < 0.6 or b.content[c]["account_id"] == creator:
            venue_of[c] = ids["topic"]
    others = [c for c in bad_posts if b.content[c]["platform"] not in ("weibo",)]
    board_platform = "tieba" if any(b.content[c]["platform"] == "tieba" for c in others) else None
    if board_platform is None:  # the attack is on weibo and douyin: the board is douyin's
        board_platform = "douyin"
        ids["board"] = "douyin:group/qinghe-tougao"
    for c in others:
        if b.content[c]["platform"] == board_platform and r.random() < 0.8:
            venue_of[c] = ids["board"]
    celeb_posts = {c for c, _ in cposts}
    for c, row in b.content.items():
        if c in celeb_posts or row["reply_to"] in celeb_posts:
            venue_of[c] = ids["fans"]
    own = {c for c, t in victim_posts if t >= T0}
    t_room = min((t for c, t in victim_posts if t >= T0), default=T0 + DAY)
    for c, row in b.content.items():
        if c in own or (row["reply_to"] in own and row["platform"] == "weibo"):
            venue_of[c] = ids["room"]
    for row in b.t["contents"]:
        row["venue_id"] = venue_of.get(row["content_id"])
    b.t["venues"] = [
        dict(
            venue_id=ids["topic"],
            platform="weibo",
            kind="topic",
            name="#林晓雨过期蛋糕害人#",
            created_at=t_topic,
            creator_id=creator,
        ),
        dict(
            venue_id=ids["board"],
            platform=board_platform,
            kind="forum" if board_platform == "tieba" else "group",
            name="同城投稿墙",
            created_at=T0 - 700 * DAY,
        ),
        dict(
            venue_id=ids["fans"],
            platform="weibo",
            kind="topic",
            name="周屿超话",
            created_at=T0 - 2000 * DAY,
            creator_id=truth["celebrity"],
            host_id=truth["celebrity"],
        ),
        dict(
            venue_id=ids["room"],
            platform="weibo",
            kind="live_room",
            name="晓雨烘焙直播间",
            created_at=t_room - 600,
            creator_id=truth["victim"],
            host_id=truth["victim"],
        ),
    ]
    # moderation: weibo within the hour, douyin within hours, the others within days
    speed = {"weibo": (0.9, 0.5), "douyin": (0.8, 4.0)}
    platform = {c: row["platform"] for c, row in b.content.items()}
    rows = []
    for rep in b.t["reports"]:
        c, a = rep["content_id"], rep["account_id"]
        plat = platform.get(c) if c else None
        plat = plat or (b.acc[a]["platform"] if a in b.acc else None)
        if plat is None:
            continue
        share, hours = speed.get(plat, (0.5, 40.0))
        if r.random() >= share:
            continue
        delay = float(r.lognormal(np.log(hours * HOUR), 0.7)) + 60
        rows.append(
            dict(
                platform=plat,
                acted_at=rep["reported_at"] + delay,
                action="remove" if c else "suspend",
                content_id=c,
                account_id=None if c else a,
                report_id=rep["report_id"] if r.random() < 0.8 else None,
            )
        )
    rows.sort(key=lambda x: (x["acted_at"], str(x["content_id"]), str(x["report_id"])))
    b.t["moderation"] = [dict(action_id=f"act-{i:05d}", **x) for i, x in enumerate(rows)]
    # an account created after the start under the shop's name, posting abuse in its name
    fake = b.add_account("weibo", name="晓雨烘焙坊官方", created=T0 + 5 * HOUR, followers=3)
    b.post(
        fake,
        T0 + 7 * HOUR,
        "晓雨烘焙坊官方回应：过期奶油又怎样，吃不死人，爱买不买",
        harmful=True,
        targets=(truth["victim"],),
    )
    truth["impersonators"] = sorted([*truth["impersonators"], fake])
    truth["culprits"] = sorted([*truth["culprits"], fake])
    return dict(
        new_account_impersonators=[fake],
        ids=ids,
        sanction=sorted([ids["topic"], ids["board"]]),
        benign=[ids["fans"]],
        protect=[ids["room"]],
        named_after=[ids["topic"]],
        created_during_event=[ids["topic"]],
        anonymous_board=[ids["board"]],
        venue_creator=[creator],
    )


def _members(b: _B, eid: str, story: dict) -> set[str]:
    """The event's contents and reposts by the SPEC §2 rule (tag, words, replies, reposts, copies)."""
    words = story["keywords"] + story["entities"]
    items = sorted(
        [(row["posted_at"], c, "c") for c, row in b.content.items()]
        + [(row["reposted_at"], rid, "r") for rid, row in b.repost.items()]
    )
    out: set[str] = set()
    # reposts can come before their source in a messy chain: two passes
    for _ in range(2):
        for _t, x, k in items:
            if x in out:
                continue
            if k == "c":
                row = b.content[x]
                text = row["text"] or ""
                if (
                    row["event_id"] == eid
                    or (row["event_id"] is None and any(w in text for w in words))
                    or row["reply_to"] in out
                    or b.copy_of.get(x) in out
                ):
                    out.add(x)
            else:
                row = b.repost[x]
                if row["source_id"] in out or any(w in (row["text"] or "") for w in words):
                    out.add(x)
    return out


def _aimed(b: _B, target: str) -> list[str]:
    """Contents aimed at ``target``: named in target_ids, a reply to its content, or an @-mention."""
    name = b.acc[target]["name"]
    own = {c for c, row in b.content.items() if row["account_id"] == target}
    out = []
    for c, row in b.content.items():
        if row["account_id"] == target:
            continue
        if (
            target in row["target_ids"]
            or (not row["target_ids"] and row["reply_to"] in own)
            or f"@{name}" in (row["text"] or "")
        ):
            out.append(c)
    return out


# ------------------------------------------------------------------------------- writing


def _cell(v: Any, style: str, is_time: bool, fmt: str) -> Any:
    if v is None:
        return None
    if is_time:
        return _iso(v, style)
    if isinstance(v, list):
        return v if fmt == "jsonl" else "|".join(v)
    return v


_TIME_COLS = {
    "created_at",
    "posted_at",
    "reposted_at",
    "renamed_at",
    "since",
    "until",
    "started_at",
    "reported_at",
    "acted_at",
    "closed_at",
}


def write_incident(inc: Incident, folder: str | Path) -> Path:
    """Write the incident's tables into ``folder``; returns it.

    Table formats change with the seed: contents and events swap between JSONL
    (list columns as arrays) and CSV (``|``-joined lists); times carry ``+08:00``,
    ``Z`` or no offset row by row.  Only the tables are written (``labels.csv``
    among them); the truth stays in memory.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    r = np.random.default_rng([7, inc.seed])
    even = inc.seed % 2 == 0
    fmt = {
        "accounts": "csv",
        "contents": "jsonl" if even else "csv",
        "reposts": "csv" if even else "jsonl",
        "renames": "jsonl",
        "mcns": "jsonl",
        "affiliations": "csv",
        "events": "csv" if even else "jsonl",
        "reports": "jsonl" if even else "csv",
        "labels": "csv",
        "venues": "jsonl" if even else "csv",
        "moderation": "csv" if even else "jsonl",
    }
    styles = ["cn", "z", "naive"]
    for name, rows in inc.tables.items():
        if not rows:
            continue
        cols = TABLE_COLUMNS[name]
        out = []
        for row in rows:
            st = styles[int(r.choice(3, p=[0.45, 0.35, 0.2]))]
            out.append({c: _cell(row.get(c), st, c in _TIME_COLS, fmt[name]) for c in cols})
        path = folder / f"{name}.{fmt[name]}"
        if fmt[name] == "jsonl":
            with path.open("w", encoding="utf-8") as fh:
                for row in out:
                    fh.write(
                        json.dumps(
                            {k: v for k, v in row.items() if v is not None}, ensure_ascii=False
                        )
                        + "\n"
                    )
        else:
            with path.open("w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(cols)
                for row in out:
                    w.writerow(
                        [
                            ""
                            if row[c] is None
                            else (
                                "true" if row[c] is True else "false" if row[c] is False else row[c]
                            )
                            for c in cols
                        ]
                    )
    inc.formats = fmt
    return folder
