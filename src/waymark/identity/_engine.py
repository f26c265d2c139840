"""The streaming engine: events in seq order to profiles, merges and refusals.

Holds the whole identity state in memory (the graph, when each identifier was seen, the merge
log) and remembers what changed since the last ``take_changes`` so the facade can persist
only that.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from waymark.core import collector
from waymark.core.events import Event
from waymark.identity import _traits
from waymark.identity._extract import Extractor, Key, profile_traits
from waymark.identity._graph import Graph, Merge, ProfileState, Refusal
from waymark.identity.config import IdentityConfig
from waymark.identity.contracts import MergeRecord, Resolution

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def micros(when: datetime) -> int:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - EPOCH) // _US


def from_micros(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


class Engine:
    def __init__(self, config: IdentityConfig) -> None:
        self.config = config
        self.extractor = Extractor(config)
        self.keep_traits = config.trait_history + 1
        self.graph = Graph(
            [t.name for t in config.types],
            {t.name: t.limit for t in config.types},
            self.keep_traits,
        )
        self.seen: dict[Key, list[int]] = {}
        """Identifier -> [first, last] event time (us) over the events it was kept in."""
        self.merge_log: list[MergeRecord] = []
        self.log_index: dict[str, list[int]] = {}
        """Profile id -> positions in ``merge_log`` naming it (as profile or other)."""
        self.checkpoint = 0
        self.dirty: set[str] = set()
        self.removed: set[str] = set()
        self.logged = 0
        """How much of ``merge_log`` has been persisted."""

    # -- streaming -----------------------------------------------------------------------------

    def observe(self, events: Sequence[Event]) -> Resolution:
        ids: list[str | None] = []
        merges: list[MergeRecord] = []
        refused: list[MergeRecord] = []
        with collector.paused():
            for event in events:
                pid, m, r = self.apply(event)
                ids.append(pid)
                if m or r:
                    merges.extend(m)
                    refused.extend(r)
        if merges:
            canonical = self.graph.canonical
            final = tuple(None if p is None else canonical(p) for p in ids)
        else:
            final = tuple(ids)
        return Resolution(
            profile_ids=tuple(ids),
            final_profile_ids=final,
            merges=tuple(merges),
            refused=tuple(refused),
        )

    def apply(self, event: Event) -> tuple[str | None, list[MergeRecord], list[MergeRecord]]:
        keys = self.extractor.identifiers(event)
        node, kept, merges, refusals = self.graph.step(keys, event.seq)
        ts = micros(event.timestamp)
        merge_records: list[MergeRecord] = []
        refusal_records: list[MergeRecord] = []
        if merges or refusals:
            pid = None if node is None else node.pid
            seq, message_id = event.seq, event.message_id
            merge_records = [self.merge_record(m, seq, message_id, ts) for m in merges]
            refusal_records = [self.refusal_record(r, pid, seq, message_id, ts) for r in refusals]
            for _, absorbed, _ in merges:
                self.removed.add(absorbed)
                self.dirty.discard(absorbed)
            self.record(merge_records)
            self.record(refusal_records)
        if event.seq > self.checkpoint:  # noqa: PLR1730 (max() costs a call per event)
            self.checkpoint = event.seq
        if node is None:
            return None, merge_records, refusal_records
        # the profile's own statistics (inline: this runs once per event)
        node.event_count += 1
        first = node.first_us
        if first is None or ts < first:
            node.first_us = ts
        last = node.last_us
        if last is None or ts > last:
            node.last_us = ts
        node.channels.add(event.channel)
        if (event.traits and event.type == "identify") or "traits" in event.context:
            values = profile_traits(event.type, event.traits, event.context)
            if values:
                _traits.observe(node.traits, values, (ts, event.seq), self.keep_traits)
        seen = self.seen
        for key in kept:
            span = seen.get(key)
            if span is None:
                seen[key] = [ts, ts]
            elif ts > span[1]:
                span[1] = ts
            elif ts < span[0]:
                span[0] = ts
        self.dirty.add(node.pid)
        return node.pid, merge_records, refusal_records

    def merge_record(self, merge: Merge, seq: int, message_id: str, ts: int) -> MergeRecord:
        survivor, absorbed, (t, value) = merge
        return MergeRecord(
            kind="merge",
            profile_id=survivor,
            other_id=absorbed,
            identifier_type=t,
            identifier_value=value,
            seq=seq,
            message_id=message_id,
            at=from_micros(ts),
            reason="shared_identifier",
        )

    def refusal_record(
        self, refusal: Refusal, pid: str | None, seq: int, message_id: str, ts: int
    ) -> MergeRecord:
        (t, value), other, over = refusal
        limit = self.graph.limits[over]
        what = f"merging {other}" if other is not None else f"adding {t} {value!r}"
        return MergeRecord(
            kind="refused",
            profile_id=pid,
            other_id=other,
            identifier_type=t,
            identifier_value=value,
            seq=seq,
            message_id=message_id,
            at=from_micros(ts),
            reason=f"limit:{over}",
            detail=f"{what} would put more than {limit} {over} value(s) on one profile",
        )

    def record(self, records: list[MergeRecord]) -> None:
        """Append to the merge log (and its per-profile index)."""
        for record in records:
            position = len(self.merge_log)
            self.merge_log.append(record)
            for pid in (record.profile_id, record.other_id):
                if pid is not None:
                    self.log_index.setdefault(pid, []).append(position)

    # -- reading -------------------------------------------------------------------------------

    def state_of(self, pid: str) -> ProfileState | None:
        live = self.graph.canonical(pid)
        return None if live is None else self.graph.profiles[live]

    def merges_of(self, pid: str) -> list[MergeRecord]:
        """Merge-log entries naming the profile or any profile it absorbed, in seq order."""
        node = self.state_of(pid)
        if node is None:
            return []
        positions: set[int] = set()
        for p in (node.pid, *node.merged):
            positions.update(self.log_index.get(p, ()))
        return [self.merge_log[i] for i in sorted(positions)]

    # -- persistence bookkeeping ---------------------------------------------------------------

    def take_changes(self) -> tuple[list[ProfileState], set[str], list[MergeRecord]]:
        """Profiles changed, profile ids removed (absorbed) and merge-log entries added since
        the last call."""
        profiles = self.graph.profiles
        changed = [profiles[p] for p in sorted(self.dirty) if p in profiles]
        removed = {p for p in self.removed if p not in profiles}
        records = self.merge_log[self.logged :]
        self.dirty = set()
        self.removed = set()
        self.logged = len(self.merge_log)
        return changed, removed, records
