"""Audience sizes, counted cheaply enough for a dashboard to show them on load.

Counting walks every profile once for all audiences together (not once per audience), in the
caller's thread (the HTTP adapter runs it off the event loop). The count is kept for ``ttl``
seconds and one count runs at a time: a second caller waits for the running count and shares
it. Between counts the tracker remembers who joined and who left, so a window of recent
changes can be reported; that memory lives as long as the process (audiences are derived
state, recomputable at any time; only the change history starts afresh after a restart).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from waymark.decide._audience import hashed, member_of
from waymark.decide.config import Audience
from waymark.decide.contracts import AudienceActivity, DecisionContext

TTL_S: Final = 60.0
"""A count costs a walk over every profile (seconds for thousands): a minute-old size is
recent enough for a dashboard."""
KEEP: Final = timedelta(days=400)
"""How long membership changes are kept (the longest window the API accepts, and some)."""


@dataclass
class _Count:
    at: datetime
    taken: float
    members: dict[str, frozenset[str]]


@dataclass
class AudienceTracker:
    ttl_s: float = TTL_S
    _count: _Count | None = None
    _changes: deque[tuple[datetime, str, int, int]] = field(default_factory=deque)
    _exports: dict[str, datetime] = field(default_factory=dict)
    _counting: threading.Lock = field(default_factory=threading.Lock)
    _state: threading.Lock = field(default_factory=threading.Lock)

    def exported(self, name: str, at: datetime) -> None:
        with self._state:
            self._exports[name] = at

    def _fresh(self) -> _Count | None:
        with self._state:
            count = self._count
        if count is not None and time.monotonic() - count.taken < self.ttl_s:
            return count
        return None

    def count(
        self,
        audiences: Sequence[Audience],
        contexts: Callable[[], Iterable[DecisionContext]],
        *,
        now: datetime,
    ) -> _Count:
        """The members of every audience, counted now unless a recent count stands."""
        found = self._fresh()
        if found is not None:
            return found
        with self._counting:
            found = self._fresh()  # counted by another caller while this one waited
            if found is not None:
                return found
            members: dict[str, set[str]] = {a.name: set() for a in audiences}
            for ctx in contexts():
                # membership first: hashing identifiers is the dearer part
                inside = [a.name for a in audiences if member_of(a, ctx)]
                if inside and hashed(ctx) is not None:
                    for name in inside:
                        members[name].add(ctx.profile_id)
            fresh = _Count(now, time.monotonic(), {k: frozenset(v) for k, v in members.items()})
            self._record(fresh)
            return fresh

    def _record(self, fresh: _Count) -> None:
        with self._state:
            before = self._count
            if before is not None:
                for name, now_in in fresh.members.items():
                    was_in = before.members.get(name, frozenset())
                    added, removed = len(now_in - was_in), len(was_in - now_in)
                    if added or removed:
                        self._changes.append((fresh.at, name, added, removed))
            while self._changes and self._changes[0][0] < fresh.at - KEEP:
                self._changes.popleft()
            self._count = fresh

    def activity(
        self, audiences: Sequence[Audience], count: _Count, *, since: datetime
    ) -> list[AudienceActivity]:
        with self._state:
            changes = [c for c in self._changes if c[0] >= since]
            exports = dict(self._exports)
        return [
            AudienceActivity(
                name=a.name,
                purpose=a.purpose,
                size=len(count.members.get(a.name, ())),
                added=sum(c[2] for c in changes if c[1] == a.name),
                removed=sum(c[3] for c in changes if c[1] == a.name),
                last_export=exports.get(a.name),
            )
            for a in audiences
        ]
