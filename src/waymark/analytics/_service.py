"""What the HTTP API and the CLI call: the engine, where its data comes from, and the clock."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

import pyarrow as pa

from waymark.accounts.contracts import AccountHourglass
from waymark.analytics._accounts import account_hourglass
from waymark.analytics._engine import Analytics
from waymark.analytics._journey_data import JourneyData
from waymark.analytics.contracts import (
    AdvocacyReport,
    CohortsReport,
    ContentItem,
    CoverageReport,
    EffectivenessReport,
    FunnelQuery,
    FunnelResult,
    HourglassReport,
    InsightsReport,
    QualityReport,
    SignalPeriod,
    SignalsReport,
    TransitionsReport,
)
from waymark.analytics.errors import AnalyticsUnavailable
from waymark.core.clock import Clock


class Snapshot(Protocol):
    """One consistent view: the events and the journeys derived from exactly those events."""

    @property
    def events(self) -> pa.Table:
        """Every event (``EVENT_SCHEMA``) with a ``profile_id`` column."""
        ...

    @property
    def journeys(self) -> JourneyData: ...


@dataclass(frozen=True)
class Freshness:
    """How far the reports' snapshot is behind the log, as log seqs (``snapshot_seq`` 0: no
    report has been built yet)."""

    snapshot_seq: int
    log_seq: int
    refreshing: bool

    @property
    def behind(self) -> int:
        """Events the reports do not include yet (0 before the first report)."""
        return 0 if self.snapshot_seq == 0 else max(0, self.log_seq - self.snapshot_seq)


class Sources(Protocol):
    """Where reports read from (``LogSources`` rebuilds from the log; the runtime may pass its
    live engines' state instead). A report that reads events and journeys takes both from one
    ``snapshot()``, so the log growing in between cannot pair events with other journeys."""

    def snapshot(self) -> Snapshot: ...

    def freshness(self) -> Freshness: ...

    def invalidate(self) -> None:
        """The log changed other than by growing (an erasure deleted events): the next
        snapshot is rebuilt, and nothing deleted is served from memory meanwhile."""
        ...


class HasContent(Protocol):
    """The fields of a decide catalog experience that coverage reads."""

    @property
    def id(self) -> str: ...

    @property
    def products(self) -> tuple[str, ...]: ...

    @property
    def stages(self) -> dict[str, tuple[str, ...]]: ...


def content_items(experiences: Iterable[HasContent]) -> list[ContentItem]:
    """Catalog experiences as coverage counts them."""
    return [
        ContentItem(id=e.id, products=tuple(e.products), stages=dict(e.stages)) for e in experiences
    ]


class AnalyticsService:
    """Reports as of the clock's now, over ``sources``; content gaps when ``content`` is set."""

    def __init__(
        self,
        sources: Sources,
        *,
        clock: Clock,
        engine: Analytics | None = None,
        content: Callable[[], Sequence[ContentItem]] | None = None,
        accounts: Callable[[str], pa.Table] | None = None,
    ) -> None:
        """``accounts(model)``: the accounts' own journeys on a model
        (``AccountsService.stage_table``), for the account hourglass."""
        self.sources = sources
        self.clock = clock
        self.engine = engine if engine is not None else Analytics()
        self._content = content
        self._accounts = accounts

    def content(self) -> Sequence[ContentItem] | None:
        return None if self._content is None else self._content()

    def account_hourglass(
        self, *, model: str | None = None, product: str | None = None
    ) -> AccountHourglass:
        if self._accounts is None:
            raise AnalyticsUnavailable("accounts are not set up here")
        view = self.sources.snapshot()
        chosen = view.journeys.model(model)
        return account_hourglass(
            chosen,
            self._accounts(chosen.name),
            view.events,
            view.journeys.states,
            product=product,
        )

    def funnel(self, query: FunnelQuery) -> FunnelResult:
        stages = any(step.is_stage for step in query.steps)
        view = self.sources.snapshot()
        return self.engine.funnel(
            query, view.events, transitions=view.journeys.transitions if stages else None
        )

    def hourglass(
        self, *, model: str | None = None, product: str | None = None, as_of: datetime | None = None
    ) -> HourglassReport:
        return self.engine.hourglass(
            self.sources.snapshot().journeys,
            as_of=as_of or self.clock.now(),
            model=model,
            product=product,
        )

    def transitions(
        self, *, model: str | None = None, product: str | None = None, paths: int = 10
    ) -> TransitionsReport:
        return self.engine.transitions(
            self.sources.snapshot().journeys, model=model, product=product, paths=paths
        )

    def cohorts(
        self,
        *,
        model: str | None = None,
        product: str | None = None,
        period: Literal["week", "month"] = "month",
        by_entry_stage: bool = False,
        as_of: datetime | None = None,
    ) -> CohortsReport:
        return self.engine.cohorts(
            self.sources.snapshot().journeys,
            as_of=as_of or self.clock.now(),
            model=model,
            product=product,
            period=period,
            by_entry_stage=by_entry_stage,
        )

    def coverage(
        self, *, model: str | None = None, as_of: datetime | None = None
    ) -> CoverageReport:
        content = self.content()
        if content is None:
            raise AnalyticsUnavailable(
                "content coverage needs the decide catalog, which is not set up here"
            )
        return self.engine.coverage(
            self.sources.snapshot().journeys,
            content,
            as_of=as_of or self.clock.now(),
            model=model,
        )

    def insights(self, *, as_of: datetime | None = None) -> InsightsReport:
        return self.engine.insights(
            self.sources.snapshot().journeys,
            as_of=as_of or self.clock.now(),
            content=self.content(),
        )

    def advocacy(self, *, model: str | None = None) -> AdvocacyReport:
        view = self.sources.snapshot()
        return self.engine.advocacy(view.journeys, view.events, model=model)

    def quality(self) -> QualityReport:
        view = self.sources.snapshot()
        return self.engine.quality(view.journeys, view.events)

    def effectiveness(
        self, *, model: str | None = None, days: int = 14, as_of: datetime | None = None
    ) -> EffectivenessReport:
        view = self.sources.snapshot()
        return self.engine.effectiveness(
            view.journeys,
            view.events,
            as_of=as_of or self.clock.now(),
            days=days,
            model=model,
        )

    def signals(
        self,
        *,
        model: str | None = None,
        product: str | None = None,
        period: SignalPeriod = "week",
        days: int = 7,
        brand: str = "ours",
    ) -> SignalsReport:
        view = self.sources.snapshot()
        return self.engine.signals(
            view.journeys,
            view.events,
            model=model,
            product=product,
            period=period,
            days=days,
            brand=brand,
        )
