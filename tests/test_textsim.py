"""Near-duplicate texts: the numpy MinHash LSH against datasketch's, and the bounded groups."""

import numpy as np
import pandas as pd
import pytest
from datasketch import MinHashLSH
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

import pileon.graph.textsim as ts
from pileon.graph.textsim import (
    _minhashes,
    _signatures,
    near_duplicate_links,
    near_duplicate_pairs,
    normalize,
    shingles,
)

ODD = ["", "a", "ab", "abc", "abcd", "aaaaaaa", "网传某中学老师体罚学生", "😀😀😀😀x", "ab😀c"]


def _texts(n: int, seed: int = 0) -> list[str]:
    """Stories, their near-copies (a few characters changed), exact repeats and noise."""
    rng = np.random.default_rng(seed)
    alphabet = list("的一是不了人我在有他这中大来上个国到说们为子和你地出道也时年")
    stories = ["".join(rng.choice(alphabet, 60)) for _ in range(n // 10)]
    out = []
    for _ in range(n):
        s = list(stories[rng.integers(len(stories))])
        for q in rng.integers(0, len(s), rng.integers(0, 4)):
            s[q] = rng.choice(alphabet)
        out.append("".join(s) if rng.random() > 0.1 else "".join(rng.choice(alphabet, 30)))
    return out + out[:5]  # exact repeats


def _reference_pairs(texts, threshold=0.6, num_perm=64, min_chars=6):
    """near_duplicate_pairs as it was written over datasketch's MinHashLSH (insert, query)."""
    norms = [t if t and len(t) >= min_chars else "" for t in texts]
    sets = [shingles(t) for t in norms]
    mhs = _minhashes(sets, num_perm=num_perm, seed=1)
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    pairs, first_of = set(), {}
    for i, (t, m) in enumerate(zip(norms, mhs)):
        if m is None:
            continue
        if t in first_of:
            pairs.add((first_of[t], i))
            continue
        first_of[t] = i
        pairs.update((j, i) for j in lsh.query(m))
        lsh.insert(i, m)
    out = []
    for i, j in sorted(pairs):
        s = 1.0 if norms[i] == norms[j] else ts._set_jaccard(sets[i], sets[j])
        if s >= threshold:
            out.append((i, j, s))
    return out


def _groups(n, i, j):
    graph = coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


@pytest.mark.parametrize("k", [2, 3, 4])
def test_signatures_are_datasketch_minhashes_bit_for_bit(k):
    texts = ODD + [normalize(t) for t in _texts(60)]
    sig = _signatures(texts, k=k, num_perm=64, seed=1)
    ref = _minhashes([shingles(t, k) for t in texts], num_perm=64, seed=1)
    for row, m in zip(sig, ref):
        if m is None:
            assert (row == 0xFFFFFFFF).all()
        else:
            assert np.array_equal(row, m.hashvalues)


@pytest.mark.parametrize("threshold", [0.5, 0.6, 0.8])
def test_pairs_are_those_of_the_datasketch_index(threshold):
    texts = _texts(400, seed=3) + ["", "短", None]
    got = near_duplicate_pairs(texts, threshold=threshold, normalized=True)
    assert got == _reference_pairs(texts, threshold=threshold)
    assert len(got) > 100  # near-copies were found


def test_links_group_texts_as_the_pairs_do():
    texts = _texts(400, seed=5)
    pairs = near_duplicate_pairs(texts, normalized=True)
    i, j = near_duplicate_links(texts, normalized=True)
    assert (i < j).all() and len(i) < len(pairs)
    a = _groups(len(texts), i, j)
    b = _groups(len(texts), [x for x, _, _ in pairs], [y for _, y, _ in pairs])
    assert np.array_equal(a, b)  # scipy labels follow the first member: equal partitions


def test_links_of_distinct_texts_are_those_of_the_general_path():
    texts = list(dict.fromkeys(t for t in _texts(400, seed=7) if len(t) >= 6))
    got = near_duplicate_links(texts, normalized=True, distinct=True)
    want = near_duplicate_links(texts, normalized=True)
    assert len(got[0]) and all(np.array_equal(a, b) for a, b in zip(got, want))


def test_normalize_distinct_is_normalize_text_by_text():
    texts = ODD + [
        "RT @someone: Look HTTP://t.co/AbC x_y-z!!",
        "plain ascii, no noise",
        "Σ final ΣΑΣ and İstanbul",
        "ascii //@b: chain http://x.y/z",
        "a\x1fb holds the separator",
        "网传！@某人 https://weibo.cn/x 老师",
        "ＦＵＬＬ width １２",
    ]
    assert ts.normalize_distinct(texts) == [normalize(t) for t in texts]
    no_sep = [t for t in texts if "\x1f" not in t]  # the one-pass path
    assert ts.normalize_distinct(no_sep) == [normalize(t) for t in no_sep]


def test_normalize_distinct_of_random_texts_is_normalize():
    """Joined for one lower case and one pattern search, the texts come out as one by one:
    final sigmas at a text's ends, case changes that change the length (İ), compatibility
    forms, combining marks, whitespace of all kinds, noise across the texts' ends."""
    rng = np.random.default_rng(4)
    pieces = list("aZ9_ -:：/@.!Σσς") + [
        "İ", "ß", "ﬁ", "Ａ", "１", "\u0301", "\u3000", "\u00a0", "\t", "\n", "😀",
        "网", "传", "//@", "http://", "https://t.co/", "@名", "ΣΑΣ", "\u2028", "ǅ",
    ]  # fmt: skip
    texts = ["".join(rng.choice(pieces, int(rng.integers(0, 12)))) for _ in range(3000)]
    assert ts.normalize_distinct(texts) == [normalize(t) for t in texts]
    ascii_only = [t for t in texts if t.isascii()]
    assert ts.normalize_distinct(ascii_only) == [normalize(t) for t in ascii_only]


def test_many_near_identical_texts_cost_about_one_check_each(monkeypatch):
    base = "网传某中学老师体罚学生大家一起去骂她转发扩散让更多人看到这件事情的真相"
    texts = [base[:-4] + f"{i:04d}" for i in range(500)]  # distinct, all near-copies
    calls = {"n": 0}
    real, real_batch = ts._set_jaccard, ts._jaccards

    def counted(a, b):
        calls["n"] += 1
        return real(a, b)

    def counted_batch(sets, a, b):  # the links check pairs in numpy batches
        calls["n"] += len(a)
        return real_batch(sets, a, b)

    monkeypatch.setattr(ts, "_set_jaccard", counted)
    monkeypatch.setattr(ts, "_jaccards", counted_batch)
    i, j = near_duplicate_links(texts, normalized=True)
    assert len(set(_groups(len(texts), i, j).tolist())) == 1
    assert calls["n"] <= 2 * len(texts)
    calls["n"] = 0
    near_duplicate_pairs(texts, normalized=True)  # every pair that shares a bucket
    assert calls["n"] > 20 * len(texts)


def test_bucket_cap_bounds_the_candidates_and_is_checked():
    base = "网传某中学老师体罚学生大家一起去骂她转发扩散让更多人看到这件事情的真相"
    texts = [base[:-4] + f"{i:04d}" for i in range(300)]
    i, j = near_duplicate_links(texts, normalized=True, bucket_cap=1)
    assert len(set(_groups(len(texts), i, j).tolist())) == 1  # each joins the first
    with pytest.raises(ValueError, match="bucket_cap"):
        near_duplicate_links(texts, bucket_cap=0)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_batch_jaccards_are_those_of_the_shingle_sets(k):
    texts = [t for t in dict.fromkeys(ODD + [normalize(t) for t in _texts(80, seed=9)]) if t]
    sh = ts._shingled(texts, k)
    sets = ts._shingle_sets(len(texts), sh)
    a, b = np.triu_indices(len(texts), 1)
    got = ts._jaccards(sets, a, b)
    want = [ts._set_jaccard(shingles(texts[x], k), shingles(texts[y], k)) for x, y in zip(a, b)]
    assert got.tolist() == want  # the same floats, not only close ones
    assert (got > 0.6).sum() > 10


def test_links_in_small_batches_group_as_in_one(monkeypatch):
    texts = _texts(400, seed=5)
    a = _groups(len(texts), *near_duplicate_links(texts, normalized=True))
    monkeypatch.setattr(ts, "CHECK_BATCH", 7)
    b = _groups(len(texts), *near_duplicate_links(texts, normalized=True))
    assert np.array_equal(a, b)


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two code arrays group the rows alike (codes may be numbered differently)."""
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


@pytest.mark.parametrize("mix", [None, 0])
def test_band_buckets_group_equal_rows_only(monkeypatch, mix):
    """An LSH band's buckets hold exactly the rows with equal values; when the 64-bit hash of
    the values collides (forced here: ``mix`` 0 hashes every row to 0), the band is bucketed
    the exact way, one column at a time."""
    if mix is not None:
        monkeypatch.setattr(ts, "_BAND_MIX", np.uint64(mix))
    rng = np.random.default_rng(3)
    band = rng.integers(0, 3, size=(500, 6)).astype(np.uint32)  # many equal rows
    band[7] = band[11]
    band[12, 5] = np.uint32(0xFFFFFFFF)
    exact = band[:, 0].astype(np.int64)
    for col in range(1, band.shape[1]):
        exact = pd.factorize((exact << 32) | band[:, col])[0]
    got = ts._band_buckets(band)
    assert _same_partition(got, exact)
    assert got[7] == got[11]


@pytest.mark.parametrize("k", [1, 2, 3])
def test_dense_gram_codes_are_the_hashed_ones(monkeypatch, k):
    """k-gram codes through dense tables (small alphabets, k <= 3) equal those of the packed
    keys' factorize: same codes, in order of first occurrence, same bounds."""
    rng = np.random.default_rng(k)
    alphabet = list("abc的一是😀") + ["\ud800"]  # a lone surrogate too
    texts = ODD + ["".join(rng.choice(alphabet, int(rng.integers(0, 9)))) for _ in range(300)]
    got = ts.gram_codes(texts, k)
    monkeypatch.setattr(ts, "DENSE_TABLE", 0)  # the factorize path
    want = ts.gram_codes(texts, k)
    assert all(np.array_equal(a, b) for a, b in zip(got, want))
    assert len(np.unique(got[0])) >= 20


@pytest.mark.parametrize("k", [2, 3, 4])
@pytest.mark.parametrize("cap", [None, 2])
def test_shared_buckets_give_the_pairs_of_the_signatures(k, cap):
    """The texts left in shared buckets, band by band, pair as the full signatures' buckets
    do (texts alone in a bucket pair with none), short and empty texts included."""
    texts = ODD + ["", "ab", "ab"] + [normalize(t) for t in _texts(300, seed=11)]
    sig = _signatures(texts, k=k, num_perm=64, seed=1)
    want = ts._bucket_pairs(sig, threshold=0.6, cap=cap)
    bands, rows = ts._lsh_bands(0.6, 64)
    buckets = ts._shared_buckets(texts, k=k, num_perm=64, seed=1, bands=bands, rows=rows)
    n = len(texts)
    got = ts._unique_pairs([ts._band_pairs(r, code, n, cap) for r, code in buckets], n)
    assert all(np.array_equal(a, b) for a, b in zip(got, want))
    assert len(want[0]) > 300
