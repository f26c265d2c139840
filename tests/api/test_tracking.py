"""The tracking API in process (the whole ASGI app with its lifespan, no sockets)."""

from __future__ import annotations

import base64
import gzip
from datetime import timedelta

import msgspec
import pytest
from starlette.testclient import TestClient

from tests._server import WRITE_KEY
from waymark.core.clock import FakeClock
from waymark.runtime.services import Services

AUTH = {"Authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}


def track(i: int = 0, **kw: object) -> dict[str, object]:
    return {"userId": f"u{i}", "event": "Product Viewed", "messageId": f"m{i}", **kw}


def stored(services: Services) -> list[str]:
    return [e.message_id for e in services.event_log.events_after(0)]


@pytest.mark.parametrize("path", ["/v1/track", "/v1/t"])
def test_track_is_stored_before_200(client: TestClient, services: Services, path: str) -> None:
    r = client.post(path, json=track(), headers=AUTH)
    assert r.status_code == 200
    assert r.json() == {"success": True, "accepted": 1, "duplicates": 0, "rejected": []}
    assert stored(services) == ["m0"]


@pytest.mark.parametrize(
    ("path", "body", "type_"),
    [
        ("/v1/identify", {"userId": "u", "traits": {"email": "a@b.c"}}, "identify"),
        ("/v1/i", {"userId": "u", "traits": {}}, "identify"),
        ("/v1/page", {"anonymousId": "a", "name": "Home"}, "page"),
        ("/v1/p", {"anonymousId": "a"}, "page"),
        ("/v1/screen", {"anonymousId": "a", "name": "Kit"}, "screen"),
        ("/v1/s", {"anonymousId": "a"}, "screen"),
        ("/v1/group", {"userId": "u", "groupId": "school-1"}, "group"),
        ("/v1/g", {"userId": "u", "groupId": "school-1"}, "group"),
        ("/v1/alias", {"userId": "u", "previousId": "a"}, "alias"),
        ("/v1/a", {"userId": "u", "previousId": "a"}, "alias"),
    ],
)
def test_every_call_type_and_alias_path(
    client: TestClient, services: Services, path: str, body: dict[str, object], type_: str
) -> None:
    assert client.post(path, json=body, headers=AUTH).status_code == 200
    (event,) = services.event_log.events_after(0)
    assert event.type == type_


def test_write_key_in_body_and_wrong_or_missing_keys(
    client: TestClient, services: Services
) -> None:
    assert client.post("/v1/track", json={**track(1), "writeKey": WRITE_KEY}).status_code == 200
    missing = client.post("/v1/track", json=track(2))
    assert missing.status_code == 401 and missing.json()["code"] == "auth.missing_write_key"
    wrong = client.post("/v1/track", json={**track(3), "writeKey": "nope"})
    assert wrong.status_code == 401 and set(wrong.json()) >= {"code", "message"}
    bad_header = {"Authorization": "Basic " + base64.b64encode(b"nope:").decode()}
    assert client.post("/v1/track", json=track(4), headers=bad_header).status_code == 401
    assert stored(services) == ["m1"]


def test_lenient_content_type_and_gzip(client: TestClient, services: Services) -> None:
    raw = msgspec.json.encode(track(1))
    assert (
        client.post(
            "/v1/track", content=raw, headers={**AUTH, "Content-Type": "text/plain"}
        ).status_code
        == 200
    )
    assert (
        client.post("/v1/track", content=msgspec.json.encode(track(2)), headers=AUTH).status_code
        == 200
    )
    zipped = gzip.compress(msgspec.json.encode({"batch": [{**track(3), "type": "track"}]}))
    r = client.post("/v1/batch", content=zipped, headers={**AUTH, "Content-Encoding": "gzip"})
    assert r.status_code == 200, r.text
    assert stored(services) == ["m1", "m2", "m3"]


def test_retried_batch_creates_no_duplicates(client: TestClient, services: Services) -> None:
    batch = {"batch": [{**track(i), "type": "track"} for i in range(5)]}
    assert client.post("/v1/batch", json=batch, headers=AUTH).json()["accepted"] == 5
    again = client.post("/v1/batch", json=batch, headers=AUTH).json()
    assert (again["accepted"], again["duplicates"]) == (0, 5)
    assert len(stored(services)) == 5


def test_dedupe_window_is_configurable_by_time(
    client: TestClient, services: Services, clock: FakeClock
) -> None:
    assert client.post("/v1/track", json=track(), headers=AUTH).json()["accepted"] == 1
    clock.advance(timedelta(days=6))
    assert client.post("/v1/track", json=track(), headers=AUTH).json()["duplicates"] == 1
    clock.advance(timedelta(days=2))
    assert client.post("/v1/track", json=track(), headers=AUTH).json()["accepted"] == 1


def test_partial_batch_keeps_valid_and_reports_rejected(
    client: TestClient, services: Services
) -> None:
    batch = {
        "batch": [
            {**track(0), "type": "track"},
            {"type": "track", "event": "X"},
            {**track(2), "type": "track"},
        ]
    }
    body = client.post("/v1/batch", json=batch, headers=AUTH).json()
    assert body["accepted"] == 2
    assert [(r["index"], r["code"]) for r in body["rejected"]] == [(1, "ingest.invalid_message")]
    assert stored(services) == ["m0", "m2"]


def test_all_invalid_batch_is_400_with_code_and_message(client: TestClient) -> None:
    r = client.post("/v1/batch", json={"batch": [{"type": "track"}]}, headers=AUTH)
    assert r.status_code == 400
    assert r.json()["code"] == "ingest.invalid_message"
    assert "message 0" in r.json()["message"]


def test_size_limits(client: TestClient, services: Services) -> None:
    big = track(1, properties={"blob": "x" * 33_000})
    r = client.post("/v1/track", json=big, headers=AUTH)
    assert r.status_code == 413 and r.json()["code"] == "ingest.message_too_large"
    huge = {
        "batch": [
            {**track(i), "type": "track", "properties": {"b": "x" * 30_000}} for i in range(20)
        ]
    }
    r = client.post("/v1/batch", json=huge, headers=AUTH)
    assert r.status_code == 413 and r.json()["code"] in (
        "ingest.batch_too_large",
        "validation.too_large",
    )
    assert stored(services) == []


def test_errors_are_json_never_tracebacks(client: TestClient) -> None:
    for r in (
        client.post("/v1/track", content=b"{not json", headers=AUTH),
        client.post("/v1/batch", content=b"[]", headers=AUTH),
        client.get("/v1/track"),
        client.get("/nowhere"),
        client.post(
            "/v1/track", content=b"\x1f\x8bbroken", headers={**AUTH, "Content-Encoding": "gzip"}
        ),
    ):
        assert 400 <= r.status_code < 500, r.text
        assert r.headers["content-type"].startswith("application/json")
        assert set(r.json()) >= {"code", "message"}
        assert "Traceback" not in r.text


def test_admin_endpoints_need_the_token(client: TestClient, admin_headers: dict[str, str]) -> None:
    assert client.get("/api/v1/events").status_code == 401
    assert (
        client.get("/api/v1/events", headers={"Authorization": "Bearer wrong"}).status_code == 401
    )
    assert client.get("/api/v1/events", headers=admin_headers).status_code == 200
    r = client.get("/api/v1/events?limit=abc", headers=admin_headers)
    assert r.status_code == 400 and r.json()["field"] == "limit"


def test_openapi_describes_every_route(client: TestClient) -> None:
    """Every API route (not the dashboard's HTML and static assets) is in /openapi.json."""
    doc = client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    described = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    api_prefixes = ("/v1/", "/api/", "/healthz", "/openapi.json")
    app_routes = {
        (method, route.path)
        for route in client.app.routes  # type: ignore[attr-defined]
        if route.path.startswith(api_prefixes)
        for method in (getattr(route, "methods", None) or ())
        if method != "HEAD"
    }
    assert len(app_routes) > 30
    assert app_routes <= described
    assert "TrackResponse" in doc["components"]["schemas"]


def test_healthz_reports_rate(client: TestClient) -> None:
    client.post("/v1/track", json=track(), headers=AUTH)
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["accepted_total"] == 1
