"""The customer 360 shows the accounts a customer belongs to: the account's stage per product,
the customer's role, the buying group's missing roles, and the account itself on demand. In
Debian's chromium against a real server fed through the tracking API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tests.web._browser import DashboardServer, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _school() -> list[dict[str, Any]]:
    start = datetime.now(UTC) - timedelta(days=5)

    def at(day: int) -> str:
        return (start + timedelta(days=day)).isoformat()

    kit = {"product_id": "genius-kit"}
    out: list[dict[str, Any]] = []
    for user, title in (("tia-web", "Science Teacher"), ("pat-web", "Principal")):
        out += [
            {
                "type": "identify",
                "userId": user,
                "timestamp": at(0),
                "traits": {"title": title, "email": f"{user}@hill.example"},
            },
            {
                "type": "group",
                "userId": user,
                "groupId": "hill-web",
                "timestamp": at(0),
                "traits": {"name": "Hill Web School", "kind": "school"},
            },
        ]
    out += [
        {
            "type": "track",
            "userId": "tia-web",
            "event": "Product Viewed",
            "timestamp": at(1),
            "properties": kit,
        },
        {
            "type": "track",
            "userId": "tia-web",
            "event": "Quote Requested",
            "timestamp": at(2),
            "properties": kit,
        },
        {
            "type": "track",
            "userId": "pat-web",
            "event": "Guide Downloaded",
            "timestamp": at(3),
            "properties": kit,
        },
    ]
    return out


def test_the_customer_view_shows_the_account_its_stage_role_and_missing_roles(
    page: Page, dashboard_server: DashboardServer
) -> None:
    dashboard_server.send(_school())
    with dashboard_server.admin() as client:
        found = client.get("/api/v1/profiles/lookup", params={"user_id": "tia-web"})
    assert found.status_code == 200, found.text
    profile_id = found.json()["id"]
    sign_in(page, dashboard_server, f"#/customers/{profile_id}")
    card = page.locator("#accounts article.account[data-account='hill-web']")
    card.wait_for()
    assert "Hill Web School" in card.locator("h3").inner_text()
    assert card.locator(".account-role").inner_text() == "User"
    journeys = card.locator("table.account-journeys")
    row = journeys.locator("tbody tr").filter(has_text="Hourglass")
    assert "Justification" in row.inner_text()
    # at justification the school needs finance and a decision maker: the principal is one
    assert row.locator(".missing-roles").inner_text() == "Finance"
    members = card.locator("table.account-members")
    assert not members.is_visible()
    card.get_by_text("Show the account").click()
    members.wait_for(state="visible")
    text = members.inner_text()
    assert profile_id in text
    assert "Decision maker" in text
    assert card.locator("table.buying-group").first.is_visible()
