"""Preference-centre tokens: the credential in ``/preferences/{token}``.

A token is ``<body>.<tag>``: the body is base64url msgpack ``[version, profile id, issued at,
expires at, token id]`` (seconds since the epoch), the tag base64url HMAC-SHA256 of the body
under the installation's secret, domain-separated from every other use of it. Nothing needs to
be stored to check one; revocation is a token id list and a per-profile not-before time in the
privacy store. Forms on the page carry a second tag over the token id (``csrf``), so a form
another site posts cannot act with a link it does not hold.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

import msgspec

from waymark.privacy.contracts import LinkClaims
from waymark.privacy.errors import BadLink

_VERSION = 1
_DOMAIN = b"waymark-preferences\x00"
_CSRF = b"waymark-preferences-form\x00"
_MAX_CHARS = 512


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    # strict: a character outside the alphabet is a damaged link, not a silently shorter one
    data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    # and canonical: the last character carries unused bits, so without this check two
    # different strings would be the same valid link
    if _b64(data) != text:
        raise ValueError("not the canonical encoding")
    return data


class _Body(msgspec.Struct, array_like=True, frozen=True):
    version: int
    profile_id: str
    issued_at: int
    expires_at: int
    token_id: str


class LinkTokens:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 32:
            raise ValueError("the preference-link secret must be at least 32 bytes")
        self._secret = secret

    def _tag(self, domain: bytes, data: bytes) -> bytes:
        return hmac.new(self._secret, domain + data, hashlib.sha256).digest()

    def issue(self, profile_id: str, *, now: datetime, ttl: timedelta) -> tuple[str, LinkClaims]:
        issued = int(now.timestamp())
        body = _Body(
            _VERSION, profile_id, issued, issued + int(ttl.total_seconds()), secrets.token_hex(8)
        )
        data = msgspec.msgpack.encode(body)
        return f"{_b64(data)}.{_b64(self._tag(_DOMAIN, data))}", _claims(body)

    def verify(self, token: str, *, now: datetime) -> LinkClaims:
        """The claims of a token this secret signed that has not expired; ``BadLink`` naming
        why otherwise (malformed, forged, expired). Revocation is the caller's check."""
        body_text, dot, tag_text = token.partition(".")
        if not dot or len(token) > _MAX_CHARS:
            raise BadLink("this link is incomplete or damaged", reason="malformed")
        try:
            data, tag = _unb64(body_text), _unb64(tag_text)
        except (binascii.Error, ValueError):
            raise BadLink("this link is incomplete or damaged", reason="malformed") from None
        if not hmac.compare_digest(tag, self._tag(_DOMAIN, data)):
            raise BadLink("this link was not issued by this service", reason="forged")
        try:
            body = msgspec.msgpack.decode(data, type=_Body)
        except msgspec.DecodeError:
            raise BadLink("this link is incomplete or damaged", reason="malformed") from None
        if body.version != _VERSION:
            raise BadLink("this link is from an older version", reason="malformed")
        if now.timestamp() >= body.expires_at:
            raise BadLink("this link has expired", reason="expired")
        return _claims(body)

    def form_key(self, claims: LinkClaims) -> str:
        """The value every form of the page must post back (tied to this one token)."""
        return _b64(self._tag(_CSRF, claims.token_id.encode()))

    def check_form_key(self, claims: LinkClaims, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self.form_key(claims).encode())


def _claims(body: _Body) -> LinkClaims:
    return LinkClaims(
        profile_id=body.profile_id,
        issued_at=datetime.fromtimestamp(body.issued_at, UTC),
        expires_at=datetime.fromtimestamp(body.expires_at, UTC),
        token_id=body.token_id,
    )
