"""The normalised event: what every channel's message becomes once it is accepted.

The event log stores exactly these fields. Times are timezone-aware UTC ``datetime``s in Python
and naive UTC ``TIMESTAMP``s in storage. ``seq`` is the log's insertion order, assigned by the
event log on append (0 before that); everything derived from the log replays in ``seq`` order.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Final, Literal

import msgspec

EventType = Literal["track", "identify", "page", "screen", "group", "alias"]
EVENT_TYPES: Final[tuple[EventType, ...]] = (
    "track",
    "identify",
    "page",
    "screen",
    "group",
    "alias",
)


class Channel(StrEnum):
    """Where the customer met the company. Derived at ingest for every event."""

    WEB = "web"
    MOBILE = "mobile"
    SERVER = "server"
    EMAIL = "email"
    SMS = "sms"
    CALL_CENTRE = "call_centre"
    ADS = "ads"
    SOCIAL = "social"
    SHOP = "shop"
    SHIPPING = "shipping"
    SUPPORT = "support"
    PARTNER = "partner"
    OTHER = "other"


CAMPAIGN_FIELDS: Final[tuple[str, ...]] = ("source", "medium", "name", "term", "content")


class Event(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One accepted message, normalised. Immutable: the log is append-only."""

    message_id: str
    type: EventType
    timestamp: datetime
    """When it happened, corrected for client clock skew (see ``original_timestamp``)."""
    received_at: datetime
    source: str = "default"
    """The source (write key) it came through; message ids are unique per source."""
    event: str | None = None
    """The action of a ``track`` call, e.g. ``Order Completed``."""
    name: str | None = None
    """Page or screen name."""
    category: str | None = None
    user_id: str | None = None
    anonymous_id: str | None = None
    group_id: str | None = None
    previous_id: str | None = None
    original_timestamp: datetime | None = None
    """The timestamp as the client sent it, before skew correction."""
    sent_at: datetime | None = None
    channel: str = Channel.SERVER.value
    campaign: dict[str, str] = {}
    """UTM campaign fields (source, medium, name, term, content) when known."""
    properties: dict[str, Any] = {}
    traits: dict[str, Any] = {}
    context: dict[str, Any] = {}
    integrations: dict[str, Any] = {}
    seq: int = 0

    @property
    def label(self) -> str:
        """A short human name: the track event, the page name, or the call type."""
        if self.type == "track" and self.event:
            return self.event
        if self.type in ("page", "screen"):
            return f"{self.type}: {self.name}" if self.name else self.type
        return self.type


class AppendResult(msgspec.Struct, frozen=True):
    """What the event log did with an append."""

    stored: int
    duplicates: int
    first_seq: int = 0
    """The seq of the first stored event; stored events take consecutive seqs from it."""
    duplicate_indexes: tuple[int, ...] = ()
    """Positions (in the appended sequence) of the events that were not stored."""
