"""Bulk import through a running server (the CLI uses it when the server holds the data
directory). Deduplicates against the whole log, so re-importing a file adds nothing."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from waymark.api._deps import services
from waymark.api._io import decode_body, json_response
from waymark.api._openapi import endpoint
from waymark.core.errors import ValidationError
from waymark.ingest.api import RawRecord, Rejection, parse_records

IMPORT_BODY_LIMIT = 64 * 1024 * 1024


class ImportRecord(msgspec.Struct, frozen=True):
    line: int
    # msgspec cannot decode Raw inside a union (``Raw | None`` refuses any object), and a Raw
    # default breaks the OpenAPI schema; a factory gives both.
    message: msgspec.Raw = msgspec.field(default_factory=lambda: msgspec.Raw(b"null"))
    text: str | None = None
    """The record as text instead of ``message`` when it is not well-formed JSON (which could
    not be embedded in this body); it is validated, and rejected, like any other record."""


class ImportRequest(msgspec.Struct, frozen=True):
    source: str
    records: list[ImportRecord]


class ImportResult(msgspec.Struct, frozen=True):
    stored: int
    duplicates: int
    rejected: list[Rejection]


@endpoint(
    "POST",
    "/api/v1/import",
    summary="Import Segment messages in bulk (whole-log deduplication)",
    request=ImportRequest,
    response=ImportResult,
    auth="admin",
    tags=("events",),
    description="Rejected records are reported with the line number the client gave.",
)
async def import_records(request: Request) -> Response:
    svc = services(request)
    body = await decode_body(request, ImportRequest, max_bytes=IMPORT_BODY_LIMIT)
    if not body.source.strip():
        raise ValidationError("source must not be empty", field="source")
    records = [
        RawRecord(r.line, r.text.encode() if r.text is not None else bytes(r.message))
        for r in body.records
    ]
    parsed = parse_records(
        records, source=body.source, received_at=svc.clock.now(), limits=svc.limits
    )
    result = await svc.committer.submit(parsed.events, dedupe_all_time=True)
    svc.stats.record(result.stored, len(parsed.rejected), result.duplicates)
    return json_response(ImportResult(result.stored, result.duplicates, parsed.rejected))


def routes() -> list[BaseRoute]:
    return [import_records]
