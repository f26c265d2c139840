"""The analytics engine: DuckDB in memory as a vectorised query engine over Arrow."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from types import TracebackType
from typing import Literal, TypeAlias

import duckdb
import pyarrow as pa

from waymark.analytics import (
    _advocacy,
    _cohorts,
    _coverage,
    _effectiveness,
    _goals,
    _hourglass,
    _insights,
    _quality,
    _signals,
    _transitions,
)
from waymark.analytics._funnel import run_funnel
from waymark.analytics._goals_config import Goals
from waymark.analytics._journey_data import JourneyData
from waymark.analytics.config import AnalyticsConfig
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
from waymark.analytics.errors import InvalidQuery
from waymark.core.signals import OURS

EventSource: TypeAlias = pa.Table | pa.RecordBatchReader | duckdb.DuckDBPyRelation
"""Events with the columns of ``core.eventframe.EVENT_SCHEMA`` plus a profile column."""


def _table(source: EventSource) -> pa.Table:
    if isinstance(source, pa.Table):
        return source
    if isinstance(source, pa.RecordBatchReader):
        return source.read_all()
    return source.to_arrow_table()


class Analytics:
    """The analytics engine: an in-memory DuckDB used as a vectorised query engine over Arrow
    inputs (it stores nothing). Build one and reuse it: opening DuckDB costs more than a small
    report. Each call works on its own cursor, so threads may share an engine."""

    def __init__(
        self, config: AnalyticsConfig | None = None, *, goals: Goals | None = None
    ) -> None:
        self.config = config if config is not None else AnalyticsConfig()
        self.goals = goals if goals is not None else Goals()
        """Stage goals (``goals.yaml``) the hourglass checks and the to-do list ranks first."""
        self._db = duckdb.connect(":memory:")
        self._lock = threading.Lock()

    @contextmanager
    def _cursors(self) -> Iterator[_Cursors]:
        cursors = _Cursors(self)
        try:
            yield cursors
        finally:
            cursors.close()

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            return self._db.cursor()

    def funnel(
        self,
        query: FunnelQuery,
        events: EventSource,
        *,
        profile: str = "profile_id",
        transitions: pa.Table | None = None,
    ) -> FunnelResult:
        """Count profiles through ``query``'s steps, with ClickHouse ``windowFunnel``
        semantics.

        ``events`` has the columns of ``core.eventframe.EVENT_SCHEMA`` (what
        ``EventLog.scan`` gives) plus a ``profile`` column naming each event's profile
        (identity resolution's answer; ``user_id`` or ``anonymous_id`` will do where there is
        none). Stage steps need ``transitions`` (``schemas.TRANSITION_SCHEMA``), matched to the
        events that caused them by ``seq``.

        Raises ``InvalidQuery`` (naming the field) for a bad definition and ``InvalidInput``
        when the data lacks a needed column.
        """
        with self._cursors() as cursors:
            return run_funnel(
                cursors.new, query, _table(events), profile=profile, transitions=transitions
            )

    def hourglass(
        self,
        journeys: JourneyData,
        *,
        as_of: datetime,
        model: str | None = None,
        product: str | None = None,
    ) -> HourglassReport:
        """Per product (all when None): customers per stage now and their status as of
        ``as_of``, how many reached each stage, stage-to-stage conversion, median and p90 time
        in stage, drop-outs, the products side by side, and the stage goals against the
        actuals."""
        chosen = journeys.model(model)
        with self._cursors() as cursors:
            report = _hourglass.hourglass(
                cursors.new(), chosen, journeys, as_of=as_of, product=product, config=self.config
            )
        return _goals.with_goals(report, chosen, self.goals, self.config)

    def transitions(
        self,
        journeys: JourneyData,
        *,
        model: str | None = None,
        product: str | None = None,
        paths: int = 10,
    ) -> TransitionsReport:
        """Stage moves (matrix and Sankey links, with skips and moves back) and the commonest
        paths before purchase."""
        with self._cursors() as cursors:
            return _transitions.transitions(
                cursors.new(),
                journeys.model(model),
                journeys,
                product=product,
                paths=paths,
            )

    def cohorts(
        self,
        journeys: JourneyData,
        *,
        as_of: datetime,
        model: str | None = None,
        product: str | None = None,
        period: Literal["week", "month"] = "month",
        by_entry_stage: bool = False,
    ) -> CohortsReport:
        """Cohorts by journey entry period (and entry stage): the share reaching each stage;
        and retention curves after purchase."""
        with self._cursors() as cursors:
            return _cohorts.cohorts(
                cursors.new(),
                journeys.model(model),
                journeys.transitions,
                journeys.states,
                as_of=as_of,
                product=product,
                period=period,
                by_entry_stage=by_entry_stage,
                retention_days=self.config.retention_days,
            )

    def coverage(
        self,
        journeys: JourneyData,
        content: Sequence[ContentItem],
        *,
        as_of: datetime,
        model: str | None = None,
    ) -> CoverageReport:
        """Content made for each stage of each product against the customers there now."""
        report = self.hourglass(journeys, as_of=as_of, model=model)
        return _coverage.coverage(report, content)

    def insights(
        self,
        journeys: JourneyData,
        *,
        as_of: datetime,
        content: Sequence[ContentItem] | None = None,
    ) -> InsightsReport:
        """The ranked to-do list over every model (content gaps when ``content`` is given)."""
        reports = [self.hourglass(journeys, as_of=as_of, model=m.name) for m in journeys.models]
        known = None if content is None else _coverage.coverage_of(content)
        return InsightsReport(as_of=as_of, insights=_insights.insights(reports, self.config, known))

    def advocacy(
        self,
        journeys: JourneyData,
        events: EventSource,
        *,
        profile: str = "profile_id",
        model: str | None = None,
    ) -> AdvocacyReport:
        """Reviews and ratings, NPS, referrals sent and converted, k-factor, and the share
        reaching advocacy per product (event names in ``AnalyticsConfig``)."""
        with self._cursors() as cursors:
            return _advocacy.advocacy(
                cursors.new(),
                journeys.model(model),
                _table(events),
                journeys.transitions,
                journeys.states,
                profile=profile,
                config=self.config,
            )

    def quality(
        self, journeys: JourneyData, events: EventSource, *, profile: str = "profile_id"
    ) -> QualityReport:
        """Recognition rate, acquisition exposures after purchase, repeat contacts, failed
        messages and time from problem to resolution."""
        with self._cursors() as cursors:
            return _quality.quality(
                cursors.new(), _table(events), journeys.states, profile=profile, config=self.config
            )

    def effectiveness(
        self,
        journeys: JourneyData,
        events: EventSource,
        *,
        as_of: datetime,
        days: int = 14,
        profile: str = "profile_id",
        model: str | None = None,
    ) -> EffectivenessReport:
        """Per content item and stage: the share of engaged customers who moved on within
        ``days``, against comparable customers at the same stage who did not engage."""
        if days < 1:
            raise InvalidQuery("days must be at least 1", field="days")
        with self._cursors() as cursors:
            return _effectiveness.effectiveness(
                cursors.new(),
                journeys.model(model),
                _table(events),
                journeys.transitions,
                journeys.states,
                profile=profile,
                as_of=as_of,
                days=days,
            )

    def signals(
        self,
        journeys: JourneyData,
        events: EventSource,
        *,
        model: str | None = None,
        product: str | None = None,
        period: SignalPeriod = "week",
        days: int = 7,
        brand: str = OURS,
    ) -> SignalsReport:
        """Outside signals about ``model``'s stages: share of voice per period and per stage,
        mentions per stage and product, and stage entries per day in the ``days`` after a
        ``brand`` signal day against other days (an association, not a cause)."""
        with self._cursors() as cursors:
            return _signals.signals(
                cursors.new(),
                journeys.model(model),
                _table(events),
                journeys.transitions,
                product=product,
                period=period,
                days=days,
                brand=brand,
            )

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Analytics:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _Cursors:
    """The cursors one call opened, closed together when it ends."""

    def __init__(self, engine: Analytics) -> None:
        self._engine = engine
        self._open: list[duckdb.DuckDBPyConnection] = []

    def new(self) -> duckdb.DuckDBPyConnection:
        cursor = self._engine._cursor()
        self._open.append(cursor)
        return cursor

    def close(self) -> None:
        for cursor in self._open:
            cursor.close()
