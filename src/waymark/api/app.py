"""The ASGI application: routes from every area, one error mapping, and the lifespan that
starts group commit and catches derived state up with the log."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute

from waymark.api import (
    accounts,
    activity,
    analytics,
    decide,
    events,
    flows,
    health,
    importing,
    journeys,
    preferences,
    privacy,
    profiles,
    scores,
    signals,
    tracking,
)
from waymark.api._errors import on_http_error, on_unexpected, on_waymark_error
from waymark.core.errors import WaymarkError
from waymark.runtime.services import Services
from waymark.web import routes as web

# One line per area; each module exposes routes() -> list[BaseRoute].
ROUTE_MODULES = (
    health,
    tracking,
    events,
    importing,
    decide,
    profiles,
    analytics,
    signals,
    flows,
    activity,
    journeys,
    privacy,
    accounts,
    preferences,
    scores,
    web,
)


def create_app(services: Services) -> Starlette:
    routes: list[BaseRoute] = []
    for module in ROUTE_MODULES:
        routes.extend(module.routes())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        services.pipeline.catch_up(services.event_log)
        await services.committer.start()
        if services.sink is not None:
            services.sink.bind(asyncio.get_running_loop())
        if services.orchestrator is not None:
            await services.orchestrator.start()
        try:
            yield
        finally:
            # each step runs even if the one before it raised: queued commits are drained and
            # checkpoints saved whatever happened to the scheduler
            try:
                if services.orchestrator is not None:
                    await services.orchestrator.stop()
            finally:
                try:
                    await services.committer.stop()
                finally:
                    services.pipeline.flush()

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            WaymarkError: on_waymark_error,
            HTTPException: on_http_error,
            Exception: on_unexpected,
        },
    )
    app.state.services = services
    return app
