"""Cross-platform copying and splicing (跨平台搬运拼接): contents assembled from pieces of others.

A *splice* is a content whose text is put together from fragments of two or
more **earlier** contents by **other** accounts, typically lifted from another
platform.  A content that is simply a (near-)copy of one earlier content is a
copy, not a splice; a content assembled from the author's own earlier posts is
not a splice either.

How it works
------------
Texts are normalised with :func:`pileon.graph.textsim.normalize` (no punctuation,
spaces, URLs, mentions or ``//@`` repost chains; works without word breaks, so
for Chinese) and cut into character ``k``-grams.  Contents are visited in time
order; an inverted index maps every ``k``-gram to the first few accounts (and
their earliest content) that used it, so each candidate only looks at the
earlier contents it shares ``k``-grams with -- never all pairs.  For a
candidate, each such source covers the characters of the candidate that lie in
a shared ``k``-gram; covered stretches separated by at most ``max_gap``
characters (small edits) are merged, and only stretches of at least
``min_fragment_chars`` count as fragments.  Sources are then chosen greedily by
how many *not yet covered* characters their fragments add (ties: the earlier
source), which yields sources covering disjoint parts of the candidate.  The
candidate is a splice when

* the best single source covers less than ``copy_coverage`` of it (else: copy),
* at least ``min_sources`` sources each add a fragment, and
* together they cover at least ``min_coverage`` of it.

Two kinds of text look like splices without being any:

* recombined *stock phrases* -- the openers, insults and slogans that crowds (and
  generators) combine freely in posts and comments.  A fragment is a stock phrase
  when many other contents of different wording carry it and copies of its source
  are a minority of them; such a source does not count (see ``min_dominance``).
  This runs in rounds: copies of splices already found are left out, so that a
  viral splice copied many times does not make its sentences look like stock.
* a rebuttal that quotes two rumours to refute them: contents whose ``harm`` is
  known and low (``benign_harm``) are not examined.

By default only published kinds (posts, videos, lives) are examined, as splices
and as sources; comments and private messages still count as hosts of stock
phrases.  Sources on another platform than the splice, and harmful sources or
splices (``harm`` at least ``harm_threshold``), raise the finding's strength.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from pileon.detectors.findings import Evidence, RoleFinding
from pileon.detectors.harm import HARM_THRESHOLD
from pileon.graph.projection import Projection
from pileon.graph.textsim import gram_codes, normalize_all

__all__ = ["detect_splicers", "Splice", "find_splices"]

#: kinds of content that publish information (candidates and sources by default): not
#: comments, whose stock phrases recombine freely, nor private messages
PUBLISHED_KINDS = ("post", "video", "live")
#: how many distinct accounts the index keeps per k-gram (the earliest ones)
_POSTING_ACCOUNTS = 3
#: at most this many sources (by shared k-grams) are measured exactly per candidate
_MAX_SOURCES = 24


@dataclass(frozen=True)
class Fragment:
    """One part of a splice and where it came from."""

    text: str
    start: int
    end: int
    source_id: str
    source_account: str
    source_platform: str | None
    source_posted_at: pd.Timestamp
    source_harm: float
    #: share of the other contents carrying the fragment that are copies of its source
    dominance: float = 1.0


@dataclass(frozen=True)
class Splice:
    """A content found to be assembled from fragments of earlier contents by other accounts."""

    content_id: str
    account_id: str
    platform: str | None
    posted_at: pd.Timestamp
    harm: float
    length: int
    coverage: float
    fragments: tuple[Fragment, ...]

    @property
    def source_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.source_id for f in self.fragments))


def _runs(mask: np.ndarray, max_gap: int, min_len: int) -> list[tuple[int, int]]:
    """Stretches ``[a, b)`` of True in ``mask``, merging gaps of at most ``max_gap`` False,
    keeping stretches of at least ``min_len`` (counted over the True positions they hold)."""
    idx = np.flatnonzero(mask)
    if not len(idx):
        return []
    breaks = np.flatnonzero(np.diff(idx) > max_gap + 1)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [len(idx) - 1]])
    out = []
    for s, e in zip(starts.tolist(), ends.tolist()):
        if e - s + 1 >= min_len:
            out.append((int(idx[s]), int(idx[e]) + 1))
    return out


#: (content, k-gram) meetings the host search of all fragments may make together: past it,
#: the fragments of the heaviest loads have their hosts sampled (see _hosts)
HOST_BUDGET = 30_000_000
#: (text, fragment) meetings handled at once by _hosts (bounds its memory)
_HOST_CHUNK = 2_000_000
#: k-grams read past the least prefix of the prefix filter (_hosts, _GramSets): a pair must then meet
#: on ``1 + _PREFIX_MORE`` of them, which few pairs that share only common k-grams do
_PREFIX_MORE = 4


#: the host sample's seed (one draw per content of the pool: the same on every run)
_HOST_SEED = 0
_BITS = 31
_ALL = 1 << _BITS


@dataclass(frozen=True)
class _HostSets:
    """Each fragment's host texts: the distinct texts of the pool holding 60% of its k-grams,
    each with its number of copies (drawn copies when sampled), and the share ``rate`` of the
    pool's contents looked at for it (1.0: all, exact).

    Fragments of the same text share their hosts: ``of`` gives each fragment's distinct
    fragment text, and the hosts are listed once per distinct fragment text, as flat arrays
    sorted by (distinct fragment text, host)."""

    #: the pool's distinct texts (``host`` indexes them)
    uniq: np.ndarray
    #: each fragment's distinct fragment text
    of: np.ndarray
    #: per (distinct fragment text, host text): the fragment text, the host and its copies
    frag: np.ndarray
    host: np.ndarray
    drawn: np.ndarray
    rates: np.ndarray
    #: (distinct text, distinct fragment) meetings on shared k-grams made (the work)
    meetings: int

    @property
    def texts(self) -> list[list[tuple[str, int]]]:
        """Each fragment's hosts as (text, copies), by host number."""
        n = int(self.of.max()) + 1 if len(self.of) else 0
        cut = np.searchsorted(self.frag, np.arange(n + 1)).tolist()
        host, drawn = self.host.tolist(), self.drawn.tolist()
        each = [
            [(self.uniq[y], z) for y, z in zip(host[a:b], drawn[a:b])]
            for a, b in zip(cut[:-1], cut[1:])
        ]
        return [each[x] for x in self.of.tolist()]


def _sorted_unique(x: np.ndarray, *, counts: bool = False):
    """``np.unique`` by sorting (numpy's hashed unique is slower on large integer arrays)."""
    x = np.sort(x)
    if not len(x):
        return (x, np.zeros(0, dtype=np.int64)) if counts else x
    first = np.flatnonzero(np.r_[True, x[1:] != x[:-1]])
    if not counts:
        return x[first]
    return x[first], np.diff(np.r_[first, len(x)])


def _water_level(load: np.ndarray, budget: float) -> float:
    """The cap ``c`` with ``sum(min(load, c)) == budget`` (infinite when the loads fit)."""
    if float(load.sum()) <= budget:
        return float("inf")
    x = np.sort(load)
    below = np.r_[0.0, np.cumsum(x)[:-1]]  # sum of the loads under x[i]
    # capping at x[i] makes: below[i] + x[i] * (n - i)
    made = below + x * (len(x) - np.arange(len(x)))
    i = int(np.searchsorted(made, budget, side="right")) - 1
    i = max(i, 0)
    return (budget - below[i]) / (len(x) - i) if made[i] <= budget else budget / len(x)


def _hosts(
    pg: _PoolGrams,
    frags: list[tuple[int, int, int]],
    k: int,
    *,
    budget: float | None = None,
    seed: int = _HOST_SEED,
) -> _HostSets:
    """For each fragment ``(text, start, end)`` (a stretch of the distinct text ``text`` of the
    pool ``pg``), the distinct texts of the pool holding at least 60% of its distinct
    k-grams, with their numbers of copies.

    **Prefix filter (exact).** A text holding 60% of a fragment's ``n`` distinct k-grams
    (``need``: the least count that makes 60%) misses at most ``n - need`` of them, so it
    holds at least ``d + 1`` of its ``n - need + 1 + d`` rarest (``d`` =
    :data:`_PREFIX_MORE`): only the postings of those are read, and each text listed in
    ``d + 1`` of them is then checked against all ``n`` k-grams.  Common k-grams
    (syllables, stock words) are never read.

    **Bound.** A fragment's *load* is the number of contents of the pool holding each of its
    k-grams, summed over them: the meetings a search without the prefix filter makes, and a
    bound on the hosts :func:`_dominances` walks.  The loads of the
    distinct fragments together may reach ``budget`` (default :data:`HOST_BUDGET`); past
    it, every load is capped at the level ``c`` where the capped loads sum to ``budget``,
    and a fragment of load above ``c`` (a stock phrase that thousands of comments carry)
    has its hosts *sampled* at rate ``r = c / load``: each content of the pool draws a
    number in [0, 1) once (seeded), and the fragment looks only at the contents that drew
    less than ``r``.  A distinct text is looked at when one of its copies is, and counts
    its drawn copies; whether it holds 60% of the fragment is still decided exactly.  The
    hosts found are then a uniform sample of the contents hosting the fragment, of
    expected size ``r`` times theirs.  Error: nothing changes for a fragment of load at
    most ``c`` (every fragment when the loads fit the budget, as on ira-dev: 4.8M of
    30M); for a sampled one, the shares measured on its hosts (:func:`_dominances`) are
    ratio estimates over about ``r · n`` drawn hosts out of ``n`` (standard error about
    ``sqrt(s (1 - s) / (r n))`` for a share ``s``), the number of other hosts is scaled up
    by ``1 / r``, and fewer than two contexts may be seen among few drawn hosts.

    Notes
    -----
    Numpy, no Python loop per character: the k-grams of the distinct texts are coded once
    (:func:`gram_codes`) and each k-gram's posting lists its texts by their smallest draw,
    so the texts drawn under a rate are a prefix of it.  Each distinct fragment text is
    searched once.  O(C log C) for C characters of distinct text, plus O(B · G log C) for
    B ≤ ``budget`` meetings (expected) checked against G k-grams each, handled
    :data:`_HOST_CHUNK` at a time.
    """
    budget = HOST_BUDGET if budget is None else budget
    if not frags:
        none = np.zeros(0, dtype=np.int64)
        return _HostSets(pg.uniq, none, none, none, none, np.zeros(0), 0)
    codes, uniq, gc, bounds = pg.codes, pg.uniq, pg.gc, pg.bounds
    n_text = len(uniq)
    copies = np.bincount(codes, minlength=n_text)
    draw = np.random.default_rng(seed).integers(0, _ALL, size=len(codes), dtype=np.int64)
    # each text's draws in order: the copies drawn under a rate are a prefix of its run
    row_key = np.sort((codes << _BITS) | draw)
    row_start = np.r_[0, np.cumsum(copies)]
    first = row_key[row_start[:-1]] & (_ALL - 1)  # each text's smallest draw
    # texts numbered by their smallest draw: a k-gram's texts in number order are in draw order
    by_draw = np.argsort(first, kind="stable")
    number = np.empty(n_text, dtype=np.int64)
    number[by_draw] = np.arange(n_text)
    n_gram = int(gc.max()) + 1 if len(gc) else 1
    owner = np.repeat(number, np.diff(bounds))
    pair = _sorted_unique(gc * n_text + owner)  # by k-gram, then draw: (k-gram, text) held
    held = pg.held[0]
    p_gram, pt = pair // n_text, by_draw[pair % n_text]
    del owner, pair
    pkey = (p_gram << _BITS) | first[pt]  # sorted
    gstart = np.searchsorted(p_gram, np.arange(n_gram + 1))
    load_of = np.bincount(p_gram, weights=copies[pt], minlength=n_gram)
    del p_gram
    # each distinct fragment text once, by its distinct k-grams; a text holding 60% of them
    # holds one of its n - need + 1 rarest (prefix filter): only those are looked up
    f_at, f_text = pd.factorize(pd.Series([uniq[u][s:e] for u, s, e in frags], dtype=object))
    first_of = np.full(len(f_text), -1, dtype=np.int64)
    first_of[f_at[::-1]] = np.arange(len(frags))[::-1]
    f_grams, f_rare, f_hits = [], [], []
    for x in first_of.tolist():
        u, s, e = frags[x]
        g = _sorted_unique(gc[bounds[u] + s : bounds[u] + e - k + 1])
        need = int(np.ceil(0.6 * len(g)))  # the least count with count >= 0.6 * len(g)
        f_grams.append(g)
        read = min(len(g), len(g) - need + 1 + _PREFIX_MORE)
        f_rare.append(g[np.lexsort((g, load_of[g]))][:read])
        f_hits.append(read - (len(g) - need))
    f_len = np.fromiter(map(len, f_grams), dtype=np.int64, count=len(f_grams))
    r_len = np.fromiter(map(len, f_rare), dtype=np.int64, count=len(f_rare))
    hits = np.array(f_hits, dtype=np.int64)
    fg_all = np.concatenate(f_grams)
    all_cut = np.r_[0, np.cumsum(f_len)]
    fg = np.concatenate(f_rare)
    ff = np.repeat(np.arange(len(f_grams), dtype=np.int64), r_len)
    # the load counts all the fragment's k-grams (what an exact search without the prefix
    # filter meets): the prefix filter alone leaves stock phrases exact, with thousands of
    # hosts each for _dominance to walk
    ff_all = np.repeat(np.arange(len(f_grams), dtype=np.int64), f_len)
    load = np.bincount(ff_all, weights=load_of[fg_all], minlength=len(f_grams))
    cap = _water_level(load, budget)
    rates = np.where(load <= cap, 1.0, cap / np.maximum(load, 1.0))
    limit = np.where(rates >= 1.0, _ALL, (rates * _ALL).astype(np.int64))
    # per (fragment, rare k-gram): the texts of the posting drawn under the fragment's rate
    many = np.searchsorted(pkey, (fg << _BITS) + limit[ff]) - gstart[fg]
    total = np.cumsum(np.bincount(ff, weights=many, minlength=len(f_grams)))
    frag_cut = np.r_[0, np.cumsum(r_len)]
    out: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    meetings = int(many.sum())
    a = 0
    while a < len(f_grams):
        # fragments [a, b): about _HOST_CHUNK meetings, at least one fragment
        b = max(a + 1, int(np.searchsorted(total, (total[a - 1] if a else 0.0) + _HOST_CHUNK)))
        lo, hi = frag_cut[a], frag_cut[b]
        m = many[lo:hi]
        at = np.repeat(gstart[fg[lo:hi]] - np.cumsum(m) + m, m) + np.arange(int(m.sum()))
        cand, met = _sorted_unique(np.repeat(ff[lo:hi], m) * n_text + pt[at], counts=True)
        cand = cand[met >= hits[cand // n_text]]
        a = b
        # each candidate checked against all the fragment's k-grams, a block at a time
        per = f_len[cand // n_text]
        ends = np.cumsum(per)
        c0 = 0
        while c0 < len(cand):
            c1 = max(c0 + 1, int(np.searchsorted(ends, (ends[c0 - 1] if c0 else 0) + _HOST_CHUNK)))
            f, t, n = cand[c0:c1] // n_text, cand[c0:c1] % n_text, per[c0:c1]
            c0 = c1
            at = np.repeat(all_cut[f] - np.cumsum(n) + n, n) + np.arange(int(n.sum()))
            want = np.repeat(t, n) * n_gram + fg_all[at]
            hit = held[np.minimum(np.searchsorted(held, want), len(held) - 1)] == want
            count = np.bincount(np.repeat(np.arange(len(f)), n), weights=hit, minlength=len(f))
            ok = count >= 0.6 * f_len[f]
            f, t = f[ok], t[ok]
            drawn = np.searchsorted(row_key, (t << _BITS) + limit[f]) - row_start[t]
            out.append((f, t, drawn))
    frag, host, drawn = (np.concatenate([o[x] for o in out]) for x in range(3))
    return _HostSets(uniq, f_at.astype(np.int64), frag, host, drawn, rates[f_at], meetings)


def _least(n: np.ndarray, share: float) -> np.ndarray:
    """The least count ``c`` with ``c / n >= share`` (as the float division says; ``n + 1``,
    out of reach, where ``n`` is 0)."""
    n = np.asarray(n, dtype=np.int64)
    safe = np.maximum(n, 1)
    c = np.ceil(share * n).astype(np.int64)
    c = np.where((c - 1) / safe >= share, c - 1, c)
    c = np.where(c / safe < share, c + 1, c)
    return np.where(n > 0, np.maximum(c, 0), n + 1)


#: (pair, k-gram) lookups made at once by _GramSets (bounds its memory)
_PAIR_CHUNK = 4_000_000


class _GramSets:
    """The distinct k-grams of some distinct texts of a pool (:class:`_PoolGrams`), for
    exact tests of how many k-grams two texts share, and the *hosts* among them.

    Each text's k-grams are kept twice: sorted by code (``key``: ``text * G + k-gram``,
    for binary searches) and rarest first among the hosts (``rare``).

    **Prefix filter (exact).** A text sharing at least ``c`` of the ``n`` k-grams of ``a``
    misses at most ``n - c`` of them, so it holds at least ``d + 1`` of any ``n - c + 1 +
    d`` of them: only ``a``'s ``n - c + 1 + d`` rarest k-grams (``d`` =
    :data:`_PREFIX_MORE`) are read first, and only the pairs meeting on ``d + 1`` of them
    are counted in full.
    """

    def __init__(self, pg: _PoolGrams, texts: np.ndarray, hosts: np.ndarray) -> None:
        self.n_text = n_text = len(pg.uniq)
        self.n_gram = n_gram = int(pg.gc.max()) + 1 if len(pg.gc) else 1
        ids = _sorted_unique(np.r_[texts, hosts].astype(np.int64))
        per = pg.bounds[ids + 1] - pg.bounds[ids]
        at = np.repeat(pg.bounds[ids] - np.cumsum(per) + per, per) + np.arange(int(per.sum()))
        self.key = key = _sorted_unique(np.repeat(ids, per) * n_gram + pg.gc[at])
        text, gram = key // n_gram, key % n_gram
        self.start = np.zeros(n_text, dtype=np.int64)
        self.size = np.zeros(n_text, dtype=np.int64)
        cut = np.searchsorted(text, np.r_[ids, n_text])
        self.start[ids] = cut[:-1]
        self.size[ids] = np.diff(cut)
        is_host = np.zeros(n_text, dtype=bool)
        is_host[hosts] = True
        on_host = is_host[text]
        freq = np.bincount(gram[on_host], minlength=n_gram)
        self.rare = gram[np.lexsort((gram, freq[gram], text))]
        # the hosts holding each k-gram, by k-gram then host
        hk = _sorted_unique(gram[on_host] * n_text + text[on_host])
        self.post_host = hk % n_text
        self.post_start = np.searchsorted(hk // n_text, np.arange(n_gram + 1))

    def _held(self, a: np.ndarray, b: np.ndarray, first: np.ndarray) -> np.ndarray:
        """For pairs ``(a, b)``: how many of the ``first`` rarest k-grams of ``a`` ``b``
        holds, :data:`_PAIR_CHUNK` lookups at a time."""
        out = np.zeros(len(a), dtype=np.int64)
        key, n_gram = self.key, self.n_gram
        ends = np.cumsum(first)
        p0 = 0
        while p0 < len(a):
            done = ends[p0 - 1] if p0 else 0
            p1 = max(p0 + 1, int(np.searchsorted(ends, done + _PAIR_CHUNK, side="right")))
            m = first[p0:p1]
            at = np.repeat(self.start[a[p0:p1]] - np.cumsum(m) + m, m) + np.arange(int(m.sum()))
            want = np.repeat(b[p0:p1], m) * n_gram + self.rare[at]
            hit = key[np.minimum(np.searchsorted(key, want), len(key) - 1)] == want
            out[p0:p1] = np.bincount(
                np.repeat(np.arange(p1 - p0), m), weights=hit, minlength=p1 - p0
            ).astype(np.int64)
            p0 = p1
        return out

    def _prefix(self, a: np.ndarray, need: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The prefix filter's rarest k-grams to read for each text of ``a`` and how many of
        them a text sharing ``need`` must hold (``need`` in ``1 .. size``)."""
        n = self.size[a]
        first = np.minimum(n - need + 1 + _PREFIX_MORE, n)
        return first, first - (n - need)

    def at_least(self, a: np.ndarray, b: np.ndarray, need: np.ndarray) -> np.ndarray:
        """Whether texts ``a`` and ``b`` share at least ``need`` distinct k-grams (pair by
        pair)."""
        a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
        need = np.asarray(need, dtype=np.int64)
        ok = need <= 0
        x = np.flatnonzero(~ok & (need <= self.size[a]))
        first, hits = self._prefix(a[x], need[x])
        x = x[self._held(a[x], b[x], first) >= hits]
        ok[x] = self._held(a[x], b[x], self.size[a[x]]) >= need[x]
        return ok

    def join_cost(self, a: np.ndarray, need: np.ndarray) -> int:
        """The postings :meth:`join` reads."""
        a, need = np.asarray(a, dtype=np.int64), np.asarray(need, dtype=np.int64)
        x = np.flatnonzero((need >= 1) & (need <= self.size[a]))
        first, _ = self._prefix(a[x], need[x])
        g = self.rare[
            np.repeat(self.start[a[x]] - np.cumsum(first) + first, first)
            + np.arange(int(first.sum()))
        ]
        return int((self.post_start[g + 1] - self.post_start[g]).sum())

    def join(self, a: np.ndarray, need: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every (text of ``a``, host) sharing at least ``need`` (``>= 1``, per text of
        ``a``) distinct k-grams: the hosts listing enough of the text's rarest k-grams
        (prefix filter), then counted.  Two arrays ``(position in a, host)``, sorted."""
        a, need = np.asarray(a, dtype=np.int64), np.asarray(need, dtype=np.int64)
        x = np.flatnonzero((need >= 1) & (need <= self.size[a]))
        first, hits = self._prefix(a[x], need[x])
        at = np.repeat(self.start[a[x]] - np.cumsum(first) + first, first) + np.arange(
            int(first.sum())
        )
        g = self.rare[at]
        many = self.post_start[g + 1] - self.post_start[g]
        at = np.repeat(self.post_start[g] - np.cumsum(many) + many, many) + np.arange(
            int(many.sum())
        )
        owner = np.repeat(np.repeat(np.arange(len(x)), first), many)
        cand, met = _sorted_unique(owner * self.n_text + self.post_host[at], counts=True)
        cand = cand[met >= hits[cand // self.n_text]]
        y, h = x[cand // self.n_text], cand % self.n_text
        ok = self._held(a[y], h, self.size[a[y]]) >= need[y]
        return y[ok], h[ok]


class _HostTexts:
    """Which host texts are copies of a splice found so far (80% of the splice's k-grams;
    found through the hosts listing the splice's rarest k-grams, never against every
    splice), and the work done on the hosts."""

    def __init__(self, k: int) -> None:
        self.k = k
        #: distinct texts (of the pool) found to be a copy of a known splice
        self.copies: set[int] = set()
        #: the contents whose k-grams are known
        self.ids: set[int] = set()
        #: work counter: k-gram set comparisons made (for tests of the bound)
        self.comparisons = 0

    def add_known(self, gs: _GramSets, splices: np.ndarray) -> np.ndarray:
        """Add the newly found splices (distinct texts); the host texts (not yet copies)
        that are copies of one of them."""
        if not len(splices):
            return np.zeros(0, dtype=np.int64)
        splices = np.asarray(splices, dtype=np.int64)
        x, h = gs.join(splices, _least(gs.size[splices], 0.8))
        newly = np.array(sorted(set(h.tolist()) - self.copies), dtype=np.int64)
        self.copies.update(newly.tolist())
        return newly


@dataclass(frozen=True)
class _HostTable:
    """The hosts of every fragment of the candidates, as flat arrays by (fragment, host
    text in (length, text) order), with what does not change between rounds: whether the
    host is a near-copy of the fragment's splice (80% of the splice's k-grams) and a copy
    of its source (70% of the source's k-grams)."""

    #: per (fragment, host): the fragment (number in ``keys``), the host text, its copies
    key: np.ndarray
    host: np.ndarray
    copies: np.ndarray
    of_splice: np.ndarray
    of_source: np.ndarray
    #: where each fragment's hosts start (``len(keys) + 1`` bounds)
    cut: np.ndarray
    rates: np.ndarray


def _host_table(
    keys: list[tuple[int, int, int, int]], u: np.ndarray, hs: _HostSets, gs: _GramSets
) -> _HostTable:
    """:class:`_HostTable` of the fragments ``keys`` ``(splice, source, start, end)``
    (contents) whose distinct texts are ``u``, from their hosts ``hs``.

    Each test is made once per distinct (text, host) pair: by the hosts listing the text's
    rarest k-grams (:meth:`_GramSets.join`) when those postings are fewer than the pairs'
    lookups, else pair by pair (:meth:`_GramSets.at_least`); both exact."""
    n_key = len(keys)
    arr = np.array(keys, dtype=np.int64).reshape(-1, 4)
    splice, source = u[arr[:, 0]], u[arr[:, 1]]
    n_frag = int(hs.of.max()) + 1 if len(hs.of) else 0
    f_cut = np.searchsorted(hs.frag, np.arange(n_frag + 1))
    many = f_cut[hs.of + 1] - f_cut[hs.of]
    at = np.repeat(f_cut[hs.of] - np.cumsum(many) + many, many) + np.arange(int(many.sum()))
    key = np.repeat(np.arange(n_key), many)
    host, copies = hs.host[at], hs.drawn[at]
    # hosts in (length, text) order, as the contexts are counted in that order
    distinct = _sorted_unique(host)
    by = sorted(
        range(len(distinct)), key=lambda x: (len(hs.uniq[distinct[x]]), hs.uniq[distinct[x]])
    )
    rank = np.zeros(len(hs.uniq), dtype=np.int64)
    rank[distinct[np.array(by, dtype=np.int64)]] = np.arange(len(distinct))
    order = np.lexsort((rank[host], key))
    key, host, copies = key[order], host[order], copies[order]
    size = gs.size
    flags = []
    for text, share, short in ((splice, 0.8, 0.79), (source, 0.7, 0.69)):
        # a host shorter than 80% (70%) of the text's k-grams cannot share as much with it
        # (a bound a little below, so the test is exact)
        t = text[key]
        tall = size[host] >= short * size[t]
        want = t * gs.n_text + host
        pair = _sorted_unique(want[tall])
        pt, ph = pair // gs.n_text, pair % gs.n_text
        a = _sorted_unique(text)
        need = _least(size[a], share)
        first, _ = gs._prefix(a, np.clip(need, 1, np.maximum(size[a], 1)))
        if gs.join_cost(a, need) <= int(first.mean() if len(first) else 0) * len(pair):
            # each text's near hosts by their rarest k-grams (cheaper than every pair)
            y, h = gs.join(a, need)
            near = _sorted_unique(a[y] * gs.n_text + h)
        else:
            near = pair[gs.at_least(pt, ph, _least(size[pt], share))]
        at = np.minimum(np.searchsorted(near, want), max(len(near) - 1, 0))
        flags.append((near[at] == want) if len(near) else np.zeros(len(want), dtype=bool))
    table = _HostTable(
        key=key,
        host=host,
        copies=copies,
        of_splice=flags[0],
        of_source=flags[1],
        cut=np.searchsorted(key, np.arange(n_key + 1)),
        rates=hs.rates,
    )
    return table


def _dominances(
    ask: np.ndarray, table: _HostTable, copy: np.ndarray, gs: _GramSets, ht: _HostTexts
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How much each fragment of ``ask`` belongs to its source: ``(share, others,
    contexts)``, three arrays.

    The *hosts* of a fragment are the texts carrying it, each distinct one with its number
    of copies, in order of (length, text) (:class:`_HostTable`).  A host is a copy of the
    source when it holds 70% of the source's k-grams; hosts holding 80% of the splice's
    k-grams (the splice and its own copies) are left out.  ``share`` is the part of the
    remaining hosts that are copies of the source, ``others`` the number of the other
    hosts, and ``contexts`` counts them as groups of near-copies of one another (a viral
    text and its copies are one context), **up to 2**: only ``contexts < 2`` is ever
    asked, so counting stops there.  Copies of the splices found so far (``copy``, by
    distinct text) are left out too.  A sentence cut out of a story lives mostly in that
    story and its copies, and in a few splices (few contexts); a stock phrase (an insult, a
    slogan) lives in many unrelated texts of which the source is one (many contexts, a
    small share).

    The first context is the first other host; a second one is the first later other host
    that is not a near-copy of it (sharing 70% of the k-grams of the shorter of the two).

    When the hosts are a sample of the contents at ``rate`` (:func:`_hosts`), the copies
    are the drawn ones: ``share`` is the share among the drawn contents and ``others`` is
    scaled up by ``1 / rate`` (an estimate of the number among all contents).

    Notes
    -----
    Numpy over all the fragments at once, on k-gram codes: the tests against the splice
    and the source do not change between rounds (:func:`_host_table`); the contexts
    compare the later other hosts with the first in waves (1, 2, 4, ... per fragment),
    so that a fragment stops at the first host of another context.  At most four k-gram
    set comparisons per distinct host text and fragment, whatever the number of hosts.
    """
    ask = np.asarray(ask, dtype=np.int64)
    many = table.cut[ask + 1] - table.cut[ask]
    at = np.repeat(table.cut[ask] - np.cumsum(many) + many, many) + np.arange(int(many.sum()))
    mine = np.repeat(np.arange(len(ask)), many)
    host, m = table.host[at], table.copies[at].astype(np.float64)
    counted = ~(copy[host] | table.of_splice[at])
    of_source = counted & table.of_source[at]
    other = counted & ~of_source
    # the work as k-gram set comparisons: a host is tested against the splice, a counted
    # host against the source (each settled by the table), and some against a context
    ht.comparisons += len(at) + int(counted.sum())
    n_all = np.bincount(mine, weights=m * counted, minlength=len(ask))
    n_src = np.bincount(mine, weights=m * of_source, minlength=len(ask))
    share = np.where(n_all > 0, n_src / np.maximum(n_all, 1.0), 0.0)
    others = (n_all - n_src) / table.rates[ask]
    contexts = np.zeros(len(ask), dtype=np.int64)
    at_other = np.flatnonzero(other)
    who = mine[at_other]
    lead = np.r_[True, who[1:] != who[:-1]] if len(who) else np.zeros(0, dtype=bool)
    contexts[who[lead]] = 1
    rep = np.zeros(len(ask), dtype=np.int64)
    rep[who[lead]] = host[at_other[lead]]
    # the later other hosts of each fragment, numbered from 0
    rest, rest_who = at_other[~lead], who[~lead]
    num = np.arange(len(rest)) - np.searchsorted(rest_who, rest_who)
    open_ = np.ones(len(ask), dtype=bool)
    lo, width = 0, 1
    while len(rest):
        look = (num >= lo) & (num < lo + width) & open_[rest_who]
        if not look.any():
            break
        h, w = host[rest[look]], rest_who[look]
        r = rep[w]
        near = gs.at_least(h, r, np.ceil(0.7 * np.minimum(gs.size[h], gs.size[r])))
        ht.comparisons += len(h)
        two = np.unique(w[~near])
        contexts[two] = 2
        open_[two] = False
        lo, width = lo + width, 2 * width
    return share, others, contexts


def _check_options(
    min_fragment_chars: int,
    min_sources: int,
    k: int,
    min_coverage: float,
    copy_coverage: float,
    max_gap: int,
) -> None:
    if k < 2:
        raise ValueError("k must be at least 2")
    if min_fragment_chars < k:
        raise ValueError(f"min_fragment_chars ({min_fragment_chars}) must be at least k ({k})")
    if min_sources < 2:
        raise ValueError("min_sources must be at least 2 (one source makes a copy, not a splice)")
    if not 0.0 < min_coverage <= 1.0:
        raise ValueError("min_coverage must be in (0, 1]")
    if not 0.0 < copy_coverage <= 1.0:
        raise ValueError("copy_coverage must be in (0, 1]")
    if max_gap < 0:
        raise ValueError("max_gap must be non-negative")


def find_splices(
    p: Projection,
    *,
    min_fragment_chars: int = 14,
    min_sources: int = 2,
    min_coverage: float = 0.4,
    copy_coverage: float = 0.9,
    k: int = 5,
    max_gap: int = 3,
    kinds: Iterable[str] | None = PUBLISHED_KINDS,
    min_dominance: float = 0.5,
    stock_hosts: int = 5,
    benign_harm: float | None = 0.2,
    show_progress: bool = False,
) -> list[Splice]:
    """Every splice among the event's contents, in (posted_at, content_id) order.

    Parameters are those of :func:`detect_splicers` (without the strength options).

    Returns
    -------
    list of Splice
        With the fragments in the order they appear in the splice.

    Notes
    -----
    O(N · k · P) to index and query N characters of text with at most P accounts
    per ``k``-gram, plus O(S · L) per candidate of L characters for its S most
    promising sources.  Exact repeats of an earlier text are skipped at once.

    Two passes: :func:`_candidate_splices` finds, in time order, the contents that
    earlier contents of others cover in fragments (:func:`_source_masks`,
    :func:`_choose_sources`); :func:`_lifted_splices` then keeps those whose
    fragments were cut out of their sources rather than being stock phrases: O(D · G)
    per fragment carried by D distinct texts of G k-grams, each fragment measured again
    only when one of its texts turns out a copy of a splice found in an earlier round.
    """
    _check_options(min_fragment_chars, min_sources, k, min_coverage, copy_coverage, max_gap)
    if not 0.0 <= min_dominance <= 1.0:
        raise ValueError("min_dominance must be in [0, 1]")
    if stock_hosts < 0:
        raise ValueError("stock_hosts must be non-negative")
    opts = _Options(
        min_fragment_chars=min_fragment_chars,
        min_sources=min_sources,
        min_coverage=min_coverage,
        copy_coverage=copy_coverage,
        k=k,
        max_gap=max_gap,
        min_dominance=min_dominance,
        stock_hosts=stock_hosts,
        benign_harm=benign_harm,
    )
    texts = _Texts.of(p, kinds)
    if texts is None:
        return []
    prelim = _candidate_splices(texts, opts, show_progress=show_progress)
    if not prelim:
        return []
    return _lifted_splices(prelim, texts, opts)


@dataclass(frozen=True)
class _Options:
    """The options of :func:`find_splices` (see :func:`detect_splicers`)."""

    min_fragment_chars: int
    min_sources: int
    min_coverage: float
    copy_coverage: float
    k: int
    max_gap: int
    min_dominance: float
    stock_hosts: int
    benign_harm: float | None


@dataclass(frozen=True)
class _Texts:
    """The contents examined, sorted by (posted_at, content_id), column by column, and the
    pool of every content's text that may host a fragment."""

    #: normalised texts of every content with text, time and author, of any kind
    pool: list[str]
    ids: list[str]
    accounts: list[str]
    platforms: list[str | None]
    #: posting times (a series by position: the Timestamps are made only for the findings)
    times: pd.Series
    harm: np.ndarray
    #: normalised texts
    norms: list[str]
    time_ns: np.ndarray
    #: the row of ``pool`` of each content examined
    pool_rows: np.ndarray
    #: :meth:`grams` by k
    _grams: dict = field(default_factory=dict, compare=False, repr=False)

    def grams(self, k: int) -> _PoolGrams:
        """The k-grams of the distinct texts of the pool, cut once for both passes."""
        if k not in self._grams:
            codes, uniq = pd.factorize(np.asarray(self.pool, dtype=object))
            gc, bounds = gram_codes(uniq.tolist(), k)
            self._grams[k] = _PoolGrams(codes.astype(np.int64), uniq, gc, bounds)
        return self._grams[k]

    @classmethod
    def of(cls, p: Projection, kinds: Iterable[str] | None) -> _Texts | None:
        """The contents of ``kinds`` (None: all) with text, time and author; None if none."""
        c = p.contents
        if c.empty:
            return None
        if "placeholder" in c:
            c = c[~c["placeholder"].astype(bool)]
        c = c[c["text"].notna() & c["posted_at"].notna() & c["account_id"].notna()]
        normed = normalize_all(c["text"])
        pool = normed.tolist()
        # normalised once, carried through the filter and sort
        c = c.assign(_norm=normed, _row=np.arange(len(c)))
        if kinds is not None:
            kind = c["kind"].where(c["kind"].notna(), "post") if "kind" in c else "post"
            c = c[pd.Series(kind, index=c.index).isin(set(kinds))]
        if c.empty:
            return None
        c = c.sort_values(["posted_at", "content_id"], kind="mergesort")
        return cls(
            pool=pool,
            ids=c["content_id"].astype(str).tolist(),
            accounts=c["account_id"].astype(str).tolist(),
            platforms=[
                None if na else str(x)
                for x, na in zip(c["platform"].tolist(), c["platform"].isna().tolist())
            ],
            times=c["posted_at"].reset_index(drop=True),
            harm=pd.to_numeric(c["harm"], errors="coerce").to_numpy(dtype=float),
            norms=c["_norm"].tolist(),
            time_ns=c["posted_at"].astype("int64").to_numpy(),
            pool_rows=c["_row"].to_numpy(dtype=np.int64),
        )


@dataclass(frozen=True)
class _PoolGrams:
    """The distinct texts of a pool and their k-grams (:func:`gram_codes`)."""

    #: the distinct text of each row of the pool
    codes: np.ndarray
    #: the distinct texts
    uniq: np.ndarray
    #: the k-gram codes of the distinct texts, and where each text's start
    gc: np.ndarray
    bounds: np.ndarray

    @property
    def n_gram(self) -> int:
        """How many distinct k-grams (codes ``0 .. n_gram - 1``)."""
        return int(self.gc.max()) + 1 if len(self.gc) else 1

    @cached_property
    def held(self) -> tuple[np.ndarray, np.ndarray]:
        """Each distinct text's distinct k-grams as ``text * n_gram + k-gram``, sorted, and
        where each text's start (``n + 1`` bounds): whether text ``t`` holds k-gram ``g`` is
        one binary search, among ``t``'s own (queries about one text meet in the cache).

        O(C) memory and one sort of C k-gram occurrences, already in text order."""
        n = len(self.uniq)
        owner = np.repeat(np.arange(n, dtype=np.int64), np.diff(self.bounds))
        key = _sorted_unique(owner * self.n_gram + self.gc)
        return key, np.searchsorted(key, np.arange(n + 1, dtype=np.int64) * self.n_gram)


class _GramIndex:
    """The k-grams of the contents (:func:`gram_codes`) and, per k-gram, the earliest content
    of each of the first :data:`_POSTING_ACCOUNTS` accounts that used it, in content order.

    The postings as they stood when content ``i`` was examined (the contents of earlier
    instants inserted one by one) are these postings restricted to contents of earlier
    instants: a list is only ever appended to, so it held exactly those of its contents.
    """

    def __init__(self, texts: _Texts, k: int) -> None:
        self.texts, self.k = texts, k
        pg = texts.grams(k)
        u = pg.codes[texts.pool_rows]  # each content's distinct text
        per = pg.bounds[u + 1] - pg.bounds[u]
        self.bounds = np.zeros(len(u) + 1, dtype=np.int64)
        np.cumsum(per, out=self.bounds[1:])
        at = np.repeat(pg.bounds[u] - self.bounds[:-1], per) + np.arange(self.bounds[-1])
        self.code = pg.gc[at]
        n = len(texts.norms)
        owner = np.repeat(np.arange(n), np.diff(self.bounds))
        acc = pd.factorize(np.asarray(texts.accounts, dtype=object))[0]
        # distinct (k-gram, content), by k-gram then content; the first content of each
        # (k-gram, account); the first _POSTING_ACCOUNTS accounts of each k-gram
        g = max(int(self.code.max()) + 1, 1) if len(self.code) else 1
        pair = np.sort(self.code * n + owner)  # (sorting: numpy's hash unique is slower)
        pair = pair[np.r_[True, pair[1:] != pair[:-1]]] if len(pair) else pair
        gram, who = pair // n, pair % n
        # in (k-gram, content) order: keep the first of each (k-gram, account); a stable sort
        # by (k-gram, account) keeps content order within each (pandas' hashed duplicated
        # is several times slower here)
        key = gram * (int(acc.max()) + 1) + acc[who]
        order = np.argsort(key, kind="stable")
        ks = key[order]
        keep = np.zeros(len(key), dtype=bool)
        keep[order[np.r_[True, ks[1:] != ks[:-1]]] if len(ks) else order] = True
        del key, order, ks
        gram, who = gram[keep], who[keep]
        start = np.searchsorted(gram, np.arange(g))
        rank = np.arange(len(gram)) - start[gram]
        top = rank < _POSTING_ACCOUNTS
        self.post_gram, self.post_who = gram[top], who[top]
        self.post_start = np.searchsorted(self.post_gram, np.arange(g + 1))

    def grams(self, i: int) -> np.ndarray:
        """The k-gram codes of content ``i``, in order."""
        return self.code[self.bounds[i] : self.bounds[i + 1]]

    def shared(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For the contents of ``rows``: the earlier contents (of earlier instants, other
        accounts) in the postings of their k-grams, and how many of the k-gram occurrences
        of each list each (one occurrence per position, as the k-grams come in order).

        Three arrays ``(r, who, count)`` sorted by ``(r, who)``, ``r`` indexing ``rows``."""
        t, acc = self.texts.time_ns, self.texts.accounts
        n = len(t)
        acc_code = pd.factorize(np.asarray(acc, dtype=object))[0]
        rs, whos, counts = [], [], []
        for lo in range(0, len(rows), 4096):
            part = rows[lo : lo + 4096]
            per = self.bounds[part + 1] - self.bounds[part]
            at = np.repeat(self.bounds[part] - np.cumsum(per) + per, per) + np.arange(per.sum())
            owner = np.repeat(np.arange(len(part)), per)
            gram = self.code[at]
            many = self.post_start[gram + 1] - self.post_start[gram]
            at2 = np.repeat(self.post_start[gram] - np.cumsum(many) + many, many) + np.arange(
                many.sum()
            )
            who = self.post_who[at2]
            mine = np.repeat(owner, many)
            i = part[mine]
            ok = (t[who] < t[i]) & (acc_code[who] != acc_code[i])
            key, count = _sorted_unique(mine[ok] * n + who[ok], counts=True)
            rs.append(key // n + lo)
            whos.append(key % n)
            counts.append(count)
        if not rs:
            return tuple(np.zeros(0, dtype=np.int64) for _ in range(3))  # type: ignore[return-value]
        return np.concatenate(rs), np.concatenate(whos), np.concatenate(counts)


#: a content that earlier contents of others cover: its index, the sources chosen (index and
#: fragments ``[start, end)``) and the mask of what each measured source covers
_Candidate = tuple[int, list[tuple[int, list[tuple[int, int]]]], dict[int, np.ndarray]]


def _candidate_splices(
    texts: _Texts, opts: _Options, *, show_progress: bool = False
) -> list[_Candidate]:
    """The contents, in time order, that fragments of at least ``min_sources`` earlier
    contents by other accounts cover to ``min_coverage`` without one covering it alone.

    Contents are indexed once their timestamp has passed (a content is no source for
    another of the same instant); a text shorter than ``min_sources`` fragments, of known
    benign harm, or an exact repeat of another account's earlier text is not examined.

    Notes
    -----
    The k-gram postings of all contents are built at once in numpy (:class:`_GramIndex`);
    the shared k-grams of each examined content with its earlier contents are counted in
    bulk (:meth:`_GramIndex.shared`), what each promising source covers is measured in
    bulk too (:func:`_source_masks`), and the sources of all the contents that may still
    pass are chosen together (:func:`_choose_sources`).
    """
    seen_text: dict[str, set[str]] = {}
    examined = []
    for i, (t, a) in enumerate(zip(texts.norms, texts.accounts)):
        if len(t) < opts.min_sources * opts.min_fragment_chars:
            continue
        if opts.benign_harm is not None and texts.harm[i] < opts.benign_harm:
            continue  # NaN (unknown) compares False
        authors = seen_text.setdefault(t, set())
        repeat = bool(authors - {a})  # an exact copy of an earlier text by someone else
        authors.add(a)
        if not repeat:
            examined.append(i)
    if not examined:
        return []
    index = _GramIndex(texts, opts.k)
    rows = np.array(examined, dtype=np.int64)
    return _source_masks(rows, texts, index, opts, show_progress=show_progress)


#: (source, k-gram position) meetings measured at once by _source_masks (bounds its memory)
_MASK_CHUNK = 4_000_000


def _source_masks(
    rows: np.ndarray,
    texts: _Texts,
    index: _GramIndex,
    opts: _Options,
    *,
    show_progress: bool = False,
) -> list[_Candidate]:
    """The candidates among the contents ``rows`` (in order): the characters that each of
    their most promising sources covers (the earlier contents of other accounts sharing the
    most k-gram occurrences with it, at least a fragment's worth, at most
    :data:`_MAX_SOURCES`, the more the better, then the earliest), and the sources chosen
    among them (:func:`_choose_sources`) when they are at least ``min_sources`` and cover
    ``min_coverage`` of the content.

    A content is left out when one source covers nearly all of it (a copy, perhaps with a
    few words added), and when it cannot become a candidate whatever sources are chosen:
    when all its masks together cover less than ``min_coverage``, or fewer than
    ``min_sources`` masks hold a fragment (a stretch of ``min_fragment_chars`` covered
    characters, gaps of ``max_gap`` merged).  :func:`_choose_sources` picks among masks
    and only ever takes the parts of a mask not yet covered, whose fragments lie inside the
    mask's own, so both tests are exact.

    Notes
    -----
    Numpy over all (content, source) pairs at once, :data:`_MASK_CHUNK` k-gram positions at
    a time: a source covers the k-gram at position ``q`` when it holds that k-gram (a
    binary search among the k-grams of its distinct text, :attr:`_PoolGrams.held`), and a
    character when one of the ``k`` k-grams over it is covered (a running sum).
    O(M log N) for M measured (source, position) meetings and N distinct (text, k-gram)
    pairs.
    """
    k = opts.k
    n = len(texts.norms)
    r, who, count = index.shared(rows)
    min_grams = opts.min_fragment_chars - k + 1
    keep = count >= min_grams
    r, who, count = r[keep], who[keep], count[keep]
    if not len(r):
        return []
    i_of = rows[r]
    n_grams = index.bounds[i_of + 1] - index.bounds[i_of]
    # cheap copy test: one source already shares nearly every k-gram
    top = np.zeros(len(rows), dtype=np.int64)
    np.maximum.at(top, r, count)
    copy = top >= opts.copy_coverage * (index.bounds[rows + 1] - index.bounds[rows])
    keep = ~copy[r]
    r, who, count, i_of, n_grams = r[keep], who[keep], count[keep], i_of[keep], n_grams[keep]
    if not len(r):  # every content with a source is a copy of it
        return []
    # the most promising sources of each content: most shared occurrences, then the earliest
    # (contents are numbered in (posted_at, content_id) order)
    order = np.lexsort((who, -count, r))
    r, who, i_of, n_grams = r[order], who[order], i_of[order], n_grams[order]
    first = np.searchsorted(r, r)
    top_n = np.arange(len(r)) - first < _MAX_SOURCES
    r, who, i_of, n_grams = r[top_n], who[top_n], i_of[top_n], n_grams[top_n]
    lengths = np.fromiter(map(len, texts.norms), dtype=np.int64, count=n)
    out: list[_Candidate] = []
    bar = tqdm(total=len(rows), desc="splices", unit="content", disable=not show_progress)
    # pairs in chunks of whole contents, about _MASK_CHUNK k-gram positions each
    row_cut = np.flatnonzero(np.r_[True, r[1:] != r[:-1], True])
    done = np.cumsum(n_grams)[row_cut[1:] - 1]
    a = 0
    while a < len(row_cut) - 1:
        b = max(a + 1, int(np.searchsorted(done, (done[a - 1] if a else 0) + _MASK_CHUNK)))
        b = min(b, len(row_cut) - 1)
        lo, hi = row_cut[a], row_cut[b]
        out.extend(
            _masks_of(r[lo:hi], who[lo:hi], i_of[lo:hi], n_grams[lo:hi], lengths, index, opts)
        )
        bar.update(int(r[hi - 1] - (r[lo - 1] if lo else -1)))
        a = b
    bar.close()
    return out


def _masks_of(
    r: np.ndarray,
    who: np.ndarray,
    i_of: np.ndarray,
    nq: np.ndarray,
    lengths: np.ndarray,
    index: _GramIndex,
    opts: _Options,
) -> list[tuple[int, dict[int, np.ndarray]]]:
    """:func:`_source_masks` of whole contents: pairs (content ``i_of``, source ``who``)
    sorted by content (``r``), with the content's ``nq`` k-gram positions."""
    k = opts.k
    n_pair = len(r)
    q_cut = np.r_[0, np.cumsum(nq)]
    at = np.repeat(index.bounds[i_of] - q_cut[:-1], nq) + np.arange(q_cut[-1])
    pg = index.texts.grams(k)
    held = pg.held[0]
    # the source's distinct text holds the k-gram
    want = np.repeat(pg.codes[index.texts.pool_rows[who]], nq) * pg.n_gram + index.code[at]
    hit = held[np.minimum(np.searchsorted(held, want), len(held) - 1)] == want
    del at, want
    # character c is covered when one of the k-grams at c - k + 1 .. c is
    run = np.r_[0, np.cumsum(hit, dtype=np.int64)]
    L = lengths[i_of]
    c_cut = np.r_[0, np.cumsum(L)]
    pair = np.repeat(np.arange(n_pair), L)
    c = np.arange(c_cut[-1]) - c_cut[pair]
    lo = q_cut[pair] + np.maximum(c - k + 1, 0)
    hi = q_cut[pair] + np.minimum(c, nq[pair] - 1) + 1
    mask = run[hi] > run[lo]
    del run, lo, hi
    held_chars = np.r_[0, np.cumsum(mask, dtype=np.int64)]
    sizes = held_chars[c_cut[1:]] - held_chars[c_cut[:-1]]
    # contents: [row_start, row_end) of pairs
    row_start = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
    row_of = np.cumsum(np.r_[False, r[1:] != r[:-1]])
    n_row = len(row_start)
    i_row = i_of[row_start]
    L_row = lengths[i_row]
    # a copy of one source (perhaps with a few words added)
    biggest = np.zeros(n_row, dtype=np.int64)
    np.maximum.at(biggest, row_of, sizes)
    ok = ~(biggest >= opts.copy_coverage * L_row)
    # the union of the masks (the most the chosen sources can cover)
    rc_cut = np.r_[0, np.cumsum(L_row)]
    union = np.zeros(int(rc_cut[-1]), dtype=bool)
    union[(rc_cut[row_of] - c_cut[:-1])[pair[mask]] + np.flatnonzero(mask)] = True
    u_run = np.r_[0, np.cumsum(union, dtype=np.int64)]
    ok &= ~((u_run[rc_cut[1:]] - u_run[rc_cut[:-1]]) / L_row < opts.min_coverage)
    # the masks that hold a fragment (as _runs finds them; pairs kept apart by a gap)
    pos = np.flatnonzero(mask)
    spread = pos + pair[pos] * (opts.max_gap + 1)
    cut = np.flatnonzero(np.diff(spread) > opts.max_gap + 1)
    starts, ends = np.r_[0, cut + 1], np.r_[cut, len(pos) - 1]
    long_ = (ends - starts + 1) >= opts.min_fragment_chars
    holds = np.zeros(n_pair, dtype=bool)
    holds[pair[pos[starts[long_]]]] = True
    ok &= np.bincount(row_of, weights=holds, minlength=n_row) >= opts.min_sources
    # the sources of the contents that may still pass, chosen together
    sel = ok[row_of]
    chars = np.repeat(sel, L)
    kept_rows = np.flatnonzero(ok)
    chosen, covered = _choose_sources(
        mask[chars],
        np.r_[0, np.cumsum(L[sel])],
        np.searchsorted(kept_rows, row_of[sel]),
        who[sel],
        L_row[kept_rows],
        opts,
    )
    out: list[_Candidate] = []
    ends_pair = np.r_[row_start[1:], n_pair]
    for x, picks, cov in zip(kept_rows.tolist(), chosen, covered):
        if len(picks) < opts.min_sources:
            continue
        if cov / int(L_row[x]) < opts.min_coverage:
            continue
        p0, p1 = int(row_start[x]), int(ends_pair[x])
        masks = {
            int(j): mask[c_cut[p] : c_cut[p + 1]]
            for p, j in zip(range(p0, p1), who[p0:p1].tolist())
        }
        out.append((int(i_row[x]), picks, masks))
    return out


def _choose_sources(
    mask: np.ndarray,
    c_cut: np.ndarray,
    row: np.ndarray,
    who: np.ndarray,
    size: np.ndarray,
    opts: _Options,
) -> tuple[list[list[tuple[int, list[tuple[int, int]]]]], list[int]]:
    """Sources chosen greedily by the characters their fragments add to what is covered
    (among those adding nearly the most, the earliest), for many contents at once; for
    each content, the sources chosen (in order, with their fragments ``[start, end)``) and
    the number of characters covered.

    ``mask[c_cut[p] : c_cut[p + 1]]``: what the source ``who[p]`` covers of the content
    ``row[p]`` (rows sorted, numbered from 0), of ``size[row[p]]`` characters.

    Notes
    -----
    A round chooses one source for every content that still has one adding a fragment (a
    stretch of ``min_fragment_chars`` characters not yet covered, gaps of ``max_gap``
    merged), in numpy over all of them: O(C) per round for C characters of the masks not
    yet covered, a round per source chosen.  Sources are numbered in (posted_at,
    content_id) order: the earliest is the smallest.
    """
    n_pair, n_row = len(row), len(size)
    r_cut = np.r_[0, np.cumsum(size)]
    covered = np.zeros(int(r_cut[-1]), dtype=bool)
    pair_of = np.repeat(np.arange(n_pair), np.diff(c_cut))
    flat = np.arange(int(c_cut[-1]))
    to_row = flat - c_cut[pair_of] + r_cut[row[pair_of]]
    spread = flat + pair_of * (opts.max_gap + 1)  # pairs kept apart by more than a gap
    del flat
    taken = np.zeros(n_pair, dtype=bool)
    chosen: list[list[tuple[int, list[tuple[int, int]]]]] = [[] for _ in range(n_row)]
    live = np.flatnonzero(mask)  # the characters a source may still add
    while len(live):
        live = live[~covered[to_row[live]] & ~taken[pair_of[live]]]
        if not len(live):
            break
        cut = np.flatnonzero(np.diff(spread[live]) > opts.max_gap + 1)
        starts, ends = np.r_[0, cut + 1], np.r_[cut, len(live) - 1]
        count = ends - starts + 1
        frag = count >= opts.min_fragment_chars
        starts, ends, count = starts[frag], ends[frag], count[frag]
        p_run = pair_of[live[starts]]
        gain = np.bincount(p_run, weights=count, minlength=n_pair)
        top = np.zeros(n_row)
        np.maximum.at(top, row, gain)
        able = (gain > 0) & (gain >= 0.9 * top[row])
        if not able.any():
            break
        # the earliest of the sources that add (nearly) the most: the original rather
        # than a later copy that happens to share a word more
        first = np.full(n_row, np.iinfo(np.int64).max)
        np.minimum.at(first, row[able], who[able])
        best = able & (who == first[row])
        taken |= best
        on = best[p_run]
        s, e, pr = live[starts[on]], live[ends[on]] + 1, p_run[on]
        # what the chosen sources' fragments cover
        span = e - s
        at = np.repeat(s - np.cumsum(span) + span, span) + np.arange(int(span.sum()))
        covered[to_row[at[mask[at]]]] = True
        s, e = (s - c_cut[pr]).tolist(), (e - c_cut[pr]).tolist()
        pr_l = pr.tolist()
        x = 0
        while x < len(pr_l):
            y = x
            while y < len(pr_l) and pr_l[y] == pr_l[x]:
                y += 1
            p = pr_l[x]
            chosen[int(row[p])].append((int(who[p]), list(zip(s[x:y], e[x:y]))))
            x = y
    held = np.r_[0, np.cumsum(covered, dtype=np.int64)]
    return chosen, (held[r_cut[1:]] - held[r_cut[:-1]]).tolist()


def _lifted_splices(
    prelim: list[_Candidate], texts: _Texts, opts: _Options, *, ht: _HostTexts | None = None
) -> list[Splice]:
    """The candidates that stay splices once the sources whose fragments are stock phrases
    are left out (:func:`_judge`), in the order of ``prelim``.

    Rounds: the copies of splices found so far do not count against other splices'
    sources (a viral splice copied many times does not make its sentences stock phrases).

    Notes
    -----
    Each fragment's :func:`_dominances` is measured once, and again only in a round
    where one of its host texts turned out a copy of a newly found splice; each
    distinct host text is checked once against each found splice that shares one of the
    splice's rarest k-grams.  All on k-gram codes (:class:`_GramSets`), the fragments of a
    round at once.  ``ht`` (a fresh :class:`_HostTexts` by default) counts the work.
    """
    k = opts.k
    ht = ht if ht is not None else _HostTexts(k)
    # Which fragments were lifted out of a source, rather than being stock phrases that
    # many unrelated contents share: see _dominances.
    keys = [(i, j, s_, e) for i, chosen, _ in prelim for j, runs in chosen for s_, e in runs]
    pg = texts.grams(k)
    u = pg.codes[texts.pool_rows]  # each content's distinct text
    found_hosts = _hosts(pg, [(int(u[i]), s_, e) for i, _, s_, e in keys], k)
    arr = np.array(keys, dtype=np.int64).reshape(-1, 4)
    gs = _GramSets(pg, u[np.r_[arr[:, 0], arr[:, 1]]], _sorted_unique(found_hosts.host))
    table = _host_table(keys, u, found_hosts, gs)
    copy = np.zeros(len(pg.uniq), dtype=bool)
    copy[list(ht.copies)] = True
    key_splice = arr[:, 0]
    # the fragments of each candidate: keys[first[c] : first[c + 1]]
    first = np.r_[0, np.cumsum([sum(len(runs) for _, runs in chosen) for _, chosen, _ in prelim])]
    doms = np.zeros((len(keys), 3))
    known = np.zeros(len(keys), dtype=bool)
    found: dict[int, Splice] = {}
    for _ in range(len(prelim) + 1):
        new_known = sorted(set(found) - ht.ids)
        ht.ids.update(found)
        newly = ht.add_known(gs, _sorted_unique(u[np.array(new_known, dtype=np.int64)]))
        if len(newly):
            copy[newly] = True
            hit = np.isin(table.host, newly)
            known[np.unique(table.key[hit])] = False
        # the fragments of the candidates not yet found whose dominance is not known
        open_ = ~np.isin(key_splice, np.array(sorted(found), dtype=np.int64)) & ~known
        ask = np.flatnonzero(open_)
        if len(ask):
            share, others, contexts = _dominances(ask, table, copy, gs, ht)
            doms[ask, 0], doms[ask, 1], doms[ask, 2] = share, others, contexts
            known[ask] = True
        new_found: dict[int, Splice] = dict(found)  # more exclusions only keep more sources
        for c, (i, chosen, masks) in enumerate(prelim):
            if i in found:
                continue
            sp = _judge(
                i, chosen, masks, doms=doms[first[c] : first[c + 1]], texts=texts, opts=opts
            )
            if sp is not None:
                new_found[i] = sp
        if set(new_found) == set(found):
            found = new_found
            break
        found = new_found
    return [found[i] for i in sorted(found)]


def _judge(
    i: int,
    chosen: list[tuple[int, list[tuple[int, int]]]],
    masks: dict[int, np.ndarray],
    *,
    doms: np.ndarray,
    texts: _Texts,
    opts: _Options,
) -> Splice | None:
    """Keep the sources whose fragments were cut out of them; a Splice if enough remain.

    ``doms``: the :func:`_dominances` ``(share, others, contexts)`` of the candidate's
    fragments, one row per fragment in the order of ``chosen`` and its runs.
    """
    norms = texts.norms
    t, a, L = norms[i], texts.accounts[i], len(norms[i])
    kept = []
    rows = doms.tolist()
    x = 0
    for j, runs in chosen:
        ds = []
        for _ in runs:
            share, others, contexts = rows[x]
            ds.append((share, others, int(contexts)))
            x += 1
        dom, others, contexts = max(ds)
        if dom >= opts.min_dominance or others < opts.stock_hosts or contexts < 2:
            kept.append((j, runs, dom))
    if len(kept) < opts.min_sources:
        return None
    covered = np.zeros(L, dtype=bool)
    for j, runs, _ in kept:
        for s_, e in runs:
            covered[s_:e] |= masks[j][s_:e]
    coverage = float(covered.sum()) / L
    if coverage < opts.min_coverage:
        return None
    frags = []
    for j, runs, dom in kept:
        for s_, e in runs:
            frags.append(
                Fragment(
                    text=t[s_:e],
                    start=s_,
                    end=e,
                    source_id=texts.ids[j],
                    source_account=texts.accounts[j],
                    source_platform=texts.platforms[j],
                    source_posted_at=texts.times[j],
                    source_harm=float(texts.harm[j]),
                    dominance=round(dom, 6),
                )
            )
    frags.sort(key=lambda f: (f.start, f.source_id))
    return Splice(
        content_id=texts.ids[i],
        account_id=a,
        platform=texts.platforms[i],
        posted_at=texts.times[i],
        harm=float(texts.harm[i]),
        length=L,
        coverage=coverage,
        fragments=tuple(frags),
    )


def _strength(s: Splice, harm_threshold: float) -> tuple[float, bool, bool]:
    cross = any(
        f.source_platform is not None and f.source_platform != s.platform for f in s.fragments
    )
    harms = [f.source_harm for f in s.fragments] + [s.harm]
    harmful = any(h >= harm_threshold for h in harms if not np.isnan(h))
    n_src = len(s.source_ids)
    v = (
        0.35
        + 0.25 * s.coverage
        + 0.05 * min(n_src - 2, 2)
        + (0.2 if cross else 0.0)
        + (0.15 if harmful else 0.0)
    )
    return min(1.0, v), cross, harmful


def detect_splicers(
    p: Projection,
    *,
    min_fragment_chars: int = 14,
    min_sources: int = 2,
    min_coverage: float = 0.4,
    copy_coverage: float = 0.9,
    k: int = 5,
    max_gap: int = 3,
    kinds: Iterable[str] | None = PUBLISHED_KINDS,
    min_dominance: float = 0.5,
    stock_hosts: int = 5,
    benign_harm: float | None = 0.2,
    harm_threshold: float = HARM_THRESHOLD,
    show_progress: bool = False,
) -> list[RoleFinding]:
    """Accounts that posted contents spliced from fragments of others' earlier contents.

    Parameters
    ----------
    p : Projection
        The event's projection; its ``contents`` (text, author, platform, time,
        harm) are both the candidates and the possible sources.  Placeholders and
        contents without text or time are ignored; reposts are not examined.
    min_fragment_chars : int, default 14
        Shortest fragment (in normalised characters: no punctuation or spaces)
        that counts as lifted from a source; shorter shared phrases (slogans,
        names, stock insults) do not make a splice.
    min_sources : int, default 2
        How many distinct earlier contents must each add a fragment.
    min_coverage : float, default 0.4
        Share of the splice's characters the fragments must cover together.
    copy_coverage : float, default 0.9
        A content of which one source alone covers this share is a copy of it.
    k : int, default 5
        Length of the character shingles used to find shared text.
    max_gap : int, default 3
        Covered stretches this close are merged (tolerates small edits).
    kinds : iterable of str or None, default ``("post", "video", "live")``
        Kinds of content examined, both as splices and as sources (a missing
        ``kind`` is ``post``); ``None`` examines every kind.  Comments and private
        messages are left out by default: short stock phrases (openers, insults,
        calls to action) recombine in them freely without anyone splicing news.
    min_dominance, stock_hosts : float, default 0.5; int, default 5
        A source does not count when its fragment is a *stock phrase* rather than
        a piece cut out of it: when at least ``stock_hosts`` other contents (of any
        kind; the splice's own copies left out) carry the fragment without being
        copies of the source, in at least two different texts (a viral splice and
        its copies are one text), and copies of the source make less than
        ``min_dominance`` of the contents carrying it.  Stock phrases (openers,
        insults, slogans recombined in countless posts and comments) fail this
        however long they are; a story sentence reused by a few splicers passes.
    benign_harm : float or None, default 0.2
        A content whose ``harm`` is known and below this is not examined as a
        splice: an authority's rebuttal that quotes two rumours to refute them
        assembles fragments too.  Missing ``harm`` is unknown, and examined;
        ``None`` examines every content.
    harm_threshold : float, default 0.5
        ``harm`` from which a splice or source counts as harmful (raises strength;
        missing ``harm`` is unknown and raises nothing).
    show_progress : bool, default False
        Show a progress bar over the contents.

    Returns
    -------
    list of RoleFinding
        One finding (role ``splicer``) per account, sorted by account_id; one
        ``splice`` evidence per spliced content naming each fragment, its source
        content, account, platform and time.  ``strength`` grows with coverage,
        the number of sources, sources on another platform and harm.

    Raises
    ------
    ValueError
        For options out of range.

    Notes
    -----
    Complexity: O(N · k · P) to index and query N characters of text (P: a small
    constant of accounts kept per shingle), plus O(S · L) per candidate of L
    characters for its S most promising sources; never all pairs of contents.

    Examples
    --------
    >>> p = Projection.from_tables({"event_id": "e"}, contents=[
    ...   {"content_id": "w:1", "account_id": "w:a", "platform": "weibo",
    ...    "posted_at": "2026-03-01T08:00:00Z", "text": "南城七中老师长期体罚学生，把男生打到耳膜穿孔住院。"},
    ...   {"content_id": "w:2", "account_id": "w:b", "platform": "weibo",
    ...    "posted_at": "2026-03-01T09:00:00Z", "text": "听说她老公就在派出所上班，所以家长报警根本没人管。"},
    ...   {"content_id": "d:3", "account_id": "d:c", "platform": "douyin",
    ...    "posted_at": "2026-03-01T12:00:00Z",
    ...    "text": "南城七中老师长期体罚学生，把男生打到耳膜穿孔住院！她老公就在派出所上班，所以家长报警根本没人管"}])
    >>> [(f.account_id, f.role) for f in detect_splicers(p)]
    [('d:c', 'splicer')]
    """
    splices = find_splices(
        p,
        min_fragment_chars=min_fragment_chars,
        min_sources=min_sources,
        min_coverage=min_coverage,
        copy_coverage=copy_coverage,
        k=k,
        max_gap=max_gap,
        kinds=kinds,
        min_dominance=min_dominance,
        stock_hosts=stock_hosts,
        benign_harm=benign_harm,
        show_progress=show_progress,
    )
    by_account: dict[str, list[Splice]] = {}
    for s in splices:
        by_account.setdefault(s.account_id, []).append(s)
    findings = []
    for acc in sorted(by_account):
        ss = by_account[acc]
        strengths = []
        evidence = []
        any_cross = any_harm = False
        for s in ss:
            st, cross, harmful = _strength(s, harm_threshold)
            strengths.append(st)
            any_cross |= cross
            any_harm |= harmful
            parts = "; ".join(
                f"「{f.text}」 from {f.source_id} by {f.source_account}"
                f" ({f.source_platform or '?'}, {f.source_posted_at.isoformat()})"
                for f in s.fragments
            )
            evidence.append(
                Evidence(
                    kind="splice",
                    content_ids=(s.content_id, *s.source_ids),
                    detail=(
                        f"{s.content_id} ({s.platform or '?'}, {s.posted_at.isoformat()}) splices "
                        f"{len(s.source_ids)} earlier contents of other accounts, covering "
                        f"{s.coverage:.0%} of its text: {parts}"
                    ),
                )
            )
        strength = min(1.0, max(strengths) + 0.05 * (len(ss) - 1))
        n_sources = len({sid for s in ss for sid in s.source_ids})
        findings.append(
            RoleFinding(
                account_id=acc,
                role="splicer",
                strength=round(strength, 6),
                evidence=tuple(evidence),
                numbers={
                    "splices": float(len(ss)),
                    "sources": float(n_sources),
                    "coverage": round(max(s.coverage for s in ss), 6),
                    "cross_platform": float(any_cross),
                    "harmful": float(any_harm),
                },
            )
        )
    return findings
