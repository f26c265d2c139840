"""The handlers' shared helpers: a missing feature answers its own unavailable error, and
a threaded read answers its result as JSON."""

from __future__ import annotations

import asyncio
import threading

import msgspec
import pytest

from waymark.api._deps import available
from waymark.api._io import threaded_json
from waymark.core.errors import TransientError


class _Unavailable(TransientError):
    code = "thing.unavailable"


def test_available_passes_a_present_feature_through() -> None:
    feature = object()
    assert available(feature, _Unavailable, "things are not set up") is feature


def test_available_raises_the_areas_error_when_the_feature_is_missing() -> None:
    with pytest.raises(_Unavailable, match="things are not set up") as caught:
        available(None, _Unavailable, "things are not set up")
    assert caught.value.code == "thing.unavailable"


def test_threaded_json_runs_off_the_event_loop_and_encodes_the_result() -> None:
    def read(a: int, *, b: int) -> dict[str, object]:
        return {"sum": a + b, "thread": threading.current_thread().name}

    async def call() -> tuple[bytes, int, str | None, str]:
        response = await threaded_json(read, 2, b=3)
        body = bytes(response.body)
        return body, response.status_code, response.media_type, threading.current_thread().name

    body, status, media, loop_thread = asyncio.run(call())
    decoded = msgspec.json.decode(body)
    assert status == 200 and media == "application/json"
    assert decoded["sum"] == 5
    assert decoded["thread"] != loop_thread
