"""Two people and the calls the privacy tests make about them."""

from __future__ import annotations

import base64
import time
from typing import Any

from starlette.testclient import TestClient

from tests._server import WRITE_KEY

AUTH = {"Authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}
ZED = {"user": "zed-7f3a91", "anon": "anon-zed-5c21", "email": "zed.erasable@example.org"}
ANN = {"user": "ann-12ab", "anon": "anon-ann-99", "email": "ann.keeper@example.org"}


def batch(who: dict[str, str], tag: str) -> dict[str, Any]:
    return {
        "batch": [
            {"type": "page", "anonymousId": who["anon"], "name": "Home", "messageId": f"{tag}1"},
            {
                "type": "identify",
                "userId": who["user"],
                "anonymousId": who["anon"],
                "traits": {"email": who["email"], "name": f"name-of-{who['user']}"},
                "messageId": f"{tag}2",
            },
            {
                "type": "track",
                "userId": who["user"],
                "event": "Order Completed",
                "properties": {"product_id": "kit-1", "revenue": 30},
                "messageId": f"{tag}3",
            },
        ]
    }


def profile_id_of(client: TestClient, headers: dict[str, str], email: str) -> str:
    r = client.get("/api/v1/profiles/lookup", params={"email": email}, headers=headers)
    assert r.status_code == 200, r.text
    pid: str = r.json()["id"]
    return pid


def until(check: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)
