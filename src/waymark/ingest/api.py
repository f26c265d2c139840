"""Ingest facade: Segment tracking-API bodies and files in, ``Event``s out.

Authentication is the caller's job (the HTTP adapter checks the write key between
``split`` and ``parse``), so this module stays free of credentials and I/O.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from waymark.core.events import EventType
from waymark.ingest._body import decode_content
from waymark.ingest._files import FileFormat, RawRecord, RecordError, detect_format, read_chunks
from waymark.ingest._segment import Envelope, normalise_all, split_batch, split_single
from waymark.ingest.config import IngestLimits
from waymark.ingest.contracts import Parsed, Rejection

__all__ = [
    "Envelope",
    "FileFormat",
    "IngestLimits",
    "Parsed",
    "RawRecord",
    "RecordError",
    "Rejection",
    "decode_content",
    "detect_format",
    "parse",
    "parse_records",
    "read_chunks",
    "split",
]


def split(body: bytes, *, endpoint: EventType | None, limits: IngestLimits) -> Envelope:
    """Split a decoded body: ``endpoint=None`` means ``/v1/batch``."""
    return split_batch(body, limits) if endpoint is None else split_single(body)


def parse(
    envelope: Envelope,
    *,
    endpoint: EventType | None,
    source: str,
    received_at: datetime,
    limits: IngestLimits,
) -> Parsed:
    """Validate and normalise every message; invalid ones are rejected by index."""
    return normalise_all(
        envelope, forced_type=endpoint, source=source, received_at=received_at, limits=limits
    )


def parse_records(
    records: list[RawRecord], *, source: str, received_at: datetime, limits: IngestLimits
) -> Parsed:
    """Validate file records; rejections carry the record's line number as ``index``."""
    envelope = Envelope(None, [msgspec.Raw(r.raw) for r in records])
    parsed = normalise_all(
        envelope, forced_type=None, source=source, received_at=received_at, limits=limits
    )
    return Parsed(
        events=parsed.events,
        rejected=[
            Rejection(index=records[r.index].line, code=r.code, message=r.message)
            for r in parsed.rejected
        ],
    )
