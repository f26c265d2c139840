"""Identity, journeys and scoring wired as the runtime wires them (in memory), an in-memory
membership source satisfying the accounts contract, and an event builder."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from waymark.core.clock import FakeClock
from waymark.core.events import Event
from waymark.identity.api import IdentityService
from waymark.journey.api import JourneyService, load_model
from waymark.scoring.api import ScoringService, load_scoring_text
from waymark.scoring.contracts import ScoreLabelChanged
from waymark.scoring.ports import ScoreStore

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOURGLASS = load_model("hourglass")

CONFIG = """
models:
  hourglass:
    half_life_days: 10
    stage_weights: {engagement: 0.5, evaluation: 2, justification: 2}
    fit:
      - {trait: title, matches: "director|head", points: 15}
      - {trait: company_size, gte: 50, points: 10}
    engagement:
      evidence_points: 5
      rules:
        - {id: demo, events: [Demo Requested], points: 20}
    labels:
      - {name: marketing-qualified, min_score: 20, min_stage: research}
      - {name: sales-qualified, min_score: 45, min_stage: evaluation}
    account:
      top_members: 2
      fit:
        - {trait: employees, gte: 100, points: 10}
"""


class Members:
    """The accounts contract, in memory. An account's stage is its members' furthest (what
    the accounts feature's ``furthest`` rule gives); ``test_account_stage`` runs scoring on
    the real accounts feature with the other rules."""

    def __init__(self, journeys: JourneyService) -> None:
        self._journeys = journeys
        self.accounts: dict[str, set[str]] = {}
        self.traits: dict[str, dict[str, object]] = {}
        self._listeners: list[Callable[[list[str]], None]] = []

    def join(self, account_id: str, profile_id: str) -> None:
        self.accounts.setdefault(account_id, set()).add(profile_id)
        for listener in self._listeners:
            listener([account_id])

    def accounts_of(self, profile_id: str) -> list[str]:
        return sorted(a for a, m in self.accounts.items() if profile_id in m)

    def member_ids(self, account_id: str) -> list[str]:
        return sorted(self.accounts.get(account_id, ()))

    def account_traits(self, account_id: str) -> dict[str, object]:
        return dict(self.traits.get(account_id, {}))

    def account_stage(self, account_id: str, model: str, product: str) -> str | None:
        at = (
            self._journeys.current_stages(p).get((model, product))
            for p in self.member_ids(account_id)
        )
        return max((s for s in at if s is not None), key=HOURGLASS.stage_index, default=None)

    def subscribe(self, listener: Callable[[list[str]], None]) -> None:
        self._listeners.append(listener)


class World:
    def __init__(
        self, config: str = CONFIG, *, store: ScoreStore | None = None, members: bool = True
    ) -> None:
        self.clock = FakeClock(T0)
        self.identity = IdentityService()
        self.journeys = JourneyService([HOURGLASS], clock=self.clock)
        self.members = Members(self.journeys) if members else None
        self.scoring = ScoringService(
            load_scoring_text(config, [HOURGLASS]),
            identity=self.identity,
            journeys=self.journeys,
            store=store,
            memberships=self.members,
            clock=self.clock,
        )
        self.identity.subscribe(self.journeys.on_resolved)
        self.identity.subscribe(self.scoring.on_resolved)
        self.changes: list[ScoreLabelChanged] = []
        self.scoring.subscribe(self.changes.extend)
        self.events: list[Event] = []

    def event(
        self, user: str, name: str, day: float, *, type: str = "track", **props: Any
    ) -> Event:
        seq = len(self.events) + 1
        when = T0 + timedelta(days=day)
        traits = props.pop("traits", {})
        return Event(
            message_id=f"m{seq}",
            type=type,
            event=name if type == "track" else None,
            user_id=user,
            timestamp=when,
            received_at=when,
            properties=props,
            traits=traits,
            seq=seq,
        )

    def send(self, user: str, name: str, day: float, **props: Any) -> Event:
        """One event, committed at its own time (the clock moves to it)."""
        ev = self.event(user, name, day, **props)
        self.events.append(ev)
        self.clock.set(max(self.clock.now(), ev.timestamp))
        self.identity.observe([ev])
        return ev

    def identify(self, user: str, day: float, **traits: Any) -> Event:
        return self.send(user, "", day, type="identify", traits=traits)

    def pid(self, user: str) -> str:
        found = self.identity.resolve("user_id", user)
        assert found is not None
        return found
