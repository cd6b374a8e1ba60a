"""Impersonation by temporary rename (临时修改账号名称) and by new accounts (SPEC §7).

An *impersonator* is an account that, around the event, renamed itself to a
name resembling one of the event's persons or institutions
(``events.entities``) or one of the accounts under attack (their names), so as
to speak in their name.  Renaming back afterwards (hiding the tracks) makes it
worse.  An account *created* after the event began under such a name and taking
part in the event is an impersonator too (:func:`find_new_account_impersonations`;
evidence kind ``new_account``).  Not impersonation:

* a rename long before the event (outside ``window_before`` of its start) or
  after its activity (``window_after`` past the last content or repost);
* a rename to a name that resembles none of the event's names;
* the real entity or target itself: target accounts, accounts sharing an
  ``identity_key`` with a target, accounts whose name *before* the rename
  already resembled the same entity (an official account tidying its name), and
  verified accounts whose former name is unknown.

Names are compared by :func:`name_similarity`, built for Chinese names: exact
match after removing decorations (``官方``, ``老师``, ``本人``…), the same
pinyin (homophone substitution, ``林晓雯`` → ``林小雯``), containment (``张丽华老师``
⊃ ``张丽华``), abbreviation (``南城七中`` of ``南城市第七中学``), and rapidfuzz
ratios on characters and on pinyin syllables.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

import numpy as np
import pandas as pd
from pypinyin import lazy_pinyin
from rapidfuzz import fuzz

from pileon.detectors.findings import Evidence, RoleFinding
from pileon.graph.projection import Projection

__all__ = [
    "detect_impersonators",
    "find_impersonations",
    "find_new_account_impersonations",
    "name_similarity",
    "Impersonation",
    "NewAccountImpersonation",
]

#: decorations that do not change whom a name designates (stripped at either end)
AFFIXES = (
    "官方账号",
    "官方微博",
    "官方号",
    "官方",
    "官微",
    "本人",
    "真人",
    "老师",
    "认证",
    "账号",
    "本尊",
    "工作室",
    "小号",
    "大号",
    "唯一",
    "频道",
    "微博",
    "的",
)
#: words that make a name *about* someone rather than *as* someone (a fan club, a
#: supporter, a pupil, an insult): containing the entity then is not impersonation
RELATIONS = (
    "支持",
    "加油",
    "心疼",
    "粉丝",
    "后援",
    "应援",
    "个站",
    "学生",
    "朋友",
    "家长",
    "同学",
    "同事",
    "反黑",
    "黑粉",
    "吐槽",
    "真相",
    "事件",
    "爆料",
    "吃瓜",
    "辟谣",
    "声援",
    "守护",
    "喜欢",
    "讨厌",
    "骂",
    "滚",
    "去死",
    "不配",
    "避雷",
    "揭露",
    "举报",
    "受害",
    "观察",
    "追踪",
    "关注",
)
_AFFIX_RE = re.compile("^(?:" + "|".join(AFFIXES) + ")+|(?:" + "|".join(AFFIXES) + ")+$")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def _clean(name: str) -> str:
    return _NON_WORD.sub("", unicodedata.normalize("NFKC", str(name)).lower())


@lru_cache(maxsize=65536)
def _core(name: str) -> str:
    """Normalised name without decorations (kept when stripping would leave < 2 chars)."""
    t = _clean(name)
    s = t
    for _ in range(4):
        u = _AFFIX_RE.sub("", s)
        if u == s:
            break
        s = u
    return s if len(s) >= 2 else t


@lru_cache(maxsize=65536)
def _pinyin(s: str) -> tuple[str, ...]:
    return tuple(lazy_pinyin(s, errors=lambda x: list(x)))


def _about(rest: str) -> bool:
    """Whether the rest of a name (beyond the entity) relates to it rather than claims it."""
    return any(w in rest for w in RELATIONS)


def _is_sub(short: tuple, long: tuple) -> bool:
    n = len(short)
    return any(long[i : i + n] == short for i in range(len(long) - n + 1))


def _is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


@lru_cache(maxsize=65536)
def name_similarity(name: str, entity: str) -> tuple[float, str]:
    """How much ``name`` resembles ``entity`` (0..1) and by which rule.

    Parameters
    ----------
    name, entity : str
        An account name and the name of a person or institution.

    Returns
    -------
    (float, str)
        The similarity and the rule that gave it: ``exact``, ``decorated``
        (equal once decorations like 官方 or 老师 are removed), ``homophone``
        (same pinyin), ``contains``, ``contains_homophone``, ``abbreviation``,
        ``fuzzy`` or ``fuzzy_pinyin``; ``mentions`` (0.6) when the name contains
        the entity together with a word of relation (支持, 后援, 粉丝, 学生, 滚…: a
        name *about* the entity, not *as* it); ``(0.0, "none")`` for an empty name
        or an entity shorter than two characters.

    Examples
    --------
    >>> name_similarity("张丽华老师", "张丽华")
    (1.0, 'decorated')
    >>> name_similarity("林小雯", "林晓雯")
    (0.95, 'homophone')
    >>> name_similarity("南城七中官方", "南城七中")[1]
    'decorated'
    >>> name_similarity("小猫爱吃鱼", "林晓雯")[0] < 0.5
    True
    >>> name_similarity("林晓雯粉丝后援会", "林晓雯")
    (0.6, 'mentions')
    """
    raw_n, raw_e = _clean(name), _clean(entity)
    n, e = _core(name), _core(entity)
    if not n or len(e) < 2:
        return 0.0, "none"
    if raw_n == raw_e:
        return 1.0, "exact"
    if n == e:
        return 1.0, "decorated"
    pn, pe = _pinyin(n), _pinyin(e)
    if pn == pe:
        return 0.95, "homophone"
    # containing the entity decides alone: a fuzzy ratio must not undo "about, not as"
    if e in n:
        if _about(n.replace(e, "", 1)):
            return 0.6, "mentions"
        return round(0.8 + 0.2 * len(e) / len(n), 6), "contains"
    if _is_sub(pe, pn):
        if _about(n):
            return 0.6, "mentions"
        return round(0.95 * (0.8 + 0.2 * len(pe) / len(pn)), 6), "contains_homophone"
    best = (fuzz.ratio(n, e) / 100.0, "fuzzy")
    cands = [(0.95 * fuzz.ratio(pn, pe) / 100.0, "fuzzy_pinyin")]
    if (
        len(n) >= 4
        and len(n) * 2 >= len(e)
        and n[0] == e[0]
        and len(n) < len(e)
        and _is_subsequence(n, e)
    ):
        cands.append((0.85, "abbreviation"))
    for c in cands:
        if c[0] > best[0]:
            best = c
    return round(best[0], 6), best[1]


@dataclass(frozen=True)
class Impersonation:
    """One rename of an account to a name resembling an entity of the event."""

    account_id: str
    renamed_at: pd.Timestamp
    old_name: str | None
    new_name: str
    entity: str
    similarity: float
    rule: str
    renamed_back_at: pd.Timestamp | None
    back_name: str | None
    back_to_former: bool
    content_ids: tuple[str, ...]


def _best_entity(name: str, entities: list[str]) -> tuple[float, str, str]:
    best = (0.0, "none", "")
    for e in entities:
        s, rule = name_similarity(name, e)
        if s > best[0] or (s == best[0] and s > 0 and e < best[2]):
            best = (s, rule, e)
    return best


def _event_names(p: Projection, targets: set[str], r: pd.DataFrame, name_of: dict) -> list[str]:
    """The names an impersonator borrows, sorted: the event's entities and every name a
    target bore (its name in ``name_of``, its old and new names in the renames ``r``),
    each with at least two core characters.  O(T · R) for T targets and R renames."""
    entities = {e.strip() for e in p.event.entities if e and len(_core(e)) >= 2}
    for t in sorted(targets):
        for nm in (
            [name_of.get(t)]
            + r.loc[r["account_id"] == t, "old_name"].tolist()
            + r.loc[r["account_id"] == t, "new_name"].tolist()
        ):
            nm = _str(nm)
            if nm and len(_core(nm)) >= 2:
                entities.add(nm.strip())
    return sorted(entities)


def _targets(p: Projection) -> set[str]:
    t = set(p.event.target_ids)
    if "target_ids" in p.contents:
        t |= {
            str(x)
            for x in chain.from_iterable(
                v for v in p.contents["target_ids"] if isinstance(v, (list, tuple, np.ndarray))
            )
        }
    if "role_hint" in p.accounts:
        t |= set(p.accounts.loc[p.accounts["role_hint"] == "target", "account_id"].astype(str))
    return t


def _str(v) -> str | None:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return None
    s = str(v)
    return s if s.strip() else None


def find_impersonations(
    p: Projection,
    *,
    window_before: pd.Timedelta | float = 7 * 86400,
    window_after: pd.Timedelta | float = 86400,
    min_similarity: float = 0.8,
) -> list[Impersonation]:
    """Every impersonating rename of the event, in (account_id, renamed_at) order.

    Parameters are those of :func:`detect_impersonators`.

    Notes
    -----
    O(R · E) name comparisons for R renames and E entity names (each cached); only the
    renamed accounts and the targets are read from ``accounts``.
    """
    if not 0.0 < min_similarity <= 1.0:
        raise ValueError("min_similarity must be in (0, 1]")
    wb = (
        window_before
        if isinstance(window_before, pd.Timedelta)
        else pd.Timedelta(seconds=window_before)
    )
    wa = (
        window_after
        if isinstance(window_after, pd.Timedelta)
        else pd.Timedelta(seconds=window_after)
    )
    if wb < pd.Timedelta(0) or wa < pd.Timedelta(0):
        raise ValueError("windows must be non-negative")
    r = p.renames
    if r is None or r.empty:
        return []
    start = p.start
    if start is None:
        return []
    times = pd.concat([p.contents["posted_at"], p.reposts["reposted_at"]]).dropna()
    end = max(times.max(), start) if len(times) else start
    lo, hi = start - wb, end + wa

    targets = _targets(p)
    r = r[r["renamed_at"].notna() & r["new_name"].notna()]
    # only the accounts renamed and the targets are looked up
    acc = p.accounts[
        p.accounts["account_id"].astype(str).isin(targets | set(r["account_id"].astype(str)))
    ]
    acc = acc.drop_duplicates("account_id").set_index("account_id")
    name_of = {str(k): _str(v) for k, v in acc["name"].items()} if "name" in acc else {}
    verified = (
        {str(k): bool(v) for k, v in acc["verified"].items() if not pd.isna(v)}
        if "verified" in acc
        else {}
    )
    ikey = (
        {str(k): _str(v) for k, v in acc["identity_key"].items()} if "identity_key" in acc else {}
    )
    target_keys = {ikey.get(t) for t in targets} - {None}

    r = r.sort_values(["account_id", "renamed_at", "new_name"], kind="mergesort")
    r = r.reset_index(drop=True)
    ent_list = _event_names(p, targets, r, name_of)
    if not ent_list:
        return []

    # activity of each account, for the contents posted under the borrowed name
    renamed = set(r["account_id"])
    cs, rs = p.contents, p.reposts
    acts = (
        pd.concat(
            [
                cs.loc[
                    cs["account_id"].isin(renamed), ["content_id", "account_id", "posted_at"]
                ].rename(columns={"posted_at": "t"}),
                rs.loc[
                    rs["account_id"].isin(renamed), ["repost_id", "account_id", "reposted_at"]
                ].rename(columns={"repost_id": "content_id", "reposted_at": "t"}),
            ],
            ignore_index=True,
        )
        .dropna(subset=["t"])
        .sort_values(["t", "content_id"], kind="mergesort")
    )

    out: list[Impersonation] = []
    records = list(r.itertuples(index=False))
    for account, g in r.groupby("account_id", sort=True):
        account = str(account)
        if account in targets or (ikey.get(account) and ikey.get(account) in target_keys):
            continue
        rows = [records[i] for i in g.index]
        new_names = {str(x.new_name) for x in rows}
        for k, row in enumerate(rows):
            t = row.renamed_at
            if not (lo <= t <= hi):
                continue
            new = str(row.new_name)
            sim, rule, ent = _best_entity(new, ent_list)
            if sim < min_similarity:
                continue
            former = _str(row.old_name)
            if former is None and k > 0:
                former = str(rows[k - 1].new_name)
            if former is None and name_of.get(account) and name_of[account] not in new_names:
                former = name_of[account]
            if former is None and verified.get(account):
                continue  # a verified account of unknown former name: likely the real one
            if former is not None and name_similarity(former, ent)[0] >= min_similarity:
                continue  # it already bore that name: the real entity (or an old fan account)
            back_at = back_name = None
            back_to_former = False
            for later in rows[k + 1 :]:
                if name_similarity(str(later.new_name), ent)[0] < min_similarity:
                    back_at, back_name = later.renamed_at, str(later.new_name)
                    back_to_former = former is not None and (
                        _clean(back_name) == _clean(former)
                        or fuzz.ratio(_clean(back_name), _clean(former)) >= 80
                    )
                    break
            until = back_at if back_at is not None else hi
            mine = acts[(acts["account_id"] == account) & (acts["t"] >= t) & (acts["t"] <= until)]
            out.append(
                Impersonation(
                    account_id=account,
                    renamed_at=t,
                    old_name=former,
                    new_name=new,
                    entity=ent,
                    similarity=sim,
                    rule=rule,
                    renamed_back_at=back_at,
                    back_name=back_name,
                    back_to_former=back_to_former,
                    content_ids=tuple(mine["content_id"].astype(str).tolist()),
                )
            )
    return out


@dataclass(frozen=True)
class NewAccountImpersonation:
    """An account created after the event began under a name resembling an entity of it."""

    account_id: str
    created_at: pd.Timestamp
    name: str
    entity: str
    similarity: float
    rule: str
    content_ids: tuple[str, ...]


def find_new_account_impersonations(
    p: Projection,
    *,
    window_after: pd.Timedelta | float = 86400,
    min_similarity: float = 0.8,
) -> list[NewAccountImpersonation]:
    """Accounts of the event created from its start on (until ``window_after`` past its last
    content or repost) under a name resembling one of its persons or institutions, in
    account_id order.

    The name at creation is the ``old_name`` of the account's first rename, else its name.
    Not impersonation: the targets and the accounts sharing an ``identity_key`` with one,
    verified accounts (the platform checked who holds them), placeholders, the authors of
    source material alone, and names *about* an entity (``mentions``: 支持林晓雯老师).

    Notes
    -----
    O(A · E) name comparisons for the A accounts created during the event and E entity
    names (each cached).
    """
    if not 0.0 < min_similarity <= 1.0:
        raise ValueError("min_similarity must be in (0, 1]")
    wa = (
        window_after
        if isinstance(window_after, pd.Timedelta)
        else pd.Timedelta(seconds=window_after)
    )
    if wa < pd.Timedelta(0):
        raise ValueError("windows must be non-negative")
    start = p.start
    acc = p.accounts
    if start is None or acc.empty or "created_at" not in acc:
        return []
    times = pd.concat([p.contents["posted_at"], p.reposts["reposted_at"]]).dropna()
    end = max(times.max(), start) if len(times) else start
    created = acc["created_at"]
    new = acc[(created >= start).fillna(False) & (created <= end + wa).fillna(False)]
    if "role_hint" in new:
        new = new[~new["role_hint"].isin(["target", "source"])]
    new = new[~new["placeholder"].to_numpy(dtype=bool)]
    if new.empty:
        return []
    targets = _targets(p)
    keys = acc.drop_duplicates("account_id").set_index("account_id")["identity_key"]
    target_keys = {_str(keys.get(t)) for t in targets if t in keys.index} - {None}
    r = p.renames.sort_values(["account_id", "renamed_at", "new_name"], kind="mergesort")
    first_old = {str(a): _str(g["old_name"].iloc[0]) for a, g in r.groupby("account_id", sort=True)}
    name_of = dict(zip(acc["account_id"].astype(str), acc["name"]))
    ent_list = _event_names(p, targets, r, name_of)
    if not ent_list:
        return []
    found = []
    for row in new.sort_values("account_id", kind="mergesort").itertuples(index=False):
        account = str(row.account_id)
        if account in targets or (_str(row.identity_key) in target_keys):
            continue
        if bool(row.verified) if not pd.isna(row.verified) else False:
            continue
        name = first_old.get(account) if account in first_old else _str(row.name)
        if name is None:
            continue
        sim, rule, ent = _best_entity(name, ent_list)
        if sim < min_similarity or rule == "mentions":
            continue
        found.append((account, row.created_at, name, ent, sim, rule))
    if not found:
        return []
    # the acts of the accounts found, by (time, content_id): a stable sort of their rows
    # alone keeps the order the sort of every row gives them
    cs, rs = p.contents, p.reposts
    own = pd.concat(
        [
            cs[["content_id", "account_id", "posted_at"]].rename(columns={"posted_at": "t"}),
            rs[["repost_id", "account_id", "reposted_at"]].rename(
                columns={"repost_id": "content_id", "reposted_at": "t"}
            ),
        ],
        ignore_index=True,
    )
    if "via" in cs:  # source material is no act of the event
        via = pd.concat([cs["via"], rs["via"]], ignore_index=True) if "via" in rs else None
        if via is not None:
            own = own[(via != "source").to_numpy(dtype=bool)]
    own = own[own["account_id"].isin({f[0] for f in found}).to_numpy(dtype=bool)]
    own = own.dropna(subset=["t"]).sort_values(["t", "content_id"], kind="mergesort")
    out = []
    for account, created_at, name, ent, sim, rule in found:
        mine = own.loc[own["account_id"] == account, "content_id"].astype(str)
        out.append(
            NewAccountImpersonation(
                account_id=account,
                created_at=pd.Timestamp(created_at),
                name=name,
                entity=ent,
                similarity=sim,
                rule=rule,
                content_ids=tuple(mine.tolist()),
            )
        )
    return out


def detect_impersonators(
    p: Projection,
    *,
    window_before: pd.Timedelta | float = 7 * 86400,
    window_after: pd.Timedelta | float = 86400,
    min_similarity: float = 0.8,
    max_contents: int = 50,
) -> list[RoleFinding]:
    """Accounts renamed around the event to a name resembling one of its persons or institutions.

    Parameters
    ----------
    p : Projection
        The event's projection: ``renames``, ``accounts`` (name, verified,
        identity_key), the event's ``entities`` and targets, and the times of
        its contents and reposts.
    window_before : float or Timedelta, default 7 days
        How long before the event's start (:attr:`Projection.start`) a rename
        still counts (seconds when a number).
    window_after : float or Timedelta, default 1 day
        How long after the event's last content or repost a rename still counts.
    min_similarity : float, default 0.8
        Least :func:`name_similarity` between the new name and an entity name
        (the event's ``entities`` and the names of its target accounts).
    max_contents : int, default 50
        At most this many content IDs (posted under the borrowed name) per evidence.

    Returns
    -------
    list of RoleFinding
        One finding (role ``impersonator``) per account, sorted by account_id,
        with one ``rename`` evidence per impersonating rename: the time,
        old → new name, the entity matched, the similarity and the rule, the
        rename back if any, and the contents posted meanwhile; and a
        ``new_account`` evidence for an account created after the event began
        under such a name (:func:`find_new_account_impersonations`; its
        ``numbers["new_account"]`` is 1).  ``strength`` grows with the
        similarity; renaming back adds 0.15 (0.2 back to the former name),
        posting under the borrowed name 0.1.

    Raises
    ------
    ValueError
        For options out of range.

    Notes
    -----
    Complexity: O(R · E) name comparisons for R renames and E entity names,
    plus O(R · A) to collect the A contents and reposts of the renamed accounts, and
    O(N · E) for the N accounts created during the event.

    Examples
    --------
    >>> p = Projection.from_tables(
    ...     {"event_id": "e", "started_at": "2026-03-01T00:00:00Z", "entities": ["林晓雯"]},
    ...     contents=[{"content_id": "w:1", "account_id": "w:9", "platform": "weibo",
    ...                "posted_at": "2026-03-02T00:00:00Z", "text": "我承认，是我做的"}],
    ...     renames=[{"account_id": "w:9", "old_name": "小猫爱吃鱼", "new_name": "林小雯老师",
    ...               "renamed_at": "2026-03-01T20:00:00Z"}])
    >>> [(f.account_id, f.numbers["similarity"]) for f in detect_impersonators(p)]
    [('w:9', 0.95)]
    """
    if max_contents < 0:
        raise ValueError("max_contents must be non-negative")
    found = find_impersonations(
        p, window_before=window_before, window_after=window_after, min_similarity=min_similarity
    )
    by_account: dict[str, list[Impersonation]] = {}
    for im in found:
        by_account.setdefault(im.account_id, []).append(im)
    fresh = {
        n.account_id: n
        for n in find_new_account_impersonations(
            p, window_after=window_after, min_similarity=min_similarity
        )
    }
    out = []
    span = max(1e-9, 1.0 - min_similarity)
    for acc in sorted(set(by_account) | set(fresh)):
        ims = by_account.get(acc, [])
        strengths, evidence = [], []
        for im in ims:
            s = 0.55 + 0.2 * min(1.0, (im.similarity - min_similarity) / span)
            if im.renamed_back_at is not None:
                s += 0.2 if im.back_to_former else 0.15
            if im.content_ids:
                s += 0.1
            strengths.append(min(1.0, s))
            detail = (
                f"renamed {im.old_name or '?'!s} → {im.new_name} at "
                f"{im.renamed_at.isoformat()}, resembling {im.entity} "
                f"(similarity {im.similarity:.2f}, {im.rule})"
            )
            if im.renamed_back_at is not None:
                detail += (
                    f"; renamed {'back ' if im.back_to_former else ''}to {im.back_name} at "
                    f"{im.renamed_back_at.isoformat()}"
                )
            if im.content_ids:
                detail += f"; posted {len(im.content_ids)} contents under that name"
            evidence.append(
                Evidence(kind="rename", content_ids=im.content_ids[:max_contents], detail=detail)
            )
        numbers = {
            "renames": float(len(ims)),
            "similarity": max((float(im.similarity) for im in ims), default=0.0),
            "renamed_back": float(any(im.renamed_back_at is not None for im in ims)),
            "contents_while_renamed": float(sum(len(im.content_ids) for im in ims)),
        }
        n = fresh.get(acc)
        if n is not None:
            s = 0.55 + 0.2 * min(1.0, (n.similarity - min_similarity) / span)
            strengths.append(min(1.0, s + (0.1 if n.content_ids else 0.0)))
            detail = (
                f"account created {n.created_at.isoformat()}, after the event began, named "
                f"{n.name}, resembling {n.entity} (similarity {n.similarity:.2f}, {n.rule})"
            )
            if n.content_ids:
                detail += f"; posted {len(n.content_ids)} contents in the event"
            evidence.append(
                Evidence(
                    kind="new_account", content_ids=n.content_ids[:max_contents], detail=detail
                )
            )
            numbers["new_account"] = 1.0
            numbers["similarity"] = max(numbers["similarity"], float(n.similarity))
        out.append(
            RoleFinding(
                account_id=acc,
                role="impersonator",
                strength=round(max(strengths), 6),
                evidence=tuple(evidence),
                numbers=numbers,
            )
        )
    return out
