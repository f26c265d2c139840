"""Orchestration over HTTP: flows (admin), each profile's and each flow's delivery log
(admin), the webhook dead letters (admin), the in-app inbox a website reads with the
profile's public token, and the tracking links customers follow from emails (open pixel,
click redirect, unsubscribe) which come back as events."""

from __future__ import annotations

import base64
import html

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute

from waymark.api._deps import available, services
from waymark.api._io import ADMIN_BODY_LIMIT, json_response, read_body, threaded_json
from waymark.api._openapi import Param, endpoint
from waymark.api.events import query_int
from waymark.core.errors import ValidationError, WaymarkError
from waymark.core.events import Event
from waymark.orchestrate.api import Orchestrator
from waymark.orchestrate.contracts import (
    MESSAGE_STATUSES,
    FlowList,
    FlowSummary,
    Inbox,
    MessageList,
    MessageStatus,
)
from waymark.orchestrate.errors import OrchestrateUnavailable

TAGS = ("flows",)
_PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
_CORS = {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"}
_NO_CACHE = {"Cache-Control": "no-store, max-age=0"}


class InboxToken(msgspec.Struct, frozen=True):
    profile_id: str
    token: str
    """Give it to the website or app for the signed-in customer (``?token=``)."""


class Done(msgspec.Struct, frozen=True):
    ok: bool = True


def orchestrator_for(request: Request) -> Orchestrator:
    return available(
        services(request).orchestrator,
        OrchestrateUnavailable,
        "orchestration is not set up on this server",
    )


def _statuses(request: Request) -> tuple[MessageStatus, ...]:
    raw = request.query_params.get("status")
    if not raw:
        return ()
    out: list[MessageStatus] = []
    for part in raw.split(","):
        if part not in MESSAGE_STATUSES:
            raise ValidationError(
                f"status {part!r} is not one of {', '.join(MESSAGE_STATUSES)}", field="status"
            )
        out.append(part)
    return tuple(out)


async def _record(request: Request, events: list[Event]) -> None:
    if events:
        await services(request).committer.submit(events)


# -- flows (admin) ---------------------------------------------------------------------------


@endpoint(
    "GET", "/api/v1/flows", summary="Every flow with its trigger, steps and counts",
    response=FlowList, auth="admin", tags=TAGS,
)  # fmt: skip
async def list_flows(request: Request) -> Response:
    return await threaded_json(orchestrator_for(request).flows)


@endpoint(
    "POST",
    "/api/v1/flows",
    summary="Add or replace a flow (YAML or JSON body); it is validated first",
    description="The body is one flow document as in a flow file. A flow with the id of a "
    "file flow replaces it until deleted here. Errors name the line and field.",
    response=FlowSummary,
    auth="admin",
    tags=TAGS,
)
async def put_flow(request: Request) -> Response:
    orch = orchestrator_for(request)
    raw = await read_body(request, max_bytes=ADMIN_BODY_LIMIT)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError("the flow must be UTF-8 text (YAML or JSON)") from None
    return await threaded_json(orch.put_flow, text)


@endpoint(
    "GET", "/api/v1/flows/{id}", summary="One flow", response=FlowSummary, auth="admin",
    tags=TAGS, params=[Param("id", "path", str, "flow id")], extra_statuses={404: "No such flow"},
)  # fmt: skip
async def get_flow(request: Request) -> Response:
    return await threaded_json(orchestrator_for(request).flow, request.path_params["id"])


@endpoint(
    "DELETE", "/api/v1/flows/{id}", summary="Delete a flow saved through this API",
    response=Done, auth="admin", tags=TAGS, params=[Param("id", "path", str, "flow id")],
    extra_statuses={404: "No such flow", 409: "The flow comes from a file"},
)  # fmt: skip
async def delete_flow(request: Request) -> Response:
    orch = orchestrator_for(request)
    await run_in_threadpool(orch.delete_flow, request.path_params["id"])
    return json_response(Done())


_LOG_PARAMS = [
    Param("status", "query", str, "only these statuses, comma-separated "
          "(scheduled, sending, retrying, sent, failed, skipped, dead)"),
    Param("limit", "query", int, "at most this many (1-1000, default 100)"),
]  # fmt: skip


@endpoint(
    "GET", "/api/v1/flows/{id}/messages", summary="A flow's delivery log",
    response=MessageList, auth="admin", tags=TAGS,
    params=[Param("id", "path", str, "flow id"), *_LOG_PARAMS],
)  # fmt: skip
async def flow_messages(request: Request) -> Response:
    return await _messages(request, flow_id=request.path_params["id"])


@endpoint(
    "GET",
    "/api/v1/profiles/{id}/messages",
    summary="A profile's messages: scheduled, sent, failed and skipped, with reasons",
    response=MessageList,
    auth="admin",
    tags=TAGS,
    params=[Param("id", "path", str, "profile id"), *_LOG_PARAMS],
)
async def profile_messages(request: Request) -> Response:
    return await _messages(request, profile_id=request.path_params["id"])


async def _messages(
    request: Request, *, flow_id: str | None = None, profile_id: str | None = None
) -> Response:
    """One flow's or one profile's delivery log, filtered by ``_LOG_PARAMS``."""
    orch = orchestrator_for(request)
    return await threaded_json(
        orch.messages,
        flow_id=flow_id,
        profile_id=profile_id,
        statuses=_statuses(request),
        limit=query_int(request, "limit", 100, lo=1, hi=1000),
    )


@endpoint(
    "GET", "/api/v1/webhooks/dead-letters",
    summary="Webhooks refused by their receiver or out of retries",
    response=MessageList, auth="admin", tags=TAGS,
    params=[Param("limit", "query", int, "at most this many (1-1000, default 100)")],
)  # fmt: skip
async def dead_letters(request: Request) -> Response:
    orch = orchestrator_for(request)
    limit = query_int(request, "limit", 100, lo=1, hi=1000)
    return await threaded_json(orch.dead_letters, limit=limit)


# -- the inbox (public, per-profile token) ------------------------------------------------------


@endpoint(
    "GET", "/api/v1/profiles/{id}/inbox-token",
    summary="The public token a website or app uses to read this profile's inbox",
    response=InboxToken, auth="admin", tags=TAGS, params=[Param("id", "path", str, "profile id")],
)  # fmt: skip
async def inbox_token(request: Request) -> Response:
    orch = orchestrator_for(request)
    pid = request.path_params["id"]
    return json_response(InboxToken(profile_id=pid, token=orch.inbox_token(pid)))


def _token(request: Request) -> str:
    token = request.query_params.get("token") or request.headers.get("x-waymark-inbox-token")
    if not token:
        raise ValidationError("give the profile's inbox token as ?token=", field="token")
    return token


@endpoint(
    "GET",
    "/api/v1/profiles/{id}/inbox",
    summary="The profile's in-app / web inbox, newest first (public, with its token)",
    description="Websites and apps call this for the signed-in customer with the token from "
    "/api/v1/profiles/{id}/inbox-token; cross-origin requests are allowed.",
    response=Inbox,
    auth="token",
    tags=TAGS,
    params=[
        Param("id", "path", str, "profile id"),
        Param("token", "query", str, "the profile's inbox token", required=True),
        Param("limit", "query", int, "at most this many (1-200, default 50)"),
    ],
)
async def inbox(request: Request) -> Response:
    orch = orchestrator_for(request)
    pid, token = request.path_params["id"], _token(request)
    limit = query_int(request, "limit", 50, lo=1, hi=200)
    result = await run_in_threadpool(lambda: orch.inbox(pid, token, limit=limit))
    return json_response(result, headers=_CORS)


@endpoint(
    "POST", "/api/v1/profiles/{id}/inbox/{message_id}/read",
    summary="Mark an inbox message read (public, with the profile's token)",
    response=Done, auth="token", tags=TAGS,
    params=[Param("id", "path", str, "profile id"), Param("message_id", "path", str, "message"),
            Param("token", "query", str, "the profile's inbox token", required=True)],
)  # fmt: skip
async def inbox_read(request: Request) -> Response:
    orch = orchestrator_for(request)
    pid, mid, token = request.path_params["id"], request.path_params["message_id"], _token(request)
    await run_in_threadpool(orch.mark_read, pid, token, mid)
    return json_response(Done(), headers=_CORS)


# -- tracking links in emails (public, signed tokens) -------------------------------------------


@endpoint(
    "GET", "/t/open/{token}", summary="Email open pixel (records Email Opened)",
    tags=TAGS, response_media="image/gif", params=[Param("token", "path", str, "signed token")],
)  # fmt: skip
async def track_open(request: Request) -> Response:
    try:
        orch = orchestrator_for(request)
        events = await run_in_threadpool(orch.opened, request.path_params["token"])
        await _record(request, events)
    except WaymarkError:
        pass  # a pixel always answers with the image; a bad or unknown token records nothing
    return Response(_PIXEL, media_type="image/gif", headers=_NO_CACHE)


@endpoint(
    "GET", "/t/click/{token}",
    summary="Email link redirect (records Email Link Clicked, then 302 to the link)",
    tags=TAGS, response_media="text/plain", params=[Param("token", "path", str, "signed token")],
    extra_statuses={401: "Not a link Waymark signed"},
)  # fmt: skip
async def track_click(request: Request) -> Response:
    orch = orchestrator_for(request)
    url, events = await run_in_threadpool(orch.clicked, request.path_params["token"])
    await _record(request, events)
    return RedirectResponse(url, status_code=302, headers=_NO_CACHE)


_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
</head><body style="font-family:sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem">
<h1>{title}</h1>{body}</body></html>"""
_CONFIRM = """<p>Stop all email from us? You can change this later in your preferences.</p>
<form method="post"><input type="hidden" name="confirm" value="yes">
<button type="submit" autofocus>Unsubscribe</button></form>"""


async def _unsubscribe(request: Request) -> list[Event]:
    orch = orchestrator_for(request)
    events = await run_in_threadpool(orch.unsubscribed, request.path_params["token"])
    await _record(request, events)
    return events


@endpoint(
    "GET", "/t/unsubscribe/{token}",
    summary="Unsubscribe link from an email: a page asking to confirm (changes nothing)",
    tags=TAGS, response_media="text/html", params=[Param("token", "path", str, "signed token")],
    extra_statuses={401: "Not a link Waymark signed"},
)  # fmt: skip
async def unsubscribe_page(request: Request) -> Response:
    # A GET only asks: mail scanners and link previews follow links, and must not unsubscribe
    # anyone (RFC 8058 section 1). The form posts back to this same signed address.
    await run_in_threadpool(
        orchestrator_for(request).check_unsubscribe, request.path_params["token"]
    )
    return HTMLResponse(_PAGE.format(title="Unsubscribe", body=_CONFIRM), headers=_NO_CACHE)


@endpoint(
    "POST", "/t/unsubscribe/{token}",
    summary="Unsubscribe: RFC 8058 one-click (JSON answer) or the confirm page's form (HTML)",
    response=Done, tags=TAGS, params=[Param("token", "path", str, "signed token")],
    extra_statuses={401: "Not a link Waymark signed"},
)  # fmt: skip
async def unsubscribe_one_click(request: Request) -> Response:
    await _unsubscribe(request)
    form = await request.form()
    if form.get("confirm") == "yes":
        text = html.escape("We will not email you again. You can change this in your preferences.")
        body = f"<p>{text}</p>"
        return HTMLResponse(
            _PAGE.format(title="You are unsubscribed", body=body), headers=_NO_CACHE
        )
    return json_response(Done())


def routes() -> list[BaseRoute]:
    return [
        list_flows,
        put_flow,
        get_flow,
        delete_flow,
        flow_messages,
        profile_messages,
        dead_letters,
        inbox_token,
        inbox,
        inbox_read,
        track_open,
        track_click,
        unsubscribe_page,
        unsubscribe_one_click,
    ]
