"""The analytics API in process (the whole app, no sockets) over a store holding a simulated
log: shapes, auth, errors, and answers equal to the engine's."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec
import pytest
from starlette.testclient import TestClient

from tests.analytics._sim import World
from waymark.analytics.api import AnalyticsService, LogSources, content_items
from waymark.analytics.contracts import FunnelQuery, FunnelResult, HourglassReport
from waymark.api import analytics as analytics_routes
from waymark.api._openapi import openapi_document
from waymark.api.app import create_app
from waymark.core.clock import FakeClock
from waymark.core.eventframe import arrow_to_events
from waymark.decide.api import journey_stages, load_catalog_text, shipped_catalog
from waymark.runtime.services import Services
from waymark.sim.api import load_preset

pytestmark = pytest.mark.slow


@pytest.fixture
def app_client(services: Services, world: World, clock: FakeClock) -> Iterator[TestClient]:
    services.event_log.append(arrow_to_events(world.events.drop_columns(["profile_id"])))
    clock.set(world.end)
    catalog = load_catalog_text(shipped_catalog(), models=journey_stages())
    content = content_items(catalog.experiences)
    services.analytics = AnalyticsService(
        LogSources(services.event_log, [world.model], identity=load_preset().identity),
        clock=clock,
        content=lambda: content,
    )
    with TestClient(create_app(services), raise_server_exceptions=False) as c:
        yield c


def test_hourglass_answers_per_product(
    app_client: TestClient, admin_headers: dict[str, str], world: World
) -> None:
    r = app_client.get("/api/v1/analytics/hourglass", headers=admin_headers)
    assert r.status_code == 200, r.text
    report = msgspec.json.decode(r.content, type=HourglassReport)
    assert report.model == "hourglass"
    assert sum(p.customers for p in report.products) == len(world.states)
    stage = report.products[0].stages[0]
    assert {"stage", "customers", "conversion_to_next", "median_seconds", "p90_seconds"} <= set(
        r.json()["products"][0]["stages"][0]
    )
    assert stage.reached == report.products[0].customers
    one = app_client.get(
        "/api/v1/analytics/hourglass",
        params={"product": report.products[0].product, "model": "hourglass"},
        headers=admin_headers,
    ).json()
    assert [p["product"] for p in one["products"]] == [report.products[0].product]


def test_funnel_takes_the_documented_body(
    app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = {
        "steps": [
            {"event": "Product Viewed", "where": {"product_id": "genius-kit"}},
            {"stage": "purchase", "model": "hourglass"},
        ],
        "window_seconds": 30 * 86400,
        "mode": "ordered",
        "breakdown": "channel",
        "from": "2024-01-01T00:00:00Z",
    }
    r = app_client.post("/api/v1/analytics/funnel", json=body, headers=admin_headers)
    assert r.status_code == 200, r.text
    result = msgspec.json.decode(r.content, type=FunnelResult)
    assert set(r.json()["steps"][0]) >= {
        "name",
        "count",
        "conversion",
        "median_seconds_from_previous",
    }
    assert result.steps[0].count > 0
    assert sum(c[0] for c in result.breakdown.values()) >= result.steps[0].count
    assert result.steps[1].count <= result.steps[0].count


def test_other_reports_answer(app_client: TestClient, admin_headers: dict[str, str]) -> None:
    links = app_client.get("/api/v1/analytics/transitions", headers=admin_headers).json()
    assert {"from", "to", "count", "kind"} <= set(links["links"][0])
    cohorts = app_client.get(
        "/api/v1/analytics/cohorts",
        params={"period": "week", "by_entry_stage": "true"},
        headers=admin_headers,
    ).json()
    assert cohorts["cohorts"] and cohorts["stages"][0] == "engagement"
    todo = app_client.get("/api/v1/analytics/insights", headers=admin_headers).json()
    assert todo["insights"] and todo["insights"][0]["link"].startswith("/api/v1/analytics/")
    scores = [i["score"] for i in todo["insights"]]
    assert scores == sorted(scores, reverse=True)
    loop = app_client.get("/api/v1/analytics/advocacy", headers=admin_headers).json()
    assert loop["reviews"] > 0 and {p["product"] for p in loop["products"]}
    quality = app_client.get("/api/v1/analytics/quality", headers=admin_headers).json()
    assert 0 < quality["recognition_rate"] <= 1 and quality["events"] > 0
    effect = app_client.get(
        "/api/v1/analytics/effectiveness", params={"days": 7}, headers=admin_headers
    )
    assert effect.status_code == 200 and effect.json()["days"] == 7
    too_long = app_client.get(
        "/api/v1/analytics/effectiveness", params={"days": 9999}, headers=admin_headers
    )
    assert too_long.status_code == 400 and too_long.json()["field"] == "days"
    covered = app_client.get("/api/v1/analytics/coverage", headers=admin_headers)
    assert covered.status_code == 200, covered.text
    rows = covered.json()["rows"]
    assert rows and all(r["gap"] == (r["experiences"] == 0 and r["customers"] > 0) for r in rows)


def test_errors_name_the_field(app_client: TestClient, admin_headers: dict[str, str]) -> None:
    assert app_client.get("/api/v1/analytics/hourglass").status_code == 401
    bad = app_client.post(
        "/api/v1/analytics/funnel",
        json={"steps": [{"stage": "purchase"}]},
        headers=admin_headers,
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "analytics.invalid_query"
    assert bad.json()["field"] == "steps[0].model"
    unknown = app_client.post(
        "/api/v1/analytics/funnel",
        json={"steps": [{"event": "A"}], "mode": "sideways"},
        headers=admin_headers,
    )
    assert unknown.status_code == 400 and unknown.json()["field"] == "mode"
    model = app_client.get(
        "/api/v1/analytics/hourglass", params={"model": "nope"}, headers=admin_headers
    )
    assert model.status_code == 400 and model.json()["field"] == "model"
    period = app_client.get(
        "/api/v1/analytics/cohorts", params={"period": "year"}, headers=admin_headers
    )
    assert period.status_code == 400 and period.json()["field"] == "period"


def test_unavailable_without_a_source(services: Services, admin_headers: dict[str, str]) -> None:
    services.analytics = None
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        r = client.get("/api/v1/analytics/insights", headers=admin_headers)
    assert r.status_code == 503
    assert r.json()["code"] == "analytics.unavailable"
    # the analytics part of /openapi.json, built the way the app builds it
    spec = openapi_document(analytics_routes.routes(), title="t", version="0")
    assert set(spec["paths"]) >= {"/api/v1/analytics/funnel", "/api/v1/analytics/hourglass"}
    assert FunnelQuery.__name__ in spec["components"]["schemas"]
    assert spec["paths"]["/api/v1/analytics/insights"]["get"]["security"] == [{"adminToken": []}]
