"""Audience sizes, counted cheaply enough for a dashboard to show them on load.

Counting walks every profile once for all audiences together (not once per audience), in the
caller's thread (the HTTP adapter runs it off the event loop). The count is kept for ``ttl``
seconds and one count runs at a time: a second caller waits for the running count and shares
it. Each count is diffed against the one before it to find who joined and who left; the
members, those changes and each audience's last export go to an ``AudienceHistory`` (DuckDB in
the server), so after a restart the first count is diffed against the last one before it and
a window of recent changes still holds what happened before the restart.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from waymark.decide._audience import hashed, member_of
from waymark.decide._memory import MemoryAudienceHistory
from waymark.decide.config import Audience
from waymark.decide.contracts import AudienceActivity, DecisionContext
from waymark.decide.ports import AudienceChange, AudienceCount, AudienceHistory

TTL_S: Final = 60.0
"""A count costs a walk over every profile (seconds for thousands): a minute-old size is
recent enough for a dashboard."""
KEEP: Final = timedelta(days=400)
"""How long membership changes are kept (the longest window the API accepts, and some)."""


@dataclass(frozen=True)
class _Count:
    at: datetime
    taken: float
    members: dict[str, frozenset[str]]


@dataclass
class AudienceTracker:
    ttl_s: float = TTL_S
    history: AudienceHistory = field(default_factory=MemoryAudienceHistory)
    _count: _Count | None = None
    _counting: threading.Lock = field(default_factory=threading.Lock)
    _state: threading.Lock = field(default_factory=threading.Lock)

    def exported(self, name: str, at: datetime) -> None:
        self.history.record_export(name, at)

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
        """Store the count and its changes, then make it the current one (the caller holds
        ``_counting``). A store that fails leaves the previous count current, so the next
        count is diffed against what is stored."""
        with self._state:
            before = self._count
        if before is not None:
            previous: Mapping[str, frozenset[str]] | None = before.members
        else:  # the first count of this process: the last one stored, if any
            stored = self.history.last_count()
            previous = None if stored is None else stored.members
        changes = [] if previous is None else _changes(previous, fresh)
        self.history.record_count(
            AudienceCount(fresh.at, fresh.members), changes, forget_before=fresh.at - KEEP
        )
        with self._state:
            self._count = fresh

    @contextmanager
    def held(self, profile_ids: Collection[str]) -> Iterator[dict[str, int]]:
        """No count runs inside, and the current count forgets these profiles. An erasure
        sweeps the stored members inside: a count that read the person before it began must
        not write them back after it, nor the next count report them as having left."""
        gone = frozenset(profile_ids)
        with self._counting:
            with self._state:
                if self._count is not None:
                    kept = {k: v - gone for k, v in self._count.members.items()}
                    self._count = dataclasses.replace(self._count, members=kept)
            removed = self.history.forget(sorted(gone))
            yield {"decide_audience_members": removed} if removed else {}

    def activity(
        self, audiences: Sequence[Audience], count: _Count, *, since: datetime
    ) -> list[AudienceActivity]:
        added: dict[str, int] = {}
        removed: dict[str, int] = {}
        for change in self.history.changes(since=since):
            added[change.audience] = added.get(change.audience, 0) + change.added
            removed[change.audience] = removed.get(change.audience, 0) + change.removed
        exports = self.history.exports()
        return [
            AudienceActivity(
                name=a.name,
                purpose=a.purpose,
                size=len(count.members.get(a.name, ())),
                added=added.get(a.name, 0),
                removed=removed.get(a.name, 0),
                last_export=exports.get(a.name),
            )
            for a in audiences
        ]


def _changes(before: Mapping[str, frozenset[str]], fresh: _Count) -> list[AudienceChange]:
    """Per audience of ``fresh``, how many joined and left since ``before`` (none: left out)."""
    found = []
    for name, now_in in fresh.members.items():
        was_in = before.get(name, frozenset())
        added, removed = len(now_in - was_in), len(was_in - now_in)
        if added or removed:
            found.append(AudienceChange(fresh.at, name, added, removed))
    return found
