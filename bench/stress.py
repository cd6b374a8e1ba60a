"""Stress shapes for analyze (issue 14): inputs whose within-window pairs explode.

Each shape is one event's tables (``accounts``, ``contents``, ``reposts``, ``events``),
returned as a :class:`bench.scenarios.generator.Generated` (``write`` gives the folder
``pileon ingest`` reads); every shape is seeded and built with numpy in bulk:

* ``burst`` — 2,000 items, each reposted 400-500 times inside the minute after it was
  posted (about 900k reposts, 200M pairs within 60 s);
* ``viral`` — one item reposted 50,000 times in ten minutes (240M pairs within 60 s),
  beside a background of 2,000 posts and 40,000 reposts;
* ``wide`` — 100,000 accounts that each repost 50 of 5,000 items (5M reposts; the items'
  reposts arrive over an hour, log-normal);
* ``incident`` — the independent incident of issue 14 at 1.12M reposts (scale 11.3)
  (:data:`bench.scenarios.grid.GRID` ``issue-incident``: a 180-account army on four
  platforms with near-copies and comments, organic crowds, fan clubs, news cascades),
  its organic background scaled up.

Examples
--------
>>> g = generate("burst", items=3, per_item=(4, 5), accounts=50)
>>> sorted(g.tables), int(g.tables["reposts"].groupby("source_id").size().min())
(['accounts', 'contents', 'events', 'reposts'], 4)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from bench.scenarios.generator import Generated, Scenario

__all__ = ["SHAPES", "generate"]

T0 = pd.Timestamp("2026-03-01T00:00:00Z")
DAY = 86_400.0
SHAPES = ("burst", "viral", "wide", "incident")
#: words of the posts' texts (nine at random each: no two posts are near-copies)
VOCAB = np.array([f"w{i:03d}" for i in range(1_000)], dtype=object)


def _ids(prefix: str, n: int) -> np.ndarray:
    return np.array([f"{prefix}{i}" for i in range(n)], dtype=object)


def _times(seconds: np.ndarray) -> pd.DatetimeIndex:
    return T0 + pd.to_timedelta(np.round(np.asarray(seconds, dtype=float), 3), unit="s")


def _tables(
    name: str,
    n_accounts: int,
    post_author: np.ndarray,
    post_t: np.ndarray,
    rep_account: np.ndarray,
    rep_item: np.ndarray,
    rep_t: np.ndarray,
    rng: np.random.Generator,
) -> Generated:
    """The four tables from integer codes: accounts ``u<i>`` (authors ``a<i>``), posts
    ``p<k>``, reposts ``r<j>`` of post ``rep_item`` by account ``rep_account``."""
    ev = f"ev:stress-{name}"
    n_posts = len(post_t)
    authors = _ids("weibo:a", int(post_author.max()) + 1 if n_posts else 0)
    users = _ids("weibo:u", n_accounts)
    accounts = pd.DataFrame(
        {
            "account_id": np.concatenate([users, authors]),
            "platform": "weibo",
            "created_at": _times(-rng.uniform(30, 3_000, n_accounts + len(authors)) * DAY),
            "followers": np.round(rng.lognormal(5.0, 1.6, n_accounts + len(authors))).astype(
                np.int64
            ),
        }
    )
    posts = _ids("weibo:p", n_posts)
    contents = pd.DataFrame(
        {
            "content_id": posts,
            "account_id": authors[post_author],
            "platform": "weibo",
            "posted_at": _times(post_t),
            "text": [" ".join(w) for w in VOCAB[rng.integers(0, len(VOCAB), (n_posts, 9))]],
            "event_id": ev,
        }
    )
    order = np.lexsort((rep_account, rep_t))
    reposts = pd.DataFrame(
        {
            "repost_id": _ids("weibo:r", len(order)),
            "account_id": users[rep_account[order]],
            "source_id": posts[rep_item[order]],
            "reposted_at": _times(rep_t[order]),
            "platform": "weibo",
        }
    )
    events = pd.DataFrame({"event_id": [ev], "name": [name], "started_at": [T0.isoformat()]})
    tables = {"accounts": accounts, "contents": contents, "reposts": reposts, "events": events}
    return Generated(scenario=Scenario(name=f"stress-{name}", armies=()), seed=0, tables=tables)


def _burst(rng, *, items: int, per_item: tuple[int, int], accounts: int) -> Generated:
    post_t = np.sort(rng.uniform(0, 3 * DAY, items))
    k = rng.integers(per_item[0], per_item[1] + 1, items)
    item = np.repeat(np.arange(items), k)
    acc = np.concatenate([rng.choice(accounts, n, replace=False) for n in k])
    t = post_t[item] + rng.uniform(0, 60.0, len(item))
    return _tables("burst", accounts, np.arange(items), post_t, acc, item, t, rng)


def _viral(rng, *, reposts: int, seconds: float, posts: int, background: int) -> Generated:
    accounts = reposts + background // 4
    post_t = np.concatenate([[DAY], rng.uniform(0, 3 * DAY, posts)])
    viral_acc = rng.permutation(accounts)[:reposts]
    viral_t = DAY + np.sort(rng.uniform(0, seconds, reposts))
    item = rng.integers(1, posts + 1, background)
    acc = rng.integers(0, accounts, background)
    t = post_t[item] + rng.lognormal(np.log(3_600.0), 1.3, background)
    keep = pd.DataFrame({"a": acc, "i": item}).duplicated().to_numpy()
    item, acc, t = item[~keep], acc[~keep], t[~keep]
    return _tables(
        "viral",
        accounts,
        np.arange(posts + 1),
        post_t,
        np.concatenate([viral_acc, acc]),
        np.concatenate([np.zeros(reposts, np.int64), item]),
        np.concatenate([viral_t, t]),
        rng,
    )


def _wide(rng, *, accounts: int, each: int, items: int) -> Generated:
    post_t = rng.uniform(0, 3 * DAY, items)
    # each account's `each` items: a random offset and stride (the rare repeats dropped)
    start = rng.integers(0, items, accounts)
    stride = rng.integers(1, items, accounts)
    step = np.arange(each)
    item = ((start[:, None] + stride[:, None] * step[None, :]) % items).ravel()
    acc = np.repeat(np.arange(accounts), each)
    dup = pd.DataFrame({"a": acc, "i": item}).duplicated().to_numpy()
    item, acc = item[~dup], acc[~dup]
    t = post_t[item] + rng.lognormal(np.log(1_200.0), 1.0, len(item))
    return _tables("wide", accounts, np.arange(items) % 500, post_t, acc, item, t, rng)


def _incident(seed: int, *, scale: float) -> Generated:
    from bench.scenarios import generate as gen_scenario
    from bench.scenarios.grid import GRID

    base = GRID["issue-incident"]
    s = base.but(
        name="stress-incident",
        organic=int(base.organic * scale),
        posts=int(base.posts * scale),
        reposts=int(base.reposts * scale),
        news_followers=int(base.news_followers * min(scale, 4.0)),
    )
    return gen_scenario(s, seed=seed)


def generate(shape: str, seed: int = 0, **kw: Any) -> Generated:
    """One stress shape (:data:`SHAPES`); keyword options shrink it (the doctest, tests).

    ``burst``: ``items=2000, per_item=(400, 500), accounts=60_000``; ``viral``:
    ``reposts=50_000, seconds=600, posts=2_000, background=40_000``; ``wide``:
    ``accounts=100_000, each=50, items=5_000``; ``incident``: ``scale=11.3`` (1,120,244
    reposts over four platforms with seed 0; 8.5 gives 903,130, about 12.3 would give 1.2M).
    """
    rng = np.random.default_rng(seed)
    if shape == "burst":
        opts = dict(items=2_000, per_item=(400, 500), accounts=60_000) | kw
        return _burst(rng, **opts)
    if shape == "viral":
        opts = dict(reposts=50_000, seconds=600.0, posts=2_000, background=40_000) | kw
        return _viral(rng, **opts)
    if shape == "wide":
        opts = dict(accounts=100_000, each=50, items=5_000) | kw
        return _wide(rng, **opts)
    if shape == "incident":
        return _incident(seed, **(dict(scale=11.3) | kw))
    raise ValueError(f"unknown shape {shape!r}; one of {', '.join(SHAPES)}")
