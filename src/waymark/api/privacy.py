"""Customer control over HTTP (admin token): consent per purpose with its history, export of
everything held about a person, erasure as a logged request, and the request log."""

from __future__ import annotations

from collections.abc import Callable

import msgspec
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from waymark.api._deps import available, services
from waymark.api._io import decode_body, json_response, threaded_json
from waymark.api._openapi import Param, endpoint
from waymark.api.events import query_flag, query_int
from waymark.core.errors import ValidationError
from waymark.privacy.api import PreferenceCentre, PrivacyService
from waymark.privacy.contracts import (
    REQUEST_STATUSES,
    ConsentUpdate,
    ConsentView,
    ErasureAccepted,
    ExportDocument,
    PreferenceLink,
    PrivacyRequest,
    RequestList,
    RequestStatus,
    RevokedLinks,
)
from waymark.privacy.errors import PrivacyUnavailable
from waymark.runtime.rebuild import rebuild_derived
from waymark.runtime.services import Services

TAGS = ("privacy",)
_ID = Param("id", "path", str, "profile id")
_NOT_FOUND = {404: "No such profile"}


def privacy_of(svc: Services) -> PrivacyService:
    return available(
        svc.privacy, PrivacyUnavailable, "privacy controls are not set up on this server"
    )


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
    return await threaded_json(privacy_of(services(request)).consent, request.path_params["id"])


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
    privacy = privacy_of(svc)
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
    return await threaded_json(privacy_of(services(request)).export, request.path_params["id"])


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
    logged, task = await start_erasure(services(request), request.path_params["id"])
    accepted = ErasureAccepted(request_id=logged.id, status=logged.status, due_at=logged.due_at)
    response = json_response(accepted, status=202)
    response.background = task
    return response


async def start_erasure(svc: Services, profile_id: str) -> tuple[PrivacyRequest, BackgroundTask]:
    """Log an erasure request now; the task (run after the response) carries it out."""
    privacy = privacy_of(svc)
    logged = await run_in_threadpool(privacy.open_request, "erasure", profile_id)

    def work() -> None:
        privacy.erase(logged.id, profile_id, rebuild=lambda: _rebuild(svc))

    return logged, BackgroundTask(run_in_threadpool, work)


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
    privacy = privacy_of(services(request))
    return json_response(privacy.request(request.path_params["id"]))


@endpoint(
    "GET",
    "/api/v1/privacy/requests",
    summary="The privacy request log, newest first (the admin view)",
    response=RequestList,
    auth="admin",
    tags=TAGS,
    params=[
        Param("status", "query", str, "only requests in this status (pending, completed, failed)"),
        Param("overdue", "query", bool, "true: only overdue requests; false: only the others"),
        Param("limit", "query", int, "at most this many (1-1000, default 100)"),
    ],
)
async def list_requests(request: Request) -> Response:
    privacy = privacy_of(services(request))
    limit = query_int(request, "limit", 100, lo=1, hi=1000)
    status = _status(request)
    overdue = query_flag(request, "overdue")
    return await threaded_json(privacy.requests, status=status, overdue=overdue, limit=limit)


def _status(request: Request) -> RequestStatus | None:
    raw = request.query_params.get("status")
    if not raw:
        return None
    for status in REQUEST_STATUSES:
        if raw == status:
            return status
    raise ValidationError(
        f"status is one of {', '.join(REQUEST_STATUSES)}, got {raw!r}", field="status"
    )


@endpoint(
    "POST",
    "/api/v1/profiles/{id}/preference-link",
    summary="A new signed link to the person's preference centre",
    description="Every email Waymark sends carries one; support staff can send one by hand. "
    "It works without login until it expires (WAYMARK_PREFERENCES_LINK_DAYS) or is revoked.",
    response=PreferenceLink,
    auth="admin",
    tags=TAGS,
    params=[_ID],
    extra_statuses=_NOT_FOUND,
)
async def preference_link(request: Request) -> Response:
    return await _on_links(request, PreferenceCentre.link, "id")


@endpoint(
    "POST",
    "/api/v1/profiles/{id}/preference-links/revoke",
    summary="Revoke every preference-centre link of the person issued until now",
    response=RevokedLinks,
    auth="admin",
    tags=TAGS,
    params=[_ID],
    extra_statuses=_NOT_FOUND,
)
async def revoke_profile_links(request: Request) -> Response:
    return await _on_links(request, PreferenceCentre.revoke_all, "id")


@endpoint(
    "POST",
    "/api/v1/privacy/preference-links/{token_id}/revoke",
    summary="Revoke one preference-centre link by its token id",
    response=RevokedLinks,
    auth="admin",
    tags=TAGS,
    params=[Param("token_id", "path", str, "the link's token id (from its issue)")],
)
async def revoke_link(request: Request) -> Response:
    return await _on_links(request, PreferenceCentre.revoke, "token_id")


async def _on_links(
    request: Request, act: Callable[[PreferenceCentre, str], object], param: str
) -> Response:
    centre = privacy_of(services(request)).preferences
    return await threaded_json(act, centre, request.path_params[param])


def routes() -> list[BaseRoute]:
    return [
        get_consent,
        put_consent,
        export_profile,
        erase_profile,
        get_request,
        list_requests,
        preference_link,
        revoke_profile_links,
        revoke_link,
    ]
