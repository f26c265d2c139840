"""Outside signals are not a customer's behaviour: adding any signals to any event stream
changes no profile, no merge and no journey, streaming or rebuilt, even when a signal carries
a customer's ids and properties that a model's rules would take as evidence."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.identity._gen import CONFIG, event_sequences, fingerprint
from tests.journey._strategies import events as journey_events
from tests.journey._strategies import models
from waymark.core.eventframe import events_to_arrow
from waymark.core.events import Event
from waymark.core.signals import OUTSIDE_SIGNAL, SIGNAL_KINDS
from waymark.identity._engine import Engine
from waymark.identity._rebuild import rebuild as identity_rebuild
from waymark.journey._engine import StreamingEngine
from waymark.journey._rebuild import rebuild as journey_rebuild
from waymark.journey._tables import states_from_tables
from waymark.journey.api import load_model
from waymark.journey.contracts import JourneyModel, JourneyState

_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SHIPPED = [load_model(n) for n in ("hourglass", "value-journey", "buy-own-advocate")]


@st.composite
def signal_props(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "kind": draw(st.sampled_from(SIGNAL_KINDS)),
        "stage": draw(st.sampled_from(SHIPPED[0].stage_names)),
        "product": draw(st.sampled_from(["kit", "pro"])),
        "brand": draw(st.sampled_from(["ours", "rival"])),
        "source": "somewhere",
    }


@st.composite
def with_signals(draw: st.DrawFn, base: list[Event]) -> tuple[list[Event], list[bool]]:
    """``base`` with some of its events copied as outside signals (same ids, traits, context
    and properties: the worst case), inserted anywhere; seqs renumbered 1..n."""
    mixed: list[tuple[Event, bool]] = [(e, False) for e in base]
    for _ in range(draw(st.integers(1, 10))):
        source = draw(st.sampled_from(base))
        signal = msgspec.structs.replace(
            source,
            type="track",
            event=OUTSIDE_SIGNAL,
            name=None,
            properties={**source.properties, **draw(signal_props())},
        )
        mixed.insert(draw(st.integers(0, len(mixed))), (signal, True))
    out = [
        msgspec.structs.replace(e, seq=i, message_id=f"x{i}") for i, (e, _) in enumerate(mixed, 1)
    ]
    return out, [s for _, s in mixed]


def _without(events: Sequence[Event], signals: Sequence[bool]) -> list[Event]:
    return [e for e, s in zip(events, signals, strict=True) if not s]


@_SETTINGS
@given(data=event_sequences().flatmap(with_signals))
def test_signals_found_join_and_merge_no_profile(data: tuple[list[Event], list[bool]]) -> None:
    events, signals = data
    streamed = Engine(CONFIG)
    resolution = streamed.observe(events)
    alone = Engine(CONFIG)
    alone.observe(_without(events, signals))
    # the checkpoint (last seq seen) aside, everything is as if the signals never came
    assert fingerprint(streamed)[:-1] == fingerprint(alone)[:-1]
    assert all(p is None for p, s in zip(resolution.profile_ids, signals, strict=True) if s)
    rebuilt, assignment, _ = identity_rebuild(CONFIG, events_to_arrow(events).to_batches(7))
    assert fingerprint(rebuilt) == fingerprint(streamed)
    assert assignment.column("profile_id").to_pylist() == list(resolution.final_profile_ids)


def _key(state: JourneyState) -> tuple[str, str, str]:
    return state.model, state.profile_id, state.product


def _streamed(models_: Sequence[JourneyModel], events: list[Event], labels: list[str]) -> Any:
    engine = StreamingEngine(models_)
    engine.observe(events, labels)
    return sorted(engine.all_states(), key=_key)


def _rebuilt(models_: Sequence[JourneyModel], events: list[Event], labels: list[str]) -> Any:
    pairs = []
    offset = 0
    for batch in events_to_arrow(events).to_batches(max_chunksize=25):
        pairs.append((batch, pa.array(labels[offset : offset + batch.num_rows], pa.string())))
        offset += batch.num_rows
    result = journey_rebuild(models_, pairs)
    return sorted(states_from_tables(result.states, result.transitions), key=_key)


@_SETTINGS
@given(
    model=st.one_of(st.just(None), models()),
    data=journey_events(count=30).flatmap(with_signals),
    people=st.lists(st.sampled_from(["p1", "p2", "p3"]), min_size=80, max_size=80),
)
def test_signals_place_no_one_even_with_a_profile(
    model: JourneyModel | None, data: tuple[list[Event], list[bool]], people: list[str]
) -> None:
    """Even handed a profile (identity gives them none), a signal is no evidence: random
    models' rules (``type: track`` with conditions on properties) included."""
    models_ = SHIPPED if model is None else [model]
    events, signals = data
    labels = people[: len(events)]
    plain = _without(events, signals)
    plain_labels = [p for p, s in zip(labels, signals, strict=True) if not s]
    expected = _streamed(models_, plain, plain_labels)
    assert _streamed(models_, events, labels) == expected
    assert _rebuilt(models_, events, labels) == expected
