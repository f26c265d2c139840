"""Events as Arrow columns: the shape the log is scanned in, for vectorised work.

Timestamps are ``timestamp[us]`` in UTC without a zone; JSON fields (properties, traits,
context, integrations, campaign) are JSON text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final

import msgspec
import pyarrow as pa

from waymark.core.events import Event

_TS = pa.timestamp("us")

EVENT_SCHEMA: Final = pa.schema(
    [
        pa.field("seq", pa.int64(), nullable=False),
        pa.field("message_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("type", pa.string(), nullable=False),
        pa.field("event", pa.string()),
        pa.field("name", pa.string()),
        pa.field("category", pa.string()),
        pa.field("user_id", pa.string()),
        pa.field("anonymous_id", pa.string()),
        pa.field("group_id", pa.string()),
        pa.field("previous_id", pa.string()),
        pa.field("timestamp", _TS, nullable=False),
        pa.field("original_timestamp", _TS),
        pa.field("sent_at", _TS),
        pa.field("received_at", _TS, nullable=False),
        pa.field("channel", pa.string(), nullable=False),
        pa.field("campaign", pa.string()),
        pa.field("properties", pa.string()),
        pa.field("traits", pa.string()),
        pa.field("context", pa.string()),
        pa.field("integrations", pa.string()),
    ]
)

JSON_COLUMNS: Final = ("campaign", "properties", "traits", "context", "integrations")
_PLAIN_COLUMNS: Final = (
    "message_id",
    "source",
    "type",
    "event",
    "name",
    "category",
    "user_id",
    "anonymous_id",
    "group_id",
    "previous_id",
    "channel",
)
_TIME_COLUMNS: Final = ("timestamp", "original_timestamp", "sent_at", "received_at")

_NON_TIME_SCHEMA: Final = pa.schema([f for f in EVENT_SCHEMA if f.name not in _TIME_COLUMNS])
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(dict[str, Any]).decode


def to_naive_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def _json_text(value: dict[str, Any]) -> str | None:
    return _encode(value).decode() if value else None


def events_to_arrow(events: Sequence[Event], *, first_seq: int | None = None) -> pa.Table:
    """Columns of ``EVENT_SCHEMA``. With ``first_seq``, seqs are assigned consecutively."""
    columns: dict[str, list[Any]] = {}
    if first_seq is None:
        columns["seq"] = [e.seq for e in events]
    else:
        columns["seq"] = list(range(first_seq, first_seq + len(events)))
    for name in _PLAIN_COLUMNS:
        columns[name] = [getattr(e, name) for e in events]
    for name in JSON_COLUMNS:
        columns[name] = [_json_text(getattr(e, name)) for e in events]
    arrays: dict[str, pa.Array] = {}
    for name in _TIME_COLUMNS:
        # Aware datetimes go in as UTC and the zone is dropped in C, not per value in Python.
        values = [getattr(e, name) for e in events]
        aware = pa.array(values, type=pa.timestamp("us", tz="UTC"))
        arrays[name] = aware.cast(_TS)
    table = pa.Table.from_pydict(columns, schema=_NON_TIME_SCHEMA)
    for name in _TIME_COLUMNS:
        table = table.append_column(EVENT_SCHEMA.field(name), arrays[name])
    return table.select(EVENT_SCHEMA.names)


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=UTC)


def arrow_to_events(table: pa.Table | pa.RecordBatch) -> list[Event]:
    """The inverse of ``events_to_arrow``."""
    rows = table.to_pylist()
    out: list[Event] = []
    for row in rows:
        for name in JSON_COLUMNS:
            text = row[name]
            row[name] = _decode(text) if text else {}
        for name in _TIME_COLUMNS:
            row[name] = _aware(row[name])
        out.append(Event(**{k: v for k, v in row.items() if v is not None}))
    return out
