"""Analytics inputs recomputed from the event log: every event with its profile, and every
journey, from identity's and the journey engine's batch rebuilds (both vectorised).

Reports are recomputed, not kept as incremental aggregates: the log is the source of truth,
identity merges rewrite whose events are whose and late events rewrite histories, so an
aggregate updated in place would drift; recomputing from the rebuilt state is exact. The
rebuild is redone only when the log has grown (``max_seq`` changed).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from waymark.analytics._journey_data import JourneyData
from waymark.core.eventframe import EVENT_SCHEMA
from waymark.core.ports import EventLog
from waymark.core.signals import signal_mask
from waymark.identity.api import IdentityConfig, IdentityService, attach_profiles
from waymark.journey.api import rebuild
from waymark.journey.contracts import JourneyModel

PROFILE = "profile_id"
DICTIONARY_COLUMNS = ("event", "type", "channel", PROFILE)


@dataclass(frozen=True)
class _Snapshot:
    version: int
    events: pa.Table
    journeys: JourneyData


def _profiles(events: pa.Table, assignment: pa.Table | None) -> pa.Array:
    if assignment is None:
        # no identity graph: a user id, else the device's anonymous id; an outside signal is
        # nobody's behaviour (identity gives it no profile either)
        ids = pc.coalesce(events.column("user_id"), events.column("anonymous_id"))
        return pc.if_else(signal_mask(events), pa.scalar(None, pa.string()), ids)
    return attach_profiles(events, assignment)


class LogSources:
    """Events with profiles and journeys, rebuilt from ``event_log`` when it has grown."""

    def __init__(
        self,
        event_log: EventLog,
        models: Sequence[JourneyModel],
        *,
        identity: IdentityConfig | None = None,
    ) -> None:
        self._log = event_log
        self._models = tuple(models)
        self._identity = identity
        self._snapshot: _Snapshot | None = None
        self._lock = threading.Lock()

    def version(self) -> int:
        return self._log.max_seq()

    def events(self) -> pa.Table:
        return self._current().events

    def journeys(self) -> JourneyData:
        return self._current().journeys

    def _current(self) -> _Snapshot:
        with self._lock:
            version = self._log.max_seq()
            if self._snapshot is None or self._snapshot.version != version:
                self._snapshot = self._load(version)
            return self._snapshot

    def _load(self, version: int) -> _Snapshot:
        assignment = None
        if self._identity is not None:
            _, assignment = IdentityService(self._identity).rebuild(self._log)
        batches = list(self._log.scan(until_seq=version))
        plain = pa.Table.from_batches(batches, schema=EVENT_SCHEMA)
        plain = plain.append_column(PROFILE, _profiles(plain, assignment))
        placed = plain.filter(pc.is_valid(plain.column(PROFILE)))
        pairs = [
            (batch.drop_columns([PROFILE]), batch.column(PROFILE)) for batch in placed.to_batches()
        ]
        rebuilt = rebuild(self._models, pairs)
        # few distinct values, many rows: encoded once per snapshot, every funnel then reads
        # integer codes instead of hashing strings again
        events = plain
        for name in DICTIONARY_COLUMNS:
            i = events.schema.get_field_index(name)
            events = events.set_column(i, name, pc.dictionary_encode(events.column(name)))
        return _Snapshot(
            version=version,
            events=events,
            journeys=JourneyData(
                models=self._models, transitions=rebuilt.transitions, states=rebuilt.states
            ),
        )
