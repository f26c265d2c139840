"""Analytics facade: funnels and journey reports over the event log and the journey history.

    engine = Analytics()
    engine.funnel(FunnelQuery(steps=...), events_table, profile="profile_id")
    journeys = JourneyData.from_states(models, journey_engine.all_states())
    engine.hourglass(journeys, as_of=now)

    service = AnalyticsService(LogSources(event_log, models), clock=clock)   # API and CLI
    service.insights()

Other packages import only this module, ``waymark.analytics.contracts`` and
``waymark.analytics.schemas``.
"""

from __future__ import annotations

import pyarrow as pa

from waymark.analytics._definition import load_funnel
from waymark.analytics._engine import Analytics, EventSource
from waymark.analytics._funnel import validate
from waymark.analytics._goals_config import (
    GOALS_FILENAME,
    Goals,
    ModelGoals,
    ProductGoals,
    StageGoal,
    load_goals,
    parse_goals,
)
from waymark.analytics._journey_data import JourneyData
from waymark.analytics._service import (
    AnalyticsService,
    Freshness,
    HasContent,
    Sources,
    content_items,
)
from waymark.analytics._sources import LogSources
from waymark.analytics.config import AnalyticsConfig
from waymark.analytics.contracts import FunnelQuery, FunnelResult

__all__ = [
    "GOALS_FILENAME",
    "Analytics",
    "AnalyticsConfig",
    "AnalyticsService",
    "EventSource",
    "Freshness",
    "Goals",
    "HasContent",
    "JourneyData",
    "LogSources",
    "ModelGoals",
    "ProductGoals",
    "Sources",
    "StageGoal",
    "content_items",
    "funnel",
    "load_funnel",
    "load_goals",
    "parse_goals",
    "validate_funnel",
]


def funnel(
    query: FunnelQuery,
    events: EventSource,
    *,
    profile: str = "profile_id",
    transitions: pa.Table | None = None,
) -> FunnelResult:
    """``Analytics().funnel(...)`` on a throwaway engine (see ``Analytics.funnel``)."""
    with Analytics() as engine:
        return engine.funnel(query, events, profile=profile, transitions=transitions)


def validate_funnel(query: FunnelQuery) -> None:
    """Check a definition without running it (raises ``InvalidQuery``)."""
    validate(query)
