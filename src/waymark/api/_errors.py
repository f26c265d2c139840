"""Errors to HTTP, in one place. Every error body is ``{"code": ..., "message": ...}`` JSON
(the Segment and RudderStack SDKs read those keys); nothing ever answers with a traceback."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import msgspec
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from waymark.core.errors import (
    AuthError,
    Conflict,
    NotFound,
    PayloadTooLarge,
    TerminalError,
    TransientError,
    ValidationError,
    WaymarkError,
)

log = logging.getLogger("waymark.api")


class ErrorBody(msgspec.Struct, omit_defaults=True):
    code: str
    message: str
    field: str | None = None
    details: dict[str, Any] | None = None


def status_for(exc: WaymarkError) -> int:
    if isinstance(exc, PayloadTooLarge):
        return 413
    if isinstance(exc, ValidationError):
        return 400
    if isinstance(exc, AuthError):
        return 401
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, TransientError):
        return 503
    if isinstance(exc, TerminalError):
        return 400
    return 500


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = msgspec.json.encode(ErrorBody(code, message, field, details))
    return Response(body, status_code=status, media_type="application/json", headers=headers)


async def on_waymark_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WaymarkError)
    headers: dict[str, str] = {}
    if isinstance(exc, AuthError):
        headers["WWW-Authenticate"] = 'Basic realm="waymark"'
    if isinstance(exc, TransientError):
        headers["Retry-After"] = str(int(exc.retry_after or 1))
    field = getattr(exc, "field", None)
    details = {k: v for k, v in exc.details.items() if _jsonable(v)} or None
    return error_response(
        status_for(exc), exc.code, exc.message, field=field, details=details, headers=headers
    )


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    codes = {404: "not_found", 405: "method_not_allowed", 400: "bad_request"}
    message = exc.detail if isinstance(exc.detail, str) else "request failed"
    if exc.status_code == 404:
        message = f"no endpoint at {request.url.path}; see /openapi.json"
    if exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    return error_response(
        exc.status_code,
        codes.get(exc.status_code, "http_error"),
        message,
        headers=dict(exc.headers) if exc.headers else None,
    )


async def on_unexpected(request: Request, exc: Exception) -> Response:
    ref = uuid.uuid4().hex[:12]
    log.exception("unexpected error on %s %s (ref %s)", request.method, request.url.path, ref)
    return error_response(
        500, "internal", f"internal error; the server log has details (ref {ref})"
    )


def _jsonable(value: object) -> bool:
    return isinstance(value, str | int | float | bool | list | dict) or value is None
