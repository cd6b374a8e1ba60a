"""Venues (SPEC §7): the topics, groups, forums, chats and live rooms where an event's abuse
gathers, and what the notice asks of each.

The notice (section 三, 2 and 3) asks platforms to dissolve the topics and groups where abuse
concentrates and to stop new look-alike ones (及时解散网暴信息集中的话题版块，暂停新设相关话题版块),
to watch those named after the event or its persons (密切巡查以相关事件名称、当事人及相关人员姓名
命名的词条、话题、群组、贴吧), to close anonymous-submission and shout-out boards (匿名投稿、隔空
喊话), to close live rooms full of abuse and filter their bullet comments (关停网暴内容集中的直播间…
拦截过滤负面弹幕), and to look after the live rooms of the persons under attack.

:func:`detect_venues` takes the event's projection (its ``venues`` frame and the
``venue_id`` of its contents) and which of its contents are harmful, and returns one
:class:`VenueFinding` per venue where the event's contents were posted, ranked by how much
abuse concentrates there, plus the ``venue_creator`` role findings:

* **concentration**: ``score = harmful / (items + PSEUDO) * (1 - exp(-harmful / SATURATE))``,
  a share of harmful items shrunk towards zero for small venues, times a count factor that
  saturates: a topic made for abuse (40 items, 35 harmful) scores about 0.7, a huge fan
  topic with a few harmful posts (2,000 items, 15 harmful) under 0.01;
* **named after** the event or its persons: the venue's name resembles the event's name,
  one of its ``entities`` or the name of an account under attack, by the impersonation
  detector's name matching (:func:`pileon.detectors.renames.name_similarity`: homophones,
  decorations, abbreviations), a name *about* someone (``林晓雯滚出教师队伍``) included;
* **created during the event**: ``created_at`` from the event's start to its end;
* **anonymous board**: an anonymous-submission or shout-out venue, by its name (投稿, 树洞,
  喊话, 挂人…) or its contents (a share of them written as submissions);
* **measures** (in the order of :data:`pileon.graph.model.VENUE_MEASURES`): a venue hosted
  by a person under attack is protected (``protect``; its harmful items cleaned and its
  harmful bullet comments filtered), never closed; a venue where abuse concentrates (or an
  anonymous board carrying abuse) is dissolved (``dissolve``; a live room: ``close_room``
  and ``filter_comments``), with ``freeze_new`` when it is named after the event or its
  persons or was created during it, and ``clean``; any other venue with harmful items gets
  ``clean`` at most.

``venue_creator``: the account that created, after the event began, a venue named after its
persons (an entity or a target's name) where abuse then concentrated; its finding's
``numbers["own_harmful"]`` counts the harmful contents it posted there itself (the grading
gives tier 3 for those, tier 2 otherwise).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pileon.detectors.findings import Evidence, RoleFinding
from pileon.detectors.harm import HARM_THRESHOLD
from pileon.detectors.renames import name_similarity
from pileon.graph.model import VENUE_MEASURES
from pileon.graph.projection import Projection

__all__ = [
    "ANONYMOUS_NAME_MARKERS",
    "ANONYMOUS_TEXT_MARKERS",
    "VenueFinding",
    "VenueResult",
    "detect_venues",
    "named_after",
    "venue_terms",
]

#: words that name an anonymous-submission or shout-out venue (匿名投稿、隔空喊话)
ANONYMOUS_NAME_MARKERS = (
    "投稿",
    "树洞",
    "喊话",
    "挂人",
    "匿名",
    "爆料",
    "曝光",
    "隔空",
    "表白墙",
    "吐槽墙",
    "代发",
    "避雷",
)
#: what a content posted as an anonymous submission or a shout-out says of itself
ANONYMOUS_TEXT_MARKERS = (
    "投稿",
    "匿名",
    "树洞",
    "代发",
    "喊话",
    "挂人",
    "帮挂",
    "求挂",
    "墙墙",
    "隔空",
    "不要透露",
)
#: at most this many content IDs per evidence item
MAX_IDS = 10


@dataclass(frozen=True)
class VenueFinding:
    """One venue where the event's contents were posted (SPEC §7 ``venues``)."""

    venue_id: str
    platform: str | None
    kind: str | None
    name: str | None
    creator_id: str | None
    host_id: str | None
    items: int
    harmful: int
    score: float
    named_after: tuple[str, ...] = ()
    created_during_event: bool = False
    anonymous_board: bool = False
    measures: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    #: names among ``named_after`` that are persons or institutions (entities, targets)
    persons: tuple[str, ...] = field(default=(), compare=False)

    @property
    def harmful_share(self) -> float:
        return self.harmful / self.items if self.items else 0.0

    @property
    def concentrated(self) -> bool:
        """Abuse concentrates here (the venue is to be dissolved or its room closed)."""
        return "dissolve" in self.measures or "close_room" in self.measures

    def to_dict(self, rank: int) -> dict[str, Any]:
        return {
            "venue_id": self.venue_id,
            "rank": rank,
            "score": round(float(self.score), 6),
            "platform": self.platform,
            "kind": self.kind,
            "name": self.name,
            "creator_id": self.creator_id,
            "host_id": self.host_id,
            "items": int(self.items),
            "harmful": int(self.harmful),
            "harmful_share": round(self.harmful_share, 6),
            "named_after": list(self.named_after),
            "created_during_event": bool(self.created_during_event),
            "anonymous_board": bool(self.anonymous_board),
            "measures": list(self.measures),
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(frozen=True)
class VenueResult:
    """What :func:`detect_venues` found: the ranked venues and the ``venue_creator`` roles."""

    venues: tuple[VenueFinding, ...] = ()
    creators: tuple[RoleFinding, ...] = ()


# ---------------------------------------------------------------------------- names


def _str(v: Any) -> str | None:
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
        return None
    s = str(v).strip()
    return s or None


def venue_terms(p: Projection) -> list[tuple[str, bool]]:
    """The names a venue may be named after: ``(name, is_person)`` for the event's name (not a
    person), its ``entities`` and the names of the accounts under attack (persons and
    institutions), each once, sorted."""
    terms: dict[str, bool] = {}
    if p.event.name and len(p.event.name.strip()) >= 2:
        terms[p.event.name.strip()] = False
    for e in p.event.entities:
        if e and len(e.strip()) >= 2:
            terms[e.strip()] = True
    acc = p.accounts
    if "role_hint" in acc and "name" in acc:
        targets = set(p.event.target_ids) | set(
            acc.loc[acc["role_hint"] == "target", "account_id"].astype(str)
        )
        for t in p.contents["target_ids"]:
            targets.update(t)
        names = acc.loc[acc["account_id"].isin(targets), "name"]
        for nm in names:
            s = _str(nm)
            if s and len(s) >= 2:
                terms[s] = True
    return sorted(terms.items())


def named_after(
    name: str | None, terms: Sequence[tuple[str, bool]], *, min_similarity: float = 0.8
) -> list[tuple[str, bool]]:
    """The terms (``(name, is_person)``, from :func:`venue_terms`) a venue's name is built from:
    those :func:`pileon.detectors.renames.name_similarity` finds at least ``min_similarity``
    alike, or that the name mentions together with a word of relation (a name *about* the
    person counts for a venue).

    >>> named_after("#林小雯滚出教师队伍#", [("林晓雯", True), ("南城七中", True)])
    [('林晓雯', True)]
    >>> named_after("许星野新专辑", [("林晓雯", True)])
    []
    """
    if not name:
        return []
    out = []
    for term, person in terms:
        sim, rule = name_similarity(name, term)
        if sim >= min_similarity or rule == "mentions":
            out.append((term, person))
    return out


def _marked(text: str | None, markers: Sequence[str]) -> list[str]:
    if not text:
        return []
    return [m for m in markers if m in text]


# ----------------------------------------------------------------------------- detect


def _targets(p: Projection) -> set[str]:
    t = set(p.event.target_ids)
    for v in p.contents["target_ids"]:
        t.update(v)
    if "role_hint" in p.accounts:
        t |= set(p.accounts.loc[p.accounts["role_hint"] == "target", "account_id"].astype(str))
    return t


def _event_end(p: Projection) -> pd.Timestamp | None:
    if p.event.ended_at is not None:
        return p.event.ended_at
    times = pd.concat([p.contents["posted_at"], p.reposts["reposted_at"]]).dropna()
    return times.max() if len(times) else None


def _iso(t: pd.Timestamp) -> str:
    return pd.Timestamp(t).tz_convert("UTC").isoformat().replace("+00:00", "Z")


def _venue_rows(p: Projection, harmful: pd.Series, harm_threshold: float) -> pd.DataFrame:
    """One row per content counted in a venue: the event's own (placeholders and source
    material aside, harmful as ``harmful`` says) and the others posted there during the
    event (``p.venue_contents``, harmful by their own ``harm``), by venue and content."""
    parts = []
    c = p.contents
    if "venue_id" in c and len(c):
        keep = c["venue_id"].notna().to_numpy(dtype=bool) & ~c["placeholder"].to_numpy(dtype=bool)
        if "via" in c:
            keep &= (c["via"] != "source").to_numpy(dtype=bool)
        parts.append((c[keep], np.asarray(harmful, dtype=bool)[keep], True))
    o = p.venue_contents
    if len(o):
        o = o[o["venue_id"].notna().to_numpy(dtype=bool)]
        bad = o["harm"].fillna(0.0).to_numpy(dtype=float) >= harm_threshold
        parts.append((o, bad, False))
    cols = {
        k: [] for k in ("venue_id", "content_id", "account_id", "kind", "text", "harmful", "event")
    }
    for df, bad, own in parts:
        for k in ("venue_id", "content_id", "account_id", "text"):
            cols[k].append(df[k].to_numpy(dtype=object))
        cols["kind"].append(df["kind"].fillna("post").to_numpy(dtype=object))
        cols["harmful"].append(bad)
        cols["event"].append(np.full(len(df), own, dtype=bool))
    if not parts:
        return pd.DataFrame(columns=list(cols))
    rows = pd.DataFrame({k: np.concatenate(v) for k, v in cols.items()})
    return rows.sort_values(["venue_id", "content_id"], kind="mergesort").reset_index(drop=True)


def detect_venues(
    p: Projection,
    harmful: pd.Series,
    *,
    harm_threshold: float = HARM_THRESHOLD,
    min_harmful: int = 5,
    concentration: float = 0.5,
    anonymous_share: float = 0.2,
    anonymous_text_share: float = 0.3,
    pseudo: float = 5.0,
    saturate: float = 10.0,
    min_similarity: float = 0.8,
) -> VenueResult:
    """Every venue where the event's contents were posted, ranked by abuse concentration.

    Parameters
    ----------
    p : Projection
        The event's projection: its ``venues``, the ``venue_id`` of its ``contents``
        (placeholders and source material aside) and the other contents posted in those
        venues during the event (``venue_contents``), the event's name, entities and
        targets.
    harmful : Series of bool
        Per row of ``p.contents`` (same index), whether it is harmful
        (:func:`pileon.detectors.harm.harmful_contents`).
    harm_threshold : float, default 0.5
        The other contents of a venue (``p.venue_contents``) are harmful from this ``harm``
        (unknown: not counted harmful).
    min_harmful : int, default 5
        Least harmful items for abuse to concentrate in a venue.
    concentration : float, default 0.5
        Least share of harmful items for abuse to concentrate in a venue.
    anonymous_share : float, default 0.2
        Least share of harmful items for an anonymous board to be dissolved (with at least
        ``min_harmful`` of them).
    anonymous_text_share : float, default 0.3
        Least share of a venue's texts written as anonymous submissions or shout-outs
        (:data:`ANONYMOUS_TEXT_MARKERS`, at least three of them) to make it an anonymous
        board when its name does not say so.
    pseudo : float, default 5.0
        Items added to a venue's count in the shrunk harmful share of the score.
    saturate : float, default 10.0
        Harmful items at which the score's count factor reaches 1 - 1/e.
    min_similarity : float, default 0.8
        Least name similarity for a venue to be named after a term (:func:`named_after`).

    Returns
    -------
    VenueResult
        ``venues``: ranked by score (highest first; ties by venue_id); ``creators``:
        ``venue_creator`` findings sorted by account_id.

    Raises
    ------
    ValueError
        For options out of range.

    Notes
    -----
    O(C + V·T) for C contents and V venues named against T terms (each comparison cached).

    Examples
    --------
    >>> p = Projection.from_tables(
    ...     {"event_id": "e", "started_at": "2026-03-01T00:00:00Z", "entities": ["林晓雯"]},
    ...     contents=[{"content_id": f"c{i}", "account_id": f"a{i}", "platform": "weibo",
    ...                "posted_at": "2026-03-02T00:00:00Z", "venue_id": "v1", "harm": 0.9}
    ...               for i in range(8)],
    ...     venues=[{"venue_id": "v1", "platform": "weibo", "kind": "topic",
    ...              "name": "#林晓雯滚出南城#", "created_at": "2026-03-01T02:00:00Z",
    ...              "creator_id": "a0"}])
    >>> res = detect_venues(p, p.contents["harm"] >= 0.5)
    >>> res.venues[0].measures, [f.account_id for f in res.creators]
    (('dissolve', 'freeze_new', 'clean'), ['a0'])
    """
    if min_harmful < 1 or not 0 < concentration <= 1 or not 0 < anonymous_share <= 1:
        raise ValueError("min_harmful must be >= 1 and the shares in (0, 1]")
    if pseudo < 0 or saturate <= 0 or not 0 < min_similarity <= 1:
        raise ValueError("pseudo must be >= 0, saturate > 0 and min_similarity in (0, 1]")
    rows = _venue_rows(p, harmful, harm_threshold)
    if rows.empty:
        return VenueResult()
    info = p.venues.drop_duplicates("venue_id").set_index("venue_id")
    terms = venue_terms(p)
    targets = _targets(p)
    start, end = p.start, _event_end(p)
    found: list[VenueFinding] = []
    creators: dict[str, list[tuple[VenueFinding, int]]] = {}
    for vid, g in rows.groupby("venue_id", sort=True):
        vid = str(vid)
        row = info.loc[vid] if vid in info.index else None

        def col(name: str, row: Any = row) -> Any:
            return None if row is None else row.get(name)

        name, kind = _str(col("name")), _str(col("kind"))
        creator, host = _str(col("creator_id")), _str(col("host_id"))
        created = col("created_at")
        created = None if created is None or pd.isna(created) else pd.Timestamp(created)
        items, n_bad = len(g), int(g["harmful"].sum())
        n_event = int(g["event"].sum())
        share = n_bad / items
        score = n_bad / (items + pseudo) * (1.0 - math.exp(-n_bad / saturate))
        bad_ids = tuple(g.loc[g["harmful"] & g["event"], "content_id"].astype(str))
        bad_ids += tuple(g.loc[g["harmful"] & ~g["event"], "content_id"].astype(str))
        evidence = [
            Evidence(
                "concentration",
                bad_ids[:MAX_IDS],
                f"{items} items during the event ({n_event} of the event's own), "
                f"{n_bad} harmful ({share:.0%})",
            )
        ]
        named = named_after(name, terms, min_similarity=min_similarity)
        if named:
            evidence.append(
                Evidence(
                    "named_after", (), f"name {name!r} built from {', '.join(t for t, _ in named)}"
                )
            )
        during = bool(
            created is not None
            and start is not None
            and created >= start
            and (end is None or created <= end)
        )
        if during:
            evidence.append(
                Evidence(
                    "created_during_event",
                    (),
                    f"created {_iso(created)}"
                    + (f" by {creator}" if creator else "")
                    + (f", {(created - start).total_seconds() / 3600:.1f} h after the event began"),
                )
            )
        name_marks = _marked(name, ANONYMOUS_NAME_MARKERS)
        texts = [t for t in g["text"] if isinstance(t, str) and t]
        marked = [
            cid
            for cid, t in zip(g["content_id"], g["text"])
            if _marked(t if isinstance(t, str) else None, ANONYMOUS_TEXT_MARKERS)
        ]
        by_text = len(marked) >= 3 and len(marked) >= anonymous_text_share * max(1, len(texts))
        anonymous = bool(name_marks) or by_text
        if anonymous:
            why = []
            if name_marks:
                why.append(f"its name says {'/'.join(name_marks)}")
            if by_text:
                why.append(f"{len(marked)} of its {len(texts)} texts are written as submissions")
            evidence.append(
                Evidence(
                    "anonymous_board",
                    tuple(marked[:MAX_IDS]),
                    "anonymous-submission or shout-out venue: " + "; ".join(why),
                )
            )
        hosted_by_target = host is not None and host in targets
        bad_comments = int((g["harmful"] & (g["kind"] == "comment")).sum())
        concentrated = n_bad >= min_harmful and share >= concentration
        if anonymous and n_bad >= min_harmful and share >= anonymous_share:
            concentrated = True
        measures: set[str] = set()
        if hosted_by_target:
            measures.add("protect")
            if n_bad:
                measures.add("clean")
            if kind == "live_room" and bad_comments:
                measures.add("filter_comments")
            evidence.append(
                Evidence(
                    "hosted_by_target",
                    (),
                    f"hosted by {host}, a person under attack: protect it, do not close it",
                )
            )
        elif concentrated:
            if kind == "live_room":
                measures |= {"close_room", "clean"}
                if bad_comments:
                    measures.add("filter_comments")
            else:
                measures |= {"dissolve", "clean"}
            if named or during:
                measures.add("freeze_new")
        elif n_bad:
            measures.add("clean")
        v = VenueFinding(
            venue_id=vid,
            platform=_str(col("platform")),
            kind=kind,
            name=name,
            creator_id=creator,
            host_id=host,
            items=items,
            harmful=n_bad,
            score=score,
            named_after=tuple(t for t, _ in named),
            created_during_event=during,
            anonymous_board=anonymous,
            measures=tuple(m for m in VENUE_MEASURES if m in measures),
            evidence=tuple(evidence),
            persons=tuple(t for t, person in named if person),
        )
        found.append(v)
        if (
            v.concentrated
            and v.persons
            and creator is not None
            and creator not in targets
            and created is not None
            and start is not None
            and created >= start
        ):
            own = int((g["harmful"] & (g["account_id"] == creator)).sum())
            creators.setdefault(creator, []).append((v, own))
    found.sort(key=lambda v: (-round(v.score, 6), v.venue_id))
    return VenueResult(venues=tuple(found), creators=tuple(_creator_findings(creators)))


def _creator_findings(creators: dict[str, list[tuple[VenueFinding, int]]]) -> list[RoleFinding]:
    out = []
    for account in sorted(creators):
        made = creators[account]
        evidence = []
        for v, own in made:
            evidence.append(
                Evidence(
                    "venue_created",
                    (),
                    f"created {v.kind or 'venue'} {v.venue_id} ({v.name!r}) after the event began, "
                    f"named after {', '.join(v.persons)}; {v.items} items, {v.harmful} harmful "
                    f"({v.harmful_share:.0%})"
                    + (f"; {own} harmful of its own there" if own else ""),
                )
            )
        own_total = sum(own for _, own in made)
        out.append(
            RoleFinding(
                account_id=account,
                role="venue_creator",
                strength=round(min(1.0, 0.5 + 0.5 * max(v.score for v, _ in made)), 6),
                evidence=tuple(evidence),
                numbers={"venues": float(len(made)), "own_harmful": float(own_total)},
            )
        )
    return out
