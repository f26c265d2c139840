"""Next best experience over HTTP: decisions, their log, ad audiences, the call-centre view,
and the admin catalog API. Every endpoint needs the admin token: answers carry profile data
(content rendered with traits, hashed identifiers)."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from waymark.api._deps import available, services
from waymark.api._io import decode_body, json_response, read_body, threaded_json
from waymark.api._openapi import Param, endpoint
from waymark.api.events import query_text
from waymark.core.errors import ValidationError
from waymark.decide.api import Decider, load_catalog_text
from waymark.decide.config import CatalogDoc, Experience
from waymark.decide.contracts import AudiencePage, DecideRequest, Decision
from waymark.decide.errors import DecideUnavailable

TAGS = ("decide",)
CATALOG_BODY_LIMIT = 2 * 1024 * 1024


class DecideBody(msgspec.Struct, forbid_unknown_fields=True):
    profile: dict[str, str]
    """``{"id": "<profile id>"}`` or ``{"<identifier type>": "<value>"}``."""
    channel: str
    placement: str | None = None
    count: int = 1


class Offered(msgspec.Struct):
    id: str
    kind: str
    score: float
    content: dict[str, str]
    reason: str


class DecideAnswer(msgspec.Struct):
    decision_id: str
    holdout: bool
    experiences: list[Offered]


class NextBestAction(msgspec.Struct):
    profile_id: str
    decision_id: str
    holdout: bool
    actions: list[Offered]
    """What the agent should offer or say, best first, each with its reason."""


def decider_for(request: Request) -> Decider:
    """The server's decider, or ``decide.unavailable`` when it runs without one."""
    return available(
        services(request).decide, DecideUnavailable, "decisions are not set up on this server"
    )


def _offered(decision: Decision) -> list[Offered]:
    return [Offered(e.id, e.kind, e.score, e.content, e.reason) for e in decision.experiences]


@endpoint(
    "POST",
    "/api/v1/decide",
    summary="The next best experiences for a profile on a channel, with reasons",
    request=DecideBody,
    response=DecideAnswer,
    auth="admin",
    tags=TAGS,
    extra_statuses={404: "No such profile"},
)
async def post_decide(request: Request) -> Response:
    body = await decode_body(request, DecideBody)
    svc = services(request)
    decision = decider_for(request).decide_for(
        body.profile,
        DecideRequest(channel=body.channel, placement=body.placement, count=body.count),
        now=svc.clock.now(),
    )
    return json_response(DecideAnswer(decision.decision_id, decision.holdout, _offered(decision)))


@endpoint(
    "GET",
    "/api/v1/decisions/{id}",
    summary="A logged decision: candidates, scores, the chosen ones and why the rest were not",
    response=Decision,
    auth="admin",
    tags=TAGS,
    params=[Param("id", "path", str, "decision id")],
    extra_statuses={404: "No such decision"},
)
async def get_decision(request: Request) -> Response:
    return json_response(decider_for(request).decision(request.path_params["id"]))


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit") or "1000"
    if not raw.isdigit() or not 1 <= int(raw) <= 10_000:
        raise ValidationError("limit must be an integer from 1 to 10000", field="limit")
    return int(raw)


@endpoint(
    "GET",
    "/api/v1/audiences/{name}",
    summary="Members of an ad audience as SHA-256 of normalised e-mail and phone, paged",
    response=AudiencePage,
    auth="admin",
    tags=TAGS,
    params=[
        Param("name", "path", str, "audience name from the catalog"),
        Param("cursor", "query", str, "next_cursor of the previous page"),
        Param("limit", "query", int, "members per page (1-10000, default 1000)"),
        Param("region", "query", str, "default region for phone numbers without +, e.g. GB"),
    ],
    extra_statuses={404: "No such audience"},
)
async def get_audience(request: Request) -> Response:
    q = request.query_params
    decider, limit = decider_for(request), _limit(request)
    now = services(request).clock.now()
    # a page walks the profiles: off the event loop, so other requests go on meanwhile
    return await threaded_json(
        decider.audience,
        request.path_params["name"],
        now=now,
        cursor=q.get("cursor"),
        limit=limit,
        default_region=query_text(request, "region"),
    )


@endpoint(
    "GET",
    "/api/v1/profiles/{id}/next-best-action",
    summary="What a call-centre agent should offer or say to this customer now, and why",
    response=NextBestAction,
    auth="admin",
    tags=TAGS,
    params=[
        Param("id", "path", str, "profile id"),
        Param("channel", "query", str, "default call_centre"),
        Param("count", "query", int, "how many actions (default 3)"),
    ],
    extra_statuses={404: "No such profile"},
)
async def get_next_best_action(request: Request) -> Response:
    q = request.query_params
    raw_count = q.get("count") or "3"
    if not raw_count.isdigit():
        raise ValidationError("count must be a whole number", field="count")
    decision = decider_for(request).decide_for(
        {"id": request.path_params["id"]},
        DecideRequest(channel=q.get("channel") or "call_centre", count=int(raw_count)),
        now=services(request).clock.now(),
    )
    return json_response(
        NextBestAction(
            profile_id=decision.profile_id,
            decision_id=decision.decision_id,
            holdout=decision.holdout,
            actions=_offered(decision),
        )
    )


# -- admin catalog ------------------------------------------------------------------------


@endpoint(
    "GET",
    "/api/v1/decide/catalog",
    summary="The current catalog: experiences, policies and audiences",
    response=CatalogDoc,
    auth="admin",
    tags=TAGS,
)
async def get_catalog(request: Request) -> Response:
    return json_response(decider_for(request).catalog.doc)


async def _catalog_data(request: Request) -> tuple[Any, bool]:
    """A catalog body as plain data: JSON, or YAML when the content type says so (then
    errors name the line)."""
    media = request.headers.get("content-type", "").split(";")[0].strip()
    if media in ("application/yaml", "application/x-yaml", "text/yaml"):
        raw = await read_body(request, max_bytes=CATALOG_BODY_LIMIT)
        return raw.decode("utf-8", errors="replace"), True
    return await decode_body(request, dict[str, Any], max_bytes=CATALOG_BODY_LIMIT), False


@endpoint(
    "PUT",
    "/api/v1/decide/catalog",
    summary="Replace the catalog (JSON, or YAML with Content-Type: application/yaml)",
    request=CatalogDoc,
    response=CatalogDoc,
    auth="admin",
    tags=TAGS,
)
async def put_catalog(request: Request) -> Response:
    decider = decider_for(request)
    data, is_yaml = await _catalog_data(request)
    if is_yaml:
        # validate with file/line errors first, then store the same document
        data = msgspec.to_builtins(load_catalog_text(data, models=decider.models, name="body").doc)
    catalog = decider.set_catalog(data, at=services(request).clock.now())
    return json_response(catalog.doc)


@endpoint(
    "GET",
    "/api/v1/decide/catalog/experiences/{id}",
    summary="One experience of the catalog",
    response=Experience,
    auth="admin",
    tags=TAGS,
    params=[Param("id", "path", str, "experience id")],
    extra_statuses={404: "No such experience"},
)
async def get_experience(request: Request) -> Response:
    return json_response(decider_for(request).experience(request.path_params["id"]))


@endpoint(
    "PUT",
    "/api/v1/decide/catalog/experiences/{id}",
    summary="Add or replace one experience (the whole catalog is validated again)",
    request=Experience,
    response=Experience,
    auth="admin",
    tags=TAGS,
    params=[Param("id", "path", str, "experience id")],
)
async def put_experience(request: Request) -> Response:
    decider = decider_for(request)
    data = await decode_body(request, dict[str, Any], max_bytes=CATALOG_BODY_LIMIT)
    experience_id = request.path_params["id"]
    if data.setdefault("id", experience_id) != experience_id:
        raise ValidationError("the id in the body differs from the one in the path", field="id")
    decider.put_experience(data, at=services(request).clock.now())
    return json_response(decider.experience(experience_id))


@endpoint(
    "DELETE",
    "/api/v1/decide/catalog/experiences/{id}",
    summary="Remove one experience",
    auth="admin",
    tags=TAGS,
    params=[Param("id", "path", str, "experience id")],
    extra_statuses={404: "No such experience"},
)
async def delete_experience(request: Request) -> Response:
    now = services(request).clock.now()
    decider_for(request).delete_experience(request.path_params["id"], at=now)
    return Response(status_code=204)


def routes() -> list[BaseRoute]:
    return [
        post_decide,
        get_decision,
        get_audience,
        get_next_best_action,
        get_catalog,
        put_catalog,
        get_experience,
        put_experience,
        delete_experience,
    ]
