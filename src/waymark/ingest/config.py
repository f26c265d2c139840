"""Ingest limits, after Segment's HTTP tracking API."""

from __future__ import annotations

import msgspec


class IngestLimits(msgspec.Struct, frozen=True, kw_only=True):
    max_message_bytes: int = 32 * 1024
    """One message, as sent (Segment: 32 KB)."""
    max_batch_bytes: int = 500 * 1024
    """One request body after decompression (Segment: 500 KB)."""
    max_batch_messages: int = 2500
    max_message_id_chars: int = 100
