"""The identity facade: other packages use only this module and ``contracts``.

``IdentityService`` resolves committed events to profiles as they arrive (``observe``), keeps
the state in memory, persists what changed through a ``ProfileStore`` with a checkpoint seq,
and rebuilds everything from the event log (``rebuild``). It answers reads from memory.
``StoredProfiles`` answers the same reads from the store alone (the CLI, when no server holds
the data directory).

Profile ids are ``p_`` and 20 hex digits of a hash of the identifier that founded the profile
(its highest-priority identifier when first seen); after a merge the oldest profile's id
survives and the absorbed ids resolve to it (``canonical``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from waymark.core import collector
from waymark.core.events import Event
from waymark.core.ports import EventLog
from waymark.identity import _reading, _traits
from waymark.identity._convert import to_profile
from waymark.identity._engine import Engine
from waymark.identity._extract import Extractor, Key
from waymark.identity._graph import ProfileState
from waymark.identity._rebuild import rebuild as _rebuild
from waymark.identity._snapshot import engine_from, merge_records, states_from, to_snapshot
from waymark.identity.config import IdentityConfig, load_identity_config
from waymark.identity.contracts import (
    MergeRecord,
    Profile,
    ProfileSummary,
    RebuildReport,
    Resolution,
)
from waymark.identity.errors import ProfileNotFound
from waymark.identity.ports import ProfileStore

__all__ = [
    "CONFIG_FILENAME",
    "IdentityConfig",
    "IdentityService",
    "StoredProfiles",
    "attach_profiles",
    "config_for",
    "load_identity_config",
]

log = logging.getLogger(__name__)
CONFIG_FILENAME = "identity.yaml"
Listener = Callable[[Sequence[Event], Resolution], None]
_CHUNK = 1024  # events resolved per lock hold, so reads wait at most one chunk


def config_for(data_dir: Path) -> IdentityConfig:
    """``identity.yaml`` in the data directory when there is one, else the defaults."""
    path = data_dir / CONFIG_FILENAME
    return load_identity_config(path) if path.exists() else IdentityConfig.default()


class IdentityService:
    """The streaming identity graph and its profiles (a pipeline processor named
    ``identity``)."""

    name = "identity"

    def __init__(
        self,
        config: IdentityConfig | None = None,
        *,
        store: ProfileStore | None = None,
        flush_every: int = 200_000,
    ) -> None:
        self.config = config or IdentityConfig.default()
        self._store = store
        self._flush_every = flush_every
        self._unflushed = 0
        self._lock = threading.RLock()
        self._flushing = threading.Lock()  # changes are saved in the order they were taken
        self._listeners: list[Listener] = []
        if store is not None and store.checkpoint() > 0:
            self._engine = engine_from(self.config, store.load(), store.checkpoint())
        else:
            self._engine = Engine(self.config)

    @property
    def extractor(self) -> Extractor:
        return self._engine.extractor

    # -- streaming -----------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(events, resolution)`` after every ``observe`` (journeys re-place
        merged profiles from ``resolution.merges``)."""
        self._listeners.append(listener)

    def observe(self, events: Sequence[Event]) -> Resolution:
        """Resolve events in seq order. Events at or before the checkpoint (already applied,
        e.g. replayed twice after a restart) change nothing and get their current profile."""
        ids: list[str | None] = []
        merges: list[MergeRecord] = []
        refused: list[MergeRecord] = []
        for start in range(0, len(events), _CHUNK):
            chunk = events[start : start + _CHUNK]
            with self._lock, collector.paused():
                engine = self._engine
                for event in chunk:
                    if 0 < event.seq <= engine.checkpoint:
                        ids.append(self._profile_of(event))
                        continue
                    pid, m, r = engine.apply(event)
                    ids.append(pid)
                    merges.extend(m)
                    refused.extend(r)
        with self._lock:
            canonical = self._engine.graph.canonical
            final = tuple(None if p is None else canonical(p) for p in ids) if merges else ids
        resolution = Resolution(
            profile_ids=tuple(ids),
            final_profile_ids=tuple(final),
            merges=tuple(merges),
            refused=tuple(refused),
        )
        for listener in self._listeners:
            listener(events, resolution)
        self._unflushed += len(events)
        if self._store is not None and self._unflushed >= self._flush_every:
            self.flush()
        return resolution

    def _profile_of(self, event: Event) -> str | None:
        keys = self._engine.extractor.identifiers(event)
        return self._owner(keys[0]) if keys else None

    # -- the pipeline's processor protocol -----------------------------------------------------

    def checkpoint(self) -> int:
        return self._engine.checkpoint

    def process(self, events: Sequence[Event]) -> None:
        self.observe(events)

    def flush(self) -> None:
        """Persist what changed since the last flush, with the checkpoint, atomically."""
        if self._store is None:
            return
        with self._flushing:
            with self._lock:
                engine = self._engine
                first_pos = engine.logged
                changed, removed, records = engine.take_changes()
                changes = to_snapshot(changed, engine, records, first_pos)
                checkpoint = engine.checkpoint
            self._store.save(changes, removed=sorted(removed), checkpoint=checkpoint)
            self._unflushed = 0

    # -- batch ---------------------------------------------------------------------------------

    def rebuild(self, event_log: EventLog) -> tuple[RebuildReport, pa.Table]:
        """Recompute everything from the log; returns the report and every event's profile
        (``seq``, ``profile_id``) for processors that rebuild after identity."""
        engine, assignment, report = _rebuild(self.config, event_log.scan())
        engine.take_changes()
        if self._store is not None:
            states = list(engine.graph.profiles.values())
            self._store.replace(
                to_snapshot(states, engine, engine.merge_log), checkpoint=engine.checkpoint
            )
        with self._lock:
            self._engine = engine
            self._unflushed = 0
        log.info("identity rebuilt: %s", report)
        return report, assignment

    # -- reads ---------------------------------------------------------------------------------

    def _owner(self, key: Key) -> str | None:
        state = self._engine.graph.owner.get(key)
        return None if state is None else state.pid

    def resolve(self, type: str, value: str) -> str | None:
        """The profile holding an identifier (normalised like incoming events), or None."""
        key = _reading.key_for(self.extractor, type, value)
        with self._lock:
            return None if key is None else self._owner(key)

    def canonical(self, profile_id: str) -> str | None:
        """The live profile an id resolves to (itself, or the one that absorbed it)."""
        with self._lock:
            return self._engine.graph.canonical(profile_id)

    def profile(self, profile_id: str) -> Profile:
        with self._lock:
            state = self._engine.state_of(profile_id)
            if state is None:
                raise ProfileNotFound(f"no profile {profile_id!r}", profile_id=profile_id)
            return to_profile(state, self._engine.seen, self.extractor.priority)

    def trait_values(self, profile_id: str) -> dict[str, Any]:
        """A profile's current trait values (``profile(...).traits`` without histories,
        identities and times): what lead scoring reads for every scored person."""
        with self._lock:
            state = self._engine.state_of(profile_id)
            if state is None:
                raise ProfileNotFound(f"no profile {profile_id!r}", profile_id=profile_id)
            return _traits.current(state.traits)

    def lookup(self, type: str, value: str) -> Profile:
        pid = self.resolve(type, value)
        if pid is None:
            raise ProfileNotFound(f"no profile with {type} {value!r}", type=type)
        return self.profile(pid)

    def merges(self, profile_id: str) -> list[MergeRecord]:
        """The merge log of a profile and every profile it absorbed, in seq order."""
        with self._lock:
            if self._engine.state_of(profile_id) is None:
                raise ProfileNotFound(f"no profile {profile_id!r}", profile_id=profile_id)
            return self._engine.merges_of(profile_id)

    def profile_ids(self) -> list[str]:
        """Every live profile id, sorted (audience exports walk them)."""
        with self._lock:
            return sorted(self._engine.graph.profiles)

    def search(self, query: str, limit: int = 20) -> list[ProfileSummary]:
        """Profiles with an identifier or current trait value starting with ``query``
        (case-insensitive), by id. A scan of every profile: an admin tool, not a hot path."""
        with self._lock:
            engine = self._engine
            priority = self.extractor.priority
            found = sorted(
                (pid, hit)
                for pid, state in engine.graph.profiles.items()
                if (hit := _reading.match(state, query, priority)) is not None
            )[:limit]
            return [
                _reading.summary(to_profile(engine.graph.profiles[p], engine.seen, priority), hit)
                for p, hit in found
            ]

    def timeline(
        self,
        profile_id: str,
        event_log: EventLog,
        *,
        before: datetime | None = None,
        limit: int = 50,
    ) -> list[Event]:
        """The profile's events, newest first, each with its channel."""
        profile = self.profile(profile_id)

        def owner_of(key: Key) -> str | None:
            with self._lock:
                pid = self._owner(key)
                return None if pid is None else self._engine.graph.canonical(pid)

        return _reading.timeline(
            profile, event_log, self.extractor, owner_of, before=before, limit=limit
        )

    @property
    def stats(self) -> dict[str, int]:
        with self._lock:
            engine = self._engine
            return {
                "profiles": len(engine.graph.profiles),
                "identifiers": len(engine.graph.owner),
                "merges": sum(1 for r in engine.merge_log if r.kind == "merge"),
                "refused": sum(1 for r in engine.merge_log if r.kind == "refused"),
                "checkpoint": engine.checkpoint,
            }


class StoredProfiles:
    """The same reads as ``IdentityService``, from the store alone (nothing loaded whole)."""

    def __init__(self, store: ProfileStore, config: IdentityConfig | None = None) -> None:
        self._store = store
        self.config = config or IdentityConfig.default()
        self.extractor = Extractor(self.config)

    def _state(self, profile_id: str) -> tuple[ProfileState, Engine, list[MergeRecord]] | None:
        live = self._store.canonical(profile_id)
        if live is None:
            return None
        rows = self._store.profile_rows(live)
        scratch = Engine(self.config)
        states = states_from(rows, scratch)
        if not states:
            return None
        return states[0], scratch, merge_records(rows.merges)

    def resolve(self, type: str, value: str) -> str | None:
        key = _reading.key_for(self.extractor, type, value)
        return None if key is None else self._store.find(*key)

    def canonical(self, profile_id: str) -> str | None:
        return self._store.canonical(profile_id)

    def profile(self, profile_id: str) -> Profile:
        found = self._state(profile_id)
        if found is None:
            raise ProfileNotFound(f"no profile {profile_id!r}", profile_id=profile_id)
        state, scratch, _ = found
        return to_profile(state, scratch.seen, self.extractor.priority)

    def lookup(self, type: str, value: str) -> Profile:
        pid = self.resolve(type, value)
        if pid is None:
            raise ProfileNotFound(f"no profile with {type} {value!r}", type=type)
        return self.profile(pid)

    def merges(self, profile_id: str) -> list[MergeRecord]:
        found = self._state(profile_id)
        if found is None:
            raise ProfileNotFound(f"no profile {profile_id!r}", profile_id=profile_id)
        return found[2]

    def search(self, query: str, limit: int = 20) -> list[ProfileSummary]:
        priority = self.extractor.priority
        out: list[ProfileSummary] = []
        for pid in self._store.search_candidates(query, limit * 5 + 50):
            found = self._state(pid)
            if found is None:
                continue
            state, scratch, _ = found
            hit = _reading.match(state, query, priority)
            if hit is not None:
                out.append(_reading.summary(to_profile(state, scratch.seen, priority), hit))
            if len(out) >= limit:
                break
        return out

    def timeline(
        self,
        profile_id: str,
        event_log: EventLog,
        *,
        before: datetime | None = None,
        limit: int = 50,
    ) -> list[Event]:
        profile = self.profile(profile_id)

        def owner_of(key: Key) -> str | None:
            pid = self._store.find(*key)
            return None if pid is None else self._store.canonical(pid)

        return _reading.timeline(
            profile, event_log, self.extractor, owner_of, before=before, limit=limit
        )


def attach_profiles(events: pa.Table | pa.RecordBatch, assignment: pa.Table) -> pa.Array:
    """Each event's profile id from a rebuild's ``assignment`` (``seq``, ``profile_id``),
    matched on ``seq``; null for events no identifier tied to a profile. Vectorised."""
    seqs = assignment.column("seq").to_numpy()
    order = np.argsort(seqs, kind="stable")
    sorted_seqs = seqs[order]
    wanted = events.column("seq").to_numpy()
    if len(order) == 0:
        return pa.nulls(len(wanted), pa.string())
    at = np.minimum(np.searchsorted(sorted_seqs, wanted), len(order) - 1)
    found = sorted_seqs[at] == wanted
    ids = assignment.column("profile_id").take(pa.array(order[at]))
    return pc.if_else(pa.array(found), ids, pa.nulls(len(wanted), pa.string()))
