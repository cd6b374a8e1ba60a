"""Near-duplicate text matching that works without spaces (Chinese), via datasketch.

Texts are normalised (NFKC, lower case, ``//@name:`` repost chains, URLs,
mentions and punctuation removed) and cut into character shingles; MinHash
signatures go into a MinHash LSH index, so candidate pairs are found without
comparing all pairs.

>>> idx = near_duplicate_groups(["网传某中学老师体罚学生，大家去骂她", "网传某中学老师体罚学生!!大家去骂她",
...                              "今天天气很好，适合出去走走"], threshold=0.6)
>>> idx
[0, 0, 2]
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from datasketch import MinHash, MinHashLSH
from pandas.api.types import infer_dtype
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree

#: ``//@name:`` chains that Weibo appends to a repost comment, URLs, @mentions
_NOISE = re.compile(r"//@[^:：\s]*[:：]?|https?://\S+|@[\w\-\u4e00-\u9fff]+")
_PUNCT = re.compile(r"[\W_]+", re.UNICODE)

NUM_PERM = 64
SHINGLE = 3


def normalize(text: str | None) -> str:
    """Normalise a text for matching: NFKC, lower case, no repost chains, URLs, mentions,
    punctuation or spaces."""
    if not text:
        return ""
    t = unicodedata.normalize("NFKC", str(text)).lower()
    t = _NOISE.sub(" ", t)
    return _PUNCT.sub("", t)


def normalize_all(texts: Sequence[object] | pd.Series) -> np.ndarray:
    """:func:`normalize` of every text, as an object array; each distinct text once.

    >>> normalize_all(["网传！老师", None, "网传！老师"]).tolist()
    ['网传老师', '', '网传老师']

    Notes
    -----
    O(n) hashing plus one :func:`normalize` per distinct text (events repeat texts:
    copies, templates, platform defaults).
    """
    values = np.asarray(texts, dtype=object)
    if infer_dtype(values, skipna=True) not in ("string", "empty"):
        return np.array([normalize(t) for t in values], dtype=object)
    codes, uniq = pd.factorize(values)
    out = np.array(normalize_distinct(uniq.tolist()) + [""], dtype=object)[codes]
    lost = np.flatnonzero(codes < 0)  # None, NaN: normalised one by one, as normalize does
    out[lost] = [normalize(t) for t in values[lost]]
    return out


#: per code point (up to the largest seen yet): whether ``_PUNCT`` keeps it, i.e.
#: ``str.isalnum`` (``[\W_]`` is exactly the characters that are not alphanumeric)
_ALNUM = np.zeros(0, dtype=bool)


def _alnum_table(top: int) -> np.ndarray:
    """:data:`_ALNUM` for the code points ``0 .. top`` at least (grown once, kept)."""
    global _ALNUM
    if len(_ALNUM) <= top:
        size = max(top + 1, 0x3100)  # Latin to CJK punctuation at once
        _ALNUM = np.fromiter((chr(c).isalnum() for c in range(size)), dtype=bool, count=size)
    return _ALNUM


def _alnum_only(texts: list[str]) -> list[str]:
    """``_PUNCT.sub("", t)`` of every text, as one numpy pass over their code points."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    cp = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if not len(cp):
        return list(texts)
    keep = _alnum_table(int(cp.max()))[cp]
    # kept characters before each text's end; no kept character is a surrogate
    dropped = np.flatnonzero(~keep)
    ends = np.cumsum(lengths)
    ends = (ends - np.searchsorted(dropped, ends)).tolist()
    out = cp[keep].tobytes().decode("utf-32-le")
    return [out[a:b] for a, b in zip([0, *ends[:-1]], ends)]


#: joins the ASCII texts that :func:`normalize_distinct` cleans in one pass: whitespace
#: (so no match of the noise pattern crosses it: ``\s`` stops it, it is no word character)
_SEP = "\x1f"
#: the ASCII characters that the punctuation pattern removes (all but letters and digits),
#: but the separator
_ASCII_PUNCT = bytes(c for c in range(128) if not chr(c).isalnum() and chr(c) != _SEP)


def normalize_distinct(texts: list[str]) -> list[str]:
    """:func:`normalize` of each of ``texts`` (strings): the texts that are ASCII (most of an
    English event's) joined by :data:`_SEP`, for one lower case, one search of the noise
    pattern and one ``bytes.translate`` over them all (NFKC leaves ASCII as it is); the
    others NFKC and lower case one by one, then the noise pattern only where it can match
    (an ``@`` or ``http``) and the punctuation in numpy.

    >>> normalize_distinct(["RT @ab: Look HTTP://t.co/x!", "ΣΑΣ ΣΑΣ", "网传！@某人 老师"])
    ['rtlook', 'σαςσας', '网传老师']
    """
    pre = [t if t.isascii() else unicodedata.normalize("NFKC", t).lower() for t in texts]
    plain = [i for i, t in enumerate(pre) if t.isascii()]
    joined = _SEP.join([pre[i] for i in plain])
    if len(plain) < 2 or joined.count(_SEP) != len(plain) - 1:  # a text holds the separator
        return _clean_each([unicodedata.normalize("NFKC", t).lower() for t in texts])
    joined = joined.lower()  # ASCII: character by character, as text by text
    if "@" in joined or "http" in joined:
        joined = _NOISE.sub(" ", joined)
    out = np.empty(len(pre), dtype=object)
    cut = joined.encode("ascii").translate(None, _ASCII_PUNCT).decode("ascii")
    out[plain] = cut.split(_SEP)
    if len(plain) < len(pre):
        rest = np.ones(len(pre), dtype=bool)
        rest[plain] = False
        others = np.flatnonzero(rest)
        out[others] = _clean_each([pre[i] for i in others.tolist()])
    cleaned: list[str] = out.tolist()
    return cleaned


def _clean_each(pre: list[str]) -> list[str]:
    """The noise pattern (only where it can match: an ``@`` or ``http``) and the punctuation
    (in numpy) out of each of ``pre`` (NFKC, lower case)."""
    pre = [_NOISE.sub(" ", t) if ("@" in t or "http" in t) else t for t in pre]
    return _alnum_only(pre)


def terms_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive pattern that finds any of ``terms`` (an event's keywords, entities
    and name) in a raw text; terms shorter than two characters are left out (None: no term).

    Longer terms are tried first, so the match is the longest term at each place.

    >>> terms_pattern(["南城七中", "林老师", "x"]).findall("南城七中的林老师")
    ['南城七中', '林老师']
    """
    kept = sorted(
        {t.strip() for t in terms if t and len(t.strip()) >= 2}, key=lambda t: (-len(t), t)
    )
    if not kept:
        return None
    return re.compile("|".join(re.escape(t) for t in kept), re.IGNORECASE)


def shingles(norm: str, k: int = SHINGLE) -> set[str]:
    """Character k-shingles of a normalised text (the text itself when shorter than k)."""
    if len(norm) <= k:
        return {norm} if norm else set()
    return {norm[i : i + k] for i in range(len(norm) - k + 1)}


def _minhashes(sets: Sequence[set[str]], *, num_perm: int, seed: int) -> list[MinHash | None]:
    """MinHash signatures of shingle sets (None for an empty set), permutations drawn once."""
    full = [i for i, sh in enumerate(sets) if sh]
    out: list[MinHash | None] = [None] * len(sets)
    batches = ([s.encode("utf-8") for s in sorted(sets[i])] for i in full)
    for i, m in zip(full, MinHash.generator(batches, num_perm=num_perm, seed=seed)):
        out[i] = m
    return out


def _sha1_32(words: list[str]) -> np.ndarray:
    """datasketch's ``sha1_hash32`` of the UTF-8 of each word (the first 4 bytes of its
    SHA-1, little-endian), the digests read by numpy at once.

    >>> from datasketch.hashfunc import sha1_hash32
    >>> int(_sha1_32(["abc"])[0]) == sha1_hash32("abc".encode("utf-8"))
    True
    """
    sha1 = hashlib.sha1
    digests = b"".join([sha1(w.encode("utf-8")).digest() for w in words])
    return np.frombuffer(digests, dtype="<u4").reshape(-1, 5)[:, 0].astype(np.uint32)


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer (the pre-mix of datasketch's ``affine32`` scheme)."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    mixed: np.ndarray = h ^ (h >> np.uint32(16))
    return mixed


class _Shingled(NamedTuple):
    """The character ``k``-shingles of texts as integer codes (:func:`_shingled`)."""

    #: the rows of the texts of at least ``k`` characters (the others have no ``k``-shingle)
    full: np.ndarray
    #: shingle occurrences of each of them (repeats included)
    per: np.ndarray
    #: the code of each occurrence, text by text
    ids: np.ndarray
    #: the distinct shingles, in code order
    words: list[str]


def _shingled(texts: Sequence[str], k: int) -> _Shingled:
    """The ``k``-shingles of ``texts`` as codes (:func:`gram_codes`: every occurrence,
    repeats included), and the distinct shingles as strings, each decoded from its first
    occurrence at once.  O(C · k) for C characters."""
    n = len(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    full = np.flatnonzero(lengths >= k)
    ids, bounds = gram_codes(texts, k, ordered=False)
    per = np.diff(bounds)[full]
    if not len(ids):
        return _Shingled(full, per, ids, [])
    first = np.empty(int(ids.max()) + 1, dtype=np.int64)
    first[ids[::-1]] = np.arange(len(ids) - 1, -1, -1)  # the last write: the first occurrence
    # each first occurrence's place in the joined texts, then its k code points
    text_of = np.searchsorted(bounds, first, side="right") - 1
    start = np.cumsum(lengths)[text_of] - lengths[text_of] + (first - bounds[text_of])
    cp = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    joined = cp[start[:, None] + np.arange(k)].tobytes().decode("utf-32-le", "surrogatepass")
    words = [joined[i : i + k] for i in range(0, len(joined), k)]
    return _Shingled(full, per, ids, words)


def gram_codes(
    texts: Sequence[str], k: int, *, ordered: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Every ``k``-gram occurrence of every text, in order, as an integer code (equal codes:
    equal k-grams, ``0 .. V - 1`` for V distinct ones), and where each text's occurrences
    start (``n + 1`` bounds).

    Codes are given in order of first occurrence; ``ordered=False``: in any order (saves a
    renumbering when only equality matters).

    >>> codes, bounds = gram_codes(["abcab", "zab", "ab"], 2)
    >>> codes.tolist(), bounds.tolist()
    ([0, 1, 2, 0, 3, 0, 0], [0, 4, 6, 7])

    Notes
    -----
    Code points are renumbered densely (D distinct ones, ``b`` bits).  For ``k <= 3`` over a
    small alphabet (``D² <=`` :data:`DENSE_TABLE`: 912 code points on ira-dev) the k-grams
    are numbered through dense tables, one code point at a time (a pair's code, then the
    pair's and the third code point's, each table a range of at most :data:`DENSE_TABLE`
    entries), with no hashing.  Otherwise code points are packed as many per int64 key
    as fit and numbered by ``pd.factorize``, one step per key (exact, no hashing): one
    step when ``k · b <= 63``.  O(C · k) for C characters either way, no Python object
    per k-gram.
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
    if k <= 3 and (int(dense[-1]) + 1) ** 2 <= DENSE_TABLE:
        return _dense_gram_codes(dense.astype(np.int32)[raw], lengths, k, ordered), bounds
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
        key: np.ndarray = whole[at]
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


#: the largest range of keys that :func:`gram_codes` numbers through a dense table (a
#: boolean and an int32 array of this length at most; 16 M: 80 MB, touched sparsely)
DENSE_TABLE = 1 << 24


def _dense_gram_codes(cp: np.ndarray, lengths: np.ndarray, k: int, ordered: bool) -> np.ndarray:
    """:func:`gram_codes`' codes for ``k <= 3`` from the dense code points ``cp`` (1 .. D - 1,
    int32, ``D² <=`` :data:`DENSE_TABLE`) of the joined texts of ``lengths`` characters.

    Each step numbers the keys ``code · D + next code point`` of every position through a
    table of their range (present or not, then the present ones' ranks): no hashing.  The
    k-grams that would cross a text's end are dropped before the last step, so the last
    codes are dense; they are then renumbered in order of first occurrence (``ordered``).
    """
    d = int(cp.max()) + 1
    m = len(cp)
    starts = m - k + 1
    ok = np.ones(starts, dtype=bool)  # the k-grams' starts: all but each text's k - 1 last
    ends = np.cumsum(lengths)
    cut = (ends[:, None] - np.arange(1, k)).ravel()
    ok[cut[(cut >= 0) & (cut < starts)]] = False
    code = cp[:starts]
    size = d
    for j in range(1, k):
        nxt = cp[j : starts + j]
        if j == k - 1:
            code, nxt = code[ok], nxt[ok]
        key = code * np.int32(d) + nxt if size * d < 2**31 else code.astype(np.int64) * d + nxt
        if size * d <= DENSE_TABLE:
            present = np.zeros(size * d, dtype=bool)
            present[key] = True
            held = np.flatnonzero(present)
            table = np.empty(size * d, dtype=np.int32)
            table[held] = np.arange(len(held), dtype=np.int32)
            code, size = table[key], len(held)
        else:
            code, uniq = pd.factorize(key.astype(np.int64, copy=False))
            code, size = code.astype(np.int32), len(uniq)
    if k == 1:
        code = code[ok] - 1  # code points 1 .. D - 1, all present
        size = d - 1
    if not ordered:
        return code.astype(np.int64)
    first = np.empty(size, dtype=np.int64)
    first[code[::-1]] = np.arange(len(code) - 1, -1, -1)  # the last write: the first one
    rank = np.empty(size, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(size)
    out: np.ndarray = rank[code]
    return out


def _signatures(
    texts: Sequence[str],
    *,
    k: int = SHINGLE,
    num_perm: int,
    seed: int,
    shingled: _Shingled | None = None,
    used: int | None = None,
) -> np.ndarray:
    """MinHash signatures of the character ``k``-shingles of normalised texts, as one
    ``(n, num_perm)`` uint32 array, bit for bit those of :func:`_minhashes` over
    :func:`shingles` (datasketch's ``MinHash``, ``affine32`` scheme, SHA-1 32-bit hashes of
    the shingles' UTF-8); an empty text's row is all ``2**32 - 1`` (never used).
    ``shingled``: :func:`_shingled` of the texts, when the caller has it already;
    ``used``: only the first ``used`` of the ``num_perm`` permutations (the columns that LSH
    bands read, :func:`_lsh_bands`), an ``(n, used)`` array.

    Notes
    -----
    The shingles are cut in numpy (:func:`_shingled`), hashed once per distinct shingle,
    permuted as one ``(V, num_perm)`` array for V distinct shingles, and each text's
    minimum is taken by ``np.minimum.reduceat`` over its shingles, one permutation at a
    time: O(C · num_perm) numpy work and O(V · num_perm + C) memory for C characters, no
    Python object per shingle.
    """
    n = len(texts)
    a, b = MinHash(num_perm=num_perm, seed=seed).permutations
    if used is not None:
        a, b = a[:used], b[:used]
    num_perm = len(a)
    out = np.full((n, num_perm), np.uint32(0xFFFFFFFF), dtype=np.uint32)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=n)

    def permuted(words: Iterable[str]) -> np.ndarray:
        hv = _sha1_32(list(words))
        hashed: np.ndarray = _fmix32(hv)[:, None] * a[None, :] + b[None, :]  # wraps mod 2**32
        return hashed

    short = np.flatnonzero((lengths > 0) & (lengths < k))  # the text is its one shingle
    if len(short):
        out[short] = permuted(texts[int(i)] for i in short)
    sh = shingled if shingled is not None else _shingled(texts, k)
    if len(sh.full):
        perm = permuted(sh.words) if sh.words else np.zeros((0, num_perm), dtype=np.uint32)
        begins = np.cumsum(sh.per) - sh.per
        by_perm = np.ascontiguousarray(perm.T)  # one permutation's values at a time
        rows = np.empty((num_perm, len(sh.full)), dtype=np.uint32)
        hashed = np.empty(len(sh.ids), dtype=np.uint32)
        for j in range(num_perm):
            # the codes are all in range: "clip" spares the bounds errors' slower path
            np.take(by_perm[j], sh.ids, out=hashed, mode="clip")
            np.minimum.reduceat(hashed, begins, out=rows[j])
        out[sh.full] = rows.T
    return out


def _shingle_sets(n: int, sh: _Shingled, *, rows: np.ndarray | None = None) -> csr_matrix:
    """The shingle set of each of ``n`` texts as one row of a 0/1 sparse matrix (rows with
    sorted, distinct columns: the shingle codes); texts shorter than ``k`` have an empty
    row, and so do the texts not among ``rows`` when given (the only ones read)."""
    at = np.repeat(sh.full, sh.per)
    ids = sh.ids
    if rows is not None:
        wanted = np.zeros(n, dtype=bool)
        wanted[rows] = True
        keep = wanted[at]
        at, ids = at[keep], ids[keep]
    sets = csr_matrix((np.ones(len(ids), dtype=np.float32), (at, ids)), shape=(n, len(sh.words)))
    sets.sum_duplicates()
    sets.data[:] = 1.0
    return sets


#: candidate pairs checked in one numpy pass by :func:`_jaccards` (bounds its memory)
CHECK_BATCH = 1 << 15
#: passes of :func:`near_duplicate_links` over a round's candidates that check a spanning
#: forest of them only, before it checks all that remain
FOREST_PASSES = 4


def _forest(u: np.ndarray, v: np.ndarray, m: int) -> np.ndarray:
    """Positions of edges ``(u[i], v[i])`` (nodes ``0 .. m - 1``) that make a spanning forest
    of them all: Kruskal by position (the earliest edges first), in C (scipy).  Edges
    within one node are left out."""
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    between = np.flatnonzero(lo != hi)
    _, first = np.unique(lo[between] * m + hi[between], return_index=True)
    first = between[first]  # the first edge between each two nodes
    graph = csr_matrix((first + 1.0, (lo[first], hi[first])), shape=(m, m))
    kept = minimum_spanning_tree(graph).data
    return np.sort(kept.astype(np.int64) - 1)


def _jaccards(sets: csr_matrix, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact Jaccard similarity of the shingle sets of rows ``a`` and ``b`` of ``sets``
    (:func:`_shingle_sets`), pair by pair: what :func:`_set_jaccard` gives of each pair of
    texts of at least ``k`` characters (two distinct shorter texts share no shingle: 0).

    Notes
    -----
    One sorted merge per pair (scipy's element-wise product of two sparse matrices):
    O(|A| + |B|) per pair, in C.
    """
    size = np.diff(sets.indptr)
    inter = np.concatenate(
        [np.zeros(0, dtype=np.int64)]
        + [
            np.diff(
                sets[a[at : at + CHECK_BATCH]]
                .multiply(sets[b[at : at + CHECK_BATCH]])
                .tocsr()
                .indptr
            )
            for at in range(0, len(a), CHECK_BATCH)
        ]
    )
    union = size[a] + size[b] - inter
    out: np.ndarray = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
    return out


def jaccard(a: str, b: str, k: int = SHINGLE) -> float:
    """Exact Jaccard similarity of the shingle sets of two normalised texts."""
    return _set_jaccard(shingles(a, k), shingles(b, k))


def _set_jaccard(sa: set[str], sb: set[str]) -> float:
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = np.arange(n)

    def find(self, i: int) -> int:
        p = self.parent
        while p[i] != i:
            p[i] = p[p[i]]
            i = p[i]
        return int(i)

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # keep the smaller index as root, so group ids are stable
            lo, hi = (ra, rb) if ra < rb else (rb, ra)
            self.parent[hi] = lo


#: default bound of :func:`near_duplicate_links`: a text is checked against at most this
#: many other texts of each LSH bucket it falls in (the first ones in text order)
BUCKET_CAP = 64


def _lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """The ``(b, r)`` bands and rows that datasketch's ``MinHashLSH`` picks for
    ``threshold`` and ``num_perm`` (equal false positive and negative weights)."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return int(lsh.b), int(lsh.r)


#: the odd multiplier that mixes a band's values into one hash (:func:`_band_buckets`)
_BAND_MIX = np.uint64(0x9E3779B97F4A7C15)


def _band_buckets(band: np.ndarray) -> np.ndarray:
    """A code per row of ``band`` (the ``r`` signature values of an LSH band), equal for
    rows with equal values and only for them.

    The ``r`` values are mixed into one 64-bit hash, and the hashes factorized; a row whose
    values differ from those of the first row with its hash (a collision, about ``n² / 2**65``
    likely for ``n`` rows) sends the band to the exact way: one column at a time.
    """
    h = np.zeros(len(band), dtype=np.uint64)
    for col in range(band.shape[1]):
        h = (h ^ band[:, col].astype(np.uint64)) * _BAND_MIX
        h ^= h >> np.uint64(29)
    code = pd.factorize(h.view(np.int64))[0]
    first = np.empty(int(code.max()) + 1 if len(code) else 0, dtype=np.int64)
    first[code[::-1]] = np.arange(len(code) - 1, -1, -1)  # the first row of each code
    if (band[first[code]] == band).all():
        return code
    exact = band[:, 0].astype(np.int64)
    for col in range(1, band.shape[1]):
        exact = pd.factorize((exact << 32) | band[:, col])[0]
    return exact


def _bucket_pairs(
    sig: np.ndarray, *, threshold: float, cap: int | None = None, num_perm: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate pairs ``(i, j)`` (row ``i < j``) of signatures that share an LSH band, each
    once, with ``rank``: the smallest place of ``i`` among its bucket's rows (0: the first).

    The bands are those of datasketch's ``MinHashLSH`` (:func:`_lsh_bands`), so the pairs
    are exactly what inserting the rows one by one and querying each before its insert
    gives.  ``cap``: a row is paired only with the first ``cap`` rows of each bucket.
    ``num_perm``: the permutations the bands are chosen for (default: the columns of
    ``sig``, which may hold only the first ``b · r`` of them).

    Notes
    -----
    O(n · r) hashing per band to bucket n rows (r values each), a sort of the buckets, plus
    the pairs: up to ``s(s-1)/2`` for a bucket of s rows, ``s · cap`` with a cap.
    """
    n = len(sig)
    b, r = _lsh_bands(threshold, num_perm or sig.shape[1])
    every = np.arange(n)
    return _unique_pairs(
        [
            _band_pairs(every, _band_buckets(sig[:, band * r : (band + 1) * r]), n, cap)
            for band in range(b)
        ],
        n,
    )


def _band_pairs(
    rows: np.ndarray, bucket: np.ndarray, n: int, cap: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """The pair keys ``i · n + j`` (``i < j``) of the ``rows`` (of ``n``) that share a bucket
    of one band, and the place of ``i`` among its bucket's rows (by row), each row paired
    with the first ``cap`` rows of its bucket before it (all when ``cap`` is None)."""
    order = np.lexsort((rows, bucket))  # by bucket, then row
    sb, rows = bucket[order], rows[order]
    count = len(sb)
    start = np.flatnonzero(np.r_[True, sb[1:] != sb[:-1]])
    size = np.diff(np.r_[start, count])
    first = np.repeat(start, size)
    earlier = np.arange(count) - first  # rows before each one in its bucket
    if cap is not None:
        earlier = np.minimum(earlier, cap)
    later = np.repeat(np.arange(count), earlier)
    rank = np.arange(len(later)) - np.repeat(np.cumsum(earlier) - earlier, earlier)
    return rows[first[later] + rank] * n + rows[later], rank


def _unique_pairs(
    per_band: list[tuple[np.ndarray, np.ndarray]], n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs of all bands (:func:`_band_pairs`), each once with its smallest rank, by
    pair key: ``(i, j, rank)``."""
    key = np.concatenate([np.zeros(0, dtype=np.int64)] + [k for k, _ in per_band])
    rank = np.concatenate([np.zeros(0, dtype=np.int64)] + [r for _, r in per_band])
    by = np.lexsort((rank, key))
    key, rank = key[by], rank[by]
    once = np.ones(len(key), dtype=bool)
    once[1:] = key[1:] != key[:-1]
    key, rank = key[once], rank[once]
    return key // max(n, 1), key % max(n, 1), rank


def _shared_buckets(
    texts: Sequence[str],
    *,
    k: int = SHINGLE,
    num_perm: int,
    seed: int,
    bands: int,
    rows: int,
    shingled: _Shingled | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each of the ``bands`` LSH bands of ``rows`` MinHash values (the signatures of
    :func:`_signatures`): the texts that share their bucket with another text, and their
    bucket codes (equal codes: equal values in the band).

    A band's values are computed one permutation at a time, and only for the texts whose
    values so far are those of another text too: a text alone in its bucket is dropped as
    soon as it is (on ira-dev, 76 % of the texts are left after a band's second value, 28 %
    after the third, 2 % after the sixth).  The buckets are those of :func:`_bucket_pairs`
    over :func:`_signatures` with the buckets of one text left out, which give no pair.

    Notes
    -----
    A value is each text's minimum of one permutation of its shingles' hashes
    (``np.minimum.reduceat``); the shingles of the texts still in play are gathered again
    when they are under half of those read so far.  O(C · b · r) at worst for C shingle
    occurrences, b bands of r values, about O(C · b · 3) on ira-dev, against
    O(C · b · r) for the signatures.
    """
    n = len(texts)
    a, b = MinHash(num_perm=num_perm, seed=seed).permutations
    a, b = a[: bands * rows], b[: bands * rows]
    sh = shingled if shingled is not None else _shingled(texts, k)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    short = np.flatnonzero((lengths > 0) & (lengths < k))  # the text is its one shingle
    empty = np.flatnonzero(lengths == 0)  # all values 2**32 - 1, as in _signatures
    hv = _sha1_32(list(sh.words) + [texts[int(i)] for i in short])
    perm = _fmix32(hv)[:, None] * a[None, :] + b[None, :]  # wraps mod 2**32
    if len(empty):
        perm = np.vstack([perm, np.full((1, len(a)), 0xFFFFFFFF, dtype=np.uint32)])
    by_perm = np.ascontiguousarray(perm.T)  # one permutation's values at a time
    # one segment of shingle codes per text: a short text's its own, an empty one's the last
    seg_row = np.concatenate([sh.full, short, empty])
    ids, per = sh.ids, sh.per
    if len(short) or len(empty):
        v = len(sh.words)
        ids = np.concatenate([ids, v + np.arange(len(short)), np.full(len(empty), v + len(short))])
        per = np.concatenate([per, np.ones(len(short) + len(empty), dtype=np.int64)])
    begins = np.cumsum(per) - per
    out = []
    none = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    buffer = np.empty(len(ids), dtype=np.uint32)  # one permutation's values of the shingles
    for band in range(bands):
        live = np.arange(len(seg_row))  # the segments still in play
        # the shingles of the segments read (all, then the live ones), and the live ones' places
        w_ids, w_begins, at = ids, begins, live
        group = np.zeros(len(live), dtype=np.int64)
        for col in range(band * rows, (band + 1) * rows):
            if len(live) < 2:
                break
            # the codes are all in range: "clip" spares the bounds errors' slower path
            hashed = np.take(by_perm[col], w_ids, out=buffer[: len(w_ids)], mode="clip")
            vals = np.minimum.reduceat(hashed, w_begins)[at]
            group = pd.factorize((group << 32) | vals.astype(np.int64))[0]
            many = np.bincount(group)[group] > 1
            live, group, at = live[many], group[many], at[many]
            if 2 * per[live].sum() < len(w_ids):  # gather the live texts' shingles
                at = np.arange(len(live))
                w_per = per[live]
                w_begins = np.cumsum(w_per) - w_per
                w_ids = ids[np.repeat(begins[live] - w_begins, w_per) + np.arange(w_per.sum())]
        out.append((seg_row[live], group) if len(live) >= 2 else none)
    return out


def _prepared(
    texts: Sequence[str | None], *, min_chars: int, normalized: bool
) -> tuple[list[str], np.ndarray, np.ndarray, list[str]]:
    """The texts normalised (``""``: shorter than ``min_chars``), the first row of each
    distinct non-empty text, the exact repeats (row, its text's first row), and those texts."""
    normed = [t if normalized else normalize(t) for t in texts]
    norms = [t if t and len(t) >= min_chars else "" for t in normed]
    codes, uniq = pd.factorize(np.asarray(norms, dtype=object))
    first_row = np.unique(codes, return_index=True)[1]
    full = np.array([bool(t) for t in uniq], dtype=bool)
    repeat = np.flatnonzero(full[codes] & (first_row[codes] != np.arange(len(norms))))
    rep = np.stack([first_row[codes[repeat]], repeat]) if len(repeat) else np.zeros((2, 0), int)
    return norms, first_row[full], rep, list(uniq[full])


def near_duplicate_pairs(
    texts: Sequence[str | None],
    *,
    threshold: float = 0.6,
    num_perm: int = NUM_PERM,
    min_chars: int = 6,
    normalized: bool = False,
) -> list[tuple[int, int, float]]:
    """Pairs ``(i, j, jaccard)`` (i < j) of near-duplicate texts, verified exactly.

    Exact repeats of a text are paired with its first occurrence only, so that
    k identical copies cost k pairs, not k²/2.
    Candidates come from MinHash LSH at ``threshold``; each candidate is then
    checked with the exact shingle Jaccard, so the answer does not depend on
    hash collisions beyond recall.  Texts shorter than ``min_chars`` after
    normalisation match nothing.

    The signatures and bands are datasketch's (``MinHash`` with ``num_perm``
    permutations, seed 1; ``MinHashLSH`` bands), computed in numpy
    (:func:`_signatures`, :func:`_bucket_pairs`): the same candidates as
    inserting every distinct text into a ``MinHashLSH`` index and querying it.

    Notes
    -----
    O(C · num_perm) numpy work for C characters, plus the verified candidates: every pair
    of distinct texts that share an LSH bucket (quadratic in a bucket's size: many
    near-identical distinct texts make as many pairs; :func:`near_duplicate_links` bounds
    that when only the groups matter).
    """
    norms, first_row, rep, uniq = _prepared(texts, min_chars=min_chars, normalized=normalized)
    pairs = [(int(i), int(j), 1.0) for i, j in rep.T]
    if len(uniq) > 1:
        sig = _signatures(uniq, num_perm=num_perm, seed=1)
        a, b, _ = _bucket_pairs(sig, threshold=threshold)
        cut: dict[int, set[str]] = {}
        for x, y in zip(a.tolist(), b.tolist()):
            sx = cut.get(x) or cut.setdefault(x, shingles(uniq[x]))
            sy = cut.get(y) or cut.setdefault(y, shingles(uniq[y]))
            s = _set_jaccard(sx, sy)
            if s >= threshold:
                pairs.append((int(first_row[x]), int(first_row[y]), s))
    return sorted(pairs)


def near_duplicate_links(
    texts: Sequence[str | None],
    *,
    threshold: float = 0.6,
    num_perm: int = NUM_PERM,
    min_chars: int = 6,
    normalized: bool = False,
    bucket_cap: int = BUCKET_CAP,
    distinct: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Links ``(i, j)`` between texts (two integer arrays, ``i < j``) whose connected
    components are the groups of near-duplicates: those of :func:`near_duplicate_pairs`,
    without the pairs that only join texts already grouped.

    Candidates are taken in rounds by their rank in their LSH bucket (first every text
    with its buckets' first text, then with the second, ...), in batches of up to
    :data:`CHECK_BATCH`; a candidate whose two texts are already in one group when its batch
    starts is not checked, the others are verified by exact Jaccard (:func:`_jaccards`, in
    numpy).  Many near-identical texts thus cost about one check each, not one per pair.
    The groups do not depend on the order of the checks: they are the connected
    components of the candidates at ``threshold`` or more.

    Parameters
    ----------
    distinct : bool
        The texts are distinct, normalised and none shorter than ``min_chars``: taken as
        they are (no normalisation, no search for repeats).
    bucket_cap : int
        A text is a candidate with at most the first ``bucket_cap`` texts (in text order:
        by code points) of each LSH bucket it shares with texts before it.  The error this bounds: in a bucket
        of more than ``bucket_cap + 1`` distinct texts, a pair of two texts past the first
        ``bucket_cap`` is not checked through that bucket, so the two stay apart unless
        another band or a chain of checked pairs joins them.  With no bucket that large the
        groups are exactly those of :func:`near_duplicate_pairs`.

    Notes
    -----
    O(C · num_perm) numpy work for C characters, O(n · b · bucket_cap) candidates for n
    distinct texts and b bands, at most ``bucket_cap`` rounds of O(n) numpy each; the exact
    checks are the candidates whose texts are not yet grouped, O(|A| + |B|) each in C, and
    each batch that links texts finds the groups again (sparse connected components).
    """
    if bucket_cap < 1:
        raise ValueError("bucket_cap must be at least 1")
    uniq: list[str]
    if distinct:
        uniq = [str(t) for t in texts]
        first_row, rep = np.arange(len(uniq)), np.zeros((2, 0), dtype=np.int64)
    else:
        _, first_row, rep, uniq = _prepared(texts, min_chars=min_chars, normalized=normalized)
    li, lj = [rep[0].astype(np.int64)], [rep[1].astype(np.int64)]
    if len(uniq) > 1:
        sh = _shingled(uniq, SHINGLE)
        bands, rows = _lsh_bands(threshold, num_perm)
        buckets = _shared_buckets(
            uniq, num_perm=num_perm, seed=1, bands=bands, rows=rows, shingled=sh
        )
        # a bucket's texts are taken in text order (code points, as UTF-8 bytes sort), not
        # in order of appearance, so that the cap keeps the same texts wherever the texts
        # come from (pileon.spark.joins.text_pairs caps its buckets the same way); only the
        # texts in a shared bucket are sorted (Python's sort of the strings, several times
        # numpy's of an object array), and numbered 0 .. m - 1 in that order
        held = np.unique(np.concatenate([np.zeros(0, dtype=np.int64)] + [r for r, _ in buckets]))
        some = [uniq[i] for i in held.tolist()]
        by_text = held[np.array(sorted(range(len(some)), key=some.__getitem__), dtype=np.int64)]
        place = np.empty(len(uniq), dtype=np.int64)
        place[by_text] = np.arange(len(by_text))
        m = len(by_text)
        a, b, rank = _unique_pairs(
            [_band_pairs(place[r], code, m, bucket_cap) for r, code in buckets], m
        )
        sets = _shingle_sets(len(uniq), sh, rows=by_text)[by_text]
        first_row = first_row[by_text]
        by = np.argsort(rank, kind="stable")
        a, b, rank = a[by], b[by], rank[by]
        bounds = np.flatnonzero(np.r_[True, rank[1:] != rank[:-1], True]).tolist()
        label = np.arange(m)  # each text's group: its component among the links found
        found_a: list[np.ndarray] = []
        found_b: list[np.ndarray] = []
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            ra, rb = a[lo:hi], b[lo:hi]
            tries = 0
            while len(ra):
                apart = label[ra] != label[rb]
                ra, rb = ra[apart], rb[apart]
                if not len(ra):
                    break
                # a spanning forest of the pending candidates between groups first: the
                # others may be joined by it; after a few such passes, all that remain
                pick = (
                    _forest(label[ra], label[rb], m)
                    if tries < FOREST_PASSES
                    else np.arange(len(ra))
                )
                tries += 1
                ca, cb = ra[pick], rb[pick]
                rest = np.ones(len(ra), dtype=bool)
                rest[pick] = False
                ra, rb = ra[rest], rb[rest]
                near = _jaccards(sets, ca, cb) >= threshold
                if near.any():
                    found_a.append(ca[near])
                    found_b.append(cb[near])
                    fa, fb = np.concatenate(found_a), np.concatenate(found_b)
                    graph = coo_matrix((np.ones(len(fa)), (fa, fb)), shape=(m, m))
                    label = connected_components(graph, directed=False)[1]
        for x, y in zip(found_a, found_b):  # links in row order (i < j)
            fa, fb = first_row[x], first_row[y]
            li.append(np.minimum(fa, fb))
            lj.append(np.maximum(fa, fb))
    return np.concatenate(li).astype(np.int64), np.concatenate(lj).astype(np.int64)


def near_duplicate_groups(
    texts: Sequence[str | None],
    *,
    threshold: float = 0.6,
    extra_pairs: Iterable[tuple[int, int]] = (),
) -> list[int]:
    """Group near-duplicate texts; return for each text the index of its group's first member.

    ``extra_pairs`` adds links found by other means (equal media hashes, say).
    """
    uf = _UnionFind(len(texts))
    for i, j, _ in near_duplicate_pairs(texts, threshold=threshold):
        uf.union(i, j)
    for i, j in extra_pairs:
        uf.union(i, j)
    return [uf.find(i) for i in range(len(texts))]
