"""Privacy configuration, read once at start-up from the environment mapping passed in."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import msgspec

from waymark.core.errors import ConfigError


class PrivacyConfig(msgspec.Struct, frozen=True, kw_only=True):
    deadline: timedelta = timedelta(days=30)
    """How long a request may take (``WAYMARK_PRIVACY_DEADLINE_DAYS``; the GDPR's month)."""
    export_event_limit: int = 1_000_000
    """The most events one export or erasure reads for a person."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> PrivacyConfig:
        raw = environ.get("WAYMARK_PRIVACY_DEADLINE_DAYS")
        if raw is None:
            return cls()
        try:
            days = float(raw)
        except ValueError:
            raise ConfigError(
                f"WAYMARK_PRIVACY_DEADLINE_DAYS must be a number of days, got {raw!r}",
                field="WAYMARK_PRIVACY_DEADLINE_DAYS",
            ) from None
        if days <= 0:
            raise ConfigError(
                "WAYMARK_PRIVACY_DEADLINE_DAYS must be positive",
                field="WAYMARK_PRIVACY_DEADLINE_DAYS",
            )
        return cls(deadline=timedelta(days=days))
