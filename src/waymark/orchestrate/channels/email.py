"""Email over SMTP with the standard library's ``smtplib``: one connection per batch,
STARTTLS or implicit TLS and login as ``WAYMARK_SMTP_URL`` says, a multipart text + HTML
message whose Message-ID is the idempotency key.

SMTP replies map to errors as RFC 5321 intends: 4xx and dropped connections are transient
(retried later), 5xx is a permanent refusal (the message fails with the server's reason).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.header import Header
from email.headerregistry import Address
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import msgspec

from waymark.core.clock import Clock
from waymark.core.errors import DeliveryError
from waymark.core.settings import Secret
from waymark.orchestrate.channels._base import BatchingChannel, Outgoing
from waymark.orchestrate.errors import ChannelConfigInvalid, DeliveryRefused

FIELD = "WAYMARK_SMTP_URL"
_WIRE = compat32.clone(linesep="\r\n", max_line_length=998)
"""SMTP wants CRLF line ends (``sendmail`` does not fix them in bytes); headers are not
folded below the 998 characters RFC 5322 allows, so links in them stay whole."""
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class SmtpConfig(msgspec.Struct, frozen=True, kw_only=True):
    host: str
    port: int
    username: str | None = None
    password: Secret | None = None
    starttls: bool = False
    tls: bool = False
    """TLS from the first byte (``smtps://``, usually port 465)."""
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str, *, field: str = FIELD) -> SmtpConfig:
        """``smtp://user:pass@host:port?starttls=1&timeout=30`` or ``smtps://...``."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ChannelConfigInvalid(
                f"must start with smtp:// or smtps://, got {parts.scheme or 'no scheme'}",
                field=field,
            )
        if not parts.hostname:
            raise ChannelConfigInvalid("names no host (smtp://host:port)", field=field)
        try:
            port = parts.port
        except ValueError:
            raise ChannelConfigInvalid(
                "the port is not a number from 1 to 65535", field=field
            ) from None
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        unknown = set(query) - {"starttls", "timeout"}
        if unknown:
            raise ChannelConfigInvalid(
                f"unknown option(s) {', '.join(sorted(unknown))}", field=field
            )
        starttls = _flag(query.get("starttls", "0"), f"{field} starttls")
        tls = parts.scheme == "smtps"
        if tls and starttls:
            raise ChannelConfigInvalid("smtps:// is TLS already; drop starttls", field=field)
        try:
            timeout = float(query.get("timeout", "30"))
        except ValueError:
            raise ChannelConfigInvalid("timeout must be a number of seconds", field=field) from None
        return cls(
            host=parts.hostname,
            port=port or (465 if tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=Secret(unquote(parts.password)) if parts.password else None,
            starttls=starttls,
            tls=tls,
            timeout=timeout,
        )


def _flag(value: str, field: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ChannelConfigInvalid(f"must be 1 or 0, got {value!r}", field=field)


def sender_address(text: str, *, field: str = "WAYMARK_EMAIL_FROM") -> tuple[str, str]:
    """(display name, address) from ``Name <addr@host>`` or ``addr@host``."""
    name, addr = parseaddr(text)
    if "@" not in addr or addr.startswith("@") or addr.endswith("@"):
        raise ChannelConfigInvalid(f"{text!r} is not an email address", field=field)
    return name, addr


def _header(text: str) -> str:
    """A header value, RFC 2047-encoded only when it is not plain ASCII."""
    return text if text.isascii() else Header(text, "utf-8").encode()


def build_message(
    item: Outgoing, *, sender: tuple[str, str], date: str, domain: str
) -> MIMEMultipart | MIMEText:
    """The MIME message for a rendered email payload.

    Built with the ``compat32`` MIME classes: several times faster than ``EmailMessage``
    (whose header registry parses every header it is given) for the same bytes on the wire.
    """
    p: dict[str, Any] = item.payload
    text = MIMEText(p.get("text") or "", "plain", "utf-8")
    msg: MIMEMultipart | MIMEText = text
    if p.get("html"):
        msg = MIMEMultipart("alternative")
        msg.attach(text)
        msg.attach(MIMEText(p["html"], "html", "utf-8"))
    name = p.get("from_name") or sender[0]
    msg["From"] = formataddr((name, sender[1]), charset="utf-8") if name else sender[1]
    msg["To"] = p["to"]
    msg["Subject"] = _header(p["subject"])
    msg["Date"] = date
    # the idempotency key as Message-ID: a receiver that sees the same id twice (a re-send
    # after a crash) can drop the copy
    msg["Message-ID"] = f"<{item.key}@{domain}>"
    msg["X-Waymark-Idempotency-Key"] = item.key
    msg["X-Waymark-Flow"] = f"{item.flow_id}/{item.step_id}"
    if p.get("reply_to"):
        msg["Reply-To"] = p["reply_to"]
    if p.get("unsubscribe"):
        msg["List-Unsubscribe"] = f"<{p['unsubscribe']}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return msg


def _smtp_error(exc: smtplib.SMTPResponseException) -> Exception:
    text = (
        exc.smtp_error.decode(errors="replace")
        if isinstance(exc.smtp_error, bytes)
        else str(exc.smtp_error)
    )
    reason = f"SMTP {exc.smtp_code}: {text}"
    if 400 <= exc.smtp_code < 500:
        return DeliveryError(reason)
    return DeliveryRefused(reason)


class EmailChannel(BatchingChannel[smtplib.SMTP]):
    name = "email"
    max_batch = 100
    stop_on_transient = True

    def __init__(
        self,
        smtp: SmtpConfig | None,
        *,
        sender: str,
        clock: Clock,
        ssl_context: ssl.SSLContext | None = None,
        connect: Callable[[SmtpConfig], smtplib.SMTP] | None = None,
    ) -> None:
        self.smtp = smtp
        self.sender = sender_address(sender)
        self._domain = self.sender[1].rpartition("@")[2]
        self._clock = clock
        self._ssl = ssl_context
        self._connect = connect or self._open

    def unavailable(self) -> str | None:
        if self.smtp is None:
            return "email is not configured (set WAYMARK_SMTP_URL)"
        return None

    def _open(self, cfg: SmtpConfig) -> smtplib.SMTP:
        context = self._ssl or ssl.create_default_context()
        if cfg.tls:
            return smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout, context=context)
        smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        if cfg.starttls:
            try:
                smtp.ehlo()
                smtp.starttls(context=context)
                smtp.ehlo()
            except BaseException:
                _close(smtp)
                raise
        return smtp

    def _login(self, cfg: SmtpConfig) -> smtplib.SMTP:
        """A connected (and, when configured, logged-in) session; never leaks the socket."""
        try:
            smtp = self._connect(cfg)
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(f"SMTP server: {exc}; check {FIELD}", retry_after=600) from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP {exc.smtp_code} on connect") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"cannot reach SMTP server {cfg.host}:{cfg.port}: {exc}") from None
        if not cfg.username:
            return smtp
        try:
            smtp.login(cfg.username, cfg.password.reveal() if cfg.password else "")
        except smtplib.SMTPAuthenticationError as exc:
            _close(smtp)
            raise DeliveryError(
                f"SMTP login refused ({exc.smtp_code}); check {FIELD}", retry_after=600
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            _close(smtp)
            raise DeliveryError(
                f"SMTP login failed: {exc}; check {FIELD}", retry_after=600
            ) from None
        return smtp

    @contextmanager
    def session(self) -> Iterator[smtplib.SMTP]:
        cfg = self.smtp
        if cfg is None:
            raise DeliveryError("email is not configured (set WAYMARK_SMTP_URL)", retry_after=600)
        smtp = self._login(cfg)
        try:
            yield smtp
        finally:
            _close(smtp)

    def send_one(self, session: smtplib.SMTP, item: Outgoing) -> None:
        msg = build_message(
            item,
            sender=self.sender,
            date=format_datetime(self._clock.now()),
            domain=self._domain,
        )
        try:
            refused = session.sendmail(
                self.sender[1], [item.payload["to"]], msg.as_bytes(policy=_WIRE)
            )
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            reason = f"SMTP {code}: {text.decode(errors='replace')}"
            raise (
                DeliveryError(reason) if 400 <= code < 500 else DeliveryRefused(reason)
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise _smtp_error(exc) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP connection lost: {exc}") from None
        if refused:
            raise DeliveryRefused(f"SMTP refused the recipient: {refused}")


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def address_ok(text: str) -> bool:
    """Whether ``text`` is one plain email address (for a profile's email trait)."""
    try:
        Address(addr_spec=text)
    except (ValueError, IndexError):
        return False
    return "@" in text
