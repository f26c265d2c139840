"""A signal naming a person (a partner referral with their userId) is part of their data:
exported with them, erased with them, and refused at ingest once they are erased."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.privacy._people import ANN, AUTH, ZED, batch, profile_id_of, until
from waymark.core.signals import OUTSIDE_SIGNAL
from waymark.runtime.services import Services


def referral(user: str, message_id: str) -> dict[str, Any]:
    return {
        "type": "track",
        "event": OUTSIDE_SIGNAL,
        "userId": user,
        "messageId": message_id,
        "properties": {
            "kind": "referral",
            "stage": "research",
            "product": "kit-1",
            "brand": "ours",
            "source": "partner-x",
        },
    }


def test_signals_naming_a_person_go_with_them(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    client.post("/v1/batch", json=batch(ZED, "z"), headers=AUTH)
    client.post("/v1/batch", json=batch(ANN, "a"), headers=AUTH)
    signals = {"batch": [referral(ZED["user"], "ref-zed"), referral(ANN["user"], "ref-ann")]}
    assert client.post("/v1/batch", json=signals, headers=AUTH).json()["accepted"] == 2
    pid = profile_id_of(client, admin_headers, ZED["email"])
    exported = client.get(f"/api/v1/profiles/{pid}/export", headers=admin_headers)
    assert exported.status_code == 200, exported.text
    assert "ref-zed" in {e["message_id"] for e in exported.json()["events"]}

    r = client.delete(f"/api/v1/profiles/{pid}", headers=admin_headers)
    assert r.status_code == 202, r.text
    rid = r.json()["request_id"]

    def finished() -> dict[str, Any] | None:
        status = client.get(f"/api/v1/privacy/requests/{rid}", headers=admin_headers).json()
        return None if status["status"] == "pending" else status

    done = until(finished)
    assert done["status"] == "completed", done
    stored = {e.message_id for e in services.event_log.events_after(0)}
    assert "ref-zed" not in stored and "ref-ann" in stored
    # a later referral naming the erased person is refused like their own devices are
    again = {"batch": [referral(ZED["user"], "ref-zed-2")]}
    assert client.post("/v1/batch", json=again, headers=AUTH).status_code == 200
    assert "ref-zed-2" not in {e.message_id for e in services.event_log.events_after(0)}
