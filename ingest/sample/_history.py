"""A store that holds history: the incident of E1 told once before, a year earlier.

:func:`plant_history` copies every content and repost of E1 (its ground truth, and the
contents they answer or repost) 365 days earlier, with the same texts, media and harm,
by other accounts (a new account for each, on the same platform, with the same name,
followers and age at the time, its identity key renamed), into an event of its own,
``evt:2025-03-nancheng-teacher`` (same keywords, entities and target).  The people under
attack are the same (the teacher, the minor) and so are the MCNs; a few E1 culprits
(:data:`REPEAT`) take part in both incidents as themselves: the planted repeat
offenders.  The copy's renames, affiliations and content reports follow its accounts and
contents; account reports about the repeat offenders and labels are not copied, so that
E1's own findings are the same with or without the copy, the repeat offenders' grade
and the resurfacing evidence aside.

The copy is planted after everything else, so the other tables are byte-identical with
and without it (the same seed gives the same E1).
"""

from __future__ import annotations

import numpy as np

from pileon.ingest.sample._e1 import E1, T0, Cast
from pileon.ingest.sample._tables import NO_TIME, SCHEMAS
from pileon.ingest.sample._world import _URL, DAY, World

E1_PAST = "evt:2025-03-nancheng-teacher"
SHIFT = 365 * DAY
#: the E1 culprits (group, index) that acted in the past incident too: a repeat poster
#: (not the first poster's second account, not the E2 crossover) and a splicer
REPEAT = (("multi_poster", 2), ("splicer", 0))


def _columns(w: World, table: str, extra: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    t = w.tables[table]
    return {k: t.column(k) for k in (*SCHEMAS[table], *extra)}


def _shift(times: np.ndarray) -> np.ndarray:
    times = np.asarray(times, dtype=np.int64)
    return np.where(times == NO_TIME, NO_TIME, times - SHIFT)


def plant_history(w: World, c: Cast) -> dict:
    """Plant the year-earlier copy of E1 (see the module docstring); returns its truth:
    ``event_id, of, shift_days, repeat_offenders, accounts`` (original -> copy)."""
    repeat = sorted(c.group[g][i] for g, i in REPEAT)
    keep = set(repeat) | {c.acc["victim"], c.acc["minor"]}
    cc = _columns(w, "contents", ("_event", "_bad"))
    rc = _columns(w, "reposts", ("_event",))
    c_at = {x: i for i, x in enumerate(cc["content_id"])}
    r_at = {x: i for i, x in enumerate(rc["repost_id"])}

    # E1's items, and the contents and reposts they answer or repost
    c_rows = set(np.flatnonzero(cc["_event"] == E1).tolist())
    r_rows = set(np.flatnonzero(rc["_event"] == E1).tolist())
    todo = [cc["reply_to"][i] for i in c_rows] + [rc["source_id"][i] for i in r_rows]
    while todo:
        x = todo.pop()
        if x in c_at and c_at[x] not in c_rows:
            c_rows.add(c_at[x])
            todo.append(cc["reply_to"][c_at[x]])
        elif x in r_at and r_at[x] not in r_rows:
            r_rows.add(r_at[x])
            todo.append(rc["source_id"][r_at[x]])
    ci, ri = np.array(sorted(c_rows), dtype=np.int64), np.array(sorted(r_rows), dtype=np.int64)

    # a new account for each author but the people under attack and the repeat offenders
    ac = _columns(w, "accounts")
    a_at = {x: i for i, x in enumerate(ac["account_id"])}
    authors = sorted(set(cc["account_id"][ci]) | set(rc["account_id"][ri]))
    old = [a for a in authors if a not in keep]
    rows = np.array([a_at[a] for a in old], dtype=np.int64)
    keys = ac["identity_key"][rows]
    new = w.accounts(
        ac["platform"][rows],
        list(ac["name"][rows]),
        _shift(ac["created_at"][rows]),
        ac["followers"][rows],
        verified=ac["verified"][rows],
        identity_key=[None if k is None else f"{k}-2025" for k in keys],
        is_minor=ac["is_minor"][rows],
    )
    acc = dict(zip(old, new.tolist()))

    def person(a):
        return acc.get(a, a)

    # new IDs for the copied items; parents outside the copy (deleted sources) too
    item: dict[str, str] = {}
    for letter in ("m", "c", "d"):
        sel = ci[
            np.array([_letter(x) == letter for x in cc["content_id"][ci]], dtype=bool)
            if len(ci)
            else np.zeros(0, dtype=bool)
        ]
        item.update(zip(cc["content_id"][sel], w.ids(letter, cc["platform"][sel], len(sel))))
    item.update(zip(rc["repost_id"][ri], w.ids("r", rc["platform"][ri], len(ri))))
    for x, a in zip(rc["source_id"][ri], rc["account_id"][ri]):
        if x not in item:  # a deleted source: deleted then as well
            item[x] = w.ids("m", w.platform_of[a], 1)[0]

    def ref(x):
        return None if x is None else item.get(x, x)

    new_ids = np.array([item[x] for x in cc["content_id"][ci]], dtype=object)
    new_acc = np.array([person(a) for a in cc["account_id"][ci]], dtype=object)
    urls = [
        None if u is None else _URL[p].format(a=a.split(":")[1], c=x.split(":")[1])
        for u, p, a, x in zip(cc["url"][ci], cc["platform"][ci], new_acc, new_ids)
    ]
    w.tables["contents"].add(
        content_id=new_ids,
        account_id=new_acc,
        platform=cc["platform"][ci],
        posted_at=_shift(cc["posted_at"][ci]),
        text=cc["text"][ci],
        kind=cc["kind"][ci],
        reply_to=np.array([ref(x) for x in cc["reply_to"][ci]], dtype=object),
        event_id=np.array([E1_PAST if e == E1 else e for e in cc["event_id"][ci]], dtype=object),
        harm=cc["harm"][ci],
        target_ids=[None if t is None else [person(a) for a in t] for t in cc["target_ids"][ci]],
        media_hash=cc["media_hash"][ci],
        url=urls,
        _event=np.array([E1_PAST if e == E1 else None for e in cc["_event"][ci]], dtype=object),
        _bad=cc["_bad"][ci],
    )
    w.tables["reposts"].add(
        repost_id=np.array([item[x] for x in rc["repost_id"][ri]], dtype=object),
        account_id=np.array([person(a) for a in rc["account_id"][ri]], dtype=object),
        source_id=np.array([ref(x) for x in rc["source_id"][ri]], dtype=object),
        reposted_at=_shift(rc["reposted_at"][ri]),
        platform=rc["platform"][ri],
        text=rc["text"][ri],
        harm=rc["harm"][ri],
        _event=E1_PAST,
    )
    _copy_account_rows(w, acc)
    _copy_reports(w, acc, item)
    ev = _columns(w, "events")
    e1 = int(np.flatnonzero(ev["event_id"] == E1)[0])
    w.tables["events"].add(
        event_id=[E1_PAST],
        name=[ev["name"][e1]],
        started_at=np.array([T0 - SHIFT], np.int64),
        keywords=[ev["keywords"][e1]],
        entities=[ev["entities"][e1]],
        target_ids=[[person(a) for a in ev["target_ids"][e1]]],
    )
    return {
        "event_id": E1_PAST,
        "of": E1,
        "shift_days": SHIFT // DAY,
        "repeat_offenders": repeat,
        "accounts": dict(sorted(acc.items())),
    }


def _letter(content_id: str) -> str:
    """The kind letter of a sample content ID (``weibo:c7100012`` -> ``c``)."""
    return content_id.split(":", 1)[1][0]


def _copy_account_rows(w: World, acc: dict[str, str]) -> None:
    """The renames and affiliations of the copied accounts, a year earlier."""
    rn = _columns(w, "renames")
    sel = np.flatnonzero(np.isin(rn["account_id"], list(acc)))
    if len(sel):
        w.tables["renames"].add(
            account_id=np.array([acc[a] for a in rn["account_id"][sel]], dtype=object),
            old_name=rn["old_name"][sel],
            new_name=rn["new_name"][sel],
            renamed_at=_shift(rn["renamed_at"][sel]),
        )
    af = _columns(w, "affiliations")
    sel = np.flatnonzero(np.isin(af["account_id"], list(acc)))
    if len(sel):
        w.tables["affiliations"].add(
            account_id=np.array([acc[a] for a in af["account_id"][sel]], dtype=object),
            mcn_id=af["mcn_id"][sel],
            since=_shift(af["since"][sel]),
            until=_shift(af["until"][sel]),
            role=af["role"][sel],
        )


def _copy_reports(w: World, acc: dict[str, str], item: dict[str, str]) -> None:
    """Reports about the copied contents, and about the copied accounts (none about the
    accounts that are the same in both incidents), a year earlier."""
    rp = _columns(w, "reports")
    about_item = np.array([x in item for x in rp["content_id"]], dtype=bool)
    about_acc = np.array(
        [x is None and a in acc for x, a in zip(rp["content_id"], rp["account_id"])], dtype=bool
    )
    sel = np.flatnonzero(about_item | about_acc)
    if not len(sel):
        return
    w.tables["reports"].add(
        report_id=w.plain_ids("report", len(sel)),
        reported_at=_shift(rp["reported_at"][sel]),
        reporter_id=[None if a is None else acc.get(a, a) for a in rp["reporter_id"][sel]],
        content_id=[None if x is None else item[x] for x in rp["content_id"][sel]],
        account_id=[None if a is None else acc.get(a, a) for a in rp["account_id"][sel]],
        reason=list(rp["reason"][sel]),
        involves_minor=rp["involves_minor"][sel],
    )
