"""Events as Arrow columns: the column-at-a-time conversion loses nothing and matches the
row-at-a-time conversion it replaced."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from waymark.core.eventframe import (
    EVENT_SCHEMA,
    JSON_COLUMNS,
    arrow_to_events,
    events_to_arrow,
)
from waymark.core.events import EVENT_TYPES, Event

_text = st.text(max_size=12)
_json_scalar = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text
)
_json = st.recursive(
    _json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)
_objects = st.dictionaries(_text, _json, max_size=4)
_times = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)
_maybe_text = st.none() | _text

events = st.builds(
    Event,
    message_id=_text,
    type=st.sampled_from(EVENT_TYPES),
    timestamp=_times,
    received_at=_times,
    source=_text,
    event=_maybe_text,
    name=_maybe_text,
    category=_maybe_text,
    user_id=_maybe_text,
    anonymous_id=_maybe_text,
    group_id=_maybe_text,
    previous_id=_maybe_text,
    original_timestamp=st.none() | _times,
    sent_at=st.none() | _times,
    channel=_text,
    campaign=st.dictionaries(_text, _text, max_size=3),
    properties=_objects,
    traits=_objects,
    context=_objects,
    integrations=_objects,
    seq=st.integers(0, 2**62),
)


def _row_at_a_time(events: list[Event], first_seq: int | None) -> pa.Table:
    """The conversion before it went column-at-a-time: one dict per event, encoded per value."""
    rows: list[dict[str, Any]] = []
    for n, e in enumerate(events):
        row = {name: getattr(e, name) for name in EVENT_SCHEMA.names}
        for name in JSON_COLUMNS:
            row[name] = msgspec.json.encode(row[name]).decode() if row[name] else None
        for name in ("timestamp", "original_timestamp", "sent_at", "received_at"):
            value = row[name]
            row[name] = None if value is None else value.astimezone(UTC).replace(tzinfo=None)
        if first_seq is not None:
            row["seq"] = first_seq + n
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=EVENT_SCHEMA)


@given(st.lists(events, max_size=6))
def test_arrow_round_trip_keeps_every_event(batch: list[Event]) -> None:
    table = events_to_arrow(batch)
    assert table.schema == EVENT_SCHEMA
    assert arrow_to_events(table) == batch


@given(st.lists(events, max_size=6), st.none() | st.integers(1, 2**40))
def test_columns_match_the_row_at_a_time_conversion(
    batch: list[Event], first_seq: int | None
) -> None:
    got = events_to_arrow(batch, first_seq=first_seq)
    assert got.equals(_row_at_a_time(batch, first_seq))


def test_no_events_give_an_empty_table_of_the_schema() -> None:
    table = events_to_arrow([], first_seq=7)
    assert table.schema == EVENT_SCHEMA
    assert table.num_rows == 0
