"""Journeys over HTTP (admin token): where one customer stands on every model, per product
(stage, furthest, since, status, history), and how many customers are at each stage of a
model, by status, optionally for one product."""

from __future__ import annotations

from datetime import datetime

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from waymark.api._deps import available, services, surviving_profile_id
from waymark.api._io import json_response, threaded_json
from waymark.api._openapi import Param, endpoint
from waymark.api.events import query_text, query_time
from waymark.journey.api import JourneyService
from waymark.journey.contracts import JourneyModel, JourneyView, StageCounts
from waymark.journey.errors import JourneysUnavailable

TAGS = ("journeys",)


class ProfileJourneys(msgspec.Struct):
    profile_id: str
    """The surviving profile (an absorbed id answers for it)."""
    as_of: datetime
    journeys: list[JourneyView]
    """Per model (in configured order) and product; product ``*`` is the brand journey."""


class StageInfo(msgspec.Struct):
    name: str
    title: str
    phase: str
    question: str
    levels: list[str]


class ModelInfo(msgspec.Struct):
    name: str
    title: str
    description: str
    stages: list[StageInfo]


class ModelList(msgspec.Struct):
    models: list[ModelInfo]


def _journeys(request: Request) -> JourneyService:
    return available(
        services(request).journeys,
        JourneysUnavailable,
        "stage placement is not set up on this server",
    )


def _info(model: JourneyModel) -> ModelInfo:
    return ModelInfo(
        name=model.name,
        title=model.title,
        description=model.description,
        stages=[
            StageInfo(
                name=s.name,
                title=s.title,
                phase=s.phase,
                question=s.question,
                levels=[lv.name for lv in s.levels],
            )
            for s in model.stages
        ],
    )


@endpoint(
    "GET",
    "/api/v1/profiles/{id}/journeys",
    summary="Where a customer stands on every journey model, per product",
    description="Per model and product: current stage, furthest stage, since when, status "
    "(active, stalled, lapsed; as of now or ``as_of``) and the history of transitions with "
    "the event that caused each. Product ``*`` is the brand-level journey.",
    response=ProfileJourneys,
    auth="admin",
    tags=TAGS,
    params=[
        Param("id", "path", str, "profile id"),
        Param("model", "query", str, "only this model"),
        Param("as_of", "query", str, "status as of this time (RFC 3339; default now)"),
    ],
    extra_statuses={404: "No such profile or model"},
)
async def profile_journeys(request: Request) -> Response:
    journeys = _journeys(request)
    profile_id = await run_in_threadpool(surviving_profile_id, request, request.path_params["id"])
    as_of = query_time(request, "as_of") or services(request).clock.now()
    model = query_text(request, "model")
    if model is not None:
        journeys.model(model)
    views = await run_in_threadpool(journeys.journeys, profile_id, as_of=as_of)
    if model is not None:
        views = [v for v in views if v.model == model]
    return json_response(ProfileJourneys(profile_id=profile_id, as_of=as_of, journeys=views))


@endpoint(
    "GET",
    "/api/v1/journeys",
    summary="The journey models this server places customers on",
    response=ModelList,
    auth="admin",
    tags=TAGS,
)
async def list_models(request: Request) -> Response:
    return json_response(ModelList(models=[_info(m) for m in _journeys(request).models]))


@endpoint(
    "GET",
    "/api/v1/journeys/{model}",
    summary="How many customers are at each stage of a model, by status",
    description="Every stage appears with each status (active, stalled, lapsed), zero counts "
    "included. With ``product``, only that product's journeys (``*`` for brand-level).",
    response=StageCounts,
    auth="admin",
    tags=TAGS,
    params=[
        Param("model", "path", str, "model name, e.g. hourglass"),
        Param("product", "query", str, "only this product"),
        Param("as_of", "query", str, "statuses as of this time (RFC 3339; default now)"),
    ],
    extra_statuses={404: "No such model"},
)
async def stage_counts(request: Request) -> Response:
    return await threaded_json(
        _journeys(request).counts,
        request.path_params["model"],
        product=query_text(request, "product"),
        as_of=query_time(request, "as_of"),
    )


def routes() -> list[BaseRoute]:
    return [profile_journeys, list_models, stage_counts]
