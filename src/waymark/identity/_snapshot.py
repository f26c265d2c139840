"""Engine state <-> Arrow tables (the port's format), one converter per direction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC
from typing import Any

import pyarrow as pa

from waymark.core import collector
from waymark.identity import _traits
from waymark.identity._engine import Engine, micros
from waymark.identity._graph import ProfileState
from waymark.identity.config import IdentityConfig
from waymark.identity.contracts import MergeRecord
from waymark.identity.ports import ALIASES, IDENTIFIERS, MERGES, PROFILES, Snapshot

_TS = pa.timestamp("us")


def _times(values: Sequence[int | None]) -> pa.Array:
    return pa.array(values, pa.int64()).cast(_TS)


def to_snapshot(
    states: Sequence[ProfileState],
    engine: Engine,
    records: Sequence[MergeRecord],
    first_pos: int = 0,
) -> Snapshot:
    """Rows for these profiles (whole) and these merge-log entries (the first of which is at
    ``first_pos`` in the log)."""
    seen = engine.seen
    id_type: list[str] = []
    id_value: list[str] = []
    id_pid: list[str] = []
    id_first: list[int] = []
    id_last: list[int] = []
    alias_from: list[str] = []
    alias_to: list[str] = []
    for s in states:
        for key in s.keys:
            first, last = seen[key]
            id_type.append(key[0])
            id_value.append(key[1])
            id_pid.append(s.pid)
            id_first.append(first)
            id_last.append(last)
        alias_from.extend(s.merged)
        alias_to.extend([s.pid] * len(s.merged))
    profiles = pa.table(
        [
            pa.array([s.pid for s in states], pa.string()),
            pa.array([s.created for s in states], pa.int64()),
            pa.array([s.event_count for s in states], pa.int64()),
            _times([s.first_us for s in states]),
            _times([s.last_us for s in states]),
            pa.array([sorted(s.channels) for s in states], pa.list_(pa.string())),
            pa.array([_traits.encode_summary(s.traits) for s in states], pa.string()),
            pa.array([sorted(s.merged) for s in states], pa.list_(pa.string())),
        ],
        schema=PROFILES,
    )
    identifiers = pa.table(
        [
            pa.array(id_type, pa.string()),
            pa.array(id_value, pa.string()),
            pa.array(id_pid, pa.string()),
            _times(id_first),
            _times(id_last),
        ],
        schema=IDENTIFIERS,
    )
    aliases = pa.table(
        [pa.array(alias_from, pa.string()), pa.array(alias_to, pa.string())], schema=ALIASES
    )
    return Snapshot(profiles, identifiers, aliases, merges_table(records, first_pos))


def merges_table(records: Sequence[MergeRecord], first_pos: int = 0) -> pa.Table:
    return pa.table(
        [
            pa.array(range(first_pos, first_pos + len(records)), pa.int64()),
            pa.array([r.seq for r in records], pa.int64()),
            pa.array([r.message_id for r in records], pa.string()),
            _times([micros(r.at) for r in records]),
            pa.array([r.kind for r in records], pa.string()),
            pa.array([r.profile_id for r in records], pa.string()),
            pa.array([r.other_id for r in records], pa.string()),
            pa.array([r.identifier_type for r in records], pa.string()),
            pa.array([r.identifier_value for r in records], pa.string()),
            pa.array([r.reason for r in records], pa.string()),
            pa.array([r.detail for r in records], pa.string()),
        ],
        schema=MERGES,
    )


def merge_records(table: pa.Table) -> list[MergeRecord]:
    out: list[MergeRecord] = []
    for row in table.sort_by([("pos", "ascending")]).to_pylist():
        del row["pos"]
        row["at"] = row["at"].replace(tzinfo=UTC)
        out.append(MergeRecord(**row))
    return out


def _us(column: pa.ChunkedArray) -> list[Any]:
    return column.cast(pa.int64()).to_pylist()  # type: ignore[no-any-return]


def states_from(snapshot: Snapshot, engine: Engine) -> list[ProfileState]:
    """Profile states (with their identifiers' times put into ``engine.seen``)."""
    p = snapshot.profiles
    states: dict[str, ProfileState] = {}
    for pid, created, count, first, last, channels, traits, merged in zip(
        p.column("profile_id").to_pylist(),
        p.column("created_seq").to_pylist(),
        p.column("event_count").to_pylist(),
        _us(p.column("first_seen")),
        _us(p.column("last_seen")),
        p.column("channels").to_pylist(),
        p.column("traits").to_pylist(),
        p.column("merged_ids").to_pylist(),
        strict=True,
    ):
        s = ProfileState(pid, created)
        s.event_count = count
        s.first_us, s.last_us = first, last
        s.channels = set(channels or ())
        s.traits = _traits.decode_summary(traits)
        s.merged = list(merged or ())
        states[pid] = s
    i = snapshot.identifiers
    seen = engine.seen
    for t, v, pid, first, last in zip(
        i.column("type").to_pylist(),
        i.column("value").to_pylist(),
        i.column("profile_id").to_pylist(),
        _us(i.column("first_seen")),
        _us(i.column("last_seen")),
        strict=True,
    ):
        s = states[pid]
        key = (t, v)
        s.keys.append(key)
        s.counts[t] = s.counts.get(t, 0) + 1
        seen[key] = [first, last]
    return list(states.values())


def engine_from(config: IdentityConfig, snapshot: Snapshot, checkpoint: int) -> Engine:
    """The streaming engine restored from stored state."""
    with collector.paused():  # as in the rebuild
        engine = Engine(config)
        g = engine.graph
        for s in states_from(snapshot, engine):
            g.profiles[s.pid] = s
            for key in s.keys:
                g.owner[key] = s
        g.alias.update(
            zip(
                snapshot.aliases.column("absorbed_id").to_pylist(),
                snapshot.aliases.column("profile_id").to_pylist(),
                strict=True,
            )
        )
        merges = merge_records(snapshot.merges)
        engine.record(merges)
        engine.logged = len(engine.merge_log)
        engine.checkpoint = checkpoint
        return engine


def concat(parts: Iterable[Snapshot]) -> Snapshot:
    items = list(parts)
    if not items:
        return Snapshot.empty()
    return Snapshot(*(pa.concat_tables([getattr(s, f) for s in items]) for f in Snapshot._fields))
