"""Unified customer profiles over HTTP (admin token): look a profile up by any identifier or
by id (absorbed ids answer with the surviving profile), its timeline, its merge log, and a
search by identifier prefix or trait."""

from __future__ import annotations

from datetime import datetime

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from waymark.api._deps import available, services
from waymark.api._io import json_response
from waymark.api._openapi import Param, endpoint
from waymark.api.events import query_int, query_time
from waymark.core.errors import ValidationError
from waymark.core.events import Event
from waymark.identity.api import IdentityService
from waymark.identity.contracts import MergeRecord, Profile, ProfileSummary
from waymark.identity.errors import IdentityUnavailable

TAGS = ("profiles",)
_NOT_FOUND = {404: "No such profile"}


class Timeline(msgspec.Struct):
    profile_id: str
    events: list[Event]
    """Newest first; each event carries its ``channel``."""
    next_before: datetime | None
    """Pass as ``before`` for the next page (None when this page is not full)."""


class MergeLog(msgspec.Struct):
    profile_id: str
    merges: list[MergeRecord]


class ProfileList(msgspec.Struct):
    profiles: list[ProfileSummary]


def _identity(request: Request) -> IdentityService:
    return available(
        services(request).identity,
        IdentityUnavailable,
        "identity resolution is not set up on this server",
    )


@endpoint(
    "GET",
    "/api/v1/profiles/lookup",
    summary="The profile holding an identifier",
    description="Give exactly one identifier as a query parameter: user_id, anonymous_id, "
    "email, phone or a configured custom type. Values are normalised as events' are "
    "(emails lower-cased, phones to E.164).",
    response=Profile,
    auth="admin",
    tags=TAGS,
    params=[
        Param("user_id", "query", str, "a userId"),
        Param("anonymous_id", "query", str, "an anonymousId"),
        Param("email", "query", str, "an email address"),
        Param("phone", "query", str, "a phone number"),
    ],
    extra_statuses=_NOT_FOUND,
)
async def lookup_profile(request: Request) -> Response:
    identity = _identity(request)
    given = [(k, v) for k, v in request.query_params.multi_items() if v != ""]
    if len(given) != 1:
        known = ", ".join(identity.config.names)
        raise ValidationError(
            f"give exactly one identifier as a query parameter ({known})", field="query"
        )
    ((type_, value),) = given
    return json_response(identity.lookup(type_, value))


@endpoint(
    "GET",
    "/api/v1/profiles/{id}",
    summary="A profile by id (an absorbed id answers with the surviving profile)",
    response=Profile,
    auth="admin",
    tags=TAGS,
    params=[Param("id", "path", str, "profile id")],
    extra_statuses=_NOT_FOUND,
)
async def get_profile(request: Request) -> Response:
    return json_response(_identity(request).profile(request.path_params["id"]))


@endpoint(
    "GET",
    "/api/v1/profiles/{id}/events",
    summary="A profile's timeline, newest first, each event with its channel",
    response=Timeline,
    auth="admin",
    tags=TAGS,
    params=[
        Param("id", "path", str, "profile id"),
        Param("limit", "query", int, "at most this many (1-500, default 50)"),
        Param("before", "query", str, "only events before this time (RFC 3339)"),
    ],
    extra_statuses=_NOT_FOUND,
)
async def profile_events(request: Request) -> Response:
    svc = services(request)
    identity = _identity(request)
    limit = query_int(request, "limit", 50, lo=1, hi=500)
    before = query_time(request, "before")
    profile_id = identity.profile(request.path_params["id"]).id
    events = await run_in_threadpool(
        identity.timeline, profile_id, svc.event_log, before=before, limit=limit
    )
    next_before = events[-1].timestamp if len(events) == limit else None
    return json_response(Timeline(profile_id=profile_id, events=events, next_before=next_before))


@endpoint(
    "GET",
    "/api/v1/profiles/{id}/merges",
    summary="The merge log of a profile: merges and refused merges, with the reason",
    response=MergeLog,
    auth="admin",
    tags=TAGS,
    params=[Param("id", "path", str, "profile id")],
    extra_statuses=_NOT_FOUND,
)
async def profile_merges(request: Request) -> Response:
    identity = _identity(request)
    profile_id = identity.profile(request.path_params["id"]).id
    return json_response(MergeLog(profile_id=profile_id, merges=identity.merges(profile_id)))


@endpoint(
    "GET",
    "/api/v1/profiles",
    summary="Search profiles by identifier prefix or trait value",
    response=ProfileList,
    auth="admin",
    tags=TAGS,
    params=[
        Param("query", "query", str, "identifier or trait value prefix (case-insensitive)", True),
        Param("limit", "query", int, "at most this many (1-200, default 20)"),
    ],
)
async def search_profiles(request: Request) -> Response:
    identity = _identity(request)
    query = request.query_params.get("query", "").strip()
    if not query:
        raise ValidationError("query is required", field="query")
    limit = query_int(request, "limit", 20, lo=1, hi=200)
    found = await run_in_threadpool(identity.search, query, limit)
    return json_response(ProfileList(profiles=found))


def routes() -> list[BaseRoute]:
    # lookup before {id}, which would otherwise take "lookup" for an id
    return [lookup_profile, get_profile, profile_events, profile_merges, search_profiles]
