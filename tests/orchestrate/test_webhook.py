"""Webhooks: signing and status handling through ``httpx.MockTransport``, then a real HTTP
receiver on 127.0.0.1 that verifies the signature the way the docs show and answers 500 until
Waymark's retries get through."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.orchestrate.conftest import T0, Builder, Kit
from waymark.core.clock import FakeClock
from waymark.core.settings import Secret
from waymark.orchestrate._flow import Target
from waymark.orchestrate.api import verify_signature
from waymark.orchestrate.channels._base import Outgoing
from waymark.orchestrate.channels.webhook import WebhookChannel, signature_header

SECRET = "whsec_test_0123456789"


def documented_verify(secret: str, header: str, body: bytes, now: int) -> bool:
    """The receiver-side check exactly as docs/orchestrate.md shows it."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp = int(parts["t"])
    if abs(now - timestamp) > 300:
        return False
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def outgoing(attempt: int = 1) -> Outgoing:
    return Outgoing(
        key="k-123",
        profile_id="ray",
        flow_id="f",
        step_id="s",
        payload={"target": "crm", "body": {"id": "k-123", "data": {"a": 1}}},
        attempt=attempt,
    )


def channel(
    handler: Any, clock: FakeClock, *, url: str = "https://crm.example/hook"
) -> WebhookChannel:
    target = Target(name="crm", url=url, secret=Secret(SECRET), timeout=5)
    client = httpx.Client(transport=httpx.MockTransport(handler))
    return WebhookChannel(
        client, targets=lambda flow, name: target if name == "crm" else None, clock=clock
    )


def test_signed_json_post_with_the_idempotency_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    clock = FakeClock(T0)
    [result] = channel(handler, clock).send_batch([outgoing(attempt=2)])
    assert result.ok
    [req] = seen
    assert req.method == "POST"
    assert req.headers["content-type"] == "application/json"
    assert req.headers["idempotency-key"] == "k-123"
    assert req.headers["waymark-attempt"] == "2"
    assert json.loads(req.content) == {"id": "k-123", "data": {"a": 1}}
    now = int(T0.timestamp())
    assert req.headers["waymark-signature"].startswith(f"t={now},v1=")
    assert documented_verify(SECRET, req.headers["waymark-signature"], req.content, now)
    assert not documented_verify("other", req.headers["waymark-signature"], req.content, now)


@pytest.mark.parametrize(
    ("response", "ok", "transient", "retry_after", "words"),
    [
        (httpx.Response(200), True, False, None, ""),
        (httpx.Response(500, text="boom"), False, True, None, "HTTP 500: boom"),
        (httpx.Response(503, headers={"Retry-After": "120"}), False, True, 120.0, "HTTP 503"),
        (httpx.Response(429, headers={"Retry-After": "7"}), False, True, 7.0, "HTTP 429"),
        (httpx.Response(410, text="gone"), False, False, None, "HTTP 410: gone"),
        (httpx.Response(400), False, False, None, "HTTP 400"),
    ],
)
def test_statuses_map_to_retry_or_refusal(
    response: httpx.Response, ok: bool, transient: bool, retry_after: float | None, words: str
) -> None:
    [result] = channel(lambda r: response, FakeClock(T0)).send_batch([outgoing()])
    assert (result.ok, result.transient, result.retry_after) == (ok, transient, retry_after)
    assert words in result.reason


def test_network_errors_are_transient_and_unknown_targets_terminal() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    [result] = channel(down, FakeClock(T0)).send_batch([outgoing()])
    assert (result.ok, result.transient) == (False, True)
    assert "ConnectError" in result.reason
    stray = Outgoing(
        key="k", profile_id="p", flow_id="f", step_id="s", payload={"target": "nope", "body": {}}
    )
    [result] = channel(lambda r: httpx.Response(200), FakeClock(T0)).send_batch([stray])
    assert (result.ok, result.transient) == (False, False)


@given(st.binary(max_size=200), st.integers(min_value=0, max_value=2**31), st.integers(0, 255))
def test_any_change_breaks_the_signature(body: bytes, when: int, flip: int) -> None:
    header = signature_header(SECRET, when, body)
    assert verify_signature(SECRET, header, body, now=when)
    assert documented_verify(SECRET, header, body, when)
    tampered = body + bytes([flip])
    assert not verify_signature(SECRET, header, tampered, now=when)
    assert not verify_signature(SECRET, header, body, now=when + 301)


class Receiver:
    """A real HTTP server that verifies signatures and answers from a script of statuses."""

    def __init__(self, clock: FakeClock, statuses: list[int]) -> None:
        self.clock = clock
        self.statuses = statuses
        self.requests: list[tuple[dict[str, str], bytes, bool]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                now = int(outer.clock.now().timestamp())
                valid = documented_verify(SECRET, self.headers["Waymark-Signature"], body, now)
                outer.requests.append((dict(self.headers), body, valid))
                status = outer.statuses.pop(0) if outer.statuses else 200
                if not valid:
                    status = 401
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/waymark"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


FLOW = """\
id: shipping-sync
trigger: {event: Order Shipped}
webhooks:
  shipping: {url_env: SHIPPING_URL, secret_env: SHIPPING_SECRET}
steps:
  - id: tell-carrier
    send:
      channel: webhook
      target: shipping
      payload:
        order: "{{ trigger.properties.order_id }}"
        name: "{{ first_name | default('') }}"
"""


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


def webhook_kit(build: Builder, http: httpx.Client, receiver: Receiver) -> Kit:
    kit = build(
        {"f.yaml": FLOW},
        clock=receiver.clock,
        http=http,
        environ={"SHIPPING_URL": receiver.url, "SHIPPING_SECRET": SECRET},
    )
    kit.profiles.add("ray", traits={"first_name": "Ray"})
    return kit


def test_real_receiver_sees_retries_after_500(build: Builder, http: httpx.Client) -> None:
    with Receiver(FakeClock(T0), [500, 500, 200]) as receiver:
        kit = webhook_kit(build, http, receiver)
        kit.orch.process([kit.event("Order Shipped", order_id="o-1")])
        kit.orch.run_due()
        [m] = kit.orch.messages(profile_id="ray").messages
        assert (m.status, m.attempts) == ("retrying", 1)
        assert m.reason.startswith("shipping answered HTTP 500")
        for _ in range(2):
            kit.clock.set(m.due_at)  # type: ignore[arg-type]
            kit.orch.run_due()
            [m] = kit.orch.messages(profile_id="ray").messages
        assert (m.status, m.attempts) == ("sent", 3)
    assert len(receiver.requests) == 3
    keys = {headers["Idempotency-Key"] for headers, _, _ in receiver.requests}
    bodies = {body for _, body, _ in receiver.requests}
    assert keys == {m.message_id}
    assert len(bodies) == 1
    assert all(valid for _, _, valid in receiver.requests)
    body = json.loads(bodies.pop())
    assert body["data"] == {"order": "o-1", "name": "Ray"}
    assert body["id"] == m.message_id
    assert [h["Waymark-Attempt"] for h, _, _ in receiver.requests] == ["1", "2", "3"]
    # each retry waited at least the backoff (1 min, then 2 min in the test policy)
    stamps = [int(h["Waymark-Signature"].split(",")[0][2:]) for h, _, _ in receiver.requests]
    assert stamps[1] - stamps[0] >= 60
    assert stamps[2] - stamps[1] >= 120


def test_a_receiver_that_keeps_failing_ends_in_the_dead_letters(
    build: Builder, http: httpx.Client
) -> None:
    with Receiver(FakeClock(T0), [500] * 10) as receiver:
        kit = webhook_kit(build, http, receiver)
        kit.orch.process([kit.event("Order Shipped", order_id="o-2")])
        for _ in range(5):
            kit.orch.run_due()
            kit.clock.advance(timedelta(hours=1))
    [dead] = kit.orch.dead_letters().messages
    assert dead.status == "dead"
    assert dead.attempts == 3
    assert "gave up after 3 attempts" in dead.reason
    assert len(receiver.requests) == 3
