"""Who reads what: the disclosure policy of the API (the README's "Security" section).

Every route that answers with stored data passes it through here with the caller's role.

* ``viewer`` reads the findings (ranks, scores, tiers, roles, clusters, MCNs, measures,
  alerts), the graph's structure (which account posted, reposted, replied to or targeted
  what, and when), accounts' names, platforms and public figures, the minor flag that
  drives priority, and the contents' metadata (ID, author, platform, kind, time, harm
  score, event).  A viewer never reads what was written: no content's or repost's text,
  URL, media hash or extra columns (:data:`CONTENT_WITHHELD`: whoever wrote it, a minor
  included, and whoever it aims at), no account's ``identity_key`` or extra columns
  (:data:`ACCOUNT_WITHHELD`), no text quoted in a finding's evidence (a splice's
  fragments, an inciter's call to action), no narrative labelled by its text, and no
  decision's note (staff write notes about contents).
* ``enforcer`` and ``admin`` read everything, as the evidence pack (enforcer) holds it.

What is withheld is named in a ``withheld`` list beside it (graph nodes, account
profiles), so a client can say so instead of showing nothing.
"""

from __future__ import annotations

import re
from typing import Any

from pileon.settings import Role

#: fields of contents and reposts only enforcers and admins read
CONTENT_WITHHELD = ("text", "url", "media_hash", "extra")
#: fields of accounts only enforcers and admins read
ACCOUNT_WITHHELD = ("identity_key", "extra")
#: the role from which everything is read
READS_CONTENT = Role.enforcer

#: text quoted in evidence details: a splice's fragments (from the first 「 to the last 」)
_QUOTED = re.compile(r"「.*」", re.DOTALL)
#: an inciter's call to action, quoted from its text
_CALL = re.compile(r"call to action '.*'(?= aimed at a target| not aimed at a target)", re.DOTALL)
#: the text every match of :data:`_CALL` starts with
_CALL_START = "call to action '"
WITHHELD_TEXT = "[text withheld: enforcer role]"


def reads_content(role: Role) -> bool:
    """Whether ``role`` reads what contents say (text, URL) and identity keys."""
    return role.allows(READS_CONTENT)


def evidence_detail(detail: str, role: Role) -> str:
    """An evidence ``detail`` as ``role`` may read it (quoted text replaced).

    >>> evidence_detail("c4 splices 1 contents: 「滚」 from c3 by a", Role.viewer)
    'c4 splices 1 contents: 「[text withheld: enforcer role]」 from c3 by a'
    >>> evidence_detail("harm 0.9; call to action '大家一起冲' aimed at a target", Role.viewer)
    'harm 0.9; call to action [text withheld: enforcer role] aimed at a target'
    """
    if reads_content(role) or not isinstance(detail, str):
        return detail
    if "「" not in detail and _CALL_START not in detail:  # neither pattern can match
        return detail
    detail = _QUOTED.sub(f"「{WITHHELD_TEXT}」", detail)
    return _CALL.sub(f"call to action {WITHHELD_TEXT}", detail)


def finding(item: dict[str, Any], role: Role) -> dict[str, Any]:
    """A finding (account, MCN, cluster) with its evidence as ``role`` may read it."""
    if reads_content(role) or not item.get("evidence"):
        return item
    return {
        **item,
        "evidence": [
            {**ev, "detail": evidence_detail(ev.get("detail"), role)}
            if isinstance(ev, dict)
            else ev
            for ev in item["evidence"]
        ],
    }


def report(body: dict[str, Any], role: Role) -> dict[str, Any]:
    """A whole report (SPEC §4) as ``role`` may read it."""
    if reads_content(role):
        return body
    lists = ("accounts", "mcns", "clusters", "venues")
    return {
        **body,
        **{k: [finding(i, role) for i in body[k]] for k in lists if isinstance(body.get(k), list)},
    }


def _withhold(row: dict[str, Any], fields: tuple[str, ...]) -> tuple[dict[str, Any], list[str]]:
    """``row`` without ``fields`` that hold something, and which they were."""
    gone = [f for f in fields if row.get(f) not in (None, "", "{}", [], {})]
    return {k: v for k, v in row.items() if k not in fields}, gone


def profile(body: dict[str, Any], role: Role) -> dict[str, Any]:
    """An account's profile as ``role`` may read it (withheld fields null, and named)."""
    if reads_content(role):
        return {**body, "withheld": []}
    kept, gone = _withhold(body, ACCOUNT_WITHHELD)
    return {**kept, "identity_key": None, "extra": {}, "withheld": gone}


def decision(row: dict[str, Any], role: Role) -> dict[str, Any]:
    """A recorded decision as ``role`` may read it (viewers: no note)."""
    return row if reads_content(role) else {**row, "note": None}


def account_view(view: dict[str, Any], role: Role) -> dict[str, Any]:
    """``GET /v1/accounts/{id}`` as ``role`` may read it."""
    return {
        **view,
        "profile": profile(view["profile"], role),
        "findings": [finding(f, role) for f in view["findings"]],
        "decisions": [decision(d, role) for d in view["decisions"]],
    }


def graph_node(node: dict[str, Any], role: Role) -> dict[str, Any]:
    """A neighbourhood node as ``role`` may read it: contents labelled by their ID."""
    fields = {"content": CONTENT_WITHHELD, "repost": CONTENT_WITHHELD}.get(node["kind"])
    if node["kind"] == "account":
        fields = ACCOUNT_WITHHELD
    if reads_content(role) or fields is None:
        return {**node, "withheld": []}
    props, gone = _withhold(node.get("properties") or {}, fields)
    label = node["id"] if node["kind"] in ("content", "repost") else node["label"]
    return {**node, "label": label, "properties": props, "withheld": gone}


def neighborhood(body: dict[str, Any], role: Role) -> dict[str, Any]:
    """``GET /v1/graph/neighborhood`` as ``role`` may read it."""
    return {**body, "nodes": [graph_node(n, role) for n in body["nodes"]]}


def incident_graph(body: dict[str, Any], role: Role) -> dict[str, Any]:
    """``GET /v1/events/{id}/graph`` as ``role`` may read it: narratives labelled by ID."""
    if reads_content(role):
        return body
    nodes = []
    for n in body["nodes"]:
        n = finding(n, role)
        if n.get("kind") == "narrative":
            n = {**n, "label": f"narrative {n['ref']}", "withheld": ["text"]}
        nodes.append(n)
    return {**body, "nodes": nodes}
