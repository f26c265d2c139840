"""Implementations of orchestration's ports over what exists today, for the runtime to wire:

- ``LogProfiles``: profiles read from the event log (a profile is a user id, or an anonymous
  id without one; traits are the merged ``identify`` traits). A stand-in until the runtime
  wires identity's profiles in: it knows no merges and no journey stages.
- ``PolicyGate``: consent, quiet hours and frequency caps from decide's catalog ``Policy``,
  counting the messages orchestration sent.
- ``DeciderDecisions``: send steps with ``decide`` ask decide's ``Decider``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

import pyarrow.compute as pc

from waymark.core.events import Event
from waymark.core.ports import EventLog
from waymark.decide.api import CONTACT_WINDOWS, Decider, Policy, check_contact
from waymark.decide.contracts import DecideRequest, DecisionContext
from waymark.orchestrate.contracts import (
    ALLOW,
    DecidedContent,
    ProfileView,
    RecentEvent,
    Verdict,
)
from waymark.orchestrate.ports import Contact

_INSTANT = timedelta(microseconds=1)


class LogProfiles:
    """``Profiles`` over the event log alone (see the module docstring for its limits)."""

    def __init__(self, log: EventLog, *, recent: int = 500) -> None:
        self._log = log
        self._recent = recent

    def profile_id(self, event: Event) -> str | None:
        return event.user_id or event.anonymous_id

    def get(self, profile_id: str, now: datetime) -> ProfileView | None:
        events = self._log.latest(
            user_ids=[profile_id],
            anonymous_ids=[profile_id],
            before=now + _INSTANT,  # events at ``now`` count
            limit=self._recent,
        )
        if not events:
            return None
        traits: dict[str, Any] = {}
        timezone: str | None = None
        is_user = False
        for ev in reversed(events):  # oldest first, so newer traits win
            is_user = is_user or ev.user_id == profile_id
            if ev.type == "identify":
                traits.update(ev.traits)
            zone = ev.context.get("timezone")
            if isinstance(zone, str):
                timezone = zone
        consent = traits.get("consent")
        agreed = (
            {k: v for k, v in consent.items() if isinstance(v, bool)}
            if isinstance(consent, dict)
            else {}
        )
        # identity's convention: ``consent_<channel>`` traits too (an unsubscribe writes one)
        agreed.update(
            {
                k.removeprefix("consent_"): v
                for k, v in traits.items()
                if k.startswith("consent_") and isinstance(v, bool)
            }
        )
        email = traits.get("email")
        return ProfileView(
            profile_id=profile_id,
            user_id=profile_id if is_user else None,
            anonymous_id=None if is_user else profile_id,
            email=email if isinstance(email, str) else None,
            traits=traits,
            consent=agreed,
            timezone=traits.get("timezone")
            if isinstance(traits.get("timezone"), str)
            else timezone,
            recent=tuple(
                RecentEvent(label=ev.label, at=ev.timestamp, properties=ev.properties)
                for ev in events
                if ev.type != "identify"
            ),
        )

    def ids(self) -> Iterator[str]:
        seen: set[str] = set()
        for batch in self._log.scan():
            ids = pc.coalesce(batch.column("user_id"), batch.column("anonymous_id"))
            fresh = pc.unique(pc.drop_null(ids))
            for pid in fresh.to_pylist():
                if pid not in seen:
                    seen.add(pid)
                    yield pid


class PolicyGate:
    """``ContactGate`` from a decide catalog ``Policy``. ``contacts(profile_id, since)`` gives
    what was sent (``FlowStore.contacts``), so flows count towards the caps. ``policy`` may be
    a callable so a catalog changed through the admin API applies to the next send."""

    def __init__(
        self,
        policy: Policy | Callable[[], Policy],
        *,
        contacts: Callable[[str, datetime], Sequence[Contact]],
    ) -> None:
        self._policy = policy if callable(policy) else (lambda: policy)
        self._contacts = contacts

    def check(
        self, profile: ProfileView, channel: str, now: datetime, *, experience_id: str | None
    ) -> Verdict:
        checked = check_contact(
            self._policy(),
            channel=channel,
            consent=profile.consent.get(channel),
            timezone=profile.timezone,
            now=now,
            sent=lambda: self._contacts(profile.profile_id, now - CONTACT_WINDOWS[-1][1]),
        )
        if checked.code is None:
            return ALLOW
        if checked.until is not None:
            return Verdict(
                action="defer", code=checked.code, reason=checked.reason, until=checked.until
            )
        return Verdict(action="block", code=checked.code, reason=checked.reason)


class Contexts(Protocol):
    def context(self, profile_id: str, now: datetime) -> DecisionContext | None: ...


class DeciderDecisions:
    """``Decisions`` through decide's facade; the first chosen experience is sent."""

    def __init__(self, decider: Decider, contexts: Contexts) -> None:
        self._decider = decider
        self._contexts = contexts

    def decide(
        self, profile: ProfileView, channel: str, placement: str | None, now: datetime
    ) -> DecidedContent | None:
        ctx = self._contexts.context(profile.profile_id, now)
        if ctx is None:
            return None
        decision = self._decider.decide(ctx, DecideRequest(channel=channel, placement=placement))
        if not decision.experiences:
            return None
        chosen = decision.experiences[0]
        return DecidedContent(
            experience_id=chosen.id,
            decision_id=decision.decision_id,
            content=dict(chosen.content),
            reason=chosen.reason,
        )
