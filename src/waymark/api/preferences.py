"""The customer's preference centre at ``/preferences/{token}`` (public: the signed token in
the path is the credential). GET shows the page; every change is a form POST that must carry
the page's form key, tied to the token, so another site cannot post with a link it does not
hold. A link that cannot be honoured gets a page saying why, with a 4xx status and no data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute

from waymark.api._deps import services
from waymark.api._io import json_response
from waymark.api._openapi import Param, SpecRoute, endpoint
from waymark.api.privacy import privacy_of, start_erasure
from waymark.identity.contracts import Profile
from waymark.privacy.api import PrivacyService
from waymark.privacy.contracts import PREFERENCE_SOURCE, PURPOSES, LinkClaims
from waymark.privacy.errors import BadLink
from waymark.runtime.services import Services
from waymark.web.preferences import (
    erasure_page,
    preferences_page,
    problem_page,
    security_headers,
)

TAGS = ("preference centre",)
_TOKEN = Param("token", "path", str, "the signed link from an email")
_BAD = {
    400: "Malformed link (an HTML page)",
    403: "Forged or revoked link, or a form without the page's key (an HTML page)",
    410: "Expired link, or nobody left to show (an HTML page)",
}
_FORM = "An HTML form post (application/x-www-form-urlencoded) with the page's form_key."

Action = Callable[[Request, Services, LinkClaims, Profile, FormData], Awaitable[Response]]


def _page(html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers=security_headers())


def _problem(exc: BadLink) -> HTMLResponse:
    status, html = problem_page(exc.reason)
    return _page(html, status)


def _base(request: Request) -> str:
    return f"/preferences/{request.path_params['token']}"


async def _open(request: Request) -> tuple[PrivacyService, LinkClaims, Profile]:
    privacy = privacy_of(services(request))
    claims, profile = await run_in_threadpool(
        privacy.preferences.open, request.path_params["token"]
    )
    return privacy, claims, profile


@endpoint(
    "GET", "/preferences/{token}",
    summary="The customer's preference centre (HTML): what is held, consent, export, deletion",
    tags=TAGS, response_media="text/html", params=[_TOKEN], extra_statuses=_BAD,
)  # fmt: skip
async def page(request: Request) -> Response:
    try:
        privacy, claims, profile = await _open(request)
    except BadLink as exc:
        return _problem(exc)
    view = await run_in_threadpool(privacy.preferences.view, claims, profile)
    html = preferences_page(
        view,
        base=_base(request),
        form_key=privacy.preferences.form_key(claims),
        notice=request.query_params.get("done"),
    )
    return _page(html)


def _posted(action: Action) -> Callable[[Request], Awaitable[Response]]:
    """Check the link and the form key before the action sees anything."""

    async def handler(request: Request) -> Response:
        try:
            privacy, claims, profile = await _open(request)
            form = await request.form()
            key = form.get("form_key")
            privacy.preferences.check_form(claims, key if isinstance(key, str) else None)
        except BadLink as exc:
            return _problem(exc)
        return await action(request, services(request), claims, profile, form)

    handler.__name__ = action.__name__
    return handler


def _back(request: Request, done: str) -> Response:
    # 303: the browser follows with a GET, so a reload does not post the form again
    return RedirectResponse(f"{_base(request)}?done={done}", status_code=303)


async def _consent(
    request: Request, svc: Services, claims: LinkClaims, profile: Profile, form: FormData
) -> Response:
    ticked = {v for v in form.getlist("consent") if isinstance(v, str)}
    wanted = {p: p in ticked for p in PURPOSES}
    changed = {p: v for p, v in wanted.items() if profile.consent.get(p, False) != v}
    if not changed:
        return _back(request, "unchanged")
    privacy = privacy_of(svc)
    event = privacy.consent_change(profile.id, changed, source=PREFERENCE_SOURCE)
    await svc.committer.submit([event])  # processed before it returns: decide sees it now
    return _back(request, "consent")


async def _unsubscribe(
    request: Request, svc: Services, claims: LinkClaims, profile: Profile, form: FormData
) -> Response:
    event = privacy_of(svc).unsubscribe_all(profile.id, source=PREFERENCE_SOURCE)
    await svc.committer.submit([event])
    return _back(request, "unsubscribed")


async def _export(
    request: Request, svc: Services, claims: LinkClaims, profile: Profile, form: FormData
) -> Response:
    document = await run_in_threadpool(privacy_of(svc).export, profile.id)
    headers = {**security_headers(), "Content-Disposition": 'attachment; filename="my-data.json"'}
    return json_response(document, headers=headers)


async def _erase(
    request: Request, svc: Services, claims: LinkClaims, profile: Profile, form: FormData
) -> Response:
    if form.get("confirm") != "yes":
        return _back(request, "unconfirmed")
    logged, task = await start_erasure(svc, profile.id)
    response = _page(erasure_page(logged.id, logged.due_at), 202)
    response.background = task
    return response


def _action(name: str, summary: str, action: Action, *, media: str = "text/html") -> SpecRoute:
    return endpoint(
        "POST",
        f"/preferences/{{token}}/{name}",
        summary=summary,
        description=_FORM,
        tags=TAGS,
        response_media=media,
        params=[_TOKEN],
        extra_statuses=_BAD,
    )(_posted(action))


consent = _action(
    "consent",
    "Change consent per purpose (ticked boxes named consent); records Consent Updated; "
    "303 back to the page",
    _consent,
)
unsubscribe = _action(
    "unsubscribe", "Withdraw consent for every purpose at once; 303 back to the page", _unsubscribe
)
export = _action(
    "export",
    "Download everything held about the person (JSON attachment)",
    _export,
    media="application/json",
)
erase = _action(
    "erase",
    "Ask for deletion (needs confirm=yes); answers 202 with the request reference",
    _erase,
)


def routes() -> list[BaseRoute]:
    return [page, consent, unsubscribe, export, erase]
