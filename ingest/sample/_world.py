"""The generator's world: one seeded random generator, ID counters, the tables, and the
building blocks every planted role is made of (accounts, posts, comments, repost cascades,
reports). Bulk steps are vectorised with numpy so that a million reposts take seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pileon.ingest.sample._tables import NO_TIME, SCHEMAS, Table
from pileon.ingest.sample._text import nicknames

HOUR = 3600
DAY = 86_400
CN = 8 * HOUR  # China Standard Time offset

#: relative activity per local hour (0..23): quiet at night, busy in the evening
HOUR_WEIGHTS = np.array(
    [
        0.55,
        0.35,
        0.2,
        0.12,
        0.08,
        0.08,
        0.15,
        0.35,
        0.6,
        0.7,
        0.75,
        0.8,
        0.9,
        0.85,
        0.75,
        0.75,
        0.8,
        0.85,
        0.9,
        0.95,
        1.0,
        1.0,
        0.95,
        0.8,
    ]
)

_URL = {
    "weibo": "https://weibo.com/{a}/{c}",
    "douyin": "https://www.douyin.com/video/{c}",
    "bilibili": "https://www.bilibili.com/video/{c}",
    "xiaohongshu": "https://www.xiaohongshu.com/explore/{c}",
}


def ts(text: str) -> int:
    """Epoch seconds of a local (UTC+8) ``YYYY-MM-DDTHH:MM[:SS]`` time."""
    return int(np.datetime64(text, "s").astype(np.int64)) - CN


@dataclass
class Pool:
    """Accounts an activity draws from, per platform, with heavy-tailed activity weights."""

    ids: dict[str, np.ndarray]
    weights: dict[str, np.ndarray]

    def platforms(self) -> list[str]:
        return sorted(self.ids)


class World:
    """Tables under construction plus the random generator and ground-truth bookkeeping."""

    def __init__(self, seed: int, scale: float):
        self.seed = seed
        self.scale = scale
        self.rng = np.random.default_rng(seed)
        self.tables = {name: Table(name) for name in SCHEMAS}
        self.counters: dict[str, int] = {}
        self.platform_of: dict[str, str] = {}
        self.name_of: dict[str, str] = {}
        #: content or repost id -> (account_id, platform, epoch seconds) for contents others react to
        self.known: dict[str, tuple[str, str, int]] = {}
        self._cdfs: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    # --- ids ---------------------------------------------------------------------------------

    def _numbers(self, kind: str, n: int, start: int) -> np.ndarray:
        first = self.counters.get(kind, start)
        self.counters[kind] = first + n
        return np.arange(first, first + n)

    def ids(self, kind: str, platforms, n: int) -> np.ndarray:
        """``n`` new IDs like ``weibo:m4900012``; ``kind`` is a letter (empty for accounts)."""
        start = {"": 1001, "m": 4_900_001, "c": 7_100_001, "d": 8_800_001, "r": 5_300_001}.get(
            kind, 1
        )
        nums = self._numbers(kind, n, start)
        if isinstance(platforms, str):
            out = [f"{platforms}:{kind}{k}" for k in nums.tolist()]
        else:
            out = [f"{p}:{kind}{k}" for p, k in zip(platforms, nums.tolist())]
        arr = np.empty(n, dtype=object)
        arr[:] = out
        return arr

    def plain_ids(self, prefix: str, n: int) -> list[str]:
        """IDs of non-platform records: ``report:1``, …"""
        return [f"{prefix}:{k}" for k in self._numbers(prefix, n, 1).tolist()]

    # --- accounts ----------------------------------------------------------------------------

    def accounts(
        self,
        platforms,
        names: list[str],
        created_at,
        followers,
        *,
        verified=False,
        identity_key=None,
        is_minor=None,
    ) -> np.ndarray:
        """Add accounts; returns their IDs."""
        n = len(names)
        plats = np.asarray(
            [platforms] * n if isinstance(platforms, str) else platforms, dtype=object
        )
        ids = self.ids("", plats, n)
        self.tables["accounts"].add(
            account_id=ids,
            platform=plats,
            name=list(names),
            created_at=np.broadcast_to(np.asarray(created_at, dtype=np.int64), (n,)).copy(),
            followers=np.broadcast_to(np.asarray(followers, dtype=np.int64), (n,)).copy(),
            verified=verified,
            identity_key=identity_key,
            is_minor=is_minor,
        )
        for i, p, nm in zip(ids, plats, names):
            self.platform_of[i] = p
            self.name_of[i] = nm
        return ids

    def crowd(
        self,
        n: int,
        shares: dict[str, float],
        *,
        created=("2013-01-01", "2025-12-01"),
        median_followers: float = 150,
        alpha: float = 1.6,
        cap: float = 25.0,
    ) -> Pool:
        """``n`` ordinary accounts split over platforms, with Pareto activity weights (capped)."""
        rng = self.rng
        plats = sorted(shares)
        p = np.array([shares[k] for k in plats], dtype=float)
        which = rng.choice(len(plats), size=n, p=p / p.sum())
        lo, hi = ts(created[0] + "T00:00"), ts(created[1] + "T00:00")
        created_at = rng.integers(lo, hi, n)
        followers = np.round(rng.lognormal(np.log(median_followers), 1.3, n)).astype(np.int64)
        ids = self.accounts(
            np.array(plats, dtype=object)[which], nicknames(rng, n), created_at, followers
        )
        weights = np.minimum(rng.pareto(alpha, n) + 1.0, cap)
        return Pool(
            {k: ids[which == j] for j, k in enumerate(plats)},
            {k: weights[which == j] for j, k in enumerate(plats)},
        )

    # --- contents ----------------------------------------------------------------------------

    def contents(
        self,
        accounts,
        times,
        texts,
        *,
        kind="post",
        reply_to=None,
        event=None,
        event_id=None,
        harm=None,
        target_ids=None,
        media_hash=None,
        remember=False,
        platforms=None,
        bad=False,
    ) -> np.ndarray:
        """Add contents (vectorised); ``event`` is the ground-truth event and ``bad`` whether
        the content was planted as harmful (both never written); ``event_id`` is the written
        column. Returns the new content IDs."""
        accounts = np.asarray(accounts, dtype=object)
        n = len(accounts)
        if n == 0:
            return np.empty(0, dtype=object)
        plats = (
            np.array([self.platform_of[a] for a in accounts], dtype=object)
            if platforms is None
            else np.asarray(platforms, dtype=object)
        )
        letter = {"comment": "c", "dm": "d"}.get(kind, "m")
        ids = self.ids(letter, plats, n)
        times = np.broadcast_to(np.asarray(times, dtype=np.int64), (n,)).copy()
        harm = np.full(n, np.nan) if harm is None else np.round(np.asarray(harm, dtype=float), 3)
        urls = None
        if kind in ("post", "video"):
            urls = [
                _URL[p].format(a=a.split(":")[1], c=c.split(":")[1])
                for p, a, c in zip(plats, accounts, ids)
            ]
        self.tables["contents"].add(
            content_id=ids,
            account_id=accounts,
            platform=plats,
            posted_at=times,
            text=list(texts),
            kind=kind,
            reply_to=reply_to,
            event_id=event_id,
            harm=harm,
            target_ids=target_ids,
            media_hash=media_hash,
            url=urls,
            _event=event,
            _bad=bad,
        )
        if remember:
            for c, a, p, t in zip(ids, accounts, plats, times.tolist()):
                self.known[c] = (a, p, t)
        return ids

    def post(self, account: str, t: int, text: str, **kw) -> str:
        """One content; remembered so that others can repost or answer it."""
        kw.setdefault("remember", True)
        tg = kw.pop("target_ids", None)
        return self.contents([account], [t], [text], target_ids=None if tg is None else [tg], **kw)[
            0
        ]

    # --- reposts -----------------------------------------------------------------------------

    def repost(
        self,
        account: str,
        source: str,
        t: int,
        text: str | None = None,
        *,
        event=None,
        harm: float | None = None,
    ) -> str:
        """One repost (remembered, so that it can be reposted in turn)."""
        platform = self.platform_of[account]
        rid = self.ids("r", platform, 1)
        self.tables["reposts"].add(
            repost_id=rid,
            account_id=np.array([account], dtype=object),
            source_id=[source],
            reposted_at=np.array([t], dtype=np.int64),
            platform=platform,
            text=[text],
            harm=np.array([np.nan if harm is None else round(harm, 3)]),
            _event=event,
        )
        self.known[rid[0]] = (account, platform, t)
        return rid[0]

    def cascade(
        self,
        source: str,
        n: int,
        pool: Pool,
        *,
        event=None,
        chain_prob=0.25,
        median_delay=2.5 * HOUR,
        sigma=1.5,
        texts=None,
        text_prob=0.0,
        harm_range=None,
        exclude=(),
    ) -> np.ndarray:
        """``n`` organic reposts of ``source`` by distinct accounts of ``pool`` on the source's
        platform: heavy-tailed (log-normal) delays thinned by the hour-of-day rhythm; a share
        ``chain_prob`` reposts an earlier repost instead of the source (repost chains)."""
        author, platform, t0 = self.known[source]
        ids, w = pool.ids.get(platform), pool.weights.get(platform)
        if ids is None or n <= 0:
            return np.empty(0, dtype=object)
        accounts = self.sample_accounts(ids, w, n, exclude=(author, *exclude))
        n = len(accounts)
        times = t0 + self.delays(t0, n, median_delay, sigma)
        parents = np.empty(n, dtype=object)
        parents[:] = source
        rids = self.ids("r", platform, n)
        chained = (self.rng.random(n) < chain_prob) & (np.arange(n) > 0)
        j = np.floor(self.rng.random(n) * np.arange(n)).astype(np.int64)
        parents[chained] = rids[j[chained]]
        text = np.full(n, None, dtype=object)
        harm = np.full(n, np.nan)
        if texts:
            has = self.rng.random(n) < text_prob
            text[has] = [texts[k] for k in self.rng.integers(0, len(texts), int(has.sum()))]
            if harm_range is not None:
                harm[has] = np.round(self.rng.uniform(*harm_range, int(has.sum())), 3)
        self.tables["reposts"].add(
            repost_id=rids,
            account_id=accounts,
            source_id=parents,
            reposted_at=times,
            platform=platform,
            text=text,
            harm=harm,
            _event=event,
        )
        return rids

    def sample_accounts(
        self, ids: np.ndarray, weights: np.ndarray, n: int, *, exclude=()
    ) -> np.ndarray:
        """Up to ``n`` distinct accounts, drawn with probability proportional to ``weights``.

        Small samples draw with replacement from the cumulative weights and drop repeats
        (O(n log N)); large ones use the Gumbel top-k trick (O(N)), both vectorised."""
        rng = self.rng
        if 4 * n < len(ids):
            cdf = self._cdf(weights)
            draws = np.searchsorted(cdf, rng.random(2 * n + 8) * cdf[-1], side="right")
            _, first = np.unique(draws, return_index=True)
            picked = ids[draws[np.sort(first)]]
            if exclude:
                picked = picked[[a not in exclude for a in picked]]
            if len(picked) >= n:
                return picked[:n]
        keys = np.log(weights) + rng.gumbel(size=len(ids))
        if exclude:
            keys[np.isin(ids, np.array(list(exclude), dtype=object))] = -np.inf
        n = min(n, int(np.isfinite(keys).sum()))
        top = np.argpartition(-keys, n - 1)[:n] if n < len(ids) else np.arange(len(ids))
        top = top[np.isfinite(keys[top])]
        return ids[top[np.argsort(-keys[top], kind="stable")]]

    def _cdf(self, weights: np.ndarray) -> np.ndarray:
        """Cumulative weights, cached per weights array (pools are sampled many times)."""
        hit = self._cdfs.get(id(weights))
        if hit is None or hit[0] is not weights:
            hit = (weights, np.cumsum(weights))
            self._cdfs[id(weights)] = hit
        return hit[1]

    def delays(self, t0: int, n: int, median: float, sigma: float) -> np.ndarray:
        """``n`` sorted delays (seconds, >= 5): log-normal, thinned by the local hour rhythm."""
        rng = self.rng
        m = 2 * n + 16
        d = np.clip(rng.lognormal(np.log(median), sigma, m), 5, 12 * DAY).astype(np.int64)
        hours = ((t0 + d + CN) % DAY) // HOUR
        keep = rng.random(m) < HOUR_WEIGHTS[hours]
        d = np.concatenate([d[keep], d[~keep]])[:n]
        return np.sort(d)

    # --- comments and reports ----------------------------------------------------------------

    def comments_on(
        self,
        parents: list[str],
        n: int,
        pool: Pool,
        texts: list[str],
        harm,
        *,
        event=None,
        event_ids=None,
        target=None,
        bad=False,
        median_delay=3 * HOUR,
        sigma=1.4,
        parent_weights=None,
        not_before: int | None = None,
    ) -> np.ndarray:
        """``n`` comments replying to ``parents`` (chosen by weight) from ``pool`` accounts of each
        parent's platform. ``texts``, ``harm`` (NaN: unknown), ``event_ids`` (written column),
        ``target`` (one account or a list of ``target_ids`` per row) and ``bad`` (planted as
        harmful) are per comment, or scalars for all. Delays count from the parent's time or
        from ``not_before`` when that is later (an attack on old posts starts with the attack)."""
        rng = self.rng
        if n <= 0 or not parents:
            return np.empty(0, dtype=object)
        pw = np.ones(len(parents)) if parent_weights is None else np.asarray(parent_weights, float)
        which = rng.choice(len(parents), size=n, p=pw / pw.sum())
        if isinstance(target, str):
            target = [[target]] * n
        out = []
        for k in np.unique(which):
            sel = np.flatnonzero(which == k)
            author, platform, t0 = self.known[parents[k]]
            t0 = t0 if not_before is None else max(t0, not_before)
            ids, w = pool.ids.get(platform), pool.weights.get(platform)
            if ids is None:
                continue
            accounts = ids[rng.choice(len(ids), size=len(sel), p=w / w.sum())]
            times = t0 + self.delays(t0, len(sel), median_delay, sigma)
            b = _rows(bad, sel)
            out.append(
                self.contents(
                    accounts,
                    times,
                    [texts[i] for i in sel],
                    kind="comment",
                    reply_to=parents[k],
                    event=event,
                    event_id=_rows(event_ids, sel),
                    harm=np.asarray(harm)[sel],
                    target_ids=_rows(target, sel),
                    bad=np.asarray(b, dtype=bool) if isinstance(b, list) else b,
                )
            )
        return np.concatenate(out) if out else np.empty(0, dtype=object)

    def reports(
        self, content_ids, accounts, times, reporters, reasons, *, involves_minor=None
    ) -> None:
        """Add reports (``reported_at`` in the reporting system's UTC)."""
        n = len(content_ids)
        self.tables["reports"].add(
            report_id=self.plain_ids("report", n),
            reported_at=np.asarray(times, np.int64),
            reporter_id=list(reporters),
            content_id=list(content_ids),
            account_id=list(accounts),
            reason=list(reasons),
            involves_minor=involves_minor,
        )


__all__ = ["World", "Pool", "ts", "HOUR", "DAY", "NO_TIME"]


def _rows(value, sel: np.ndarray):
    """The rows ``sel`` of a per-row list or array; a scalar (or None) as is."""
    if isinstance(value, (list, np.ndarray)):
        return [value[i] for i in sel]
    return value


def _hidden_contents(world: World) -> dict[str, np.ndarray]:
    """The generator's view of the contents so far: id, account, time, targets, event, bad."""
    t = world.tables["contents"]
    return {
        "id": t.column("content_id"),
        "account": t.column("account_id"),
        "time": t.column("posted_at"),
        "targets": t.column("target_ids"),
        "event": t.column("_event"),
        "bad": np.array([bool(b) for b in t.column("_bad")], dtype=bool),
    }
