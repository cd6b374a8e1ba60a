"""What the served API does to defend itself and its data (the README's "Security" section).

* :func:`attachment`: a ``Content-Disposition`` that any ID survives (ASCII ``filename=``
  plus RFC 5987 ``filename*=UTF-8''...``).
"""

from __future__ import annotations

from urllib.parse import quote


def attachment(filename: str) -> str:
    """``Content-Disposition: attachment`` for ``filename``, whatever its characters.

    Headers travel as Latin-1, so the plain ``filename=`` keeps ASCII letters, digits and
    ``-_.`` (anything else becomes ``_``); ``filename*=`` carries the exact name in UTF-8
    (RFC 6266, RFC 5987), which browsers prefer.

    >>> attachment("evidence-weibo:张三.zip")
    'attachment; filename="evidence-weibo___.zip"; filename*=UTF-8\\'\\'evidence-weibo%3A%E5%BC%A0%E4%B8%89.zip'
    """
    plain = "".join(
        ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in filename
    )
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"
