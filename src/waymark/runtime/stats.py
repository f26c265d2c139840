"""Live ingest counters (events per second over the last minute) for health and the dashboard."""

from __future__ import annotations

import threading
import time


class IngestStats:
    def __init__(self, horizon_s: int = 60) -> None:
        self._horizon = horizon_s
        self._buckets = [0] * horizon_s
        self._stamps = [0] * horizon_s
        self._lock = threading.Lock()
        self.accepted_total = 0
        self.rejected_total = 0
        self.duplicates_total = 0

    def record(self, accepted: int, rejected: int, duplicates: int) -> None:
        second = int(time.time())
        slot = second % self._horizon
        with self._lock:
            if self._stamps[slot] != second:
                self._stamps[slot] = second
                self._buckets[slot] = 0
            self._buckets[slot] += accepted
            self.accepted_total += accepted
            self.rejected_total += rejected
            self.duplicates_total += duplicates

    def rate(self, window_s: int = 10) -> float:
        """Accepted events per second over the last ``window_s`` seconds."""
        now = int(time.time())
        window_s = max(1, min(window_s, self._horizon))
        with self._lock:
            total = sum(
                count
                for count, stamp in zip(self._buckets, self._stamps, strict=True)
                if now - window_s < stamp <= now
            )
        return total / window_s
