"""Lead scores over HTTP (admin token): a person's or an account's score per product, with its
label (marketing-/sales-qualified, tied to the journey stage) and the top contributions."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from waymark.api._deps import available, services
from waymark.api._io import threaded_json
from waymark.api._openapi import Param, endpoint
from waymark.api.events import query_time
from waymark.scoring.api import ScoringService
from waymark.scoring.contracts import ScoreList
from waymark.scoring.errors import ScoringUnavailable

TAGS = ("scores",)
_DESCRIPTION = (
    "Per journey model and product: score = fit (trait rules) + engagement (stage evidence "
    "weighted by stage, decayed to ``as_of``), the current stage, the label it earns, and the "
    "largest contributions (rule, evidence, stage, points after decay)."
)
_PARAMS = [Param("as_of", "query", str, "decay and labels as of this time (RFC 3339)")]


def _scoring(request: Request) -> ScoringService:
    return available(
        services(request).scoring, ScoringUnavailable, "lead scoring is not set up on this server"
    )


async def _answer(request: Request, read: Callable[..., ScoreList]) -> Response:
    return await threaded_json(read, request.path_params["id"], as_of=query_time(request, "as_of"))


@endpoint(
    "GET",
    "/api/v1/profiles/{id}/scores",
    summary="A customer's lead scores, labels and their reasons",
    description=_DESCRIPTION,
    response=ScoreList,
    auth="admin",
    tags=TAGS,
    params=[
        Param("id", "path", str, "profile id (an absorbed id answers for its survivor)"),
        *_PARAMS,
    ],
    extra_statuses={404: "No such profile"},
)
async def profile_scores(request: Request) -> Response:
    return await _answer(request, _scoring(request).person)


@endpoint(
    "GET",
    "/api/v1/accounts/{id}/scores",
    summary="An account's lead scores: its top members' engagement plus account fit",
    description=_DESCRIPTION
    + " An account's stage is its members' furthest current stage; each event contribution "
    "names the member it came from.",
    response=ScoreList,
    auth="admin",
    tags=TAGS,
    params=[Param("id", "path", str, "account id (the group id of Segment group calls)"), *_PARAMS],
    extra_statuses={404: "No such account"},
)
async def account_scores(request: Request) -> Response:
    return await _answer(request, _scoring(request).account)


def routes() -> list[BaseRoute]:
    return [profile_scores, account_scores]
