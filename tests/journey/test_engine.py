"""The stage engine: seed 003's rules, streaming == rebuild, merges, and the invariants."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import timedelta

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.journey._strategies import T0, events, models
from waymark.core.eventframe import events_to_arrow
from waymark.core.events import Event
from waymark.journey._engine import StreamingEngine
from waymark.journey._rebuild import rebuild
from waymark.journey._tables import states_from_tables
from waymark.journey.api import load_model
from waymark.journey.contracts import BRAND, JourneyModel, JourneyState, StageChanged

HOURGLASS = load_model("hourglass")


class Log:
    """Builds events with increasing seqs."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def track(self, name: str, day: float, **props: object) -> Event:
        seq = len(self.events) + 1
        when = T0 + timedelta(days=day)
        event = Event(
            message_id=f"m{seq}",
            type="track",
            event=name,
            timestamp=when,
            received_at=when,
            properties=props,
            seq=seq,
        )
        self.events.append(event)
        return event


def _place(model: JourneyModel, *steps: tuple[str, float, dict[str, object]]) -> StreamingEngine:
    log = Log()
    for name, day, props in steps:
        log.track(name, day, **props)
    engine = StreamingEngine([model])
    engine.observe(log.events, ["p"] * len(log.events))
    return engine


def _stage(engine: StreamingEngine, product: str = "g") -> str:
    (state,) = [s for s in engine.states("p") if s.product == product]
    return state.stage


G = {"product_id": "g"}


def test_enter_at_any_pre_purchase_stage_and_skip_stages() -> None:
    engine = _place(HOURGLASS, ("Product Shared", 0, G), ("Order Completed", 1, G))
    (state,) = engine.states("p")
    assert state.stage == "purchase"
    assert [(t.from_stage, t.to_stage) for t in state.history] == [
        (None, "justification"),
        ("justification", "purchase"),
    ]


def test_post_purchase_evidence_needs_a_purchase_of_that_product() -> None:
    engine = _place(
        HOURGLASS,
        ("Product Viewed", 0, G),
        ("Product Reviewed", 1, G),
        ("Order Completed", 2, {"product_id": "other"}),
        ("Product Reviewed", 3, G),
    )
    assert _stage(engine) == "evaluation"
    engine = _place(HOURGLASS, ("Order Completed", 0, G), ("Product Reviewed", 1, G))
    assert _stage(engine) == "advocacy"


def test_moving_back_waits_for_the_configured_quiet_time() -> None:
    # research evidence one day after evaluation evidence does not move back ...
    engine = _place(HOURGLASS, ("Product Viewed", 0, G), ("Products Searched", 1, G))
    assert _stage(engine) == "evaluation"
    # ... but 3 days without evaluation evidence does.
    engine = _place(HOURGLASS, ("Product Viewed", 0, G), ("Products Searched", 3, G))
    assert _stage(engine) == "research"
    (state,) = engine.states("p")
    assert state.furthest == "evaluation"


def test_owners_do_not_fall_back_before_purchase() -> None:
    engine = _place(
        HOURGLASS,
        ("Order Completed", 0, G),
        ("Order Delivered", 2, G),
        ("Product Viewed", 30, G),
    )
    assert _stage(engine) == "adoption"


def test_a_customer_is_in_different_stages_for_different_products() -> None:
    engine = _place(
        HOURGLASS,
        ("Order Completed", 0, G),
        ("Product Viewed", 1, {"product_id": "s"}),
        ("Ad Clicked", 2, {}),
    )
    assert {s.product: s.stage for s in engine.states("p")} == {
        "g": "purchase",
        "s": "evaluation",
        BRAND: "engagement",
    }


def test_an_upsell_order_is_expansion_for_an_owner() -> None:
    engine = _place(
        HOURGLASS,
        ("Order Completed", 0, G),
        ("Order Completed", 40, {"product_id": "g", "order_type": "upsell"}),
    )
    assert _stage(engine) == "expansion"


def test_stage_changes_are_emitted_as_they_happen() -> None:
    log = Log()
    engine = StreamingEngine([HOURGLASS])
    first = engine.observe([log.track("Product Viewed", 0, **G)], ["p"])
    second = engine.observe([log.track("Order Completed", 1, **G)], ["p"])
    none = engine.observe([log.track("Checkout Started", 1.5, **G)], ["p"])
    assert [(c.from_stage, c.to_stage, c.direction, c.seq) for c in first + second] == [
        (None, "evaluation", "enter", 1),
        ("evaluation", "purchase", "forward", 2),
    ]
    assert none == []


def test_a_late_event_rewrites_history_in_time_order() -> None:
    log = Log()
    engine = StreamingEngine([HOURGLASS])
    engine.observe([log.track("Order Completed", 5, **G)], ["p"])
    changes = engine.observe([log.track("Product Viewed", 1, **G)], ["p"])
    assert changes == []  # still in purchase
    (state,) = engine.states("p")
    assert [t.to_stage for t in state.history] == ["evaluation", "purchase"]


def test_a_merge_replays_the_union_of_both_histories() -> None:
    log = Log()
    engine = StreamingEngine([HOURGLASS])
    engine.observe(
        [log.track("Order Completed", 0, **G), log.track("Product Reviewed", 2, **G)],
        ["anon", "known"],
    )
    assert _stage_of(engine, "known") == []
    changes = engine.merge("known", "anon")
    assert [(c.profile_id, c.to_stage) for c in changes] == [("known", "advocacy")]
    assert engine.states("anon") == engine.states("known")
    # events still labelled with the absorbed id land on the survivor
    engine.observe([log.track("Referral Sent", 3, **G)], ["anon"])
    assert [s.profile_id for s in engine.states("known")] == ["known"]


def _stage_of(engine: StreamingEngine, profile: str) -> list[str]:
    return [s.stage for s in engine.states(profile)]


# -- properties ------------------------------------------------------------------------------


def _key(state: JourneyState) -> tuple[str, str, str]:
    return (state.model, state.profile_id, state.product)


def check_invariants(models_: Sequence[JourneyModel], states: list[JourneyState]) -> None:
    by_name = {m.name: m for m in models_}
    for state in states:
        model = by_name[state.model]
        stage = model.stage_index(state.stage)
        assert model.stage_index(state.furthest) >= stage
        history = state.history
        assert history, state
        assert history[0].from_stage is None
        assert history[-1].to_stage == state.stage
        assert history[-1].at == state.entered_at
        for before, after in itertools.pairwise(history):
            assert after.from_stage == before.to_stage
            assert after.to_stage != after.from_stage
            assert after.at >= before.at
        assert max(model.stage_index(t.to_stage) for t in history) == model.stage_index(
            state.furthest
        )
        for t in history:
            if model.stages[model.stage_index(t.to_stage)].phase == "post_purchase":
                assert state.purchased_at is not None
                assert state.purchased_at <= t.at
        assert state.last_evidence_at >= state.entered_at


def _final(label: str, merges: list[tuple[str, str]]) -> str:
    alias: dict[str, str] = {}

    def resolve(x: str) -> str:
        while x in alias:
            x = alias[x]
        return x

    for survivor, absorbed in merges:
        s, a = resolve(survivor), resolve(absorbed)
        if s != a:
            alias[a] = s
    return resolve(label)


@st.composite
def streams(
    draw: st.DrawFn, *, count: int = 40
) -> tuple[list[Event], list[str], list[int], list[tuple[int, str, str]]]:
    batch = draw(events(count=count))
    labels = [draw(st.sampled_from("abcd")) for _ in batch]
    cuts = sorted(set(draw(st.lists(st.integers(0, len(batch)), max_size=4))))
    merges = draw(
        st.lists(
            st.tuples(st.integers(0, len(batch)), st.sampled_from("abcd"), st.sampled_from("abcd")),
            max_size=3,
        )
    )
    return batch, labels, cuts, sorted(merges)


def _stream(
    models_: Sequence[JourneyModel],
    batch: list[Event],
    labels: list[str],
    cuts: list[int],
    merges: list[tuple[int, str, str]],
) -> tuple[StreamingEngine, list[StageChanged]]:
    engine = StreamingEngine(models_)
    changes: list[StageChanged] = []
    points = sorted({0, len(batch), *cuts, *(at for at, _, _ in merges)})
    for start, end in itertools.pairwise(points):
        for at, survivor, absorbed in merges:
            if at == start:
                changes += engine.merge(survivor, absorbed)
        changes += engine.observe(batch[start:end], labels[start:end])
    for at, survivor, absorbed in merges:
        if at == len(batch):
            changes += engine.merge(survivor, absorbed)
    return engine, changes


def _rebuilt(
    models_: Sequence[JourneyModel],
    batch: list[Event],
    labels: list[str],
    merges: list[tuple[str, str]],
) -> list[JourneyState]:
    arrow = events_to_arrow(batch).to_batches(max_chunksize=25)
    ids = [_final(label, merges) for label in labels]
    pairs = []
    offset = 0
    for part in arrow:
        pairs.append((part, pa.array(ids[offset : offset + part.num_rows])))
        offset += part.num_rows
    result = rebuild(models_, pairs)
    assert result.events == len(batch)
    return states_from_tables(result.states, result.transitions)


def _assert_same(
    models_: Sequence[JourneyModel],
    data: tuple[list[Event], list[str], list[int], list[tuple[int, str, str]]],
) -> None:
    batch, labels, cuts, merges = data
    streamed, changes = _stream(models_, batch, labels, cuts, merges)
    rebuilt = _rebuilt(models_, batch, labels, [(s, a) for _, s, a in merges])
    left = sorted(streamed.all_states(), key=_key)
    right = sorted(rebuilt, key=_key)
    assert left == right
    check_invariants(models_, left)
    # The last change emitted for a journey says where it stands (a merged-away profile's
    # changes are superseded by the merge's own changes for the survivor).
    last: dict[tuple[str, str, str], str] = {}
    for change in changes:
        last[(change.model, change.profile_id, change.product)] = change.to_stage
    assert {_key(s): s.stage for s in left} == {
        k: v for k, v in last.items() if k in {_key(s) for s in left}
    }


SHIPPED = [load_model(n) for n in ("hourglass", "value-journey", "buy-own-advocate")]


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=streams(count=60))
def test_streaming_equals_rebuild_on_the_shipped_models(
    data: tuple[list[Event], list[str], list[int], list[tuple[int, str, str]]],
) -> None:
    _assert_same(SHIPPED, data)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=models(), data=streams(count=40))
def test_streaming_equals_rebuild_on_random_models(
    model: JourneyModel,
    data: tuple[list[Event], list[str], list[int], list[tuple[int, str, str]]],
) -> None:
    _assert_same([model], data)
