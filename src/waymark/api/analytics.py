"""Journey analytics over HTTP (admin token): the hourglass per product, the ranked to-do list,
funnels, transitions, cohorts and content coverage. Reports run in a worker thread (they are
CPU work over Arrow and DuckDB) and answer as of the server's clock."""

from __future__ import annotations

from typing import Literal

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from waymark.analytics.api import AnalyticsService
from waymark.analytics.contracts import (
    AdvocacyReport,
    CohortsReport,
    CoverageReport,
    EffectivenessReport,
    FunnelQuery,
    FunnelResult,
    HourglassReport,
    InsightsReport,
    QualityReport,
    TransitionsReport,
)
from waymark.analytics.errors import AnalyticsUnavailable
from waymark.api._deps import available, services
from waymark.api._io import decode_body, threaded_json
from waymark.api._openapi import Param, endpoint
from waymark.api.events import query_flag, query_int, query_text, query_time
from waymark.core.errors import ValidationError

TAGS = ("analytics",)
_MODEL = Param("model", "query", str, "journey model (default: the first configured)")
_PRODUCT = Param("product", "query", str, "one product (default: every product)")
_AS_OF = Param("as_of", "query", str, "status as of this time (RFC 3339; default: now)")


def analytics_of(request: Request) -> AnalyticsService:
    return available(
        services(request).analytics,
        AnalyticsUnavailable,
        "journey analytics is not set up on this server",
    )


def _period(request: Request) -> Literal["week", "month"]:
    value = request.query_params.get("period") or "month"
    if value == "week":
        return "week"
    if value == "month":
        return "month"
    raise ValidationError(f"period is week or month, got {value!r}", field="period")


def _flag(request: Request, name: str) -> bool:
    return query_flag(request, name) or False


@endpoint(
    "GET",
    "/api/v1/analytics/hourglass",
    summary="Stage counts, conversions, times in stage, stalled and lapsed counts per product",
    response=HourglassReport,
    auth="admin",
    tags=TAGS,
    params=[_MODEL, _PRODUCT, _AS_OF],
)
async def hourglass(request: Request) -> Response:
    return await threaded_json(
        analytics_of(request).hourglass,
        model=query_text(request, "model"),
        product=query_text(request, "product"),
        as_of=query_time(request, "as_of"),
    )


@endpoint(
    "GET",
    "/api/v1/analytics/insights",
    summary="The to-do list: insights ranked by customers affected x gap to the best product",
    response=InsightsReport,
    auth="admin",
    tags=TAGS,
    params=[_AS_OF],
)
async def insights(request: Request) -> Response:
    return await threaded_json(analytics_of(request).insights, as_of=query_time(request, "as_of"))


@endpoint(
    "POST",
    "/api/v1/analytics/funnel",
    summary="A funnel over event or stage steps, with windowFunnel semantics",
    description="Modes ordered, strict_order, strict_deduplication (as ClickHouse windowFunnel) "
    "and any_order; a conversion window; exclusion steps; a breakdown; a date range.",
    request=FunnelQuery,
    response=FunnelResult,
    auth="admin",
    tags=TAGS,
)
async def funnel(request: Request) -> Response:
    analytics = analytics_of(request)
    query = await decode_body(request, FunnelQuery)
    return await threaded_json(analytics.funnel, query)


@endpoint(
    "GET",
    "/api/v1/analytics/transitions",
    summary="Stage moves as a matrix and Sankey links (skips and moves back), paths to purchase",
    response=TransitionsReport,
    auth="admin",
    tags=TAGS,
    params=[
        _MODEL,
        _PRODUCT,
        Param("paths", "query", int, "how many paths to list (1-100, default 10)"),
    ],
)
async def transitions(request: Request) -> Response:
    return await threaded_json(
        analytics_of(request).transitions,
        model=query_text(request, "model"),
        product=query_text(request, "product"),
        paths=query_int(request, "paths", 10, lo=1, hi=100),
    )


@endpoint(
    "GET",
    "/api/v1/analytics/cohorts",
    summary="Cohorts by entry week or month (and entry stage): share reaching each stage; "
    "retention after purchase",
    response=CohortsReport,
    auth="admin",
    tags=TAGS,
    params=[
        _MODEL,
        _PRODUCT,
        Param("period", "query", str, "week or month (default)"),
        Param("by_entry_stage", "query", bool, "one cohort per entry stage too"),
        _AS_OF,
    ],
)
async def cohorts(request: Request) -> Response:
    return await threaded_json(
        analytics_of(request).cohorts,
        model=query_text(request, "model"),
        product=query_text(request, "product"),
        period=_period(request),
        by_entry_stage=_flag(request, "by_entry_stage"),
        as_of=query_time(request, "as_of"),
    )


@endpoint(
    "GET",
    "/api/v1/analytics/coverage",
    summary="Content made for each stage of each product against the customers there",
    response=CoverageReport,
    auth="admin",
    tags=TAGS,
    params=[_MODEL, _AS_OF],
)
async def coverage(request: Request) -> Response:
    return await threaded_json(
        analytics_of(request).coverage,
        model=query_text(request, "model"),
        as_of=query_time(request, "as_of"),
    )


@endpoint(
    "GET",
    "/api/v1/analytics/advocacy",
    summary="The advocacy loop: reviews, NPS, referrals sent and converted, k-factor",
    response=AdvocacyReport,
    auth="admin",
    tags=TAGS,
    params=[_MODEL],
)
async def advocacy(request: Request) -> Response:
    return await threaded_json(analytics_of(request).advocacy, model=query_text(request, "model"))


@endpoint(
    "GET",
    "/api/v1/analytics/quality",
    summary="Journey quality: recognition rate, irrelevant exposures, friction",
    response=QualityReport,
    auth="admin",
    tags=TAGS,
)
async def quality(request: Request) -> Response:
    return await threaded_json(analytics_of(request).quality)


@endpoint(
    "GET",
    "/api/v1/analytics/effectiveness",
    summary="Per content item and stage: progress within N days after engaging vs comparable "
    "customers who did not",
    response=EffectivenessReport,
    auth="admin",
    tags=TAGS,
    params=[
        _MODEL,
        Param("days", "query", int, "the window after engaging (1-365, default 14)"),
        _AS_OF,
    ],
)
async def effectiveness(request: Request) -> Response:
    return await threaded_json(
        analytics_of(request).effectiveness,
        model=query_text(request, "model"),
        days=query_int(request, "days", 14, lo=1, hi=365),
        as_of=query_time(request, "as_of"),
    )


def routes() -> list[BaseRoute]:
    return [
        hourglass,
        insights,
        funnel,
        transitions,
        cohorts,
        coverage,
        advocacy,
        quality,
        effectiveness,
    ]
