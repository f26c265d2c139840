"""The journey service over the DuckDB store: persistence, restart, rebuild, reads."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import msgspec
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings

from tests.journey._strategies import T0, events
from tests.journey.test_engine import SHIPPED, Log, check_invariants
from waymark.core.clock import FakeClock
from waymark.core.eventframe import events_to_arrow
from waymark.core.events import Event
from waymark.journey.api import JourneyEngine, JourneyService, load_model
from waymark.journey.contracts import JourneyState, Status
from waymark.journey.errors import ModelNotFound
from waymark.store.duckdb._database import Database
from waymark.store.duckdb.journey import DuckDBJourneyStore

HOURGLASS = load_model("hourglass")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "data")
    yield database
    database.close()


def _key(s: JourneyState) -> tuple[str, str, str]:
    return (s.model, s.profile_id, s.product)


def _all(service: JourneyService, profiles: list[str]) -> list[JourneyState]:
    return sorted((s for p in sorted(set(profiles)) for s in service.states(p)), key=_key)


def test_flush_and_restart_give_the_same_journeys(db: Database) -> None:
    log = Log()
    batch = [
        log.track("Ad Clicked", 0),
        log.track("Product Viewed", 1, product_id="g"),
        log.track("Order Completed", 2, product_id="g"),
        log.track("Product Reviewed", 9, product_id="g"),
    ]
    service = JourneyService(SHIPPED, store=DuckDBJourneyStore(db))
    service.observe(batch, ["p1", "p1", "p2", "p2"])
    service.flush()
    before = _all(service, ["p1", "p2"])

    again = JourneyService(SHIPPED, store=DuckDBJourneyStore(db))
    assert again.checkpoint() == 4
    assert _all(again, ["p1", "p2"]) == before
    # replaying what is already stored changes nothing
    assert again.observe(batch, ["p1", "p1", "p2", "p2"]) == []
    # a late event for a stored profile refolds it from the stored evidence
    late = log.track("Product Viewed", 1.5, product_id="g")
    again.observe([late], ["p2"])
    fresh = JourneyEngine(SHIPPED)
    fresh.observe([*batch, late], ["p1", "p1", "p2", "p2", "p2"])
    assert _all(again, ["p1", "p2"]) == sorted([*fresh.states("p1"), *fresh.states("p2")], key=_key)


class _Merge(msgspec.Struct, frozen=True):
    profile_id: str
    other_id: str


class _Resolution(msgspec.Struct, frozen=True):
    final_profile_ids: tuple[str | None, ...]
    merges: tuple[_Merge, ...] = ()


def test_identity_wiring_merges_then_places(db: Database) -> None:
    log = Log()
    service = JourneyService([HOURGLASS], store=DuckDBJourneyStore(db))
    seen: list[str] = []
    service.subscribe(lambda changes: seen.extend(c.to_stage for c in changes))
    service.on_resolved([log.track("Order Completed", 0, product_id="g")], _Resolution(("anon",)))
    service.flush()
    service.on_resolved(
        [log.track("Product Reviewed", 1, product_id="g"), log.track("Ad Clicked", 2)],
        _Resolution(("known", None), merges=(_Merge("known", "anon"),)),
    )
    assert seen == ["purchase", "purchase", "advocacy"]
    assert {s.product: s.stage for s in service.states("known")} == {"g": "advocacy"}
    service.flush()
    again = JourneyService([HOURGLASS], store=DuckDBJourneyStore(db))
    assert again.states("anon") == []  # merged away: its rows are gone
    assert [s.stage for s in again.states("known")] == ["advocacy"]


@pytest.mark.slow
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(batch=events(count=50))
def test_rebuild_through_the_store_equals_streaming(tmp_path: Path, batch: list[Event]) -> None:
    labels = [f"p{e.seq % 3}" for e in batch]
    # a fresh directory per example (hypothesis reuses tmp_path)
    database = Database.open(Path(tempfile.mkdtemp(dir=tmp_path)) / "data")
    try:
        streamed = JourneyService(SHIPPED, store=DuckDBJourneyStore(database))
        streamed.observe(batch, labels)
        expected = _all(streamed, labels)
        check_invariants(SHIPPED, expected)
        rebuilt = JourneyService(SHIPPED, store=DuckDBJourneyStore(database))
        arrow = events_to_arrow(batch).to_batches()[0]
        rebuilt.rebuild([(arrow, pa.array(labels))], checkpoint=batch[-1].seq)
        assert _all(rebuilt, labels) == expected
        # as-of queries agree with the histories
        for day in (0, 5, 20):
            when = T0 + timedelta(days=day)
            table = rebuilt.stages_as_of("hourglass", when)
            expected_rows = sorted(
                (s.profile_id, s.product, [t for t in s.history if t.at <= when][-1].to_stage)
                for s in expected
                if s.model == "hourglass" and s.history[0].at <= when
            )
            got = list(
                zip(
                    *(table.column(c).to_pylist() for c in ("profile_id", "product", "stage")),
                    strict=True,
                )
            )
            assert got == expected_rows
    finally:
        database.close()


def test_counts_by_stage_and_status(db: Database) -> None:
    log = Log()
    clock = FakeClock(T0)
    service = JourneyService([HOURGLASS], store=DuckDBJourneyStore(db), clock=clock)
    service.observe(
        [
            log.track("Product Viewed", 0, product_id="g"),
            log.track("Product Viewed", 0, product_id="s"),
            log.track("Order Completed", 0, product_id="k"),
            log.track("Order Delivered", 1, product_id="k"),
        ],
        ["a", "b", "c", "c"],
    )
    clock.set(T0 + timedelta(days=10))
    counts = service.counts("hourglass")
    table = {(c.stage, c.status): c.count for c in counts.counts if c.count}
    assert table == {("evaluation", Status.ACTIVE): 2, ("adoption", Status.ACTIVE): 1}
    clock.set(T0 + timedelta(days=20))  # evaluation stalls after 14 days
    table = {(c.stage, c.status): c.count for c in service.counts("hourglass").counts if c.count}
    assert table == {("evaluation", Status.STALLED): 2, ("adoption", Status.ACTIVE): 1}
    clock.set(T0 + timedelta(days=40))  # adoption lapses after 30 quiet days
    table = {
        (c.stage, c.status): c.count
        for c in service.counts("hourglass", product="k").counts
        if c.count
    }
    assert table == {("adoption", Status.LAPSED): 1}
    assert service.products("hourglass") == ["g", "k", "s"]
    with pytest.raises(ModelNotFound):
        service.counts("nope")


def test_journeys_view_has_status_and_history() -> None:
    log = Log()
    clock = FakeClock(T0 + timedelta(days=3))
    service = JourneyService([HOURGLASS], clock=clock)
    service.observe(
        [
            log.track("Product Viewed", 0, product_id="g"),
            log.track("Order Completed", 1, product_id="g"),
        ],
        ["a", "a"],
    )
    (view,) = service.journeys("a")
    assert (view.stage, view.phase, view.furthest, view.status) == (
        "purchase",
        "pre_purchase",
        "purchase",
        Status.ACTIVE,
    )
    assert view.since == T0 + timedelta(days=1)
    assert [t.to_stage for t in view.history] == ["evaluation", "purchase"]
    (later,) = service.journeys("a", as_of=T0 + timedelta(days=30))
    assert later.status == Status.STALLED


def test_current_stages_are_the_states_stages(db: Database) -> None:
    log = Log()
    batch = [
        log.track("Ad Clicked", 0),
        log.track("Product Viewed", 1, product_id="g"),
        log.track("Order Completed", 2, product_id="h"),
    ]
    for store in (None, DuckDBJourneyStore(db)):
        service = JourneyService(SHIPPED, store=store)
        service.observe(batch, ["p1", "p1", "p1"])
        service.flush()
        expected = {(s.model, s.product): s.stage for s in service.states("p1")}
        assert service.current_stages("p1") == expected
        assert ("hourglass", "g") in expected
        again = JourneyService(SHIPPED, store=store)  # not loaded: read from the store
        if store is not None:
            assert again.current_stages("p1") == expected
