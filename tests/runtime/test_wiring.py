"""The features wired together: events in through the tracking API, then one profile across
devices, a journey stage per product, a decision with a reason; and the same after a restart,
rebuilt from what was persisted plus the log."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

from starlette.testclient import TestClient

from tests._server import WRITE_KEY
from waymark.api.app import create_app
from waymark.core.clock import FakeClock
from waymark.core.settings import Settings
from waymark.runtime.rebuild import rebuild_derived
from waymark.runtime.services import build_services
from waymark.store.duckdb.store import DuckDBStore

AUTH = {"Authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}


def story(clock: FakeClock) -> list[dict[str, Any]]:
    """Anonymous on the web (from a Facebook ad), then signs up; later on the phone app."""
    t = clock.now()

    def at(minutes: int) -> str:
        return (t + timedelta(minutes=minutes)).isoformat()

    web, app = "anon-web-1", "anon-app-1"
    return [
        {
            "type": "track",
            "anonymousId": web,
            "event": "Ad Clicked",
            "timestamp": at(0),
            "context": {"campaign": {"source": "facebook", "medium": "paid_social"}},
        },
        {
            "type": "track",
            "anonymousId": web,
            "event": "Product Viewed",
            "timestamp": at(5),
            "properties": {"product_id": "genius-kit"},
        },
        {
            "type": "identify",
            "anonymousId": web,
            "userId": "ray",
            "timestamp": at(6),
            "traits": {"email": " Ray@Example.com ", "first_name": "Ray"},
        },
        {
            "type": "track",
            "anonymousId": app,
            "event": "Video Playback Started",
            "timestamp": at(30),
            "properties": {"product_id": "genius-kit"},
            "context": {"traits": {"email": "ray@example.com"}},
        },
        {
            "type": "identify",
            "anonymousId": app,
            "timestamp": at(31),
            "traits": {"email": "ray@example.com"},
        },
    ]


def _state(
    client: TestClient, headers: dict[str, str]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    profile = client.get(
        "/api/v1/profiles/lookup", params={"email": "RAY@example.com"}, headers=headers
    )
    assert profile.status_code == 200, profile.text
    pid = profile.json()["id"]
    journeys = client.get(f"/api/v1/profiles/{pid}/journeys", headers=headers)
    assert journeys.status_code == 200, journeys.text
    body = journeys.json()
    rows = body["journeys"] if isinstance(body, dict) else body
    return profile.json(), rows


def test_events_become_one_profile_a_stage_and_a_decision(
    settings: Settings, clock: FakeClock, admin_headers: dict[str, str]
) -> None:
    store = DuckDBStore(settings.data_dir)
    try:
        services = build_services(
            settings, event_log=store.events, stores=store.features(), clock=clock
        )
        with TestClient(create_app(services), raise_server_exceptions=False) as client:
            r = client.post("/v1/batch", json={"batch": story(clock)}, headers=AUTH)
            assert r.status_code == 200 and r.json()["accepted"] == 5, r.text
            profile, journeys = _state(client, admin_headers)
            types = {i["type"] for i in profile["identities"]}
            assert {"user_id", "anonymous_id", "email"} <= types
            assert {i["value"] for i in profile["identities"] if i["type"] == "anonymous_id"} == {
                "anon-web-1",
                "anon-app-1",
            }
            genius = [
                j for j in journeys if j["model"] == "hourglass" and j["product"] == "genius-kit"
            ]
            assert genius and genius[0]["stage"] == "evaluation"
            decision = client.post(
                "/api/v1/decide",
                json={"profile": {"email": "ray@example.com"}, "channel": "web", "count": 3},
                headers=admin_headers,
            )
            assert decision.status_code == 200, decision.text
            chosen = decision.json()["experiences"]
            assert all(e["reason"] for e in chosen)
            before = (profile["id"], genius[0]["stage"], profile["event_count"])
        services.pipeline.flush()
    finally:
        store.close()

    # restart: state comes back from the store, and a rebuild from the log agrees with it
    store = DuckDBStore(settings.data_dir)
    try:
        services = build_services(
            settings, event_log=store.events, stores=store.features(), clock=clock
        )
        with TestClient(create_app(services), raise_server_exceptions=False) as client:
            profile, journeys = _state(client, admin_headers)
            genius = [
                j for j in journeys if j["model"] == "hourglass" and j["product"] == "genius-kit"
            ]
            assert (profile["id"], genius[0]["stage"], profile["event_count"]) == before
            summary = rebuild_derived(services)
            assert summary.events == 5 and summary.profiles == 1
            profile, journeys = _state(client, admin_headers)
            genius = [
                j for j in journeys if j["model"] == "hourglass" and j["product"] == "genius-kit"
            ]
            assert (profile["id"], genius[0]["stage"], profile["event_count"]) == before
    finally:
        store.close()
