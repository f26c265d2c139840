"""The Segment tracking API: ``/v1/{track,identify,page,screen,group,alias,batch}`` and the
one-letter aliases browser libraries use. Answered 200 only once the events are committed."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from waymark.api._auth import basic_write_key
from waymark.api._deps import services
from waymark.api._errors import error_response
from waymark.api._io import json_response, read_body
from waymark.api._openapi import SpecRoute, alias, endpoint
from waymark.core.errors import AuthError
from waymark.core.events import EventType
from waymark.ingest.api import Rejection, decode_content, parse, split
from waymark.ingest.errors import MessageTooLarge


class TrackResponse(msgspec.Struct):
    success: bool
    accepted: int
    duplicates: int
    rejected: list[Rejection]


async def _ingest(request: Request, endpoint_type: EventType | None) -> Response:
    svc = services(request)
    header_key = basic_write_key(request)
    if header_key is not None and svc.settings.source_for_key(header_key) is None:
        raise AuthError("unknown write key", code="auth.invalid_write_key")
    received_at = svc.clock.now()
    raw = await read_body(request, max_bytes=svc.limits.max_batch_bytes)
    body = decode_content(raw, request.headers.get("content-encoding"), svc.limits.max_batch_bytes)
    envelope = split(body, endpoint=endpoint_type, limits=svc.limits)
    key = header_key or envelope.write_key
    if not key:
        raise AuthError(
            "missing write key: send HTTP Basic auth with the write key as user name "
            "and an empty password, or writeKey in the body",
            code="auth.missing_write_key",
        )
    source = svc.settings.source_for_key(key)
    if source is None:
        raise AuthError("unknown write key", code="auth.invalid_write_key")
    parsed = parse(
        envelope, endpoint=endpoint_type, source=source, received_at=received_at, limits=svc.limits
    )
    if not parsed.events:
        svc.stats.record(0, len(parsed.rejected), 0)
        first = parsed.rejected[0] if parsed.rejected else None
        if first is None:
            return json_response(TrackResponse(True, 0, 0, []))
        status = 413 if first.code == MessageTooLarge.code and endpoint_type else 400
        return error_response(
            status,
            first.code,
            first.message if endpoint_type else f"message {first.index}: {first.message}",
            details={"rejected": [msgspec.to_builtins(r) for r in parsed.rejected]},
        )
    result = await svc.committer.submit(parsed.events)
    svc.stats.record(result.stored, len(parsed.rejected), result.duplicates)
    return json_response(TrackResponse(True, result.stored, result.duplicates, parsed.rejected))


def _single(kind: EventType, summary: str) -> SpecRoute:
    async def handler(request: Request) -> Response:
        return await _ingest(request, kind)

    handler.__name__ = kind
    return endpoint(
        "POST",
        f"/v1/{kind}",
        summary=summary,
        response=TrackResponse,
        auth="write_key",
        tags=("tracking",),
        description="Segment-compatible. Body: one message; Content-Encoding gzip accepted.",
        extra_statuses={413: "Message larger than 32 KB"},
    )(handler)


@endpoint(
    "POST",
    "/v1/batch",
    summary="Send up to 2,500 messages (500 KB) at once",
    response=TrackResponse,
    auth="write_key",
    tags=("tracking",),
    description="Valid messages are stored even when others are rejected; rejected ones are "
    "listed by index. Retried batches are deduplicated on messageId per source.",
    extra_statuses={413: "Batch larger than 500 KB"},
)
async def batch(request: Request) -> Response:
    return await _ingest(request, None)


def routes() -> list[BaseRoute]:
    singles = {
        "track": ("t", "Record an action (event + properties)"),
        "identify": ("i", "Tie a user to their traits"),
        "page": ("p", "Record a page view"),
        "screen": ("s", "Record an app screen view"),
        "group": ("g", "Associate a user with a group (account)"),
        "alias": ("a", "Merge two user identities"),
    }
    out: list[BaseRoute] = [batch]
    for kind, (letter, summary) in singles.items():
        route = _single(kind, summary)  # type: ignore[arg-type]
        out += [route, alias(route, f"/v1/{letter}")]
    return out
