"""The preference centre through the whole ASGI app: a signed link opens the person's page;
forged, malformed, expired and revoked links get a 4xx page with none of their data; forms need
the page's key; consent changed on the page is an event decide honours at once."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient

from tests.privacy._people import ANN, AUTH, ZED, batch, profile_id_of, until
from waymark.core.clock import FakeClock
from waymark.decide.contracts import DecideRequest
from waymark.runtime.services import Services

_KEY = re.compile(r'name="form_key" value="([^"]+)"')


def _link(client: TestClient, admin: dict[str, str], pid: str) -> str:
    r = client.post(f"/api/v1/profiles/{pid}/preference-link", headers=admin)
    assert r.status_code == 200, r.text
    return str(urlsplit(r.json()["url"]).path)


def _seeded(client: TestClient, admin: dict[str, str]) -> tuple[str, str]:
    assert client.post("/v1/batch", json=batch(ZED, "z"), headers=AUTH).status_code == 200
    assert client.post("/v1/batch", json=batch(ANN, "a"), headers=AUTH).status_code == 200
    pid = profile_id_of(client, admin, ZED["email"])
    return pid, _link(client, admin, pid)


def _no_data(text: str, pid: str) -> None:
    for needle in (ZED["email"], ZED["user"], ZED["anon"], pid, "name-of-"):
        assert needle not in text


def _form_key(client: TestClient, path: str) -> str:
    found = _KEY.search(client.get(path).text)
    assert found is not None
    return found.group(1)


def test_the_page_shows_what_is_held(client: TestClient, admin_headers: dict[str, str]) -> None:
    _, path = _seeded(client, admin_headers)
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["cache-control"] == "no-store"
    assert "script-src" not in r.headers["content-security-policy"]  # default-src 'none'
    page = r.text
    for held in (ZED["email"], ZED["user"], ZED["anon"], f"name-of-{ZED['user']}"):
        assert held in page
    assert "kit-1" in page  # the stage per product
    assert ANN["email"] not in page and ANN["user"] not in page
    assert page.count('type="checkbox" name="consent"') == 5
    assert "<script" not in page
    # the stylesheet it links is served by the package
    assert client.get("/static/css/preferences.css").status_code == 200


@pytest.mark.parametrize(
    ("mangle", "status"),
    [
        (lambda t: t[:-3] + ("AAA" if not t.endswith("AAA") else "BAA"), 403),  # forged tag
        (lambda t: t.split(".")[0], 400),  # tag cut off
        (lambda t: "not-a-token", 400),
        (lambda t: "%%%." + t.split(".")[1], 400),
        # body changed at its start: the last characters carry unused bits, so a change there
        # can make the text non-canonical (a 400) rather than a forgery (a 403)
        (lambda t: ("ab" if t.startswith("xy") else "xy") + t[2:], 403),
    ],
)
def test_bad_links_get_a_page_with_no_data(
    client: TestClient, admin_headers: dict[str, str], mangle: object, status: int
) -> None:
    pid, path = _seeded(client, admin_headers)
    token = path.removeprefix("/preferences/")
    assert callable(mangle)
    bad = f"/preferences/{mangle(token)}"
    for r in (client.get(bad), client.post(f"{bad}/export", data={"form_key": "x"})):
        assert r.status_code == status, r.text
        assert r.headers["content-type"].startswith("text/html")
        _no_data(r.text, pid)


def test_expired_and_revoked_links(
    client: TestClient, admin_headers: dict[str, str], clock: FakeClock
) -> None:
    pid, path = _seeded(client, admin_headers)
    other = _link(client, admin_headers, pid)
    # one link revoked by its id: the other still works
    token_id = client.post(f"/api/v1/profiles/{pid}/preference-link", headers=admin_headers)
    third = urlsplit(token_id.json()["url"]).path
    r = client.post(
        f"/api/v1/privacy/preference-links/{token_id.json()['token_id']}/revoke",
        headers=admin_headers,
    )
    assert r.status_code == 200
    assert client.get(third).status_code == 403
    _no_data(client.get(third).text, pid)
    assert client.get(other).status_code == 200
    # every link of the person issued until now
    clock.advance(timedelta(seconds=5))
    r = client.post(f"/api/v1/profiles/{pid}/preference-links/revoke", headers=admin_headers)
    assert r.status_code == 200
    for old in (path, other):
        assert client.get(old).status_code == 403
    clock.advance(timedelta(seconds=5))
    fresh = _link(client, admin_headers, pid)
    assert client.get(fresh).status_code == 200
    # expiry (90 days by default)
    clock.advance(timedelta(days=91))
    r = client.get(fresh)
    assert r.status_code == 410
    assert "expired" in r.text
    _no_data(r.text, pid)


def test_forms_need_the_page_key_and_post(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    pid, path = _seeded(client, admin_headers)
    before = services.event_log.count()
    assert client.post(f"{path}/unsubscribe").status_code == 403
    assert client.post(f"{path}/unsubscribe", data={"form_key": "guess"}).status_code == 403
    # the key of another link of the same person does not fit this one
    other_key = _form_key(client, _link(client, admin_headers, pid))
    assert client.post(f"{path}/unsubscribe", data={"form_key": other_key}).status_code == 403
    assert client.get(f"{path}/unsubscribe").status_code == 405
    assert services.event_log.count() == before


def test_consent_on_the_page_is_an_event_decide_honours_at_once(
    client: TestClient, services: Services, admin_headers: dict[str, str], clock: FakeClock
) -> None:
    pid, path = _seeded(client, admin_headers)
    key = _form_key(client, path)
    assert services.decide is not None
    # a purchase of a catalog product: the shipping update by email is eligible at that stage
    bought = {
        "type": "track",
        "userId": ZED["user"],
        "event": "Order Completed",
        "properties": {"product_id": "genius-kit"},
        "messageId": "z-genius",
    }
    assert client.post("/v1/batch", json={"batch": [bought]}, headers=AUTH).status_code == 200

    def email_refused_for_consent() -> bool:
        decision = services.decide.decide_for(  # type: ignore[union-attr]
            {"id": pid}, DecideRequest(channel="email", count=3), now=clock.now()
        )
        return any(x.policy == "consent.channel" for x in decision.excluded)

    granted = {"form_key": key, "consent": ["email", "personalisation"]}
    r = client.post(f"{path}/consent", data=granted, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"{path}?done=consent"
    assert not email_refused_for_consent()
    r = client.post(f"{path}/consent", data={"form_key": key, "consent": ["personalisation"]})
    assert r.status_code == 200 and "Your choices are saved" in r.text
    # no wait: the very next decision excludes email
    assert email_refused_for_consent()
    recorded = [e for e in services.event_log.events_after(0) if e.event == "Consent Updated"]
    assert [e.properties["source"] for e in recorded] == ["preference-centre"] * 2
    assert recorded[-1].properties["consent"] == {"email": False}
    view = client.get(f"/api/v1/profiles/{pid}/consent", headers=admin_headers).json()
    assert view["consent"]["email"] is False
    assert view["changes"][0]["source"] == "preference-centre"
    # unsubscribe from all
    r = client.post(f"{path}/unsubscribe", data={"form_key": key})
    assert "unsubscribed from everything" in r.text
    assert services.identity is not None
    assert set(services.identity.profile(pid).consent.values()) == {False}


def test_export_and_erasure_from_the_page(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    pid, path = _seeded(client, admin_headers)
    key = _form_key(client, path)
    r = client.post(f"{path}/export", data={"form_key": key})
    assert r.status_code == 200
    assert "attachment" in r.headers["content-disposition"]
    assert [e["message_id"] for e in r.json()["events"]] == ["z1", "z2", "z3"]
    # deletion needs the box ticked
    r = client.post(f"{path}/erase", data={"form_key": key}, follow_redirects=False)
    assert r.status_code == 303
    r = client.post(f"{path}/erase", data={"form_key": key, "confirm": "yes"})
    assert r.status_code == 202
    rid = re.search(r"<strong>(pr_[0-9a-f]+)</strong>", r.text)
    assert rid is not None
    _no_data(r.text, pid)
    status = until(
        lambda: (
            s
            if (
                s := client.get(
                    f"/api/v1/privacy/requests/{rid.group(1)}", headers=admin_headers
                ).json()
            )["status"]
            != "pending"
            else None
        )
    )
    assert status["status"] == "completed"
    gone = client.get(path)
    assert gone.status_code == 410
    _no_data(gone.text, pid)
