"""What the HTTP API and the CLI call: the engine, where its data comes from, and the clock."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
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


class Sources(Protocol):
    """Where reports read from (``LogSources`` rebuilds from the log; the runtime may pass its
    live engines' state instead)."""

    def events(self) -> pa.Table:
        """Every event (``EVENT_SCHEMA``) with a ``profile_id`` column."""
        ...

    def journeys(self) -> JourneyData: ...


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
        journeys = self.sources.journeys()
        chosen = journeys.model(model)
        return account_hourglass(
            chosen,
            self._accounts(chosen.name),
            self.sources.events(),
            journeys.states,
            product=product,
        )

    def funnel(self, query: FunnelQuery) -> FunnelResult:
        stages = any(step.is_stage for step in query.steps)
        return self.engine.funnel(
            query,
            self.sources.events(),
            transitions=self.sources.journeys().transitions if stages else None,
        )

    def hourglass(
        self, *, model: str | None = None, product: str | None = None, as_of: datetime | None = None
    ) -> HourglassReport:
        return self.engine.hourglass(
            self.sources.journeys(), as_of=as_of or self.clock.now(), model=model, product=product
        )

    def transitions(
        self, *, model: str | None = None, product: str | None = None, paths: int = 10
    ) -> TransitionsReport:
        return self.engine.transitions(
            self.sources.journeys(), model=model, product=product, paths=paths
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
            self.sources.journeys(),
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
            self.sources.journeys(),
            content,
            as_of=as_of or self.clock.now(),
            model=model,
        )

    def insights(self, *, as_of: datetime | None = None) -> InsightsReport:
        return self.engine.insights(
            self.sources.journeys(), as_of=as_of or self.clock.now(), content=self.content()
        )

    def advocacy(self, *, model: str | None = None) -> AdvocacyReport:
        return self.engine.advocacy(self.sources.journeys(), self.sources.events(), model=model)

    def quality(self) -> QualityReport:
        return self.engine.quality(self.sources.journeys(), self.sources.events())

    def effectiveness(
        self, *, model: str | None = None, days: int = 14, as_of: datetime | None = None
    ) -> EffectivenessReport:
        return self.engine.effectiveness(
            self.sources.journeys(),
            self.sources.events(),
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
        return self.engine.signals(
            self.sources.journeys(),
            self.sources.events(),
            model=model,
            product=product,
            period=period,
            days=days,
            brand=brand,
        )
