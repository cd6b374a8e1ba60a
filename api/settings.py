"""The API's settings: one typed object read from ``PILEON_*`` environment variables.

* ``PILEON_STORE``: the store URI (see :func:`pileon.graph.store.open_store`);
* ``PILEON_API_KEYS``: ``KEY:ROLE,KEY:ROLE`` or the path of a file holding such
  entries (one or more a line, ``#`` starts a comment); roles are ``viewer``,
  ``enforcer`` and ``admin``;
* ``PILEON_HOST``, ``PILEON_PORT``: where ``pileon serve`` listens;
* ``PILEON_MAX_UPLOAD_MB``: the largest upload ``POST /v1/ingest`` accepts.

:func:`load_settings` refuses a configuration that cannot work (no keys, a bad
role, a missing key file) with a :class:`SettingsError` whose one-line message
never contains a key.  Keys are kept only as SHA-256 digests once parsed.
"""

from __future__ import annotations

import hashlib
import os
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import Field, PrivateAttr, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pileon.graph.errors import PileonError
from pileon.graph.store import DEFAULT_STORE


class SettingsError(PileonError):
    """The API is misconfigured and refuses to start."""


class Role(str, Enum):
    """What an API key may do; each role includes the ones before it."""

    viewer = "viewer"
    enforcer = "enforcer"
    admin = "admin"

    @property
    def level(self) -> int:
        return _LEVELS[self]

    def allows(self, needed: Role) -> bool:
        """Whether a caller holding this role may do what ``needed`` may."""
        return self.level >= needed.level


_LEVELS = {Role.viewer: 0, Role.enforcer: 1, Role.admin: 2}


def key_digest(key: str) -> bytes:
    """The SHA-256 digest a key is kept and compared as (equal lengths for every key)."""
    return hashlib.sha256(key.encode("utf-8")).digest()


def parse_api_keys(value: str) -> list[tuple[bytes, Role]]:
    """Parse ``PILEON_API_KEYS`` (entries or a file of entries) into (digest, role) pairs.

    Raises ``ValueError`` with a message that never repeats a key.
    """
    text = value.strip()
    if not text:
        raise ValueError("PILEON_API_KEYS is empty: give KEY:ROLE,KEY:ROLE or a file of such lines")
    source = "PILEON_API_KEYS"
    if os.path.isfile(text) or ":" not in text:
        path = Path(text)
        if not path.is_file():
            raise ValueError(f"PILEON_API_KEYS names a file that does not exist: {path}")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(
                f"cannot read the API key file {path}: {exc.__class__.__name__}"
            ) from None
        source = str(path)
    entries: list[tuple[int, str]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        entries.extend((lineno, e.strip()) for e in line.split(",") if e.strip())
    if not entries:
        raise ValueError(f"{source} holds no API keys: give KEY:ROLE entries")
    out: list[tuple[bytes, Role]] = []
    seen: set[bytes] = set()
    for n, (lineno, entry) in enumerate(entries, start=1):
        where = f"{source} line {lineno}" if source != "PILEON_API_KEYS" else f"{source} entry {n}"
        key, sep, role = entry.rpartition(":")
        key, role = key.strip(), role.strip()
        if not sep or not key:
            raise ValueError(f"{where} is not KEY:ROLE")
        if any(c.isspace() for c in key):
            raise ValueError(f"{where}: a key may not contain spaces")
        try:
            r = Role(role)
        except ValueError:
            raise ValueError(
                f"{where}: unknown role {role!r} (viewer, enforcer or admin)"
            ) from None
        d = key_digest(key)
        if d in seen:
            raise ValueError(f"{where}: the same key is given twice")
        seen.add(d)
        out.append((d, r))
    return out


class Settings(BaseSettings):
    """Everything the API needs to start; see the module docstring."""

    model_config = SettingsConfigDict(env_prefix="PILEON_", extra="ignore")

    store: str = Field(default=DEFAULT_STORE, min_length=1, description="store URI")
    api_keys: SecretStr = Field(default=SecretStr(""), description="KEY:ROLE,... or a key file")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_upload_mb: int = Field(default=1024, ge=1)

    _keys: list[tuple[bytes, Role]] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _parse_keys(self) -> Settings:
        self._keys = parse_api_keys(self.api_keys.get_secret_value())
        return self

    @property
    def keys(self) -> list[tuple[bytes, Role]]:
        """The configured keys as (SHA-256 digest, role) pairs, in the order given."""
        return list(self._keys)


def load_settings(**overrides: Any) -> Settings:
    """Read the settings from the environment (``overrides`` win when not None).

    Raises :class:`SettingsError` with a one-line message naming what is wrong.
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        parts = []
        for err in exc.errors(include_input=False, include_url=False):
            loc = ".".join(str(x) for x in err.get("loc", ()))
            msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            # field errors name the variable; the key parser's messages already do
            parts.append(f"PILEON_{loc.upper()}: {msg}" if loc else msg)
        raise SettingsError("; ".join(parts) or "invalid settings") from None
