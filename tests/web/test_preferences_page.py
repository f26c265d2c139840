"""The preference centre in real Chromium: the link from a real email (aiosmtpd) opens the
page with no script and readable contrast; the person changes consent with the keyboard and
submits; the change is a Consent Updated event from the preference centre."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.privacy._mail_world import KIM, mail_world
from tests.web._browser import CONTRAST_CHECK


def test_change_consent_from_the_email_link(tmp_path: Path, page: Page) -> None:
    with mail_world(tmp_path) as world:
        mail = world.sign_up()
        text = mail.get_body(preferencelist=("plain",))
        assert text is not None
        found = re.search(r"http://127\.0\.0\.1:\d+/preferences/\S+", text.get_content())
        assert found is not None
        page.goto(found.group(0))

        expect(page.get_by_role("heading", level=1)).to_have_text("Your data and choices")
        expect(page.get_by_role("cell", name=KIM["email"]).first).to_be_visible()
        assert page.evaluate("document.scripts.length") == 0
        assert page.evaluate(CONTRAST_CHECK) == [], "text below WCAG AA contrast"
        email_box = page.get_by_label("Emails from us")
        expect(email_box).to_be_checked()

        # keyboard only: focus the box, untick it with Space, submit with Enter on the button
        email_box.focus()
        page.keyboard.press("Space")
        expect(email_box).not_to_be_checked()
        page.get_by_role("button", name="Save my choices").focus()
        page.keyboard.press("Enter")

        expect(page.get_by_role("status")).to_contain_text("Your choices are saved")
        expect(page.get_by_label("Emails from us")).not_to_be_checked()
        pid = world.profile_id()
        consent = world.api.get(f"/api/v1/profiles/{pid}/consent").json()
        assert consent["consent"]["email"] is False
        newest = consent["changes"][0]
        assert (newest["purpose"], newest["granted"], newest["source"]) == (
            "email",
            False,
            "preference-centre",
        )
