"""The identity graph's invariants, on random event sequences with adversarial identifiers:
streaming == rebuild, no profile over a limit (never two user_ids), and the result does not
depend on how the stream is cut into batches or where the process restarted."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.identity._gen import CONFIG, TIGHT, event, event_sequences, fingerprint
from waymark.core.eventframe import events_to_arrow
from waymark.core.events import Event
from waymark.identity._engine import Engine
from waymark.identity._rebuild import rebuild
from waymark.identity._snapshot import engine_from, to_snapshot
from waymark.identity.api import IdentityService
from waymark.identity.config import IdentityConfig
from waymark.identity.errors import ProfileNotFound
from waymark.store.memory.identity import MemoryProfileStore

# Generating long sequences dominates the time; the main property gets the most examples.
_MAIN = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _stream(config: IdentityConfig, events: list[Event]) -> Engine:
    engine = Engine(config)
    engine.observe(events)
    return engine


@pytest.mark.slow
@_MAIN
@given(events=event_sequences(), config=st.sampled_from([CONFIG, TIGHT]), rows=st.integers(1, 9))
def test_rebuild_equals_streaming(events: list[Event], config: IdentityConfig, rows: int) -> None:
    streamed = Engine(config)
    resolution = streamed.observe(events)
    built, assignment, report = rebuild(config, events_to_arrow(events).to_batches(rows))
    assert fingerprint(built) == fingerprint(streamed)
    assert assignment.column("profile_id").to_pylist() == list(resolution.final_profile_ids)
    assert assignment.column("seq").to_pylist() == [e.seq for e in events]
    assert report.events == len(events)
    assert report.merges == len(resolution.merges)
    assert report.refused == len(resolution.refused)


@_SETTINGS
@given(events=event_sequences(), config=st.sampled_from([CONFIG, TIGHT]))
def test_no_profile_exceeds_a_limit(events: list[Event], config: IdentityConfig) -> None:
    engine = _stream(config, events)
    limits = {t.name: t.limit for t in config.types}
    for state in engine.graph.profiles.values():
        per_type = Counter(t for t, _ in state.keys)
        assert per_type["user_id"] <= 1
        assert all(n <= limits[t] for t, n in per_type.items())
        assert per_type == Counter(state.counts)
    # every identifier belongs to exactly one live profile
    held = [key for s in engine.graph.profiles.values() for key in s.keys]
    assert len(held) == len(set(held)) == len(engine.graph.owner)
    assert all(engine.graph.owner[k].pid in engine.graph.profiles for k in held)
    # blocked values never become identifiers
    values = {v.strip().lower() for _, v in held}
    assert not values & {"null", "0", "-1", "", "n/a"}


@_SETTINGS
@given(events=event_sequences(), cuts=st.lists(st.integers(1, 40), max_size=4))
def test_batching_does_not_matter(events: list[Event], cuts: list[int]) -> None:
    whole = _stream(CONFIG, events)
    pieces = Engine(CONFIG)
    start = 0
    for cut in sorted(set(cuts)):
        pieces.observe(events[start:cut])
        start = max(start, cut)
    pieces.observe(events[start:])
    assert fingerprint(pieces) == fingerprint(whole)


@_SETTINGS
@given(events=event_sequences(), at=st.integers(0, 40), flushes=st.integers(1, 3))
def test_restart_from_the_store_resumes_exactly(events: list[Event], at: int, flushes: int) -> None:
    """Flush (possibly several times) as a server would, restart from the stored state, feed
    the rest: the same state as never stopping."""
    store = MemoryProfileStore()
    first = Engine(CONFIG)
    head = events[:at]
    step = max(1, len(head) // flushes)
    for i in range(0, len(head), step):
        first.observe(head[i : i + step])
        position = first.logged
        changed, removed, records = first.take_changes()
        store.save(
            to_snapshot(changed, first, records, position),
            removed=sorted(removed),
            checkpoint=first.checkpoint,
        )
    resumed = engine_from(CONFIG, store.load(), store.checkpoint())
    resumed.observe(events[at:])
    assert fingerprint(resumed) == fingerprint(_stream(CONFIG, events))


@_SETTINGS
@given(events=event_sequences())
def test_final_ids_resolve_every_earlier_id(events: list[Event]) -> None:
    engine = Engine(CONFIG)
    resolution = engine.observe(events)
    for at_time, final in zip(resolution.profile_ids, resolution.final_profile_ids, strict=True):
        assert (at_time is None) == (final is None)
        if at_time is not None:
            assert engine.graph.canonical(at_time) == final
            assert final in engine.graph.profiles


@given(events=event_sequences(), late=st.lists(st.integers(0, 90), min_size=1, max_size=6))
def test_trait_values_are_the_profiles_current_traits(events: list[Event], late: list[int]) -> None:
    """``trait_values`` (what lead scoring reads per person) answers what the full profile's
    traits say, whatever the order values arrived in."""
    service = IdentityService(CONFIG)
    service.observe(events)
    restated = [
        event(len(events) + n + 1, type="identify", user_id="u1",
              traits={"plan": f"p{m % 3}", "seats": m}, minutes=m)
        for n, m in enumerate(late)
    ]  # fmt: skip
    service.observe(restated)
    for profile_id in service.profile_ids():
        profile = service.profile(profile_id)
        assert service.trait_values(profile_id) == {k: t.value for k, t in profile.traits.items()}
    with pytest.raises(ProfileNotFound):
        service.trait_values("no-such-profile")
