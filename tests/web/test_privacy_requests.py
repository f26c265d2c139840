"""The dashboard's privacy request log in real Chromium: every request with its status and due
time, overdue ones marked in words and highlighted, and the overdue filter."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from tests._server import ADMIN_TOKEN
from tests.privacy._mail_world import mail_world
from tests.web._browser import CONTRAST_CHECK
from waymark.core.clock import FakeClock


def test_requests_with_overdue_highlighted(tmp_path: Path, page: Page) -> None:
    with mail_world(tmp_path) as world:
        world.sign_up()
        pid = world.profile_id()
        privacy, clock = world.services.privacy, world.services.clock
        assert privacy is not None and isinstance(clock, FakeClock)
        late = privacy.open_request("export", pid)  # nobody works on it: it stays pending
        clock.advance(timedelta(days=31))
        r = world.api.delete(f"/api/v1/profiles/{pid}")  # done at once: not overdue
        assert r.status_code == 202
        done = r.json()["request_id"]

        page.goto(f"{world.app.url}/#/privacy")
        page.get_by_label("Admin token").fill(ADMIN_TOKEN)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", level=1, name="Privacy requests").wait_for()
        rows = page.locator("table.privacy-requests tbody tr")
        expect(rows).to_have_count(2)
        overdue = page.locator(f'tr[data-id="{late.id}"]')
        expect(overdue).to_have_class("overdue")
        expect(overdue).to_contain_text("Overdue")
        expect(page.locator(f'tr[data-id="{done}"]')).not_to_contain_text("Overdue")
        assert page.evaluate(CONTRAST_CHECK) == [], "text below WCAG AA contrast"

        page.get_by_role("navigation", name="Filter requests").get_by_role(
            "link", name="Overdue"
        ).click()
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_attribute("data-id", late.id)
        expect(page.get_by_role("status").filter(has_text="overdue")).to_contain_text("1 overdue")
