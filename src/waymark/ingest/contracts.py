"""What ingest hands to the rest of Waymark."""

from __future__ import annotations

from typing import Final

import msgspec

from waymark.core.events import Event

CONSENT_EVENT: Final = "Consent Updated"
"""Segment's consent event; its ``properties.consent`` answers become ``consent_<purpose>``
traits at ingest (see ``_consent``)."""


class Rejection(msgspec.Struct, frozen=True):
    """A message that was not accepted, by its position in the batch (0-based) or file line."""

    index: int
    code: str
    message: str


class Parsed(msgspec.Struct, frozen=True):
    """The valid events of a request or file chunk, and what was rejected."""

    events: list[Event]
    rejected: list[Rejection]
