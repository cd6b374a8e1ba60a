"""A seeded sample incident in the SPEC §2 table format, with its ground truth.

:func:`generate_incident` writes the nine tables of SPEC §2 (``accounts``, ``contents``,
``reposts``, ``renames``, ``mcns``, ``affiliations``, ``events``, ``reports``, ``labels``) as CSV,
JSONL or Parquet, and the ground truth as JSON *beside* the folder (``DIR-truth.json``), never
inside it, because ``pileon ingest DIR`` loads every table it finds.

The incident
------------
* **E1** (``evt:2026-03-nancheng-teacher``, from 2026-03-01 20:00 +08:00): a teacher, 林晓雯, is
  falsely accused of hitting a pupil. Three first posters start three false stories (Weibo,
  Douyin, Xiaohongshu; the third without a ``harm`` score), copied with small edits across
  platforms; an inciter copies a story and adds a call to action, another incites in a repost
  comment that is itself reposted ~1,100 times (scale 1); six repeat posters (one is the first
  poster's own Douyin account, sharing her ``identity_key``; one also attacks in E2); two splicers
  cut sentences out of stories first published on other platforms; two impersonators rename
  themselves 林晓雯本人 / 南城七中官方 hours after the start (the first renames back five days
  later), with two traps (a similar name taken ten months before, an unrelated rename during the
  event); a water army of 30-400 accounts created within 95 minutes, few followers, identities
  shared by threes, reposting the same contents within seconds to minutes, co-posting copies,
  about half signed to the operating MCN (one more account's contract ended a month before);
  an organic crowd (7,000 × scale accounts, Pareto activity, log-normal delays with a day rhythm,
  repost chains) that reposts and comments, sometimes abusively; two verified news accounts of a
  news MCN with the biggest, benign cascades; a bystander MCN whose accounts comment on the news;
  a minor who defends her teacher and is attacked (reports with ``involves_minor``).
* Alerts: two weeks of ordinary contact traffic around the victim before the surge; a singer
  (许星野) with day-rhythm fan traffic that rises six-fold on an album day (2026-03-06), harm low.
* **E2** (``evt:2026-03-beichuan-milktea``): an unrelated rumour about a milk-tea shop, its own
  crowd; one E1 repeat poster attacks here too.
* **E0** (``evt:2025-10-dongling-nurse``): a past event with the same roles at small size and the
  ``labels`` table (tiers decided then) for training the risk model.
* **History** (``history=True``): E1 told once before, 365 days earlier
  (``evt:2025-03-nancheng-teacher``): the same texts by other accounts, and two E1 culprits
  active in both, the planted repeat offenders (``history.repeat_offenders``, also under
  E1's ``repeat_across_events``); see :mod:`pileon.ingest.sample._history`.
* Real-data mess: ``harm`` missing on ~12% of contents that have it elsewhere, ``event_id``
  missing on most contents (they join by keyword, reply, repost or copy), reposts of deleted
  contents (``weibo:m4899001``, ``weibo:m4899002``), repost chains, report times in UTC (``Z``)
  while the platforms export +08:00, comments that answer a repost (not a content), and a
  generic keyword (林老师) that the victim's colleagues also write before the event. Reposts carry
  an extra ``harm`` column (the moderation model's score of the repost comment, if any).

Scale 1 gives about 20,000 reposts; reposts, crowds and comments grow linearly with ``scale``.

Ground truth
------------
``{"seed", "scale", "format", "events": {EVENT_ID: ROLES}, "alerts": {...}, "extras": {...},
"counts": {table: rows}}``. ``ROLES`` maps each key below to a sorted list of account IDs (empty
when the event has no such account), except the ``*_mcn`` keys:

``first_poster``, ``multi_poster``, ``inciter``, ``splicer``, ``impersonator``, ``coordinated``
    planted culprits of each role (SPEC §4 role names);
``inciter_via_repost_comment``
    inciters whose inciting content is a repost with comment (also listed under ``inciter``);
``not_impersonator``
    renamed accounts that must not be found (a similar name taken long before, an unrelated name);
``participant``
    every other account that took part in the event (content or repost), except news and targets;
``news``, ``targets``, ``minor_targets``
    authoritative news accounts; accounts under attack; targets who are minors;
``minor_attackers``
    accounts that sent planted harmful content to a minor target;
``repeat_across_events``
    culprits active in more than one event (tier 4);
``shared_identity_culprits``
    culprits whose ``identity_key`` is shared with another culprit (tier 4);
``operating_mcn_members``
    accounts affiliated with the operating MCN during the event;
``expired_affiliation``
    an army account whose affiliation with the operating MCN ended before the event;
``late_affiliation``
    an army account whose affiliation with the operating MCN began only after the event;
``operating_mcn`` (str or null), ``news_mcn`` (str or null), ``bystander_mcns``, ``uninvolved_mcns``
    MCN IDs; ``bystander_mcns`` are the MCNs whose accounts took part without culpability (the
    news MCN included), ``uninvolved_mcns`` those with no account in the event.

``history`` (with ``history=True`` only): ``event_id``, ``of`` (E1), ``shift_days``,
``repeat_offenders``, ``accounts`` (each E1 account -> its account in the copy).

``alerts``: ``victim``, ``attack_start`` (ISO time of the first harmful content aimed at her),
``minor``, ``minor_attack_start``, ``busy_benign``, ``fan_event_day`` (local date). ``extras``:
``splices`` (spliced content -> source contents), ``inciting_contents`` (role content IDs),
``deleted_sources``, ``repost_chain``, ``harmful_to_victim`` (number of planted harmful contents
aimed at the victim).

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp()) / "incident"
>>> truth = generate_incident(d, seed=1, scale=0.05)
>>> sorted(p.name for p in d.iterdir())[:3]
['accounts.csv', 'affiliations.csv', 'contents.csv']
>>> len(truth["events"]["evt:2026-03-nancheng-teacher"]["first_poster"])
3
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from pileon.graph.errors import InputError
from pileon.graph.model import CULPABLE_ROLES
from pileon.ingest.sample import _e1, _others
from pileon.ingest.sample import _text as tx
from pileon.ingest.sample._history import plant_history
from pileon.ingest.sample._tables import SCHEMAS, format_times, write_table
from pileon.ingest.sample._venues import plant_venues
from pileon.ingest.sample._world import World, _hidden_contents

FORMATS = ("csv", "jsonl", "parquet")
ROLE_KEYS = (
    "first_poster",
    "multi_poster",
    "inciter",
    "inciter_via_repost_comment",
    "splicer",
    "impersonator",
    "impersonator_new_account",
    "not_impersonator",
    "coordinated",
    "venue_creator",
    "participant",
    "news",
    "targets",
    "minor_targets",
    "minor_attackers",
    "repeat_across_events",
    "shared_identity_culprits",
    "operating_mcn_members",
    "expired_affiliation",
    "late_affiliation",
)


def generate_incident(
    out_dir,
    *,
    seed: int = 0,
    scale: float = 1.0,
    fmt: str = "csv",
    show_progress: bool = False,
    truth_path=None,
    history: bool = False,
) -> dict:
    """Write a sample incident into ``out_dir`` and return its ground truth.

    Parameters
    ----------
    out_dir : str or Path
        Folder for the tables (created if needed). Table files already there, in any of the
        three formats, are replaced; other files are left alone.
    seed : int
        Seed of the only random generator used; the same seed, scale and format give
        byte-identical files.
    scale : float
        Multiplies crowds, cascades and comments; 1 gives about 20,000 reposts.
    fmt : {"csv", "jsonl", "parquet"}
        File format of every table.
    show_progress : bool
        Show a progress bar (tqdm) while writing.
    truth_path : str or Path, optional
        Where to write the ground truth JSON; default ``<out_dir>-truth.json`` beside the folder.
    history : bool
        Also write a store with history: E1 told once before, a year earlier, by other
        accounts in an event of its own, with planted repeat offenders active in both
        (:mod:`pileon.ingest.sample._history`; its truth under ``history``).  The other
        rows are the same as without it.

    Returns
    -------
    dict
        The ground truth (see the module docstring), also written to ``truth_path``; the
        returned dict also holds ``truth_path`` itself.

    Raises
    ------
    InputError
        For an unknown format, a non-positive scale or a negative seed.

    Notes
    -----
    Time and memory are linear in the number of rows: bulk steps are vectorised with numpy
    and tables are written in batches of 200,000 rows.
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if not (isinstance(scale, (int, float)) and np.isfinite(scale) and scale > 0):
        raise InputError(f"scale must be a positive number, not {scale!r}")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, not {seed!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for table in SCHEMAS:  # a previous sample in another format would be loaded too
        for ext in FORMATS:
            (out_dir / f"{table}.{ext}").unlink(missing_ok=True)
    world = World(int(seed), float(scale))
    truth = _build(world, history=bool(history))
    truth.update({"seed": int(seed), "scale": float(scale), "format": fmt})
    truth["counts"] = _write(world, out_dir, fmt, show_progress)
    truth_path = (
        Path(truth_path)
        if truth_path is not None
        else out_dir.parent / (out_dir.name + "-truth.json")
    )
    truth_path.write_text(
        json.dumps(truth, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    truth["truth_path"] = str(
        truth_path
    )  # returned only, so the file does not depend on where it lies
    return truth


def _build(w: World, *, history: bool = False) -> dict:
    """Plant everything, in a fixed order (the order of random draws defines the output);
    the history last, so that the rest is the same with or without it."""
    c = _e1.cast_e1(w)
    _e1.plant_victim_baseline(w, c)
    _e1.plant_minor_baseline(w, c)
    _e1.plant_first_posts(w, c)
    _e1.plant_crowd_copies(w, c)
    _e1.plant_inciters(w, c)
    _e1.plant_authorities(w, c)
    _e1.plant_minor_attack(w, c)
    _e1.plant_multi_posters(w, c)
    _e1.plant_splicers(w, c)
    _e1.plant_renames(w, c)
    _e1.plant_army(w, c)
    _e1.plant_crowd_comments(w, c)
    _e1.plant_mcns(w, c)
    messy = _others.plant_messy_rows(w, c)
    star = _others.plant_celebrity(w)
    _others.plant_background(w)
    _e1._affiliate(w, [(star, _e1.MCN_UNINVOLVED[1], _e1.ts("2019-01-01T00:00"), None, "艺人")])
    _others.plant_random_renames(w, c)
    e2_roles = _others.plant_e2(w, c, crossover=c.group["multi_poster"][1])
    c.roles["repeat_across_events"].add(c.group["multi_poster"][1])
    e0_roles = _others.plant_e0(w, c)
    _e1.plant_reports(w, c)
    venues = plant_venues(w, c, star)
    w.tables["events"].add(
        event_id=[_e1.E1],
        name=[tx.E1_NAME],
        started_at=np.array([_e1.T0], np.int64),
        keywords=[tx.E1_KEYWORDS],
        entities=[tx.E1_ENTITIES],
        target_ids=[[c.acc["victim"]]],
    )

    e1_roles = dict(c.roles)
    e1_roles["operating_mcn_members"] = set(c.group["operating_mcn_members"])
    e1_roles["expired_affiliation"] = {c.acc["army_expired"]}
    e1_roles["late_affiliation"] = {c.acc["army_late"]}
    events = {_e1.E1: e1_roles, _others.E2: e2_roles, _others.E0: e0_roles}
    frame = _hidden_contents(w)
    takers = _participants(w)
    for event, roles in events.items():
        _finish_roles(w, event, roles, takers.get(event, set()), frame)
    _others.write_labels(w, _others.E0, events[_others.E0], sorted(takers[_others.E0]))

    out = {"events": {e: _as_lists(r) for e, r in events.items()}}
    out["events"][_e1.E1].update(
        operating_mcn=_e1.MCN_OPERATING,
        news_mcn=_e1.MCN_NEWS,
        bystander_mcns=sorted([_e1.MCN_BYSTANDER, _e1.MCN_NEWS]),
        uninvolved_mcns=sorted(_e1.MCN_UNINVOLVED),
    )
    out["events"][_e1.E1]["venues"] = venues
    out["events"][_others.E2].update(
        operating_mcn=None,
        news_mcn=None,
        bystander_mcns=[],
        uninvolved_mcns=sorted(
            [_e1.MCN_OPERATING, _e1.MCN_NEWS, _e1.MCN_BYSTANDER] + _e1.MCN_UNINVOLVED
        ),
    )
    out["events"][_others.E0].update(
        operating_mcn=_e1.MCN_OPERATING,
        news_mcn=_e1.MCN_NEWS,
        bystander_mcns=[_e1.MCN_NEWS],
        uninvolved_mcns=sorted([_e1.MCN_BYSTANDER] + _e1.MCN_UNINVOLVED),
    )
    out["alerts"] = _alert_truth(w, c, frame, star)
    out["extras"] = {
        "splices": {k: sorted(v) for k, v in sorted(c.sources.items())},
        "inciting_contents": {
            "original_post": c.post["incite1"],
            "repost_comment": c.post["incite2"],
        },
        **{k: sorted(v) if isinstance(v, list) else v for k, v in messy.items()},
        "harmful_to_victim": int(
            sum(
                1
                for i in range(len(frame["id"]))
                if frame["bad"][i] and c.acc["victim"] in (frame["targets"][i] or ())
            )
        ),
    }
    if history:
        out["history"] = plant_history(w, c)
        e1 = out["events"][_e1.E1]
        e1["repeat_across_events"] = sorted(
            set(e1["repeat_across_events"]) | set(out["history"]["repeat_offenders"])
        )
    return out


def _participants(w: World) -> dict[str, set]:
    """Accounts with a content or repost in each event (ground truth membership)."""
    out: dict[str, set] = {}
    for table, col in (("contents", "account_id"), ("reposts", "account_id")):
        t = w.tables[table]
        ev, acc = t.column("_event"), t.column(col)
        for e in sorted({x for x in ev if x is not None}):
            out.setdefault(e, set()).update(acc[ev == e].tolist())
    return out


def _finish_roles(w: World, event: str, roles: dict, takers: set, frame: dict) -> None:
    """Derived role lists: participants, minor attackers, identities shared by culprits."""
    for key in ROLE_KEYS:
        roles.setdefault(key, set())
    culprits = set().union(*(roles[r] for r in CULPABLE_ROLES))
    special = culprits | roles["news"] | roles["targets"]
    roles["participant"] = takers - special
    minors = roles["minor_targets"]
    roles["minor_attackers"] = {
        frame["account"][i]
        for i in range(len(frame["id"]))
        if frame["bad"][i]
        and frame["event"][i] == event
        and minors.intersection(frame["targets"][i] or ())
    }
    keys: dict[str, set] = {}
    acc = w.tables["accounts"]
    for a, k in zip(acc.column("account_id"), acc.column("identity_key")):
        if k is not None and a in culprits:
            keys.setdefault(k, set()).add(a)
    roles["shared_identity_culprits"] = set().union(*[v for v in keys.values() if len(v) > 1])


def _as_lists(roles: dict) -> dict:
    return {k: sorted(roles.get(k, ())) for k in ROLE_KEYS}


def _alert_truth(w: World, c, frame: dict, star: str) -> dict:
    def first_bad(target: str) -> str:
        times = [
            frame["time"][i]
            for i in range(len(frame["id"]))
            if frame["bad"][i] and target in (frame["targets"][i] or ())
        ]
        return str(format_times(np.array([min(times)]), 8)[0])

    return {
        "victim": c.acc["victim"],
        "attack_start": first_bad(c.acc["victim"]),
        "minor": c.acc["minor"],
        "minor_attack_start": first_bad(c.acc["minor"]),
        "busy_benign": star,
        "fan_event_day": "2026-03-06",
    }


def _write(w: World, out_dir: Path, fmt: str, show_progress: bool) -> dict:
    total = sum(len(t) for t in w.tables.values())
    bar = None
    if show_progress:
        from tqdm import tqdm

        bar = tqdm(total=total, unit="rows", desc="writing sample")
    try:
        counts = {name: write_table(w.tables[name], out_dir, fmt, progress=bar) for name in SCHEMAS}
    finally:
        if bar is not None:
            bar.close()
    return counts


__all__ = ["generate_incident", "FORMATS", "ROLE_KEYS"]
