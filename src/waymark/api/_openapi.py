"""Endpoints declare what they take and return; ``/openapi.json`` is generated from that.

    @endpoint("GET", "/api/v1/profiles/{id}", summary="...", response=Profile, auth="admin",
              params=[Param("id", "path", str, "profile id")])
    async def get_profile(request: Request) -> Response: ...

``endpoint`` returns a Starlette ``Route`` carrying its ``EndpointSpec``; the wrapper enforces
admin auth so no handler can forget it. Schemas come from msgspec types.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from waymark.api._auth import require_admin
from waymark.api._errors import ErrorBody

Handler = Callable[[Request], Awaitable[Response]]
Auth = Literal["none", "write_key", "admin", "token"]


@dataclass(frozen=True)
class Param:
    name: str
    where: Literal["query", "path"]
    type: Any = str
    description: str = ""
    required: bool | None = None


@dataclass(frozen=True)
class EndpointSpec:
    method: str
    path: str
    summary: str
    request: Any = None
    response: Any = None
    auth: Auth = "none"
    params: tuple[Param, ...] = ()
    tags: tuple[str, ...] = ()
    description: str = ""
    response_media: str = "application/json"
    extra_statuses: dict[int, str] = field(default_factory=dict)


class SpecRoute(Route):
    spec: EndpointSpec


def endpoint(
    method: str,
    path: str,
    *,
    summary: str,
    request: Any = None,
    response: Any = None,
    auth: Auth = "none",
    params: Sequence[Param] = (),
    tags: Sequence[str] = (),
    description: str = "",
    response_media: str = "application/json",
    extra_statuses: dict[int, str] | None = None,
) -> Callable[[Handler], SpecRoute]:
    spec = EndpointSpec(
        method=method.upper(),
        path=path,
        summary=summary,
        request=request,
        response=response,
        auth=auth,
        params=tuple(params),
        tags=tuple(tags),
        description=description,
        response_media=response_media,
        extra_statuses=dict(extra_statuses or {}),
    )

    def wrap(handler: Handler) -> SpecRoute:
        if auth == "admin":

            async def guarded(request: Request) -> Response:
                require_admin(request)
                return await handler(request)

            target: Handler = guarded
        else:
            target = handler
        route = SpecRoute(path, target, methods=[spec.method], name=handler.__name__)
        route.spec = spec
        return route

    return wrap


def alias(route: SpecRoute, path: str) -> SpecRoute:
    """The same handler at another path (e.g. ``/v1/t`` for ``/v1/track``)."""
    copy = SpecRoute(
        path, route.endpoint, methods=list(route.methods or []), name=f"{route.name}@{path}"
    )
    copy.spec = EndpointSpec(**{**route.spec.__dict__, "path": path})
    return copy


def _schema_hook(type_: Any) -> dict[str, Any]:
    if type_ is msgspec.Raw:
        return {"description": "any JSON value, passed through undecoded"}
    raise NotImplementedError(f"no JSON schema for {type_!r}")


_JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean"}


def _param_schema(param: Param) -> dict[str, Any]:
    return {"type": _JSON_TYPES.get(param.type, "string")}


def openapi_document(routes: Iterable[BaseRoute], *, title: str, version: str) -> dict[str, Any]:
    specs = [r.spec for r in routes if isinstance(r, SpecRoute)]
    types: list[Any] = [ErrorBody]
    for spec in specs:
        for t in (spec.request, spec.response):
            if t is not None and t not in types:
                types.append(t)
    schemas, components = msgspec.json.schema_components(
        types, ref_template="#/components/schemas/{name}", schema_hook=_schema_hook
    )
    schema_of = dict(zip(types, schemas, strict=True))
    paths: dict[str, dict[str, Any]] = {}
    for spec in specs:
        op: dict[str, Any] = {
            "summary": spec.summary,
            "operationId": f"{spec.method.lower()}_{spec.path.strip('/').replace('/', '_')}",
            "tags": list(spec.tags),
            "responses": {},
        }
        if spec.description:
            op["description"] = spec.description
        parameters = [
            {
                "name": p.name,
                "in": p.where,
                "required": p.where == "path" if p.required is None else p.required,
                "description": p.description,
                "schema": _param_schema(p),
            }
            for p in spec.params
        ]
        if parameters:
            op["parameters"] = parameters
        if spec.request is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": schema_of[spec.request]}},
            }
        ok: dict[str, Any] = {"description": "OK"}
        if spec.response is not None:
            ok["content"] = {spec.response_media: {"schema": schema_of[spec.response]}}
        elif spec.response_media != "application/json":
            ok["content"] = {spec.response_media: {"schema": {"type": "string"}}}
        op["responses"]["200"] = ok
        error = {"content": {"application/json": {"schema": schema_of[ErrorBody]}}}
        op["responses"]["400"] = {"description": "Invalid request", **error}
        if spec.auth in ("admin", "write_key", "token"):
            op["responses"]["401"] = {"description": "Missing or wrong credentials", **error}
            op["security"] = (
                [{"adminToken": []}]
                if spec.auth == "admin"
                else ([{"writeKey": []}] if spec.auth == "write_key" else [])
            )
        for status, text in spec.extra_statuses.items():
            op["responses"][str(status)] = {"description": text, **error}
        paths.setdefault(spec.path, {})[spec.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "adminToken": {"type": "http", "scheme": "bearer"},
                "writeKey": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "The write key as user name and an empty password "
                    "(or writeKey in the JSON body).",
                },
            },
        },
    }
