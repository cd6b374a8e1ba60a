"""Chinese text material of the sample incident: narratives, comment pools, small edits, splices.

Everything random takes the caller's ``numpy.random.Generator``; nothing here keeps state.
"""

from __future__ import annotations

import re

import numpy as np

# --- the main event E1: a teacher falsely accused ---------------------------------------------

VICTIM = "林晓雯"
SCHOOL = "南城市第七中学"
SCHOOL_SHORT = "南城七中"
EMPLOYER = "南城市教育局"
POLICE = "南城市公安局东湖派出所"
POLICE_SHORT = "东湖派出所"
E1_NAME = "南城七中教师林晓雯遭网暴事件"
E1_KEYWORDS = ["南城七中", "林晓雯", "七中老师", "体罚学生", "林老师"]
E1_ENTITIES = [VICTIM, SCHOOL, SCHOOL_SHORT, EMPLOYER, POLICE, POLICE_SHORT]

#: the three false stories (harmful narratives), each split into sentences for splicing
NARRATIVES = {
    "A": [
        "南城七中初二班主任林晓雯长期体罚学生，昨天把一个男生打到耳膜穿孔住院了",
        "家长去学校讨说法被保安赶了出来，学校还想把事情压下去",
        "这样的人凭什么当老师？",
    ],
    "B": [
        "曝光！南城七中林晓雯老师收家长红包，不送礼的孩子就被她安排坐最后一排",
        "还经常当着全班同学的面羞辱学生，视频里的就是她本人",
        "家长们都敢怒不敢言。",
    ],
    "C": [
        "听说林晓雯的老公就在东湖派出所上班，所以家长报警根本没人管",
        "南城七中和教育局都在护着她，这里面水太深了",
        "细思极恐。",
    ],
}

#: a call to action aimed at the victim, appended by the original-post inciter
CALL_TO_ACTION = "大家去她微博下面骂，人肉她！@林晓雯"
#: the inciting comment of the repost-with-comment inciter
REPOST_INCITEMENT = (
    "这种老师就该开除！大家都去@南城七中 官微和@林晓雯 的评论区刷屏，不给说法就别停！"
)
IMPERSONATOR_REPOST = "我承认，是我做的，对不起大家。"
IMPERSONATOR_PREFIX = "【南城七中官方】内部消息："
#: comments of the account renamed after the victim, posing as her
IMPERSONATOR_TAUNTS = [
    "我就是林晓雯，学生不听话就该打，有本事来南城七中找我。",
    "我林晓雯收红包怎么了？你们能拿我怎么样。",
    "骂吧，反正我老公在派出所，林晓雯照样当老师。",
]

VICTIM_CLARIFICATION = (
    "我是林晓雯。网上关于我体罚学生、收红包的说法都不是事实，"
    "学校和警方正在调查，请大家不要再转发不实信息，也请不要打扰我的家人和学生。"
)
SCHOOL_STATEMENT = (
    "南城市第七中学关于网络舆情的情况说明：经学校调查，网传我校林晓雯老师体罚学生一事与事实不符，"
    "涉事学生系体育课意外受伤，已于当天送医。学校将配合有关部门依法处理造谣行为。"
)
POLICE_STATEMENT = (
    "【警情通报】近日，网传南城七中教师林晓雯体罚学生致其住院、其家属在派出所工作等信息，"
    "经查均系编造。东湖派出所已对造谣者依法开展调查，请广大网民不信谣、不传谣。"
)
NEWS_TEXTS = [
    "【南城七中教师遭网暴 警方：网传体罚学生系谣言】3月3日，南城市公安局东湖派出所发布通报，"
    "网传南城七中林晓雯老师体罚学生致其住院一事经查不实。记者从学校了解到，涉事学生系体育课意外受伤。",
    "#南城七中老师被造谣# 一条“老师体罚学生”的帖子让林晓雯老师三天内收到上万条辱骂私信。"
    "律师表示，捏造事实、煽动网暴可能涉嫌诽谤罪，平台应依法处置相关账号。",
]
MINOR_DEFENCE = "林老师是我们班主任，她从来没有打过人，网上说的都不是真的，求求大家别再骂她了。"

HARMFUL_OPENERS = [
    "林晓雯你配当老师吗？",
    "这种人赶紧滚出教师队伍！",
    "@林晓雯 你晚上睡得着吗？",
    "南城七中包庇老师，恶心。",
    "垃圾老师，",
    "林老师真是好大的官威，",
    "体罚学生还有脸发微博？",
    "七中老师都这样吗，",
    "建议查查林晓雯收了多少红包，",
    "林晓雯道歉！",
]
HARMFUL_CLOSERS = [
    "必须开除！",
    "教育局还不处理吗？",
    "有没有人知道她家住哪？",
    "祝你全家天天开心哦。",
    "别让她再祸害孩子了。",
    "等着被挂吧。",
    "大家别放过她。",
    "真给老师丢脸。",
    "",
]
MILD_TEXTS = [
    "如果是真的那也太过分了吧",
    "这学校是不是有问题",
    "现在的老师真的要好好管管了",
    "坐等反转，先骂为敬",
    "南城七中这下出名了",
    "听说林老师平时就挺凶的",
    "七中的事情有人知道细节吗",
]
BENIGN_TEXTS = [
    "等官方通报",
    "不信谣不传谣",
    "林老师教过我，她人很好",
    "希望早日查清真相",
    "理性吃瓜",
    "警方通报出来了，散了吧",
    "网暴可耻",
    "心疼林老师",
    "造谣的人应该被追责",
    "支持依法处理造谣者",
    "转发微博",
    "南城七中加油",
    "又是一场网暴，唉",
]
MINOR_HARMFUL = [
    "小小年纪就会洗白？",
    "你收了多少钱帮她说话",
    "你是哪个班的？挂出来",
    "@雨桐不吃香菜 小心点",
    "学生也是她的帮凶",
    "家长怎么教的孩子",
    "别装了，你就是她的托",
]
REPOST_HARMFUL = [
    "太恶心了",
    "这种人也配当老师",
    "必须严查！",
    "转发让更多人看到！",
    "开除！",
    "@林晓雯 出来道歉",
]
REPOST_BENIGN = ["转发微博", "等反转", "希望是假的", "关注", "马一下", "吃瓜"]

# --- the busy benign account and the victim's everyday life ------------------------------------

CELEBRITY = "许星野"
FAN_TEXTS = [
    "哥哥今天也好帅！",
    "新歌单曲循环中",
    "@许星野 早点休息呀",
    "期待新专辑！",
    "打卡第{n}天",
    "哥哥演唱会什么时候来南城",
    "这首歌写到我心里了",
    "星野的声音太治愈了",
    "永远支持你",
    "冲冲冲",
]
ALBUM_TEXTS = [
    "新专辑《星河回声》上线了！！",
    "《星河回声》全专无跳过",
    "首日销量破纪录，为哥哥骄傲",
    "@许星野 新专辑太好听了",
    "第三首哭死我了",
    "已经买了十张",
]
ANTI_FAN = ["难听死了，过气歌手", "许星野又在炒作", "就这水平也出专辑？"]
CELEB_POSTS = [
    "今天的排练结束啦，晚安。",
    "谢谢大家的祝福。",
    "新专辑《星河回声》3月6日零点上线，等你们。",
    "《星河回声》上线了，谢谢一直陪着我的你们。",
    "录音室的一天。",
]
VICTIM_POSTS = [
    "今天带初二（3）班去植物园写生，孩子们画得真好。",
    "周末备课中，给学生准备了新的阅读材料。",
    "班会课上大家讨论了“如何对待网络信息”，孩子们很有想法。",
    "期中考试结束，大家辛苦了。",
    "和同事们一起去家访，收获很多。",
    "春天来了，校园里的玉兰开了。",
]
CONTACT_TEXTS = [
    "林老师辛苦了",
    "画得真好！",
    "孩子回家说很喜欢你的课",
    "周末一起吃饭呀",
    "晓雯，资料收到了",
    "林老师，周五的家长会几点？",
    "好看！",
    "下次带上我们班",
]
MINOR_BASELINE = [
    "今天的作业好多",
    "小雨跳舞真好看",
    "明天一起去图书馆吗",
    "哈哈哈笑死",
    "周末去哪玩",
]

# --- the unrelated event E2 and the past event E0 -------------------------------------------

E2_NAME = "北川茶语时光奶茶店食品安全谣言"
E2_KEYWORDS = ["茶语时光", "北川万达", "奶茶店", "蟑螂奶茶"]
E2_ENTITIES = ["茶语时光", "茶语时光北川万达店", "陈建国", "北川市市场监督管理局"]
E2_STORY = [
    "北川万达的茶语时光奶茶里喝出了蟑螂，店员还说是珍珠",
    "老板陈建国威胁顾客删帖，这种店赶紧关门吧",
]
E2_CALL = "大家都去茶语时光的店铺主页刷差评！"
E2_COMMENTS = [
    "再也不去茶语时光了",
    "恶心死了",
    "老板人品太差",
    "市场监管局快查封",
    "北川万达那家吗？",
    "听说是竞争对手造谣",
    "我昨天刚喝过",
    "等官方说法",
]

E0_NAME = "东岭市中心医院护士被指收红包事件"
E0_KEYWORDS = ["东岭中心医院", "护士周敏", "收红包护士"]
E0_ENTITIES = ["周敏", "东岭市中心医院", "东岭市卫生健康委员会"]
E0_STORY = [
    "东岭市中心医院护士周敏给病人输错药还收红包，家属投诉无门",
    "医院领导是她亲戚，大家去医院官网留言",
]
E0_CALL = "把周敏的电话挂出来，大家一起打！"
E0_COMMENTS = [
    "周敏滚出医院",
    "这种护士太可怕了",
    "东岭中心医院必须给说法",
    "等通报",
    "别信谣",
    "心疼病人",
]

# --- names --------------------------------------------------------------------------------------

_NAME_A = list("小大老阿金银白黑红蓝青紫甜酸苦咸暖冷晴雨雪风云星月")
_NAME_B = [
    "猫",
    "狗",
    "熊",
    "兔",
    "鱼",
    "鹿",
    "鸭",
    "橙子",
    "柚子",
    "西瓜",
    "桃子",
    "芒果",
    "可乐",
    "奶茶",
    "饺子",
    "包子",
    "土豆",
    "番茄",
    "辣条",
    "咸鱼",
    "海盐",
    "星星",
    "月亮",
    "太阳",
    "云朵",
    "雨滴",
]
_NAME_C = [
    "",
    "",
    "酱",
    "君",
    "不吃香菜",
    "的日常",
    "爱吃瓜",
    "在路上",
    "今天也要加油",
    "想睡觉",
    "的小号",
]


def nicknames(rng: np.random.Generator, n: int, prefix: str = "") -> list[str]:
    """``n`` plausible Chinese nicknames; about a fifth are the platform default ``用户NNNNNNN``."""
    a = rng.integers(0, len(_NAME_A), n)
    b = rng.integers(0, len(_NAME_B), n)
    c = rng.integers(0, len(_NAME_C), n)
    digits = rng.integers(1000, 99_999_999, n)
    default = rng.random(n) < 0.2
    suffix_digits = rng.random(n) < 0.4
    out = []
    for i in range(n):
        if default[i]:
            out.append(f"{prefix}用户{digits[i]}")
        else:
            tail = str(digits[i] % 10_000) if suffix_digits[i] else ""
            out.append(f"{prefix}{_NAME_A[a[i]]}{_NAME_B[b[i]]}{_NAME_C[c[i]]}{tail}")
    return out


# --- small edits and splices ---------------------------------------------------------------------

_SWAPS = [
    ("，", "。"),
    ("学生", "学生们"),
    ("老师", "教师"),
    ("长期", "一直"),
    ("昨天", "前天"),
    ("根本", "完全"),
    ("都", "全都"),
    ("这样的人", "这种人"),
    ("经常", "总是"),
    ("就", "竟然"),
    ("！", "!!"),
    ("？", "??"),
]
_PREFIXES = ["", "", "转：", "扩散！", "【转】", "刚看到的，", "#南城七中# "]
_SUFFIXES = ["", "", "", "😡", "！！！", " 求扩散", "…", " #林晓雯#"]


def near_copy(
    rng: np.random.Generator, sentences: list[str], *, edits: int = 2, min_jaccard: float = 0.75
) -> str:
    """A copy of a story with a few small edits (word swaps, a prefix, a suffix), as copy-pasters
    make them; redrawn until its character 3-shingle Jaccard similarity to the original is at
    least ``min_jaccard`` (punctuation, spaces and @mentions ignored)."""
    base = original(sentences)
    for _ in range(50):
        text = base
        for k in rng.choice(len(_SWAPS), size=edits, replace=False):
            old, new = _SWAPS[int(k)]
            pos = text.find(old)
            if pos >= 0:
                text = text[:pos] + new + text[pos + len(old) :]
        text = (
            _PREFIXES[rng.integers(len(_PREFIXES))] + text + _SUFFIXES[rng.integers(len(_SUFFIXES))]
        )
        if jaccard(text, base) >= min_jaccard:
            return text
    return base + _SUFFIXES[-1]


_NOISE = re.compile(r"@[\w\u4e00-\u9fff]+|[\W_]+")


def jaccard(a: str, b: str, k: int = 3) -> float:
    """Jaccard similarity of the character ``k``-shingles of two texts (punctuation, spaces
    and @mentions removed)."""
    sa, sb = (_shingles(_NOISE.sub("", t.lower()), k) for t in (a, b))
    return len(sa & sb) / len(sa | sb) if sa | sb else 1.0


def _shingles(t: str, k: int) -> set[str]:
    return {t[i : i + k] for i in range(max(1, len(t) - k + 1))}


def original(sentences: list[str]) -> str:
    """The original wording of a story."""
    return "，".join(s.rstrip("。？！") for s in sentences[:-1]) + "，" + sentences[-1]


def harmful_comment(rng: np.random.Generator) -> str:
    """A short abusive comment aimed at the victim (an opener and a closer)."""
    return (
        HARMFUL_OPENERS[rng.integers(len(HARMFUL_OPENERS))]
        + HARMFUL_CLOSERS[rng.integers(len(HARMFUL_CLOSERS))]
    )


def pick(rng: np.random.Generator, pool: list[str], n: int) -> list[str]:
    """``n`` texts drawn with replacement from ``pool``."""
    return [pool[i] for i in rng.integers(0, len(pool), n)]
