"""Cut the real-data subset of ``tests/data/`` from the full shared data folder.

Usage (from the repository root; the source defaults to the folder the tests use,
``PILEON_DATA_DIR`` or ``../shared/data``)::

    .venv/bin/python tests/data/cut.py [--source DIR] [--dest tests/data]

The cut is deterministic (no randomness; ties broken by ID), so running it again on the
same source writes the same files.  What it keeps (see ``tests/data/README.md``):

* ``twitter16/``: for each of the four labels, the 8 cascades with the smallest tree
  files (ties by root ID): 32 tree files copied as they are, and their ``label.txt`` lines.
* ``ced-sample/``: the 16 cascades with the smallest files (original plus reposts, ties
  by file name), both JSON files of each copied as they are.
* ``ira-dev/``: 46 IRA accounts of three categories (``RightTroll``, ``LeftTroll``,
  ``HashtagGamer``): the members of each category's largest group in the naive
  co-retweet baseline of the dataset's README (pairs that retweeted the same source
  within 60 s of each other at least twice; connected components), plus the 4 most
  active other accounts of each category.  Their retweets of sources that at least two
  of them retweeted, those sources (IRA originals or synthetic external originals) and
  the sources' authors; the rows copied as they are from the tables.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
from collections import defaultdict
from datetime import UTC
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

T16_PER_LABEL = 8
CED_CASCADES = 16
IRA_CATEGORIES = ("RightTroll", "LeftTroll", "HashtagGamer")
IRA_OTHERS_PER_CATEGORY = 4
IRA_WINDOW_S = 60
IRA_MIN_TIMES = 2


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        return header, list(reader)


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")  # as the release's tables
        writer.writerow(header)
        writer.writerows(rows)


def cut_twitter16(src: Path, dest: Path) -> int:
    labels: dict[str, str] = {}
    lines: dict[str, str] = {}
    for line in (src / "label.txt").read_text(encoding="utf-8").splitlines():
        if ":" in line:
            label, root = (x.strip() for x in line.split(":", 1))
            labels[root], lines[root] = label, line
    trees = sorted((src / "tree").glob("*.txt"), key=lambda f: (f.stat().st_size, f.stem))
    kept: dict[str, list[Path]] = defaultdict(list)
    for f in trees:
        label = labels.get(f.stem)
        if label is not None and len(kept[label]) < T16_PER_LABEL:
            kept[label].append(f)
    chosen = sorted((f for fs in kept.values() for f in fs), key=lambda f: f.stem)
    (dest / "tree").mkdir(parents=True, exist_ok=True)
    for f in chosen:
        shutil.copyfile(f, dest / "tree" / f.name)
    (dest / "label.txt").write_text("".join(lines[f.stem] + "\n" for f in chosen), encoding="utf-8")
    return len(chosen)


def cut_ced(src: Path, dest: Path) -> int:
    originals = sorted((src / "original-microblog").glob("*.json"))
    reposts = src / "non-rumor-repost"

    def size(f: Path) -> int:
        other = reposts / f.name
        return f.stat().st_size + (other.stat().st_size if other.exists() else 0)

    chosen = sorted(originals, key=lambda f: (size(f), f.name))[:CED_CASCADES]
    for sub in ("original-microblog", "non-rumor-repost"):
        (dest / sub).mkdir(parents=True, exist_ok=True)
        for f in chosen:
            if (src / sub / f.name).exists():
                shutil.copyfile(src / sub / f.name, dest / sub / f.name)
    return len(chosen)


def _minute(text: str) -> int:
    """Seconds since the epoch of ``YYYY-MM-DDTHH:MM[:SS]`` (the release's times)."""
    from datetime import datetime

    t = datetime.fromisoformat(text.rstrip("Z")).replace(tzinfo=UTC)
    return int(t.timestamp())


def _baseline_groups(reposts: list[dict]) -> list[set[str]]:
    """Connected components (3 or more accounts) of the pairs that retweeted the same source
    within :data:`IRA_WINDOW_S` seconds of each other at least :data:`IRA_MIN_TIMES` times."""
    by_source: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for r in reposts:
        by_source[r["source_id"]].append((_minute(r["reposted_at"]), r["account_id"]))
    times: dict[tuple[str, str], int] = defaultdict(int)
    for events in by_source.values():
        events.sort()
        for i, (t, a) in enumerate(events):
            for u, b in events[i + 1 :]:
                if u - t > IRA_WINDOW_S:
                    break
                if a != b:
                    times[(min(a, b), max(a, b))] += 1
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for (a, b), n in times.items():
        if n >= IRA_MIN_TIMES:
            parent[find(a)] = find(b)
    groups: dict[str, set[str]] = defaultdict(set)
    for x in list(parent):
        groups[find(x)].add(x)
    return [g for g in groups.values() if len(g) >= 3]


def cut_ira(src: Path, dest: Path) -> tuple[int, int]:
    _, cat_rows = _rows(src / "categories.csv")
    category = dict((a, label) for a, label in cat_rows)
    r_header, r_rows = _rows(src / "tables" / "reposts.csv")
    reposts = [dict(zip(r_header, row)) for row in r_rows]
    groups = _baseline_groups(reposts)
    active: dict[str, int] = defaultdict(int)
    for r in reposts:
        active[r["account_id"]] += 1
    chosen: set[str] = set()
    for label in IRA_CATEGORIES:
        pure = [g for g in groups if all(category.get(a) == label for a in g)]
        largest = min(pure, key=lambda g: (-len(g), min(g)))
        grouped = set().union(*groups)
        others = sorted(
            (a for a, c in category.items() if c == label and a not in grouped),
            key=lambda a: (-active[a], a),
        )[:IRA_OTHERS_PER_CATEGORY]
        chosen |= largest | set(others)
    mine = [r for r in reposts if r["account_id"] in chosen]
    by_source: dict[str, set[str]] = defaultdict(set)
    for r in mine:
        by_source[r["source_id"]].add(r["account_id"])
    kept_rows = [
        row
        for row, r in zip(r_rows, reposts)
        if r["account_id"] in chosen and len(by_source[r["source_id"]]) >= 2
    ]
    sources = {row[r_header.index("source_id")] for row in kept_rows}
    c_header, c_rows = _rows(src / "tables" / "contents.csv")
    ci, ai = c_header.index("content_id"), c_header.index("account_id")
    kept_contents = [row for row in c_rows if row[ci] in sources]
    authors = {row[ai] for row in kept_contents}
    a_header, a_rows = _rows(src / "tables" / "accounts.csv")
    kept_accounts = [row for row in a_rows if row[0] in chosen | authors]
    _write(dest / "tables" / "reposts.csv", r_header, kept_rows)
    _write(dest / "tables" / "contents.csv", c_header, kept_contents)
    _write(dest / "tables" / "accounts.csv", a_header, kept_accounts)
    shutil.copyfile(src / "tables" / "events.csv", dest / "tables" / "events.csv")
    ira = sorted(a for a in chosen | authors if a in category)
    _write(dest / "categories.csv", ["account_id", "label"], [[a, category[a]] for a in ira])
    return len(ira), len(kept_rows)


def main(argv: list[str] | None = None) -> int:
    from tests.helpers import full_data_dir

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=None, help="the full data folder")
    ap.add_argument("--dest", type=Path, default=Path(__file__).resolve().parent)
    args = ap.parse_args(argv)
    src = args.source or full_data_dir()
    for name in ("twitter16", "ced-sample", "ira-dev"):
        if (args.dest / name).exists():
            shutil.rmtree(args.dest / name)
    n16 = cut_twitter16(src / "twitter16", args.dest / "twitter16")
    nced = cut_ced(src / "ced-sample", args.dest / "ced-sample")
    nira, nrep = cut_ira(src / "ira-dev", args.dest / "ira-dev")
    print(
        f"{args.dest}: twitter16 {n16} cascades, ced-sample {nced} cascades, "
        f"ira-dev {nira} IRA accounts and {nrep} retweets"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
