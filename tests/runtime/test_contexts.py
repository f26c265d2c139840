"""Decision contexts read for a walk over every profile (one journey read for everyone) equal
the ones read profile by profile, on a store and in memory."""

from __future__ import annotations

import base64
import dataclasses
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from tests._server import WRITE_KEY
from waymark.api.app import create_app
from waymark.core.clock import FakeClock
from waymark.core.settings import Settings
from waymark.runtime.contexts import ProfileContexts
from waymark.runtime.services import Services, build_services
from waymark.store.duckdb.store import DuckDBStore

WRITE = {"Authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}
STEPS = ("Product Viewed", "Order Completed", "Order Delivered", "Product Reviewed")


def feed(client: TestClient, clock: FakeClock) -> None:
    """Customers at different depths of the story, two products, and a visitor who was
    anonymous first (so a merge moves journeys onto the identified profile)."""
    for i in range(12):
        user = f"u{i}"
        body = {"userId": user, "traits": {"email": f"{user}@example.com"}}
        assert client.post("/v1/identify", json=body, headers=WRITE).status_code == 200
        product = "genius-kit" if i % 3 else "starter-kit"
        for event in STEPS[: i % (len(STEPS) + 1)]:
            clock.advance(timedelta(hours=5))
            track = {"userId": user, "event": event, "properties": {"product_id": product}}
            assert client.post("/v1/track", json=track, headers=WRITE).status_code == 200
    seen = {"anonymousId": "anon-1", "event": "Product Viewed",
            "properties": {"product_id": "genius-kit"}}  # fmt: skip
    assert client.post("/v1/track", json=seen, headers=WRITE).status_code == 200
    signed_in = {"anonymousId": "anon-1", "userId": "u0", "traits": {}}
    assert client.post("/v1/identify", json=signed_in, headers=WRITE).status_code == 200


@pytest.mark.parametrize("backend", ["store", "memory"])
def test_contexts_without_events_equal_one_by_one(
    settings: Settings, store: DuckDBStore, clock: FakeClock, backend: str
) -> None:
    stores = store.features()
    if backend == "memory":
        stores = dataclasses.replace(stores, journeys=None, flows=None)
    services: Services = build_services(
        settings, event_log=store.events, stores=stores, clock=clock
    )
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        feed(client, clock)
        contexts = ProfileContexts(services.identity, services.journeys, services.event_log)
        later = clock.now() + timedelta(days=40)  # statuses (stalled, lapsed) as of a time
        walked = list(contexts.contexts(later, events=False))
        one_by_one = [contexts.context(c.profile_id, later, events=False) for c in walked]
    assert len(walked) == len(list(services.identity.profile_ids())) >= 12
    assert walked == one_by_one
    assert sum(len(c.positions) for c in walked) >= 10  # the walk did see journeys
