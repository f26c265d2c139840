"""The decide endpoints in process (the whole ASGI app, no sockets), over DuckDB."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import numpy as np
import pytest
from starlette.testclient import TestClient

from tests._server import ADMIN_TOKEN
from tests.decide._helpers import MODELS, context
from waymark.api import decide as decide_routes
from waymark.api._openapi import openapi_document
from waymark.api.app import create_app
from waymark.core.clock import FakeClock
from waymark.decide.api import Decider, StaticContexts, shipped_catalog
from waymark.decide.contracts import JourneyPosition, RecentEvent
from waymark.runtime.services import Services
from waymark.store.duckdb.decide import DuckDBCatalogStore, DuckDBDecisionLog
from waymark.store.duckdb.store import DuckDBStore

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def api(services: Services, store: DuckDBStore, clock: FakeClock) -> Iterator[TestClient]:
    now = clock.now()
    ray = context(
        "ray",
        now=now,
        identifiers={"email": ["ray@example.com"]},
        traits={"first_name": "Ray"},
        consent={"email": True, "ads": True},
        positions=(JourneyPosition(model="hourglass", product="genius-kit", stage="evaluation"),),
        recent_events=(
            RecentEvent(
                name="Product Viewed",
                at=now - timedelta(days=1),
                properties={"product_id": "genius-kit"},
            ),
            RecentEvent(
                name="Video Playback Started",
                at=now - timedelta(hours=3),
                properties={"video_id": "genius-kit-demo"},
            ),
        ),
    )
    log = DuckDBDecisionLog(store.db)
    services.decide = Decider.open(
        shipped_catalog(),
        models=MODELS,
        log=log,
        catalogs=DuckDBCatalogStore(store.db),
        rng=np.random.default_rng(7),
        contexts=StaticContexts([ray]),
    )
    with TestClient(create_app(services), raise_server_exceptions=False) as c:
        yield c
    log.close()


def test_decide_by_identifier_then_read_the_log(api: TestClient) -> None:
    body = {
        "profile": {"email": "ray@example.com"},
        "channel": "web",
        "placement": "home",
        "count": 3,
    }
    r = api.post("/api/v1/decide", json=body, headers=AUTH)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["holdout"] is False
    assert 1 <= len(answer["experiences"]) <= 3
    first = answer["experiences"][0]
    assert set(first) == {"id", "kind", "score", "content", "reason"}
    scores = [e["score"] for e in answer["experiences"]]
    assert scores == sorted(scores, reverse=True)
    logged = api.get(f"/api/v1/decisions/{answer['decision_id']}", headers=AUTH).json()
    assert [e["id"] for e in logged["experiences"]] == [e["id"] for e in answer["experiences"]]
    assert {"experience_id": "onboarding-help", "policy": "stage.not_eligible"} in logged[
        "excluded"
    ]
    assert logged["candidates"]


def test_errors_are_json_with_codes(api: TestClient) -> None:
    r = api.post(
        "/api/v1/decide",
        json={"profile": {"email": "nobody@x.com"}, "channel": "web"},
        headers=AUTH,
    )
    assert r.status_code == 404 and r.json()["code"] == "decide.unknown_profile"
    r = api.post(
        "/api/v1/decide",
        json={"profile": {"id": "ray"}, "channel": "web", "count": 99},
        headers=AUTH,
    )
    assert r.status_code == 400 and r.json()["field"] == "count"
    r = api.post("/api/v1/decide", json={"profile": {"id": "ray"}}, headers=AUTH)
    assert r.status_code == 400 and r.json()["code"] == "validation.invalid"
    r = api.post(
        "/api/v1/decide", json={"profile": {"id": "ray"}, "channel": "pigeon"}, headers=AUTH
    )
    assert r.status_code == 400 and r.json()["field"] == "channel"
    assert api.get("/api/v1/decisions/nope", headers=AUTH).status_code == 404
    assert (
        api.post("/api/v1/decide", json={"profile": {"id": "ray"}, "channel": "web"}).status_code
        == 401
    )


def test_next_best_action_for_the_call_centre(api: TestClient) -> None:
    r = api.get("/api/v1/profiles/ray/next-best-action", headers=AUTH)
    assert r.status_code == 200, r.text
    actions = r.json()["actions"]
    assert actions[0]["id"] == "agent-genius-vs-starter"
    assert "watched the demo" in actions[0]["reason"]
    assert actions[0]["content"]["say"].startswith("Ray looked at the Genius Kit")


def test_audience_export(api: TestClient) -> None:
    r = api.get("/api/v1/audiences/genius-kit-considering", headers=AUTH)
    assert r.status_code == 200, r.text
    members = r.json()["members"]
    assert len(members) == 1 and len(members[0]["email_sha256"][0]) == 64
    assert api.get("/api/v1/audiences/nope", headers=AUTH).status_code == 404
    assert api.get("/api/v1/audiences/kit-owners?limit=0", headers=AUTH).status_code == 400


def test_admin_catalog_round_trip(api: TestClient) -> None:
    doc = api.get("/api/v1/decide/catalog", headers=AUTH).json()
    assert any(e["id"] == "demo-video" for e in doc["experiences"])
    new = {"kind": "content", "purpose": "consideration", "channels": ["web"], "value": 50}
    r = api.put("/api/v1/decide/catalog/experiences/big-banner", json=new, headers=AUTH)
    assert r.status_code == 200, r.text
    assert (
        api.get("/api/v1/decide/catalog/experiences/big-banner", headers=AUTH).json()["value"] == 50
    )
    bad = new | {"channels": ["carrier-pigeon"]}
    r = api.put("/api/v1/decide/catalog/experiences/bad", json=bad, headers=AUTH)
    assert r.status_code == 400
    assert r.json()["code"] == "decide.catalog_invalid"
    assert "channels[0]" in r.json()["message"]
    assert (
        api.delete("/api/v1/decide/catalog/experiences/big-banner", headers=AUTH).status_code == 204
    )
    assert api.get("/api/v1/decide/catalog/experiences/big-banner", headers=AUTH).status_code == 404


def test_catalog_as_yaml_with_line_errors(api: TestClient) -> None:
    yaml_headers = AUTH | {"Content-Type": "application/yaml"}
    good = shipped_catalog()
    assert api.put("/api/v1/decide/catalog", content=good, headers=yaml_headers).status_code == 200
    broken = good.replace("purpose: advocacy", "purpose: bragging", 1)
    r = api.put("/api/v1/decide/catalog", content=broken, headers=yaml_headers)
    assert r.status_code == 400
    line = good[: good.index("purpose: advocacy")].count("\n") + 1
    assert r.json()["message"].startswith(f"body:{line}: ")


def test_openapi_describes_the_decide_endpoints() -> None:
    # the decide routes' own declarations (the whole document also depends on other areas)
    doc = openapi_document(decide_routes.routes(), title="t", version="0")
    paths = doc["paths"]
    for path, method in [
        ("/api/v1/decide", "post"),
        ("/api/v1/decisions/{id}", "get"),
        ("/api/v1/audiences/{name}", "get"),
        ("/api/v1/profiles/{id}/next-best-action", "get"),
        ("/api/v1/decide/catalog", "put"),
        ("/api/v1/decide/catalog/experiences/{id}", "delete"),
    ]:
        assert paths[path][method]["security"] == [{"adminToken": []}]
