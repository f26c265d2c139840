"""The streaming chain over committed events: identity resolves each event to a profile,
journeys place it (and re-place merged profiles), then lead scoring scores it (after journeys,
so the labels it derives read the stages the same batch reached). Decide's feedback has its
own processor (``decide.api.FeedbackProcessor``).

Identity, journeys and scoring persist separately, each with its own checkpoint, so the
chain's checkpoint is the lowest: after a restart the events after it are fed again, and each
feature skips what it had already applied (identity answers replayed events with their current
profile; journeys ignore events at or before their checkpoint).
"""

from __future__ import annotations

from collections.abc import Sequence

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
        scoring: ScoringService | None = None,
    ) -> None:
        self.identity = identity
        self.journeys = journeys
        self.scoring = scoring
        identity.subscribe(journeys.on_resolved)
        if scoring is not None:
            identity.subscribe(scoring.on_resolved)

    def checkpoint(self) -> int:
        found = min(self.identity.checkpoint(), self.journeys.checkpoint())
        return found if self.scoring is None else min(found, self.scoring.checkpoint())

    def process(self, events: Sequence[Event]) -> None:
        self.identity.observe(events)

    def flush(self) -> None:
        self.identity.flush()
        self.journeys.flush()
        if self.scoring is not None:
            self.scoring.flush()
