"""Email end to end: a real SMTP server (aiosmtpd on 127.0.0.1, STARTTLS and AUTH) receives
the personalised shipping notice of seed 000; the test parses it and checks headers, content,
tracking and unsubscribe links."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.orchestrate._smtp import PASSWORD, USER, Received, SmtpServer
from tests.orchestrate.conftest import T0, Builder, Kit, Recorder
from waymark.core.clock import FakeClock
from waymark.orchestrate.api import SmtpConfig, shipped_flows_dir
from waymark.orchestrate.channels.email import EmailChannel
from waymark.orchestrate.errors import ChannelConfigInvalid

pytestmark = pytest.mark.filterwarnings(
    # aiosmtpd sets its own deprecated attribute on every successful AUTH
    "ignore:Session.login_data is deprecated:DeprecationWarning"
)


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path).start()
    yield server
    server.stop()


def email_kit(build: Builder, smtp: SmtpServer, url: str | None = None) -> Kit:
    clock = FakeClock(T0)
    channel = EmailChannel(
        SmtpConfig.from_url(url or smtp.url),
        sender="Brightblocks <hello@brightblocks.example>",
        clock=clock,
        ssl_context=smtp.client_tls,
    )
    flow = (shipped_flows_dir() / "shipping-notice.yaml").read_text()
    kit = build(
        {"shipping-notice.yaml": flow},
        clock=clock,
        channels={"email": channel, "webhook": Recorder("webhook"), "inbox": Recorder("inbox")},  # type: ignore[dict-item]
    )
    kit.profiles.add(
        "ray", email="ray@example.com", traits={"first_name": "Ray", "name": "Ray Smith"}
    )
    return kit


def test_the_personalised_shipping_notice_arrives(build: Builder, smtp: SmtpServer) -> None:
    kit = email_kit(build, smtp)
    kit.orch.process(
        [
            kit.event(
                "Order Shipped",
                tracking_number="TN-4711",
                tracking_url="https://track.example/TN-4711?x=1&y=2",
                product_name="Genius Kit",
            )
        ]
    )
    kit.orch.run_due()
    [got] = smtp.handler.received
    assert got.mail_from == "hello@brightblocks.example"
    assert got.rcpt_tos == ["ray@example.com"]
    msg = got.message
    [record] = [m for m in kit.orch.messages(profile_id="ray").messages if m.channel == "email"]
    assert record.status == "sent"
    assert msg["Subject"] == "Thanks Ray! Your order is on its way"
    assert msg["To"] == "ray@example.com"
    assert msg["From"] == "Brightblocks <hello@brightblocks.example>"
    assert msg["Message-ID"] == f"<{record.message_id}@brightblocks.example>"
    assert msg["X-Waymark-Idempotency-Key"] == record.message_id
    assert parsedate_to_datetime(msg["Date"]) == T0
    unsubscribe = msg["List-Unsubscribe"]
    assert re.fullmatch(r"<https://wm\.example/t/unsubscribe/[\w.-]+>", unsubscribe)
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "Thanks Ray!" in text
    assert "Your Genius Kit is on its way." in text
    assert "Tracking number: TN-4711" in text
    assert "https://track.example/TN-4711?x=1&y=2" in text
    assert "<strong>TN-4711</strong>" in html
    # links go through the signed click redirect and come back as the original URL
    clicks = re.findall(r'href="https://wm\.example/t/click/([\w.-]+)"', html)
    targets = {kit.orch.clicked(token)[0] for token in clicks}
    assert "https://track.example/TN-4711?x=1&y=2" in targets
    assert "https://brightblocks.example/help/delivery" in targets
    # the unsubscribe link in the footer is not wrapped, and the open pixel is there
    assert unsubscribe.strip("<>") in unquote(html).replace("&amp;", "&")
    [pixel] = re.findall(r'<img src="https://wm\.example/t/open/([\w.-]+)"', html)
    [opened] = kit.orch.opened(pixel)
    assert (opened.event, opened.user_id) == ("Email Opened", "ray")
    assert opened.properties["message_id"] == record.message_id
    url, [clicked] = kit.orch.clicked(clicks[0])
    assert clicked.event == "Email Link Clicked"
    assert clicked.properties["link_url"] == url
    # the sent event lands in the log for the profile timeline
    [sent] = [e for e in kit.sink.events if e.event == "Email Sent"]
    assert sent.properties["subject"] == msg["Subject"]


def test_a_link_followed_while_the_send_is_in_flight_is_known(
    build: Builder, smtp: SmtpServer
) -> None:
    # a reader's mail client can open the email before the SMTP client has its answer, so
    # before the send's outcome is recorded: the open must still count for Ray
    kit = email_kit(build, smtp)
    opened: list[str] = []

    def open_it(got: Received) -> None:
        html = got.message.get_body(("html",)).get_content()  # type: ignore[union-attr]
        [pixel] = re.findall(r'<img src="https://wm\.example/t/open/([\w.-]+)"', html)
        opened.extend(e.user_id or "" for e in kit.orch.opened(pixel))

    smtp.handler.on_data = open_it
    kit.orch.process([kit.event("Order Shipped", tracking_number="1", tracking_url="https://t")])
    kit.orch.run_due()
    assert opened == ["ray"]
    [m] = [m for m in kit.orch.messages(profile_id="ray").messages if m.channel == "email"]
    assert m.status == "sent"


def test_unsubscribe_turns_email_consent_off(build: Builder, smtp: SmtpServer) -> None:
    kit = email_kit(build, smtp)
    kit.orch.process([kit.event("Order Shipped", tracking_number="1", tracking_url="https://t")])
    kit.orch.run_due()
    token = smtp.handler.received[0].message["List-Unsubscribe"].strip("<>").rsplit("/", 1)[1]
    events = kit.orch.unsubscribed(token)
    assert [e.event or e.type for e in events] == ["Unsubscribed", "identify"]
    assert events[1].traits == {"consent_email": False}


def test_recipient_refused_for_good_fails(build: Builder, smtp: SmtpServer) -> None:
    smtp.handler.rcpt_reply = "550 5.1.1 no such mailbox"
    kit = email_kit(build, smtp)
    kit.orch.process([kit.event("Order Shipped", tracking_number="1", tracking_url="https://t")])
    kit.orch.run_due()
    [m] = [m for m in kit.orch.messages(profile_id="ray").messages if m.channel == "email"]
    assert (m.status, m.attempts) == ("failed", 1)
    assert m.reason.startswith("SMTP 550")


def test_temporary_refusal_and_bad_login_are_retried(build: Builder, smtp: SmtpServer) -> None:
    smtp.handler.rcpt_reply = "451 4.3.0 try again later"
    kit = email_kit(build, smtp)
    kit.orch.process([kit.event("Order Shipped", tracking_number="1", tracking_url="https://t")])
    kit.orch.run_due()
    [m] = [m for m in kit.orch.messages(profile_id="ray").messages if m.channel == "email"]
    assert (m.status, m.reason) == ("retrying", "SMTP 451: 4.3.0 try again later")
    smtp.handler.rcpt_reply = None
    kit.clock.advance(m.due_at - kit.clock.now())  # type: ignore[operator]
    kit.orch.run_due()
    assert len(smtp.handler.received) == 1

    wrong = smtp.url.replace(PASSWORD.replace(" ", "%20"), "nope")
    kit2 = email_kit(build, smtp, url=wrong)
    kit2.orch.process(
        [kit2.event("Order Shipped", "ray", tracking_number="2", tracking_url="https://t")]
    )
    kit2.orch.run_due()
    retrying = kit2.orch.messages(profile_id="ray", statuses=["retrying"]).messages
    assert [m.reason for m in retrying] == ["SMTP login refused (535); check WAYMARK_SMTP_URL"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example", ("mail.example", 25, None, False, False)),
        (
            "smtp://u%40x:p%3Aw@mail.example:587?starttls=1",
            ("mail.example", 587, "u@x", True, False),
        ),
        ("smtps://u:p@mail.example", ("mail.example", 465, "u", False, True)),
    ],
)
def test_smtp_urls(url: str, expected: tuple[object, ...]) -> None:
    cfg = SmtpConfig.from_url(url)
    assert (cfg.host, cfg.port, cfg.username, cfg.starttls, cfg.tls) == expected
    if cfg.password is not None:
        assert "p" in cfg.password.reveal()
        assert "p" not in repr(cfg.password)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://mail.example", "smtp://"),
        ("smtp://", "no host"),
        ("smtp://h:99999", "port"),
        ("smtp://h?starttls=maybe", "1 or 0"),
        ("smtp://h?tls=1", "unknown option"),
        ("smtps://h?starttls=1", "TLS already"),
    ],
)
def test_bad_smtp_urls_name_the_variable(url: str, words: str) -> None:
    with pytest.raises(ChannelConfigInvalid, match=words) as info:
        SmtpConfig.from_url(url)
    assert info.value.field.startswith("WAYMARK_SMTP_URL")


def test_unconfigured_email_is_skipped_with_a_reason(build: Builder) -> None:
    clock = FakeClock(T0)
    channel = EmailChannel(None, sender="hello@brightblocks.example", clock=clock)
    kit = build(
        {"f.yaml": (shipped_flows_dir() / "shipping-notice.yaml").read_text()},
        clock=clock,
        channels={"email": channel, "webhook": Recorder("webhook"), "inbox": Recorder("inbox")},  # type: ignore[dict-item]
    )
    kit.profiles.add("ray", email="ray@example.com")
    kit.orch.process([kit.event("Order Shipped", tracking_number="1", tracking_url="https://t")])
    kit.orch.run_due()
    [m] = [m for m in kit.orch.messages(profile_id="ray").messages if m.channel == "email"]
    assert (m.status, m.reason) == ("skipped", "email is not configured (set WAYMARK_SMTP_URL)")
    assert USER  # the shared test server's user is not involved here
