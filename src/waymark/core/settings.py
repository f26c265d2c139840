"""Typed settings, validated once at the edge and passed in. Never read at import time.

``Settings.from_env(environ)`` takes the mapping explicitly, so nothing here touches the
process environment by itself; the CLI passes ``os.environ`` and its own flags.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

from waymark.core.errors import ConfigError

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8420"
"""Where links in emails point when ``WAYMARK_PUBLIC_URL`` is not set (the default port)."""


class Secret(str):
    """A string that does not print itself (tokens, keys, passwords)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Secret('****')"

    def reveal(self) -> str:
        return str.__str__(self)


class WriteKey(msgspec.Struct, frozen=True):
    key: str
    source: str


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    data_dir: Path = Path("waymark-data")
    """Where the embedded store keeps its files (``--data``, ``WAYMARK_DATA``)."""
    write_keys: tuple[WriteKey, ...] = ()
    """Accepted tracking-API write keys, each naming its source (``WAYMARK_WRITE_KEYS``:
    ``key`` or ``key:source``, comma-separated; a key without a source feeds ``default``)."""
    admin_token: Secret | None = None
    """Bearer token for the admin API (``WAYMARK_ADMIN_TOKEN``)."""
    dedupe_window: timedelta = timedelta(days=7)
    """How long a messageId is remembered per source (``WAYMARK_DEDUPE_DAYS``)."""
    max_message_bytes: int = 32 * 1024
    max_batch_bytes: int = 500 * 1024
    max_batch_messages: int = 2500

    @classmethod
    def from_env(cls, environ: Mapping[str, str], **overrides: object) -> Settings:
        values: dict[str, object] = {}
        if raw := environ.get("WAYMARK_DATA"):
            values["data_dir"] = Path(raw)
        if raw := environ.get("WAYMARK_WRITE_KEYS"):
            values["write_keys"] = parse_write_keys(raw, field="WAYMARK_WRITE_KEYS")
        if raw := environ.get("WAYMARK_ADMIN_TOKEN"):
            values["admin_token"] = Secret(raw)
        if raw := environ.get("WAYMARK_DEDUPE_DAYS"):
            try:
                days = float(raw)
            except ValueError:
                raise ConfigError(
                    f"WAYMARK_DEDUPE_DAYS must be a number of days, got {raw!r}",
                    field="WAYMARK_DEDUPE_DAYS",
                ) from None
            if days <= 0:
                raise ConfigError("WAYMARK_DEDUPE_DAYS must be positive", field="dedupe")
            values["dedupe_window"] = timedelta(days=days)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def source_for_key(self, key: str) -> str | None:
        for wk in self.write_keys:
            if _equal(wk.key, key):
                return wk.source
        return None


def _equal(a: str, b: str) -> bool:
    # constant time, so write keys cannot be guessed byte by byte
    return hmac.compare_digest(a.encode(), b.encode())


def parse_public_url(raw: str, *, field: str = "WAYMARK_PUBLIC_URL") -> str:
    """The server's address as customers reach it (links in emails), without a trailing
    slash; ``ConfigError`` naming the field unless it is an http(s) URL with a host."""
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"{field} must start with http:// or https:// and name a host, got {raw!r}",
            field=field,
        )
    if parts.query or parts.fragment:
        raise ConfigError(f"{field} must not have a query or fragment, got {raw!r}", field=field)
    return raw.rstrip("/")


def parse_days(raw: str, *, field: str) -> timedelta:
    """A positive number of days from the environment; ``ConfigError`` naming the field."""
    try:
        days = float(raw)
    except ValueError:
        raise ConfigError(f"{field} must be a number of days, got {raw!r}", field=field) from None
    if not days > 0 or days > 36_500:
        raise ConfigError(f"{field} must be between 0 and 36500 days, got {raw!r}", field=field)
    return timedelta(days=days)


def parse_write_keys(raw: str, *, field: str) -> tuple[WriteKey, ...]:
    keys: list[WriteKey] = []
    for entry in (p.strip() for p in raw.split(",")):
        if not entry:
            continue
        key, _, source = entry.partition(":")
        if not key:
            raise ConfigError(f"{field}: empty write key in {raw!r}", field=field)
        keys.append(WriteKey(key=key, source=source or "default"))
    return tuple(keys)
