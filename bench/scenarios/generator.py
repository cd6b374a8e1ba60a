"""Coordination scenarios: water armies of many designs beside the organic look-alikes.

Written for issue 14 without reading ``pileon.ingest.sample`` or ``tests.altgen``: every
number here is a choice about what a real operation or a real crowd varies, made in
one place (:class:`Army`, :class:`Scenario`) so that the grid in
:mod:`bench.scenarios.grid` can vary it.

What one scenario holds, per platform:

* an **organic background**: accounts with heavy-tailed activity reposting posts of
  heavy-tailed popularity, each repost a log-normal delay after its post (median about
  an hour), a fifth of them chained to an earlier repost of the same post;
* the **culprits**: a few ordinary-looking authors whose posts the armies amplify, each
  target either *viral* (a large organic crowd reposts it too, the army drowned in it)
  or *obscure* (next to nobody else touches it);
* zero or more **armies** (:class:`Army`): accounts registered in a burst, with few
  followers, mostly signed to one MCN, that in waves repost one target each: a share of
  the platform's army within ``spread`` seconds, ``lag`` after the post; optionally also
  near-copies of a culprit's text and comments under the targets in waves, and a little
  camouflage (ordinary reposts of popular posts);
* the **negatives**: fan clubs (fans reposting every post of their idol within a minute
  or two of it, over and over), news cascades (outlets whose posts a crowd of news
  followers reposts within minutes) and the organic crowd itself.

:func:`generate` returns a :class:`Generated`: the input tables (SPEC §2 columns, one
event holding every content) and the truth (which accounts belong to which army, which
are fans, news followers, culprits or organic).  ``Generated.projection()`` builds the
event's projection directly; ``Generated.write(folder)`` writes CSV files for
``pileon ingest``.  Same spec and seed, same tables.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Army", "Scenario", "Generated", "generate"]

T0 = pd.Timestamp("2026-05-04T00:00:00Z")
_DAY = 86_400.0
_WORDS = (
    "teacher school principal student parents video truth lies police hospital class "
    "exam fired bullied scandal apology cover up report evidence shameful disgrace "
    "again everyone share before deleted must know angry justice statement"
).split()


@dataclass(frozen=True)
class Army:
    """One water army (every number per platform unless said).

    Attributes
    ----------
    size : int
        Accounts in the whole army, split evenly over ``platforms``.
    platforms : tuple of str
        Where it operates; each account lives on one platform.
    waves : int
        Waves per platform; each wave reposts one target (targets are reused when
        there are fewer targets than waves).
    share : (float, float)
        Each wave draws its share of the platform's army uniformly from this range.
    spread : float
        Seconds over which one wave's reposts are spread (uniformly).
    lag : (float, float)
        Seconds after the target was posted at which a wave starts (uniform).
    culprits : int
        Authors of the targets per platform (the army amplifies several accounts).
    targets : {"viral", "obscure", "mixed"}
        Viral targets draw an organic crowd of their own; obscure ones next to none.
    copies : int
        Waves of near-copies of a culprit's text (posted, not reposted) per platform.
    comments : int
        Waves of comments under targets per platform.
    camouflage : (int, int)
        Ordinary reposts of popular posts per account (uniform range).
    mcns : tuple of float
        Shares of the army signed to each of its MCNs (the rest to none).
    order : {"random", "fixed"}
        Order of the accounts within a wave: a script walking a fixed list, or random.
    """

    size: int = 180
    platforms: tuple[str, ...] = ("weibo",)
    waves: int = 12
    share: tuple[float, float] = (0.35, 0.6)
    spread: float = 120.0
    lag: tuple[float, float] = (180.0, 18_000.0)
    culprits: int = 6
    targets: str = "viral"
    copies: int = 0
    comments: int = 0
    camouflage: tuple[int, int] = (0, 4)
    mcns: tuple[float, ...] = (0.8,)
    order: str = "random"


@dataclass(frozen=True)
class Scenario:
    """A whole incident: organic background, armies and negatives.

    Attributes
    ----------
    name : str
        Used in IDs and reports.
    armies : tuple of Army
    platforms : tuple of str
    organic : int
        Organic accounts per platform.
    posts : int
        Organic posts per platform (heavy-tailed popularity).
    reposts : int
        Organic reposts per platform of those posts (about; duplicates dropped).
    days : float
        Length of the event.
    viral_crowd : (int, int)
        Organic reposts drawn by each viral target (uniform range).
    viral_median : float
        Median seconds from a viral post to its organic reposts (log-normal).
    fan_clubs : int
        Fan clubs per platform, one idol each.
    fans : (int, int)
        Fans per club (uniform range).
    idol_posts : int
        Posts of each idol during the event.
    fan_lag : float
        Mean seconds from an idol's post to a fan's repost (exponential).
    news_outlets : int
        News outlets per platform.
    news_posts : int
        Posts per outlet.
    news_followers : int
        News followers per platform, each reposting an outlet's post with a probability of
        its own (beta-distributed, mean ``news_rate``, a long tail of super-fans), a few
        minutes after it (exponential, mean ``news_lag``).
    news_rate : float
    news_lag : float
    """

    name: str = "scenario"
    armies: tuple[Army, ...] = (Army(),)
    platforms: tuple[str, ...] = ("weibo",)
    organic: int = 6_000
    posts: int = 1_500
    reposts: int = 30_000
    days: float = 3.0
    viral_crowd: tuple[int, int] = (400, 1_500)
    viral_median: float = 2_400.0
    fan_clubs: int = 1
    fans: tuple[int, int] = (120, 250)
    idol_posts: int = 16
    fan_lag: float = 90.0
    news_outlets: int = 4
    news_posts: int = 8
    news_followers: int = 4_000
    news_rate: float = 0.03
    news_lag: float = 240.0
    signup: int = 0
    agency: int = 0

    def but(self, **kw: Any) -> Scenario:
        """A copy with some fields changed."""
        return replace(self, **kw)


@dataclass
class Generated:
    """Input tables and truth of one generated scenario."""

    scenario: Scenario
    seed: int
    tables: dict[str, pd.DataFrame]
    truth: dict[str, Any] = field(default_factory=dict)

    @property
    def event_id(self) -> str:
        return str(self.tables["events"]["event_id"].iloc[0])

    def projection(self):
        """The event's :class:`pileon.graph.projection.Projection` (every content is in it)."""
        from pileon.graph.projection import Projection

        ev = self.tables["events"].iloc[0].to_dict()
        t = {k: v for k, v in self.tables.items() if k != "events"}
        return Projection.from_tables(ev, **t)

    def write(self, folder: str | Path) -> Path:
        """Write every table as ``<table>.csv`` (UTF-8, ISO-8601 times) for ``pileon ingest``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name, df in self.tables.items():
            out = df.copy()
            for col in out.columns:
                if pd.api.types.is_datetime64_any_dtype(out[col]):
                    out[col] = out[col].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
            out.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
        return folder


# --------------------------------------------------------------------------- builder


class _Rows:
    """Column lists of every table, filled in bulk by the generator."""

    def __init__(self) -> None:
        self.acc: dict[str, list] = {
            k: [] for k in ("account_id", "platform", "name", "created_at", "followers")
        }
        self.con: dict[str, list] = {
            k: []
            for k in (
                "content_id",
                "account_id",
                "platform",
                "posted_at",
                "text",
                "kind",
                "reply_to",
            )
        }
        self.rep: dict[str, list] = {
            k: [] for k in ("repost_id", "account_id", "source_id", "reposted_at", "platform")
        }
        self.aff: dict[str, list] = {k: [] for k in ("account_id", "mcn_id", "role")}
        self.mcns: dict[str, str] = {}

    def accounts(self, ids, platform, created, followers) -> None:
        n = len(ids)
        self.acc["account_id"] += list(ids)
        self.acc["platform"] += [platform] * n
        self.acc["name"] += [i.split(":", 1)[1] for i in ids]
        self.acc["created_at"] += list(created)
        self.acc["followers"] += [int(x) for x in followers]

    def contents(self, ids, authors, platform, times, texts, kind="post", reply_to=None) -> None:
        n = len(ids)
        self.con["content_id"] += list(ids)
        self.con["account_id"] += list(authors)
        self.con["platform"] += [platform] * n
        self.con["posted_at"] += list(times)
        self.con["text"] += list(texts)
        self.con["kind"] += [kind] * n
        self.con["reply_to"] += list(reply_to) if reply_to is not None else [None] * n

    def reposts(self, ids, accounts, sources, times, platform) -> None:
        n = len(ids)
        self.rep["repost_id"] += list(ids)
        self.rep["account_id"] += list(accounts)
        self.rep["source_id"] += list(sources)
        self.rep["reposted_at"] += list(times)
        self.rep["platform"] += [platform] * n

    def affiliate(self, ids, mcn_id, name, role="signed") -> None:
        self.mcns[mcn_id] = name
        self.aff["account_id"] += list(ids)
        self.aff["mcn_id"] += [mcn_id] * len(ids)
        self.aff["role"] += [role] * len(ids)


def _text(rng: np.random.Generator, n_words: int = 9) -> str:
    return " ".join(rng.choice(_WORDS, n_words)) + f" #{rng.integers(10_000, 99_999)}"


def _near_copy(rng: np.random.Generator, text: str) -> str:
    """A copy with a character or two changed and something appended (Jaccard well above 0.6)."""
    chars = list(text)
    for _ in range(int(rng.integers(1, 3))):
        chars[int(rng.integers(len(chars)))] = rng.choice(list(string.ascii_lowercase))
    return "".join(chars) + rng.choice(["", " !!", " ...", " share", " 😡"])


def _times(seconds: np.ndarray) -> pd.DatetimeIndex:
    return T0 + pd.to_timedelta(np.round(seconds).astype(np.int64), unit="s")


class _Platform:
    """Everything generated on one platform."""

    def __init__(self, g: _Gen, platform: str) -> None:
        self.g, self.pf = g, platform
        s = g.s
        rng = g.rng
        self.span = s.days * _DAY
        # --- organic accounts, heavy-tailed activity
        self.org_row = len(g.rows.acc["account_id"])
        self.org = g.ids("u", platform, s.organic)
        g.rows.accounts(
            self.org,
            platform,
            _times(-rng.uniform(60, 3_000, len(self.org)) * _DAY),
            np.round(rng.lognormal(5.0, 1.6, len(self.org))),
        )
        self.weight = rng.pareto(1.3, len(self.org)) + 0.2
        self.weight /= self.weight.sum()
        g.truth["organic"] |= set(self.org)
        # --- organic posts and their reposts
        n_posts = max(s.posts, 1)
        authors = rng.choice(self.org, n_posts, p=self.weight)
        post_t = rng.uniform(0, self.span, n_posts)
        pids = g.ids("p", platform, n_posts)
        g.rows.contents(pids, authors, platform, _times(post_t), [_text(rng) for _ in pids])
        pop = rng.pareto(1.1, n_posts) + 0.02
        pop /= pop.sum()
        self.posts, self.post_t, self.pop = np.array(pids, dtype=object), post_t, pop
        k = rng.choice(n_posts, s.reposts, p=pop)
        self.crowd_reposts(
            k,
            rng.choice(len(self.org), s.reposts, p=self.weight),
            post_t[k] + rng.lognormal(np.log(3_600.0), 1.3, s.reposts),
        )

    def crowd_reposts(self, post_idx, acc_idx, t, *, accounts=None, chain=0.2) -> None:
        """Reposts of ``self.posts[post_idx]`` by ``accounts[acc_idx]`` (organic by default)
        at ``t`` seconds; one per (account, post); ``chain`` of them via an earlier repost."""
        g, rng = self.g, self.g.rng
        accounts = self.org if accounts is None else accounts
        df = pd.DataFrame({"k": post_idx, "a": acc_idx, "t": t})
        df = df[df["t"] < self.span + 2 * _DAY].drop_duplicates(["k", "a"])
        df = df.sort_values(["k", "t"], kind="mergesort").reset_index(drop=True)
        ids = np.array(g.ids("r", self.pf, len(df)), dtype=object)
        src = self.posts[df["k"].to_numpy()].copy()
        # chain a share to a random earlier repost of the same post
        first = df.groupby("k").cumcount().to_numpy()
        pick = (rng.random(len(df)) < chain) & (first > 0)
        back = (rng.random(len(df)) * first).astype(np.int64) + 1
        rows = np.flatnonzero(pick)
        src[rows] = ids[rows - back[rows]]
        g.rows.reposts(
            ids,
            np.asarray(accounts, dtype=object)[df["a"].to_numpy()],
            src,
            _times(df["t"].to_numpy()),
            self.pf,
        )


class _Gen:
    def __init__(self, s: Scenario, seed: int) -> None:
        self.s, self.seed = s, seed
        self.rng = np.random.default_rng(seed)
        self.rows = _Rows()
        self.counter: dict[str, int] = {}
        self.truth: dict[str, Any] = {
            "armies": [],
            "army": set(),
            "fans": set(),
            "fan_clubs": [],
            "idols": set(),
            "news_followers": set(),
            "outlets": set(),
            "culprits": set(),
            "organic": set(),
            "waves_of": {},
        }
        self.born: list[float] = []

    def ids(self, prefix: str, platform: str, n: int) -> list[str]:
        key = f"{platform}:{prefix}"
        start = self.counter.get(key, 0)
        self.counter[key] = start + n
        return [f"{platform}:{prefix}{i}" for i in range(start, start + n)]

    # ------------------------------------------------------------------ negatives

    def fan_clubs(self, P: _Platform) -> None:
        s, rng = self.s, self.rng
        for _ in range(s.fan_clubs):
            idol = self.ids("idol", P.pf, 1)
            self.rows.accounts(idol, P.pf, _times([-2_000 * _DAY]), [2_000_000])
            fans = self.ids("fan", P.pf, int(rng.integers(s.fans[0], s.fans[1] + 1)))
            self.rows.accounts(
                fans,
                P.pf,
                _times(-rng.uniform(30, 2_000, len(fans)) * _DAY),
                np.round(rng.lognormal(4.0, 1.2, len(fans))),
            )
            t = np.sort(rng.uniform(0, P.span, s.idol_posts))
            pids = self.ids("ip", P.pf, s.idol_posts)
            self.rows.contents(pids, idol * len(pids), P.pf, _times(t), [_text(rng) for _ in pids])
            base = len(P.posts)
            P.posts = np.concatenate([P.posts, np.array(pids, dtype=object)])
            P.post_t = np.concatenate([P.post_t, t])
            keen = rng.uniform(0.3, 0.9, len(fans))  # each fan's share of the idol's posts
            k, a, when = [], [], []
            for j in range(s.idol_posts):
                on = np.flatnonzero(rng.random(len(fans)) < keen)
                k += [base + j] * len(on)
                a += list(on)
                when += list(t[j] + rng.exponential(s.fan_lag, len(on)))
            P.crowd_reposts(np.array(k), np.array(a), np.array(when), accounts=fans, chain=0.05)
            # the idol's wider audience, and the fans' own ordinary activity
            m = len(pids) * 150
            kk = base + rng.integers(0, len(pids), m)
            P.crowd_reposts(
                kk,
                rng.choice(len(P.org), m, p=P.weight),
                P.post_t[kk] + rng.lognormal(np.log(1_800.0), 1.2, m),
            )
            m = len(fans) * 3
            kk = rng.choice(len(P.pop), m, p=P.pop)
            P.crowd_reposts(
                kk,
                rng.integers(0, len(fans), m),
                P.post_t[kk] + rng.lognormal(np.log(3_600.0), 1.3, m),
                accounts=fans,
            )
            self.truth["fans"] |= set(fans)
            self.truth["idols"] |= set(idol)
            self.truth["fan_clubs"].append(sorted(fans))

    def news(self, P: _Platform) -> None:
        s, rng = self.s, self.rng
        if s.news_outlets <= 0 or s.news_posts <= 0:
            return
        outlets = self.ids("news", P.pf, s.news_outlets)
        self.rows.accounts(
            outlets, P.pf, _times([-3_000 * _DAY] * len(outlets)), [5_000_000] * len(outlets)
        )
        self.rows.affiliate(outlets, f"mcn:{P.pf}-newsroom", "Newsroom MCN", role="outlet")
        followers = self.ids("nf", P.pf, s.news_followers)
        self.rows.accounts(
            followers,
            P.pf,
            _times(-rng.uniform(30, 3_000, len(followers)) * _DAY),
            np.round(rng.lognormal(5.0, 1.4, len(followers))),
        )
        n = s.news_outlets * s.news_posts
        t = rng.uniform(0, P.span, n)
        # breaking news comes in bursts: several outlets post on the same story close together
        t[1::2] = t[0::2][: len(t[1::2])] + rng.uniform(60, 1_200, len(t[1::2]))
        authors = np.repeat(outlets, s.news_posts)
        pids = self.ids("np", P.pf, n)
        self.rows.contents(pids, authors, P.pf, _times(t), [_text(rng) for _ in pids])
        base = len(P.posts)
        P.posts = np.concatenate([P.posts, np.array(pids, dtype=object)])
        P.post_t = np.concatenate([P.post_t, t])
        # each follower's share of the posts: mean ``news_rate``, a long tail of super-fans
        keen = rng.beta(0.6, 0.6 * (1 - s.news_rate) / s.news_rate, len(followers))
        k, a, when = [], [], []
        for j in range(n):
            on = np.flatnonzero(rng.random(len(followers)) < keen)
            k += [base + j] * len(on)
            a += list(on)
            when += list(t[j] + rng.exponential(s.news_lag, len(on)))
        P.crowd_reposts(np.array(k), np.array(a), np.array(when), accounts=followers)
        # the general crowd joins the news cascades too
        m = n * 120
        kk = base + rng.integers(0, n, m)
        P.crowd_reposts(
            kk,
            rng.choice(len(P.org), m, p=P.weight),
            P.post_t[kk] + rng.lognormal(np.log(900.0), 1.0, m),
        )
        self.truth["news_followers"] |= set(followers)
        self.truth["outlets"] |= set(outlets)

    # ---------------------------------------------------------------------- armies

    def army(self, k: int, army: Army, platforms: dict[str, _Platform]) -> None:
        rng = self.rng
        members_all: list[str] = []
        per = {pf: army.size // len(army.platforms) for pf in army.platforms}
        for pf in list(per)[: army.size % len(army.platforms)]:
            per[pf] += 1
        born = -rng.uniform(10, 40) * _DAY
        self.born.append(born)
        mcn_ids = [f"mcn:army{k}-{j}" for j in range(len(army.mcns))]
        for pf, n in per.items():
            if n == 0:
                continue
            P = platforms[pf]
            members = self.ids(f"w{k}-", pf, n)
            members_all += members
            self.rows.accounts(
                members,
                pf,
                _times(born + rng.uniform(0, 3 * _DAY, n)),  # registered within 72 hours
                np.round(rng.lognormal(2.5, 1.0, n)),
            )
            # MCN contracts: shares of the army to each of its MCNs, the rest unsigned
            cut = np.cumsum([0] + [int(round(x * n)) for x in army.mcns])
            perm = rng.permutation(n)
            for j, m in enumerate(mcn_ids):
                signed = [members[i] for i in perm[cut[j] : cut[j + 1]]]
                self.rows.affiliate(signed, m, f"Army {k} agency {j}")
            self._targets_and_waves(k, army, P, members)
        self.truth["armies"].append(sorted(members_all))
        self.truth["army"] |= set(members_all)

    def _targets_and_waves(self, k: int, army: Army, P: _Platform, members: list[str]) -> None:
        rng, s = self.rng, self.s
        n = len(members)
        culprits = self.ids(f"cul{k}-", P.pf, army.culprits)
        self.rows.accounts(
            culprits,
            P.pf,
            _times(-rng.uniform(100, 2_000, len(culprits)) * _DAY),
            np.round(rng.lognormal(6.0, 1.5, len(culprits))),
        )
        self.truth["culprits"] |= set(culprits)
        n_targets = max(army.waves, 1)
        t = rng.uniform(0.05 * P.span, 0.85 * P.span, n_targets)
        authors = [culprits[j % len(culprits)] for j in range(n_targets)]
        texts = [_text(rng, 12) for _ in range(n_targets)]
        tids = self.ids(f"tg{k}-", P.pf, n_targets)
        self.rows.contents(tids, authors, P.pf, _times(t), texts)
        base = len(P.posts)
        P.posts = np.concatenate([P.posts, np.array(tids, dtype=object)])
        P.post_t = np.concatenate([P.post_t, t])
        viral = {
            "viral": np.ones(n_targets, bool),
            "obscure": np.zeros(n_targets, bool),
            "mixed": rng.random(n_targets) < 0.5,
        }[army.targets]
        crowd = np.where(
            viral,
            rng.integers(s.viral_crowd[0], s.viral_crowd[1] + 1, n_targets),
            rng.integers(0, 6, n_targets),
        )
        kk = np.repeat(base + np.arange(n_targets), crowd)
        P.crowd_reposts(
            kk,
            rng.choice(len(P.org), len(kk), p=P.weight),
            P.post_t[kk] + rng.lognormal(np.log(s.viral_median), 1.0, len(kk)),
        )
        order = rng.permutation(n)  # a fixed script order, when the army uses one
        k_idx, a_idx, when = [], [], []
        for w in range(army.waves):
            j = w % n_targets
            share = rng.uniform(*army.share)
            on = np.flatnonzero(rng.random(n) < share)
            start = t[j] + rng.uniform(*army.lag)
            if army.order == "fixed":
                pos = np.argsort(np.argsort(order[on]))
                dt = (pos + rng.random(len(on))) * army.spread / max(len(on), 1)
            else:
                dt = rng.uniform(0, army.spread, len(on))
            k_idx += [base + j] * len(on)
            a_idx += list(on)
            when += list(start + dt)
            self._took_part(members, on)
        # camouflage: a few ordinary reposts of popular posts
        camo = rng.integers(army.camouflage[0], army.camouflage[1] + 1, n)
        ca = np.repeat(np.arange(n), camo)
        ck = rng.choice(len(P.pop), len(ca), p=P.pop)
        k_idx += list(ck)
        a_idx += list(ca)
        when += list(P.post_t[ck] + rng.lognormal(np.log(3_600.0), 1.3, len(ca)))
        P.crowd_reposts(
            np.array(k_idx), np.array(a_idx), np.array(when), accounts=members, chain=0.1
        )
        # near-copies: waves of posts copying a culprit's text
        for w in range(army.copies):
            j = w % n_targets
            on = np.flatnonzero(rng.random(n) < rng.uniform(*army.share))
            start = t[j] + rng.uniform(*army.lag)
            self._took_part(members, on)
            cids = self.ids(f"cp{k}-", P.pf, len(on))
            self.rows.contents(
                cids,
                [members[i] for i in on],
                P.pf,
                _times(start + rng.uniform(0, army.spread, len(on))),
                [_near_copy(rng, texts[j]) for _ in on],
            )
        # comments under the targets, in waves
        for w in range(army.comments):
            j = (w * 5 + 3) % n_targets
            on = np.flatnonzero(rng.random(n) < rng.uniform(*army.share))
            start = t[j] + rng.uniform(*army.lag)
            self._took_part(members, on)
            cids = self.ids(f"cm{k}-", P.pf, len(on))
            self.rows.contents(
                cids,
                [members[i] for i in on],
                P.pf,
                _times(start + rng.uniform(0, army.spread, len(on))),
                [_text(rng, 5) for _ in on],
                kind="comment",
                reply_to=[tids[j]] * len(on),
            )

    def organic_cohorts(self, platforms: dict[str, _Platform]) -> None:
        """Organic accounts that share a trait with an army or with each other (``signup``,
        ``agency``), drawn from a random stream of their own so that the rest of the
        scenario is the same with or without them."""
        s = self.s
        rng = np.random.default_rng([self.seed, 14])
        born = self.born[0] if self.born else -rng.uniform(10, 40) * _DAY
        for P in platforms.values():
            pick = rng.permutation(len(P.org))
            rush, agency = pick[: s.signup], pick[s.signup : s.signup + s.agency]
            created = self.rows.acc["created_at"]
            for i, when in zip(rush, _times(born + rng.uniform(0, 3 * _DAY, len(rush)))):
                created[P.org_row + int(i)] = when
            self.rows.affiliate(
                [P.org[int(i)] for i in agency], f"mcn:{P.pf}-talent", "Talent agency"
            )

    def _took_part(self, members: list[str], on: np.ndarray) -> None:
        waves = self.truth["waves_of"]
        for i in on:
            waves[members[i]] = waves.get(members[i], 0) + 1

    # ------------------------------------------------------------------------ all

    def run(self) -> Generated:
        s = self.s
        platforms = {pf: _Platform(self, pf) for pf in s.platforms}
        for P in platforms.values():
            self.fan_clubs(P)
            self.news(P)
        for k, army in enumerate(s.armies):
            unknown = set(army.platforms) - set(s.platforms)
            if unknown:
                raise ValueError(f"army {k} on platforms the scenario lacks: {sorted(unknown)}")
            self.army(k, army, platforms)
        if s.signup or s.agency:
            self.organic_cohorts(platforms)
        ev = f"ev:{s.name}"
        rows = self.rows
        contents = pd.DataFrame(rows.con)
        contents["event_id"] = ev
        tables = {
            "accounts": pd.DataFrame(rows.acc),
            "contents": contents,
            "reposts": pd.DataFrame(rows.rep),
            "mcns": pd.DataFrame({"mcn_id": list(rows.mcns), "name": list(rows.mcns.values())}),
            "affiliations": pd.DataFrame(rows.aff),
            "events": pd.DataFrame(
                {"event_id": [ev], "name": [s.name], "started_at": [T0.isoformat()]}
            ),
        }
        truth = dict(self.truth)
        for key in ("army", "fans", "idols", "news_followers", "outlets", "culprits", "organic"):
            truth[key] = sorted(truth[key])
        truth["event"] = ev
        return Generated(scenario=s, seed=self.seed, tables=tables, truth=truth)


def generate(scenario: Scenario, seed: int = 0) -> Generated:
    """Generate one scenario (deterministic in ``scenario`` and ``seed``).

    >>> g = generate(Scenario(name="tiny", organic=300, posts=60, reposts=1_500,
    ...              armies=(Army(size=20),), fan_clubs=1, fans=(20, 30)), seed=1)
    >>> len(g.truth["army"]), len(g.truth["armies"])
    (20, 1)
    >>> sorted(g.tables)
    ['accounts', 'affiliations', 'contents', 'events', 'mcns', 'reposts']
    """
    return _Gen(scenario, seed).run()
