"""Reads shared by the live service and the store-backed reader: one definition each of
lookup by identifier, search matching, and which events make up a profile's timeline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec

from waymark.core.events import Event
from waymark.core.ports import EventLog
from waymark.identity._extract import Extractor, Key
from waymark.identity._graph import ProfileState
from waymark.identity.config import ANONYMOUS_ID, EMAIL, USER_ID
from waymark.identity.contracts import Profile, ProfileSummary
from waymark.identity.errors import UnknownIdentifierType

_decode = msgspec.json.decode
MAX_TIMELINE_SCAN = 20_000


def key_for(extractor: Extractor, type: str, value: str) -> Key | None:
    """The identifier a lookup asks for, normalised like events' identifiers (None when the
    value could never be an identifier, e.g. blocked)."""
    kind = extractor.kind_of.get(type)
    if kind is None:
        raise UnknownIdentifierType(
            f"unknown identifier type {type!r}; known: {', '.join(extractor.kind_of)}",
            field="type",
        )
    normalised = extractor.normaliser.value(kind, value)
    return None if normalised is None else (type, normalised)


def match(state: ProfileState, query: str, priority: dict[str, int]) -> str | None:
    """What in the profile matches a search: an identifier value starting with the query, or a
    current trait value (text or number) starting with it; case-insensitive."""
    q = query.lower()
    hits = [k for k in state.keys if k[1].lower().startswith(q)]
    if hits:
        t, v = min(hits, key=lambda k: (priority.get(k[0], len(priority)), k[1]))
        return f"{t}:{v}"
    for name in sorted(state.traits):
        values = state.traits[name]
        current: Any = _decode(max(values, key=values.__getitem__))
        scalar = isinstance(current, str | int | float) and not isinstance(current, bool)
        if scalar and str(current).lower().startswith(q):
            return f"trait:{name}"
    return None


def summary(profile: Profile, matched: str) -> ProfileSummary:
    def first(t: str) -> str | None:
        return next((i.value for i in profile.identities if i.type == t), None)

    return ProfileSummary(
        id=profile.id,
        user_id=first(USER_ID),
        email=first(EMAIL),
        event_count=profile.event_count,
        last_seen=profile.last_seen,
        matched=matched,
    )


def timeline(
    profile: Profile,
    event_log: EventLog,
    extractor: Extractor,
    owner_of: Callable[[Key], str | None],
    *,
    before: datetime | None,
    limit: int,
) -> list[Event]:
    """The profile's events, newest first.

    Fetched by the profile's user and anonymous ids, then kept only if they went to this
    profile: an event goes to the profile of its highest-priority identifier (which the
    graph never drops), so a shared device's events of another person are left out.
    """
    user_ids = [i.value for i in profile.identities if i.type == USER_ID]
    anonymous_ids = [i.value for i in profile.identities if i.type == ANONYMOUS_ID]
    if not user_ids and not anonymous_ids:
        return []
    out: list[Event] = []
    fetch = limit * 2
    while True:
        got = event_log.latest(
            user_ids=user_ids, anonymous_ids=anonymous_ids, before=before, limit=fetch
        )
        out = [e for e in got if _belongs(e, profile.id, extractor, owner_of)][:limit]
        if len(out) >= limit or len(got) < fetch or fetch >= MAX_TIMELINE_SCAN:
            return out
        fetch *= 4


def _belongs(
    event: Event, profile_id: str, extractor: Extractor, owner_of: Callable[[Key], str | None]
) -> bool:
    keys = extractor.identifiers(event)
    return bool(keys) and owner_of(keys[0]) == profile_id
