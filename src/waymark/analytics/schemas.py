"""The Arrow shapes analytics reads besides the event log (``core.eventframe.EVENT_SCHEMA``).

Reports read the journey engine's history and state as these tables, so they work on any
source (the engine's store, a rebuild, a test) and reconcile with the engine row for row.
"""

from __future__ import annotations

from typing import Final

import pyarrow as pa

from waymark.analytics.errors import InvalidInput

_TS = pa.timestamp("us")

TRANSITION_SCHEMA: Final = pa.schema(
    [
        pa.field("profile_id", pa.string(), nullable=False),
        pa.field("model", pa.string(), nullable=False),
        pa.field("product", pa.string(), nullable=False),
        pa.field("from_stage", pa.string()),
        pa.field("to_stage", pa.string(), nullable=False),
        pa.field("at", _TS, nullable=False),
        pa.field("seq", pa.int64(), nullable=False),
    ]
)
"""One row per stage change (``journey.contracts.Transition`` with its profile, model and
product); ``from_stage`` is null when the profile entered the journey; ``seq`` is the log seq
of the event that caused it."""

STATE_SCHEMA: Final = pa.schema(
    [
        pa.field("profile_id", pa.string(), nullable=False),
        pa.field("model", pa.string(), nullable=False),
        pa.field("product", pa.string(), nullable=False),
        pa.field("stage", pa.string(), nullable=False),
        pa.field("furthest", pa.string(), nullable=False),
        pa.field("entered_at", _TS, nullable=False),
        pa.field("last_evidence_at", _TS, nullable=False),
        pa.field("purchased_at", _TS),
    ]
)
"""Where each profile stands now, per model and product (``journey.contracts.JourneyState``
without its history)."""


def require_columns(table: pa.Table, schema: pa.Schema, *, what: str) -> None:
    """Raise ``InvalidInput`` naming the first column of ``schema`` missing from ``table``."""
    for f in schema:
        if f.name not in table.column_names:
            raise InvalidInput(f"{what} has no column {f.name!r}", field=f.name)
