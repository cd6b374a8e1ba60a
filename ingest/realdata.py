"""Converters of public real-data cascades into the input tables of SPEC §2.

Two datasets (see ``/work/shared/data/README.md``):

* **Twitter16** (Ma, Gao and Wong, ACL 2017): retweet trees without text.
  :func:`twitter16_tables` makes one content per root tweet (``twitter:<root id>``,
  posted at the time read from the tweet ID, a Twitter snowflake) and one repost per
  other node of the tree (a node is a whole ``[uid, tweet id, minutes]`` triple, since
  retweets carry the root's tweet ID), with its parent node as ``source_id``.  A node
  listed under a second parent keeps the first; an edge back to the root node is
  dropped (the root is the content); retweets timed before their parent are kept as
  published.  The veracity label goes into an extra ``label`` column of ``contents``.
* **CED** (Song et al., 2018): Weibo originals with their reposts and comments (the
  dataset does not tell the two apart: all become reposts).  :func:`ced_tables` makes
  one content per original (``weibo:<mid>``, author from the file name) and one repost
  per entry (``weibo:<mid>``), ``source_id`` its ``parent`` (empty: the original).  A
  parent that is not in the cascade is kept as it is (a deleted source: ingest makes a
  placeholder).  Times are epoch seconds or ``Mon May 27 12:07:05 +0800 2013`` for the
  originals, ``YYYY-MM-DD HH:MM:SS`` (China time) or ``MM月DD日 HH:MM`` (no year: the
  year of the original, or the next one if that would put the repost more than a day
  before the original) for the entries; all are written with ``+08:00``.

Events: ``events="cascade"`` (default) makes one event per cascade
(``twitter16:<root id>`` / ``ced:<mid>``) and sets ``event_id`` on the root content;
reposts join their root's event through the chain (SPEC §2).  ``events="all"`` makes one
event for the whole dataset (``twitter16`` / ``ced``), handy to load everything as one
projection.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> (d / "tree").mkdir()
>>> _ = (d / "label.txt").write_text("false:600000000000000000\\n")
>>> _ = (d / "tree" / "600000000000000000.txt").write_text(
...     "['ROOT', 'ROOT', '0.0']->['11', '600000000000000000', '0.0']\\n"
...     "['11', '600000000000000000', '0.0']->['22', '600000000000000000', '1.5']\\n"
...     "['22', '600000000000000000', '1.5']->['33', '600000000000000000', '4.0']\\n")
>>> t = twitter16_tables(d)
>>> t["contents"][["content_id", "account_id", "label"]].values.tolist()
[['twitter:600000000000000000', 'twitter:11', 'false']]
>>> t["reposts"][["account_id", "source_id"]].values.tolist()
[['twitter:22', 'twitter:600000000000000000'], ['twitter:33', 'twitter:600000000000000000/22/600000000000000000/1.5']]
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from pileon.graph.errors import InputError

__all__ = ["twitter16_tables", "ced_tables", "snowflake_time", "write_tables"]

TWITTER_EPOCH_MS = 1288834974657
CHINA = "+08:00"
_EDGE = re.compile(
    r"\[\s*'([^']*)'\s*,\s*'([^']*)'\s*,\s*'([^']*)'\s*\]\s*->\s*"
    r"\[\s*'([^']*)'\s*,\s*'([^']*)'\s*,\s*'([^']*)'\s*\]"
)


def snowflake_time(tweet_id: int | str) -> pd.Timestamp:
    """UTC time of a Twitter snowflake ID: ``(id >> 22) + 1288834974657`` ms since the epoch.

    >>> snowflake_time(656955120626880512)
    Timestamp('2015-10-21 22:08:01.050000+0000', tz='UTC')
    """
    return pd.Timestamp((int(tweet_id) >> 22) + TWITTER_EPOCH_MS, unit="ms", tz="UTC")


def _iso(ts: pd.Series, offset: str = "Z") -> pd.Series:
    """ISO-8601 text (UTC ``Z``, or local time with ``offset`` such as ``+08:00``)."""
    ts = pd.to_datetime(ts, utc=True)
    if offset == "Z":
        return ts.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3] + "Z"
    sign = 1 if offset[0] == "+" else -1
    hours, minutes = (int(x) for x in offset[1:].split(":"))
    local = ts + sign * pd.Timedelta(hours=hours, minutes=minutes)
    return local.dt.strftime("%Y-%m-%dT%H:%M:%S") + offset


def _check(folder: Path, *names: str) -> None:
    for n in names:
        if not (folder / n).exists():
            raise InputError(f"{folder}: no {n} here (is this the right dataset folder?)")


def twitter16_tables(
    folder: str | Path, limit: int | None = None, *, events: str = "cascade"
) -> dict[str, pd.DataFrame]:
    """Twitter16 cascades as SPEC §2 tables (see the module docstring).

    Parameters
    ----------
    folder : str or Path
        The dataset folder (``label.txt`` and ``tree/``).
    limit : int, optional
        Only the first ``limit`` cascades by root tweet ID (deterministic subsets).
    events : {"cascade", "all"}
        One event per cascade, or one for the whole dataset.

    Returns
    -------
    dict of DataFrame
        ``accounts, contents, reposts, events`` with SPEC §2 columns (times as ISO text).

    Raises
    ------
    InputError
        When the folder is not a Twitter16 folder or a tree line cannot be read.

    Notes
    -----
    One regular-expression pass over the edge lines, then vectorised pandas:
    O(E) for E edges (363,536 in the full dataset).
    """
    folder = Path(folder)
    _check(folder, "tree")
    if events not in ("cascade", "all"):
        raise InputError(f"events must be 'cascade' or 'all', not {events!r}")
    labels = {}
    if (folder / "label.txt").exists():
        for line in (folder / "label.txt").read_text(encoding="utf-8").splitlines():
            if ":" in line:
                lab, rid = line.strip().split(":", 1)
                labels[rid.strip()] = lab.strip()
    files = sorted((folder / "tree").glob("*.txt"), key=lambda f: (len(f.stem), f.stem))
    if limit is not None:
        files = files[:limit]
    rows = []
    for f in files:
        root = f.stem
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            m = _EDGE.search(line)
            if m is None:
                raise InputError(f"{f}:{n}: not an edge line")
            rows.append((root, *m.groups()))
    e = pd.DataFrame(rows, columns=["root", "pu", "pt", "pm", "cu", "ct", "cm"])
    rootrow = e[e["pu"] == "ROOT"].drop_duplicates(subset=["root"])
    root_of = rootrow.set_index("root")[["cu", "ct", "cm"]]
    e = e[e["pu"] != "ROOT"]
    # drop edges into the root node; keep the first parent of every node
    rt = root_of.reindex(e["root"]).to_numpy()
    is_root_child = (e[["cu", "ct", "cm"]].to_numpy() == rt).all(axis=1)
    e = e[~is_root_child].drop_duplicates(subset=["root", "cu", "ct", "cm"], keep="first")
    rt = root_of.reindex(e["root"]).to_numpy()
    parent_is_root = (e[["pu", "pt", "pm"]].to_numpy() == rt).all(axis=1)

    root_ids = sorted(set(root_of.index), key=lambda s: (len(s), s))
    posted = pd.Series([snowflake_time(r) for r in root_ids], index=root_ids)
    node_id = lambda r, u, t, m: "twitter:" + r + "/" + u + "/" + t + "/" + m  # noqa: E731
    rep_id = node_id(e["root"], e["cu"], e["ct"], e["cm"])
    src = np.where(
        parent_is_root, "twitter:" + e["root"], node_id(e["root"], e["pu"], e["pt"], e["pm"])
    )
    minutes = pd.to_numeric(e["cm"], errors="coerce").fillna(0.0)
    reposted = posted.reindex(e["root"]).reset_index(drop=True) + pd.Series(
        pd.to_timedelta(minutes.to_numpy(), unit="m")
    )
    ev_of = (
        ("twitter16:" + pd.Series(root_ids, index=root_ids))
        if events == "cascade"
        else pd.Series("twitter16", index=root_ids)
    )
    reposts = pd.DataFrame(
        {
            "repost_id": rep_id.to_numpy(),
            "account_id": ("twitter:" + e["cu"]).to_numpy(),
            "source_id": src,
            "reposted_at": _iso(reposted).to_numpy(),
            "platform": "twitter",
        }
    )
    contents = pd.DataFrame(
        {
            "content_id": ["twitter:" + r for r in root_ids],
            "account_id": ["twitter:" + root_of.loc[r, "cu"] for r in root_ids],
            "platform": "twitter",
            "posted_at": _iso(posted).to_numpy(),
            "kind": "post",
            "event_id": ev_of.to_numpy(),
            "url": [f"https://twitter.com/i/web/status/{r}" for r in root_ids],
            "label": [labels.get(r) for r in root_ids],
        }
    )
    accounts = pd.DataFrame(
        {"account_id": sorted(set(contents["account_id"]) | set(reposts["account_id"]))}
    )
    accounts["platform"] = "twitter"
    if events == "cascade":
        ev = pd.DataFrame(
            {
                "event_id": ev_of.to_numpy(),
                "name": [
                    f"Twitter16 cascade {r} ({labels.get(r, 'unlabelled')})" for r in root_ids
                ],
                "started_at": _iso(posted).to_numpy(),
            }
        )
    else:
        ev = pd.DataFrame(
            {
                "event_id": ["twitter16"],
                "name": [f"Twitter16 ({len(root_ids)} cascades)"],
                "started_at": [_iso(posted).min() if len(posted) else None],
            }
        )
    return {"accounts": accounts, "contents": contents, "reposts": reposts, "events": ev}


_CED_FILE = re.compile(r"^(\d+)_([^_]+)_(.+)\.json$")
_CN_DATE = re.compile(r"^\s*(\d{1,2})月(\d{1,2})日\s*(\d{1,2}):(\d{2})\s*$")


def _ced_original_time(v) -> pd.Timestamp | None:
    if isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v):
        return pd.Timestamp(int(v), unit="s", tz="UTC")
    if isinstance(v, str) and v.strip():
        s = v.strip()
        if s.isdigit():
            return pd.Timestamp(int(s), unit="s", tz="UTC")
        for fmt in ("%a %b %d %H:%M:%S %z %Y", "%Y-%m-%d %H:%M:%S"):
            try:
                t = pd.to_datetime(s, format=fmt)
            except (ValueError, TypeError):
                continue
            return (t.tz_localize("Asia/Shanghai") if t.tzinfo is None else t).tz_convert("UTC")
    return None


def _ced_dates(dates: pd.Series, original: pd.Timestamp | None) -> pd.Series:
    """Repost dates (China time) as UTC timestamps; ``MM月DD日 HH:MM`` get the original's year."""
    s = dates.astype(object).where(dates.notna(), "").astype(str).str.strip()
    full = pd.to_datetime(s, format="%Y-%m-%d %H:%M:%S", errors="coerce")
    out = full.dt.tz_localize("Asia/Shanghai")
    cn = s.str.extract(_CN_DATE)
    todo = full.isna() & cn[0].notna()
    if todo.any():
        year = original.tz_convert("Asia/Shanghai").year if original is not None else 2000
        parts = cn[todo].astype(int)

        def build(y: int) -> pd.Series:
            return pd.to_datetime(
                pd.DataFrame(
                    {
                        "year": y,
                        "month": parts[0],
                        "day": parts[1],
                        "hour": parts[2],
                        "minute": parts[3],
                    }
                ),
                errors="coerce",
            ).dt.tz_localize("Asia/Shanghai")

        guess = build(year)
        if original is not None:
            guess = guess.where(~(guess < original - pd.Timedelta(days=1)), build(year + 1))
        out = out.where(~todo, guess.reindex(out.index))
    return out.dt.tz_convert("UTC")


def ced_tables(
    folder: str | Path, limit: int | None = None, *, events: str = "cascade"
) -> dict[str, pd.DataFrame]:
    """CED Weibo cascades as SPEC §2 tables (see the module docstring).

    Parameters
    ----------
    folder : str or Path
        The dataset folder (``original-microblog/`` and one ``*-repost/`` folder).
    limit : int, optional
        Only the first ``limit`` cascades by file number.
    events : {"cascade", "all"}
        One event per cascade, or one for the whole dataset.

    Returns
    -------
    dict of DataFrame
        ``accounts, contents, reposts, events`` with SPEC §2 columns (times as ISO text
        with ``+08:00``); entries without a readable date are dropped and counted in the
        ``events`` table's extra ``dropped`` column.

    Raises
    ------
    InputError
        When the folder is not a CED folder or a file is not JSON.

    Notes
    -----
    O(n) over the entries; JSON parsing dominates.
    """
    folder = Path(folder)
    _check(folder, "original-microblog")
    if events not in ("cascade", "all"):
        raise InputError(f"events must be 'cascade' or 'all', not {events!r}")
    rep_dirs = sorted(p for p in folder.iterdir() if p.is_dir() and p.name.endswith("-repost"))
    files = []
    for f in (folder / "original-microblog").glob("*.json"):
        m = _CED_FILE.match(f.name)
        if m:
            files.append((int(m.group(1)), m.group(2), m.group(3), f))
    files.sort()
    if limit is not None:
        files = files[:limit]
    contents, reposts, accounts, evs = [], [], {}, []
    for _num, mid, uid, f in files:
        try:
            o = json.loads(f.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"{f}: not JSON ({exc})") from None
        t0 = _ced_original_time(o.get("time"))
        user = o.get("user")
        acc = {"account_id": f"weibo:{uid}", "platform": "weibo"}
        if isinstance(user, dict):
            if user.get("followers") is not None:
                acc["followers"] = int(user["followers"])
            if user.get("verified") is not None:
                acc["verified"] = bool(user["verified"])
        elif isinstance(user, str) and user.strip():
            acc["name"] = user.strip()
        accounts[acc["account_id"]] = {**accounts.get(acc["account_id"], {}), **acc}
        cid = f"weibo:{mid}"
        event_id = f"ced:{mid}" if events == "cascade" else "ced"
        contents.append(
            {
                "content_id": cid,
                "account_id": acc["account_id"],
                "platform": "weibo",
                "posted_at": t0,
                "text": o.get("text"),
                "kind": "post",
                "event_id": event_id,
                "url": f"https://weibo.com/{uid}/{mid}",
            }
        )
        entries = []
        for d in rep_dirs:
            p = d / f.name
            if p.exists():
                try:
                    entries = json.loads(p.read_text(encoding="utf-8"))
                except (ValueError, UnicodeDecodeError) as exc:
                    raise InputError(f"{p}: not JSON ({exc})") from None
                break
        dropped = 0
        if entries:
            r = pd.DataFrame(entries)
            for col in ("uid", "mid", "parent", "text", "date"):
                if col not in r:
                    r[col] = None
            r = r[r["mid"].notna() & (r["mid"].astype(str) != mid)]
            r = r.drop_duplicates(subset=["mid"], keep="first")
            when = _ced_dates(r["date"], t0)
            dropped = int(when.isna().sum())
            r, when = r[when.notna()], when[when.notna()]
            parent = (
                r["parent"].astype(object).where(r["parent"].notna(), "").astype(str).str.strip()
            )
            src = np.where((parent == "") | (parent == mid), cid, "weibo:" + parent)
            reposts.append(
                pd.DataFrame(
                    {
                        "repost_id": "weibo:" + r["mid"].astype(str),
                        "account_id": "weibo:" + r["uid"].astype(str),
                        "source_id": src,
                        "reposted_at": when,
                        "platform": "weibo",
                        "text": r["text"].astype(object).where(r["text"].notna(), None),
                    }
                )
            )
        if events == "cascade":
            evs.append(
                {
                    "event_id": event_id,
                    "name": f"CED cascade {mid}",
                    "started_at": t0,
                    "dropped": dropped,
                }
            )
        else:
            evs.append({"dropped": dropped, "started_at": t0})
    c = pd.DataFrame(
        contents,
        columns=[
            "content_id",
            "account_id",
            "platform",
            "posted_at",
            "text",
            "kind",
            "event_id",
            "url",
        ],
    )
    c["posted_at"] = _iso(c["posted_at"], CHINA)
    r = (
        pd.concat(reposts, ignore_index=True)
        if reposts
        else pd.DataFrame(
            columns=["repost_id", "account_id", "source_id", "reposted_at", "platform", "text"]
        )
    )
    r = r.drop_duplicates(subset=["repost_id"], keep="first")
    r = r[~r["repost_id"].isin(set(c["content_id"]))].reset_index(drop=True)
    r["reposted_at"] = _iso(r["reposted_at"], CHINA)
    for a in set(r["account_id"]) - set(accounts):
        accounts[a] = {"account_id": a, "platform": "weibo"}
    acc = pd.DataFrame(sorted(accounts.values(), key=lambda x: x["account_id"]))
    if "followers" in acc:
        acc["followers"] = acc["followers"].astype("Int64")
    if events == "cascade":
        ev = pd.DataFrame(evs)
        ev["started_at"] = _iso(ev["started_at"], CHINA) if len(ev) else ev["started_at"]
    else:
        starts = pd.Series([e["started_at"] for e in evs], dtype=object).dropna()
        ev = pd.DataFrame(
            {
                "event_id": ["ced"],
                "name": [f"CED ({len(files)} cascades)"],
                "started_at": [_iso(pd.Series([min(starts)]), CHINA)[0] if len(starts) else None],
                "dropped": [sum(e["dropped"] for e in evs)],
            }
        )
    return {"accounts": acc, "contents": c, "reposts": r, "events": ev}


def write_tables(tables: dict[str, pd.DataFrame], out_dir: str | Path) -> Path:
    """Write converted tables as ``<table>.csv`` into ``out_dir`` (for ``pileon ingest``)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.to_csv(out / f"{name}.csv", index=False, lineterminator="\n")
    return out
