"""Outside signals over HTTP (admin token): share of voice, mentions per stage and product,
and stage entries in the days after signals. Stage goals travel with the hourglass
(``/api/v1/analytics/hourglass``, each product's ``goals``)."""

from __future__ import annotations

from typing import get_args

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from waymark.analytics.contracts import SignalPeriod, SignalsReport
from waymark.api._io import threaded_json
from waymark.api._openapi import Param, endpoint
from waymark.api.analytics import TAGS, analytics_of
from waymark.api.events import query_int, query_text
from waymark.core.errors import ValidationError
from waymark.core.signals import OURS

_PERIODS: tuple[SignalPeriod, ...] = get_args(SignalPeriod)


def _period(request: Request) -> SignalPeriod:
    value = request.query_params.get("period") or "week"
    for period in _PERIODS:
        if value == period:
            return period
    raise ValidationError(f"period is one of {', '.join(_PERIODS)}, got {value!r}", field="period")


@endpoint(
    "GET",
    "/api/v1/analytics/signals",
    summary="Outside signals: share of voice, mentions per stage, stage entries in the days after",
    description="Press, review-site and social mentions, competitor comparison visits and partner "
    "referrals (track events named 'Outside Signal'). The lag figures are an association, not a "
    "cause.",
    response=SignalsReport,
    auth="admin",
    tags=TAGS,
    params=[
        Param("model", "query", str, "journey model (default: the first configured)"),
        Param("product", "query", str, "one product (default: every product)"),
        Param("period", "query", str, "share-of-voice period: day, week (default) or month"),
        Param("days", "query", int, "days after a signal day the lag looks at (1-90, default 7)"),
        Param("brand", "query", str, "whose signals the lag relates to entries (default ours)"),
    ],
)
async def signals(request: Request) -> Response:
    return await threaded_json(
        analytics_of(request).signals,
        model=query_text(request, "model"),
        product=query_text(request, "product"),
        period=_period(request),
        days=query_int(request, "days", 7, lo=1, hi=90),
        brand=request.query_params.get("brand") or OURS,
    )


def routes() -> list[BaseRoute]:
    return [signals]
