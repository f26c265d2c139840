"""Reading bodies and writing JSON with msgspec."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from waymark.core.errors import PayloadTooLarge, ValidationError
from waymark.ingest.api import decode_content

T = TypeVar("T")
P = ParamSpec("P")
ADMIN_BODY_LIMIT = 4 * 1024 * 1024
_encoder = msgspec.json.Encoder()


async def read_body(request: Request, *, max_bytes: int) -> bytes:
    """The raw body, refusing to buffer more than ``max_bytes`` (plus slack for gzip framing)."""
    declared = request.headers.get("content-length")
    cap = max_bytes + 1024
    if declared and declared.isdigit() and int(declared) > cap:
        raise PayloadTooLarge(f"body is {declared} bytes; at most {max_bytes} allowed")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise PayloadTooLarge(f"body exceeds {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def decode_body(request: Request, type_: type[T], *, max_bytes: int = ADMIN_BODY_LIMIT) -> T:
    """Decode a JSON body into ``type_``; errors name the field."""
    raw = await read_body(request, max_bytes=max_bytes)
    raw = decode_content(raw, request.headers.get("content-encoding"), max_bytes)
    if not raw.strip():
        raise ValidationError("request body is empty; send JSON")
    try:
        return msgspec.json.decode(raw, type=type_)
    except msgspec.ValidationError as exc:
        text = str(exc)
        field = text.rsplit("`$.", 1)[-1].rstrip("`") if "`$." in text else None
        raise ValidationError(f"invalid body: {text}", field=field) from None
    except (msgspec.DecodeError, RecursionError, UnicodeDecodeError) as exc:
        # msgspec raises RecursionError for too-deep JSON and UnicodeDecodeError for non-UTF-8
        raise ValidationError(f"body is not valid JSON: {exc}") from None


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        _encoder.encode(obj), status_code=status, media_type="application/json", headers=headers
    )


async def threaded_json(fn: Callable[P, Any], *args: P.args, **kwargs: P.kwargs) -> Response:
    """``fn(*args, **kwargs)`` in a worker thread, answered as JSON: reads and reports touch
    the store, and must not hold up the event loop."""
    return json_response(await run_in_threadpool(fn, *args, **kwargs))
