"""Consent as events: a ``Consent Updated`` track call whose ``context.traits`` state the
``consent_<purpose>`` traits, so identity folds it into the profile with no special case and a
rebuild from the log gives the same consent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from uuid import uuid4

from waymark.core.events import Event
from waymark.identity.contracts import Profile
from waymark.ingest.contracts import CONSENT_EVENT
from waymark.privacy.contracts import PURPOSES, ConsentChange
from waymark.privacy.errors import BadConsent

SOURCE = "waymark-privacy"
_ADDRESS_TYPES = ("user_id", "anonymous_id", "email")


def check_consent(consent: Mapping[str, object]) -> dict[str, bool]:
    """Known purposes with boolean answers, else ``BadConsent`` naming the field."""
    if not consent:
        raise BadConsent("consent must name at least one purpose", field="consent")
    out: dict[str, bool] = {}
    for key, value in consent.items():
        if key not in PURPOSES:
            raise BadConsent(
                f"unknown consent purpose {key!r}; known: {', '.join(PURPOSES)}",
                field=f"consent.{key}",
            )
        if not isinstance(value, bool):
            raise BadConsent(f"consent.{key} must be true or false", field=f"consent.{key}")
        out[key] = value
    return out


def consent_event(
    profile: Profile, consent: Mapping[str, bool], *, source: str, now: datetime
) -> Event:
    """The event that records a consent change for the profile, addressed by its strongest
    identifier so identity resolves it to the same person."""
    address: dict[str, Any] = {}
    traits: dict[str, Any] = {f"consent_{k}": v for k, v in consent.items()}
    for kind in _ADDRESS_TYPES:
        value = next((i.value for i in profile.identities if i.type == kind), None)
        if value is None:
            continue
        if kind == "email":
            traits["email"] = value
        else:
            address[kind] = value
        break
    return Event(
        message_id=f"wm-consent-{uuid4().hex}",
        type="track",
        event=CONSENT_EVENT,
        timestamp=now,
        received_at=now,
        source=SOURCE,
        channel="server",
        properties={"consent": dict(consent), "source": source},
        context={"traits": traits},
        **address,
    )


def stated_consent(event: Event) -> dict[str, bool]:
    """What an event says about consent: a ``Consent Updated`` call's ``consent`` property,
    and ``consent``/``consent_<purpose>`` traits on any call."""
    found: dict[str, bool] = {}
    sources: list[object] = [event.traits, event.context.get("traits") or {}]
    if event.type == "track" and event.event == CONSENT_EVENT:
        sources.insert(0, {"consent": event.properties.get("consent")})
    for doc in sources:
        if not isinstance(doc, Mapping):
            continue
        whole = doc.get("consent")
        if isinstance(whole, Mapping):
            found.update({str(k): v for k, v in whole.items() if isinstance(v, bool)})
        for key, value in doc.items():
            if key.startswith("consent_") and isinstance(value, bool):
                found[key.removeprefix("consent_")] = value
    return found


def changes_of(events: Iterable[Event]) -> list[ConsentChange]:
    """Every consent statement in the events, newest first, with its source and time."""
    out: list[tuple[datetime, int, ConsentChange]] = []
    for n, event in enumerate(events):
        stated = stated_consent(event)
        if not stated:
            continue
        source = event.properties.get("source") if event.event == CONSENT_EVENT else None
        origin = source if isinstance(source, str) else f"{event.source}:{event.label}"
        out.extend(
            (
                event.timestamp,
                n,
                ConsentChange(
                    purpose=purpose,
                    granted=granted,
                    source=origin,
                    at=event.timestamp,
                    message_id=event.message_id,
                ),
            )
            for purpose, granted in sorted(stated.items())
        )
    # newest first; events at the same time in reverse log order (the later statement wins)
    out.sort(key=lambda t: (t[0], t[1]), reverse=True)
    return [c for _, _, c in out]
