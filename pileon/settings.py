"""pileon's settings: one typed object, the only place that reads the environment.

Every layer below takes explicit arguments; the CLI, the API and the public
Python API (:mod:`pileon`) build one :class:`Settings` and pass its values on.

========================  ===================================================
variable                  meaning
========================  ===================================================
``PILEON_STORE``          the store URI (see :func:`pileon.graph.store.open_store`):
                          a file path (default ``pileon.db``) or ``neo4j://``/``bolt://``
``NEO4J_USER``            Neo4j user (default ``neo4j``)
``NEO4J_PASSWORD``        Neo4j password
``NEO4J_DATABASE``        Neo4j database (default: the server's default)
``PILEON_NEO4J_BATCH``    rows per Neo4j write batch (default: the store's)
``PILEON_NEO4J_WORKERS``  Neo4j write transactions at once (default: the store's)
``PILEON_NEO4J_IMPORT``   the command that bulk-imports a folder of import files into
                          the Neo4j server (``scripts/neo4j-local`` writes it into its
                          env file: ``.../neo4j-local import``); without it
                          ``pileon ingest --bulk`` writes the folder and prints the
                          ``neo4j-admin`` command to run on the server
``PILEON_MODEL``          the trained risk model's file (default: beside the
                          embedded store's file, else ``./pileon-model.txt``)
``PILEON_API_KEYS``       ``NAME:KEY:ROLE,KEY:ROLE`` or the path of a file holding such
                          entries (one or more a line, ``#`` starts a comment);
                          roles are ``viewer``, ``enforcer`` and ``admin``; the name
                          (optional) says who holds the key (decisions record it);
                          the API refuses keys under :data:`MIN_KEY_BITS` bits
``PILEON_MAX_AUTH_FAILURES``  failed API keys a client address may send in a minute
                          before it is refused (429) until the minute has passed (10)
``PILEON_HOST``,          where ``pileon serve`` listens
``PILEON_PORT``
``PILEON_MAX_UPLOAD_MB``  the largest upload ``POST /v1/ingest`` accepts (default 1024)
``PILEON_MAX_BODY_MB``    the largest body any other request may send (default 1)
``PILEON_API_CACHE_MB``   memory each API server process keeps answers in while the
                          store has not changed (ranked pages: while their run
                          exists), default 64; 0 keeps none
========================  ===================================================

:func:`load_settings` refuses a configuration that cannot work (a bad role, a
missing key file, a port out of range) with a :class:`SettingsError` whose
one-line message never contains a key or a password; the API also refuses to
start without keys, or with a key weaker than :data:`MIN_KEY_BITS` bits
(:meth:`Settings.require_keys`).  Keys are kept only as SHA-256 digests once parsed.
"""

from __future__ import annotations

import hashlib
import math
import os
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import AliasChoices, Field, PrivateAttr, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pileon.graph.errors import PileonError
from pileon.graph.uri import DEFAULT_STORE

if TYPE_CHECKING:  # the store (and pandas) only when a store is opened
    from pileon.graph.store import Store


class SettingsError(PileonError):
    """pileon is misconfigured and refuses to start."""


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


#: the weakest key the API accepts (bits, as :func:`key_bits` estimates them)
MIN_KEY_BITS = 128
#: how to make a key the API accepts (said when it refuses one)
MAKE_A_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'


def key_bits(key: str) -> float:
    """An estimate of a key's strength in bits: its length times log2 of the alphabet its
    characters come from (hex digits 16; otherwise lower case 26, upper case 26, digits
    10 and other characters 33 added up), and no more than 8 bits a character for a key
    of fewer than 10 distinct characters counted by distinct characters only
    (``aaaa...`` is weak however long).

    An upper bound of what a random key of that form holds; ``secrets.token_urlsafe(32)``
    gives about 250, ``secrets.token_hex(16)`` 128.

    >>> round(key_bits("view-key-1")), round(key_bits("0123456789abcdef" * 2))
    (61, 128)
    >>> key_bits("a" * 64) < 128
    True
    """
    if not key:
        return 0.0
    if all(c in "0123456789abcdef" for c in key) or all(c in "0123456789ABCDEF" for c in key):
        alphabet = 16
    else:
        alphabet = (
            26 * any(c.islower() for c in key)
            + 26 * any(c.isupper() for c in key)
            + 10 * any(c.isdigit() for c in key)
            + 33 * any(not c.isalnum() for c in key)
        )
    bits = len(key) * math.log2(max(alphabet, 2))
    distinct = len(set(key))
    if distinct < 10:
        bits = min(bits, distinct * 8.0)
    return bits


#: what a key's name may hold
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-")


class ApiKey(NamedTuple):
    """One configured API key, as kept once parsed (never the key itself)."""

    digest: bytes
    role: Role
    #: who holds it: the entry's NAME, else ``key-`` and the first 8 hex digits of the digest
    name: str
    #: where it was given (``PILEON_API_KEYS entry 2``, ``keys.txt line 3``), for messages
    where: str
    #: :func:`key_bits` of the key
    bits: float


def parse_api_keys(value: str) -> list[ApiKey]:
    """Parse ``PILEON_API_KEYS`` (entries or a file of entries) into :class:`ApiKey` s.

    An entry is ``KEY:ROLE`` or ``NAME:KEY:ROLE`` (a key holds no ``:``; a name is up to
    64 letters, digits and ``._@-``).  Raises ``ValueError`` with a message that never
    repeats a key.
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
    out: list[ApiKey] = []
    seen: set[bytes] = set()
    for n, (lineno, entry) in enumerate(entries, start=1):
        where = f"{source} line {lineno}" if source != "PILEON_API_KEYS" else f"{source} entry {n}"
        key, sep, role = entry.rpartition(":")
        key, role = key.strip(), role.strip()
        if not sep or not key:
            raise ValueError(f"{where} is not KEY:ROLE or NAME:KEY:ROLE")
        if any(c.isspace() for c in key):
            raise ValueError(f"{where}: a key may not contain spaces")
        name, named, key = key.rpartition(":") if ":" in key else ("", "", key)
        if named and (not name or not key or ":" in name):
            raise ValueError(f"{where} is not KEY:ROLE or NAME:KEY:ROLE")
        if named and (len(name) > 64 or not set(name) <= _NAME_CHARS):
            raise ValueError(f"{where}: a name is up to 64 letters, digits and . _ @ -")
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
        out.append(
            ApiKey(
                digest=d, role=r, name=name or f"key-{d[:4].hex()}", where=where, bits=key_bits(key)
            )
        )
    return out


class Settings(BaseSettings):
    """Everything pileon reads from its environment; see the module docstring."""

    model_config = SettingsConfigDict(env_prefix="PILEON_", extra="ignore")

    store: str = Field(default=DEFAULT_STORE, min_length=1, description="store URI")
    neo4j_user: str | None = Field(
        default=None, validation_alias=AliasChoices("neo4j_user", "NEO4J_USER")
    )
    neo4j_password: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("neo4j_password", "NEO4J_PASSWORD")
    )
    neo4j_database: str | None = Field(
        default=None, validation_alias=AliasChoices("neo4j_database", "NEO4J_DATABASE")
    )
    neo4j_batch: int | None = Field(default=None, ge=1, description="rows per Neo4j batch")
    neo4j_workers: int | None = Field(
        default=None, ge=1, le=64, description="Neo4j write transactions at once"
    )
    neo4j_import: str | None = Field(
        default=None, description="command that bulk-imports a folder into the Neo4j server"
    )
    model: Path | None = Field(default=None, description="the trained risk model's file")
    api_keys: SecretStr = Field(default=SecretStr(""), description="KEY:ROLE,... or a key file")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_upload_mb: int = Field(default=1024, ge=1)
    max_body_mb: int = Field(default=1, ge=1)
    max_auth_failures: int = Field(default=10, ge=1)
    api_cache_mb: int = Field(default=64, ge=0, description="memory for kept API answers")

    _keys: list[ApiKey] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _parse_keys(self) -> Settings:
        given = self.api_keys.get_secret_value()
        self._keys = parse_api_keys(given) if given.strip() else []
        return self

    @property
    def keys(self) -> list[ApiKey]:
        """The configured keys (digest, role, where given, strength), in the order given."""
        return list(self._keys)

    def require_keys(self) -> Settings:
        """Refuse (``SettingsError``) a configuration the API cannot start with: no API
        key, or a key weaker than :data:`MIN_KEY_BITS` bits (:func:`key_bits`)."""
        if not self._keys:
            raise SettingsError(
                "PILEON_API_KEYS is empty: give KEY:ROLE,KEY:ROLE or a file of such lines"
            )
        for k in self._keys:
            if k.bits < MIN_KEY_BITS:
                raise SettingsError(
                    f"{k.where} ({k.role.value}) is too weak: about {k.bits:.0f} bits, at "
                    f"least {MIN_KEY_BITS} needed; make a key with: {MAKE_A_KEY}"
                )
        return self

    def open_store(self, uri: str | None = None) -> Store:
        """Open ``uri`` (default :attr:`store`) with these settings' Neo4j credentials."""
        from pileon.graph.store import open_store

        password = self.neo4j_password.get_secret_value() if self.neo4j_password else None
        return open_store(
            uri or self.store,
            user=self.neo4j_user,
            password=password,
            database=self.neo4j_database,
            batch_size=self.neo4j_batch,
            workers=self.neo4j_workers,
        )


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
            parts.append(f"{_variable(loc)}: {msg}" if loc else msg)
        raise SettingsError("; ".join(parts) or "invalid settings") from None


def _variable(field: str) -> str:
    """The environment variable a field is read from."""
    return (
        field.upper()
        if field in ("neo4j_user", "neo4j_password", "neo4j_database")
        else (f"PILEON_{field.upper()}")
    )
