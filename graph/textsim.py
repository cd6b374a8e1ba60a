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

import re
import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from datasketch import MinHash, MinHashLSH
from pandas.api.types import infer_dtype

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
    out = np.array([normalize(t) for t in uniq] + [""], dtype=object)[codes]
    lost = np.flatnonzero(codes < 0)  # None, NaN: normalised one by one, as normalize does
    out[lost] = [normalize(t) for t in values[lost]]
    return out


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

    Notes
    -----
    O(n · (L + b)) for n texts of L shingles and b LSH bands, plus the verified
    candidates; never all pairs.  Each distinct text is cut into shingles once, for
    its signature and for every check it takes part in.
    """
    normed = [t if normalized else normalize(t) for t in texts]
    norms = [t if t and len(t) >= min_chars else "" for t in normed]
    cut: dict[str, set[str]] = {}
    for t in norms:
        if t not in cut:
            cut[t] = shingles(t)
    sets = [cut[t] for t in norms]
    mhs = _minhashes(sets, num_perm=num_perm, seed=1)
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    pairs: set[tuple[int, int]] = set()
    first_of: dict[str, int] = {}
    for i, (t, m) in enumerate(zip(norms, mhs)):
        if m is None:
            continue
        if t in first_of:  # exact duplicates: no need to query
            pairs.add((first_of[t], i))
            continue
        first_of[t] = i
        for j in lsh.query(m):
            pairs.add((j, i))
        lsh.insert(i, m)
    # an exact repeat is paired with its first occurrence only (not with that
    # occurrence's candidates): callers that need whole groups use
    # near_duplicate_groups, which closes the pairs transitively
    out = []
    for i, j in sorted(pairs):
        s = 1.0 if norms[i] == norms[j] else _set_jaccard(sets[i], sets[j])
        if s >= threshold:
            out.append((i, j, s))
    return out


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
