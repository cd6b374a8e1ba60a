"""The acts of an event that coordination is looked for in, on integer codes.

An *act* is an account doing something to an *item* at a time:

* a repost is an act on ``r:<root>``, the original content at the top of its chain
  (:func:`pileon.detectors.cascades.repost_forest`): reposting a repost of a post
  amplifies the post;
* a content of a narrative carried by at least two accounts is an act on
  ``n:<narrative>`` (posting a near-copy);
* a comment is an act on ``p:<reply_to>`` (commenting under the same content).

Every item has a *context*: whose voice it amplifies.  For reposts and comments it is
the author of the root or of the commented content; a narrative is a context of its own.
A fan club amplifies one context (its idol) over and over; an army amplifies several.
Every item belongs to a *stratum*, its platform (of the root, of the commented content, of
the copy): the chance model of :mod:`pileon.detectors.coordination.chance` compares
accounts with the activity on their own platform.  Targets' own acts are left out.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pileon.graph.errors import InputError
from pileon.graph.projection import Projection

__all__ = ["Acts", "coordination_acts", "KINDS"]

#: act kinds, in the order of their integer codes
KINDS = ("repost", "post", "comment")


@dataclass(frozen=True)
class Acts:
    """Acts sorted by item, time, account and act ID; names behind every code.

    Attributes
    ----------
    account, item, context, stratum, kind : numpy.ndarray of int64
        Codes per act (``kind`` indexes :data:`KINDS`).
    t : numpy.ndarray of float64
        Seconds since the earliest act.
    lag : numpy.ndarray of float64
        Seconds since the item was posted (the root, the commented content, the
        narrative's first copy); NaN when unknown.
    act_id : numpy.ndarray of object or None
        The repost or content ID of each act; None when ``act_code`` and ``act_names``
        give them (:meth:`ids`).
    accounts, items, contexts, strata : numpy.ndarray of object
        Names of the codes; ``accounts`` in sorted order.
    act_code : numpy.ndarray of int64, optional
        A code per act ID (acts with the same ID, and only they, share one); None: the
        users factorize ``act_id`` (:meth:`act_codes`).
    act_names : numpy.ndarray of object, optional
        The ID of each act code, where ``act_id`` is None.
    """

    account: np.ndarray
    item: np.ndarray
    context: np.ndarray
    stratum: np.ndarray
    kind: np.ndarray
    t: np.ndarray
    lag: np.ndarray
    act_id: np.ndarray | None
    accounts: np.ndarray
    items: np.ndarray
    contexts: np.ndarray
    strata: np.ndarray
    act_code: np.ndarray | None = None
    act_names: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.t)

    def ids(self, rows: np.ndarray) -> np.ndarray:
        """The act IDs of the acts at ``rows`` (object array)."""
        if self.act_id is not None:
            return np.asarray(self.act_id[rows], dtype=object)
        if self.act_code is None or self.act_names is None:
            raise ValueError("Acts without act_id need act_code and act_names")
        return np.asarray(self.act_names[self.act_code[rows]], dtype=object)

    def act_codes(self) -> np.ndarray:
        """``act_code``, or the codes of ``pd.factorize(act_id)`` when it is None."""
        if self.act_code is not None:
            return self.act_code
        return pd.factorize(self.ids(np.arange(len(self))))[0].astype(np.int64)

    def take(self, rows: np.ndarray) -> Acts:
        """The acts at ``rows`` (positions, in the given order), same name tables."""
        return Acts(
            account=self.account[rows],
            item=self.item[rows],
            context=self.context[rows],
            stratum=self.stratum[rows],
            kind=self.kind[rows],
            t=self.t[rows],
            lag=self.lag[rows],
            act_id=None if self.act_id is None else self.act_id[rows],
            accounts=self.accounts,
            items=self.items,
            contexts=self.contexts,
            strata=self.strata,
            act_code=None if self.act_code is None else self.act_code[rows],
            act_names=self.act_names,
        )


#: the int64 standing for an unknown time
_NONE = np.iinfo(np.int64).min


def _seconds(s: pd.Series) -> np.ndarray:
    """Times as int64 UTC nanoseconds (:data:`_NONE` where missing)."""
    when = pd.to_datetime(s, utc=True).dt.tz_localize(None)
    return when.to_numpy(dtype="datetime64[ns]").view(np.int64)


def _since(ids: pd.Series, posted: pd.Series) -> np.ndarray:
    """When each of ``ids`` was posted (int64 ns, :data:`_NONE` when unknown)."""
    out = ids.map(posted[~posted.index.duplicated()])
    return out.fillna(_NONE).to_numpy(dtype=np.float64).astype(np.int64)


def _of_content(p: Projection, narratives: Any) -> Mapping[str, str]:
    if narratives is None:
        from pileon.detectors.narratives import detect_narratives

        narratives = detect_narratives(p)
    if hasattr(narratives, "of_content"):
        return narratives.of_content
    if isinstance(narratives, Mapping):
        return narratives
    raise InputError("narratives must be a NarrativeResult or a mapping content_id -> narrative_id")


def _targets(p: Projection) -> set[str]:
    targets = set(p.event.target_ids)
    named = (tg for tg in p.contents["target_ids"] if isinstance(tg, (list, tuple)) and tg)
    targets.update(str(x) for x in itertools.chain.from_iterable(named))
    if "role_hint" in p.accounts:
        targets |= set(p.accounts.loc[p.accounts["role_hint"] == "target", "account_id"])
    return targets


def _text(values: np.ndarray) -> np.ndarray:
    """``values.astype(str)`` as an object array (pandas' ``astype(str)``), the array itself
    when every value is a string already (no copy, one pass)."""
    if pd.api.types.infer_dtype(values, skipna=False) == "string":
        return values
    out: np.ndarray = pd.Series(values, dtype=object).astype(str).to_numpy(dtype=object)
    return out


def _factorize_objects(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values)`` of an object array (same codes, same distinct values),
    the references factorized first: the rows of an ID often share one string object,
    and a reference is an integer that needs no visit to the object it names.  The
    distinct objects are then factorized by value (equal values in distinct objects
    merge there).  Codes int64, -1 for a missing value."""
    values = np.ascontiguousarray(values, dtype=object)
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64), np.empty(0, dtype=object)
    refs = np.frombuffer(values, dtype=np.intp)  # the array's references, read only
    ref_code, n_refs = pd.factorize(refs)
    first = np.full(len(n_refs), len(values), dtype=np.int64)
    np.minimum.at(first, ref_code, np.arange(len(values), dtype=np.int64))
    # the objects in order of first appearance: their values' first appearances too
    at, uniq = pd.factorize(values[first])
    return at.astype(np.int64)[ref_code], np.asarray(uniq, dtype=object)


def _text_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, names)`` of ``values`` as strings (pandas' ``astype(str)``), code -1 where a
    value is missing (``pd.isna``): one factorization, which also finds the missing
    values, when the distinct values are all strings (the usual case: no pass over the
    values to check them); else the values turned into strings, then factorized."""
    codes, uniq = _factorize_objects(values)
    if pd.api.types.infer_dtype(uniq, skipna=False) in ("string", "empty"):
        return codes, uniq
    # 1 and 1.0 are one value but two strings
    missing = pd.isna(values)
    codes, uniq = pd.factorize(_text(values))
    codes = np.where(missing, -1, codes).astype(np.int64)
    return codes, np.asarray(uniq, dtype=object)


def _named(codes: np.ndarray, names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, names)`` of a column given as local codes into ``names`` (possibly with
    repeats): the codes into the distinct names."""
    if not len(names):
        return codes, names
    at, uniq = pd.factorize(names)
    return at[codes], np.asarray(uniq, dtype=object)


def _factorize_sorted(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values, sort=True)`` of strings, the distinct ones sorted as a numpy
    unicode array (code point order, as Python compares strings, without a Python
    comparison per step); with ``pd.factorize`` when a value is not a string or ends
    with NUL (which numpy's strings drop)."""
    codes, uniq = pd.factorize(values)
    uniq = np.asarray(uniq, dtype=object)
    if not len(uniq):
        return codes.astype(np.int64), uniq
    if not all(type(x) is str and not x.endswith("\0") for x in uniq.tolist()):
        codes, uniq = pd.factorize(values, sort=True)
        return codes.astype(np.int64), np.asarray(uniq, dtype=object)
    order = np.argsort(uniq.astype(str), kind="stable")
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[order] = np.arange(len(uniq))
    return rank[codes], uniq[order]


def _sorted_codes(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """One column of acts given per part as ``(codes, names)``: the codes into the sorted
    distinct names of all parts (as ``pd.factorize(values, sort=True)`` of the values),
    sorting only the distinct names."""
    names = np.concatenate([n for _, n in parts]) if parts else np.empty(0, dtype=object)
    if not len(names):
        return np.zeros(0, dtype=np.int64), np.empty(0, dtype=object)
    local, uniq = _factorize_sorted(names)
    out, off = [], 0
    for codes, n in parts:
        out.append(local[off + codes] if len(codes) else np.zeros(0, dtype=np.int64))
        off += len(n)
    code = np.concatenate(out).astype(np.int64)
    # only the names some act holds (a part's names may include unused ones)
    used = np.zeros(len(uniq), dtype=bool)
    used[code] = True
    if used.all():
        return code, np.asarray(uniq, dtype=object)
    remap = np.cumsum(used) - 1
    return remap[code], np.asarray(uniq, dtype=object)[used]


def _order(
    item: np.ndarray, t: np.ndarray, account: np.ndarray, n_items: int, n_acc: int
) -> tuple[np.ndarray, np.ndarray]:
    """An order of the rows by ``(item, t, account)`` (non-negative codes and times), and
    which rows of that order have the same three as the row before (length ``n - 1``):
    the rows of such a run may be in any order (the caller orders them).  One sort of the
    three packed in an int64 (times divided by their greatest common divisor: whole
    seconds in nanoseconds, say) when they fit, else ``np.lexsort``."""
    if len(t) < 2:
        return np.arange(len(t), dtype=np.int64), np.zeros(0, dtype=bool)
    step = int(np.gcd.reduce(t)) or 1
    span = int(t.max()) // step + 1
    if n_items * span * max(n_acc, 1) < 2**62:
        key = (item * np.int64(span) + t // step) * np.int64(max(n_acc, 1)) + account
        order = np.argsort(key)
        key = key[order]
        return order, key[1:] == key[:-1]
    order = np.lexsort((account, t, item))
    k = (item[order], t[order], account[order])
    same = (k[0][1:] == k[0][:-1]) & (k[1][1:] == k[1][:-1])
    same &= k[2][1:] == k[2][:-1]
    return order, same


def _narrative_of_contents(p: Projection, c: pd.DataFrame, of: Mapping[str, str]) -> pd.Series:
    """The narrative ID (None: none) of each row of ``c`` (rows of ``p.contents``): without a
    dict lookup per row when ``of`` lists ``p.contents``' IDs first, in order (as the
    narratives detector builds it)."""
    ids = p.contents["content_id"].to_numpy(dtype=object)
    if isinstance(of, dict) and len(of) >= len(ids) and len(ids):
        head = np.fromiter(of.keys(), dtype=object, count=len(ids))
        if (head == ids).all():
            vals = np.fromiter(of.values(), dtype=object, count=len(ids))
            at = p.contents.index.get_indexer(c.index)
            if (at >= 0).all() and p.contents.index.is_unique:
                return pd.Series(vals[at], index=c.index, dtype=object)
    return c["content_id"].map(lambda x: of.get(x))


def coordination_acts(p: Projection, *, narratives: Any = None) -> Acts:
    """Every act of the event (module docstring), sorted, on integer codes.

    Parameters
    ----------
    p : Projection
    narratives : NarrativeResult or mapping, optional
        Narrative of every content; :func:`pileon.detectors.narratives.detect_narratives`
        when omitted.

    Returns
    -------
    Acts

    Notes
    -----
    ``O(n log n)`` for ``n`` contents and reposts: the repost forest on integer node
    positions (:func:`pileon.detectors.cascades.coded_forest`, shared with the other
    detectors), the reposts' items, voices and platforms as codes of their roots (names
    built and sorted once per distinct root, not per repost), one sort of the acts.
    """
    from pileon.detectors.cascades import coded_forest

    c = p.contents
    # the columns read below only: the filters copy less
    c = c[[x for x in ("content_id", "account_id", "platform", "posted_at", "reply_to") if x in c]]
    real = ~p.contents["placeholder"].astype(bool) & c["account_id"].notna()
    author = dict(zip(c.loc[real, "content_id"], c.loc[real, "account_id"]))
    platform = dict(zip(c["content_id"], c["platform"]))
    posted = pd.Series(_seconds(c["posted_at"]), index=c["content_id"].to_numpy())
    posted = posted[c["posted_at"].notna().to_numpy()]
    # each column per part: (codes, names) for account, item, context and stratum
    cols: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {
        k: [] for k in ("account", "item", "context", "stratum")
    }
    # kind, time, posting time and act code per act
    flat: dict[str, list[np.ndarray]] = {k: [] for k in ("kind", "t", "since", "code")}

    def add(named: dict[str, tuple[np.ndarray, np.ndarray]], **rest: np.ndarray) -> None:
        for k, v in named.items():
            cols[k].append(v)
        for k, v in rest.items():
            flat[k].append(v)

    def strings(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        codes, uniq = pd.factorize(values)
        return codes.astype(np.int64), np.asarray(uniq, dtype=object)

    rp = p.reposts
    # the act IDs as codes into ``act_names``: a repost's is its node in the repost forest
    # (whose nodes have distinct IDs, none a content's), a content's follows them
    content_code, act_names = pd.factorize(p.contents["content_id"].astype(str).to_numpy(object))
    act_names = np.asarray(act_names, dtype=object)
    if len(rp):
        fo = coded_forest(p)
        nd = fo.nodes
        content_code = content_code.astype(np.int64) + len(nd.ids)
        act_names = np.concatenate([np.asarray(nd.ids, dtype=object), act_names])
        src = nd.src
        # the accounts' codes over every row, -1 where missing (one pass over the IDs)
        acc_code, acc_names = _text_codes(src["account_id"].to_numpy(dtype=object))
        ok = (acc_code >= 0) & src["reposted_at"].notna().to_numpy()
        rows = np.arange(len(src)) if ok.all() else np.flatnonzero(ok)
        at = nd.n_contents + rows
        # the reposts' roots, as codes into the distinct roots
        root_code, roots = pd.factorize(fo.root[at])
        root_code = root_code.astype(np.int64)
        root_id = nd.ids[roots]  # strings already (the forest hashes them as strings)
        rs = pd.Series(root_id, dtype=object)
        ctx = rs.map(author)
        ctx = ctx.where(ctx.notna(), "?" + rs)
        # the strata: the root's platform, else (where "platform" is a column of the
        # reposts) the repost's own; named per root and per repost that takes its own
        pf_root = rs.map(platform).to_numpy(dtype=object)
        has_pf = pd.notna(pf_root)
        pf_names = pd.Series(pf_root, dtype=object).fillna("").astype(str).to_numpy(dtype=object)
        pf_code = root_code
        if "platform" in rp and not has_pf.all():
            mine = ~has_pf[root_code]
            if src is rp:  # every repost ID distinct (the forest uses every row)
                own = src["platform"].to_numpy(dtype=object)[rows[mine]]
            else:  # as a dict of the rows would give: the last row of each ID
                last = dict(zip(rp["repost_id"], rp["platform"]))
                own = np.array([last.get(x) for x in nd.ids[at[mine]]], dtype=object)
            own = pd.Series(own, dtype=object).fillna("").to_numpy(dtype=object)
            own_code, own_names = strings(_text(own))
            pf_code = root_code.copy()
            pf_code[mine] = len(pf_names) + own_code
            pf_names = np.concatenate([pf_names, own_names])
        since_root = pd.Series(root_id).map(posted[~posted.index.duplicated()])
        since_root = since_root.fillna(_NONE).to_numpy(dtype=np.float64).astype(np.int64)
        add(
            {
                "account": (acc_code if len(rows) == len(src) else acc_code[rows], acc_names),
                "item": (root_code, ("r:" + rs).to_numpy(dtype=object)),
                "context": _named(root_code, ("a:" + ctx.astype(str)).to_numpy(dtype=object)),
                "stratum": (pf_code, pf_names),
            },
            kind=np.zeros(len(rows), np.int64),
            t=_seconds(src["reposted_at"])[rows],
            since=since_root[root_code],
            code=at,
        )
    usable = (real & c["posted_at"].notna()).to_numpy()
    c = c[usable]
    c_pos = np.flatnonzero(usable)  # positions of c's rows in p.contents
    if len(c):
        of = _of_content(p, narratives)
        nid = _narrative_of_contents(p, c, of)
        has_n = nid.notna().to_numpy()
        posts, p_pos = c[has_n], c_pos[has_n]
        nid = nid[nid.notna()].astype(str)
        # a narrative is an item only when at least two accounts carry it
        n_code, n_names = pd.factorize(nid.to_numpy(dtype=object))
        a_code = pd.factorize(posts["account_id"].to_numpy(dtype=object))[0]
        width = int(a_code.max()) + 1 if len(a_code) else 1
        pair = np.unique(n_code.astype(np.int64) * width + a_code)
        voices = np.bincount(pair // width, minlength=len(n_names))
        multi = voices[n_code] >= 2
        posts, nid, p_pos = posts[multi], nid[multi], p_pos[multi]
        if len(posts):
            n_item = strings(("n:" + nid).to_numpy(dtype=object))
            add(
                {
                    "account": strings(posts["account_id"].astype(str).to_numpy(dtype=object)),
                    "item": n_item,
                    "context": n_item,
                    "stratum": strings(
                        posts["platform"].fillna("").astype(str).to_numpy(dtype=object)
                    ),
                },
                kind=np.ones(len(posts), np.int64),
                t=_seconds(posts["posted_at"]),
                since=np.full(len(posts), _NONE, dtype=np.int64),  # set below
                code=content_code[p_pos],
            )
        replies = c["reply_to"].notna().to_numpy()
        com, m_pos = c[replies], c_pos[replies]
        if len(com):
            parent = com["reply_to"].astype(str)
            # the reposts commented under, in their order (a dict or a map of all reposts
            # would give the same for these IDs)
            under = rp[rp["repost_id"].isin(set(parent))] if len(rp) else rp
            rp_author = dict(zip(under["repost_id"], under["account_id"]))
            ctx = parent.map(lambda x: author.get(x) or rp_author.get(x))
            ctx = ctx.where(ctx.notna(), "?" + parent)
            add(
                {
                    "account": strings(com["account_id"].astype(str).to_numpy(dtype=object)),
                    "item": strings(("p:" + parent).to_numpy(dtype=object)),
                    "context": strings(("a:" + ctx.astype(str)).to_numpy(dtype=object)),
                    "stratum": strings(
                        parent.map(platform)
                        .where(parent.map(platform).notna(), com["platform"])
                        .fillna("")
                        .astype(str)
                        .to_numpy(dtype=object)
                    ),
                },
                kind=np.full(len(com), 2, np.int64),
                t=_seconds(com["posted_at"]),
                since=_since(
                    parent,
                    pd.concat(
                        [
                            posted,
                            pd.Series(
                                _seconds(under["reposted_at"]),
                                index=under["repost_id"].to_numpy(),
                            ),
                        ]
                    )
                    if len(under)
                    else posted,
                ),
                code=content_code[m_pos],
            )
    kind = np.concatenate(flat["kind"]) if flat["kind"] else np.zeros(0, np.int64)
    ns = np.concatenate(flat["t"]) if flat["t"] else np.zeros(0, np.int64)
    since = np.concatenate(flat["since"]) if flat["since"] else np.zeros(0, np.int64)
    code = np.concatenate(flat["code"]) if flat["code"] else np.zeros(0, np.int64)
    targets = _targets(p)
    if targets and len(ns):
        # the targets' own acts are left out: a mask over each part's account names
        keep = np.concatenate(
            [~pd.Index(names).isin(list(targets))[codes] for codes, names in cols["account"]]
        )
        if not keep.all():
            off = 0
            for k in cols:
                parts = []
                for codes, names in cols[k]:
                    parts.append((codes[keep[off : off + len(codes)]], names))
                    off += len(codes)
                cols[k] = parts
                off = 0
            kind, ns, since, code = kind[keep], ns[keep], since[keep], code[keep]
    account, accounts = _sorted_codes(cols["account"])
    item, items = _sorted_codes(cols["item"])
    context, contexts = _sorted_codes(cols["context"])
    stratum, strata = _sorted_codes(cols["stratum"])
    ns = np.asarray(ns, dtype=np.int64)
    since = np.asarray(since, dtype=np.int64)
    # a narrative was "posted" when its first copy was (its item's acts are all copies)
    is_n = kind == 1
    if is_n.any():
        first = np.full(len(items), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first, item[is_n], ns[is_n])
        since = np.where(is_n, first[item], since)
    known = since != _NONE
    lag = np.where(known, (ns - np.where(known, since, 0)) / 1e9, np.nan)
    if len(ns):
        ns = ns - ns.min()
    # sort by item, time, account, act ID, then position (a unique order, as a stable
    # sort by the four gives): the act IDs are compared only within runs of equal (item,
    # time, account)
    order, same = _order(item, ns, account, len(items), len(accounts))
    if same.any():
        run = np.concatenate([[0], np.cumsum(~same)])
        tied = np.flatnonzero(np.bincount(run)[run] > 1)
        rank = _factorize_sorted(act_names[code[order[tied]]])[0]
        inner = np.lexsort((order[tied], rank, run[tied]))
        order[tied] = order[tied][inner]
    return Acts(
        account=account[order],
        item=item[order],
        context=context[order],
        stratum=stratum[order],
        kind=kind[order],
        t=(ns.astype(np.float64) / 1e9)[order],
        lag=lag[order],
        act_id=None,
        accounts=accounts,
        items=items,
        contexts=contexts,
        strata=strata,
        act_code=code[order],
        act_names=act_names,
    )
