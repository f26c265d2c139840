"""Every email carries the person's preference-centre link (body, text and HTML) and an RFC 8058
one-click unsubscribe; the link from the email as the SMTP server received it opens their page."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.privacy._mail_world import KIM, mail_world


def test_the_email_carries_a_working_preference_link(tmp_path: Path) -> None:
    with mail_world(tmp_path) as world:
        mail = world.sign_up()
        assert mail["To"] == KIM["email"]
        # RFC 8058: an HTTPS-or-HTTP URI to POST to, and the one-click marker
        unsubscribe = mail["List-Unsubscribe"]
        assert re.fullmatch(rf"<{re.escape(world.app.url)}/t/unsubscribe/[^>]+>", unsubscribe)
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text = mail.get_body(preferencelist=("plain",))
        html = mail.get_body(preferencelist=("html",))
        assert text is not None and html is not None
        found = re.search(
            rf"{re.escape(world.app.url)}/preferences/[A-Za-z0-9_.-]+", text.get_content()
        )
        assert found is not None, text.get_content()
        link = found.group(0)
        # the HTML has the same link, not rewritten through the click tracker
        assert f'href="{link}"' in html.get_content()

        page = httpx.get(link, timeout=30)
        assert page.status_code == 200
        assert KIM["email"] in page.text and KIM["name"] in page.text
        assert "Welcome, Kim" in page.text  # the message is listed among those sent

        # the one-click unsubscribe works on POST, as mail clients send it
        target = unsubscribe.strip("<>")
        r = httpx.post(target, data={"List-Unsubscribe": "One-Click"}, timeout=30)
        assert r.status_code == 200
        pid = world.profile_id()
        consent = world.api.get(f"/api/v1/profiles/{pid}/consent").json()
        assert consent["consent"]["email"] is False
