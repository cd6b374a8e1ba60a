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
    for tg in p.contents["target_ids"]:
        if isinstance(tg, (list, tuple)):
            targets.update(str(x) for x in tg)
    if "role_hint" in p.accounts:
        targets |= set(p.accounts.loc[p.accounts["role_hint"] == "target", "account_id"])
    return targets


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
    ``O(n log n)`` for ``n`` contents and reposts (the repost forest, one sort).
    """
    from pileon.detectors.cascades import repost_forest

    c = p.contents
    real = ~c["placeholder"].astype(bool) & c["account_id"].notna()
    author = dict(zip(c.loc[real, "content_id"], c.loc[real, "account_id"]))
    platform = dict(zip(c["content_id"], c["platform"]))
    posted = pd.Series(_seconds(c["posted_at"]), index=c["content_id"].to_numpy())
    posted = posted[c["posted_at"].notna().to_numpy()]
    parts: list[dict[str, np.ndarray]] = []

    rp = p.reposts
    if len(rp):
        forest = repost_forest(p)
        ok = forest["account_id"].notna() & forest["reposted_at"].notna()
        forest = forest[ok.to_numpy()]
        root = forest["root_id"].astype(str)
        ctx = root.map(author)
        ctx = ctx.where(ctx.notna(), "?" + root)
        pf = root.map(platform)
        if "platform" in rp:
            own_pf = forest["repost_id"].map(dict(zip(rp["repost_id"], rp["platform"])))
            pf = pf.where(pf.notna(), own_pf)
        parts.append(
            {
                "account": forest["account_id"].astype(str).to_numpy(),
                "item": ("r:" + root).to_numpy(),
                "context": ("a:" + ctx.astype(str)).to_numpy(),
                "stratum": pf.fillna("").astype(str).to_numpy(),
                "kind": np.zeros(len(forest), np.int64),
                "t": _seconds(forest["reposted_at"]),
                "since": _since(root, posted),
                "act_id": forest["repost_id"].astype(str).to_numpy(),
            }
        )
    c = c[real & c["posted_at"].notna()]
    if len(c):
        of = _of_content(p, narratives)
        nid = c["content_id"].map(lambda x: of.get(x))
        posts = c[nid.notna().to_numpy()]
        nid = nid[nid.notna()].astype(str)
        # a narrative is an item only when at least two accounts carry it
        multi = posts.groupby(nid.to_numpy())["account_id"].transform("nunique").to_numpy() >= 2
        posts, nid = posts[multi], nid[multi]
        if len(posts):
            parts.append(
                {
                    "account": posts["account_id"].astype(str).to_numpy(),
                    "item": ("n:" + nid).to_numpy(),
                    "context": ("n:" + nid).to_numpy(),
                    "stratum": posts["platform"].fillna("").astype(str).to_numpy(),
                    "kind": np.ones(len(posts), np.int64),
                    "t": _seconds(posts["posted_at"]),
                    "since": np.full(len(posts), _NONE, dtype=np.int64),  # set below
                    "act_id": posts["content_id"].astype(str).to_numpy(),
                }
            )
        com = c[c["reply_to"].notna()]
        if len(com):
            parent = com["reply_to"].astype(str)
            rp_author = dict(zip(rp["repost_id"], rp["account_id"])) if len(rp) else {}
            ctx = parent.map(lambda x: author.get(x) or rp_author.get(x))
            ctx = ctx.where(ctx.notna(), "?" + parent)
            parts.append(
                {
                    "account": com["account_id"].astype(str).to_numpy(),
                    "item": ("p:" + parent).to_numpy(),
                    "context": ("a:" + ctx.astype(str)).to_numpy(),
                    "stratum": parent.map(platform)
                    .where(parent.map(platform).notna(), com["platform"])
                    .fillna("")
                    .astype(str)
                    .to_numpy(),
                    "kind": np.full(len(com), 2, np.int64),
                    "t": _seconds(com["posted_at"]),
                    "since": _since(
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
                    "act_id": com["content_id"].astype(str).to_numpy(),
                }
            )
    cols = ("account", "item", "context", "stratum", "kind", "t", "since", "act_id")
    if parts:
        raw = {k: np.concatenate([x[k] for x in parts]) for k in cols}
    else:
        raw = {
            k: np.empty(0, dtype=np.int64 if k in ("kind", "t", "since") else object) for k in cols
        }
    targets = _targets(p)
    if targets and len(raw["t"]):
        keep = ~pd.Index(raw["account"]).isin(list(targets))
        raw = {k: v[keep] for k, v in raw.items()}
    account, accounts = pd.factorize(raw["account"], sort=True)
    item, items = pd.factorize(raw["item"], sort=True)
    context, contexts = pd.factorize(raw["context"], sort=True)
    stratum, strata = pd.factorize(raw["stratum"], sort=True)
    ns = np.asarray(raw["t"], dtype=np.int64)
    since = np.asarray(raw["since"], dtype=np.int64)
    # a narrative was "posted" when its first copy was
    first = pd.Series(ns).groupby(item).transform("min").to_numpy() if len(ns) else ns
    is_n = np.asarray(raw["kind"], dtype=np.int64) == 1
    since = np.where(is_n, first, since)
    known = since != _NONE
    lag = np.where(known, (ns - np.where(known, since, 0)) / 1e9, np.nan)
    if len(ns):
        ns = ns - ns.min()
    # sort by item, time, account, then act ID (a unique, stable order)
    act_code = pd.factorize(raw["act_id"], sort=True)[0]
    order = np.lexsort((act_code, account, ns, item))
    return Acts(
        account=account.astype(np.int64)[order],
        item=item.astype(np.int64)[order],
        context=context.astype(np.int64)[order],
        stratum=stratum.astype(np.int64)[order],
        kind=np.asarray(raw["kind"], dtype=np.int64)[order],
        t=(ns.astype(np.float64) / 1e9)[order],
        lag=lag[order],
        act_id=np.asarray(raw["act_id"], dtype=object)[order],
        accounts=np.asarray(accounts, dtype=object),
        items=np.asarray(items, dtype=object),
        contexts=np.asarray(contexts, dtype=object),
        strata=np.asarray(strata, dtype=object),
    )
