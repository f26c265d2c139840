"""What crosses the identity boundary: frozen msgspec structs, inputs and results apart."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec


class Identity(msgspec.Struct, frozen=True, kw_only=True):
    """One identifier of a profile and when events carrying it were seen (event time)."""

    type: str
    value: str
    first_seen: datetime
    last_seen: datetime


class PastValue(msgspec.Struct, frozen=True):
    value: Any
    at: datetime
    """The latest event time this value was stated."""


class Trait(msgspec.Struct, frozen=True, kw_only=True):
    value: Any
    """The value stated by the latest event (by event time, then seq)."""
    updated_at: datetime
    history: tuple[PastValue, ...] = ()
    """Other values this trait had, newest first (bounded by ``trait_history``)."""


class Profile(msgspec.Struct, frozen=True, kw_only=True):
    """One person, as far as the identity graph can tell."""

    id: str
    identities: tuple[Identity, ...]
    """Highest-priority type first, then oldest first."""
    traits: dict[str, Trait]
    first_seen: datetime | None
    last_seen: datetime | None
    event_count: int
    channels: tuple[str, ...]
    consent: dict[str, bool]
    """Per channel, from the ``consent`` trait (a mapping) and ``consent_<channel>`` traits;
    the latest statement wins."""
    merged_ids: tuple[str, ...] = ()
    """Profile ids absorbed into this one; they resolve to ``id``."""


class ProfileSummary(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    user_id: str | None
    email: str | None
    event_count: int
    last_seen: datetime | None
    matched: str
    """What the query matched: ``email:ann@``, ``trait:name``."""


MergeKind = Literal["merge", "refused"]


class MergeRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of the merge log.

    ``merge``: ``other_id`` was absorbed into ``profile_id`` because the event linked them
    through ``identifier``. ``refused``: the event went to ``profile_id`` (None when it went
    nowhere) but ``identifier`` was dropped from it, because keeping it would have merged
    ``other_id`` (or, when None, added a new value) beyond a limit; ``reason`` says which.
    """

    kind: MergeKind
    profile_id: str | None
    other_id: str | None
    identifier_type: str
    identifier_value: str
    seq: int
    message_id: str
    at: datetime
    """The linking event's time."""
    reason: str
    """``shared_identifier`` for merges; ``limit:<type>`` for refusals."""
    detail: str = ""


class Resolution(msgspec.Struct, frozen=True, kw_only=True):
    """What ``observe`` did with a sequence of events."""

    profile_ids: tuple[str | None, ...]
    """Per event, in order: the profile it went to, as it was right after that event (None
    when the event carries no usable identifier)."""
    final_profile_ids: tuple[str | None, ...]
    """The same profiles after the whole sequence (merges later in it applied)."""
    merges: tuple[MergeRecord, ...] = ()
    """In seq order; consumers re-place ``other_id`` onto ``profile_id``."""
    refused: tuple[MergeRecord, ...] = ()


class RebuildReport(msgspec.Struct, frozen=True, kw_only=True):
    events: int
    identifiers: int
    profiles: int
    merges: int
    refused: int
    components: int
    conflicting_components: int
    replayed_events: int
    """Events of conflicting components, replayed in seq order through the streaming rules."""
    unattributed_events: int
    """Events without a usable identifier (all blocked or missing)."""
    seconds: float
    checkpoint: int
    timings: dict[str, float] = {}
    """Seconds per phase: scan, components, lineage, replay, materialise."""
