"""Accounts over HTTP: the whole app in process over a DuckDB store, events in through the
tracking API (Segment group, identify and track calls)."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

from starlette.testclient import TestClient

from tests._server import WRITE_KEY
from waymark.accounts.errors import AccountNotFound
from waymark.api._openapi import openapi_document
from waymark.api.accounts import routes
from waymark.core.clock import FakeClock

AUTH = {"Authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}


def _school(clock: FakeClock) -> list[dict[str, Any]]:
    t = clock.now() - timedelta(days=10)

    def at(day: int) -> str:
        return (t + timedelta(days=day)).isoformat()

    kit = {"product_id": "genius-kit"}
    out: list[dict[str, Any]] = []
    for user, title in (("tia", "Science Teacher"), ("pat", "Principal")):
        out.append(
            {"type": "identify", "userId": user, "timestamp": at(0), "traits": {"title": title}}
        )
        out.append(
            {
                "type": "group",
                "userId": user,
                "groupId": "hill-school",
                "timestamp": at(0),
                "traits": {"name": "Hill School", "kind": "school", "size": 40},
            }
        )
    out += [
        {
            "type": "track",
            "userId": "tia",
            "event": "Product Viewed",
            "timestamp": at(1),
            "properties": kit,
        },
        {
            "type": "track",
            "userId": "tia",
            "event": "Quote Requested",
            "timestamp": at(2),
            "properties": kit,
        },
        {
            "type": "track",
            "userId": "pat",
            "event": "Guide Downloaded",
            "timestamp": at(3),
            "properties": kit,
        },
    ]
    return out


def _send(client: TestClient, clock: FakeClock) -> None:
    sent = client.post("/v1/batch", json={"batch": _school(clock)}, headers=AUTH)
    assert sent.status_code == 200, sent.text


def test_one_account_with_members_stages_history_and_buying_group(
    client: TestClient, clock: FakeClock, admin_headers: dict[str, str]
) -> None:
    _send(client, clock)
    got = client.get("/api/v1/accounts/hill-school", headers=admin_headers)
    assert got.status_code == 200, got.text
    body = got.json()
    assert (body["name"], body["kind"], body["traits"]["size"]) == ("Hill School", "school", 40)
    assert sorted(m["role"] for m in body["members"]) == ["decision_maker", "user"]
    (hourglass,) = [j for j in body["journeys"] if j["model"] == "hourglass"]
    assert hourglass["product"] == "genius-kit"
    assert hourglass["stage"] == "justification"
    assert [t["to_stage"] for t in hourglass["history"]] == ["evaluation", "justification"]
    (group,) = [g for g in body["buying_groups"] if g["model"] == "hourglass"]
    assert group["missing"] == ["finance"]  # no one from finance at justification


def test_the_list_filters_by_stage_and_product(
    client: TestClient, clock: FakeClock, admin_headers: dict[str, str]
) -> None:
    _send(client, clock)
    q = "/api/v1/accounts?stage=justification&product=genius-kit&model=hourglass"
    got = client.get(q, headers=admin_headers)
    assert got.status_code == 200, got.text
    assert [a["id"] for a in got.json()["accounts"]] == ["hill-school"]
    assert got.json()["accounts"][0]["members"] == 2
    none = client.get("/api/v1/accounts?stage=purchase", headers=admin_headers).json()
    assert none["total"] == 0
    assert client.get("/api/v1/accounts", headers=admin_headers).json()["total"] == 1


def test_the_accounts_of_a_person(
    client: TestClient, clock: FakeClock, admin_headers: dict[str, str]
) -> None:
    _send(client, clock)
    found = client.get("/api/v1/profiles/lookup?user_id=tia", headers=admin_headers)
    assert found.status_code == 200, found.text
    profile_id = found.json()["id"]
    got = client.get(f"/api/v1/profiles/{profile_id}/accounts", headers=admin_headers)
    assert got.status_code == 200, got.text
    (account,) = got.json()["accounts"]
    assert account["id"] == "hill-school"
    (me,) = [m for m in account["members"] if m["profile_id"] == profile_id]
    assert me["role"] == "user"  # a science teacher
    assert client.get("/api/v1/profiles/nobody/accounts", headers=admin_headers).status_code == 404


def test_errors_are_json_with_a_code(
    client: TestClient, clock: FakeClock, admin_headers: dict[str, str]
) -> None:
    _send(client, clock)
    missing = client.get("/api/v1/accounts/nope", headers=admin_headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == AccountNotFound.code
    assert "nope" in missing.json()["message"]
    bad_stage = client.get("/api/v1/accounts?stage=flying", headers=admin_headers)
    assert (bad_stage.status_code, bad_stage.json()["code"]) == (400, "accounts.stage_invalid")
    bad_model = client.get("/api/v1/accounts?model=nope", headers=admin_headers)
    assert (bad_model.status_code, bad_model.json()["code"]) == (404, "accounts.model_not_found")
    assert client.get("/api/v1/accounts").status_code == 401


def test_openapi_describes_the_endpoints() -> None:
    document = openapi_document(routes(), title="Waymark", version="test")
    assert set(document["paths"]) == {
        "/api/v1/accounts",
        "/api/v1/accounts/{id}",
        "/api/v1/profiles/{id}/accounts",
        "/api/v1/analytics/accounts",
    }
    assert "AccountView" in str(document["components"])


def test_the_account_hourglass_and_the_funnel_by_account(
    client: TestClient, clock: FakeClock, admin_headers: dict[str, str]
) -> None:
    _send(client, clock)
    extra = {
        "type": "track",
        "userId": "solo",
        "event": "Product Viewed",
        "properties": {"product_id": "genius-kit"},
    }
    assert client.post("/v1/batch", json={"batch": [extra]}, headers=AUTH).status_code == 200
    got = client.get("/api/v1/analytics/accounts?model=hourglass", headers=admin_headers)
    assert got.status_code == 200, got.text
    body = got.json()
    (kit,) = body["products"]
    counts = {s["stage"]: (s["accounts"], s["reached"], s["members"]) for s in kit["stages"]}
    assert kit["accounts"] == 1
    assert counts["justification"] == (1, 1, 1)  # tia is there, so the school is
    assert counts["education"] == (0, 1, 1)  # pat is there; the school passed it
    assert counts["purchase"] == (0, 0, 0)
    (hill,) = body["by_account"]
    assert hill == {
        "account_id": "hill-school",
        "product": "genius-kit",
        "stage": "justification",
        "members": {"education": 1, "justification": 1},
    }
    funnel = {
        "steps": [{"event": "Product Viewed"}, {"event": "Quote Requested"}],
        "breakdown": "account",
        "window_seconds": 30 * 86400,
    }
    result = client.post("/api/v1/analytics/funnel", json=funnel, headers=admin_headers)
    assert result.status_code == 200, result.text
    # tia (hill-school) viewed and asked for a quote; solo (no account) only viewed
    assert result.json()["breakdown"] == {"hill-school": [1, 1], "(none)": [1, 0]}
