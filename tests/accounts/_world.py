"""A small streaming world for accounts tests: real identity, journeys and accounts services
chained as the pipeline chains them, fed events with increasing seqs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from waymark.accounts.api import AccountsConfig, AccountsService, AccountStore, config_for
from waymark.core.events import Event
from waymark.identity.api import IdentityService
from waymark.journey.api import JourneyService, load_model
from waymark.runtime.contexts import trait_values
from waymark.runtime.processing import DerivedState

T0 = datetime(2026, 3, 1, tzinfo=UTC)
MODELS = (load_model("hourglass"), load_model("value-journey"))
DEFAULTS = config_for(Path("/nonexistent"), MODELS)


class World:
    def __init__(
        self, config: AccountsConfig = DEFAULTS, store: AccountStore | None = None
    ) -> None:
        self.identity = IdentityService()
        self.journeys = JourneyService(MODELS)
        self.accounts = AccountsService(
            config,
            MODELS,
            stages_of=self.journeys.states,
            traits_of=trait_values(self.identity),
            store=store,
        )
        self.derived = DerivedState(self.identity, self.journeys, self.accounts)
        self.events: list[Event] = []

    def _event(self, user: str, day: float, **fields: Any) -> Event:
        seq = len(self.events) + 1
        when = T0 + timedelta(days=day)
        ids = {"anonymous_id": user} if user.startswith("anon") else {"user_id": user}
        return Event(
            message_id=f"m{seq}", timestamp=when, received_at=when, seq=seq, **ids, **fields
        )

    def group(self, user: str, account: str, day: float, **traits: Any) -> Event:
        return self.send(self._event(user, day, type="group", group_id=account, traits=traits))

    def identify(self, user: str, day: float, **traits: Any) -> Event:
        return self.send(self._event(user, day, type="identify", traits=traits))

    def track(self, user: str, name: str, day: float, product: str = "kit") -> Event:
        props = {"product_id": product}
        return self.send(self._event(user, day, type="track", event=name, properties=props))

    def send(self, event: Event) -> Event:
        self.events.append(event)
        self.derived.process([event])
        return event

    def profile(self, user: str) -> str:
        kind = "anonymous_id" if user.startswith("anon") else "user_id"
        pid = self.identity.resolve(kind, user)
        assert pid is not None
        return pid
