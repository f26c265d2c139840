"""An event dated decades ahead (a client's clock, a typo in an import) must not break the
person's scores: its decayed value ``2 ** x`` overflowed a float, and every later group with
that person failed, as did their scores, export and next best action (found by review)."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.privacy._people import AUTH
from waymark.scoring._state import KeyScore, Top, anchored, power2

HALF_LIFE_US = 14 * 86_400_000_000.0


def test_a_contribution_from_the_far_future_reads_as_a_finite_value() -> None:
    ts = 3_155_760_000_000_000  # 2070
    score = KeyScore()
    score.add(Top(anchored(5.0, ts, HALF_LIFE_US), 1, ts, "r", "Demo Requested", "s", 5.0), 3)
    now = 1_772_366_400_000_000  # 2026
    value = score.value(now, HALF_LIFE_US)
    assert value > 0 and value == power2(1e9)  # capped, not an OverflowError
    assert value != float("inf")


def test_the_person_and_everyone_after_them_are_still_processed(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    future = {
        "type": "track",
        "userId": "mallory-2070",
        "event": "Demo Requested",
        "timestamp": "2070-01-01T00:00:00Z",
        "messageId": "far-1",
    }
    assert client.post("/v1/batch", json={"batch": [future]}, headers=AUTH).status_code == 200
    later = [
        {"type": "track", "userId": "mallory-2070", "event": "Page Viewed", "messageId": "far-2"},
        {"type": "track", "userId": "carol-now", "event": "Signed Up", "messageId": "far-3"},
    ]
    assert client.post("/v1/batch", json={"batch": later}, headers=AUTH).status_code == 200
    for user in ("mallory-2070", "carol-now"):
        looked = client.get(
            "/api/v1/profiles/lookup", params={"user_id": user}, headers=admin_headers
        )
        assert looked.status_code == 200, looked.text
        pid = looked.json()["id"]
        journeys = client.get(f"/api/v1/profiles/{pid}/journeys", headers=admin_headers).json()
        assert journeys["journeys"], user  # placed: the group was processed
        for part in ("scores", "export", "next-best-action"):
            r = client.get(f"/api/v1/profiles/{pid}/{part}", headers=admin_headers)
            assert r.status_code == 200, (user, part, r.text)
