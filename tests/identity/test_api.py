"""The profile endpoints in process (whole ASGI app and lifespan, no sockets), fed through
the real tracking API."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests._server import WRITE_KEY
from waymark.api import profiles
from waymark.api._openapi import openapi_document
from waymark.api.app import create_app
from waymark.core.clock import FakeClock
from waymark.core.settings import Settings
from waymark.runtime.services import FeatureStores, Services, build_services
from waymark.store.duckdb.identity import DuckDBProfileStore
from waymark.store.duckdb.store import DuckDBStore

AUTH = {"Authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}


@pytest.fixture
def profile_services(settings: Settings, store: DuckDBStore, clock: FakeClock) -> Services:
    """Composed as the server composes them, with identity persisted in the DuckDB store."""
    return build_services(
        settings,
        event_log=store.events,
        stores=FeatureStores(profiles=DuckDBProfileStore(store.db)),
        clock=clock,
    )


@pytest.fixture
def profiles_client(profile_services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(profile_services), raise_server_exceptions=False) as c:
        yield c


def _send(client: TestClient, services: Services, batch: list[dict[str, Any]]) -> None:
    r = client.post("/v1/batch", json={"batch": batch}, headers=AUTH)
    assert r.status_code == 200, r.text
    target = services.event_log.max_seq()
    deadline = time.monotonic() + 10
    assert services.identity is not None
    while services.identity.checkpoint() < target:  # processing follows the commit
        assert time.monotonic() < deadline
        time.sleep(0.01)


STORY: list[dict[str, Any]] = [
    {
        "type": "page",
        "anonymousId": "fb-1",
        "messageId": "1",
        "name": "Osmo on Facebook",
        "timestamp": "2026-02-01T10:00:00Z",
    },
    {
        "type": "identify",
        "anonymousId": "web-1",
        "userId": "ray",
        "messageId": "2",
        "traits": {"email": "Ray@Example.com", "name": "Ray"},
        "timestamp": "2026-02-01T10:05:00Z",
    },
    {
        "type": "track",
        "anonymousId": "fb-1",
        "event": "Video Watched",
        "messageId": "3",
        "context": {"traits": {"email": "ray@example.com"}},
        "timestamp": "2026-02-01T10:10:00Z",
    },
    {
        "type": "identify",
        "anonymousId": "web-1",
        "userId": "grandma",
        "messageId": "4",
        "timestamp": "2026-02-01T10:15:00Z",
    },
]


def test_lookup_by_any_identifier_and_by_id(
    profiles_client: TestClient, profile_services: Services, admin_headers: dict[str, str]
) -> None:
    _send(profiles_client, profile_services, STORY)
    by_email = profiles_client.get(
        "/api/v1/profiles/lookup", params={"email": " RAY@example.com"}, headers=admin_headers
    )
    assert by_email.status_code == 200, by_email.text
    ray = by_email.json()
    by_anon = profiles_client.get(
        "/api/v1/profiles/lookup", params={"anonymous_id": "fb-1"}, headers=admin_headers
    ).json()
    assert by_anon == ray
    assert {i["type"] for i in ray["identities"]} == {"user_id", "email", "anonymous_id"}
    assert ray["traits"]["name"]["value"] == "Ray"
    assert ray["event_count"] == 3
    assert ray["merged_ids"]
    absorbed = profiles_client.get(
        f"/api/v1/profiles/{ray['merged_ids'][0]}", headers=admin_headers
    ).json()
    assert absorbed["id"] == ray["id"]


def test_timeline_merges_and_search(
    profiles_client: TestClient, profile_services: Services, admin_headers: dict[str, str]
) -> None:
    _send(profiles_client, profile_services, STORY)
    ray = profiles_client.get(
        "/api/v1/profiles/lookup", params={"user_id": "ray"}, headers=admin_headers
    ).json()
    page = profiles_client.get(
        f"/api/v1/profiles/{ray['id']}/events", params={"limit": 2}, headers=admin_headers
    ).json()
    assert [e["message_id"] for e in page["events"]] == ["3", "2"]
    assert all("channel" in e for e in page["events"])
    older = profiles_client.get(
        f"/api/v1/profiles/{ray['id']}/events",
        params={"before": page["next_before"]},
        headers=admin_headers,
    ).json()
    assert [e["message_id"] for e in older["events"]] == ["1"]
    assert older["next_before"] is None
    merges = profiles_client.get(
        f"/api/v1/profiles/{ray['id']}/merges", headers=admin_headers
    ).json()["merges"]
    assert [(m["kind"], m["message_id"]) for m in merges] == [("merge", "3"), ("refused", "4")]
    assert merges[1]["reason"] == "limit:user_id"
    found = profiles_client.get(
        "/api/v1/profiles", params={"query": "ray@"}, headers=admin_headers
    ).json()["profiles"]
    assert [(p["id"], p["matched"]) for p in found] == [(ray["id"], "email:ray@example.com")]
    by_trait = profiles_client.get(
        "/api/v1/profiles", params={"query": "RA"}, headers=admin_headers
    ).json()["profiles"]
    assert [p["id"] for p in by_trait] == [ray["id"]]


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/api/v1/profiles/lookup", {"email": "nobody@x.com"}, 404, "identity.profile_not_found"),
        ("/api/v1/profiles/lookup", {}, 400, "validation.invalid"),
        ("/api/v1/profiles/lookup", {"email": "a@b.c", "user_id": "u"}, 400, "validation.invalid"),
        ("/api/v1/profiles/lookup", {"fax": "1"}, 400, "identity.unknown_type"),
        ("/api/v1/profiles/p_nope", {}, 404, "identity.profile_not_found"),
        ("/api/v1/profiles/p_nope/events", {}, 404, "identity.profile_not_found"),
        ("/api/v1/profiles/p_nope/merges", {}, 404, "identity.profile_not_found"),
        ("/api/v1/profiles", {}, 400, "validation.invalid"),
        ("/api/v1/profiles", {"query": "x", "limit": "0"}, 400, "validation.invalid"),
    ],
)
def test_errors_are_json_with_a_code(
    profiles_client: TestClient,
    admin_headers: dict[str, str],
    path: str,
    params: dict[str, str],
    status: int,
    code: str,
) -> None:
    r = profiles_client.get(path, params=params, headers=admin_headers)
    assert (r.status_code, r.json()["code"]) == (status, code)
    assert r.json()["message"]


def test_admin_token_is_required(profiles_client: TestClient) -> None:
    r = profiles_client.get("/api/v1/profiles/lookup", params={"user_id": "u"})
    assert r.status_code == 401
    assert r.json()["code"].startswith("auth.")


def test_without_identity_the_endpoints_say_so(
    services: Services, admin_headers: dict[str, str]
) -> None:
    services.identity = None
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        r = client.get("/api/v1/profiles/p_x", headers=admin_headers)
    assert (r.status_code, r.json()["code"]) == (503, "identity.unavailable")


def test_openapi_describes_the_profile_endpoints() -> None:
    # built from this module's routes: the whole /openapi.json is tested by the API's owner
    doc = openapi_document(profiles.routes(), title="Waymark", version="test")
    for path in (
        "/api/v1/profiles/lookup",
        "/api/v1/profiles/{id}",
        "/api/v1/profiles/{id}/events",
        "/api/v1/profiles/{id}/merges",
        "/api/v1/profiles",
    ):
        assert doc["paths"][path]["get"]["security"] == [{"adminToken": []}]
    assert {"Profile", "Timeline", "MergeLog", "ProfileList"} <= set(doc["components"]["schemas"])
