"""Real data (Twitter16, CED Weibo): converters, and every narrative/cascade layer on messy real cascades."""

import ast
import json
from pathlib import Path

import pandas as pd
import pytest

from pileon.detectors.cascades import repost_forest
from pileon.detectors.narratives import detect_narratives
from pileon.detectors.posters import detect_first_posters, detect_inciters, detect_multi_posters
from pileon.graph.model import TABLES
from pileon.graph.projection import Projection
from pileon.ingest.realdata import ced_tables, twitter16_tables

DATA = Path("/work/shared/data")
T16 = DATA / "twitter16"
CED = DATA / "ced-sample"
N = 40

needs_t16 = pytest.mark.skipif(not (T16 / "tree").exists(), reason="Twitter16 not present")
needs_ced = pytest.mark.skipif(
    not (CED / "original-microblog").exists(), reason="CED sample not present"
)


def _projection(tables, event_id):
    """A projection of converted tables (rows sorted by key, as the store would give them)."""

    def by_key(name):
        df = tables[name]
        return df.sort_values(list(TABLES[name].key), kind="mergesort").reset_index(drop=True)

    return Projection.from_tables(
        {"event_id": event_id},
        contents=by_key("contents"),
        reposts=by_key("reposts"),
        accounts=by_key("accounts"),
    )


@pytest.fixture(scope="module")
def t16():
    tables = twitter16_tables(T16, limit=N, events="all")
    return tables, _projection(tables, "twitter16")


@needs_t16
def test_twitter16_tables_follow_spec(t16):
    tables, _ = t16
    for name in ("accounts", "contents", "reposts", "events"):
        assert set(TABLES[name].required) <= set(tables[name].columns)
    assert len(tables["contents"]) == N and tables["contents"]["content_id"].is_unique
    assert tables["reposts"]["repost_id"].is_unique
    assert tables["reposts"]["account_id"].str.startswith("twitter:").all()
    per_cascade = twitter16_tables(T16, limit=3)
    assert len(per_cascade["events"]) == 3
    assert (
        per_cascade["events"]["event_id"].tolist() == per_cascade["contents"]["event_id"].tolist()
    )


@needs_t16
def test_twitter16_first_poster_is_root_author_and_size_is_one_plus_retweets(t16):
    tables, p = t16
    res = detect_narratives(p)
    by = res.by_id()
    assert len(res.narratives) == N  # no text, no media: every root is a narrative of its own
    reposts_of = tables["reposts"]["repost_id"].str.extract(r"^twitter:(\d+)/")[0].value_counts()
    for f in sorted((T16 / "tree").glob("*.txt"), key=lambda f: (len(f.stem), f.stem))[:N]:
        first = f.read_text(encoding="utf-8").splitlines()[0]
        parent, child = (ast.literal_eval(x) for x in first.split("->"))
        assert parent[0] == "ROOT"
        n = by[f"n-twitter:{f.stem}"]
        assert n.first_poster == f"twitter:{child[0]}"
        assert n.size == 1 + int(reposts_of.get(f.stem, 0))
    assert sum(n.size for n in res.narratives) == len(p.contents) + len(p.reposts)
    forest = repost_forest(p)
    assert (forest["root_kind"] == "content").all()
    assert (
        forest["root_id"] == "twitter:" + forest["repost_id"].str.extract(r"^twitter:(\d+)/")[0]
    ).all()
    assert forest["depth"].max() >= 2  # real retweet chains


@needs_t16
def test_twitter16_detectors_cope_without_text_or_harm(t16):
    _, p = t16
    res = detect_narratives(p)
    assert not any(n.harmful for n in res.narratives)  # nothing tells harm: not harmful
    assert detect_first_posters(p, res) == [] and detect_multi_posters(p, res) == []
    assert detect_inciters(p, res) == []


@pytest.fixture(scope="module")
def ced():
    tables = ced_tables(CED, limit=N, events="all")
    return tables, _projection(tables, "ced")


def _ced_files():
    return sorted(
        (CED / "original-microblog").glob("*.json"), key=lambda f: int(f.name.split("_")[0])
    )[:N]


@needs_ced
def test_ced_first_poster_and_sizes(ced):
    tables, p = ced
    res = detect_narratives(p)
    by_content = {cid: res.by_id()[res.of_content[cid]] for cid in tables["contents"]["content_id"]}
    for f in _ced_files():
        _, mid, uid = f.stem.split("_", 2)
        entries = json.loads((CED / "non-rumor-repost" / f.name).read_text(encoding="utf-8"))
        n = by_content[f"weibo:{mid}"]
        assert n.first_poster == f"weibo:{uid}" and n.first_content_id == f"weibo:{mid}"
        n_reposts = len({e["mid"] for e in entries} - {mid})
        assert n.content_ids == (f"weibo:{mid}",) and n.size == 1 + n_reposts
    assert sum(n.size for n in res.narratives) == len(p.contents) + len(res.missing_sources) + len(
        p.reposts
    )


@needs_ced
def test_ced_near_duplicates_on_real_chinese_text(ced):
    tables, p = ced
    base = detect_narratives(p)
    # real originals about different things stay apart
    assert len(base.narratives) == N
    # a copy with small edits by another account, on another platform, joins its original
    orig = tables["contents"].iloc[7]
    text = orig["text"]
    copy = "转：" + text.replace("，", "。", 1).replace("的", "得", 1)[:-1] + "！！"
    extra = pd.DataFrame(
        [
            {
                "content_id": "douyin:copy1",
                "account_id": "douyin:copier",
                "platform": "douyin",
                "posted_at": "2030-01-01T00:00:00+08:00",
                "text": copy,
            }
        ]
    )
    contents = pd.concat([tables["contents"], extra], ignore_index=True)
    p2 = _projection({**tables, "contents": contents}, "ced")
    res = detect_narratives(p2)
    assert res.of_content["douyin:copy1"] == res.of_content[orig["content_id"]]
    n = res.by_id()[res.of_content["douyin:copy1"]]
    assert n.first_content_id == orig["content_id"] and n.platforms == ("douyin", "weibo")


@needs_ced
def test_ced_comments_with_repost_chains_do_not_explode_narratives(ced):
    """Weibo appends the chain ``//@name:earlier text`` to every repost comment; treat the
    real CED repost comments as comments WITH such chains: the grouping must be the one of
    the comments' own words (chains quote others and would glue everything together)."""
    tables, _ = ced
    r = tables["reposts"]
    r = r[r["text"].fillna("").str.strip().str.len() > 0].head(3000).reset_index(drop=True)
    top = tables["contents"].set_index("content_id")["text"]
    # the chain each comment would carry: the original's text, quoted by its author
    chained = r["text"] + "//@原博主:" + r["source_id"].map(top).fillna("转发微博")

    def as_comments(texts):
        return (
            pd.DataFrame(
                {
                    "content_id": r["repost_id"],
                    "account_id": r["account_id"],
                    "platform": "weibo",
                    "posted_at": r["reposted_at"],
                    "text": texts,
                    "kind": "comment",
                    "reply_to": r["source_id"],
                }
            )
            .sort_values("content_id")
            .reset_index(drop=True)
        )

    plain = detect_narratives(
        Projection.from_tables({"event_id": "c"}, contents=as_comments(r["text"]))
    )
    chain = detect_narratives(
        Projection.from_tables({"event_id": "c"}, contents=as_comments(chained))
    )
    assert chain.of_content == plain.of_content
    largest = max(n.size for n in chain.narratives)
    assert len(chain.narratives) > 0.5 * len(r) and largest < 0.05 * len(r)


def test_ced_messy_dates_users_and_deleted_parents(tmp_path):
    (tmp_path / "original-microblog").mkdir()
    (tmp_path / "non-rumor-repost").mkdir()
    name = "7_AbCdEf_12345.json"
    (tmp_path / "original-microblog" / name).write_text(
        json.dumps({"text": "原博", "time": "Mon Dec 30 12:07:05 +0800 2013", "user": "某某用户"}),
        encoding="utf-8",
    )
    (tmp_path / "non-rumor-repost" / name).write_text(
        json.dumps(
            [
                {"uid": "u1", "mid": "m1", "parent": "", "text": "", "date": "2013-12-30 13:00:00"},
                {
                    "uid": "u2",
                    "mid": "m2",
                    "parent": "m1",
                    "text": "好//@u1:",
                    "date": "01月02日 08:30",
                },
                {"uid": "u3", "mid": "m3", "parent": "gone", "text": "x", "date": "12月31日 09:00"},
                {"uid": "u4", "mid": "m4", "parent": "", "text": "x", "date": "not a date"},
                {
                    "uid": "u1",
                    "mid": "m1",
                    "parent": "",
                    "text": "dup",
                    "date": "2013-12-30 13:00:00",
                },
            ],
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    t = ced_tables(tmp_path)
    c, r = t["contents"], t["reposts"].set_index("repost_id")
    assert (
        c.loc[0, "posted_at"] == "2013-12-30T12:07:05+08:00"
        and c.loc[0, "account_id"] == "weibo:12345"
    )
    assert t["accounts"].set_index("account_id").loc["weibo:12345", "name"] == "某某用户"
    assert r.loc["weibo:m1", "source_id"] == "weibo:AbCdEf"
    assert r.loc["weibo:m2", "source_id"] == "weibo:m1"
    assert (
        r.loc["weibo:m2", "reposted_at"] == "2014-01-02T08:30:00+08:00"
    )  # next year: after the original
    assert r.loc["weibo:m3", "reposted_at"] == "2013-12-31T09:00:00+08:00"
    assert (
        r.loc["weibo:m3", "source_id"] == "weibo:gone"
    )  # a deleted parent stays (placeholder on ingest)
    assert "weibo:m4" not in r.index and int(t["events"]["dropped"].sum()) == 1
    assert len(r) == 3


@pytest.mark.slow
@pytest.mark.skipif(
    not __import__("os").environ.get("PILEON_FULL_REALDATA"),
    reason="full datasets: set PILEON_FULL_REALDATA=1 (about a minute)",
)
@pytest.mark.parametrize("dataset", ["twitter16", "ced"])
def test_full_datasets(dataset, capsys):
    """Every cascade of the full dataset: root author first, size 1 + its reposts; times printed."""
    import time

    from pileon.detectors.cascades import reach

    t0 = time.perf_counter()
    if dataset == "twitter16":
        tables = twitter16_tables(T16, events="all")
    else:
        tables = ced_tables(CED, events="all")
    t1 = time.perf_counter()
    p = _projection(tables, dataset)
    t2 = time.perf_counter()
    forest = repost_forest(p)
    t3 = time.perf_counter()
    r = reach(p)
    t4 = time.perf_counter()
    res = detect_narratives(p)
    t5 = time.perf_counter()
    found = [fn(p, res) for fn in (detect_first_posters, detect_multi_posters, detect_inciters)]
    t6 = time.perf_counter()
    per_root = forest.groupby("root_id").size()
    c = tables["contents"]
    by = res.by_id()
    for cid, author in zip(c["content_id"], c["account_id"]):
        n = by[res.of_content[cid]]
        if n.content_ids == (cid,):
            assert n.first_poster == author and n.size == 1 + int(per_root.get(cid, 0))
    assert sum(n.size for n in res.narratives) == len(p.contents) + len(res.missing_sources) + len(
        p.reposts
    )
    with capsys.disabled():
        print(
            f"\n{dataset}: {len(c)} cascades, {len(p.reposts)} reposts, {len(tables['accounts'])} accounts, "
            f"max depth {forest['depth'].max()}, {len(res.narratives)} narratives "
            f"({sum(len(n.content_ids) > 1 for n in res.narratives)} with copies), "
            f"missing sources {len(res.missing_sources)}, findings {[len(f) for f in found]}; "
            f"convert {t1 - t0:.1f}s, projection {t2 - t1:.1f}s, forest {t3 - t2:.2f}s, "
            f"reach {t4 - t3:.2f}s, narratives {t5 - t4:.2f}s, posters {t6 - t5:.2f}s; "
            f"largest downstream {int(r['downstream'].max())}"
        )
