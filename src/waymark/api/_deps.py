"""How handlers reach the composed services."""

from __future__ import annotations

from starlette.requests import Request

from waymark.runtime.services import Services


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


def surviving_profile_id(request: Request, raw: str) -> str:
    """The live profile an id names: absorbed ids answer with the surviving profile, as
    ``/api/v1/profiles/{id}`` does (unknown ids raise ``ProfileNotFound``)."""
    identity = services(request).identity
    return identity.profile(raw).id if identity is not None else raw
