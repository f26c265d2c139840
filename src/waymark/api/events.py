"""Admin read access to the event log (the CLI uses it when a server holds the data)."""

from __future__ import annotations

from datetime import datetime

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from waymark.api._deps import services
from waymark.api._io import json_response
from waymark.api._openapi import Param, endpoint
from waymark.core.errors import ValidationError
from waymark.core.events import Event
from waymark.core.ports import LogStats


class EventPage(msgspec.Struct):
    events: list[Event]
    total_in_log: int


def query_text(request: Request, name: str) -> str | None:
    """The parameter's value; None when it is missing or empty."""
    return request.query_params.get(name) or None


def query_int(request: Request, name: str, default: int, *, lo: int, hi: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(f"{name} must be an integer, got {raw!r}", field=name) from None
    if not lo <= value <= hi:
        raise ValidationError(f"{name} must be between {lo} and {hi}", field=name)
    return value


def query_flag(request: Request, name: str) -> bool | None:
    """``true``/``false`` (or 1/0, yes/no); None when the parameter is not given."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    value = raw.lower()
    if value in ("1", "true", "yes"):
        return True
    if value in ("0", "false", "no"):
        return False
    raise ValidationError(f"{name} is true or false, got {raw!r}", field=name)


def query_time(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return msgspec.convert(raw, datetime)
    except msgspec.ValidationError:
        raise ValidationError(
            f"{name} must be an RFC 3339 time such as 2026-01-31T12:00:00Z, got {raw!r}",
            field=name,
        ) from None


@endpoint(
    "GET",
    "/api/v1/events",
    summary="Latest events, newest first, optionally for a user or anonymous id",
    response=EventPage,
    auth="admin",
    tags=("events",),
    params=[
        Param("user_id", "query", str, "only events with this userId"),
        Param("anonymous_id", "query", str, "only events with this anonymousId"),
        Param("before", "query", str, "only events before this time (RFC 3339)"),
        Param("limit", "query", int, "at most this many (1-1000, default 20)"),
    ],
)
async def list_events(request: Request) -> Response:
    svc = services(request)
    q = request.query_params
    limit = query_int(request, "limit", 20, lo=1, hi=1000)
    events = svc.event_log.latest(
        user_ids=[q["user_id"]] if q.get("user_id") else [],
        anonymous_ids=[q["anonymous_id"]] if q.get("anonymous_id") else [],
        before=query_time(request, "before"),
        limit=limit,
    )
    return json_response(EventPage(events=events, total_in_log=svc.event_log.count()))


@endpoint(
    "GET",
    "/api/v1/inspect",
    summary="What the event log holds: counts by source and channel, time range",
    response=LogStats,
    auth="admin",
    tags=("events",),
)
async def inspect(request: Request) -> Response:
    return json_response(services(request).event_log.stats())


def routes() -> list[BaseRoute]:
    return [list_events, inspect]
