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


def _equal(column: pa.ChunkedArray | pa.Array, value: str) -> pa.ChunkedArray | pa.Array:
    """``column == value``; a dictionary column compares its integer codes (no decoding of
    millions of strings)."""
    if not pa.types.is_dictionary(column.type):
        return pc.equal(column, value)
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    out = []
    for chunk in chunks:
        code = pc.index(chunk.dictionary, value).as_py()  # -1 when absent: matches no code
        out.append(pc.equal(chunk.indices, pa.scalar(code, chunk.indices.type)))
    return pa.chunked_array(out, pa.bool_()) if isinstance(column, pa.ChunkedArray) else out[0]


def signal_mask(table: pa.Table | pa.RecordBatch) -> pa.ChunkedArray | pa.Array:
    """Per row of an ``EVENT_SCHEMA`` table or batch: is it an outside signal (never null).
    Works on plain and dictionary-encoded ``type``/``event`` columns, vectorised."""
    both = pc.and_(
        _equal(table.column("type"), "track"), _equal(table.column("event"), OUTSIDE_SIGNAL)
    )
    return pc.fill_null(both, False)
