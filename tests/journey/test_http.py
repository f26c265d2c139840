"""The journeys API end to end in process: events through the tracking API, identity, stage
placement, then GET /api/v1/profiles/{id}/journeys and /api/v1/journeys/{model}."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from tests._server import WRITE_KEY
from waymark.api._openapi import openapi_document
from waymark.api.app import create_app
from waymark.api.journeys import routes as journey_routes
from waymark.core.clock import FakeClock
from waymark.core.settings import Settings
from waymark.runtime.services import FeatureStores, Services, build_services
from waymark.store.duckdb.journey import DuckDBJourneyStore
from waymark.store.duckdb.store import DuckDBStore

AUTH = {"Authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}


@pytest.fixture
def wired(settings: Settings, store: DuckDBStore, clock: FakeClock) -> Services:
    """The runtime's own wiring (identity, then journeys), with the models chosen by a
    journeys.yaml in the data directory and the journey state in DuckDB."""
    (settings.data_dir / "journeys.yaml").write_text("models: [hourglass, buy-own-advocate]\n")
    return build_services(
        settings,
        event_log=store.events,
        stores=FeatureStores(journeys=DuckDBJourneyStore(store.db)),
        clock=clock,
    )


@pytest.fixture
def app(wired: Services) -> Iterator[TestClient]:
    with TestClient(create_app(wired), raise_server_exceptions=False) as c:
        yield c


def _track(event: str, day: int, clock: FakeClock, **fields: object) -> dict[str, object]:
    when = clock.now() - timedelta(days=30 - day)
    return {"type": "track", "event": event, "timestamp": when.isoformat(), **fields}


def test_a_customers_journeys_and_the_stage_counts(
    app: TestClient, clock: FakeClock, admin_headers: dict[str, str]
) -> None:
    batch = [
        _track("Ad Clicked", 0, clock, anonymousId="a1"),
        _track("Product Viewed", 1, clock, anonymousId="a1", properties={"product_id": "genius"}),
        _track(
            "Order Completed",
            2,
            clock,
            anonymousId="a1",
            userId="u1",
            properties={"products": [{"product_id": "genius"}]},
        ),
        _track("Product Viewed", 3, clock, userId="u2", properties={"product_id": "starter"}),
    ]
    r = app.post("/v1/batch", json={"batch": batch}, headers=AUTH)
    assert r.status_code == 200, r.text

    profile = app.get("/api/v1/profiles/lookup", params={"user_id": "u1"}, headers=admin_headers)
    assert profile.status_code == 200, profile.text
    pid = profile.json()["id"]
    got = app.get(f"/api/v1/profiles/{pid}/journeys", headers=admin_headers)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["profile_id"] == pid
    placed = {(j["model"], j["product"]): (j["stage"], j["status"]) for j in body["journeys"]}
    assert placed == {
        ("hourglass", "*"): ("engagement", "active"),
        ("hourglass", "genius"): ("purchase", "stalled"),  # 28 days in purchase > 7
        ("buy-own-advocate", "*"): ("buy", "active"),
        ("buy-own-advocate", "genius"): ("buy", "active"),
    }
    genius = next(
        j for j in body["journeys"] if (j["model"], j["product"]) == ("hourglass", "genius")
    )
    assert [(t["from_stage"], t["to_stage"]) for t in genius["history"]] == [
        (None, "evaluation"),
        ("evaluation", "purchase"),
    ]
    only = app.get(
        f"/api/v1/profiles/{pid}/journeys",
        params={"model": "buy-own-advocate"},
        headers=admin_headers,
    ).json()
    assert {j["model"] for j in only["journeys"]} == {"buy-own-advocate"}

    counts = app.get(
        "/api/v1/journeys/hourglass", params={"product": "starter"}, headers=admin_headers
    )
    assert counts.status_code == 200, counts.text
    nonzero = {(c["stage"], c["status"]): c["count"] for c in counts.json()["counts"] if c["count"]}
    assert nonzero == {("evaluation", "stalled"): 1}
    assert len(counts.json()["counts"]) == 10 * 3

    models = app.get("/api/v1/journeys", headers=admin_headers).json()["models"]
    assert [m["name"] for m in models] == ["hourglass", "buy-own-advocate"]
    assert models[0]["stages"][1]["question"] == "I have a problem?"


def test_errors_are_json_with_codes(app: TestClient, admin_headers: dict[str, str]) -> None:
    r = app.get("/api/v1/journeys/nope", headers=admin_headers)
    assert (r.status_code, r.json()["code"]) == (404, "journey.model_not_found")
    r = app.get("/api/v1/journeys/hourglass", params={"as_of": "yesterday"}, headers=admin_headers)
    assert (r.status_code, r.json()["code"]) == (400, "validation.invalid")
    assert app.get("/api/v1/journeys/hourglass").status_code == 401


def test_not_set_up_is_a_clear_503(services: Services, admin_headers: dict[str, str]) -> None:
    services.journeys = None
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        r = client.get("/api/v1/journeys", headers=admin_headers)
    assert (r.status_code, r.json()["code"]) == (503, "journey.unavailable")


def test_openapi_describes_the_endpoints() -> None:
    # our routes alone: the document must build and describe both endpoints and their answers
    document = openapi_document(journey_routes(), title="Waymark", version="test")
    paths = document["paths"]
    assert set(paths) == {
        "/api/v1/profiles/{id}/journeys",
        "/api/v1/journeys",
        "/api/v1/journeys/{model}",
    }
    schemas = document["components"]["schemas"]
    assert {"ProfileJourneys", "StageCounts", "JourneyView", "ModelList"} <= set(schemas)
