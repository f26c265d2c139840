"""Which (source, messageId) pairs the log has seen recently.

The index keeps a 64-bit hash per pair with the time it was received, so memory stays near
60 bytes per remembered message. A hash hit is only a *candidate* duplicate: the event log
confirms it exactly before dropping anything, so a hash collision can never lose an event.
Hashes use Python's per-process string hash; the index is rebuilt from the log at start-up.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta


def dedupe_key(source: str, message_id: str) -> int:
    return hash((source, message_id))


class DedupeIndex:
    def __init__(self, window: timedelta) -> None:
        self._window_s = window.total_seconds()
        self._seen: dict[int, float] = {}
        self._evict_at = 1 << 20

    def __len__(self) -> int:
        return len(self._seen)

    def add(self, keys: Iterable[int], received_at: datetime) -> None:
        stamp = received_at.timestamp()
        seen = self._seen
        for key in keys:
            seen[key] = stamp
        if len(seen) >= self._evict_at:
            self.evict(received_at)

    def candidate(self, key: int, now: datetime) -> bool:
        """True when the key was seen within the window (maybe a duplicate)."""
        stamp = self._seen.get(key)
        return stamp is not None and now.timestamp() - stamp <= self._window_s

    def evict(self, now: datetime) -> None:
        cutoff = now.timestamp() - self._window_s
        self._seen = {k: t for k, t in self._seen.items() if t >= cutoff}
        self._evict_at = max(1 << 20, 2 * len(self._seen))
