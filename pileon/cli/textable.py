"""Readable terminal tables (aligned even with Chinese text, which is two columns wide)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any


def width(text: str) -> int:
    """Display width of a text in a terminal (wide East Asian characters count twice)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def cell(value: Any, limit: int = 40) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        text = f"{value:.3f}"
    elif isinstance(value, (list, tuple)):
        text = ",".join(str(v) for v in value) or "-"
    else:
        text = str(value)
    if width(text) > limit:
        out, w = "", 0
        for ch in text:
            w += width(ch)
            if w > limit - 1:
                break
            out += ch
        text = out + "…"
    return text


def render(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], *, title: str = "", limit: int = 40
) -> str:
    """Render dict rows as an aligned text table with a header line.

    >>> print(render([{"a": "张三", "b": 1.0}], ["a", "b"]))
    a     b
    ----  -----
    张三  1.000
    """
    body = [[cell(r.get(c), limit) for c in columns] for r in rows]
    widths = [max([width(c)] + [width(b[i]) for b in body]) for i, c in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v + " " * (w - width(v)) for v, w in zip(values, widths)).rstrip()

    out = [title] if title else []
    out.append(line(list(columns)))
    out.append(line(["-" * w for w in widths]))
    out.extend(line(b) for b in body)
    return "\n".join(out)
