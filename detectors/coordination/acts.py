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
    act_id : numpy.ndarray of object
        The repost or content ID of each act.
    accounts, items, contexts, strata : numpy.ndarray of object
        Names of the codes; ``accounts`` in sorted order.
    """

    account: np.ndarray
    item: np.ndarray
    context: np.ndarray
    stratum: np.ndarray
    kind: np.ndarray
    t: np.ndarray
    lag: np.ndarray
    act_id: np.ndarray
    accounts: np.ndarray
    items: np.ndarray
    contexts: np.ndarray
    strata: np.ndarray

    def __len__(self) -> int:
        return len(self.t)

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
            act_id=self.act_id[rows],
            accounts=self.accounts,
            items=self.items,
            contexts=self.contexts,
            strata=self.strata,
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
    flat: dict[str, list[np.ndarray]] = {k: [] for k in ("kind", "t", "since", "act_id")}

    def add(named: dict[str, tuple[np.ndarray, np.ndarray]], **rest: np.ndarray) -> None:
        for k, v in named.items():
            cols[k].append(v)
        for k, v in rest.items():
            flat[k].append(v)

    def strings(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        codes, uniq = pd.factorize(values)
        return codes.astype(np.int64), np.asarray(uniq, dtype=object)

    rp = p.reposts
    if len(rp):
        fo = coded_forest(p)
        nd = fo.nodes
        src = nd.src
        at = nd.n_contents + np.arange(len(src))
        ok = (src["account_id"].notna() & src["reposted_at"].notna()).to_numpy()
        at, sub = at[ok], src[ok]
        # the reposts' roots, as codes into the distinct roots
        root_code, roots = pd.factorize(fo.root[at])
        root_id = nd.ids[roots]  # strings already (the forest hashes them as strings)
        rs = pd.Series(root_id, dtype=object)
        ctx = rs.map(author)
        ctx = ctx.where(ctx.notna(), "?" + rs)
        pf_root = rs.map(platform).to_numpy(dtype=object)
        has_pf = pd.notna(pf_root)
        pf = pf_root[root_code]
        if "platform" in rp and not has_pf.all():
            mine = ~has_pf[root_code]
            if src is rp:  # every repost ID distinct (the forest uses every row)
                own = sub["platform"].to_numpy(dtype=object)[mine]
            else:  # as a dict of the rows would give: the last row of each ID
                last = dict(zip(rp["repost_id"], rp["platform"]))
                own = np.array([last.get(x) for x in nd.ids[at[mine]]], dtype=object)
            pf = pf.copy()
            pf[mine] = own
        pf = pd.Series(pf, dtype=object).fillna("").astype(str).to_numpy()
        since_root = pd.Series(root_id).map(posted[~posted.index.duplicated()])
        since_root = since_root.fillna(_NONE).to_numpy(dtype=np.float64).astype(np.int64)
        add(
            {
                "account": strings(sub["account_id"].astype(str).to_numpy(dtype=object)),
                "item": (root_code.astype(np.int64), ("r:" + rs).to_numpy(dtype=object)),
                "context": _named(
                    root_code.astype(np.int64), ("a:" + ctx.astype(str)).to_numpy(dtype=object)
                ),
                "stratum": strings(pf),
            },
            kind=np.zeros(len(sub), np.int64),
            t=_seconds(sub["reposted_at"]),
            since=since_root[root_code],
            act_id=nd.ids[at],
        )
    c = c[real & c["posted_at"].notna()]
    if len(c):
        of = _of_content(p, narratives)
        nid = _narrative_of_contents(p, c, of)
        posts = c[nid.notna().to_numpy()]
        nid = nid[nid.notna()].astype(str)
        # a narrative is an item only when at least two accounts carry it
        n_code, n_names = pd.factorize(nid.to_numpy(dtype=object))
        a_code = pd.factorize(posts["account_id"].to_numpy(dtype=object))[0]
        width = int(a_code.max()) + 1 if len(a_code) else 1
        pair = np.unique(n_code.astype(np.int64) * width + a_code)
        voices = np.bincount(pair // width, minlength=len(n_names))
        multi = voices[n_code] >= 2
        posts, nid = posts[multi], nid[multi]
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
                act_id=posts["content_id"].astype(str).to_numpy(dtype=object),
            )
        com = c[c["reply_to"].notna()]
        if len(com):
            parent = com["reply_to"].astype(str)
            rp_author = dict(zip(rp["repost_id"], rp["account_id"])) if len(rp) else {}
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
                                _seconds(rp["reposted_at"]), index=rp["repost_id"].to_numpy()
                            ),
                        ]
                    )
                    if len(rp)
                    else posted,
                ),
                act_id=com["content_id"].astype(str).to_numpy(dtype=object),
            )
    kind = np.concatenate(flat["kind"]) if flat["kind"] else np.zeros(0, np.int64)
    ns = np.concatenate(flat["t"]) if flat["t"] else np.zeros(0, np.int64)
    since = np.concatenate(flat["since"]) if flat["since"] else np.zeros(0, np.int64)
    act_id = np.concatenate(flat["act_id"]) if flat["act_id"] else np.empty(0, dtype=object)
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
            kind, ns, since, act_id = kind[keep], ns[keep], since[keep], act_id[keep]
    account, accounts = _sorted_codes(cols["account"])
    item, items = _sorted_codes(cols["item"])
    context, contexts = _sorted_codes(cols["context"])
    stratum, strata = _sorted_codes(cols["stratum"])
    ns = np.asarray(ns, dtype=np.int64)
    since = np.asarray(since, dtype=np.int64)
    # a narrative was "posted" when its first copy was
    first = pd.Series(ns).groupby(item).transform("min").to_numpy() if len(ns) else ns
    is_n = kind == 1
    since = np.where(is_n, first, since)
    known = since != _NONE
    lag = np.where(known, (ns - np.where(known, since, 0)) / 1e9, np.nan)
    if len(ns):
        ns = ns - ns.min()
    # sort by item, time, account, then act ID (a unique, stable order): the act IDs are
    # compared only within runs of equal (item, time, account)
    order = np.lexsort((account, ns, item))
    if len(order) > 1:
        key = (item[order], ns[order], account[order])
        same = (key[0][1:] == key[0][:-1]) & (key[1][1:] == key[1][:-1])
        same &= key[2][1:] == key[2][:-1]
        if same.any():
            run = np.concatenate([[0], np.cumsum(~same)])
            tied = np.flatnonzero(np.bincount(run)[run] > 1)
            sub_ids = act_id[order[tied]]
            rank = _factorize_sorted(sub_ids)[0]
            inner = np.lexsort((rank, run[tied]))
            order[tied] = order[tied][inner]
    return Acts(
        account=account[order],
        item=item[order],
        context=context[order],
        stratum=stratum[order],
        kind=kind[order],
        t=(ns.astype(np.float64) / 1e9)[order],
        lag=lag[order],
        act_id=np.asarray(act_id, dtype=object)[order],
        accounts=accounts,
        items=items,
        contexts=contexts,
        strata=strata,
    )
