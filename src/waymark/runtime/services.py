"""Every feature's facade, built once from settings and the storage ports, and passed to the
adapters. Adapters never build features themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from waymark.analytics.api import AnalyticsService, LogSources, content_items
from waymark.core.clock import Clock, SystemClock
from waymark.core.ports import EventLog
from waymark.core.settings import Settings
from waymark.decide.api import Decider, FeedbackProcessor, shipped_catalog
from waymark.decide.ports import CatalogStore, DecisionLog
from waymark.identity.api import IdentityService
from waymark.identity.api import config_for as identity_config_for
from waymark.identity.ports import ProfileStore
from waymark.ingest.api import IngestLimits
from waymark.journey.api import JourneyService
from waymark.journey.config import config_for as journeys_config_for
from waymark.journey.ports import JourneyStore
from waymark.runtime.committer import GroupCommitter
from waymark.runtime.contexts import ProfileContexts
from waymark.runtime.pipeline import Pipeline
from waymark.runtime.processing import DerivedState
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
    journeys: JourneyService | None = None


@dataclass(frozen=True)
class FeatureStores:
    """The storage ports of the features; any left out keeps its state in memory only."""

    profiles: ProfileStore | None = None
    journeys: JourneyStore | None = None
    decisions: DecisionLog | None = None
    catalogs: CatalogStore | None = None


def build_services(
    settings: Settings,
    *,
    event_log: EventLog,
    stores: FeatureStores | None = None,
    clock: Clock | None = None,
) -> Services:
    clock = clock or SystemClock()
    stores = stores or FeatureStores()
    identity = IdentityService(identity_config_for(settings.data_dir), store=stores.profiles)
    models = journeys_config_for(settings.data_dir).load_models()
    journeys = JourneyService(models, store=stores.journeys, clock=clock)
    decider = Decider.open(
        shipped_catalog(),
        log=stores.decisions,
        catalogs=stores.catalogs,
        contexts=ProfileContexts(identity, journeys, event_log),
    )
    analytics = AnalyticsService(
        LogSources(event_log, models, identity=identity.config),
        clock=clock,
        content=lambda: content_items(decider.catalog.experiences),
    )
    pipeline = Pipeline([DerivedState(identity, journeys), FeedbackProcessor(decider, event_log)])
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
        decide=decider,
        identity=identity,
        analytics=analytics,
        journeys=journeys,
    )
