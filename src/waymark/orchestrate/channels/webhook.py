"""Webhooks: a JSON POST signed with HMAC-SHA256, through an injected ``httpx.Client`` (tests
pass one with ``httpx.MockTransport``).

The signature header (documented in docs/orchestrate.md with a verification snippet)::

    Waymark-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>

Each attempt is signed afresh (a new ``t``); the ``Idempotency-Key`` header and the body's
``id`` stay the same on every attempt, so the receiver can drop repeats.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.utils import parsedate_to_datetime

import httpx
import msgspec

from waymark.core.clock import Clock
from waymark.core.errors import DeliveryError
from waymark.orchestrate._flow import Target
from waymark.orchestrate.channels._base import BatchingChannel, Outgoing
from waymark.orchestrate.errors import DeliveryRefused

SIGNATURE_HEADER = "Waymark-Signature"
USER_AGENT = "waymark-webhooks/1"
_RETRY_STATUSES = frozenset({408, 425, 429})


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return mac.hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, *, now: int, tolerance: int = 300) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), parts.get("v1", ""))


def _retry_after(response: httpx.Response, now: float) -> float | None:
    raw = response.headers.get("retry-after")
    if not raw:
        return None
    if raw.strip().isdigit():
        return float(raw)
    try:
        return max(parsedate_to_datetime(raw).timestamp() - now, 0.0)
    except (TypeError, ValueError):
        return None


class WebhookChannel(BatchingChannel[httpx.Client]):
    name = "webhook"
    max_batch = 100

    def __init__(
        self,
        client: httpx.Client,
        *,
        targets: Callable[[str, str], Target | None],
        clock: Clock,
    ) -> None:
        """``targets(flow_id, name)`` resolves a target with its current URL and secret
        (secrets never go into the stored payload)."""
        self._client = client
        self._targets = targets
        self._clock = clock

    @contextmanager
    def session(self) -> Iterator[httpx.Client]:
        yield self._client

    def send_one(self, session: httpx.Client, item: Outgoing) -> None:
        name = str(item.payload["target"])
        target = self._targets(item.flow_id, name)
        if target is None:
            raise DeliveryRefused(f"no webhook target {name!r} in flow {item.flow_id!r}")
        if (missing := target.missing) is not None or target.url is None or target.secret is None:
            raise DeliveryRefused(missing or f"webhook target {name!r} is not configured")
        body = msgspec.json.encode(item.payload["body"])
        now = self._clock.now().timestamp()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Idempotency-Key": item.key,
            "Waymark-Attempt": str(item.attempt),
            SIGNATURE_HEADER: signature_header(target.secret.reveal(), int(now), body),
        }
        try:
            response = session.post(
                target.url, content=body, headers=headers, timeout=target.timeout
            )
        except httpx.TimeoutException:
            raise DeliveryError(f"{name}: no answer within {target.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{name}: {type(exc).__name__}: {exc}") from None
        status = response.status_code
        if 200 <= status < 300:
            return
        text = response.text[:200].strip()
        reason = f"{name} answered HTTP {status}" + (f": {text}" if text else "")
        if status in _RETRY_STATUSES or status >= 500:
            raise DeliveryError(reason, retry_after=_retry_after(response, now))
        raise DeliveryRefused(reason)
