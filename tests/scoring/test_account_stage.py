"""An account's label reads the account's own stage, as the accounts feature derives it by
the model's rule, not its members' furthest stage."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.scoring._world import CONFIG, HOURGLASS, T0
from waymark.accounts.api import AccountsService
from waymark.accounts.config import load_accounts_text
from waymark.core.clock import FakeClock
from waymark.core.events import Event
from waymark.identity.api import IdentityService
from waymark.journey.api import JourneyService
from waymark.runtime.contexts import trait_values
from waymark.runtime.processing import DerivedState
from waymark.scoring.api import ScoringService, load_scoring_text
from waymark.scoring.contracts import ScoreLabelChanged

G = {"product_id": "g"}


class Accounts:
    """Identity, journeys, the real accounts feature with one stage rule, and scoring, chained
    as the pipeline chains them."""

    def __init__(self, rule: str) -> None:
        self.clock = FakeClock(T0)
        self.identity = IdentityService()
        self.journeys = JourneyService([HOURGLASS], clock=self.clock)
        accounts_yaml = f"models:\n  hourglass:\n    rule: {rule}\n"
        self.accounts = AccountsService(
            load_accounts_text(accounts_yaml, file="accounts.yaml", models=[HOURGLASS]),
            [HOURGLASS],
            stages_of=self.journeys.states,
            traits_of=trait_values(self.identity),
        )
        self.scoring = ScoringService(
            load_scoring_text(CONFIG, [HOURGLASS]),
            identity=self.identity,
            journeys=self.journeys,
            memberships=self.accounts,
            clock=self.clock,
        )
        self.derived = DerivedState(self.identity, self.journeys, self.accounts, self.scoring)
        self.changes: list[ScoreLabelChanged] = []
        self.scoring.subscribe(self.changes.extend)
        self.seq = 0

    def send(self, user: str, day: float, **fields: Any) -> None:
        self.seq += 1
        when = T0 + timedelta(days=day)
        self.clock.set(max(self.clock.now(), when))
        event = Event(
            message_id=f"m{self.seq}",
            user_id=user,
            timestamp=when,
            received_at=when,
            seq=self.seq,
            **fields,
        )
        self.derived.process([event])

    def track(self, user: str, name: str, day: float) -> None:
        self.send(user, day, type="track", event=name, properties=G)

    def school(self) -> None:
        """Three members: two clicked ads (engagement), then one requested a demo (evaluation).
        Top two engagements 40 + 2.5, plus 10 for the account's size: 52.5, enough for
        sales-qualified (45, at least evaluation) if the account is at evaluation."""
        for user in ("ann", "bo", "cy"):
            self.send(user, 0, type="group", group_id="school", traits={"employees": 150})
        self.track("bo", "Ad Clicked", 0)
        self.track("cy", "Ad Clicked", 0)
        self.track("ann", "Demo Requested", 0)

    def labels(self) -> list[tuple[str | None, str | None]]:
        return [(c.old, c.new) for c in self.changes if c.subject == "account"]


def test_majority_rule_holds_the_label_back_where_furthest_would_give_it() -> None:
    w = Accounts("majority")
    w.school()
    (s,) = w.scoring.account("school").scores
    assert s.stage == "engagement", "the account's majority stage, not ann's evaluation"
    assert w.accounts.account_stage("school", "hourglass", "g") == "engagement"
    assert s.score == pytest.approx(52.5)
    assert s.label is None
    assert w.labels() == []
    # two members move on: the majority is at evaluation now, and the account qualifies
    w.track("bo", "Demo Requested", 1)
    w.track("cy", "Demo Requested", 1)
    (s,) = w.scoring.account("school").scores
    assert s.stage == "evaluation"
    assert s.label == "sales-qualified"
    assert w.labels() == [(None, "sales-qualified")]


def test_furthest_rule_gives_the_label_on_the_same_events() -> None:
    w = Accounts("furthest")
    w.school()
    (s,) = w.scoring.account("school").scores
    assert s.stage == "evaluation"
    assert s.label == "sales-qualified"
