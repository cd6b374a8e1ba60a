"""The one-click evidence pack (pileon.detectors.evidence): hash rules, names, times, HTML, CLI, API."""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
import zipfile

import pandas as pd
import pytest
from click.testing import CliRunner

from pileon.cli import cli
from pileon.graph.errors import NotFound
from pileon.service.evidence import evidence_pack
from tests.helpers import ATTACK, KEYS, W, client_for, load_world

FIELDS = {
    "content_id",
    "account_id",
    "account_name",
    "platform",
    "kind",
    "posted_at",
    "text",
    "url",
    "media_hash",
    "event_id",
    "sha256",
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    info = load_world(tmp_path_factory.mktemp("evworld"))
    yield info
    info["store"].close()


def unpack(data: bytes) -> tuple[dict, str, zipfile.ZipFile]:
    zf = zipfile.ZipFile(io.BytesIO(data))
    return (
        json.loads(zf.read("manifest.json").decode("utf-8")),
        zf.read("evidence.html").decode("utf-8"),
        zf,
    )


def verify(manifest: dict) -> None:
    """Recompute every hash from the SPEC §6 rules, independently of the library."""
    for item in manifest["items"]:
        body = {k: v for k, v in item.items() if k != "sha256"}
        raw = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert hashlib.sha256(raw.encode("utf-8")).hexdigest() == item["sha256"]
    joined = "".join(i["sha256"] for i in manifest["items"])
    assert hashlib.sha256(joined.encode()).hexdigest() == manifest["sha256"]
    sealed = {k: manifest[k] for k in ("target_id", "generated_at", "sha256")}
    raw = json.dumps(sealed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(raw.encode("utf-8")).hexdigest() == manifest["seal"]


@pytest.fixture(scope="module")
def victim_pack(world):
    return evidence_pack(world["store"], W["victim"])


def test_manifest_shape_and_hashes(victim_pack):
    manifest, _, zf = unpack(victim_pack)
    assert sorted(zf.namelist()) == ["evidence.html", "manifest.json"]
    assert list(manifest) == ["target_id", "generated_at", "items", "sha256", "seal"]
    assert manifest["target_id"] == W["victim"]
    assert all(set(i) == FIELDS for i in manifest["items"])
    verify(manifest)


def test_a_changed_item_breaks_its_hash(victim_pack):
    manifest, _, _ = unpack(victim_pack)
    manifest["items"][0]["text"] += "!"
    with pytest.raises(AssertionError):
        verify(manifest)


@pytest.mark.parametrize("field", ["target_id", "generated_at"])
def test_the_seal_covers_the_target_and_the_time(victim_pack, field):
    manifest, _, _ = unpack(victim_pack)
    manifest[field] = "weibo:someone-else" if field == "target_id" else "2030-01-01T00:00:00Z"
    with pytest.raises(AssertionError):
        verify(manifest)


def test_pack_holds_every_harmful_content_aimed_at_the_target_and_nothing_else(world, victim_pack):
    manifest, _, _ = unpack(victim_pack)
    ids = [i["content_id"] for i in manifest["items"]]
    assert set(ids) == set(world["harmful"]["victim"])
    assert not set(ids) & set(world["benign"]["victim"])
    assert world["unknown"] not in ids  # unknown harm is not harmful
    # ordered by time, then content_id
    keys = [(i["posted_at"], i["content_id"]) for i in manifest["items"]]
    assert keys == sorted(keys)
    # generated_at: the latest item, not the wall clock
    assert manifest["generated_at"] == max(i["posted_at"] for i in manifest["items"])


def test_item_values(world, victim_pack):
    manifest, _, _ = unpack(victim_pack)
    first = manifest["items"][0]
    assert first["account_id"] == W["accuser"] and first["account_name"] == "爆料君"
    assert first["posted_at"] == ATTACK.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
    assert first["kind"] == "post" and first["platform"] == "weibo"
    assert first["event_id"] == W["event"]
    assert first["url"] == f"https://example.org/{first['content_id']}"
    assert "<script>" in first["text"]  # kept as is in the manifest
    dms = [i for i in manifest["items"] if i["kind"] == "dm"]
    assert dms and all(i["url"] is None for i in dms)


def test_names_at_the_time_of_posting(world, victim_pack):
    manifest, page, _ = unpack(victim_pack)
    by = {i["account_id"]: i["account_name"] for i in manifest["items"]}
    # renamed two days after the attack: the pack shows the name it posted under
    assert by[world["renamed_after"]] == "用户101"
    # renamed three hours before: the new name
    assert by[world["renamed_before"]] == "王小雨本人"
    assert "用户101" in page and "改名后的人" not in page


def test_html_is_readable_escaped_and_in_both_time_zones(victim_pack):
    manifest, page, _ = unpack(victim_pack)
    assert '<meta charset="utf-8">' in page
    assert "王老师滚出学校！" in page  # Chinese as is, not as entities
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    local = ATTACK.strftime("%Y-%m-%d %H:%M:%S") + " +08:00"
    utc = ATTACK.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
    assert local in page and utc in page
    assert manifest["sha256"] in page


def _page_of_urls(urls: list[str]) -> str:
    from pileon.detectors.evidence import build_manifest, item_hash, render_html

    items = []
    for n, url in enumerate(urls):
        item = dict.fromkeys(sorted(FIELDS - {"sha256"}))
        item.update(content_id=f"c{n}", posted_at="2026-03-01T00:00:00Z", text="t", url=url)
        item["sha256"] = item_hash(item)
        items.append(item)
    return render_html(build_manifest("weibo:1", items), target_name="x", offset=480)


def test_only_http_and_https_urls_are_links():
    """The page is opened locally by victims and lawyers: a javascript:, data: or
    file-relative URL is shown as text, never as a link."""
    import re

    hostile = [
        "javascript:alert(document.domain)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "\tjavascript:alert(1)",
        "java\nscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "file:///etc/passwd",
        "weibo.com/123",
        "http:/x",
    ]
    fine = ["https://weibo.com/1/AbC?x=1&y=2", "http://example.org/a", "HTTPS://Example.org/"]
    page = _page_of_urls(hostile + fine)
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert [h.replace("&amp;", "&") for h in hrefs] == fine
    for url in hostile:
        assert html.escape(url) in page  # still shown, as text
    assert "javascript:" not in " ".join(hrefs).lower()


def test_the_page_carries_a_restrictive_content_security_policy():
    import base64

    page = _page_of_urls(["https://weibo.com/1"])
    m = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page)
    assert m, "no CSP meta element"
    csp = m.group(1)
    assert csp.startswith("default-src 'none'") and "script-src" not in csp
    assert "base-uri 'none'" in csp and "form-action 'none'" in csp
    # the one inline style is allowed by its hash, nothing else is
    style = re.search(r"<style>(.*?)</style>", page, re.DOTALL).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in csp
    assert page.index("Content-Security-Policy") < page.index("<style>")
    assert '<meta name="referrer" content="no-referrer">' in page


def test_reproducible_bytes(world, victim_pack):
    assert evidence_pack(world["store"], W["victim"]) == victim_pack
    _, _, zf = unpack(victim_pack)
    assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    fixed = evidence_pack(world["store"], W["victim"], generated_at="2026-04-01T00:00:00Z")
    m, _, _ = unpack(fixed)
    assert m["generated_at"] == "2026-04-01T00:00:00Z"
    assert m["sha256"] == unpack(victim_pack)[0]["sha256"]  # items do not depend on it


def test_event_restriction(world):
    m, _, _ = unpack(evidence_pack(world["store"], W["victim"], event_id=W["event"]))
    ids = {i["content_id"] for i in m["items"]}
    assert ids and ids <= set(world["harmful"]["victim"])
    assert all(i["event_id"] == W["event"] for i in m["items"])
    verify(m)


def test_minor_pack(world):
    m, page, _ = unpack(evidence_pack(world["store"], W["minor"]))
    assert {i["content_id"] for i in m["items"]} == set(world["harmful"]["minor"])
    verify(m)


def test_empty_pack_and_unknown_account(world):
    m, page, _ = unpack(evidence_pack(world["store"], W["quiet"]))
    assert m == {
        "target_id": W["quiet"],
        "generated_at": "1970-01-01T00:00:00Z",
        "items": [],
        "sha256": hashlib.sha256(b"").hexdigest(),
        "seal": m["seal"],
    }
    verify(m)
    assert "No harmful content" in page
    with pytest.raises(NotFound):
        evidence_pack(world["store"], "weibo:nobody")
    with pytest.raises(NotFound):
        evidence_pack(world["store"], W["victim"], event_id="ev:nothing")


def test_time_zone_falls_back_to_the_platform(world):
    # the quiet account posted nothing: its platform's usual offset (+08:00 for weibo)
    from pileon.detectors.evidence import target_offset
    from pileon.service.alerts import alert_frames

    frames = alert_frames(world["store"])
    assert target_offset(W["quiet"], frames) == 480
    assert target_offset(W["victim"], frames) == 480
    frames.accounts.loc[frames.accounts["account_id"] == W["quiet"], "platform"] = "mastodon"
    assert target_offset(W["quiet"], frames) == 0


def test_cli_evidence(world, victim_pack, tmp_path):
    out = tmp_path / "pack.zip"
    runner = CliRunner()
    res = runner.invoke(
        cli, ["evidence", "--store", world["db"], "--target", W["victim"], "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert out.read_bytes() == victim_pack
    assert unpack(victim_pack)[0]["sha256"] in res.output
    res = runner.invoke(
        cli, ["evidence", "--store", world["db"], "--target", "weibo:nobody", "--out", str(out)]
    )
    assert res.exit_code == 2
    assert res.output.strip().splitlines()[-1] == "error: unknown account 'weibo:nobody'"


def test_api_evidence(world, victim_pack):
    with client_for(world["store"]) as c:
        enforcer = {"Authorization": f"Bearer {KEYS['enforcer']}"}
        viewer = {"Authorization": f"Bearer {KEYS['viewer']}"}
        r = c.get(f"/v1/targets/{W['victim']}/evidence", headers=enforcer)
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/zip"
        assert r.content == victim_pack
        assert c.get(f"/v1/targets/{W['victim']}/evidence", headers=viewer).status_code == 403
        assert c.get(f"/v1/targets/{W['victim']}/evidence").status_code == 401
        assert c.get("/v1/targets/weibo:nobody/evidence", headers=enforcer).status_code == 404
        r = c.get(f"/v1/targets/{W['quiet']}/evidence", headers=enforcer)
        assert r.status_code == 200 and unpack(r.content)[0]["items"] == []


# ---------------------------------------------------------------- sample incident
def test_sample_victim_pack(tmp_path):
    from tests.helpers import load_sample

    store, truth = load_sample(tmp_path, seed=5, scale=0.1)
    victim = truth["alerts"]["victim"]
    m, _, _ = unpack(evidence_pack(store, victim))
    verify(m)
    contents = pd.read_csv(tmp_path / "incident" / "contents.csv", dtype=str)
    contents["harm"] = pd.to_numeric(contents["harm"])
    aimed = contents["target_ids"].fillna("").str.split("|").map(lambda t: victim in t)
    ids = {i["content_id"] for i in m["items"]}
    # every harmful content aimed at the victim is in, none of the benign ones
    assert set(contents.loc[aimed & (contents["harm"] >= 0.5), "content_id"]) <= ids
    assert not ids & set(contents.loc[aimed & (contents["harm"] < 0.5), "content_id"])
    harm = dict(zip(contents["content_id"], contents["harm"]))
    reposts = pd.read_csv(tmp_path / "incident" / "reposts.csv", dtype=str)
    harm.update(zip(reposts["repost_id"], pd.to_numeric(reposts["harm"])))
    # items of known harm are harmful; items of unknown harm were estimated harmful
    assert all(harm[i] >= 0.5 for i in ids if not pd.isna(harm[i]))
    unknown = {i for i in ids if pd.isna(harm[i])}
    assert unknown == set(contents.loc[aimed & contents["harm"].isna(), "content_id"]) & ids
    assert unknown, "the sample leaves harm unknown on some attacks: they belong in the pack"
    store.close()


def _frames(texts: list[tuple[str, str, float | None]]):
    """Alert frames of comments ``(content_id, text, harm)`` aimed at account ``v``, one
    author each, a minute apart."""
    from pileon.detectors.alerts import AlertFrames
    from pileon.graph.frames import coerce
    from pileon.graph.model import stored_columns

    t0 = pd.Timestamp("2026-03-01T00:00:00Z")
    rows = [
        {
            "content_id": cid,
            "account_id": f"a{k}",
            "platform": "weibo",
            "posted_at": t0 + pd.Timedelta(minutes=k),
            "text": text,
            "kind": "comment",
            "harm": harm,
            "target_ids": ["v"],
        }
        for k, (cid, text, harm) in enumerate(texts)
    ]
    contents = coerce("contents", pd.DataFrame(rows))
    accounts = coerce(
        "accounts",
        pd.DataFrame({"account_id": ["v"] + [r["account_id"] for r in rows], "platform": "weibo"}),
    )
    empty = {
        t: coerce(t, pd.DataFrame({c: [] for c in stored_columns(t)}))
        for t in ("reposts", "reports", "renames", "events")
    }
    return AlertFrames(
        accounts=accounts,
        contents=contents,
        **empty,
        memberships=pd.DataFrame(columns=["content_id", "event_id", "via"]),
    )


def test_unknown_harm_is_estimated_not_taken_as_harmless():
    """SPEC §2: absent harm means unknown. An unscored copy of an abusive text, and an
    unscored text the event's scored texts mark abusive, go into the pack; an unscored
    benign text stays out."""
    from pileon.detectors.evidence import evidence_items

    abusive = [
        "垃圾老师滚出学校",
        "这种老师去死吧恶心",
        "人肉她让她社死滚",
        "恶心的垃圾滚出教师队伍",
    ]
    benign = ["老师辛苦了谢谢您", "今天的课很有意思", "祝老师节日快乐", "谢谢老师的耐心讲解"]
    scored = [
        (f"{text}{rep}", harm)
        for rep in range(12)
        for text, harm in [(t, 0.9) for t in abusive] + [(t, 0.1) for t in benign]
    ]
    rows = [(f"c{k}", text, harm) for k, (text, harm) in enumerate(scored, 1)]
    unscored = {"u1": "垃圾老师滚出学校3", "u2": "恶心的垃圾老师去死", "u3": "谢谢老师今天的课"}
    rows += [(cid, text, None) for cid, text in unscored.items()]
    ids = {i["content_id"] for i in evidence_items(_frames(rows), "v")}
    assert {"u1", "u2"} <= ids
    assert "u3" not in ids
    assert not ids & {cid for cid, _, harm in rows if harm == 0.1}


def test_unequal_classes_do_not_make_rare_words_abusive():
    """Regression (independent generator, medium seed 0): "支持你，我们都相信你" under the
    victim's posts, harm unknown, went into her pack.  Its only known n-grams were rare:
    two seen once in abusive texts, three once in benign ones.  With plain Laplace
    smoothing every n-gram leans toward the class with fewer n-grams (the abusive one),
    so five rare n-grams added up to an estimate over the bar; with balanced classes
    they cancel and the prior keeps the kind word out."""
    from pileon.detectors.evidence import evidence_items
    from pileon.detectors.harm import infer_unknown_harm, text_harm_model
    from pileon.graph.textsim import normalize

    abusive = [
        "垃圾老师赶紧滚出学校别再害人",
        "这种老师去死吧真恶心",
        "人肉她让她社死活该",
        "恶心的垃圾滚出教师队伍",
    ]
    benign = [
        "等官方通报再说吧别被带节奏",
        "希望早日查清真相理性吃瓜",
        "不信谣不传谣别急着下结论",
        "老师辛苦了谢谢您的付出",
        "今天的课很有意思学到很多",
        "孩子说老师讲题特别清楚",
        "网上的视频不一定是真的",
        "家长群里都说老师很负责",
    ]
    scored = (
        [(f"{t}{rep}", 0.9) for rep in range(6) for t in abusive]
        + [(f"{t}{rep}", 0.1) for rep in range(6) for t in benign]
        + [("我们骂她他们都对", 0.9), ("支持你的家长请转发", 0.1)]
    )
    rows = [(f"c{k}", text, harm) for k, (text, harm) in enumerate(scored, 1)]
    rows += [("kind", "支持你，我们都相信你", None), ("abuse", "恶心的垃圾老师去死", None)]
    frames = _frames(rows)

    plain = text_harm_model(
        pd.Series([normalize(t) for t, _ in scored]),
        pd.Series([h for _, h in scored]),
        orders=(2, 3),
    )
    assert plain(pd.Series([normalize("支持你，我们都相信你")]))[0] >= 0.6  # the bug
    est = infer_unknown_harm(frames.contents, frames.reposts, pd.Series(["kind", "abuse"]))
    assert est["kind"] < 0.5 and est["abuse"] > 0.99
    ids = {i["content_id"] for i in evidence_items(frames, "v")}
    assert "abuse" in ids and "kind" not in ids
    assert ids == {cid for cid, _, harm in rows if harm == 0.9} | {"abuse"}


# ------------------------------------------------------------ verifying a pack
def repack(data: bytes, *, manifest=None, page=None) -> bytes:
    """The pack with its manifest (a dict) or page (text) replaced."""
    m, p, _ = unpack(data)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        m = manifest if manifest is not None else m
        zf.writestr("manifest.json", json.dumps(m, ensure_ascii=False, indent=2) + "\n")
        zf.writestr("evidence.html", page if page is not None else p)
    return buf.getvalue()


def forged(data: bytes, text: str) -> bytes:
    """The pack with its first item's text changed and every hash, the seal and the page
    made again to match: what a forger with pileon's code can do."""
    from pileon.detectors.evidence import build_manifest, item_hash, render_html

    m, page, _ = unpack(data)
    m["items"][0]["text"] = text
    m["items"][0]["sha256"] = item_hash(m["items"][0])
    m = build_manifest(m["target_id"], m["items"], m["generated_at"])
    zone = re.search(r"\(UTC([+-])(\d\d):(\d\d)\)", page)
    offset = (1 if zone.group(1) == "+" else -1) * (int(zone.group(2)) * 60 + int(zone.group(3)))
    name = html.unescape(re.search(r"<title>证据包 Evidence pack — (.*)</title>", page).group(1))
    return repack(data, manifest=m, page=render_html(m, target_name=name, offset=offset))


def run_verify(path, *extra) -> tuple[int, list[str]]:
    res = CliRunner().invoke(cli, ["evidence", "verify", str(path), *extra])
    return res.exit_code, res.output.strip().splitlines()


def test_verify_a_pack_and_find_what_was_changed(world, victim_pack, tmp_path):
    good = tmp_path / "good.zip"
    good.write_bytes(victim_pack)
    code, lines = run_verify(good)
    assert code == 0, lines
    n = len(unpack(victim_pack)[0]["items"])
    assert lines[-1].startswith(f"ok {good}: {n} items") and "seal" in lines[-1]
    m, page, _ = unpack(victim_pack)
    first = m["items"][0]["content_id"]
    cases = {
        "text": {**m, "items": [{**m["items"][0], "text": "changed"}, *m["items"][1:]]},
        "target": {**m, "target_id": "weibo:someone-else"},
        "time": {**m, "generated_at": "2030-01-01T00:00:00Z"},
        "no seal": {k: v for k, v in m.items() if k != "seal"},
        "dropped": {**m, "items": m["items"][1:]},
    }
    expect = {
        "text": [f"FAIL item 1 ({first}): its sha256", "FAIL manifest sha256", "FAIL seal"],
        "target": ["FAIL seal", "FAIL evidence.html"],
        "time": ["FAIL seal", "FAIL evidence.html"],
        "no seal": ["FAIL seal: the manifest has none"],
        "dropped": ["FAIL manifest sha256", "FAIL seal", "FAIL evidence.html"],
    }
    for name, manifest in cases.items():
        bad = tmp_path / f"{name}.zip"
        bad.write_bytes(repack(victim_pack, manifest=manifest))
        code, lines = run_verify(bad)
        assert code == 1, (name, lines)
        for want in expect[name]:
            assert any(line.startswith(want) for line in lines), (name, want, lines)
        assert lines[-1].startswith(f"error: {bad}: ") and "checks failed" in lines[-1]
    # the page changed, the manifest not
    bad = tmp_path / "page.zip"
    bad.write_bytes(
        repack(victim_pack, page=page.replace("</tbody>", "<tr><td>x</td></tr></tbody>"))
    )
    code, lines = run_verify(bad)
    assert code == 1 and lines[0].startswith("FAIL evidence.html"), lines
    # not a pack: one line, exit 2
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    code, lines = run_verify(tmp_path / "junk.zip")
    assert code == 2 and lines == [f"error: {tmp_path / 'junk.zip'}: not a ZIP file"]


def test_a_forged_pack_is_told_apart_by_the_store_that_issued_the_real_one(world, tmp_path):
    out = tmp_path / "issued.zip"
    res = CliRunner().invoke(
        cli, ["evidence", "--store", world["db"], "--target", W["victim"], "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    real = out.read_bytes()
    fake = tmp_path / "forged.zip"
    fake.write_bytes(forged(real, "something else entirely"))
    assert run_verify(fake)[0] == 0  # consistent in itself: hashes alone cannot tell
    code, lines = run_verify(fake, "--issued", "--store", world["db"])
    assert code == 1 and any("FAIL issued: this store issued no pack with seal" in x for x in lines)
    code, lines = run_verify(out, "--issued", "--store", world["db"])
    assert code == 0, lines
    assert any(x.startswith("issued ") and " by cli" in x for x in lines), lines
    # the page of an issued pack is checked against the record too
    m, page, _ = unpack(real)
    swapped = tmp_path / "swapped.zip"
    swapped.write_bytes(repack(real, page=page + "<!-- -->"))
    code, lines = run_verify(swapped, "--issued", "--store", world["db"])
    assert code == 1 and any(x.startswith("FAIL issued: evidence.html") for x in lines), lines


def test_packs_downloaded_from_the_api_are_recorded_as_issued(world):
    before = len(world["store"].evidence_issues())
    with client_for(world["store"]) as c:
        r = c.get(
            f"/v1/targets/{W['victim']}/evidence",
            headers={"Authorization": f"Bearer {KEYS['enforcer']}"},
        )
    m, page, _ = unpack(r.content)
    issues = world["store"].evidence_issues()
    assert len(issues) == before + 1
    last = issues.iloc[-1]
    assert (last["seal"], last["sha256"], last["target_id"]) == (
        m["seal"],
        m["sha256"],
        m["target_id"],
    )
    assert last["html_sha256"] == hashlib.sha256(page.encode("utf-8")).hexdigest()
    assert last["issued_by"] == "key-" + hashlib.sha256(KEYS["enforcer"].encode()).hexdigest()[:8]
    assert last["items"] == len(m["items"]) and last["issued_at"]
