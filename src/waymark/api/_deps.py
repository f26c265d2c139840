"""How handlers reach the composed services."""

from __future__ import annotations

from starlette.requests import Request

from waymark.runtime.services import Services


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc
