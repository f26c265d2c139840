"""The EventLog contract, held against every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from waymark.core.eventframe import EVENT_SCHEMA, arrow_to_events
from waymark.core.events import Event
from waymark.core.ports import EventLog
from waymark.store.duckdb.store import DuckDBStore
from waymark.store.memory.events import MemoryEventLog

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def ev(mid: str, *, source: str = "web", at: datetime = T0, **kw: object) -> Event:
    """A track event of ``u1``; ``kw`` replaces any other field (``user_id=None``, ``channel``)."""
    base = Event(
        message_id=mid,
        type="track",
        timestamp=at,
        received_at=at,
        source=source,
        user_id="u1",
        event="Product Viewed",
    )
    return msgspec.structs.replace(base, **kw)


def test_append_assigns_consecutive_seqs(event_log: EventLog) -> None:
    first = event_log.append([ev("a"), ev("b")])
    second = event_log.append([ev("c")])
    assert (first.stored, first.first_seq) == (2, 1)
    assert (second.stored, second.first_seq) == (1, 3)
    assert event_log.max_seq() == 3 == event_log.count()
    assert [e.message_id for e in event_log.events_after(0)] == ["a", "b", "c"]
    assert [e.seq for e in event_log.events_after(1)] == [2, 3]


def test_duplicates_are_dropped_per_source(event_log: EventLog) -> None:
    event_log.append([ev("a"), ev("b")])
    result = event_log.append([ev("a"), ev("a", source="app"), ev("c"), ev("c")])
    assert result.stored == 2
    assert result.duplicates == 2
    assert result.duplicate_indexes == (0, 3)
    assert sorted((e.source, e.message_id) for e in event_log.events_after(0)) == [
        ("app", "a"),
        ("web", "a"),
        ("web", "b"),
        ("web", "c"),
    ]


def test_dedupe_window_expires_but_all_time_does_not(event_log: EventLog) -> None:
    event_log.append([ev("a")])
    later = T0 + timedelta(days=8)
    assert event_log.append([ev("a", at=later)], dedupe_all_time=True).duplicates == 1
    assert event_log.append([ev("a", at=later)]).stored == 1


def test_round_trip_keeps_every_field(event_log: EventLog) -> None:
    original = Event(
        message_id="m1",
        type="track",
        timestamp=T0,
        received_at=T0 + timedelta(seconds=2),
        source="web",
        event="Order Completed",
        user_id="u1",
        anonymous_id="a1",
        original_timestamp=T0 - timedelta(hours=1),
        sent_at=T0,
        channel="web",
        campaign={"source": "facebook", "medium": "cpc"},
        properties={
            "product_id": "genius-kit",
            "price": 99.5,
            "tags": ["gift"],
            "nested": {"a": 1},
        },
        traits={"email": "ray@example.com"},
        context={"ip": "1.2.3.4", "library": {"name": "x"}},
        integrations={"All": True},
    )
    event_log.append([original])
    (stored,) = event_log.events_after(0)
    assert stored == Event(
        **{**{f: getattr(original, f) for f in original.__struct_fields__}, "seq": 1}
    )


def test_scan_gives_arrow_batches_in_seq_order(event_log: EventLog) -> None:
    event_log.append([ev(f"m{i}", at=T0 + timedelta(seconds=i)) for i in range(25)])
    batches = list(event_log.scan(after_seq=5, until_seq=20, batch_rows=4))
    table = pa.Table.from_batches(batches)
    assert table.schema.equals(EVENT_SCHEMA)
    assert table.column("seq").to_pylist() == list(range(6, 21))
    assert [e.message_id for e in arrow_to_events(table)] == [f"m{i}" for i in range(5, 20)]


def test_latest_filters_by_identifiers_newest_first(event_log: EventLog) -> None:
    event_log.append(
        [
            ev("1", user_id="u1", at=T0),
            ev("2", user_id=None, anonymous_id="a9", at=T0 + timedelta(minutes=1)),
            ev("3", user_id="u2", at=T0 + timedelta(minutes=2)),
            ev("4", user_id="u1", at=T0 + timedelta(minutes=3)),
        ]
    )
    assert [e.message_id for e in event_log.latest(user_ids=["u1"])] == ["4", "1"]
    assert [e.message_id for e in event_log.latest(user_ids=["u1"], anonymous_ids=["a9"])] == [
        "4",
        "2",
        "1",
    ]
    assert [e.message_id for e in event_log.latest(limit=2)] == ["4", "3"]
    assert [e.message_id for e in event_log.latest(before=T0 + timedelta(minutes=2))] == ["2", "1"]


ids = st.text(alphabet="abc", min_size=1, max_size=2)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    batches=st.lists(
        st.lists(st.tuples(st.sampled_from(["web", "app"]), ids), max_size=6), max_size=6
    )
)
def test_backends_agree_with_a_set_model(
    tmp_path: Path, batches: list[list[tuple[str, str]]]
) -> None:
    """Whatever the batches, each (source, messageId) is stored once, in first-seen order, by
    both backends alike."""
    store = DuckDBStore(tmp_path / f"d{abs(hash(str(batches)))}")
    memory = MemoryEventLog()
    expected: list[tuple[str, str]] = []
    try:
        for batch in batches:
            events = [ev(mid, source=src) for src, mid in batch]
            r1, r2 = store.events.append(events), memory.append(events)
            assert r1 == r2
            for pair in batch:
                if pair not in expected:
                    expected.append(pair)
        got = [(e.source, e.message_id) for e in store.events.events_after(0)]
        assert got == expected == [(e.source, e.message_id) for e in memory.events_after(0)]
    finally:
        store.close()


def test_duckdb_reopen_keeps_events_and_dedupe(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    store = DuckDBStore(tmp_path / "d")
    store.events.append([ev("a", at=now), ev("b", at=now)])
    store.close()
    store = DuckDBStore(tmp_path / "d")
    try:
        result = store.events.append([ev("a", at=now), ev("c", at=now)])
        assert (result.stored, result.first_seq) == (1, 3)
    finally:
        store.close()


def test_stats_count_sources_channels_and_span(event_log: EventLog) -> None:
    event_log.append(
        [
            ev("1", source="web", channel="web", at=T0),
            ev("2", source="web", channel="ads", at=T0 + timedelta(hours=1)),
            ev("3", source="crm", channel="call_centre", at=T0 + timedelta(hours=2)),
        ]
    )
    stats = event_log.stats()
    assert stats.events == 3
    assert stats.by_source == {"web": 2, "crm": 1}
    assert stats.by_channel == {"web": 1, "ads": 1, "call_centre": 1}
    assert (stats.first_event, stats.last_event) == (T0, T0 + timedelta(hours=2))


def test_delete_removes_events_and_keeps_seqs(event_log: EventLog) -> None:
    event_log.append([ev("a"), ev("b", user_id="gone"), ev("c"), ev("d", user_id="gone")])
    assert event_log.delete([2, 4, 99]) == 2
    assert [e.message_id for e in event_log.events_after(0)] == ["a", "c"]
    assert event_log.count() == 2
    assert [r for b in event_log.scan() for r in b.column("seq").to_pylist()] == [1, 3]
    assert event_log.latest(user_ids=["gone"]) == []
    assert event_log.delete([]) == 0
    # seqs are never handed out twice while the log is open
    assert event_log.append([ev("e")]).first_seq == 5
