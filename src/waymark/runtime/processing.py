"""The streaming chain over committed events: identity resolves each event to a profile,
journeys place it (and re-place merged profiles), accounts follow group calls, merges and their
members' journeys. Decide's feedback has its own processor
(``decide.api.FeedbackProcessor``).

Identity, journeys and accounts persist separately, each with its own checkpoint, so the chain's
checkpoint is the lowest of them: after a restart the events after it are fed again, and each
feature skips what it had already applied (identity answers replayed events with their current
profile; journeys ignore events at or before their checkpoint).
"""

from __future__ import annotations

from collections.abc import Sequence

from waymark.accounts.api import AccountsService
from waymark.core.events import Event
from waymark.identity.api import IdentityService
from waymark.journey.api import JourneyService


class DerivedState:
    """One pipeline processor for everything derived from the log in stream."""

    name = "derived"

    def __init__(
        self, identity: IdentityService, journeys: JourneyService, accounts: AccountsService
    ) -> None:
        self.identity = identity
        self.journeys = journeys
        self.accounts = accounts
        identity.subscribe(journeys.on_resolved)
        # after journeys, so accounts derive from their members' current stages
        identity.subscribe(accounts.on_resolved)

    def checkpoint(self) -> int:
        return min(
            self.identity.checkpoint(), self.journeys.checkpoint(), self.accounts.checkpoint()
        )

    def process(self, events: Sequence[Event]) -> None:
        self.identity.observe(events)

    def flush(self) -> None:
        self.identity.flush()
        self.journeys.flush()
        self.accounts.flush()
