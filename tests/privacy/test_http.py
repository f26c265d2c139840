"""Consent, export and erasure through the whole ASGI app over a real DuckDB data directory."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from starlette.testclient import TestClient

from tests.privacy._people import ANN, AUTH, ZED, batch, profile_id_of, until
from waymark.core.clock import FakeClock
from waymark.runtime.rebuild import rebuild_derived
from waymark.runtime.services import Services


def test_consent_put_get_reaches_identity(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    assert client.post("/v1/batch", json=batch(ZED, "z"), headers=AUTH).status_code == 200
    pid = profile_id_of(client, admin_headers, ZED["email"])
    url = f"/api/v1/profiles/{pid}/consent"
    r = client.put(url, json={"consent": {"email": True, "ads": False}}, headers=admin_headers)
    assert r.status_code == 200, r.text
    assert r.json()["consent"]["email"] is True
    # the event is in the log, and identity (what decide and orchestrate read) has it
    assert any(e.event == "Consent Updated" for e in services.event_log.events_after(0))
    assert services.identity is not None
    profile = until(lambda: services.identity and services.identity.profile(pid).consent)
    assert profile == {"ads": False, "email": True}
    r = client.put(url, json={"consent": {"email": False}, "source": "crm"}, headers=admin_headers)
    view = until(lambda: client.get(url, headers=admin_headers).json())
    assert view["consent"]["email"] is False
    newest = view["changes"][0]
    assert (newest["purpose"], newest["granted"], newest["source"]) == ("email", False, "crm")
    assert {(c["purpose"], c["source"]) for c in view["changes"]} >= {("ads", "api")}


def test_segment_consent_shape_folds_into_the_profile(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    """A ``Consent Updated`` call with only ``properties.consent`` (Segment's shape)."""
    assert client.post("/v1/batch", json=batch(ZED, "z"), headers=AUTH).status_code == 200
    pid = profile_id_of(client, admin_headers, ZED["email"])
    bare = {
        "type": "track",
        "userId": ZED["user"],
        "event": "Consent Updated",
        "properties": {"consent": {"email": False, "ads": True}},
        "messageId": "z-bare-consent",
    }
    assert client.post("/v1/batch", json={"batch": [bare]}, headers=AUTH).status_code == 200
    assert services.identity is not None
    consent = until(lambda: services.identity and services.identity.profile(pid).consent)
    assert consent == {"ads": True, "email": False}
    # the same answer after a rebuild from the log
    rebuild_derived(services)
    assert services.identity.profile(pid).consent == {"ads": True, "email": False}
    view = client.get(f"/api/v1/profiles/{pid}/consent", headers=admin_headers).json()
    assert {(c["purpose"], c["granted"]) for c in view["changes"]} == {
        ("email", False),
        ("ads", True),
    }


def test_bad_consent_names_the_field(client: TestClient, admin_headers: dict[str, str]) -> None:
    client.post("/v1/batch", json=batch(ZED, "z"), headers=AUTH)
    pid = profile_id_of(client, admin_headers, ZED["email"])
    url = f"/api/v1/profiles/{pid}/consent"
    r = client.put(url, json={"consent": {"fax": True}}, headers=admin_headers)
    assert r.status_code == 400
    assert r.json()["code"] == "privacy.bad_consent"
    assert "fax" in r.json()["message"]
    assert client.get(url).status_code == 401
    assert client.get("/api/v1/profiles/p_nobody/consent", headers=admin_headers).status_code == 404


def test_export_holds_events_traits_identities_and_stages(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    client.post("/v1/batch", json=batch(ZED, "z"), headers=AUTH)
    client.post("/v1/batch", json=batch(ANN, "a"), headers=AUTH)
    pid = profile_id_of(client, admin_headers, ZED["email"])
    doc = client.get(f"/api/v1/profiles/{pid}/export", headers=admin_headers).json()
    assert doc["profile_id"] == pid
    assert [e["message_id"] for e in doc["events"]] == ["z1", "z2", "z3"]
    values = {i["value"] for i in doc["profile"]["identities"]}
    assert {ZED["user"], ZED["anon"], ZED["email"]} <= values
    assert doc["profile"]["traits"]["name"]["value"] == f"name-of-{ZED['user']}"
    assert doc["journeys"], "an order places the person on the journey models"
    assert ANN["email"] not in str(doc) and ANN["user"] not in str(doc)


def test_export_holds_account_memberships_and_lead_scores(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    """Accounts and scoring hold data about the person too: their memberships (account, role,
    joined) and their lead scores with the contributions behind them."""
    group = {
        "type": "group",
        "userId": ZED["user"],
        "groupId": "acct-hill",
        "traits": {"name": "Hill School", "role": "bursar"},
        "timestamp": "2026-03-02T09:00:00Z",
        "messageId": "z-group",
    }
    demo = {
        "type": "track",
        "userId": ZED["user"],
        "event": "Demo Requested",
        "properties": {"product_id": "kit-1"},
        "messageId": "z-demo",
    }
    body = batch(ZED, "z")
    body["batch"] += [group, demo]
    assert client.post("/v1/batch", json=body, headers=AUTH).status_code == 200
    client.post("/v1/batch", json=batch(ANN, "a"), headers=AUTH)
    pid = profile_id_of(client, admin_headers, ZED["email"])
    assert services.accounts is not None
    until(lambda: services.accounts and services.accounts.accounts_of(pid))
    doc = client.get(f"/api/v1/profiles/{pid}/export", headers=admin_headers).json()
    (membership,) = doc["accounts"]
    assert membership["account_id"] == "acct-hill"
    assert membership["name"] == "Hill School"
    assert membership["role"] == "finance", "the stated role, mapped through the patterns"
    assert membership["joined_at"].startswith("2026-03-02T09:00:00")
    scores = {(s["model"], s["product"]): s for s in doc["scores"]}
    kit = scores[("hourglass", "kit-1")]
    assert kit["engagement"] > 0
    rules = {c["rule"] for c in kit["contributions"]}
    assert "demo or quote" in rules, kit["contributions"]
    assert ANN["user"] not in str(doc["accounts"]) + str(doc["scores"])


def _files_mentioning(data_dir: Path, needles: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in data_dir.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            hits = [n for n in needles if n.encode() in raw]
            if hits:
                found[str(path)] = hits
    return found


def _stored_members(services: Services) -> set[str]:
    """The profiles the last audience count stored, in any audience."""
    assert services.decide is not None
    last = services.decide._audiences.history.last_count()
    return set().union(*last.members.values()) if last is not None else set()


def test_erasure_leaves_nothing_in_the_data_directory(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    client.post("/v1/batch", json=batch(ZED, "z"), headers=AUTH)
    client.post("/v1/batch", json=batch(ANN, "a"), headers=AUTH)
    pid = profile_id_of(client, admin_headers, ZED["email"])
    client.put(
        f"/api/v1/profiles/{pid}/consent", json={"consent": {"email": True}}, headers=admin_headers
    )
    assert services.identity is not None
    services.identity.flush()
    data_dir = services.settings.data_dir
    needles = [ZED["user"], ZED["anon"], ZED["email"], pid]
    # an audience count keeps its members (profile ids) in the data directory: both owners
    counted = client.get("/api/v1/activity/audiences", headers=admin_headers).json()
    assert {a["name"]: a["size"] for a in counted["audiences"]}["kit-owners"] == 2
    assert _stored_members(services) == {pid, profile_id_of(client, admin_headers, ANN["email"])}
    services.event_log.count()  # the person is there before
    r = client.delete(f"/api/v1/profiles/{pid}", headers=admin_headers)
    assert r.status_code == 202, r.text
    rid = r.json()["request_id"]
    status = until(
        lambda: (
            s
            if (s := client.get(f"/api/v1/privacy/requests/{rid}", headers=admin_headers).json())[
                "status"
            ]
            != "pending"
            else None
        )
    )
    assert status["status"] == "completed", status
    assert status["counts"]["events"] == 4
    assert status["counts"]["decide_audience_members"] == 1
    # nobody of that name, nowhere: not in the API, not in any file of the data directory
    assert client.get(f"/api/v1/profiles/{pid}", headers=admin_headers).status_code == 404
    assert _files_mentioning(data_dir, needles) == {}
    # the other person is untouched
    assert _stored_members(services) == {profile_id_of(client, admin_headers, ANN["email"])}
    assert _files_mentioning(data_dir, [ANN["email"]])
    # the tombstone (request log) has no personal data, and the admin view lists it
    listed = client.get("/api/v1/privacy/requests", headers=admin_headers).json()["requests"]
    assert [q["id"] for q in listed] == [rid]
    # their devices cannot re-create them...
    again = {"batch": [dict(batch(ZED, "y")["batch"][0])]}
    assert client.post("/v1/batch", json=again, headers=AUTH).status_code == 200
    lookup = client.get(
        "/api/v1/profiles/lookup", params={"anonymous_id": ZED["anon"]}, headers=admin_headers
    )
    assert lookup.status_code == 404
    # ...unless they consent again
    back = {
        "type": "track",
        "anonymousId": ZED["anon"],
        "event": "Consent Updated",
        "properties": {"consent": {"email": True}},
        "context": {"traits": {"consent_email": True}},
        "messageId": "y-consent",
    }
    assert client.post("/v1/batch", json={"batch": [back]}, headers=AUTH).status_code == 200
    assert until(
        lambda: (
            client.get(
                "/api/v1/profiles/lookup",
                params={"anonymous_id": ZED["anon"]},
                headers=admin_headers,
            ).status_code
            == 200
        )
    )


def test_request_log_flags_overdue_and_filters(
    client: TestClient, services: Services, admin_headers: dict[str, str], clock: FakeClock
) -> None:
    client.post("/v1/batch", json=batch(ZED, "z"), headers=AUTH)
    client.post("/v1/batch", json=batch(ANN, "a"), headers=AUTH)
    privacy = services.privacy
    assert privacy is not None
    zed = privacy.open_request("export", profile_id_of(client, admin_headers, ZED["email"]))
    clock.advance(timedelta(days=10))
    ann = privacy.open_request("export", profile_id_of(client, admin_headers, ANN["email"]))
    url = "/api/v1/privacy/requests"

    def listed(**query: str) -> tuple[list[tuple[str, bool]], int]:
        r = client.get(url, params=query, headers=admin_headers)
        assert r.status_code == 200, r.text
        body = r.json()
        return [(q["id"], q["overdue"]) for q in body["requests"]], body["overdue"]

    assert listed() == ([(ann.id, False), (zed.id, False)], 0)
    clock.advance(timedelta(days=21))  # zed's is 31 days old, past the 30-day deadline
    assert listed() == ([(ann.id, False), (zed.id, True)], 1)
    assert listed(overdue="true") == ([(zed.id, True)], 1)
    assert listed(overdue="false") == ([(ann.id, False)], 0)
    assert listed(status="pending", overdue="true") == ([(zed.id, True)], 1)
    assert listed(status="completed") == ([], 0)
    one = client.get(f"{url}/{zed.id}", headers=admin_headers).json()
    assert one["overdue"] is True and one["status"] == "pending"
    r = client.get(url, params={"status": "lost"}, headers=admin_headers)
    assert r.status_code == 400 and r.json()["field"] == "status"
    assert client.get(url, params={"overdue": "maybe"}, headers=admin_headers).status_code == 400


def test_reports_built_before_an_erasure_forget_the_person(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    # the analytics snapshot is keyed on the log's high-water mark, which an erasure leaves
    # alone: without being told, reports would go on counting the person from memory
    client.post("/v1/batch", json=batch(ZED, "z"), headers=AUTH)
    client.post("/v1/batch", json=batch(ANN, "a"), headers=AUTH)
    pid = profile_id_of(client, admin_headers, ZED["email"])
    assert client.get("/api/v1/analytics/quality", headers=admin_headers).status_code == 200
    assert services.analytics is not None
    users = services.analytics.sources.snapshot().events.column("user_id").to_pylist()
    assert ZED["user"] in users
    r = client.delete(f"/api/v1/profiles/{pid}", headers=admin_headers)
    rid = r.json()["request_id"]
    done = until(
        lambda: (
            s
            if (s := client.get(f"/api/v1/privacy/requests/{rid}", headers=admin_headers).json())[
                "status"
            ]
            != "pending"
            else None
        )
    )
    assert done["status"] == "completed", done
    users = services.analytics.sources.snapshot().events.column("user_id").to_pylist()
    assert ZED["user"] not in users
    assert ANN["user"] in users
