"""The seeded sample-incident generator: format, determinism, planted roles, realism checks."""

from __future__ import annotations

import filecmp
import json

import numpy as np
import pandas as pd
import pytest

from pileon.graph.errors import InputError
from pileon.ingest.sample import ROLE_KEYS, generate_incident
from pileon.ingest.sample import _text as tx

E1 = "evt:2026-03-nancheng-teacher"
E2 = "evt:2026-03-beichuan-milktea"
E0 = "evt:2025-10-dongling-nurse"

#: SPEC §2: required and optional columns of every table
SPEC_COLUMNS = {
    "accounts": [
        "account_id",
        "platform",
        "name",
        "created_at",
        "followers",
        "verified",
        "identity_key",
        "is_minor",
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
    ],
    "reposts": ["repost_id", "account_id", "source_id", "reposted_at", "platform", "text"],
    "renames": ["account_id", "new_name", "renamed_at", "old_name"],
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
TIME_COLUMNS = {
    "accounts": ["created_at"],
    "contents": ["posted_at"],
    "reposts": ["reposted_at"],
    "renames": ["renamed_at"],
    "affiliations": ["since", "until"],
    "events": ["started_at"],
    "reports": ["reported_at"],
    "venues": ["created_at", "closed_at"],
    "moderation": ["acted_at"],
}
SCALE = 0.25


@pytest.fixture(scope="module")
def incident(tmp_path_factory):
    """One CSV incident at small scale: (folder, truth, frames)."""
    d = tmp_path_factory.mktemp("sample") / "incident"
    truth = generate_incident(d, seed=7, scale=SCALE)
    frames = {
        t: pd.read_csv(d / f"{t}.csv", dtype=str, keep_default_na=False, na_values=[""])
        for t in SPEC_COLUMNS
    }
    return d, truth, frames


def _time(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, format="ISO8601", utc=True)


def test_same_seed_gives_identical_files_and_another_seed_differs(tmp_path):
    a = generate_incident(tmp_path / "a", seed=3, scale=0.1)
    b = generate_incident(tmp_path / "b", seed=3, scale=0.1)
    c = generate_incident(tmp_path / "c", seed=4, scale=0.1)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(f"{t}.csv" for t in SPEC_COLUMNS)
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", names, shallow=False)
    assert mismatch == [] and errors == []
    assert a["counts"] == b["counts"]
    assert (tmp_path / "a-truth.json").read_bytes() != (tmp_path / "c-truth.json").read_bytes()
    _, mismatch, _ = filecmp.cmpfiles(
        tmp_path / "a", tmp_path / "c", ["contents.csv", "reposts.csv"], shallow=False
    )
    assert mismatch == ["contents.csv", "reposts.csv"]
    assert (
        a["events"][E1]["coordinated"] != c["events"][E1]["coordinated"]
        or a["counts"] != c["counts"]
    )


def test_truth_is_written_beside_the_folder_not_inside(incident):
    d, truth, _ = incident
    assert not any(p.suffix == ".json" for p in d.iterdir())
    on_disk = json.loads((d.parent / "incident-truth.json").read_text(encoding="utf-8"))
    assert truth["truth_path"] == str(d.parent / "incident-truth.json")
    assert on_disk == json.loads(json.dumps({k: v for k, v in truth.items() if k != "truth_path"}))


def test_every_table_holds_the_spec_columns_and_counts(incident):
    _, truth, frames = incident
    for table, cols in SPEC_COLUMNS.items():
        assert set(cols) <= set(frames[table].columns), table
        assert len(frames[table]) == truth["counts"][table], table
        assert len(frames[table]) > 0, table


def test_timestamps_carry_offsets_and_parse(incident):
    _, _, frames = incident
    for table, cols in TIME_COLUMNS.items():
        for col in cols:
            values = frames[table][col].dropna()
            assert values.str.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\+08:00|Z)$").all(), (
                table,
                col,
            )
            assert _time(values).notna().all()


def test_ids_are_unique_across_the_store(incident):
    _, _, f = incident
    accounts, contents, reposts = (
        f["accounts"].account_id,
        f["contents"].content_id,
        f["reposts"].repost_id,
    )
    assert (
        accounts.is_unique
        and contents.is_unique
        and reposts.is_unique
        and f["reports"].report_id.is_unique
    )
    every = pd.concat([accounts, contents, reposts, f["mcns"].mcn_id, f["events"].event_id])
    assert every.is_unique
    assert every.str.contains(":").all()


def test_references_resolve_except_the_planted_deleted_sources(incident):
    _, truth, f = incident
    accounts = set(f["accounts"].account_id)
    items = set(f["contents"].content_id) | set(f["reposts"].repost_id)
    assert set(f["contents"].account_id) <= accounts and set(f["reposts"].account_id) <= accounts
    assert set(f["contents"].reply_to.dropna()) <= items
    dangling = set(f["reposts"].source_id) - items
    assert dangling == set(truth["extras"]["deleted_sources"])
    targets = {t for v in f["contents"].target_ids.dropna() for t in v.split("|")}
    assert targets <= accounts
    assert set(f["affiliations"].mcn_id) <= set(f["mcns"].mcn_id)
    assert set(f["labels"].account_id) <= accounts


def test_a_repost_never_precedes_its_parent(incident):
    _, _, f = incident
    times = pd.concat(
        [
            pd.Series(_time(f["contents"].posted_at).to_numpy(), index=f["contents"].content_id),
            pd.Series(_time(f["reposts"].reposted_at).to_numpy(), index=f["reposts"].repost_id),
        ]
    )
    r = f["reposts"][f["reposts"].source_id.isin(times.index)]
    assert (times.loc[r.repost_id].to_numpy() >= times.loc[r.source_id].to_numpy()).all()
    # each account reposts a given content at most once (as the co-repost peer tool assumes)
    assert not f["reposts"].duplicated(["account_id", "source_id"]).any()
    # chains exist: some reposts repost a repost
    assert r.source_id.isin(f["reposts"].repost_id).sum() > 100


def test_every_planted_role_is_present(incident):
    _, truth, f = incident
    e1 = truth["events"][E1]
    for key in ROLE_KEYS:
        assert e1[key], key
    renamed = set(e1["impersonator"]) - set(e1["impersonator_new_account"])
    assert len(e1["first_poster"]) == 3 and len(e1["splicer"]) == 2 and len(renamed) == 2
    assert len(e1["impersonator_new_account"]) == 2 and len(e1["venue_creator"]) == 2
    assert 5 <= len(e1["multi_poster"]) <= 8 and 30 <= len(e1["coordinated"]) <= 60
    assert set(e1["inciter_via_repost_comment"]) < set(e1["inciter"])
    assert e1["operating_mcn"] and e1["news_mcn"] and e1["bystander_mcns"] and e1["uninvolved_mcns"]
    for event in (E2, E0):
        for key in ("first_poster", "inciter", "multi_poster", "participant", "targets"):
            assert truth["events"][event][key], (event, key)
    assert truth["events"][E0]["coordinated"]
    assert set(f["labels"].event_id) == {E0}


def test_e2_accounts_stay_out_of_e1_except_the_repeat_culprit(incident):
    _, truth, _ = incident

    def everyone(roles):
        return set().union(*(set(roles[k]) for k in ROLE_KEYS))

    e1, e2 = truth["events"][E1], truth["events"][E2]
    shared = everyone(e1) & everyone(e2)
    assert shared == set(e1["repeat_across_events"]) == set(e2["repeat_across_events"])
    assert shared <= set(e1["multi_poster"]) and shared <= set(e2["multi_poster"])


def test_renames_plant_impersonators_and_traps(incident):
    _, truth, f = incident
    e1 = truth["events"][E1]
    r = f["renames"].assign(t=_time(f["renames"].renamed_at))
    start = _time(f["events"].set_index("event_id").loc[[E1], "started_at"]).iloc[0]
    renamed = sorted(set(e1["impersonator"]) - set(e1["impersonator_new_account"]))
    for a in renamed:
        first = r[r.account_id == a].sort_values("t").iloc[0]
        assert pd.Timedelta(0) < first.t - start < pd.Timedelta(days=1)
        assert tx.VICTIM in first.new_name or tx.SCHOOL_SHORT in first.new_name
    assert (r.account_id.value_counts()[renamed] >= 1).all()
    assert any((r.account_id == a).sum() == 2 for a in renamed)  # renamed back
    # the traps: an old rename, a rename after the event, a supporter's new account
    never = [a for a in e1["not_impersonator"] if not (r.account_id == a).any()]
    assert len(never) == 1
    old, unrelated = sorted(
        set(e1["not_impersonator"]) - set(never), key=lambda a: r[r.account_id == a].t.min()
    )
    assert start - r[r.account_id == old].t.max() > pd.Timedelta(days=180)
    assert r[r.account_id == unrelated].t.max() > start


def test_army_is_created_in_a_burst_with_few_followers_and_half_signed(incident):
    _, truth, f = incident
    e1 = truth["events"][E1]
    acc = f["accounts"].set_index("account_id")
    army = acc.loc[e1["coordinated"]]
    burst = army[army.index != e1["expired_affiliation"][0]]
    created = _time(burst.created_at)
    assert created.max() - created.min() < pd.Timedelta(hours=2)
    assert burst.followers.astype(int).max() < 100
    assert burst.identity_key.notna().sum() >= 6
    aff = f["affiliations"]
    start = _time(f["events"].set_index("event_id").loc[[E1], "started_at"]).iloc[0]
    op = aff[aff.mcn_id == e1["operating_mcn"]]
    during = (_time(op.since) <= start) & (op.until.isna() | (_time(op.until) >= start))
    signed = set(op[during].account_id) & set(e1["coordinated"])
    assert 0.3 * len(burst) <= len(signed) <= 0.7 * len(burst)
    assert signed | set(e1["first_poster"]) >= set(e1["operating_mcn_members"]) >= signed
    assert op.until.notna().sum() >= 3
    assert not set(e1["late_affiliation"]) & signed and set(e1["late_affiliation"]) <= set(
        op.account_id
    )
    ended = aff[aff.account_id == e1["expired_affiliation"][0]]
    assert (
        _time(ended.until)
        < _time(f["events"].set_index("event_id").loc[[E1], "started_at"]).iloc[0]
    ).all()


def test_army_reposts_land_within_minutes_of_each_other(incident):
    _, truth, f = incident
    army = set(truth["events"][E1]["coordinated"])
    r = f["reposts"][f["reposts"].account_id.isin(army)].assign(t=_time(f["reposts"].reposted_at))
    spread = r.groupby("source_id").t.agg(lambda s: s.max() - s.min())
    big = r.source_id.value_counts()
    waves = spread[big[big >= 20].index]
    assert len(waves) >= 3 and (waves < pd.Timedelta(minutes=15)).all()


def test_copies_are_near_duplicates_and_splices_are_not(incident):
    _, truth, f = incident
    c = f["contents"].set_index("content_id")
    originals = {k: tx.original(v) for k, v in tx.NARRATIVES.items()}
    for splice, sources in truth["extras"]["splices"].items():
        text = c.loc[splice, "text"]
        assert all(tx.jaccard(text, originals[k]) < 0.5 for k in originals)
        assert len({c.loc[s, "platform"] for s in sources}) == 2 and c.loc[
            splice, "platform"
        ] not in {c.loc[s, "platform"] for s in sources}
        for s in sources:  # a whole sentence of each source appears in the splice
            assert any(part and part in text for part in c.loc[s, "text"].split("，"))
    copies = c[c.text.fillna("").str.contains("耳膜穿孔") & (c.kind != "comment")]
    assert len(copies) >= 10 and copies.platform.nunique() >= 2
    assert all(tx.jaccard(t, originals["A"]) >= 0.7 for t in copies.text if "整理一下" not in t)


def test_harm_is_missing_on_some_harmful_contents(incident):
    _, truth, f = incident
    c = f["contents"]
    story = c[c.text.fillna("").str.contains("东湖派出所上班") & (c.kind != "comment")]
    assert story.harm.isna().any() and story.harm.notna().any()
    assert 0.03 < c.harm.isna().mean() < 0.3
    assert c.event_id.isna().mean() > 0.4


def test_alert_plantings(incident):
    _, truth, f = incident
    al = truth["alerts"]
    c = f["contents"].assign(t=_time(f["contents"].posted_at))
    start = pd.Timestamp(al["attack_start"]).tz_convert("UTC")
    aimed = c[
        c.target_ids.fillna("").str.contains(al["victim"], regex=False)
        | c.reply_to.isin(c[c.account_id == al["victim"]].content_id)
    ]
    before = aimed[(aimed.t < start) & (aimed.t >= start - pd.Timedelta(days=14))]
    after = aimed[(aimed.t >= start) & (aimed.t < start + pd.Timedelta(days=1))]
    assert len(before) >= 30 and before.harm.astype(float).max() < 0.2
    assert len(after) > 5 * len(before) / 14
    star = c[c.reply_to.isin(c[c.account_id == al["busy_benign"]].content_id)]
    day = star.t.dt.tz_convert("Asia/Shanghai").dt.date.astype(str)
    per_day = day.value_counts()
    assert per_day[al["fan_event_day"]] > 4 * per_day.median()
    assert star.harm.astype(float).quantile(0.99) < 0.5
    minor = f["accounts"].set_index("account_id").loc[al["minor"]]
    assert minor.is_minor == "true"
    rep = f["reports"]
    assert (rep.involves_minor == "true").sum() >= 5


def test_every_e1_content_can_be_tied_to_its_event():
    """Ground-truth membership: a content of E1 without event_id names a keyword or entity,
    replies to an E1 content, or is a copy; reposts follow their source."""
    from pileon.ingest.sample import _build
    from pileon.ingest.sample._world import World

    w = World(5, 0.1)
    _build(w)
    t = w.tables["contents"]
    ids, ev, eid, text, reply = (
        t.column(k) for k in ("content_id", "_event", "event_id", "text", "reply_to")
    )
    r = w.tables["reposts"]
    e1 = set(ids[ev == E1]) | set(r.column("repost_id")[r.column("_event") == E1])
    terms = tx.E1_KEYWORDS + tx.E1_ENTITIES
    for i in np.flatnonzero(ev == E1):
        ok = eid[i] == E1 or any(k in (text[i] or "") for k in terms) or reply[i] in e1
        assert ok, (ids[i], text[i])
    e2_terms = tx.E2_KEYWORDS + tx.E2_ENTITIES
    assert not any(any(k in (text[i] or "") for k in e2_terms) for i in np.flatnonzero(ev == E1))


def test_scale_one_gives_about_twenty_thousand_reposts(tmp_path):
    truth = generate_incident(tmp_path / "one", seed=0, scale=1.0, fmt="parquet")
    assert 15_000 <= truth["counts"]["reposts"] <= 30_000
    assert 200 <= len(truth["events"][E1]["participant"])


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_other_formats_hold_the_same_rows(incident, tmp_path, fmt):
    _, truth, frames = incident
    d = tmp_path / fmt
    other = generate_incident(d, seed=7, scale=SCALE, fmt=fmt)
    assert other["counts"] == truth["counts"]
    for table in SPEC_COLUMNS:
        path = d / f"{table}.{fmt}"
        df = (
            pd.read_json(path, lines=True, dtype=False) if fmt == "jsonl" else pd.read_parquet(path)
        )
        assert len(df) == truth["counts"][table]
        assert set(SPEC_COLUMNS[table]) - {
            "text",
            "identity_key",
            "is_minor",
            "until",
            "reply_to",
            "event_id",
            "media_hash",
            "url",
            "harm",
            "target_ids",
            "content_id",
            "account_id",
            "reporter_id",
            "involves_minor",
        } <= set(df.columns)
    ev = (
        pd.read_json(d / "events.jsonl", lines=True)
        if fmt == "jsonl"
        else pd.read_parquet(d / "events.parquet")
    )
    assert list(ev.set_index("event_id").loc[E1, "keywords"]) == tx.E1_KEYWORDS
    c = (
        pd.read_json(d / "contents.jsonl", lines=True, dtype=False)
        if fmt == "jsonl"
        else pd.read_parquet(d / "contents.parquet")
    )
    assert c.content_id.tolist() == frames["contents"].content_id.tolist()


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(InputError):
        generate_incident(tmp_path / "x", fmt="xml")
    with pytest.raises(InputError):
        generate_incident(tmp_path / "x", scale=0)
    with pytest.raises(InputError):
        generate_incident(tmp_path / "x", seed=-1)


def test_files_do_not_depend_on_the_python_hash_seed(tmp_path):
    """Byte-identical across processes too (no iteration over Python sets or dicts of strings
    leaks into the output): a child with a fixed hash seed against this process's own."""
    import os
    import subprocess
    import sys

    code = "import sys; from pileon.ingest.sample import generate_incident; generate_incident(sys.argv[1], seed=2, scale=0.05)"
    env = dict(
        os.environ,
        PYTHONHASHSEED="12345" if os.environ.get("PYTHONHASHSEED") != "12345" else "54321",
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "child")], check=True, env=env)
    generate_incident(tmp_path / "here", seed=2, scale=0.05)
    names = sorted(p.name for p in (tmp_path / "here").iterdir())
    _, mismatch, errors = filecmp.cmpfiles(
        tmp_path / "child", tmp_path / "here", names, shallow=False
    )
    assert mismatch == [] and errors == []
    assert (tmp_path / "child-truth.json").read_bytes() == (
        tmp_path / "here-truth.json"
    ).read_bytes()


def test_a_new_sample_replaces_tables_of_another_format(tmp_path):
    d = tmp_path / "x"
    generate_incident(d, seed=1, scale=0.02)
    (d / "notes.txt").write_text("mine", encoding="utf-8")
    generate_incident(d, seed=1, scale=0.02, fmt="jsonl")
    assert sorted(p.name for p in d.iterdir()) == sorted(
        [f"{t}.jsonl" for t in SPEC_COLUMNS] + ["notes.txt"]
    )


def test_platforms_are_consistent(incident):
    """A repost or reply lives on its parent's platform, a message on its recipient's, and an
    ID carries its platform."""
    _, _, f = incident
    acc = f["accounts"].set_index("account_id").platform
    c, r = f["contents"], f["reposts"]
    for df, key in ((f["accounts"], "account_id"), (c, "content_id"), (r, "repost_id")):
        assert (df[key].str.split(":").str[0] == df.platform).all()
    assert (c.platform.to_numpy() == acc.loc[c.account_id].to_numpy()).all()
    assert (r.platform.to_numpy() == acc.loc[r.account_id].to_numpy()).all()
    plat = pd.concat([c.set_index("content_id").platform, r.set_index("repost_id").platform])
    known = r[r.source_id.isin(plat.index)]
    assert (known.platform.to_numpy() == plat.loc[known.source_id].to_numpy()).all()
    replies = c[c.reply_to.notna()]
    assert (replies.platform.to_numpy() == plat.loc[replies.reply_to].to_numpy()).all()
    dms = c[c.kind == "dm"]
    assert len(dms) and (dms.platform.to_numpy() == acc.loc[dms.target_ids].to_numpy()).all()


def test_nobody_acts_before_their_account_exists(incident):
    _, _, f = incident
    created = _time(f["accounts"].set_index("account_id").created_at)
    for table, col in (
        ("contents", "posted_at"),
        ("reposts", "reposted_at"),
        ("renames", "renamed_at"),
        ("affiliations", "since"),
    ):
        df = f[table]
        assert (_time(df[col]).to_numpy() >= created.loc[df.account_id].to_numpy()).all(), table
