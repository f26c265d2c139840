"""Credentials: write keys (HTTP Basic user name, or ``writeKey`` in the body) for the tracking
API, a bearer token for the admin API. Secrets are compared in constant time."""

from __future__ import annotations

import base64
import binascii
import hmac

from starlette.requests import Request

from waymark.api._deps import services
from waymark.core.errors import AuthError


def basic_write_key(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        raise AuthError("use HTTP Basic auth with the write key as user name", code="auth.scheme")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise AuthError("malformed Basic credentials", code="auth.malformed") from None
    user, _, _password = decoded.partition(":")
    return user or None


def require_admin(request: Request) -> None:
    token = services(request).settings.admin_token
    if token is None:
        raise AuthError(
            "the admin API is disabled: start the server with WAYMARK_ADMIN_TOKEN set",
            code="auth.admin_disabled",
        )
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given:
        raise AuthError("admin endpoints need 'Authorization: Bearer <token>'", code="auth.missing")
    if not hmac.compare_digest(given.strip().encode(), token.reveal().encode()):
        raise AuthError("wrong admin token", code="auth.invalid")
