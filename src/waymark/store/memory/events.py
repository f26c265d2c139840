"""A reference event log in memory: the contract in its plainest form.

Used by unit tests that need a log without a file, and as the second backend the shared store
suite runs against, which keeps the port honest.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

import msgspec
import pyarrow as pa

from waymark.core.eventframe import events_to_arrow
from waymark.core.events import AppendResult, Event
from waymark.core.ports import DEFAULT_DEDUPE_WINDOW, LogStats


class MemoryEventLog:
    def __init__(self, *, dedupe_window: timedelta = DEFAULT_DEDUPE_WINDOW) -> None:
        self._window = dedupe_window
        self._events: list[Event] = []
        self._last_seq = 0  # seqs are not reused after a delete
        self._received: dict[tuple[str, str], datetime] = {}
        self._lock = threading.Lock()

    def append(self, events: Sequence[Event], *, dedupe_all_time: bool = False) -> AppendResult:
        with self._lock:
            first_seq = self._last_seq + 1
            duplicates: list[int] = []
            seen_now: set[tuple[str, str]] = set()
            kept: list[Event] = []
            for i, event in enumerate(events):
                pair = (event.source, event.message_id)
                earlier = self._received.get(pair)
                is_dup = pair in seen_now or (
                    earlier is not None
                    and (dedupe_all_time or event.received_at - earlier <= self._window)
                )
                if is_dup:
                    duplicates.append(i)
                    continue
                seen_now.add(pair)
                kept.append(event)
            for offset, event in enumerate(kept):
                self._events.append(msgspec.structs.replace(event, seq=first_seq + offset))
                self._received[(event.source, event.message_id)] = event.received_at
            self._last_seq += len(kept)
            return AppendResult(
                stored=len(kept),
                duplicates=len(duplicates),
                first_seq=first_seq,
                duplicate_indexes=tuple(duplicates),
            )

    def count(self) -> int:
        return len(self._events)

    def max_seq(self) -> int:
        return self._events[-1].seq if self._events else 0

    def scan(
        self, *, after_seq: int = 0, until_seq: int | None = None, batch_rows: int = 65_536
    ) -> Iterator[pa.RecordBatch]:
        until = self._last_seq if until_seq is None else until_seq
        chosen = [e for e in self._events if after_seq < e.seq <= until]
        for start in range(0, len(chosen), batch_rows):
            yield from events_to_arrow(chosen[start : start + batch_rows]).to_batches()

    def events_after(self, after_seq: int, *, limit: int = 10_000) -> list[Event]:
        return [e for e in self._events if e.seq > after_seq][:limit]

    def latest(
        self,
        *,
        user_ids: Sequence[str] = (),
        anonymous_ids: Sequence[str] = (),
        before: datetime | None = None,
        limit: int = 50,
    ) -> list[Event]:
        uids, aids = set(user_ids), set(anonymous_ids)
        matches = [
            e
            for e in self._events
            if ((not uids and not aids) or e.user_id in uids or e.anonymous_id in aids)
            and (before is None or e.timestamp < before)
        ]
        matches.sort(key=lambda e: (e.timestamp, e.seq), reverse=True)
        return matches[:limit]

    def delete(self, seqs: Sequence[int]) -> int:
        gone = set(seqs)
        with self._lock:
            removed = [e for e in self._events if e.seq in gone]
            self._events = [e for e in self._events if e.seq not in gone]
            for e in removed:  # an erased person's message ids are not remembered either
                self._received.pop((e.source, e.message_id), None)
            return len(removed)

    def stats(self) -> LogStats:
        times = [e.timestamp for e in self._events]
        return LogStats(
            events=len(self._events),
            by_source=dict(Counter(e.source for e in self._events)),
            by_channel=dict(Counter(e.channel for e in self._events)),
            first_event=min(times) if times else None,
            last_event=max(times) if times else None,
        )

    def close(self) -> None:
        return None
