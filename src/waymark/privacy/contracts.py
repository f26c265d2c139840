"""What crosses the privacy boundary: frozen msgspec structs, inputs and results apart."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Literal

import msgspec

from waymark.accounts.contracts import AccountMembership
from waymark.core.events import Event
from waymark.identity.contracts import Profile
from waymark.scoring.contracts import Score

PURPOSES: Final[tuple[str, ...]] = ("email", "sms", "ads", "personalisation", "analytics")
"""Consent keys: two channels, ads targeting, personalisation and analytics. They are the
``consent_<key>`` traits identity reads, so decide and orchestrate honour them at once."""

RequestKind = Literal["erasure", "export"]
RequestStatus = Literal["pending", "completed", "failed"]
REQUEST_STATUSES: Final[tuple[RequestStatus, ...]] = ("pending", "completed", "failed")
PREFERENCE_SOURCE: Final = "preference-centre"
"""The source of consent changes made by the customer on the preference page."""


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
    overdue: bool = False
    """Not completed and past ``due_at`` (worked out when read, from the clock)."""


class RequestList(msgspec.Struct, frozen=True, kw_only=True):
    requests: list[PrivacyRequest]
    overdue: int = 0
    """How many of the listed requests are overdue."""


class LinkClaims(msgspec.Struct, frozen=True, kw_only=True):
    """What a preference-centre link carries (signed, not secret)."""

    profile_id: str
    issued_at: datetime
    expires_at: datetime
    token_id: str


class PreferenceLink(msgspec.Struct, frozen=True, kw_only=True):
    """A new preference-centre link (admin API; every email carries one)."""

    url: str
    token_id: str
    expires_at: datetime


class RevokedLinks(msgspec.Struct, frozen=True, kw_only=True):
    profile_id: str | None = None
    token_id: str | None = None
    not_before: datetime | None = None
    """Links of this profile issued before this time no longer work."""


class MessageSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A message sent to the person, as the preference page lists it."""

    channel: str
    subject: str
    status: str
    at: datetime


class StageView(msgspec.Struct, frozen=True, kw_only=True):
    model: str
    product: str
    stage: str
    since: datetime | None = None


class PreferencesView(msgspec.Struct, frozen=True, kw_only=True):
    """What the preference page shows the person about themselves."""

    profile_id: str
    identities: list[tuple[str, str]]
    """(type, value), e.g. ("email", "kim@example.org")."""
    traits: dict[str, Any]
    consent: dict[str, bool]
    """Every purpose; a purpose never answered shows as not granted."""
    stages: list[StageView]
    messages: list[MessageSummary]
    expires_at: datetime


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
    accounts: list[AccountMembership] = []
    """The accounts the person belongs to: account id, role, when they joined."""
    scores: list[Score] = []
    """Their lead score per model and product, with the contributions behind it."""
    records: dict[str, list[dict[str, Any]]]
    """Rows of every other store that name the person (decisions, messages, inbox, runs),
    by table."""
