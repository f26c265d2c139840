"""Customer control over HTTP (admin token): consent per purpose with its history, export of
everything held about a person, erasure as a logged request, and the request log."""

from __future__ import annotations

import msgspec
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from waymark.api._deps import services
from waymark.api._io import decode_body, json_response
from waymark.api._openapi import Param, endpoint
from waymark.api.events import query_int
from waymark.privacy.api import PrivacyService
from waymark.privacy.contracts import (
    ConsentUpdate,
    ConsentView,
    ErasureAccepted,
    ExportDocument,
    PrivacyRequest,
    RequestList,
)
from waymark.privacy.errors import PrivacyUnavailable
from waymark.runtime.rebuild import rebuild_derived
from waymark.runtime.services import Services

TAGS = ("privacy",)
_ID = Param("id", "path", str, "profile id")
_NOT_FOUND = {404: "No such profile"}


def _privacy(svc: Services) -> PrivacyService:
    if svc.privacy is None:
        raise PrivacyUnavailable("privacy controls are not set up on this server")
    return svc.privacy


@endpoint(
    "GET",
    "/api/v1/profiles/{id}/consent",
    summary="Consent per purpose, with the source and time of every change",
    response=ConsentView,
    auth="admin",
    tags=TAGS,
    params=[_ID],
    extra_statuses=_NOT_FOUND,
)
async def get_consent(request: Request) -> Response:
    privacy = _privacy(services(request))
    view = await run_in_threadpool(privacy.consent, request.path_params["id"])
    return json_response(view)


@endpoint(
    "PUT",
    "/api/v1/profiles/{id}/consent",
    summary="Record a consent change as a Consent Updated event",
    description="Purposes: email, sms, ads, personalisation, analytics. The event is appended "
    "through the group commit, so the log and every derived store have it; decisions and "
    "sends honour it from the next event on.",
    request=ConsentUpdate,
    response=ConsentView,
    auth="admin",
    tags=TAGS,
    params=[_ID],
    extra_statuses=_NOT_FOUND,
)
async def put_consent(request: Request) -> Response:
    svc = services(request)
    privacy = _privacy(svc)
    body = await decode_body(request, ConsentUpdate)
    event = privacy.consent_change(request.path_params["id"], body.consent, source=body.source)
    await svc.committer.submit([event])
    view = await run_in_threadpool(privacy.consent, request.path_params["id"])
    # identity folds the event in on the writer thread; answer with it applied either way
    current = {**view.consent, **body.consent}
    return json_response(msgspec.structs.replace(view, consent=current))


@endpoint(
    "GET",
    "/api/v1/profiles/{id}/export",
    summary="Everything held about a person, as one JSON document",
    response=ExportDocument,
    auth="admin",
    tags=TAGS,
    params=[_ID],
    extra_statuses=_NOT_FOUND,
)
async def export_profile(request: Request) -> Response:
    privacy = _privacy(services(request))
    document = await run_in_threadpool(privacy.export, request.path_params["id"])
    return json_response(document)


@endpoint(
    "DELETE",
    "/api/v1/profiles/{id}",
    summary="Erase a person: answers 202 with a request id to follow",
    description="Removes their events from the log and every derived store, suppresses their "
    "identifiers (as hashes) until they consent again, and logs the request with no "
    "personal data.",
    response=ErasureAccepted,
    auth="admin",
    tags=TAGS,
    params=[_ID],
    extra_statuses=_NOT_FOUND,
)
async def erase_profile(request: Request) -> Response:
    svc = services(request)
    privacy = _privacy(svc)
    profile_id = request.path_params["id"]
    logged = await run_in_threadpool(privacy.open_request, "erasure", profile_id)

    def work() -> None:
        privacy.erase(logged.id, profile_id, rebuild=lambda: _rebuild(svc))

    accepted = ErasureAccepted(request_id=logged.id, status=logged.status, due_at=logged.due_at)
    response = json_response(accepted, status=202)
    response.background = BackgroundTask(run_in_threadpool, work)
    return response


def _rebuild(svc: Services) -> None:
    rebuild_derived(svc)


@endpoint(
    "GET",
    "/api/v1/privacy/requests/{id}",
    summary="A privacy request's status",
    response=PrivacyRequest,
    auth="admin",
    tags=TAGS,
    params=[Param("id", "path", str, "request id")],
    extra_statuses={404: "No such request"},
)
async def get_request(request: Request) -> Response:
    privacy = _privacy(services(request))
    return json_response(privacy.request(request.path_params["id"]))


@endpoint(
    "GET",
    "/api/v1/privacy/requests",
    summary="The privacy request log, newest first (the admin view)",
    response=RequestList,
    auth="admin",
    tags=TAGS,
    params=[Param("limit", "query", int, "at most this many (1-1000, default 100)")],
)
async def list_requests(request: Request) -> Response:
    privacy = _privacy(services(request))
    limit = query_int(request, "limit", 100, lo=1, hi=1000)
    return json_response(RequestList(requests=privacy.requests(limit=limit)))


def routes() -> list[BaseRoute]:
    return [get_consent, put_consent, export_profile, erase_profile, get_request, list_requests]
