"""Every feature's facade, built once from settings and the storage ports, and passed to the
adapters. Adapters never build features themselves."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from waymark.accounts.api import AccountsService, AccountStore
from waymark.accounts.api import config_for as accounts_config_for
from waymark.analytics.api import (
    Analytics,
    AnalyticsService,
    LogSources,
    content_items,
    load_goals,
)
from waymark.core.clock import Clock, SystemClock
from waymark.core.ports import EventLog
from waymark.core.settings import Settings
from waymark.decide.api import Decider, FeedbackProcessor, shipped_catalog
from waymark.decide.ports import AudienceHistory, CatalogStore, DecisionLog
from waymark.identity.api import IdentityService
from waymark.identity.api import config_for as identity_config_for
from waymark.identity.ports import ProfileStore
from waymark.ingest.api import IngestLimits
from waymark.journey.api import JourneyService
from waymark.journey.config import config_for as journeys_config_for
from waymark.journey.contracts import StageChanged
from waymark.journey.ports import JourneyStore
from waymark.orchestrate.adapters import DeciderDecisions, PolicyGate
from waymark.orchestrate.api import Orchestrator
from waymark.orchestrate.config import OrchestrateConfig
from waymark.orchestrate.ports import FlowStore
from waymark.privacy.api import (
    PreferenceLinks,
    PrivacyConfig,
    PrivacyService,
    SuppressingLog,
    Suppression,
)
from waymark.privacy.ports import PrivacyStore
from waymark.runtime.committer import GroupCommitter
from waymark.runtime.contexts import FlowProfiles, ProfileContexts, trait_values
from waymark.runtime.pipeline import Pipeline
from waymark.runtime.privacy_ports import ErasureWriters, FlowMessages
from waymark.runtime.processing import DerivedState
from waymark.runtime.sink import CommitSink
from waymark.runtime.stats import IngestStats
from waymark.scoring.api import ScoringService, scoring_config_for
from waymark.scoring.contracts import ScoreLabelChanged
from waymark.scoring.ports import ScoreStore


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
    orchestrator: Orchestrator | None = None
    sink: CommitSink | None = None
    privacy: PrivacyService | None = None
    accounts: AccountsService | None = None
    scoring: ScoringService | None = None


@dataclass(frozen=True)
class FeatureStores:
    """The storage ports of the features; any left out keeps its state in memory only."""

    profiles: ProfileStore | None = None
    journeys: JourneyStore | None = None
    decisions: DecisionLog | None = None
    catalogs: CatalogStore | None = None
    audiences: AudienceHistory | None = None
    flows: FlowStore | None = None
    """Without a flow store there is no orchestration (flows need durable timers)."""
    privacy: PrivacyStore | None = None
    """Without a privacy store there is no consent API, export, erasure or suppression."""
    accounts: AccountStore | None = None
    scores: ScoreStore | None = None


def build_services(
    settings: Settings,
    *,
    event_log: EventLog,
    stores: FeatureStores | None = None,
    clock: Clock | None = None,
    environ: Mapping[str, str] | None = None,
) -> Services:
    """``environ`` is the process environment, read here once (SMTP, webhooks, flows)."""
    clock = clock or SystemClock()
    stores = stores or FeatureStores()
    identity = IdentityService(identity_config_for(settings.data_dir), store=stores.profiles)
    models = journeys_config_for(settings.data_dir).load_models()
    journeys = JourneyService(models, store=stores.journeys, clock=clock)
    accounts = AccountsService(
        accounts_config_for(settings.data_dir, models),
        models,
        stages_of=journeys.states,
        traits_of=trait_values(identity),
        store=stores.accounts,
    )
    scoring = ScoringService(
        scoring_config_for(settings.data_dir, models),
        identity=identity,
        journeys=journeys,
        store=stores.scores,
        memberships=accounts,
        clock=clock,
    )
    contexts = ProfileContexts(identity, journeys, event_log, scoring=scoring)
    decider = Decider.open(
        shipped_catalog(),
        log=stores.decisions,
        catalogs=stores.catalogs,
        contexts=contexts,
        audiences=stores.audiences,
    )
    analytics = AnalyticsService(
        LogSources(event_log, models, identity=identity.config),
        clock=clock,
        engine=Analytics(goals=load_goals(settings.data_dir, models)),
        content=lambda: content_items(decider.catalog.experiences),
        accounts=accounts.stage_table,
    )
    pipeline = Pipeline(
        [
            DerivedState(identity, journeys, accounts, scoring),
            FeedbackProcessor(decider, event_log),
        ],
        event_log=event_log,
    )
    stats = IngestStats()
    suppression = None if stores.privacy is None else Suppression(stores.privacy.suppressed())
    privacy_config = PrivacyConfig.from_env(environ or {})
    links = (
        None
        if stores.privacy is None
        else PreferenceLinks.for_installation(settings.data_dir, clock=clock, config=privacy_config)
    )
    committed_to: EventLog = event_log
    if suppression is not None and stores.privacy is not None:
        # an erased person's identifiers are checked before anything reaches the log
        committed_to = SuppressingLog(
            event_log,
            suppression,
            # through the service each time: a rebuild replaces identity's engine; every id
            # an event names, so a signal naming an erased person is refused too
            lambda e: identity.extractor.named(e),  # noqa: PLW0108
            on_lift=stores.privacy.unsuppress,
        )
    committer = GroupCommitter(committed_to, on_commit=pipeline)
    sink = CommitSink(committer)
    orchestrator = None
    if stores.flows is not None:
        flow_store = stores.flows
        orchestrator = Orchestrator(
            store=flow_store,
            profiles=FlowProfiles(contexts, identity),
            gate=PolicyGate(
                # read each time: the catalog can change through the admin API
                lambda: decider.catalog.doc.policy,
                contacts=lambda pid, since: flow_store.contacts(pid, since=since),
            ),
            sink=sink,
            clock=clock,
            config=OrchestrateConfig.from_env(environ or {}),
            decisions=DeciderDecisions(decider, contexts),
            environ=environ or {},
            preference_link=None if links is None else links.url_for,
        )
        journeys.subscribe(_stage_listener(orchestrator))
        scoring.subscribe(_label_listener(orchestrator))
        pipeline.processors.append(orchestrator)
    privacy = None
    if stores.privacy is not None and suppression is not None and links is not None:
        privacy = PrivacyService(
            identity=identity,
            journeys=journeys,
            event_log=event_log,
            store=stores.privacy,
            suppression=suppression,
            clock=clock,
            config=privacy_config,
            writers=ErasureWriters(
                orchestrator,
                [stores.decisions],
                settle=sink.settle,
                held=[decider.audiences_held],
            ),
            links=links,
            messages=None if orchestrator is None else FlowMessages(orchestrator),
            accounts=accounts,
            scoring=scoring,
        )
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
        orchestrator=orchestrator,
        sink=sink,
        privacy=privacy,
        accounts=accounts,
        scoring=scoring,
    )


def _stage_listener(orchestrator: Orchestrator) -> Callable[[list[StageChanged]], None]:
    """Stage changes start the flows they trigger (the count it returns is not needed)."""

    def listen(changes: list[StageChanged]) -> None:
        orchestrator.on_stage_changes(changes)

    return listen


def _label_listener(orchestrator: Orchestrator) -> Callable[[list[ScoreLabelChanged]], None]:
    """Lead-label changes ("became sales-qualified") start the flows they trigger."""

    def listen(changes: list[ScoreLabelChanged]) -> None:
        orchestrator.on_label_changes(changes)

    return listen
