"""Decision contexts from identity and journeys: the glue between features that no single
feature owns (``decide`` defines the ``ContextSource`` port; this implements it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Final, Protocol

from waymark.core.events import Event
from waymark.core.ports import EventLog
from waymark.decide.contracts import DecisionContext, JourneyPosition, LeadScore, RecentEvent
from waymark.identity.api import IdentityService
from waymark.identity.contracts import Profile
from waymark.identity.errors import ProfileNotFound
from waymark.journey.api import JourneyService
from waymark.journey.contracts import JourneyView
from waymark.orchestrate.contracts import ProfileView, StagePosition
from waymark.orchestrate.contracts import RecentEvent as FlowRecentEvent
from waymark.scoring.api import ScoringService

RECENT_EVENTS: Final = 50
_SUPPORT_OPEN: Final = frozenset(
    {"Support Ticket Created", "Support Case Opened", "Ticket Created"}
)
_SUPPORT_CLOSED: Final = frozenset(
    {"Support Ticket Resolved", "Support Case Closed", "Support Case Resolved", "Ticket Resolved"}
)


class ProfileContexts:
    """``decide.ports.ContextSource`` over the live identity graph and journey engine."""

    def __init__(
        self,
        identity: IdentityService,
        journeys: JourneyService,
        event_log: EventLog,
        *,
        scoring: ScoringService | None = None,
    ) -> None:
        self._identity = identity
        self._journeys = journeys
        self._log = event_log
        self._scoring = scoring

    def resolve(self, reference: Mapping[str, str]) -> str | None:
        if "id" in reference:
            return self._identity.canonical(reference["id"])
        for type_, value in reference.items():
            found = self._identity.resolve(type_, value)
            if found is not None:
                return found
        return None

    def context(
        self,
        profile_id: str,
        now: datetime,
        *,
        events: bool = True,
        journeys: Sequence[JourneyView] | None = None,
    ) -> DecisionContext | None:
        """``journeys``: the profile's journeys when the caller read them already (a walk over
        every profile reads them all at once)."""
        try:
            profile = self._identity.profile(profile_id)
        except ProfileNotFound:
            return None
        if journeys is None:
            journeys = self._journeys.journeys(profile.id, as_of=now)
        identifiers: dict[str, list[str]] = {}
        for identity in profile.identities:
            identifiers.setdefault(identity.type, []).append(identity.value)
        traits = {name: trait.value for name, trait in profile.traits.items()}
        positions = tuple(
            JourneyPosition(
                model=view.model,
                product=view.product,
                stage=view.stage,
                furthest=view.furthest,
                phase=view.phase,
                purchased=view.purchased_at is not None,
                since=view.since,
            )
            for view in journeys
        )
        timeline = (
            self._identity.timeline(profile.id, self._log, limit=RECENT_EVENTS) if events else []
        )
        recent = tuple(
            RecentEvent(name=e.label, at=e.timestamp, channel=e.channel, properties=e.properties)
            for e in timeline
            if e.timestamp <= now
        )
        zone = traits.get("timezone") or next(
            (
                e.context.get("timezone")
                for e in timeline
                if isinstance(e.context.get("timezone"), str)
            ),
            None,
        )
        return DecisionContext(
            profile_id=profile.id,
            now=now,
            identifiers=identifiers,
            traits=traits,
            consent=dict(profile.consent),
            positions=positions,
            recent_events=recent,
            open_support_case=_support_case_open(recent),
            timezone=zone if isinstance(zone, str) else None,
            scores=self._scores(profile.id, now),
        )

    def _scores(self, profile_id: str, now: datetime) -> tuple[LeadScore, ...]:
        if self._scoring is None:
            return ()
        person = self._scoring.person_scores(profile_id, as_of=now)
        accounts = self._scoring.account_scores(profile_id, as_of=now)
        return tuple(
            LeadScore(
                subject="person", model=s.model, product=s.product, score=s.score, label=s.label
            )
            for s in person
        ) + tuple(
            LeadScore(
                subject="account", model=s.model, product=s.product, score=s.score, label=s.label
            )
            for s in accounts
        )

    def contexts(self, now: datetime, *, events: bool = True) -> Iterator[DecisionContext]:
        # without events the per-profile journey reads were nearly all the cost: one read
        # for everyone instead (histories are left out; positions do not use them)
        every = None if events else self._journeys.current_journeys(as_of=now)
        for profile_id in self._identity.profile_ids():
            journeys = None if every is None else every.get(profile_id, [])
            ctx = self.context(profile_id, now, events=events, journeys=journeys)
            if ctx is not None:
                yield ctx


def _support_case_open(recent: tuple[RecentEvent, ...]) -> bool:
    """Newest first: an open case is a creation not followed by a resolution."""
    for event in recent:
        if event.name in _SUPPORT_CLOSED:
            return False
        if event.name in _SUPPORT_OPEN:
            return True
    return False


class FlowProfiles:
    """``orchestrate.ports.Profiles`` over identity and journeys: flows see the resolved
    customer (every device and identifier), not the raw ids of one event."""

    def __init__(self, contexts: ProfileContexts, identity: IdentityService) -> None:
        self._contexts = contexts
        self._identity = identity

    def profile_id(self, event: Event) -> str | None:
        if event.user_id is not None:
            found = self._identity.resolve("user_id", event.user_id)
            if found is not None:
                return found
        if event.anonymous_id is not None:
            return self._identity.resolve("anonymous_id", event.anonymous_id)
        return None

    def get(self, profile_id: str, now: datetime) -> ProfileView | None:
        ctx = self._contexts.context(profile_id, now)
        if ctx is None:
            return None

        def first(kind: str) -> str | None:
            values = ctx.identifiers.get(kind)
            return values[0] if values else None

        user_id = first("user_id")
        return ProfileView(
            profile_id=ctx.profile_id,
            user_id=user_id,
            anonymous_id=None if user_id else first("anonymous_id"),
            email=first("email"),
            traits=ctx.traits,
            consent=ctx.consent,
            timezone=ctx.timezone,
            stages=tuple(
                StagePosition(model=p.model, product=p.product, stage=p.stage)
                for p in ctx.positions
            ),
            recent=tuple(
                FlowRecentEvent(label=e.name, at=e.at, properties=e.properties)
                for e in ctx.recent_events
            ),
        )

    def ids(self) -> Iterator[str]:
        yield from self._identity.profile_ids()


class _Profiles(Protocol):
    def profile(self, profile_id: str) -> Profile: ...


def trait_values(identity: _Profiles) -> Callable[[str], dict[str, Any]]:
    """A profile's current trait values (empty for an unknown profile), for accounts' roles;
    from the streaming ``IdentityService`` or a read-only ``StoredProfiles``."""

    def values(profile_id: str) -> dict[str, Any]:
        try:
            profile = identity.profile(profile_id)
        except ProfileNotFound:
            return {}
        return {key: trait.value for key, trait in profile.traits.items()}

    return values
