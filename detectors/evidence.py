"""The one-click evidence pack for the person under attack (SPEC §6).

:func:`pack_from_frames` builds a ZIP holding (:func:`pileon.service.evidence.evidence_pack`
reads the frames from a store)

* ``manifest.json``: ``{"target_id", "generated_at", "items": [...], "sha256", "seal"}``.  Each
  item is one harmful content aimed at the target (``harm >= harm_threshold``, or, where
  ``harm`` is unknown, an estimate at least that high:
  :func:`pileon.detectors.harm.infer_unknown_harm`; aimed
  as in :func:`pileon.detectors.alerts.aimed_items`: named in ``target_ids``, a reply to the
  target's contents, or an ``@``-mention), with ``content_id, account_id,
  account_name, platform, kind, posted_at, text, url, media_hash, event_id`` and
  ``sha256``: the hex SHA-256 of the item's JSON without that field
  (``json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
  encoded as UTF-8).  The manifest's ``sha256`` is the hex SHA-256 of the items' hex
  hashes concatenated in order; its ``seal`` the hex SHA-256 of the same canonical JSON of
  ``{"target_id", "generated_at", "sha256"}`` (:func:`seal`), so that neither the target
  nor the time can be changed unseen.  Items are ordered by time, then content_id.
* ``evidence.html``: the same items, readable (UTF-8, escaped), with the author's
  name at the time of each post and each time in the target's time zone and in UTC.
  Victims and lawyers open it from their disks, so it runs nothing: only ``http(s)`` URLs
  become links (:func:`web_url`; a ``javascript:`` URL is shown as text), and a
  Content-Security-Policy ``<meta>`` (:data:`PAGE_CSP`) allows its own style sheet and
  nothing else (no script, image, form or frame).

``account_name`` is the name the author carried when posting: the latest rename at
or before ``posted_at``; before any rename, the ``old_name`` of the first rename
after it, else the account's name.  ``posted_at`` is UTC (``...Z``).

:func:`verify_pack` recomputes every hash of a pack and renders its page again from its
manifest: a pack changed by hand fails.  Hashes are no signature: someone who changes an
item and computes every hash and the page again makes a pack that verifies; what tells
them apart is the record of issued packs (``Store.evidence_issues``, see
:func:`pileon.service.evidence.verify_evidence`).

Reproducible: the same store gives the same bytes.  ``generated_at`` defaults to
the time of the latest item (``1970-01-01T00:00:00Z`` for an empty pack), never the
wall clock, and every ZIP entry carries the fixed date 1980-01-01 00:00.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from pileon.detectors.alerts import AlertFrames, aimed_items, iso
from pileon.detectors.harm import HARM_THRESHOLD, infer_unknown_harm

EMPTY_GENERATED_AT = "1970-01-01T00:00:00Z"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
#: usual UTC offset (minutes) of platforms, when the target's own contents tell nothing
PLATFORM_OFFSET = {
    "weibo": 480,
    "douyin": 480,
    "kuaishou": 480,
    "bilibili": 480,
    "xiaohongshu": 480,
    "wechat": 480,
    "zhihu": 480,
    "toutiao": 480,
    "tieba": 480,
    "qq": 480,
}


def canonical_hash(obj: dict[str, Any]) -> str:
    """Hex SHA-256 of an object's canonical JSON (keys sorted, separators ``,`` and ``:``,
    non-ASCII kept, UTF-8)."""
    raw = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def item_hash(item: dict[str, Any]) -> str:
    """Hex SHA-256 of an item's canonical JSON, without its own ``sha256`` field."""
    return canonical_hash({k: v for k, v in item.items() if k != "sha256"})


def seal(target_id: Any, generated_at: Any, sha256: Any) -> str:
    """The manifest's ``seal``: hex SHA-256 of the canonical JSON of the three fields.

    >>> seal("weibo:1", "2026-03-01T00:00:00Z", hashlib.sha256(b"").hexdigest())[:12]
    'fde701cfbc9f'
    """
    return canonical_hash({"target_id": target_id, "generated_at": generated_at, "sha256": sha256})


def manifest_hash(items: list[dict[str, Any]]) -> str:
    """Hex SHA-256 of the items' hex hashes concatenated in order."""
    return hashlib.sha256("".join(i["sha256"] for i in items).encode("ascii")).hexdigest()


def name_at(
    account_id: str, when: pd.Timestamp, renames: pd.DataFrame, current: str | None
) -> str | None:
    """The name ``account_id`` carried at ``when`` (see the module docstring)."""
    r = renames[renames["account_id"] == account_id].sort_values(
        ["renamed_at", "new_name"], kind="mergesort"
    )
    if r.empty or when is None or pd.isna(when):
        return current
    done = r[r["renamed_at"] <= when]
    if len(done):
        return done.iloc[-1]["new_name"]
    first = r.iloc[0]
    return first["old_name"] if first["old_name"] else current


def target_offset(target_id: str, frames: AlertFrames) -> int:
    """The target's UTC offset in minutes: the most common ``tz`` of its own contents, else
    its platform's usual offset, else 0 (UTC)."""
    own = frames.contents[frames.contents["account_id"] == target_id]
    tz = own["tz"].dropna() if "tz" in own.columns else pd.Series([], dtype="Int64")
    if len(tz):
        counts = tz.astype(int).value_counts()
        return int(sorted(counts[counts == counts.max()].index)[0])
    acc = frames.accounts[frames.accounts["account_id"] == target_id]
    platform = acc["platform"].iloc[0] if len(acc) else None
    return PLATFORM_OFFSET.get(str(platform).lower(), 0) if platform else 0


def evidence_items(
    frames: AlertFrames,
    target_id: str,
    *,
    event_id: str | None = None,
    harm_threshold: float = HARM_THRESHOLD,
    estimate_threshold: float = 0.6,
) -> list[dict[str, Any]]:
    """The manifest items of ``target_id`` (hashed), ordered by time then content_id.

    A content of unknown harm goes in when its estimate
    (:func:`pileon.detectors.harm.infer_unknown_harm`)
    reaches ``estimate_threshold`` (and ``harm_threshold``): an estimate needs a
    clearer margin than a score.

    Notes
    -----
    O(n) over contents and reposts (see :func:`pileon.detectors.alerts.aimed_items`).
    """
    items = aimed_items(frames, harm_threshold=harm_threshold)
    items = items[items["target_id"] == target_id]
    unknown = items["harm"].isna()
    if unknown.any():
        inferred = infer_unknown_harm(
            frames.contents, frames.reposts, items.loc[unknown, "content_id"]
        )
        items = items.assign(
            harmful=items["harmful"]
            | (
                unknown
                & (
                    items["content_id"].map(inferred).fillna(0.0)
                    >= max(harm_threshold, estimate_threshold)
                )
            )
        )
    items = items[items["harmful"]]
    mem = frames.memberships
    if event_id is not None:
        items = items[
            items["content_id"].isin(set(mem.loc[mem["event_id"] == event_id, "content_id"]))
        ]
    items = items.sort_values(["at", "content_id"], kind="mergesort")
    cols = ["text", "url", "media_hash", "event_id"]
    own = pd.concat(
        [
            frames.contents.set_index("content_id")[cols],
            frames.reposts.set_index("repost_id")[["text"]].assign(
                url=None, media_hash=None, event_id=None
            ),
        ]
    )
    own = own[~own.index.duplicated()].reindex(items["content_id"])
    names = dict(zip(frames.accounts["account_id"], frames.accounts["name"]))
    first_event = (
        mem.sort_values(["content_id", "event_id"])
        .drop_duplicates("content_id")
        .set_index("content_id")["event_id"]
    )
    ren = frames.renames[frames.renames["account_id"].isin(set(items["sender_id"]))]
    by_account = {a: g for a, g in ren.groupby("account_id", sort=False)}
    out = []
    for row, text, url, media, own_event in zip(
        items.itertuples(index=False), own["text"], own["url"], own["media_hash"], own["event_id"]
    ):
        cid = row.content_id
        ev = own_event or (event_id if event_id is not None else first_event.get(cid))
        g = by_account.get(row.sender_id)
        name = (
            names.get(row.sender_id)
            if g is None
            else name_at(row.sender_id, row.at, g, names.get(row.sender_id))
        )
        item = {
            "content_id": cid,
            "account_id": row.sender_id,
            "account_name": name,
            "platform": row.platform,
            "kind": row.kind,
            "posted_at": iso(row.at),
            "text": text,
            "url": url,
            "media_hash": media,
            "event_id": ev,
        }
        item = {
            k: (None if v is None or (isinstance(v, float) and pd.isna(v)) else v)
            for k, v in item.items()
        }
        item["sha256"] = item_hash(item)
        out.append(item)
    return out


def build_manifest(
    target_id: str, items: list[dict[str, Any]], generated_at: str | None = None
) -> dict[str, Any]:
    """The manifest of SPEC §6 over already hashed items."""
    if generated_at is None:
        generated_at = max(
            (i["posted_at"] for i in items if i["posted_at"]), default=EMPTY_GENERATED_AT
        )
    sha256 = manifest_hash(items)
    return {
        "target_id": target_id,
        "generated_at": generated_at,
        "items": items,
        "sha256": sha256,
        "seal": seal(target_id, generated_at, sha256),
    }


def web_url(url: Any) -> bool:
    """Whether ``url`` may be a link of the page: an absolute ``http``/``https`` URL with a
    host, and no whitespace or control character anywhere (browsers drop those, which
    turns `` java\tscript:`` into ``javascript:``).

    >>> [web_url(u) for u in ("https://weibo.com/1", "javascript:alert(1)", "//x.org/", " http://a")]
    [True, False, False, False]
    """
    if not isinstance(url, str) or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return False
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return (
        scheme in ("http", "https")
        and bool(parts.netloc)
        and url[: len(scheme) + 3].lower() == f"{scheme}://"
    )


#: the page's one style sheet (inline, allowed by its hash in :data:`PAGE_CSP`)
PAGE_STYLE = """
body { font-family: system-ui, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif;
       margin: 1.5em; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #bbb; padding: .35em .5em; vertical-align: top; font-size: .9em; }
th { background: #f0f0f0; }
td.text { max-width: 32em; white-space: pre-wrap; }
code.hash { font-size: .75em; word-break: break-all; }
"""
#: the page's Content-Security-Policy: its own style sheet, nothing else
PAGE_CSP = (
    "default-src 'none'; style-src 'sha256-"
    + base64.b64encode(hashlib.sha256(PAGE_STYLE.encode("utf-8")).digest()).decode("ascii")
    + "'; base-uri 'none'; form-action 'none'"
)


def _local(ts: str | None, offset: int) -> str:
    if not ts:
        return ""
    t = pd.Timestamp(ts) + pd.Timedelta(minutes=offset)
    sign = "+" if offset >= 0 else "-"
    return (
        t.strftime("%Y-%m-%d %H:%M:%S") + f" {sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
    )


def render_html(manifest: dict[str, Any], *, target_name: str | None, offset: int) -> str:
    """A readable page of the pack (UTF-8, every value escaped)."""
    e = html.escape
    sign = "+" if offset >= 0 else "-"
    zone = f"UTC{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
    rows = []
    for n, i in enumerate(manifest["items"], 1):
        url = i.get("url")
        if url and web_url(url):
            link = f'<a href="{e(url)}" rel="noreferrer noopener">{e(url)}</a>'
        else:
            link = f"<code>{e(url)}</code>" if url else ""
        rows.append(
            "<tr>"
            f"<td>{n}</td><td>{e(_local(i['posted_at'], offset))}</td>"
            f"<td>{e(i['posted_at'] or '')}</td>"
            f"<td>{e(i['account_name'] or '')}<br><code>{e(i['account_id'] or '')}</code></td>"
            f"<td>{e(i['platform'] or '')} / {e(i['kind'] or '')}</td>"
            f'<td class="text">{e(i["text"] or "")}</td>'
            "<td>"
            + "<br>".join(
                x
                for x in (
                    link,
                    f"<code>{e(i['content_id'])}</code>",
                    f"media {e(i['media_hash'])}" if i.get("media_hash") else "",
                    f"event {e(i['event_id'])}" if i.get("event_id") else "",
                )
                if x
            )
            + f'</td><td><code class="hash">{e(i["sha256"])}</code></td></tr>'
        )
    who = e(target_name or manifest["target_id"])
    body = (
        "\n".join(rows)
        if rows
        else '<tr><td colspan="8">No harmful content aimed at this account was found.</td></tr>'
    )
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{PAGE_CSP}">
<meta name="referrer" content="no-referrer">
<title>证据包 Evidence pack — {who}</title>
<style>{PAGE_STYLE}</style>
</head>
<body>
<h1>证据包 Evidence pack</h1>
<p>对象 Target: <strong>{who}</strong> (<code>{e(manifest["target_id"])}</code>)<br>
生成时间 Generated at: {e(manifest["generated_at"])}<br>
条目 Items: {len(manifest["items"])}<br>
清单哈希 Manifest SHA-256: <code>{e(manifest["sha256"])}</code><br>
封印 Seal: <code>{e(manifest.get("seal") or "")}</code></p>
<p>Times are shown in the target's time zone ({zone}) and in UTC. Each item's SHA-256 is
computed over its JSON in <code>manifest.json</code> without the <code>sha256</code> field
(keys sorted, separators "," and ":", UTF-8); the manifest's SHA-256 over the items' hashes
concatenated in order; the seal over the JSON of the target, the time and the manifest's
SHA-256. <code>pileon evidence verify</code> checks them all.</p>
<table>
<thead><tr><th>#</th><th>时间 Time ({zone})</th><th>UTC</th><th>发布者（当时名称）Author (name then)</th>
<th>平台 Platform / kind</th><th>内容 Text</th><th>链接 Link / ID</th><th>SHA-256</th></tr></thead>
<tbody>
{body}
</tbody>
</table>
</body>
</html>
"""


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            zf.writestr(info, files[name])
    return buf.getvalue()


def pack_from_frames(
    frames: AlertFrames,
    target_id: str,
    *,
    event_id: str | None = None,
    generated_at: str | None = None,
    harm_threshold: float = HARM_THRESHOLD,
) -> bytes:
    """The evidence pack (ZIP bytes) of ``target_id`` from already read frames."""
    items = evidence_items(frames, target_id, event_id=event_id, harm_threshold=harm_threshold)
    manifest = build_manifest(target_id, items, generated_at)
    acc = frames.accounts[frames.accounts["account_id"] == target_id]
    name = acc["name"].iloc[0] if len(acc) else None
    page = render_html(manifest, target_name=name, offset=target_offset(target_id, frames))
    return _zip(
        {
            "manifest.json": (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode(
                "utf-8"
            ),
            "evidence.html": page.encode("utf-8"),
        }
    )


# ------------------------------------------------------------------ verification
@dataclass
class PackCheck:
    """What :func:`verify_pack` found: the manifest's fields and every failed check."""

    target_id: Any = None
    generated_at: Any = None
    items: int = 0
    sha256: Any = None
    seal: Any = None
    #: SHA-256 of ``evidence.html`` as found (to compare with the record of issued packs)
    html_sha256: str | None = None
    checks: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def check(self, passed: bool, failure: str) -> None:
        """Count a check; keep ``failure`` (one line) when it did not pass."""
        self.checks += 1
        if not passed:
            self.failures.append(failure)


def _short(h: Any) -> str:
    return f"{h[:12]}…" if isinstance(h, str) and len(h) > 12 else repr(h)


def _page_inputs(page: str) -> tuple[str | None, int] | None:
    """The target's name and UTC offset a page was rendered with (None: not a pack page)."""
    who = re.search(r"<title>证据包 Evidence pack — (.*?)</title>", page)
    zone = re.search(r"\(UTC([+-])(\d\d):(\d\d)\)", page)
    if who is None or zone is None:
        return None
    sign = 1 if zone.group(1) == "+" else -1
    return html.unescape(who.group(1)), sign * (int(zone.group(2)) * 60 + int(zone.group(3)))


def verify_pack(data: bytes) -> PackCheck:
    """Check an evidence pack (ZIP bytes) against itself.

    Recomputes each item's hash, the manifest's ``sha256`` (from the recomputed item
    hashes) and its ``seal`` (from the target, the time and the recomputed ``sha256``),
    and renders ``evidence.html`` again from the manifest (with the name and time zone
    the page shows): any difference is a failure, one line each in
    :attr:`PackCheck.failures`.

    Raises
    ------
    pileon.graph.errors.InputError
        When ``data`` is not a ZIP holding a ``manifest.json`` JSON object with ``items``.

    Notes
    -----
    O(size of the pack).
    """
    from pileon.graph.errors import InputError

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        names = set(zf.namelist())
    except zipfile.BadZipFile:
        raise InputError("not a ZIP file") from None
    if "manifest.json" not in names:
        raise InputError("not an evidence pack: no manifest.json")
    try:
        manifest = json.loads(zf.read("manifest.json").decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"manifest.json is not JSON ({exc.__class__.__name__})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("items"), list):
        raise InputError("manifest.json is not an evidence manifest (no items list)")
    items = manifest["items"]
    out = PackCheck(
        target_id=manifest.get("target_id"),
        generated_at=manifest.get("generated_at"),
        items=len(items),
        sha256=manifest.get("sha256"),
        seal=manifest.get("seal"),
    )
    hashes = []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            out.check(False, f"item {n}: not a JSON object")
            hashes.append("")
            continue
        got = item_hash(item)
        hashes.append(got)
        out.check(
            got == item.get("sha256"),
            f"item {n} ({item.get('content_id')}): its sha256 is {_short(item.get('sha256'))}, "
            f"its content hashes to {_short(got)}",
        )
    whole = hashlib.sha256("".join(hashes).encode("ascii")).hexdigest()
    out.check(
        whole == manifest.get("sha256"),
        f"manifest sha256 is {_short(manifest.get('sha256'))}, the items hash to {_short(whole)}",
    )
    if "seal" not in manifest:
        out.check(False, "seal: the manifest has none (target and time are not covered)")
    else:
        want = seal(manifest.get("target_id"), manifest.get("generated_at"), whole)
        out.check(
            want == manifest["seal"],
            f"seal is {_short(manifest['seal'])}, the target, time and items seal to "
            f"{_short(want)}",
        )
    if "evidence.html" not in names:
        out.check(False, "evidence.html: missing")
        return out
    raw = zf.read("evidence.html")
    out.html_sha256 = hashlib.sha256(raw).hexdigest()
    page = raw.decode("utf-8", errors="replace")
    inputs = _page_inputs(page)
    same = False
    if inputs is not None:
        try:
            same = render_html(manifest, target_name=inputs[0], offset=inputs[1]) == page
        except (KeyError, TypeError, ValueError):
            same = False
    out.check(same, "evidence.html: not the page of this manifest (changed, or from another pack)")
    return out
