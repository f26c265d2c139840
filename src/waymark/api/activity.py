"""Recent performance of the catalog, the flows and the audiences (admin), for the
dashboard's read views: each over the last ``days`` days (default 7). Every answer is computed
in a worker thread: the queries and the audience count must never hold up the event loop."""

from __future__ import annotations

from collections.abc import Callable

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from waymark.api._deps import services
from waymark.api._io import threaded_json
from waymark.api._openapi import Param, endpoint
from waymark.api.decide import decider_for
from waymark.api.events import query_int
from waymark.api.flows import orchestrator_for
from waymark.decide.contracts import AudiencesActivity, CatalogPerformance
from waymark.orchestrate.contracts import FlowsActivity

TAGS = ("activity",)
DAYS = Param("days", "query", int, "the window: the last N days (1-366, default 7)")


async def _over_window(request: Request, compute: Callable[..., msgspec.Struct]) -> Response:
    """``compute(now=..., days=...)`` in a worker thread, answered as JSON."""
    days = query_int(request, "days", 7, lo=1, hi=366)
    now = services(request).clock.now()
    return await threaded_json(compute, now=now, days=days)


@endpoint(
    "GET", "/api/v1/activity/catalog",
    summary="Each experience's decisions, exclusions by reason, offers and feedback, "
    "treated and holdout apart",
    description="Counts over decisions made in the window; feedback (views, clicks, "
    "conversions) counts toward the decision it answers.",
    response=CatalogPerformance, auth="admin", tags=TAGS, params=[DAYS],
)  # fmt: skip
async def catalog_activity(request: Request) -> Response:
    return await _over_window(request, decider_for(request).performance)


@endpoint(
    "GET", "/api/v1/activity/flows",
    summary="Each flow's runs started and ended, messages per send step by status, dead letters",
    response=FlowsActivity, auth="admin", tags=TAGS, params=[DAYS],
)  # fmt: skip
async def flows_activity(request: Request) -> Response:
    return await _over_window(request, orchestrator_for(request).activity)


@endpoint(
    "GET", "/api/v1/activity/audiences",
    summary="Each audience's size now, members who joined and left, and its last export",
    description="Sizes are counted for all audiences in one pass over the profiles, at most "
    "once a minute (a recent count is shared); `counted_at` says when.",
    response=AudiencesActivity, auth="admin", tags=TAGS, params=[DAYS],
)  # fmt: skip
async def audiences_activity(request: Request) -> Response:
    return await _over_window(request, decider_for(request).audiences)


def routes() -> list[BaseRoute]:
    return [catalog_activity, flows_activity, audiences_activity]
