"""A store with history on the independent generator, so as not to tune to our own sample: the main event of a :mod:`tests.altgen` incident is copied a year earlier
with other account and content IDs into an event of its own, two of its culprits acting
in both; this year's report must stay the same but for the resurfacing evidence and those
two repeat offenders.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pileon.graph.embedded import EmbeddedStore
from pileon.ingest.load import load_folder
from pileon.service.analysis import analyze
from tests.altgen import generate, write_incident
from tests.helpers import assert_same_findings

SHIFT = 365 * 86400.0  # seconds


def past_copy(inc, members: set[str], keep: set[str]) -> tuple[dict, str]:
    """Rows (the generator's own: times in epoch seconds) of the event's items ``members``
    and the contents and reposts they answer or repost, a year earlier, by other accounts
    (all but ``keep``), in an event of its own; returns ``(tables, past event_id)``."""
    t = inc.tables
    event = next(e for e in t["events"] if e["event_id"] == inc.truth["event"])
    past = event["event_id"] + "-a-year-before"
    contents = {row["content_id"]: row for row in t["contents"]}
    reposts = {row["repost_id"]: row for row in t["reposts"]}
    items, todo = set(), list(members)
    while todo:
        x = todo.pop()
        if x in items or (x not in contents and x not in reposts):
            continue
        items.add(x)
        todo.append(contents[x]["reply_to"] if x in contents else reposts[x]["source_id"])

    def new(x):
        return None if x is None else f"{x}-y1"

    def who(a):
        return a if a is None or a in keep else new(a)

    def shift(v):
        return None if v is None else v - SHIFT

    authors = {contents[x]["account_id"] for x in items if x in contents}
    authors |= {reposts[x]["account_id"] for x in items if x in reposts}
    out: dict[str, list] = {name: [] for name in t}
    for row in t["accounts"]:
        if row["account_id"] in authors - keep:
            key = row["identity_key"]
            out["accounts"].append(
                {
                    **row,
                    "account_id": new(row["account_id"]),
                    "created_at": shift(row["created_at"]),
                    "identity_key": None if key is None else f"{key}-y1",
                }
            )
    for x in sorted(items):
        if x in contents:
            row = contents[x]
            out["contents"].append(
                {
                    **row,
                    "content_id": new(x),
                    "account_id": who(row["account_id"]),
                    "posted_at": shift(row["posted_at"]),
                    "reply_to": new(row["reply_to"]),
                    "event_id": past if row["event_id"] == event["event_id"] else None,
                    "target_ids": [who(a) for a in row["target_ids"]],
                    "url": None,
                }
            )
        else:
            row = reposts[x]
            out["reposts"].append(
                {
                    **row,
                    "repost_id": new(x),
                    "account_id": who(row["account_id"]),
                    "source_id": new(row["source_id"]),
                    "reposted_at": shift(row["reposted_at"]),
                }
            )
    moved = {a for a in authors if a not in keep}
    for row in t["renames"]:
        if row["account_id"] in moved:
            out["renames"].append(
                {
                    **row,
                    "account_id": new(row["account_id"]),
                    "renamed_at": shift(row["renamed_at"]),
                }
            )
    for row in t["affiliations"]:
        if row["account_id"] in moved:
            out["affiliations"].append(
                {
                    **row,
                    "account_id": new(row["account_id"]),
                    "since": shift(row["since"]),
                    "until": shift(row["until"]),
                }
            )
    for row in t["reports"]:
        if row["content_id"] in items:
            out["reports"].append(
                {
                    **row,
                    "report_id": new(row["report_id"]),
                    "reported_at": shift(row["reported_at"]),
                    "reporter_id": who(row["reporter_id"]),
                    "content_id": new(row["content_id"]),
                    "account_id": who(row["account_id"]),
                }
            )
    out["events"].append({**event, "event_id": past, "started_at": shift(event["started_at"])})
    return out, past


def _analyze(folder: Path, event: str) -> tuple[dict, EmbeddedStore]:
    store = EmbeddedStore(str(folder.parent / f"{folder.name}.db"))
    load_folder(store, folder, reject_path=folder.parent / f"{folder.name}-rejects.csv")
    report = analyze(store, event, seed=0, model=None, save=False)
    return {k: v for k, v in report.items() if k != "generated_at"}, store


@pytest.mark.parametrize("seed", [0, 3])
def test_a_year_old_copy_leaves_this_years_findings(tmp_path, seed):
    inc = generate(seed, "small")
    event = inc.truth["event"]
    plain, store = _analyze(write_incident(inc, tmp_path / "plain"), event)
    # the repeat offenders: two culprits of tier 3 outside any MCN (whose measures would
    # otherwise follow their tier), acting in both incidents as themselves
    signed = {row["account_id"] for row in inc.tables["affiliations"]}
    tier3 = {a["account_id"] for a in plain["accounts"] if a["tier"] == 3}
    repeat = set(
        sorted(
            a for a in inc.truth["repeat_posters"] + inc.truth["splicers"] if a in tier3 - signed
        )[:2]
    )
    assert len(repeat) == 2
    keep = repeat | {inc.truth["victim"], inc.truth["minor"]}
    members = store.memberships(event)
    members = set(members.loc[members["via"] != "source", "content_id"])
    extra, past = past_copy(inc, members, keep)
    both = {name: rows + extra.get(name, []) for name, rows in inc.tables.items()}
    hist, hstore = _analyze(write_incident(replace(inc, tables=both), tmp_path / "hist"), event)
    # the copy is in the store, in its own event, and none of it in this year's
    assert len(hstore.memberships(past)) > 0.5 * len(members)
    assert not set(hstore.memberships(event)["content_id"]) & set(
        hstore.memberships(past)["content_id"]
    )
    assert_same_findings(plain, hist, past=past, repeat=repeat)
