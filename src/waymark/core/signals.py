"""Outside signals: things that happen around a customer's journey but are not the customer's
own actions (seeds 002 and 003: the press, peers and competitors a customer meets on a journey
that "may or may not include you").

The convention: a ``track`` call named ``Outside Signal`` whose properties say what it is::

    {"type": "track", "event": "Outside Signal", "anonymousId": "press-desk",
     "properties": {"kind": "press", "stage": "evaluation", "product": "genius-kit",
                    "brand": "ours", "source": "techradar.com",
                    "reach": 120000, "sentiment": 0.6, "url": "https://..."}}

Ingest validates the properties (``ingest``), identity gives such an event no profile, so no
journey places anyone from it and funnels do not see it; analytics reports on them apart.
This module is the one place that says what an outside signal is.
"""

from __future__ import annotations

from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

OUTSIDE_SIGNAL: Final = "Outside Signal"
"""The ``event`` of a track call that is an outside signal."""
SIGNAL_KINDS: Final = ("press", "review", "social", "comparison", "referral")
"""Press mention, review-site mention, social mention, competitor comparison visit, partner
referral."""
OURS: Final = "ours"
"""The ``brand`` of a signal about our own brand; any other value names a competitor."""
REQUIRED: Final = ("kind", "stage", "product", "brand", "source")
"""Properties every signal carries (``reach``, ``sentiment`` and ``url`` are optional)."""


def is_outside_signal(event_type: str, event: str | None) -> bool:
    return event_type == "track" and event == OUTSIDE_SIGNAL


def signal_mask(table: pa.Table | pa.RecordBatch) -> pa.ChunkedArray | pa.Array:
    """Per row of an ``EVENT_SCHEMA`` table or batch: is it an outside signal (never null).
    Works on plain and dictionary-encoded ``type``/``event`` columns."""
    types = table.column("type")
    events = table.column("event")
    if pa.types.is_dictionary(types.type):
        types = types.cast(pa.string())
    if pa.types.is_dictionary(events.type):
        events = events.cast(pa.string())
    both = pc.and_(pc.equal(types, "track"), pc.equal(events, OUTSIDE_SIGNAL))
    return pc.fill_null(both, False)
