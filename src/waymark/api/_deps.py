"""How handlers reach the composed services."""

from __future__ import annotations

from typing import TypeVar

from starlette.requests import Request

from waymark.core.errors import WaymarkError
from waymark.runtime.services import Services

F = TypeVar("F")


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


def surviving_profile_id(request: Request, raw: str) -> str:
    """The live profile an id names: absorbed ids answer with the surviving profile, as
    ``/api/v1/profiles/{id}`` does (unknown ids raise ``ProfileNotFound``)."""
    identity = services(request).identity
    return identity.profile(raw).id if identity is not None else raw


def available(feature: F | None, unavailable: type[WaymarkError], message: str) -> F:
    """The feature's facade, or ``unavailable`` (its ``<area>.unavailable`` error) when this
    server runs without it: every area answers a missing feature the same way."""
    if feature is None:
        raise unavailable(message)
    return feature
