"""May Waymark contact this customer on this channel now? The catalog's contact policy
(consent, quiet hours, global and per-channel caps) for one customer and one channel.

Decide applies it to every experience of a decision; orchestration applies it before each
send. One function, so a flow and a decision never disagree about the same customer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Final, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from waymark.decide.config import Caps, Policy

WINDOWS: Final = (
    ("day", timedelta(days=1)),
    ("week", timedelta(days=7)),
    ("month", timedelta(days=30)),
)
"""The rolling windows caps count in; the longest bounds how far back contacts are needed."""


class Sent(Protocol):
    """A contact already made: when, and on which channel."""

    @property
    def at(self) -> datetime: ...

    @property
    def channel(self) -> str: ...


@dataclass(frozen=True)
class ContactCheck:
    """``code`` is None when contact is allowed; else the policy code that stops it, a reason
    in plain words, and for quiet hours when they end."""

    code: str | None
    reason: str = ""
    until: datetime | None = None


ALLOWED: Final = ContactCheck(None)


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        # an unknown zone must not block contact; UTC is the documented fallback
        return ZoneInfo("UTC")


def check_contact(
    policy: Policy,
    *,
    channel: str,
    consent: bool | None,
    timezone: str | None,
    now: datetime,
    sent: Callable[[], Sequence[Sent]],
) -> ContactCheck:
    """The first of consent, quiet hours, global cap and channel cap that stops contact.
    ``sent`` is called only once consent and quiet hours allow contact: for orchestration it is
    a store query, which a send already stopped by either does not need."""
    if consent is False:
        return ContactCheck("consent.channel", f"{channel} consent withdrawn")
    if consent is None and channel in policy.consent.required:
        return ContactCheck("consent.channel", f"no {channel} consent given")
    quiet_end = quiet_hours_end(policy, channel, now.astimezone(zone(timezone)))
    if quiet_end is not None:
        return ContactCheck("contact.quiet_hours", "quiet hours", until=quiet_end)
    contact = policy.contact
    contacts = sent()
    if contacts:
        total, on_channel = window_counts(contacts, now, channel, contact.total_channels)
        if channel in contact.total_channels:
            over = over_cap(total, contact.total)
            if over:
                return ContactCheck("cap.total", over)
        channel_caps = contact.channels.get(channel)
        if channel_caps is not None:
            over = over_cap(on_channel, channel_caps)
            if over:
                return ContactCheck("cap.channel", over)
    return ALLOWED


def quiet_hours_end(policy: Policy, channel: str, local: datetime) -> datetime | None:
    """When the quiet hours ``local`` falls in end, or None outside them."""
    quiet = policy.contact.quiet_hours
    if quiet is None or channel not in quiet.channels:
        return None
    start, end = time.fromisoformat(quiet.start), time.fromisoformat(quiet.end)
    t = local.time()
    inside = start <= t < end if start <= end else (t >= start or t < end)
    if not inside:
        return None
    day = local.date() if t < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=local.tzinfo)


def window_counts(
    sent: Sequence[Sent], now: datetime, channel: str, counted: tuple[str, ...]
) -> tuple[dict[str, int], dict[str, int]]:
    """Contacts per window: on the channels the global cap counts, and on ``channel``."""
    total = {name: 0 for name, _ in WINDOWS}
    on_channel = dict(total)
    for rec in sent:
        age = now - rec.at
        for name, span in WINDOWS:
            if age < span:
                total[name] += rec.channel in counted
                on_channel[name] += rec.channel == channel
    return total, on_channel


def over_cap(counts: dict[str, int], caps: Caps) -> str:
    """The cap reached, in words (``"3 per week reached"``), or "" when none is."""
    for name, _ in WINDOWS:
        limit = getattr(caps, name)
        if limit is not None and counts[name] >= limit:
            return f"{limit} per {name} reached"
    return ""
