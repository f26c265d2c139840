"""Real receivers on 127.0.0.1 for the story test: an SMTP server that keeps every message and
an HTTP webhook receiver that verifies each signature before keeping the body."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from tests._server import free_port


@dataclass
class Mailbox:
    """aiosmtpd handler: every accepted message, parsed."""

    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append(parsed)
        return "250 Message accepted"

    def snapshot(self) -> list[EmailMessage]:
        with self.lock:
            return list(self.messages)


class SmtpSink:
    def __init__(self) -> None:
        self.mailbox = Mailbox()
        self.port = free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


@dataclass(frozen=True)
class Hook:
    path: str
    key: str
    body: dict[str, Any]


def signature_ok(secret: str, header: str, body: bytes, now: float, tolerance: int = 300) -> bool:
    """The verification docs/orchestrate.md gives receivers, against the sender's clock."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp = int(parts["t"])
    if abs(now - timestamp) > tolerance:
        return False
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


class WebhookSink:
    """Answers 200 to signed POSTs, 401 to anything whose signature does not verify."""

    def __init__(self, secret: str, now: Callable[[], datetime]) -> None:
        self.secret = secret
        self.hooks: list[Hook] = []
        self.rejected: list[str] = []
        self._lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                ok = signature_ok(
                    sink.secret,
                    self.headers.get("Waymark-Signature", "t=0,v1="),
                    raw,
                    now().timestamp(),
                )
                with sink._lock:
                    if ok:
                        key = self.headers.get("Idempotency-Key", "")
                        sink.hooks.append(Hook(self.path, key, json.loads(raw)))
                    else:
                        sink.rejected.append(
                            f"{self.path} signed {self.headers.get('Waymark-Signature')} "
                            f"received at {now().isoformat()}"
                        )
                self.send_response(200 if ok else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> WebhookSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def received(self, path: str) -> list[Hook]:
        with self._lock:
            return [h for h in self.hooks if h.path == path]
