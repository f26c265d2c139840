"""The orchestration endpoints in the whole app (in process, lifespan on): flows, delivery
logs, dead letters, the inbox with its public token, and the email tracking links whose hits
come back as events in the log."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import msgspec
import pytest
from starlette.testclient import TestClient

from tests.orchestrate.conftest import Gate, Recorder
from waymark.api import flows
from waymark.api._openapi import openapi_document
from waymark.api.app import create_app
from waymark.core.clock import FakeClock
from waymark.core.events import Event
from waymark.core.settings import Secret
from waymark.orchestrate.api import LogProfiles, OrchestrateConfig, Orchestrator, RetryPolicy
from waymark.orchestrate.channels._base import Result
from waymark.orchestrate.channels.inbox import InboxChannel
from waymark.runtime.services import Services
from waymark.store.duckdb.orchestrate import DuckDBFlowStore
from waymark.store.duckdb.store import DuckDBStore

FLOW = """\
id: shipping
trigger: {event: Order Shipped}
webhooks:
  carrier: {url: "http://127.0.0.1:9/x", secret: s}
steps:
  - id: notice
    send:
      channel: email
      subject: "Thanks {{ first_name }}"
      text: "Track {{ trigger.properties.tracking_number }}"
      html: >-
        <p>Track <a href="https://track.example/{{ trigger.properties.tracking_number }}">
        here</a></p>
  - id: carrier
    send: {channel: webhook, target: carrier}
  - id: later
    wait: 1h
  - id: app
    send: {channel: inbox, title: "Hello {{ first_name }}", body: Get the app, url: "https://x.example/app"}
"""


class LogSink:
    def __init__(self, store: DuckDBStore) -> None:
        self.store = store

    def append(self, events: Sequence[Event]) -> None:
        self.store.events.append(events)


def api_orchestrator(
    services: Services,
    store: DuckDBStore,
    clock: FakeClock,
    flows: Path,
    channels: Mapping[str, object] | None = None,
) -> Orchestrator:
    """An orchestrator over the test store with the flows in ``flows``, an inbox channel and
    ``channels``, installed in ``services`` so the app serves it."""
    flow_store = DuckDBFlowStore(store.db)
    orch = Orchestrator(
        store=flow_store,
        profiles=LogProfiles(store.events),
        gate=Gate(),
        sink=LogSink(store),
        clock=clock,
        config=OrchestrateConfig(
            flows_dir=flows,
            public_url="https://wm.example",
            tracking_secret=Secret("api-test-secret-123456"),
            retry=RetryPolicy(attempts=2),
        ),
        channels={**(channels or {}), "inbox": InboxChannel(flow_store, clock=clock)},  # type: ignore[dict-item]
        rng=random.Random(1),
    )
    services.orchestrator = orch
    return orch


@pytest.fixture
def orch(
    services: Services,
    store: DuckDBStore,
    clock: FakeClock,
    tmp_path_factory: pytest.TempPathFactory,
) -> Orchestrator:
    flows = tmp_path_factory.mktemp("flows")
    (flows / "shipping.yaml").write_text(FLOW)
    email, hook = Recorder("email"), Recorder("webhook")
    hook.results = [Result(ok=False, reason="carrier answered HTTP 404")]
    return api_orchestrator(services, store, clock, flows, {"email": email, "webhook": hook})


def track(store: DuckDBStore, orch: Orchestrator, when: datetime, *events: Event) -> None:
    result = store.events.append(events)
    stored = [e for i, e in enumerate(events) if i not in result.duplicate_indexes]
    orch.process([msgspec_replace(e, seq=result.first_seq + i) for i, e in enumerate(stored)])


def msgspec_replace(event: Event, **changes: object) -> Event:
    return msgspec.structs.replace(event, **changes)


def event(name: str, when: datetime, **fields: object) -> Event:
    base: dict[str, object] = {"type": "track", "event": name, "user_id": "ray"}
    base.update(fields)
    return Event(message_id=f"{name}-{when.isoformat()}", timestamp=when, received_at=when, **base)  # type: ignore[arg-type]


def test_without_an_orchestrator_the_endpoints_say_so(
    services: Services, admin_headers: dict[str, str]
) -> None:
    services.orchestrator = None  # e.g. a store without a flow store
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        r = client.get("/api/v1/flows", headers=admin_headers)
        assert r.status_code == 400
        assert r.json()["code"] == "orchestrate.unavailable"


def test_flows_messages_inbox_and_tracking(
    orch: Orchestrator,
    services: Services,
    store: DuckDBStore,
    clock: FakeClock,
    admin_headers: dict[str, str],
) -> None:
    now = clock.now()
    identify = Event(
        message_id="id-1",
        type="identify",
        user_id="ray",
        timestamp=now,
        received_at=now,
        traits={"first_name": "Ray", "email": "ray@example.com"},
    )
    track(
        store,
        orch,
        now,
        identify,
        event("Order Shipped", now, properties={"tracking_number": "TN9"}),
    )
    orch.run_due()
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        assert client.get("/api/v1/flows").status_code == 401
        flows = client.get("/api/v1/flows", headers=admin_headers).json()["flows"]
        assert [(f["id"], f["sent"], f["scheduled"], f["failed"], f["active"]) for f in flows] == [
            ("shipping", 1, 1, 1, 1)
        ]
        log = client.get("/api/v1/profiles/ray/messages", headers=admin_headers).json()
        statuses = [(m["step_id"], m["status"]) for m in log["messages"]]
        assert statuses[0] == ("app", "scheduled")
        assert sorted(statuses[1:]) == [("carrier", "dead"), ("notice", "sent")]
        only_sent = client.get(
            "/api/v1/profiles/ray/messages?status=sent", headers=admin_headers
        ).json()["messages"]
        assert [m["step_id"] for m in only_sent] == ["notice"]
        bad = client.get("/api/v1/profiles/ray/messages?status=lost", headers=admin_headers)
        assert (bad.status_code, bad.json()["field"]) == (400, "status")
        dead = client.get("/api/v1/webhooks/dead-letters", headers=admin_headers).json()
        assert [m["reason"] for m in dead["messages"]] == ["carrier answered HTTP 404"]
        per_flow = client.get("/api/v1/flows/shipping/messages", headers=admin_headers).json()
        assert len(per_flow["messages"]) == 3

        # the inbox: nothing yet, then the message after the wait
        token = client.get("/api/v1/profiles/ray/inbox-token", headers=admin_headers).json()[
            "token"
        ]
        assert client.get(f"/api/v1/profiles/ray/inbox?token={token}").json()["messages"] == []
        clock.advance(timedelta(hours=1))
        orch.run_due()
        r = client.get(f"/api/v1/profiles/ray/inbox?token={token}")
        assert r.headers["access-control-allow-origin"] == "*"
        inbox = r.json()
        assert inbox["unread"] == 1
        [msg] = inbox["messages"]
        assert (msg["title"], msg["url"]) == ("Hello Ray", "https://x.example/app")
        assert client.get(f"/api/v1/profiles/ann/inbox?token={token}").status_code == 401
        assert client.get("/api/v1/profiles/ray/inbox").status_code == 400
        read = client.post(f"/api/v1/profiles/ray/inbox/{msg['id']}/read?token={token}")
        assert read.status_code == 200
        assert client.get(f"/api/v1/profiles/ray/inbox?token={token}").json()["unread"] == 0

        # tracking: the pixel and the click come back as events for Ray
        html = orch.channels["email"].sent[0].payload["html"]  # type: ignore[attr-defined]
        pixel = re.search(r"https://wm\.example(/t/open/[\w.-]+)", html).group(1)  # type: ignore[union-attr]
        click = re.search(r"https://wm\.example(/t/click/[\w.-]+)", html).group(1)  # type: ignore[union-attr]
        r = client.get(pixel)
        assert (r.status_code, r.headers["content-type"]) == (200, "image/gif")
        assert client.get("/t/open/forged.token").status_code == 200  # still an image
        r = client.get(click, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (302, "https://track.example/TN9")
        assert client.get("/t/click/forged.token", follow_redirects=False).status_code == 401
        unsubscribe = orch.channels["email"].sent[0].payload["unsubscribe"]  # type: ignore[attr-defined]
        path = unsubscribe.removeprefix("https://wm.example")
        # a GET (a mail scanner, a link preview) only asks, and changes nothing
        page = client.get(path)
        assert page.status_code == 200 and '<form method="post">' in page.text
        assert not any(
            e.event == "Unsubscribed" for e in store.events.latest(user_ids=["ray"], limit=50)
        )
        assert client.get("/t/unsubscribe/forged.token").status_code == 401
        # the page's button posts the form back and answers with a page
        r = client.post(path, data={"confirm": "yes"})
        assert r.status_code == 200 and "You are unsubscribed" in r.text
        # RFC 8058 one-click, as mail providers send it, answers JSON
        r = client.post(path, data={"List-Unsubscribe": "One-Click"})
        assert r.status_code == 200 and r.json()
    names = [e.event or e.type for e in store.events.latest(user_ids=["ray"], limit=50)]
    for expected in ("Email Opened", "Email Link Clicked", "Unsubscribed", "Email Sent"):
        assert expected in names
    consent = [
        e
        for e in store.events.latest(user_ids=["ray"], limit=50)
        if e.traits.get("consent_email") is False
    ]
    assert len(consent) == 1


def test_flows_through_the_admin_api(
    orch: Orchestrator, services: Services, admin_headers: dict[str, str]
) -> None:
    text = """\
id: welcome
trigger: {event: Signed Up}
steps:
  - id: hi
    send: {channel: inbox, title: Welcome}
"""
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        r = client.post("/api/v1/flows", content=text, headers=admin_headers)
        assert r.status_code == 200, r.text
        assert (r.json()["id"], r.json()["source"]) == ("welcome", "api")
        ids = [f["id"] for f in client.get("/api/v1/flows", headers=admin_headers).json()["flows"]]
        assert ids == ["shipping", "welcome"]
        bad = client.post(
            "/api/v1/flows",
            content=text.replace("Signed Up", "Signed Up, delay: soon"),
            headers=admin_headers,
        )
        assert bad.status_code == 400
        assert bad.json()["code"] == "orchestrate.flow_invalid"
        assert bad.json()["field"] == "trigger.delay"
        assert bad.json()["message"].startswith("<request body>:2: trigger.delay:")
        assert client.delete("/api/v1/flows/shipping", headers=admin_headers).status_code == 409
        assert client.delete("/api/v1/flows/welcome", headers=admin_headers).status_code == 200
        assert client.get("/api/v1/flows/welcome", headers=admin_headers).status_code == 404

    # every endpoint is described (the whole /openapi.json is another area's test)
    doc = openapi_document(flows.routes(), title="t", version="1")
    msgspec.json.encode(doc)
    assert {
        "/api/v1/profiles/{id}/messages",
        "/api/v1/profiles/{id}/inbox",
        "/api/v1/flows",
    } <= set(doc["paths"])
    assert doc["paths"]["/api/v1/flows"]["get"]["security"] == [{"adminToken": []}]
