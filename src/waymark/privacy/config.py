"""Privacy configuration, read once at start-up from the environment mapping passed in."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import msgspec

from waymark.core.errors import ConfigError
from waymark.core.settings import DEFAULT_PUBLIC_URL, Secret, parse_days, parse_public_url

MIN_SECRET_CHARS = 32


class PrivacyConfig(msgspec.Struct, frozen=True, kw_only=True):
    deadline: timedelta = timedelta(days=30)
    """How long a request may take (``WAYMARK_PRIVACY_DEADLINE_DAYS``; the GDPR's month)."""
    export_event_limit: int = 1_000_000
    """The most events one export or erasure reads for a person."""
    public_url: str = DEFAULT_PUBLIC_URL
    """``WAYMARK_PUBLIC_URL``: the server as customers reach it (preference-centre links)."""
    link_ttl: timedelta = timedelta(days=90)
    """How long a preference-centre link works (``WAYMARK_PREFERENCES_LINK_DAYS``)."""
    secret: Secret | None = None
    """``WAYMARK_PREFERENCES_SECRET`` (at least 32 characters) signs preference-centre links;
    unset: a random one kept in the data directory (``preferences.key``, mode 0600)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> PrivacyConfig:
        values: dict[str, object] = {}
        if raw := environ.get("WAYMARK_PRIVACY_DEADLINE_DAYS"):
            values["deadline"] = parse_days(raw, field="WAYMARK_PRIVACY_DEADLINE_DAYS")
        if raw := environ.get("WAYMARK_PREFERENCES_LINK_DAYS"):
            values["link_ttl"] = parse_days(raw, field="WAYMARK_PREFERENCES_LINK_DAYS")
        if raw := environ.get("WAYMARK_PUBLIC_URL"):
            values["public_url"] = parse_public_url(raw)
        if raw := environ.get("WAYMARK_PREFERENCES_SECRET"):
            if len(raw) < MIN_SECRET_CHARS:
                raise ConfigError(
                    f"WAYMARK_PREFERENCES_SECRET must be at least {MIN_SECRET_CHARS} characters",
                    field="WAYMARK_PREFERENCES_SECRET",
                )
            values["secret"] = Secret(raw)
        return cls(**values)  # type: ignore[arg-type]
