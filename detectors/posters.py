"""First posters (首发), repeat posters (多发) and inciters (煽动) of an event.

Each detector takes the event's :class:`pileon.graph.projection.Projection` and its
:class:`pileon.detectors.narratives.NarrativeResult`, and returns
:class:`pileon.detectors.findings.RoleFinding` records sorted by ``account_id``, each
with :class:`pileon.detectors.findings.Evidence` naming the contents, their times and
the numbers behind the decision, and ``numbers`` (features for scoring).

Every threshold that depends on the event is judged against the event's own
distribution (robust z-scores: median and MAD of log counts, with a floor on
the scale so a flat distribution does not make everything an outlier); the
fixed parameters are minimums, documented with their defaults.

Examples
--------
>>> from pileon.graph.projection import Projection
>>> from pileon.detectors.narratives import detect_narratives
>>> t = lambda m: f"2026-03-01T08:{m:02d}:00Z"
>>> story = "网传某中学林老师体罚学生致其住院，学校还想把事情压下去"
>>> p = Projection.from_tables({"event_id": "e", "target_ids": ["v"], "entities": ["林老师"]},
...     contents=[{"content_id": "c1", "account_id": "fp", "platform": "weibo", "posted_at": t(0),
...                "text": story, "harm": 0.9}],
...     reposts=[{"repost_id": "r00", "account_id": "kai", "source_id": "c1", "reposted_at": t(1),
...               "text": "大家都去林老师评论区刷屏！"}]
...           + [{"repost_id": f"r{i:02d}", "account_id": f"u{i}", "source_id": "r00" if i % 2 else "c1",
...               "reposted_at": t(2 + i)} for i in range(1, 41)])
>>> res = detect_narratives(p)
>>> [f.account_id for f in detect_first_posters(p, res)], [f.account_id for f in detect_inciters(p, res)]
(['fp'], ['kai'])
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from pileon.detectors.cascades import (
    _by_ids,
    _first_rows,
    _time_order,
    coded_forest,
    own_comments,
    reach_nodes,
    repost_authors,
)
from pileon.detectors.findings import Evidence, RoleFinding
from pileon.detectors.harm import HARM_THRESHOLD
from pileon.detectors.narratives import REACTION_KINDS, NarrativeResult
from pileon.graph.projection import Projection
from pileon.graph.textsim import normalize_all

__all__ = [
    "detect_first_posters",
    "detect_multi_posters",
    "detect_inciters",
    "call_to_action",
    "CTA_PATTERNS",
]

# --------------------------------------------------------------------------- shared helpers

#: calls to action aimed at a person (Chinese and English); each alone is a call to act
CTA_PATTERNS: tuple[str, ...] = (
    r"人肉",
    r"开盒",
    r"扒(一扒|出|光)?(她|他|其)",
    r"挂(出来|她|他|了她|了他)",
    r"曝光",
    r"(一起|给我|都去|快去)冲",
    r"冲(她|他|了她|了他|啊|呀|鸭|[!！])",
    r"去(她|他|你|它|其)的?(微博|评论区|主页|账号|家|单位|学校|直播间|超话|店|私信)",
    r"去.{0,12}(评论区|微博|主页|官微|私信|店铺|留言板|直播间)(下面|里)?.{0,4}(骂|刷|留言|评论|问|喷|冲|讨说法)",
    r"大家(一起|都|快|赶紧)?(去|来|冲|骂|举报|刷|扒|人肉|挂|打|曝光|私信|轰炸)",
    r"举报(她|他|它|这个|这人)",
    r"刷屏",
    r"刷差评",
    r"轰炸",
    r"网暴(她|他)",
    r"(电话|住址|地址|身份证|照片|家庭住址).{0,6}(挂|发|曝|公开)",
    r"(打|挂).{0,3}(她|他)的?电话",
    r"别放过(她|他)",
    r"不给(个)?说法就?别停",
    r"让(她|他)(社死|滚|付出代价|混不下去)",
    r"(兄弟|姐妹|家人|朋友)们.{0,6}(冲|上|去|骂|举报|刷|扒|挂)",
    r"都(去|来)(骂|刷|举报|冲|问|评论|私信)",
    r"\bdox(x)?(ing)?\b",
    r"\bgo (after|get|find) (her|him|them)\b",
    r"\bflood (her|his|their)\b",
    r"\breport (her|him|this account|them)\b",
    r"\bmake (her|him|them) pay\b",
    r"\beveryone (go|report|tag|call|flood)\b",
    r"\blet'?s (go after|get|report|expose|find)\b",
    r"\bexpose (her|him|them)\b",
    r"\bwhere (she|he) lives\b",
    r"\bspam (her|his|their)\b",
)
_CTA = re.compile("|".join(f"(?:{p})" for p in CTA_PATTERNS), re.IGNORECASE)

#: per pattern of :data:`CTA_PATTERNS` (same order), literal strings of which every match of
#: the pattern holds one, in the form :func:`_fold` gives them: a folded text that holds none
#: of them matches no pattern, so it is not searched with :data:`_CTA`
_CTA_NEEDLES: tuple[tuple[str, ...], ...] = (
    ("人肉",),
    ("开盒",),
    ("扒",),
    ("挂",),
    ("曝光",),
    ("冲",),
    ("冲",),
    ("去",),
    ("去",),
    ("大家",),
    ("举报",),
    ("刷屏",),
    ("刷差评",),
    ("轰炸",),
    ("网暴",),
    ("电话", "住址", "地址", "身份证", "照片"),
    ("电话",),
    ("别放过",),
    ("说法",),
    ("让",),
    ("们",),
    ("都",),
    ("dox",),
    ("go after ", "go get ", "go find "),
    ("flood ",),
    ("report her", "report him", "report this account", "report them"),
    ("make her pay", "make him pay", "make them pay"),
    ("everyone ",),
    ("let's ", "lets "),
    ("expose ",),
    ("where she lives", "where he lives"),
    ("spam ",),
)
_NEEDLE = re.compile("|".join(re.escape(n) for n in sorted({n for ns in _CTA_NEEDLES for n in ns})))


def _fold(text: str) -> str:
    """``text`` in lower case as :data:`re.IGNORECASE` sees the needles' characters: the
    lower case of every character (İ's without the combining dot that ``str.lower`` adds),
    and ı, ſ as i, s (which it matches to I and S too).  A pattern of :data:`CTA_PATTERNS`
    that matches ``text`` thus leaves one of its :data:`_CTA_NEEDLES` in the folded text
    (``tests/test_posters.py`` checks the fold over every code point)."""
    return text.lower().replace("\u0307", "").replace("ı", "i").replace("ſ", "s")


_CLAUSE = re.compile(r"[。！？!?；;，,、\n]+")
#: words that point at a person inside a call to action (the target, by pronoun)
_PRONOUN = re.compile(r"她|他|\b(her|him|them)\b", re.IGNORECASE)


def call_to_action(
    texts: pd.Series, target_names: list[str] | tuple[str, ...] = ()
) -> pd.DataFrame:
    """Calls to action in texts, and whether they are aimed at a target.

    Parameters
    ----------
    texts : Series of str
        Texts (raw: mentions are part of what is looked for).
    target_names : list of str
        Names of the event's targets and entities (``@name`` or the bare name).

    Returns
    -------
    DataFrame
        Same index: ``cta`` (bool: a pattern of :data:`CTA_PATTERNS` matches),
        ``match`` (the first matched words; ``@`` for a bare mention of a target), ``aimed``
        (a clause that calls to action also names a target or entity, or points at a person
        with a pronoun; an ``@target`` mention is aimed by itself).

    Notes
    -----
    O(total characters): each text is first folded (:func:`_fold`) and scanned for the
    literal needles of the patterns (:data:`_CTA_NEEDLES`), which a case-sensitive
    alternation of literals does fast; only the texts holding one are searched with the
    case-insensitive patterns themselves (on ``ira-dev`` 1,402 of its 207,760 contents' texts), with
    the same result as searching them all.

    Examples
    --------
    >>> call_to_action(pd.Series(["大家去她微博下面骂，人肉她！@林晓雯", "医院领导是她亲戚，大家去医院官网留言",
    ...                           "等官方通报", "@林晓雯 出来道歉"]), ["林晓雯"])[["cta", "aimed"]].values.tolist()
    [[True, True], [True, False], [False, False], [True, True]]
    """
    t = texts.astype(object).where(texts.notna(), "").astype(str)
    # only the texts that hold a needle of some pattern can match: the others are not searched
    may = np.flatnonzero(
        np.fromiter((_NEEDLE.search(_fold(x)) is not None for x in t), dtype=bool, count=len(t))
    )
    found = pd.Series(np.nan, index=t.index, dtype=object)
    if len(may):
        found.iloc[may] = (
            t.iloc[may]
            .str.extract(f"({_CTA.pattern})", flags=re.IGNORECASE, expand=True)[0]
            .to_numpy(dtype=object)
        )
    cta = found.notna()
    names = sorted(
        {n.strip() for n in target_names if n and len(n.strip()) >= 2}, key=lambda s: (-len(s), s)
    )
    name_re = re.compile("|".join(re.escape(n) for n in names)) if names else None
    # "@target" is itself a call on the crowd to turn on the target
    if names:
        mention = t.str.contains("|".join("@" + re.escape(n) for n in names), regex=True)
        found = found.where(found.notna() | ~mention, "@")
        cta = found.notna()
    aimed = pd.Series(False, index=t.index)
    for i in np.flatnonzero(cta.to_numpy()):
        if found.iat[i] == "@":
            aimed.iat[i] = True
            continue
        for clause in _CLAUSE.split(t.iat[i]):
            if _CTA.search(clause) and (
                _PRONOUN.search(clause) or (name_re is not None and name_re.search(clause))
            ):
                aimed.iat[i] = True
                break
    return pd.DataFrame({"cta": cta, "match": found.fillna(""), "aimed": aimed}, index=texts.index)


def _targets(p: Projection) -> tuple[set[str], list[str]]:
    """Target account IDs of the event and the names that point at them (plus entities)."""
    ids = set(p.event.target_ids)
    for t in p.contents["target_ids"]:
        ids |= set(t)
    names = list(p.event.entities)
    if len(p.accounts) and "name" in p.accounts:
        acc = p.accounts[p.accounts["account_id"].isin(ids)]
        names += [n for n in acc["name"].dropna().astype(str)]
    return ids, names


def _fmt_time(t) -> str:
    return "unknown time" if t is None or pd.isna(t) else pd.Timestamp(t).isoformat()


def _sorted(findings: list[RoleFinding]) -> list[RoleFinding]:
    return sorted(findings, key=lambda f: f.account_id)


# --------------------------------------------------------------------------- first posters


def _derivative_share(
    p: Projection, narratives: NarrativeResult, cand: pd.DataFrame, *, k: int = 5
) -> pd.Series:
    """Share of each candidate first content's k-grams already used earlier by OTHER accounts
    in OTHER narratives (a splice or a re-telling is not a first publication).

    Notes
    -----
    One pass over the event's contents in time order; each distinct text is normalised
    and searched for the candidates' k-grams once, and the pass stops once every such
    k-gram has its earliest users.
    """
    c = _first_rows(p.contents, "content_id")
    c = c[~c["placeholder"]] if "placeholder" in c else c
    c = c[c["posted_at"].notna()]
    times = c["posted_at"].astype("int64").to_numpy()
    order = _time_order(times, c["content_id"].to_numpy(dtype=object))
    c, times = c.iloc[order], times[order]
    norms = normalize_all(c["text"])
    norm_of = dict(zip(c["content_id"], norms))
    grams_of: dict[str, set[str]] = {}
    wanted: set[str] = set()
    for cid in cand["first_content_id"]:
        t = norm_of.get(cid, "")
        g = {t[i : i + k] for i in range(len(t) - k + 1)}
        grams_of[cid] = g
        wanted |= g
    if not wanted:
        return pd.Series(0.0, index=cand.index)
    # earliest few (time, account, narrative) users of each wanted k-gram, one pass in time order
    users: dict[str, list[tuple[int, str, str]]] = {}
    full = 0  # wanted k-grams that have all their users
    hits_of: dict[str, list[str]] = {}  # the wanted k-grams of each distinct text, in order
    seen_text: set[tuple[str, str]] = set()
    nid = narratives.of_content
    for cid, acc, t, tm in zip(c["content_id"], c["account_id"], norms, times):
        hits = hits_of.get(t)
        if hits is None:
            hits = hits_of[t] = [
                g for g in (t[i : i + k] for i in range(len(t) - k + 1)) if g in wanted
            ]
        key = (t, acc)
        if not hits or key in seen_text:
            continue
        seen_text.add(key)
        n = nid.get(cid)
        for g in hits:
            lst = users.setdefault(g, [])
            if len(lst) < 4:
                lst.append((int(tm), acc, n))
                full += len(lst) == 4
        if full == len(wanted):
            break
    out = []
    first_time = dict(zip(c["content_id"], times.tolist()))
    for row in cand.itertuples():
        g = grams_of.get(row.first_content_id, set())
        if not g:
            out.append(0.0)
            continue
        t0 = int(first_time.get(row.first_content_id, np.iinfo(np.int64).max))
        hit = sum(
            1
            for x in g
            if any(
                tm < t0 and a != row.first_poster and n != row.narrative_id
                for tm, a, n in users.get(x, ())
            )
        )
        out.append(hit / len(g))
    return pd.Series(out, index=cand.index)


def detect_first_posters(
    p: Projection,
    narratives: NarrativeResult,
    *,
    spread_scale: float = 10.0,
    min_strength: float = 0.5,
    derivative_max: float = 0.5,
    seed: int | None = None,
) -> list[RoleFinding]:
    """First posters (首发) of the event's harmful narratives.

    Parameters
    ----------
    p : Projection
        The event's projection.
    narratives : NarrativeResult
        From :func:`pileon.detectors.narratives.detect_narratives`.
    spread_scale : float
        How the strength grows with the narrative's spread (its reposts plus its other
        published copies): ``(1 - exp(-spread / spread_scale)) · (0.5 + 0.5 · harm)``; a
        lone uncopied post has strength 0.
    min_strength : float
        Findings weaker than this are not returned (with the defaults: a spread of at
        least 7 for a narrative of harm 1, 10 for harm 0.6).
    derivative_max : float
        A first content whose 5-gram shingles were used earlier by other accounts in other
        narratives for more than this share is a splice or re-telling, not a first
        publication (the splicer detector handles it).
    seed : int, optional
        Unused; accepted for a uniform detector signature.

    Returns
    -------
    list of RoleFinding
        Role ``first_poster``, sorted by account; an account that first-posted several
        harmful narratives gets one finding with the strongest strength and one
        evidence item per narrative.

    Notes
    -----
    Candidates are harmful narratives whose first content is a publication (a post,
    video or live, not a comment, message or reply) by a known account; comments
    copied from a common template are not stories that someone first published.
    The derivative check is one pass over the event's texts in time order, keeping
    the earliest users of the candidates' shingles: O(total characters).
    """
    del seed
    tab = narratives.table
    c = _first_rows(p.contents, "content_id").set_index("content_id")
    if tab.empty:
        return []
    first = c.reindex(tab["first_content_id"])
    publication = first["kind"].fillna("post").isin(REACTION_KINDS).to_numpy() == False  # noqa: E712
    publication &= first["reply_to"].isna().to_numpy()
    cand = tab[
        tab["harmful"].to_numpy() & publication & tab["first_poster"].notna().to_numpy()
    ].copy()
    if cand.empty:
        return []
    # published copies (not comments/messages) other than the first, and the reposts drawn
    of = narratives.of_content
    cdf = pd.DataFrame(
        {
            "nid": np.array([of.get(x, np.nan) for x in c.index], dtype=object),
            "pub": (
                ~c["kind"].fillna("post").isin(REACTION_KINDS) & c["reply_to"].isna()
            ).to_numpy(),
            "acc": c["account_id"].to_numpy(),
        }
    )
    pubs = cdf[cdf["pub"]].groupby("nid")["acc"].agg(["size", "nunique"])
    cand["copies"] = pubs["size"].reindex(cand["narrative_id"]).fillna(1).to_numpy() - 1
    cand["copy_accounts"] = pubs["nunique"].reindex(cand["narrative_id"]).fillna(1).to_numpy() - 1
    cand["spread"] = cand["copies"] + cand["n_reposts"]
    cand["strength"] = (1.0 - np.exp(-cand["spread"] / spread_scale)) * (
        0.5 + 0.5 * cand["harm"].clip(0.0, 1.0)
    )
    cand = cand[cand["strength"] >= min_strength]
    if cand.empty:
        return []
    cand["derivative"] = _derivative_share(p, narratives, cand)
    cand = cand[cand["derivative"] <= derivative_max]

    out: dict[str, list] = {}
    for row in cand.itertuples():
        ev = Evidence(
            kind="first_post",
            content_ids=(row.first_content_id,),
            detail=(
                f"first of narrative {row.narrative_id} at {_fmt_time(row.first_time)}: "
                f"{int(row.n_contents)} contents ({int(row.copies)} published copies by "
                f"{int(row.copy_accounts)} other accounts), {int(row.n_reposts)} reposts, "
                f"{int(row.n_platforms)} platforms, harm {row.harm:.2f} ({row.harm_source}), "
                f"{int(row.n_reports)} reports; derivative share {row.derivative:.2f}"
            ),
        )
        out.setdefault(row.first_poster, []).append((float(row.strength), ev, row))
    findings = []
    for acc, items in out.items():
        items.sort(key=lambda x: (-x[0], x[2].narrative_id))
        best = items[0][2]
        findings.append(
            RoleFinding(
                account_id=acc,
                role="first_poster",
                strength=round(items[0][0], 6),
                evidence=tuple(e for _, e, _ in items),
                numbers={
                    "narratives": float(len(items)),
                    "spread": float(best.spread),
                    "copies": float(best.copies),
                    "reposts": float(best.n_reposts),
                    "platforms": float(best.n_platforms),
                    "harm": float(best.harm),
                    "total_spread": float(sum(x[2].spread for x in items)),
                },
            )
        )
    return _sorted(findings)


# --------------------------------------------------------------------------- repeat posters


def _of_ids(values: pd.Series, ids: np.ndarray) -> np.ndarray:
    """``values.reindex(ids).to_numpy()``, without hashing when ``values`` is indexed by ``ids``."""
    if len(values) == len(ids) and np.array_equal(values.index.to_numpy(dtype=object), ids):
        return values.to_numpy()
    return values.reindex(ids).to_numpy()


def _distinct_reposts(p: Projection) -> pd.DataFrame:
    """``_first_rows(p.reposts, "repost_id")``: ``p.reposts`` itself when each repost is a
    node of its own in the repost forest (:func:`pileon.detectors.cascades.coded_forest`,
    kept on the projection) and the IDs are strings: they are then distinct, with no
    comparison of the IDs here."""
    ids = p.reposts["repost_id"].to_numpy(dtype=object)
    if len(coded_forest(p).nodes.src) == len(ids) and infer_dtype(ids, skipna=False) == "string":
        return p.reposts
    return _first_rows(p.reposts, "repost_id")


def _str_ids(values: pd.Series) -> np.ndarray:
    """``values.astype(str)`` as an object array: the values themselves when they are
    strings already (one type check instead of a new string per row)."""
    arr = values.to_numpy(dtype=object)
    if infer_dtype(arr, skipna=False) == "string":
        return arr
    return values.astype(str).to_numpy(dtype=object)


class _Items(NamedTuple):
    """Every content (placeholders aside) and repost of the event, as arrays: the rows of
    ``contents`` then ``reposts`` (their first rows per ID)."""

    contents: pd.DataFrame
    reposts: pd.DataFrame
    #: the item IDs (as strings)
    ids: np.ndarray
    #: the author's code among ``authors`` (-1: none)
    author: np.ndarray
    authors: np.ndarray
    harm: np.ndarray
    harmful: np.ndarray

    def rows(self, at: np.ndarray) -> pd.DataFrame:
        """The items at positions ``at`` (increasing): ``item, account_id, time, kind, harm``."""
        nc = len(self.contents)
        ca, ra = at[at < nc], at[at >= nc] - nc
        c, r = self.contents.iloc[ca], self.reposts.iloc[ra]
        parts = [
            pd.DataFrame(
                {
                    "item": self.ids[ca],
                    "account_id": c["account_id"].to_numpy(),
                    "time": pd.to_datetime(c["posted_at"], utc=True),
                    "kind": c["kind"].fillna("post").to_numpy(),
                }
            ),
            pd.DataFrame(
                {
                    "item": self.ids[nc + ra],
                    "account_id": r["account_id"].to_numpy(),
                    "time": pd.to_datetime(r["reposted_at"], utc=True),
                    "kind": "repost",
                }
            ),
        ]
        out = pd.concat([x for x in parts if len(x)] or parts[:1], ignore_index=True)
        out["harm"] = self.harm[at]
        return out


def _harmful_items(p: Projection, narratives: NarrativeResult, harm_threshold: float) -> _Items:
    """Every content and repost of the event with its author and estimated harm.

    Notes
    -----
    O(n): the estimates are taken by position when the narratives' series hold the
    contents and reposts in the projection's order (as :func:`detect_narratives` builds
    them), else looked up by ID; the reposts' authors are hashed once per projection
    (:func:`pileon.detectors.cascades.repost_authors`) when every repost row is kept.
    """
    c = _first_rows(p.contents, "content_id")
    r = _distinct_reposts(p)
    real = (
        ~c["placeholder"].to_numpy(dtype=bool)
        if "placeholder" in c
        else np.ones(len(c), dtype=bool)
    )
    cids = _str_ids(c["content_id"])
    rids = _str_ids(r["repost_id"])
    ids = np.concatenate([cids, rids])
    harm = _of_ids(narratives.harm, ids).astype(float)
    keep = np.concatenate([real, np.ones(len(rids), dtype=bool)])
    c = c[real]
    c_code, c_names = pd.factorize(c["account_id"].to_numpy(dtype=object))
    if r is p.reposts:
        r_code, r_names = repost_authors(p)
    else:
        r_code, r_names = pd.factorize(r["account_id"].to_numpy(dtype=object))
    # one code space: the contents' authors, then the reposts' others
    both, authors = pd.factorize(np.concatenate([np.asarray(c_names, dtype=object), r_names]))
    c_map, r_map = np.append(both[: len(c_names)], -1), np.append(both[len(c_names) :], -1)
    author = np.concatenate([c_map[c_code], r_map[r_code]]).astype(np.int64)
    h = harm[keep]
    return _Items(
        contents=c,
        reposts=r,
        ids=ids[keep],
        author=author,
        authors=np.asarray(authors, dtype=object),
        harm=h,
        harmful=np.where(np.isnan(h), 0.0, h) >= harm_threshold,
    )


def detect_multi_posters(
    p: Projection,
    narratives: NarrativeResult,
    *,
    harm_threshold: float = HARM_THRESHOLD,
    min_count: int = 5,
    z_min: float = 3.5,
    scale_floor: float = 0.45,
    max_evidence: int = 12,
    seed: int | None = None,
) -> list[RoleFinding]:
    """Repeat posters (多发): accounts that publish unusually many harmful contents in the event.

    Parameters
    ----------
    p : Projection
        The event's projection.
    narratives : NarrativeResult
        From :func:`pileon.detectors.narratives.detect_narratives` (its harm estimates are used:
        known scores, scores of other copies, the event's text model).
    harm_threshold : float
        An item whose estimated harm reaches this is harmful; unknown harm is not.
    min_count : int
        Fewest harmful items for the role, whatever the distribution.
    z_min : float
        Robust z-score of ``log1p(count)`` against the event's accounts that published at
        least one harmful item, from which a count is unusual; it fixes the event's *bar*
        in items.  An account qualifies when its harmful count weighted by its harmful
        share (count × share) reaches the bar, or its bare count reaches twice the bar:
        a heavy participant whose harmful items are a minority of what it published needs
        twice as many.
    scale_floor : float
        Floor of the robust scale (log units), so a flat distribution does not make a
        count of two an outlier.  With the defaults and the usual event where most
        accounts publish one harmful item, the bar is ``2·e^(3.5·0.45) - 1``, about 9 items;
        it rises with the event's median.
    max_evidence : int
        At most this many content IDs are named in the evidence (the count names all).
    seed : int, optional
        Unused; accepted for a uniform detector signature.

    Returns
    -------
    list of RoleFinding
        Role ``multi_poster``, sorted by account; ``strength`` grows with the z-score.

    Notes
    -----
    Items are posts, videos, comments, messages and copies, plus reposts whose own
    comment is harmful (plain reposts are counted by the inciter and coordination
    detectors, not here).  O(n): accounts are factorized once and counted with
    bincounts.
    """
    del seed
    items = _harmful_items(p, narratives, harm_threshold)
    known = items.author >= 0  # items without an author are not counted
    harmful = items.harmful & known
    if not harmful.any():
        return []
    # per account, over integer codes: harmful items, all items, items whose harm is known
    code, accounts = items.author, items.authors
    n_bad = np.bincount(code[harmful], minlength=len(accounts))
    some = np.flatnonzero(n_bad)
    index = pd.Index(accounts[some], name="account_id")
    counts = pd.Series(n_bad[some], index=index)
    total = pd.Series(np.bincount(code[known], minlength=len(accounts))[some], index=index)
    # share among the items whose harm can be told (unknown is not benign)
    judged = pd.Series(
        np.bincount(code[known & ~np.isnan(items.harm)], minlength=len(accounts))[some],
        index=index,
    )
    share = counts / judged.clip(lower=1)
    x = np.log1p(counts.to_numpy(dtype=float))
    med_log = float(np.median(x))
    scale = max(float(np.median(np.abs(x - med_log))) * 1.4826, scale_floor)
    # the bar in items: log1p(bar) = median + z_min * scale
    bar = float(np.expm1(med_log + z_min * scale))
    weighted = counts * share
    chosen = counts[(counts >= min_count) & ((weighted >= bar) | (counts >= 2 * bar))]
    med = float(np.median(counts.to_numpy()))
    # the harmful items of the chosen accounts only
    wanted = np.zeros(len(accounts), dtype=bool)
    wanted[some[index.get_indexer(chosen.index)]] = True
    bad = items.rows(np.flatnonzero(harmful & wanted[np.maximum(code, 0)]))
    findings = []
    for acc, n in chosen.items():
        mine = bad[bad["account_id"] == acc].sort_values(["time", "item"], kind="mergesort")
        kinds = mine["kind"].value_counts().sort_index()
        kinds_txt = ", ".join(f"{k} {v}" for k, v in kinds.items())
        z = (np.log1p(max(weighted[acc], counts[acc] / 2.0)) - med_log) / scale
        strength = float(1.0 - np.exp(-(z - z_min + 1.0) / 2.0))
        ids = tuple(mine["item"].head(max_evidence))
        detail = (
            f"{int(n)} harmful items ({kinds_txt}) of {int(total[acc])} in the event "
            f"(share {share[acc]:.2f} of the {int(judged[acc])} whose harm is known), {_fmt_time(mine['time'].iloc[0])} to "
            f"{_fmt_time(mine['time'].iloc[-1])}; event median {med:g} among {len(counts)} "
            f"accounts with harmful items, bar {bar:.1f} items (robust z {z_min:g}), "
            f"minimum {min_count}"
        )
        findings.append(
            RoleFinding(
                account_id=str(acc),
                role="multi_poster",
                strength=round(min(max(strength, 0.0), 1.0), 6),
                evidence=(Evidence(kind="repeat_posting", content_ids=ids, detail=detail),),
                numbers={
                    "harmful_items": float(n),
                    "items": float(total[acc]),
                    "harmful_share": float(share[acc]),
                    "z": float(z),
                    "bar": bar,
                    "event_median": med,
                    "mean_harm": float(mine["harm"].mean()),
                },
            )
        )
    return _sorted(findings)


# --------------------------------------------------------------------------- inciters


def detect_inciters(
    p: Projection,
    narratives: NarrativeResult,
    *,
    harm_threshold: float = HARM_THRESHOLD,
    min_reach: int = 10,
    min_event_share: float = 0.02,
    min_event_share_without_cta: float = 0.1,
    min_harmful_share: float = 0.5,
    cta_harm: float = 0.8,
    seed: int | None = None,
) -> list[RoleFinding]:
    """Inciters (煽动): accounts whose content drives the event's harmful spread.

    Parameters
    ----------
    p : Projection
        The event's projection.
    narratives : NarrativeResult
        From :func:`pileon.detectors.narratives.detect_narratives` (harm estimates).
    harm_threshold : float
        Spread harm from which a repost counts as harmful activity.
    min_reach : int
        Fewest harmful reposts credited to an inciting content for the role.
    min_event_share : float
        Share of ALL the event's harmful reposts that must be credited to a content that
        calls to action aimed at a target (the event's own scale: what counts as driving
        the spread grows with the event).
    min_event_share_without_cta : float
        The share needed without such a call to action; only a content that is not the first
        of its narrative (a commented repost, or a copy that took off on its own) may
        qualify this way -- a story's first post makes its author a first poster, not an
        inciter.
    min_harmful_share : float
        Share of the reposts credited to the content (those whose harm can be told) that
        must spread harm; an authoritative post with a huge benign cascade falls here.
    cta_harm : float
        Harm given to an inciting content whose harm is unknown but that calls to action
        aimed at a target (the plain reposts under it spread that call).
    seed : int, optional
        Unused; accepted for a uniform detector signature.

    Returns
    -------
    list of RoleFinding
        Role ``inciter``, sorted by account, one evidence item per inciting content.

    Notes
    -----
    Reach is attributed through the repost forest (:func:`pileon.detectors.cascades.reach`):
    every repost is credited to its nearest inciting ancestor, so a repost with a
    comment that is itself reposted takes its subtree away from its root.  Calls to
    action are :data:`CTA_PATTERNS` in the content's text or the repost's own comment
    (``//@`` chains of earlier reposters removed); naming a target is reported.  The
    event's targets are never inciters against themselves.  O(n log d) for the forest
    plus O(n) pandas work.
    """
    del seed
    ra = reach_nodes(p, harm=narratives.harm, harm_threshold=harm_threshold)
    ids = ra.forest.nodes.ids
    if not len(ids):
        return []
    target_ids, target_names = _targets(p)
    # the candidates: inciting nodes with an author that were credited reposts, by ID
    some = np.flatnonzero(ra.inciting & (ra.attributed > 0))
    some = some[pd.notna(ra.account[some])]
    chosen_at = some[np.argsort(ids[some], kind="stable")]
    cand = ra.frame(chosen_at)
    # texts: contents' text, reposts' own comment
    c = _first_rows(p.contents, "content_id")
    c_text = pd.Series(c["text"].to_numpy(), index=c["content_id"].to_numpy())
    text = pd.Series(c_text.reindex(cand["node_id"]).to_numpy(), index=cand.index, dtype=object)
    is_rep = (cand["kind"] == "repost").to_numpy()
    if is_rep.any():
        rp = _distinct_reposts(p)
        if rp is p.reposts:  # each repost row is its node: its own comment is the forest's
            text[is_rep] = ra.forest.comment[chosen_at[is_rep] - ra.forest.nodes.n_contents]
        else:
            rp_text = pd.Series(rp["text"].to_numpy(), index=rp["repost_id"].to_numpy())
            text[is_rep] = own_comments(rp_text.reindex(cand.loc[is_rep, "node_id"])).to_numpy()
    cta = call_to_action(text, target_names)
    # a call to harass a target is abusive whatever the moderation model missed
    unknown = cand["harm"].isna().to_numpy() & cta["aimed"].to_numpy()
    if unknown.any():
        harm = _by_ids(narratives.harm, ids)
        harm[chosen_at[unknown]] = cta_harm
        ra = reach_nodes(p, node_harm=harm, harm_threshold=harm_threshold)
    is_repost = ra.forest.nodes.kind == "repost"
    event_harmful = int(
        (np.where(np.isnan(ra.spread_harm), 0.0, ra.spread_harm) >= harm_threshold)[is_repost].sum()
    )
    nodes = ra.frame(chosen_at)  # the same nodes, in the same order
    if nodes.empty or event_harmful == 0:
        return []
    nodes["cta"] = cta["cta"].to_numpy()
    nodes["cta_words"] = cta["match"].to_numpy()
    nodes["aimed"] = cta["aimed"].to_numpy()
    nodes["credited_share"] = nodes["attributed_harmful"] / nodes["attributed"].clip(lower=1)
    nodes["event_share"] = nodes["attributed_harmful"] / event_harmful
    first_ids = set(narratives.table["first_content_id"])
    nodes["first_of_narrative"] = nodes["node_id"].isin(first_ids).to_numpy()
    own_bad = nodes["spread_harm"].fillna(0.0) >= harm_threshold
    base = (
        (nodes["attributed_harmful"] >= min_reach)
        & (nodes["credited_share"] >= min_harmful_share)
        & own_bad
        & ~nodes["account_id"].isin(target_ids)
    )
    with_cta = base & nodes["aimed"] & (nodes["event_share"] >= min_event_share)
    without = (
        base
        & ~nodes["aimed"]
        & ~nodes["first_of_narrative"]
        & (nodes["event_share"] >= min_event_share_without_cta)
    )
    chosen = nodes[with_cta | without].sort_values(["account_id", "node_id"], kind="mergesort")
    findings = []
    for acc, grp in chosen.groupby("account_id", sort=True):
        evs, strengths = [], []
        for row in grp.itertuples():
            bar = min_event_share if row.aimed else min_event_share_without_cta
            s = (1.0 - np.exp(-2.0 * row.event_share / bar)) * (0.6 + 0.4 * row.credited_share)
            s = s * (1.0 if row.aimed else 0.8)
            strengths.append(float(np.clip(s, 0.0, 1.0)))
            what = "repost with comment" if row.kind == "repost" else "content"
            cta_txt = (
                f"call to action '{row.cta_words}'"
                + (" aimed at a target" if row.aimed else " not aimed at a target")
                if row.cta
                else "no call to action"
            )
            evs.append(
                Evidence(
                    kind="incitement",
                    content_ids=(row.node_id,),
                    detail=(
                        f"{what} at {_fmt_time(row.time)} drew {int(row.downstream)} reposts downstream, "
                        f"{int(row.attributed)} credited to it ({int(row.attributed_harmful)} spreading harm, "
                        f"share {row.credited_share:.2f}; {row.event_share:.1%} of the event's "
                        f"{event_harmful} harmful reposts); harm {row.spread_harm:.2f}; {cta_txt}"
                    ),
                )
            )
        best = int(np.argmax(strengths))
        brow = grp.iloc[best]
        findings.append(
            RoleFinding(
                account_id=str(acc),
                role="inciter",
                strength=round(max(strengths), 6),
                evidence=tuple(evs),
                numbers={
                    "credited_reach": float(grp["attributed"].sum()),
                    "credited_harmful": float(grp["attributed_harmful"].sum()),
                    "event_share": float(grp["event_share"].sum()),
                    "downstream": float(grp["downstream"].max()),
                    "harmful_share": float(brow["credited_share"]),
                    "cta": float(grp["cta"].any()),
                    "aimed": float(grp["aimed"].any()),
                    "via_repost_comment": float((grp["kind"] == "repost").any()),
                },
            )
        )
    return _sorted(findings)
