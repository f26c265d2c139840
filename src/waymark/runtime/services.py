"""Every feature's facade, built once from settings and the storage ports, and passed to the
adapters. Adapters never build features themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from waymark.analytics.api import AnalyticsService
from waymark.core.clock import Clock, SystemClock
from waymark.core.ports import EventLog
from waymark.core.settings import Settings
from waymark.decide.api import Decider
from waymark.identity.api import IdentityService
from waymark.ingest.api import IngestLimits
from waymark.runtime.committer import GroupCommitter
from waymark.runtime.pipeline import Pipeline
from waymark.runtime.stats import IngestStats


@dataclass
class Services:
    settings: Settings
    clock: Clock
    event_log: EventLog
    committer: GroupCommitter
    pipeline: Pipeline
    limits: IngestLimits
    stats: IngestStats
    started_at: datetime = field(default_factory=lambda: SystemClock().now())
    decide: Decider | None = None
    identity: IdentityService | None = None
    analytics: AnalyticsService | None = None


def build_services(
    settings: Settings,
    *,
    event_log: EventLog,
    clock: Clock | None = None,
) -> Services:
    clock = clock or SystemClock()
    pipeline = Pipeline()
    stats = IngestStats()
    committer = GroupCommitter(event_log, on_commit=pipeline)
    return Services(
        settings=settings,
        clock=clock,
        event_log=event_log,
        committer=committer,
        pipeline=pipeline,
        limits=IngestLimits(
            max_message_bytes=settings.max_message_bytes,
            max_batch_bytes=settings.max_batch_bytes,
            max_batch_messages=settings.max_batch_messages,
        ),
        stats=stats,
        started_at=clock.now(),
    )
