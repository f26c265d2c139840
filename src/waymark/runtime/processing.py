"""The streaming chain over committed events: identity resolves each event to a profile,
journeys place it (and re-place merged profiles), accounts follow group calls, merges and their
members' journeys, then lead scoring scores it (last, so the labels it derives read the
stages and memberships the same batch reached). Decide's feedback has its own processor
(``decide.api.FeedbackProcessor``).

Identity, journeys, accounts and scoring persist separately, each with its own checkpoint, so
the chain's checkpoint is the lowest of them: after a restart the events after it are fed again,
and each feature skips what it had already applied (identity answers replayed events with their
current profile; journeys ignore events at or before their checkpoint).
"""

from __future__ import annotations

from collections.abc import Sequence

from waymark.accounts.api import AccountsService
from waymark.core.events import Event
from waymark.identity.api import IdentityService
from waymark.journey.api import JourneyService
from waymark.scoring.api import ScoringService


class DerivedState:
    """One pipeline processor for everything derived from the log in stream."""

    name = "derived"

    def __init__(
        self,
        identity: IdentityService,
        journeys: JourneyService,
        accounts: AccountsService,
        scoring: ScoringService | None = None,
    ) -> None:
        self.identity = identity
        self.journeys = journeys
        self.accounts = accounts
        self.scoring = scoring
        identity.subscribe(journeys.on_resolved)
        # after journeys, so accounts derive from their members' current stages
        identity.subscribe(accounts.on_resolved)
        if scoring is not None:
            identity.subscribe(scoring.on_resolved)

    def checkpoint(self) -> int:
        found = min(
            self.identity.checkpoint(), self.journeys.checkpoint(), self.accounts.checkpoint()
        )
        return found if self.scoring is None else min(found, self.scoring.checkpoint())

    def process(self, events: Sequence[Event]) -> None:
        self.identity.observe(events)

    def flush(self) -> None:
        self.identity.flush()
        self.journeys.flush()
        self.accounts.flush()
        if self.scoring is not None:
            self.scoring.flush()
