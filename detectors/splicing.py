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

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from pileon.detectors.findings import Evidence, RoleFinding
from pileon.detectors.harm import HARM_THRESHOLD
from pileon.graph.projection import Projection
from pileon.graph.textsim import normalize_all

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
#: the host sample's seed (one draw per content of the pool: the same on every run)
_HOST_SEED = 0
_BITS = 31
_ALL = 1 << _BITS


@dataclass(frozen=True)
class _HostSets:
    """Each fragment's host texts: the distinct texts of the pool holding 60% of its k-grams,
    each with its number of copies (drawn copies when sampled), and the share ``rate`` of the
    pool's contents looked at for it (1.0: all, exact)."""

    texts: list[list[tuple[str, int]]]
    rates: np.ndarray
    #: (distinct text, distinct fragment) meetings on shared k-grams made (the work)
    meetings: int


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
    holds one of its ``n - need + 1`` rarest (``need``: the least count that makes 60%), so
    only the postings of those are read; each text found there is then checked against all
    ``n`` k-grams.  Common k-grams (syllables, stock words) are never read.

    **Bound.** A fragment's *load* is the number of contents of the pool holding each of its
    k-grams, summed over them: the meetings a search without the prefix filter makes, and a
    bound on the hosts :func:`_dominance` walks.  The loads of the
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
    30M); for a sampled one, the shares measured on its hosts (:func:`_dominance`) are
    ratio estimates over about ``r · n`` drawn hosts out of ``n`` (standard error about
    ``sqrt(s (1 - s) / (r n))`` for a share ``s``), the number of other hosts is scaled up
    by ``1 / r``, and fewer than two contexts may be seen among few drawn hosts.

    Notes
    -----
    Numpy, no Python loop per character: the k-grams of the distinct texts are coded once
    (:func:`_gram_codes`) and each k-gram's posting lists its texts by their smallest draw,
    so the texts drawn under a rate are a prefix of it.  Each distinct fragment text is
    searched once.  O(C log C) for C characters of distinct text, plus O(B · G log C) for
    B ≤ ``budget`` meetings (expected) checked against G k-grams each, handled
    :data:`_HOST_CHUNK` at a time.
    """
    budget = HOST_BUDGET if budget is None else budget
    if not frags:
        return _HostSets([], np.zeros(0), 0)
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
    pg, pt = pair // n_text, by_draw[pair % n_text]
    del owner
    pkey = (pg << _BITS) | first[pt]  # sorted
    gstart = np.searchsorted(pg, np.arange(n_gram + 1))
    load_of = np.bincount(pg, weights=copies[pt], minlength=n_gram)
    del pg
    # each distinct fragment text once, by its distinct k-grams; a text holding 60% of them
    # holds one of its n - need + 1 rarest (prefix filter): only those are looked up
    f_at, f_text = pd.factorize(pd.Series([uniq[u][s:e] for u, s, e in frags], dtype=object))
    first_of = np.full(len(f_text), -1, dtype=np.int64)
    first_of[f_at[::-1]] = np.arange(len(frags))[::-1]
    f_grams, f_rare = [], []
    for x in first_of.tolist():
        u, s, e = frags[x]
        g = _sorted_unique(gc[bounds[u] + s : bounds[u] + e - k + 1])
        need = int(np.ceil(0.6 * len(g)))  # the least count with count >= 0.6 * len(g)
        f_grams.append(g)
        f_rare.append(g[np.lexsort((g, load_of[g]))][: len(g) - need + 1])
    f_len = np.fromiter(map(len, f_grams), dtype=np.int64, count=len(f_grams))
    r_len = np.fromiter(map(len, f_rare), dtype=np.int64, count=len(f_rare))
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
    out: list[list[tuple[str, int]]] = [[] for _ in f_grams]
    meetings = int(many.sum())
    a = 0
    while a < len(f_grams):
        # fragments [a, b): about _HOST_CHUNK meetings, at least one fragment
        b = max(a + 1, int(np.searchsorted(total, (total[a - 1] if a else 0.0) + _HOST_CHUNK)))
        lo, hi = frag_cut[a], frag_cut[b]
        m = many[lo:hi]
        at = np.repeat(gstart[fg[lo:hi]] - np.cumsum(m) + m, m) + np.arange(int(m.sum()))
        cand = _sorted_unique(np.repeat(ff[lo:hi], m) * n_text + pt[at])
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
            want = fg_all[at] * n_text + np.repeat(number[t], n)
            hit = pair[np.minimum(np.searchsorted(pair, want), len(pair) - 1)] == want
            count = np.bincount(np.repeat(np.arange(len(f)), n), weights=hit, minlength=len(f))
            ok = count >= 0.6 * f_len[f]
            f, t = f[ok], t[ok]
            drawn = np.searchsorted(row_key, (t << _BITS) + limit[f]) - row_start[t]
            for x, y, z in zip(f.tolist(), t.tolist(), drawn.tolist()):
                out[x].append((uniq[y], z))
    return _HostSets([out[x] for x in f_at.tolist()], rates[f_at], meetings)


def _share(inner: set[str], outer: set[str]) -> float:
    """Share of the k-grams ``inner`` among the k-grams ``outer`` of a text (a k-gram is in
    a text exactly when it is one of the text's k-grams)."""
    if not inner:
        return 0.0
    return len(inner & outer) / len(inner)


class _HostTexts:
    """The k-grams of each distinct host text (cut once) and whether it is a copy of a
    splice found so far (80% of the splice's k-grams; checked once per text and splice,
    through an index of the splices' k-grams, never against every splice)."""

    def __init__(self, k: int) -> None:
        self.k = k
        self._grams: dict[str, set[str]] = {}
        #: k-gram sets of the splices found so far, and k-gram -> their numbers
        self.known: list[set[str]] = []
        self._known_at: dict[str, list[int]] = {}
        #: texts found to be a copy of a known splice
        self.copies: set[str] = set()
        #: the contents whose k-grams ``known`` holds
        self.ids: set[int] = set()
        #: work counter: k-gram set comparisons made (for tests of the bound)
        self.comparisons = 0

    def grams(self, t: str) -> set[str]:
        g = self._grams.get(t)
        if g is None:
            k = self.k
            g = self._grams[t] = {t[q : q + k] for q in range(len(t) - k + 1)}
        return g

    def add_known(self, splices: list[set[str]], texts: Iterable[str]) -> set[str]:
        """Add the k-gram sets of newly found splices; the ``texts`` (not yet copies) that
        are copies of one of them."""
        first = len(self.known)
        for g in splices:
            n = len(self.known)
            self.known.append(g)
            for x in g:
                self._known_at.setdefault(x, []).append(n)
        newly = set()
        for t in texts:
            if t in self.copies:
                continue
            counts: dict[int, int] = {}
            for x in self.grams(t):
                for n in self._known_at.get(x, ()):
                    if n >= first:
                        counts[n] = counts.get(n, 0) + 1
            self.comparisons += len(counts)
            if any(c / len(self.known[n]) >= 0.8 for n, c in counts.items()):
                newly.add(t)
        self.copies |= newly
        return newly


def _dominance(
    texts: list[tuple[str, int]],
    splice: str,
    source: str,
    ht: _HostTexts,
    *,
    rate: float = 1.0,
) -> tuple[float, float, int]:
    """How much a fragment belongs to its source: ``(share, others, contexts)``.

    The *hosts* are the texts carrying the fragment, ``texts``: each distinct one with
    its number of copies, in order of (length, text).  A host is a copy of the source
    when it holds 70% of the source's k-grams; hosts holding 80% of the splice's
    k-grams (the splice and its own copies) are left out.  ``share`` is the part of
    the remaining hosts that are copies of the source, ``others`` the number of the
    other hosts, and ``contexts`` counts them as groups of near-copies of one another
    (a viral text and its copies are one context), **up to 2**: only ``contexts < 2``
    is ever asked, so counting stops there.  Copies of the splices found so far
    (``ht.copies``) are left out too.  A sentence cut out of a story lives mostly in
    that story and its copies, and in a few splices (few contexts); a stock phrase (an
    insult, a slogan) lives in many unrelated texts of which the source is one (many
    contexts, a small share).

    When the hosts are a sample of the contents at ``rate`` (:func:`_hosts`), the copies
    are the drawn ones: ``share`` is the share among the drawn contents and ``others`` is
    scaled up by ``1 / rate`` (an estimate of the number among all contents).

    Notes
    -----
    O(D · G) for D distinct host texts of G k-grams: at most four k-gram set comparisons
    per distinct text (splice, source, two contexts), whatever the number of hosts.
    """
    g_splice = ht.grams(splice)
    g_source = ht.grams(source)
    n_all = n_src = 0
    groups: list[set[str]] = []
    # a host shorter than 80% (70%) of the splice's (source's) k-grams cannot share as much
    # with it: the intersection is skipped (bounds a little below, so the test is exact)
    short_splice, short_source = 0.79 * len(g_splice), 0.69 * len(g_source)
    for t, m in texts:
        g = ht.grams(t)
        ht.comparisons += 1
        if t in ht.copies or (len(g) >= short_splice and _share(g_splice, g) >= 0.8):
            continue
        n_all += m
        ht.comparisons += 1
        if len(g) >= short_source and _share(g_source, g) >= 0.7:
            n_src += m
            continue
        if len(groups) < 2:
            ht.comparisons += len(groups)
            if not any(len(g & rep) >= 0.7 * min(len(g), len(rep)) for rep in groups):
                groups.append(g)
    return (n_src / n_all if n_all else 0.0), (n_all - n_src) / rate, len(groups)


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
            gc, bounds = _gram_codes(uniq.tolist(), k)
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
    """The distinct texts of a pool and their k-grams (:func:`_gram_codes`)."""

    #: the distinct text of each row of the pool
    codes: np.ndarray
    #: the distinct texts
    uniq: np.ndarray
    #: the k-gram codes of the distinct texts, and where each text's start
    gc: np.ndarray
    bounds: np.ndarray


def _gram_codes(texts: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
    """Every ``k``-gram occurrence of every text, in order, as an integer code (equal codes:
    equal k-grams), and where each text's occurrences start (``n + 1`` bounds).

    Codes are given in order of first occurrence.

    Notes
    -----
    Code points are renumbered densely (``b`` bits for the distinct ones), packed as many
    per int64 key as fit and numbered by ``pd.factorize``, one step per key (exact, no
    hashing): one step when ``k · b <= 63`` (912 distinct code points on ira-dev, so
    ``b = 10``), O(C · k) for C characters, no Python object per k-gram.
    """
    n = len(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    per = np.maximum(lengths - k + 1, 0)
    bounds = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(per, out=bounds[1:])
    if not bounds[-1]:
        return np.zeros(0, dtype=np.int64), bounds
    raw = np.frombuffer("".join(texts).encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32)
    seen = np.zeros(int(raw.max()) + 1, dtype=bool)
    seen[raw] = True
    dense = np.cumsum(seen, dtype=np.int64)  # 1.. for each code point present
    cp = dense[raw]
    bits = max(int(dense[-1]).bit_length(), 1)
    at = np.repeat(np.cumsum(lengths) - lengths - bounds[:-1], per) + np.arange(bounds[-1])
    m = len(cp)

    def packed(lo: int, hi: int, head: np.ndarray | None = None) -> np.ndarray:
        """Code points ``lo .. hi - 1`` of every k-gram packed behind ``head``: the keys of
        every position of the concatenated texts (contiguous slices), then gathered at
        the k-grams' starts."""
        whole = cp[lo : m - k + 1 + lo].copy()
        for j in range(lo + 1, hi):
            whole <<= bits
            whole |= cp[j : m - k + 1 + j]
        key = whole[at]
        if head is not None:
            key |= head << (bits * (hi - lo))
        return key

    first = min(k, max(63 // bits, 1))
    code = pd.factorize(packed(0, first))[0]
    # then as many more code points per step as fit beside the codes so far
    more = max((63 - int(len(at)).bit_length()) // bits, 1)
    j = first
    while j < k:
        hi = min(k, j + more)
        code = pd.factorize(packed(j, hi, code.astype(np.int64)))[0]
        j = hi
    return code.astype(np.int64, copy=False), bounds


class _GramIndex:
    """The k-grams of the contents (:func:`_gram_codes`) and, per k-gram, the earliest content
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

    def hits(self, rows: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each content of ``rows``: the earlier contents (of earlier instants, other
        accounts) in the postings of its k-grams, and how many of its k-gram occurrences
        list each (one occurrence per position, as the k-grams come in order)."""
        t, acc = self.texts.time_ns, self.texts.accounts
        n = len(t)
        acc_code = pd.factorize(np.asarray(acc, dtype=object))[0]
        out: list[tuple[np.ndarray, np.ndarray]] = []
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
            key, count = np.unique(mine[ok] * n + who[ok], return_counts=True)
            cut = np.searchsorted(key // n, np.arange(len(part) + 1))
            out.extend(
                (key[a:b] % n, count[a:b]) for a, b in zip(cut[:-1].tolist(), cut[1:].tolist())
            )
        return out


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
    bulk (:meth:`_GramIndex.hits`), and only the contents that share a fragment's worth
    with one are measured in Python (:func:`_source_masks`).
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
    hits = index.hits(rows)
    prelim: list[_Candidate] = []
    todo: Iterable[int] = range(len(rows))
    if show_progress:
        todo = tqdm(todo, desc="splices", unit="content")
    min_grams = opts.min_fragment_chars - opts.k + 1
    for r in todo:
        who, count = hits[r]
        if not len(who) or int(count.max()) < min_grams:
            continue
        i = int(rows[r])
        masks = _source_masks(
            i, who[count >= min_grams], count[count >= min_grams], texts, index, opts
        )
        if masks is None:
            continue
        chosen, covered = _choose_sources(masks, texts, opts)
        if len(chosen) < opts.min_sources:
            continue
        if float(covered.sum()) / len(texts.norms[i]) < opts.min_coverage:
            continue
        prelim.append((i, chosen, masks))
    return prelim


def _source_masks(
    i: int, cands: np.ndarray, hits: np.ndarray, texts: _Texts, index: _GramIndex, opts: _Options
) -> dict[int, np.ndarray] | None:
    """The characters of content ``i`` that each of its most promising sources covers (the
    earlier contents of other accounts sharing the most k-grams with it, at most
    :data:`_MAX_SOURCES`, from ``cands`` sharing ``hits`` k-gram occurrences); None when one
    source covers nearly all of it (a copy, perhaps with a few words added)."""
    g = index.grams(i)
    k = opts.k
    # cheap copy test: one source already shares nearly every k-gram
    if int(hits.max()) >= opts.copy_coverage * len(g):
        return None
    order = sorted(
        range(len(cands)),
        key=lambda x: (-int(hits[x]), texts.time_ns[cands[x]], texts.ids[cands[x]]),
    )
    L = len(texts.norms[i])
    masks = {}
    for x in order[:_MAX_SOURCES]:
        j = int(cands[x])
        covered = np.isin(g, index.grams(j))
        edge = np.zeros(L + 1, dtype=np.int64)
        q = np.flatnonzero(covered)
        np.add.at(edge, q, 1)
        np.add.at(edge, q + k, -1)
        masks[j] = np.cumsum(edge[:L]) > 0
    if max(int(m.sum()) for m in masks.values()) >= opts.copy_coverage * L:
        return None  # a copy of one source (perhaps with a few words added)
    return masks


def _choose_sources(
    masks: dict[int, np.ndarray], texts: _Texts, opts: _Options
) -> tuple[list[tuple[int, list[tuple[int, int]]]], np.ndarray]:
    """Sources chosen greedily by the characters their fragments add to what is covered
    (among those adding nearly the most, the earliest), and the characters covered."""
    covered = np.zeros(len(next(iter(masks.values()))), dtype=bool)
    chosen: list[tuple[int, list[tuple[int, int]]]] = []
    while True:
        options = []
        for j in masks:
            if any(j == cj for cj, _ in chosen):
                continue
            runs = _runs(masks[j] & ~covered, opts.max_gap, opts.min_fragment_chars)
            gain = sum(int((masks[j] & ~covered)[s:e].sum()) for s, e in runs)
            if gain:
                options.append((gain, j, runs))
        if not options:
            break
        # the earliest of the sources that add (nearly) the most: the original rather
        # than a later copy that happens to share a word more
        top = max(g for g, _, _ in options)
        _, best, best_runs = min(
            (o for o in options if o[0] >= 0.9 * top),
            key=lambda o: (texts.time_ns[o[1]], texts.ids[o[1]]),
        )
        chosen.append((best, best_runs))
        for s, e in best_runs:
            covered[s:e] |= masks[best][s:e]
    return chosen, covered


def _lifted_splices(
    prelim: list[_Candidate], texts: _Texts, opts: _Options, *, ht: _HostTexts | None = None
) -> list[Splice]:
    """The candidates that stay splices once the sources whose fragments are stock phrases
    are left out (:func:`_judge`), in the order of ``prelim``.

    Rounds: the copies of splices found so far do not count against other splices'
    sources (a viral splice copied many times does not make its sentences stock phrases).

    Notes
    -----
    Each fragment's :func:`_dominance` is measured once, and again only in a round
    where one of its host texts turned out a copy of a newly found splice; each
    distinct host text is checked once against each found splice that shares a k-gram
    with it.  ``ht`` (a fresh :class:`_HostTexts` by default) counts the work.
    """
    k, norms = opts.k, texts.norms
    ht = ht if ht is not None else _HostTexts(k)
    # Which fragments were lifted out of a source, rather than being stock phrases that
    # many unrelated contents share: see _dominance.
    keys = [(i, j, s_, e) for i, chosen, _ in prelim for j, runs in chosen for s_, e in runs]
    pg = texts.grams(k)
    u = pg.codes[texts.pool_rows].tolist()  # each content's distinct text
    found_hosts = _hosts(pg, [(u[i], s_, e) for i, _, s_, e in keys], k)
    # each fragment's distinct host texts with their numbers of copies (drawn, when its hosts
    # are sampled), in (length, text) order, and the fragments each text hosts
    distinct: dict = {}
    frags_of: dict[str, list] = {}
    for key, hs, rate in zip(keys, found_hosts.texts, found_hosts.rates.tolist()):
        distinct[key] = (sorted(hs, key=lambda tm: (len(tm[0]), tm[0])), rate)
        for t, _ in hs:
            frags_of.setdefault(t, []).append(key)
    doms: dict = {}
    found: dict[int, Splice] = {}
    for _ in range(len(prelim) + 1):
        new_known = [ht.grams(norms[i]) for i in sorted(found) if i not in ht.ids]
        ht.ids.update(found)
        for t in ht.add_known(new_known, frags_of):
            for key in frags_of[t]:
                doms.pop(key, None)
        new_found: dict[int, Splice] = dict(found)  # more exclusions only keep more sources
        for i, chosen, masks in prelim:
            if i in found:
                continue
            sp = _judge(
                i, chosen, masks, distinct=distinct, doms=doms, ht=ht, texts=texts, opts=opts
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
    distinct: dict,
    doms: dict,
    ht: _HostTexts,
    texts: _Texts,
    opts: _Options,
) -> Splice | None:
    """Keep the sources whose fragments were cut out of them; a Splice if enough remain.

    ``distinct``: the distinct host texts of each fragment (see :func:`_lifted_splices`);
    ``doms``: the :func:`_dominance` of fragments measured since their hosts last changed
    (filled here); ``ht``: the host texts' k-grams and which are copies of found splices.
    """
    norms = texts.norms
    t, a, L = norms[i], texts.accounts[i], len(norms[i])
    kept = []
    for j, runs in chosen:
        ds = []
        for s_, e in runs:
            key = (i, j, s_, e)
            if key not in doms:
                hosts, rate = distinct[key]
                doms[key] = _dominance(hosts, t, norms[j], ht, rate=rate)
            ds.append(doms[key])
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
