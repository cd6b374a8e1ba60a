"""API keys for the tests: every test that starts the API takes its keys from here.

The API refuses keys under 128 bits, so test keys are strong but still readable and
repeatable: ``api_key("viewer")`` is ``viewer-`` and 32 hex digits derived from the label.
"""

from __future__ import annotations

import hashlib


def api_key(label: str) -> str:
    """A strong, repeatable key for ``label`` (160 bits by the API's estimate)."""
    return f"{label}-{hashlib.sha256(label.encode('utf-8')).hexdigest()[:40]}"


#: one key per role
KEYS = {role: api_key(role) for role in ("viewer", "enforcer", "admin")}


def keys_setting(keys: dict[str, str] | None = None) -> str:
    """``PILEON_API_KEYS`` for ``{role: key}`` (default :data:`KEYS`): ``KEY:ROLE,...``."""
    return ",".join(f"{key}:{role}" for role, key in (keys or KEYS).items())


def bearer(key: str) -> dict[str, str]:
    """The ``Authorization`` header of ``key``."""
    return {"Authorization": f"Bearer {key}"}
