"""Health, version and the OpenAPI document."""

from __future__ import annotations

from typing import Literal

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

import waymark
from waymark.api._deps import services
from waymark.api._io import json_response
from waymark.api._openapi import endpoint, openapi_document


class Health(msgspec.Struct):
    status: str
    version: str
    uptime_seconds: float
    events_per_second: float
    accepted_total: int
    reports_behind: int = 0
    """Events the analytics reports do not include yet: on a large log a report is answered
    from the last snapshot while the next one is rebuilt (0 before the first report)."""
    scheduler: Literal["running", "failing", "stopped", "disabled"] = "disabled"
    """The flow scheduler: ``running``; ``failing`` (its last cycle failed, it keeps trying
    with backoff; the log says why); ``stopped`` (it does not run: no flow step will fire);
    ``disabled`` (this server runs no orchestrator)."""
    scheduler_failed_cycles: int = 0
    """Scheduler cycles that failed since the server started."""
    processing_behind: list[str] = msgspec.field(default_factory=list)
    """Processors (``derived``, ``decide``, ``orchestrate``) that failed on a committed
    group and are being fed it again from the log; the log says why."""
    processing_skipped: int = 0
    """Events some processor skipped since start because they failed on their own."""


@endpoint(
    "GET", "/healthz", summary="Liveness and live ingest rate", response=Health, tags=("meta",)
)
async def healthz(request: Request) -> Response:
    svc = services(request)
    orch = svc.orchestrator
    return json_response(
        Health(
            status="ok",
            version=waymark.__version__,
            uptime_seconds=(svc.clock.now() - svc.started_at).total_seconds(),
            events_per_second=svc.stats.rate(),
            accepted_total=svc.stats.accepted_total,
            reports_behind=0 if svc.analytics is None else svc.analytics.sources.freshness().behind,
            scheduler="disabled" if orch is None else orch.scheduler.state,
            scheduler_failed_cycles=0 if orch is None else orch.scheduler.failed_cycles,
            processing_behind=svc.pipeline.behind(),
            processing_skipped=svc.pipeline.skipped,
        )
    )


@endpoint("GET", "/openapi.json", summary="This API's OpenAPI 3.1 document", tags=("meta",))
async def openapi(request: Request) -> Response:
    document = openapi_document(request.app.routes, title="Waymark", version=waymark.__version__)
    return json_response(document)


def routes() -> list[BaseRoute]:
    return [healthz, openapi]
