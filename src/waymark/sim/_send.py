"""Sending simulated messages through the real Segment Python SDK to a tracking API.

The SDK batches in a background thread, retries server errors and network failures with
backoff, and reports batches it gives up on through ``on_error``; we count those as failed.
Its queue is bounded, so a full queue makes us wait (backpressure) rather than drop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Final, Protocol

import msgspec

from waymark.sim._messages import Message

QUEUE_SIZE: Final = 50_000
BATCH: Final = 250


class SendResult(msgspec.Struct, frozen=True, kw_only=True):
    sent: int
    """Messages handed to the SDK."""
    failed: int
    """Messages in batches the SDK reported as failed."""
    errors: tuple[str, ...] = ()
    """The first few distinct error messages."""
    seconds: float = 0.0


class SegmentClient(Protocol):
    def track(self, **kwargs: Any) -> tuple[bool, Any]: ...
    def identify(self, **kwargs: Any) -> tuple[bool, Any]: ...
    def page(self, **kwargs: Any) -> tuple[bool, Any]: ...
    def screen(self, **kwargs: Any) -> tuple[bool, Any]: ...
    def flush(self) -> None: ...
    def join(self) -> None: ...


OnError = Callable[[Exception, list[Any]], None]
ClientFactory = Callable[[str, str, OnError], SegmentClient]


def segment_client(url: str, write_key: str, on_error: OnError) -> SegmentClient:
    """The real SDK client, posting ``{url}/v1/batch``."""
    # imported here: the SDK (and requests, dateutil) would add ~0.5 s to every CLI start
    from segment.analytics import Client  # noqa: PLC0415

    client: SegmentClient = Client(
        write_key=write_key,
        host=url.rstrip("/"),
        on_error=on_error,
        max_queue_size=QUEUE_SIZE,
        upload_size=BATCH,
        # several consumer threads and a short interval: the SDK's defaults (one thread,
        # 0.5 s between uploads) cap a loopback send near 250 events/s
        thread=4,
        upload_interval=0.05,
        max_retries=3,
        timeout=30,
    )
    return client


def _call(client: SegmentClient, msg: Message) -> tuple[bool, Any]:
    common: dict[str, Any] = {
        "user_id": msg.get("userId"),
        "anonymous_id": msg.get("anonymousId"),
        # the SDK writes its library into the context: give it a copy of ours
        "context": dict(msg["context"]),
        "timestamp": datetime.fromisoformat(msg["timestamp"]),
        "message_id": msg["messageId"],
    }
    kind = msg["type"]
    if kind == "track":
        return client.track(event=msg["event"], properties=msg["properties"], **common)
    if kind == "identify":
        return client.identify(traits=msg["traits"], **common)
    if kind == "page":
        return client.page(name=msg.get("name"), properties=msg["properties"], **common)
    return client.screen(name=msg.get("name"), properties=msg["properties"], **common)


def send(
    chunks: Iterable[list[Message]],
    *,
    url: str,
    write_key: str,
    progress: Callable[[int], None] | None = None,
    client_factory: ClientFactory = segment_client,
) -> SendResult:
    """Send every message; flush at the end and report what the SDK could not deliver."""
    lock = threading.Lock()
    failed = 0
    errors: list[str] = []

    def on_error(exc: Exception, batch: list[Any]) -> None:
        nonlocal failed
        with lock:
            failed += len(batch)
            text = str(exc) or type(exc).__name__
            if text not in errors and len(errors) < 5:
                errors.append(text)

    begin = time.perf_counter()
    client = client_factory(url, write_key, on_error)
    sent = 0
    try:
        for chunk in chunks:
            for msg in chunk:
                while not _call(client, msg)[0]:
                    time.sleep(0.05)  # the SDK's queue is full: let it drain
                sent += 1
            if progress is not None:
                progress(len(chunk))
    finally:
        client.flush()
        client.join()
    return SendResult(
        sent=sent,
        failed=failed,
        errors=tuple(errors),
        seconds=time.perf_counter() - begin,
    )
