"""Ports: the small interfaces features need from storage. Adapters in ``waymark.store``
implement them; one shared test suite (``tests/store``) holds every backend to the contract."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

import msgspec
import pyarrow as pa

from waymark.core.events import AppendResult, Event

DEFAULT_DEDUPE_WINDOW = timedelta(days=7)


class LogStats(msgspec.Struct, frozen=True):
    """What the log holds, for ``waymark inspect`` and the dashboard."""

    events: int
    by_source: dict[str, int]
    by_channel: dict[str, int]
    first_event: datetime | None
    last_event: datetime | None


@runtime_checkable
class EventLog(Protocol):
    """The append-only event log: the source of truth.

    Contract every backend keeps:
    - ``append`` is atomic and durable when it returns: all of the batch or none of it.
    - An event whose ``(source, message_id)`` is already in the log, received within the dedupe
      window, is not stored again (also within one batch: the first one wins).
    - Stored events get consecutive, increasing ``seq`` numbers in batch order.
    """

    def append(self, events: Sequence[Event], *, dedupe_all_time: bool = False) -> AppendResult:
        """Store the events that are not duplicates. ``dedupe_all_time`` checks the whole log
        instead of the window (bulk imports, so re-importing a file adds nothing)."""
        ...

    def count(self) -> int: ...

    def max_seq(self) -> int: ...

    def scan(
        self, *, after_seq: int = 0, until_seq: int | None = None, batch_rows: int = 65_536
    ) -> Iterator[pa.RecordBatch]:
        """Every event with ``after_seq < seq <= until_seq`` in seq order, as Arrow batches with
        the columns of ``waymark.core.eventframe.EVENT_SCHEMA``."""
        ...

    def events_after(self, after_seq: int, *, limit: int = 10_000) -> list[Event]:
        """Events with ``seq > after_seq`` in seq order, as ``Event``s (for streaming
        processors catching up)."""
        ...

    def latest(
        self,
        *,
        user_ids: Sequence[str] = (),
        anonymous_ids: Sequence[str] = (),
        before: datetime | None = None,
        limit: int = 50,
    ) -> list[Event]:
        """Newest first: events whose user_id or anonymous_id is among those given (all
        events when both are empty), with timestamp before ``before`` when given."""
        ...

    def delete(self, seqs: Sequence[int]) -> int:
        """Remove the events with these seqs (a person's data erased on request); returns how
        many were removed. The only exception to append-only: seqs are not reused while the
        log is open, and derived state must be rebuilt afterwards."""
        ...

    def stats(self) -> LogStats: ...

    def close(self) -> None: ...
