"""The app on a real socket with a real SMTP server (aiosmtpd) and one flow that emails a
person when they sign up: the set-up of the tests that follow a preference link from an email."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import httpx

from tests._server import ADMIN_TOKEN, WRITE_KEY, free_port
from tests.e2e._app import AppServer
from tests.e2e._receivers import SmtpSink
from waymark.api.app import create_app
from waymark.core.clock import FakeClock
from waymark.core.settings import Secret, Settings, WriteKey
from waymark.runtime.services import Services, build_services
from waymark.store.duckdb.store import DuckDBStore

FLOW = """
id: welcome
name: Welcome email
trigger:
  event: Signed Up
steps:
  - id: hello
    send:
      channel: email
      subject: "Welcome, {{ first_name | default('friend') }}"
      text: "Hello {{ first_name | default('friend') }}, welcome aboard."
      html: "<html><body><p>Hello {{ first_name | default('friend') }}, welcome.</p></body></html>"
"""
KIM = {"user": "kim-4411", "email": "kim.prefs@example.org", "name": "Kim Prefs"}


@dataclass
class MailWorld:
    services: Services
    app: AppServer
    smtp: SmtpSink
    api: httpx.Client

    def sign_up(self) -> EmailMessage:
        """Kim signs up; returns the welcome email as the SMTP server received it."""
        batch = {
            "batch": [
                {
                    "type": "identify",
                    "userId": KIM["user"],
                    "traits": {"email": KIM["email"], "name": KIM["name"], "consent_email": True},
                    "messageId": "kim-1",
                },
                {
                    "type": "track",
                    "userId": KIM["user"],
                    "event": "Signed Up",
                    "messageId": "kim-2",
                },
            ]
        }
        r = httpx.post(f"{self.app.url}/v1/batch", json=batch, auth=(WRITE_KEY, ""), timeout=30)
        assert r.status_code == 200, r.text
        orchestrator = self.services.orchestrator
        assert orchestrator is not None
        deadline = time.monotonic() + 20
        while not self.smtp.mailbox.snapshot() and time.monotonic() < deadline:
            orchestrator.run_due()
            time.sleep(0.05)
        (mail,) = self.smtp.mailbox.snapshot()
        return mail

    def profile_id(self) -> str:
        r = self.api.get("/api/v1/profiles/lookup", params={"email": KIM["email"]})
        assert r.status_code == 200, r.text
        return str(r.json()["id"])


@contextmanager
def mail_world(tmp_path: Path) -> Iterator[MailWorld]:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "welcome.yaml").write_text(FLOW)
    smtp = SmtpSink().start()
    port = free_port()  # known before the app exists: its links point back to it
    environ = {
        "WAYMARK_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "WAYMARK_SMTP_URL": smtp.url,
        "WAYMARK_FLOWS": str(flows),
        "WAYMARK_EMAIL_FROM": "Brightblocks <hello@brightblocks.example>",
    }
    settings = Settings(
        data_dir=tmp_path / "data",
        write_keys=(WriteKey(WRITE_KEY, "test"),),
        admin_token=Secret(ADMIN_TOKEN),
    )
    store = DuckDBStore(settings.data_dir)
    clock = FakeClock(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    services = build_services(
        settings, event_log=store.events, stores=store.features(), clock=clock, environ=environ
    )
    app = AppServer(create_app(services), port).start()
    api = httpx.Client(
        base_url=app.url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30
    )
    try:
        yield MailWorld(services, app, smtp, api)
    finally:
        api.close()
        app.stop()
        smtp.stop()
        store.close()
