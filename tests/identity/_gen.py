"""Event sequences for identity tests: small pools of identifiers so that links, merges and
conflicts are frequent, plus the adversarial values real data carries (a shared family email,
a reused device, the literal strings "null" and "0", case and whitespace variants)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from waymark.core.events import Event
from waymark.identity._convert import to_profile
from waymark.identity._engine import Engine
from waymark.identity.config import IdentityConfig

T0 = datetime(2026, 1, 1, tzinfo=UTC)
USERS = ["u1", "u2", "u3", "u4"]
ANONS = ["a1", "a2", "a3", "a4", "a5", "shared-device", "null", "0", " a1 "]
EMAILS = ["ann@x.com", "Ann@X.com ", "bob@x.com", "family@x.com", "null", "not-an-email"]
PHONES = ["+44 7700 900123", "+447700900123", "07700 900456", "n/a"]
CRM = ["c1", "c2", "-1"]

CONFIG = IdentityConfig.from_mapping(
    {
        "types": {"crm_id": {"fields": ["traits.crm_id", "properties.crm_id"], "limit": 1}},
        "phone_region": "GB",
    }
)
TIGHT = IdentityConfig.from_mapping(
    {"limits": {"anonymous_id": 2, "email": 1, "phone": 1}, "phone_region": "GB"}
)


def event(
    seq: int,
    *,
    type: str = "track",
    user_id: str | None = None,
    anonymous_id: str | None = None,
    previous_id: str | None = None,
    traits: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    properties: dict[str, Any] | None = None,
    minutes: float | None = None,
    channel: str = "web",
) -> Event:
    return Event(
        message_id=f"m{seq}",
        type=type,  # type: ignore[arg-type]
        event="Viewed" if type == "track" else None,
        timestamp=T0 + timedelta(minutes=seq if minutes is None else minutes),
        received_at=T0 + timedelta(minutes=seq),
        seq=seq,
        user_id=user_id,
        anonymous_id=anonymous_id,
        previous_id=previous_id,
        traits=traits or {},
        context=context or {},
        properties=properties or {},
        channel=channel,
    )


@st.composite
def _one(draw: st.DrawFn, seq: int) -> Event:
    type_ = draw(st.sampled_from(["track", "identify", "page", "alias", "group"]))
    user_id = draw(st.none() | st.sampled_from(USERS))
    anonymous_id = draw(st.none() | st.sampled_from(ANONS))
    if user_id is None and anonymous_id is None:
        anonymous_id = draw(st.sampled_from(ANONS))
    previous_id = None
    if type_ == "alias":
        user_id = user_id or draw(st.sampled_from(USERS))
        previous_id = draw(st.sampled_from(ANONS + USERS))
    traits: dict[str, Any] = {}
    context: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    if draw(st.booleans()):
        email = draw(st.sampled_from(EMAILS))
        if type_ == "identify" and draw(st.booleans()):
            traits["email"] = email
        else:
            context["traits"] = {"email": email}
    if draw(st.integers(0, 3)) == 0:
        traits["phone"] = draw(st.sampled_from(PHONES))
    if draw(st.integers(0, 3)) == 0:
        target = traits if draw(st.booleans()) else properties
        target["crm_id"] = draw(st.sampled_from(CRM))
    if draw(st.booleans()):
        traits["name"] = draw(st.sampled_from(["Ann", "Bob", "Cy", None]))
    if draw(st.integers(0, 4)) == 0:
        traits["consent"] = {"email": draw(st.booleans())}
    return event(
        seq,
        type=type_,
        user_id=user_id,
        anonymous_id=anonymous_id,
        previous_id=previous_id,
        traits=traits,
        context=context,
        properties=properties,
        minutes=draw(st.integers(0, 60)),  # event times arrive out of order
        channel=draw(st.sampled_from(["web", "email", "mobile"])),
    )


@st.composite
def event_sequences(draw: st.DrawFn, max_size: int = 40) -> list[Event]:
    n = draw(st.integers(1, max_size))
    return [draw(_one(seq)) for seq in range(1, n + 1)]


def fingerprint(engine: Engine) -> tuple[object, ...]:
    """Everything a reader can observe of the engine's state."""
    g = engine.graph
    priority = engine.extractor.priority
    profiles = {pid: to_profile(s, engine.seen, priority) for pid, s in g.profiles.items()}
    owners = {key: s.pid for key, s in g.owner.items()}
    aliases = {a: g.canonical(a) for a in list(g.alias)}
    return profiles, owners, list(engine.merge_log), aliases, engine.checkpoint
