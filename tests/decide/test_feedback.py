"""Feedback events train the propensities once each; a rebuild from the log gives the same."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.decide._helpers import NOW, catalog, context, experience
from waymark.core.eventframe import events_to_arrow
from waymark.core.events import Event
from waymark.decide.api import Decider, FeedbackProcessor, MemoryDecisionLog
from waymark.decide.contracts import DecideRequest, Feedback
from waymark.decide.ports import DecisionLog
from waymark.store.duckdb.decide import DuckDBDecisionLog
from waymark.store.duckdb.store import DuckDBStore

OUTCOME_EVENT = {"viewed": "Experience Viewed", "clicked": "Experience Clicked"}


def feedback_event(i: int, name: str, decision_id: str, experience_id: str) -> Event:
    return Event(
        message_id=f"m{i}",
        type="track",
        event=name,
        timestamp=NOW + timedelta(seconds=i),
        received_at=NOW + timedelta(seconds=i),
        properties={"decision_id": decision_id, "experience_id": experience_id},
    )


def decider(seed: int = 0, log: DecisionLog | None = None) -> Decider:
    cat = catalog(experience("a"), experience("b"), experience("c", stages={"hourglass": ["none"]}))
    return Decider(cat, rng=np.random.default_rng(seed), log=log)


def test_views_and_clicks_are_counted_once() -> None:
    d = decider()
    decision = d.decide(context(), DecideRequest(channel="web", count=1))
    exp = decision.experiences[0].id
    events = [
        feedback_event(0, "Experience Viewed", decision.decision_id, exp),
        feedback_event(1, "Experience Clicked", decision.decision_id, exp),
        feedback_event(2, "Experience Clicked", decision.decision_id, exp),
        feedback_event(3, "Page Viewed", decision.decision_id, exp),
        feedback_event(4, "Experience Clicked", "no-such-decision", exp),
    ]
    assert d.observe(events) == 2
    row, col = d.state.row(exp), d.state.col("none")
    assert row is not None and col is not None
    assert d.state.trials[row, col] == 1
    assert d.state.successes[row, col] == 1
    assert d.observe(events) == 0


def test_feedback_names_its_stage_or_takes_the_decisions() -> None:
    d = decider()
    explicit = Feedback(
        decision_id="elsewhere", experience_id="a", outcome="viewed", stage="evaluation"
    )
    assert d.apply_feedback([explicit]) == 1
    assert d.state.trials[d.state.row("a"), d.state.col("evaluation")] == 1


def test_catalog_changes_keep_the_counts() -> None:
    d = decider()
    d.apply_feedback([Feedback(decision_id="x", experience_id="b", outcome="viewed", stage="none")])
    doc = {"experiences": [experience("b"), experience("new")]}
    d.set_catalog(doc, at=NOW)
    assert d.state.trials[d.state.row("b"), d.state.col("none")] == 1
    assert d.state.row("a") is None


@settings(max_examples=30, deadline=None)
@given(
    plan=st.lists(
        st.tuples(st.integers(0, 5), st.sampled_from(["viewed", "clicked"]), st.integers(0, 2)),
        max_size=40,
    )
)
def test_streaming_equals_rebuild(plan: list[tuple[int, str, int]]) -> None:
    """Whatever order and repetition feedback comes in, counting it as it streams in and
    counting it from the log afterwards give the same state."""
    log = MemoryDecisionLog()
    live = decider(seed=1, log=log)
    decisions = [
        live.decide(context(f"p{i}"), DecideRequest(channel="web", count=2)) for i in range(6)
    ]
    events = []
    for n, (which, outcome, pick) in enumerate(plan):
        dec = decisions[which]
        exp = dec.experiences[min(pick, len(dec.experiences) - 1)].id
        events.append(feedback_event(n, OUTCOME_EVENT[outcome], dec.decision_id, exp))
    for chunk in (events[:7], events[7:20], events[20:]):
        live.observe(chunk)
    rebuilt = Decider(live.catalog, log=log)
    rebuilt.rebuild([events_to_arrow(events, first_seq=1).to_batches()[0]] if events else [])
    np.testing.assert_array_equal(live.state.trials, rebuilt.state.trials)
    np.testing.assert_array_equal(live.state.successes, rebuilt.state.successes)


def test_the_pipeline_processor_survives_a_restart(tmp_path: Path) -> None:
    """Counts after a restart (rebuilt from the log) equal the counts streaming had."""
    store = DuckDBStore(tmp_path)
    log = DuckDBDecisionLog(store.db)
    try:
        first = decider(seed=2, log=log)
        processor = FeedbackProcessor(first, store.events)
        decisions = [
            first.decide(context(f"p{i}"), DecideRequest(channel="web", count=1)) for i in range(5)
        ]
        events = [
            feedback_event(2 * n + k, name, d.decision_id, d.experiences[0].id)
            for n, d in enumerate(decisions)
            for k, name in enumerate(("Experience Viewed", "Experience Clicked"))
        ]
        committed = store.events.append(events)
        stored = store.events.events_after(committed.first_seq - 1)
        processor.process(stored[:6])
        processor.process(stored[6:])
        processor.process(stored)  # a repeat delivery is ignored
        assert first.state.trials.sum() == 5 and first.state.successes.sum() == 5
        again = decider(seed=3, log=log)
        restarted = FeedbackProcessor(again, store.events)
        assert restarted.checkpoint() == processor.checkpoint()
        np.testing.assert_array_equal(again.state.trials, first.state.trials)
        np.testing.assert_array_equal(again.state.successes, first.state.successes)
    finally:
        log.close()
        store.close()
