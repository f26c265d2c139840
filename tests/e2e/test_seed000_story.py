"""Seed 000, the happy customer journey, replayed end to end through the public interfaces:
the real Segment SDK for events, the HTTP API, a real SMTP server and a signed-webhook
receiver on 127.0.0.1, and a fake clock moved across the weeks of the story.

Ray (a grandmother) meets Brightblocks' Genius Kit on Facebook, is recognised on the
website, in the app, on the phone and by email, buys it as a Christmas gift, is helped after
the purchase, asked for a review, sent a holiday referral voucher and, a month after
Christmas, asked for her story. Each numbered comment is the seed's step it asserts."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests._server import ADMIN_TOKEN, free_port
from tests.e2e._app import AppServer, segment_client, start_waymark
from tests.e2e._receivers import SmtpSink, WebhookSink
from waymark.core.clock import FakeClock
from waymark.runtime.services import Services

T = TypeVar("T")

START = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # a Friday, five weeks before Christmas
BROWSER = "ray-laptop-cookie"  # the anonymous id the website's tracking gives Ray's laptop
PHONE = "ray-phone-app"  # the app's anonymous id on Ray's phone
USER = "cust-1001"  # the account Ray signs in with (Facebook login)
EMAIL = "ray@example.com"
HOOK_SECRET = "e2e-webhook-secret"
TARGETS = ("ads", "call-centre", "shop", "shipping")


def eventually(probe: Callable[[], T | None], what: str, timeout: float = 15.0) -> T:
    """Poll until ``probe`` answers something truthy: flows and derived state run in other
    threads, so what a call causes shows up a moment later."""
    deadline = time.monotonic() + timeout
    while True:
        got = probe()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@dataclass
class World:
    clock: FakeClock
    services: Services
    app: AppServer
    smtp: SmtpSink
    hooks: WebhookSink
    api: httpx.Client
    sdk: Any

    # -- moving through the story -----------------------------------------------------------

    def settle(self) -> None:
        """Until every step due now has run, so moving the clock does not make it stale."""
        orchestrator = self.services.orchestrator
        assert orchestrator is not None
        eventually(
            lambda: (due := orchestrator.next_due()) is None or due > self.clock.now(),
            "the steps due now to run",
        )

    def at(self, when: datetime) -> None:
        """Move the fake clock forward and let the scheduler look at its timers again."""
        assert when >= self.clock.now()
        self.settle()
        self.clock.set(when)
        assert self.services.orchestrator is not None
        self.services.orchestrator.scheduler.notify(None)  # thread-safe poke

    def send(self, kind: str, **kwargs: Any) -> None:
        """One Segment SDK call; sync mode, so it has been accepted when this returns."""
        ok, _ = getattr(self.sdk, kind)(**kwargs)
        assert ok

    # -- reading through the HTTP API ---------------------------------------------------------

    def get(self, path: str, **params: Any) -> Any:
        r = self.api.get(path, params=params)
        assert r.status_code == 200, f"{path}: {r.status_code} {r.text}"
        return r.json()

    def profile(self, **identifier: str) -> dict[str, Any]:
        r = self.api.get("/api/v1/profiles/lookup", params=identifier)
        assert r.status_code == 200, f"lookup {identifier}: {r.text}"
        return dict(r.json())

    def decide(self, channel: str, placement: str | None = None, **who: str) -> dict[str, Any]:
        body: dict[str, Any] = {"profile": who or {"user_id": USER}, "channel": channel}
        body["count"] = 10  # every eligible experience, not only the top few
        if placement:
            body["placement"] = placement
        r = self.api.post("/api/v1/decide", json=body)
        assert r.status_code == 200, r.text
        answer = dict(r.json())
        assert answer["holdout"] is False  # the story needs Ray outside the 5% holdout
        return answer

    def stage(self, pid: str, product: str = "genius-kit") -> str | None:
        body = self.get(f"/api/v1/profiles/{pid}/journeys", model="hourglass")
        rows = body["journeys"] if isinstance(body, dict) else body
        for row in rows:
            if row["model"] == "hourglass" and row["product"] == product:
                return str(row["stage"])
        return None

    def wait_stage(self, pid: str, stage: str) -> None:
        eventually(lambda: self.stage(pid) == stage, f"hourglass stage {stage}")

    def messages(self, pid: str) -> list[dict[str, Any]]:
        return list(self.get(f"/api/v1/profiles/{pid}/messages")["messages"])

    def message(self, pid: str, flow: str, step: str) -> dict[str, Any]:
        """The flow step's message once it is no longer waiting."""

        def done() -> dict[str, Any] | None:
            for m in self.messages(pid):
                if (m["flow_id"], m["step_id"]) == (flow, step) and m["status"] not in (
                    "scheduled",
                    "sending",
                    "retrying",
                ):
                    return m
            return None

        return eventually(done, f"message {flow}/{step}")

    def mail(self, subject_part: str) -> EmailMessage:
        def find() -> EmailMessage | None:
            for m in self.smtp.mailbox.snapshot():
                if subject_part in str(m["Subject"]):
                    return m
            return None

        return eventually(find, f"an email whose subject has {subject_part!r}")

    def mail_of(self, message: dict[str, Any]) -> EmailMessage:
        """The email a flow message became (its Message-ID carries the idempotency key)."""

        def find() -> EmailMessage | None:
            for m in self.smtp.mailbox.snapshot():
                if str(m["Message-ID"]).startswith(f"<{message['message_id']}@"):
                    return m
            return None

        return eventually(find, f"the email of {message['flow_id']}/{message['step_id']}")

    def inbox(self, pid: str) -> list[dict[str, Any]]:
        token = self.get(f"/api/v1/profiles/{pid}/inbox-token")["token"]
        r = httpx.get(f"{self.app.url}/api/v1/profiles/{pid}/inbox", params={"token": token})
        assert r.status_code == 200, r.text
        body = r.json()
        return list(body["messages"] if isinstance(body, dict) else body)


def ids(decision: dict[str, Any]) -> list[str]:
    return [e["id"] for e in decision["experiences"]]


def text_of(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    clock = FakeClock(START)
    smtp = SmtpSink().start()
    hooks = WebhookSink(HOOK_SECRET, clock.now).start()
    port = free_port()  # known before the app exists: its links point back to it
    environ = {
        "WAYMARK_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "WAYMARK_SMTP_URL": smtp.url,
        "WAYMARK_EMAIL_FROM": "Brightblocks <hello@brightblocks.example>",
        "WAYMARK_TRACKING_SECRET": "e2e-tracking-secret",
    }
    for target in TARGETS:
        name = target.upper().replace("-", "_")
        environ[f"WAYMARK_WEBHOOK_{name}_URL"] = f"{hooks.url}/{target}"
        environ[f"WAYMARK_WEBHOOK_{name}_SECRET"] = HOOK_SECRET
    store, services, app = start_waymark(tmp_path / "data", clock, environ, port)
    errors: list[Exception] = []
    sdk = segment_client(app.url, errors)
    api = httpx.Client(
        base_url=app.url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30
    )
    try:
        yield World(clock, services, app, smtp, hooks, api, sdk)
        assert not errors, errors
        assert not hooks.rejected, f"webhooks with a bad signature: {hooks.rejected}"
    finally:
        api.close()
        app.stop()
        hooks.stop()
        smtp.stop()
        store.close()


@pytest.mark.slow
def test_seed_000_happy_journey_to_advocacy(world: World) -> None:
    w = world
    facebook = {"campaign": {"source": "facebook", "medium": "paid_social", "name": "kits"}}

    # 1-2. An anonymous visitor from a Facebook ad, who accepts cookies and likes the page.
    w.send(
        "identify",
        anonymous_id=BROWSER,
        traits={"consent": {"ads": True, "social": True, "email": True}},
        context=facebook,
    )
    before_interest = w.decide("ads", anonymous_id=BROWSER)
    assert "awareness-ad" in ids(before_interest)
    w.send("track", anonymous_id=BROWSER, event="Ad Clicked", context=facebook)
    w.send("track", anonymous_id=BROWSER, event="Social Post Engaged", context=facebook)
    anonymous = w.profile(anonymous_id=BROWSER)

    # 3-4. The website: signs in with Facebook, and looks at the Genius Kit.
    w.send("page", anonymous_id=BROWSER, name="Home", context=facebook)
    w.send(
        "identify",
        user_id=USER,
        anonymous_id=BROWSER,
        traits={"email": EMAIL, "first_name": "Ray", "name": "Ray Smith"},
    )
    w.send(
        "track",
        user_id=USER,
        anonymous_id=BROWSER,
        event="Product Viewed",
        properties={"product_id": "genius-kit", "name": "Genius Kit"},
    )
    pid = w.profile(user_id=USER)["id"]
    assert pid == anonymous["id"]  # the Facebook visitor is the signed-in customer
    # the first event in log order: under the fake clock all timestamps are nearly equal
    timeline = w.get(f"/api/v1/profiles/{pid}/events", limit=50)["events"]
    first_touch = min(timeline, key=lambda e: e["seq"])
    assert first_touch["campaign"]["source"] == "facebook"  # it knows she came from Facebook
    w.wait_stage(pid, "evaluation")

    # 6. Next day, an ad slot elsewhere: consideration content replaces awareness ads.
    w.at(START + timedelta(days=1))
    ad = w.decide("ads")
    assert "genius-features-ad" in ids(ad) and "awareness-ad" not in ids(ad)
    assert all(e["reason"] for e in ad["experiences"])
    page = w.decide("web")
    assert "comparison-page" in ids(page)

    # 7-8. The website suggests the demo video; Ray watches it, then shares it with Grandma.
    assert "demo-video" in ids(page)
    w.send(
        "track",
        user_id=USER,
        event="Video Playback Started",
        properties={"product_id": "genius-kit", "video_id": "genius-kit-demo"},
    )
    w.send("track", user_id=USER, event="Product Shared", properties={"product_id": "genius-kit"})
    w.wait_stage(pid, "justification")

    # 9. On her phone (the app, signed in by email): no more awareness ads.
    w.send("identify", anonymous_id=PHONE, traits={"email": EMAIL})
    assert w.profile(anonymous_id=PHONE)["id"] == pid
    for channel in ("mobile", "ads"):
        shown = w.decide(channel, anonymous_id=PHONE)
        assert "awareness-ad" not in ids(shown), channel

    # 10. She phones: the agent sees the kit viewed and the demo watched, and what to say.
    w.at(START + timedelta(days=2, hours=4))
    nba = w.get(f"/api/v1/profiles/{pid}/next-best-action")
    first = nba["actions"][0]
    assert first["id"] == "agent-genius-vs-starter", nba
    assert "watched the demo" in str(first["content"]["say"])
    # The call-centre system was told the same on the stage change (a signed webhook).
    scripts = eventually(
        lambda: [
            h.body["data"]
            for h in w.hooks.received("/call-centre")
            if h.body["data"]["experience"] == "agent-genius-vs-starter"
        ],
        "the call-centre webhook with the agent's script",
    )
    assert "watched the demo video" in scripts[0]["say"]
    assert scripts[0]["stage"] == "justification"
    timeline = w.get(f"/api/v1/profiles/{pid}/events", limit=50)
    seen = {e.get("event") for e in timeline["events"]}
    assert {"Product Viewed", "Video Playback Started"} <= seen
    w.send(
        "track",
        user_id=USER,
        event="Call Completed",
        properties={"product_id": "genius-kit", "topic": "kit choice", "agent_name": "Sam"},
    )

    # 11. The agent's follow-up email carries the Numbers-game video.
    follow_up = w.mail("Numbers game video")
    assert follow_up["To"] is not None and EMAIL in str(follow_up["To"])
    assert "https://brightblocks.example/videos/numbers-game" in text_of(follow_up)
    assert str(follow_up["Subject"]).startswith("Ray,")
    # She opens the video from the email: recognised by email too (the click is her event).
    html = follow_up.get_body(preferencelist=("html",))
    assert html is not None
    links = re.findall(r'href="([^"]+/t/click/[^"]+)"', str(html.get_content()))
    assert links, "the email's links go through the signed click redirect"
    click = httpx.get(links[0].replace("&amp;", "&"), follow_redirects=False)
    assert click.status_code == 302
    assert click.headers["location"] == "https://brightblocks.example/videos/numbers-game"
    eventually(
        lambda: any(
            e.get("event") == "Email Link Clicked"
            for e in w.get(f"/api/v1/profiles/{pid}/events", limit=50)["events"]
        ),
        "the email click on Ray's timeline",
    )

    # 12. Next day, back on the website: it welcomes her back (the inbox and the home slot).
    w.at(START + timedelta(days=3))
    w.send("page", user_id=USER, anonymous_id=BROWSER, name="Home")
    welcome = eventually(
        lambda: [m for m in w.inbox(pid) if str(m.get("title", "")).startswith("Welcome back")],
        "the welcome-back inbox message",
    )
    assert "Numbers game video" in str(welcome[0]["body"])
    home = w.decide("web", placement="home")
    assert "welcome-back" in ids(home)

    # 13. Kids of her grand-daughter's age on the Numbers game.
    assert "kids-numbers-testimonial" in ids(w.decide("web"))

    # 14. She buys the Genius Kit as a gift; the order records the gift and the relationship.
    w.send(
        "identify",
        user_id=USER,
        traits={"gift_recipient": "Mia", "relationship_to_recipient": "grandmother"},
    )
    w.send(
        "track",
        user_id=USER,
        event="Order Completed",
        properties={
            "order_id": "o-1001",
            "product_id": "genius-kit",
            "products": [{"product_id": "genius-kit", "price": 99.0, "quantity": 1}],
            "total": 99.0,
            "gift": True,
            "gift_recipient": "Mia",
        },
    )
    w.wait_stage(pid, "purchase")
    traits = w.get(f"/api/v1/profiles/{pid}")["traits"]
    assert traits["gift_recipient"]["value"] == "Mia"
    assert traits["relationship_to_recipient"]["value"] == "grandmother"
    shop = eventually(lambda: w.hooks.received("/shop"), "the shop webhook")
    assert shop[0].body["data"]["gift_for"] == "Mia"
    shipping = eventually(lambda: w.hooks.received("/shipping"), "the shipping webhook")
    assert shipping[0].body["data"]["note"] == "Happy holidays, Mia!"

    # 15. Ads stop selling: the ad platforms get the owner, and help replaces sales ads.
    suppress = eventually(lambda: w.hooks.received("/ads"), "the ads audience webhook")
    assert suppress[0].body["data"]["audience"] == "kit-owners"
    assert suppress[0].body["data"]["email"] == EMAIL
    after = w.decide("ads")
    assert ids(after) == ["help-after-purchase-ad"], after
    for channel in ("ads", "social", "mobile", "web"):
        sales = [
            e["id"]
            for e in w.decide(channel)["experiences"]
            if e["id"] in {"awareness-ad", "genius-features-ad", "comparison-page", "demo-video"}
        ]
        assert not sales, (channel, sales)

    # 16. The shipping email thanks Ray by name and carries the tracking number.
    w.at(START + timedelta(days=4))
    w.send(
        "track",
        user_id=USER,
        event="Order Shipped",
        properties={
            "order_id": "o-1001",
            "product_id": "genius-kit",
            "product_name": "Genius Kit",
            "tracking_number": "BB-TRACK-48213",
            "tracking_url": "https://parcels.example/track/BB-TRACK-48213",
        },
    )
    notice = w.mail("Your order is on its way")
    assert str(notice["Subject"]).startswith("Thanks Ray!")
    assert "BB-TRACK-48213" in text_of(notice)
    assert "https://parcels.example/track/BB-TRACK-48213" in text_of(notice)

    # 17. Back on the website: "Hello Ray" and help installing the app.
    hello = eventually(
        lambda: [m for m in w.inbox(pid) if str(m.get("title", "")).startswith("Hello Ray")],
        "the app-help inbox message",
    )
    assert hello
    assert "onboarding-help" in ids(w.decide("web"))

    # 18-19. Delivered on time: onboarding content arrives.
    w.at(START + timedelta(days=7))
    w.send(
        "track",
        user_id=USER,
        event="Order Delivered",
        properties={"order_id": "o-1001", "product_id": "genius-kit"},
    )
    w.wait_stage(pid, "adoption")
    onboarding = w.message(pid, "onboarding", "getting-started")
    assert onboarding["status"] == "sent", onboarding
    assert EMAIL in str(w.mail_of(onboarding)["To"])
    assert onboarding["experience_id"] == "onboarding-email", onboarding
    welcome = w.mail_of(onboarding)
    assert str(welcome["Subject"]) == "Ray, your Genius Kit has arrived: let's get started"
    welcome_text = text_of(welcome)
    assert "Getting started with your Genius Kit" in welcome_text
    assert "install the Brightblocks app" in welcome_text
    assert "https://brightblocks.example/start/genius-kit" in welcome_text
    # getting-started help, not the review request (that one waits a few days, step 20)
    assert "review" not in welcome_text.lower()
    assert "facebook.com/brightblocks/reviews" not in welcome_text

    # 20. Three days after delivery: thank-you and a review request.
    w.at(START + timedelta(days=10))
    asked = w.message(pid, "review-request", "thank-you")
    assert asked["status"] == "sent", asked
    review_ask = w.mail_of(asked)
    assert str(review_ask["Subject"]).startswith("Thank you, Ray!")
    assert "https://www.facebook.com/brightblocks/reviews" in text_of(review_ask)
    assert "Mia" in text_of(review_ask)
    eventually(
        lambda: w.get(f"/api/v1/profiles/{pid}")["traits"].get("review_requested"),
        "the review_requested trait",
    )

    # 21. Five stars: Osmo thanks her, and she becomes an advocate.
    w.at(START + timedelta(days=12, hours=2))
    w.send(
        "track",
        user_id=USER,
        event="Product Reviewed",
        properties={"product_id": "genius-kit", "rating": 5, "review_body": "A great gift!"},
    )
    thanks = w.mail("Thank you for your feedback")
    assert "Thank you, Ray!" in text_of(thanks)
    advocate = eventually(
        lambda: w.get(f"/api/v1/profiles/{pid}")["traits"].get("advocate"), "the advocate trait"
    )
    assert advocate["value"] is True
    w.wait_stage(pid, "advocacy")

    # 22. A couple of weeks before Christmas: the holiday e-card with a referral voucher.
    w.at(datetime(2026, 12, 10, 10, 0, tzinfo=UTC))
    card = w.mail("Happy holidays from Brightblocks")
    card_text = text_of(card)
    assert "Happy holidays to you and Mia!" in card_text
    assert f"https://brightblocks.example/refer?ref={pid}" in card_text
    # She recommends a friend, who arrives through the referral link and buys a kit too.
    w.at(datetime(2026, 12, 12, 15, 0, tzinfo=UTC))
    w.send("track", user_id=USER, event="Referral Sent", properties={"product_id": "genius-kit"})
    friend = {"anonymous_id": "friend-cookie"}
    w.send("page", name="Genius Kit", properties={"referred_by": pid}, **friend)
    w.send(
        "track",
        event="Order Completed",
        properties={"order_id": "o-2001", "product_id": "genius-kit", "total": 99.0},
        **friend,
    )

    # 23. A month after Christmas: tell us your story (for the Creative Wall).
    w.at(datetime(2027, 1, 25, 10, 0, tzinfo=UTC))
    story = w.mail("Tell us your Brightblocks story")
    assert EMAIL in str(story["To"])
    assert "Mia" in text_of(story)
    assert "https://brightblocks.example/creative-wall/share" in text_of(story)
    w.at(datetime(2027, 1, 26, 18, 0, tzinfo=UTC))
    w.send(
        "track",
        user_id=USER,
        event="Story Submitted",
        properties={"product_id": "genius-kit", "gallery": "creative-wall"},
    )

    # 24. The business sees the loop: her review, her referral and the friend who bought.
    def report() -> dict[str, Any] | None:
        body: dict[str, Any] = w.get("/api/v1/analytics/advocacy", model="hourglass")
        return body if body["referred_purchasers"] >= 1 else None

    loop = eventually(report, "the advocacy report")
    assert (loop["reviews"], loop["average_rating"]) == (1, 5.0)
    assert (loop["referrals_sent"], loop["referrers"], loop["referred"]) == (1, 1, 1)
    genius = next(p for p in loop["products"] if p["product"] == "genius-kit")
    assert genius["advocates"] >= 1
    timeline = w.get(f"/api/v1/profiles/{pid}/events", limit=200)
    assert "Story Submitted" in {e.get("event") for e in timeline["events"]}

    # One profile all along: web cookie, app, account, email; no other person merged in.
    final = w.profile(email=EMAIL)
    assert final["id"] == pid
    kinds = {(i["type"], i["value"]) for i in final["identities"]}
    assert {("anonymous_id", BROWSER), ("anonymous_id", PHONE), ("user_id", USER)} <= kinds
    assert ("anonymous_id", "friend-cookie") not in kinds
    # Every email the story sent went to Ray, none was blocked by the contact policy.
    w.settle()
    messages = w.messages(pid)
    failed = [m for m in messages if m["status"] in ("failed", "dead")]
    assert not failed, failed
    emails = [m for m in messages if m["channel"] == "email"]
    assert all(m["status"] == "sent" for m in emails), emails
    # follow-up, shipping, onboarding, review request, thanks, holiday card, story request:
    # each once, none lost
    assert len(emails) == len(w.smtp.mailbox.snapshot()) == 7
