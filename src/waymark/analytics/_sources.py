"""Analytics inputs recomputed from the event log: every event with its profile, and every
journey, from identity's and the journey engine's batch rebuilds (both vectorised).

Reports are recomputed, not kept as incremental aggregates: the log is the source of truth,
identity merges rewrite whose events are whose and late events rewrite histories, so an
aggregate updated in place would drift; recomputing from the rebuilt state is exact. The
rebuild is redone only when the log has grown (``max_seq`` changed).

Under live traffic the log grows between any two requests, and a rebuild of a large log takes
seconds. So once a rebuild has cost more than ``sync_budget_s``, a request while the log has
grown is answered from the last snapshot at once and one rebuild runs in the background
(stale while revalidating): reports lag the log by about one rebuild instead of every request
paying for one. Small logs (rebuilds under the budget) are rebuilt before answering, so a
report always includes the events just sent. ``freshness()`` says how far behind it is.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from waymark.analytics._journey_data import JourneyData
from waymark.analytics._service import Freshness
from waymark.core.eventframe import EVENT_SCHEMA
from waymark.core.ports import EventLog
from waymark.core.signals import signal_mask
from waymark.identity.api import IdentityConfig, IdentityService, attach_profiles
from waymark.journey.api import rebuild
from waymark.journey.contracts import JourneyModel

log = logging.getLogger(__name__)

PROFILE = "profile_id"
DICTIONARY_COLUMNS = ("event", "type", "channel", PROFILE)


@dataclass(frozen=True)
class LogSnapshot:
    """Events and journeys rebuilt from the log up to ``version`` (its ``max_seq`` then)."""

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
    """Events with profiles and journeys, rebuilt from ``event_log`` when it has grown (see
    the module doc for when a request waits for the rebuild and when it does not)."""

    def __init__(
        self,
        event_log: EventLog,
        models: Sequence[JourneyModel],
        *,
        identity: IdentityConfig | None = None,
        sync_budget_s: float = 1.0,
    ) -> None:
        self._log = event_log
        self._models = tuple(models)
        self._identity = identity
        self._budget = sync_budget_s
        self._snapshot: LogSnapshot | None = None
        self._last_cost = 0.0
        self._building = threading.Lock()  # one rebuild at a time, in front or behind
        self._refresher: threading.Thread | None = None

    def freshness(self) -> Freshness:
        snap, refresher = self._snapshot, self._refresher
        return Freshness(
            snapshot_seq=0 if snap is None else snap.version,
            log_seq=self._log.max_seq(),
            refreshing=refresher is not None and refresher.is_alive(),
        )

    def snapshot(self) -> LogSnapshot:
        version = self._log.max_seq()
        snap = self._snapshot
        if snap is not None and (snap.version == version or self._last_cost > self._budget):
            if snap.version != version:
                self._refresh_behind()
            return snap
        with self._building:
            snap = self._snapshot  # built by another request while this one waited
            if snap is not None and snap.version >= version:
                return snap
            return self._rebuild()

    def invalidate(self) -> None:
        with self._building:  # a rebuild under way (it may have read the deleted rows) ends first
            self._snapshot = None

    def _rebuild(self) -> LogSnapshot:
        # the caller holds _building
        started = time.monotonic()
        snap = self._load(self._log.max_seq())
        self._last_cost = time.monotonic() - started
        self._snapshot = snap
        return snap

    def _refresh_behind(self) -> None:
        if not self._building.acquire(blocking=False):
            return  # a rebuild is already under way; it will do

        def run() -> None:
            try:
                self._rebuild()
            except Exception:  # the next request tries again; reports keep the last snapshot
                log.exception("rebuilding the analytics snapshot failed")
            finally:
                self._building.release()

        self._refresher = threading.Thread(
            target=run, name="waymark-analytics-refresh", daemon=True
        )
        self._refresher.start()

    def _load(self, version: int) -> LogSnapshot:
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
        return LogSnapshot(
            version=version,
            events=events,
            journeys=JourneyData(
                models=self._models, transitions=rebuilt.transitions, states=rebuilt.states
            ),
        )
