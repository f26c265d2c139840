"""What crosses the privacy boundary: frozen msgspec structs, inputs and results apart."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Literal

import msgspec

from waymark.core.events import Event
from waymark.identity.contracts import Profile

PURPOSES: Final[tuple[str, ...]] = ("email", "sms", "ads", "personalisation", "analytics")
"""Consent keys: two channels, ads targeting, personalisation and analytics. They are the
``consent_<key>`` traits identity reads, so decide and orchestrate honour them at once."""

RequestKind = Literal["erasure", "export"]
RequestStatus = Literal["pending", "completed", "failed"]


class ConsentUpdate(msgspec.Struct, frozen=True, kw_only=True):
    """Body of ``PUT /api/v1/profiles/{id}/consent``."""

    consent: dict[str, bool]
    source: str = "api"
    """Who stated it (``api``, ``preference_centre``, a CRM's name)."""


class ConsentChange(msgspec.Struct, frozen=True, kw_only=True):
    purpose: str
    granted: bool
    source: str
    at: datetime
    message_id: str


class ConsentView(msgspec.Struct, frozen=True, kw_only=True):
    profile_id: str
    consent: dict[str, bool]
    """The current answer per purpose, as identity's profile holds it (what decide reads)."""
    changes: list[ConsentChange]
    """Newest first."""


class PrivacyRequest(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of the request log. Holds no personal data: the subject is kept only as
    salted hashes of their identifiers, so the log can prove a deletion without undoing it."""

    id: str
    kind: RequestKind
    status: RequestStatus
    received_at: datetime
    due_at: datetime
    """When it must be done by (the configured deadline)."""
    completed_at: datetime | None = None
    subject_hashes: tuple[str, ...] = ()
    counts: dict[str, int] = {}
    """Rows removed per store (events, profiles, decisions, messages...)."""
    error: str | None = None


class RequestList(msgspec.Struct, frozen=True, kw_only=True):
    requests: list[PrivacyRequest]


class ErasureAccepted(msgspec.Struct, frozen=True, kw_only=True):
    request_id: str
    status: RequestStatus
    due_at: datetime


class ExportDocument(msgspec.Struct, frozen=True, kw_only=True):
    """Everything Waymark holds about one person."""

    profile_id: str
    generated_at: datetime
    profile: Profile
    """Identities, traits with history, consent."""
    events: list[Event]
    """Every event of the person, oldest first."""
    journeys: list[Any]
    """Stage per model and product, with the stage history."""
    records: dict[str, list[dict[str, Any]]]
    """Rows of every other store that name the person (decisions, messages, inbox, runs),
    by table."""
