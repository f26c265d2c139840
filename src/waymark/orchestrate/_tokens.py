"""Signed tokens in URLs customers get: the open pixel, the click redirect, the unsubscribe
link and the inbox. A token is the data and an HMAC-SHA256 tag, so nobody can forge one (no
open redirect, no reading another profile's inbox) and nothing needs to be stored."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

import msgspec

from waymark.orchestrate.errors import BadToken

_TAG = 16


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Tokens:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the token secret must be at least 16 bytes")
        self._secret = secret

    def _tag(self, kind: str, data: bytes) -> bytes:
        return hmac.new(self._secret, kind.encode() + b"\x00" + data, hashlib.sha256).digest()[
            :_TAG
        ]

    def sign(self, kind: str, *parts: str) -> str:
        data = msgspec.msgpack.encode(list(parts))
        return f"{_b64(data)}.{_b64(self._tag(kind, data))}"

    def verify(self, kind: str, token: str, *, parts: int) -> list[str]:
        """The parts of a token this secret signed for ``kind``; ``BadToken`` otherwise."""
        body, _, tag = token.partition(".")
        try:
            data, given = _unb64(body), _unb64(tag)
        except (binascii.Error, ValueError):
            raise BadToken("malformed token") from None
        if not hmac.compare_digest(given, self._tag(kind, data)):
            raise BadToken("token not valid")
        try:
            values = msgspec.msgpack.decode(data, type=list[str])
        except msgspec.DecodeError:
            raise BadToken("malformed token") from None
        if len(values) != parts:
            raise BadToken("malformed token")
        return values

    def inbox(self, profile_id: str) -> str:
        """The public per-profile inbox token (a website embeds it for the signed-in customer)."""
        return _b64(self._tag("inbox", profile_id.encode()))

    def check_inbox(self, profile_id: str, token: str) -> None:
        if not hmac.compare_digest(token.encode(), self.inbox(profile_id).encode()):
            raise BadToken("wrong inbox token for this profile")
