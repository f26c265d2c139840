"""A reference identity resolver for the simulator's tests: union-find over the identifiers
each message carries, under the linking rules docs/simulator.md documents.

- userId, anonymousId, and the email / phone / facebook_id traits (of identify calls and of
  ``context.traits``) on one message are linked, emails lower-cased and trimmed, phones E.164;
- two different userIds are never joined (a shared family email or a borrowed browser must not
  merge two people): a link that would join them is refused, and the later identifier stays
  with the profile it is already in;
- the literal ``"null"`` / ``"undefined"`` and the placeholder email link nothing.

It exists to show the ground truth is achievable (a correct resolver makes no false merges and
links every linkable identifier), not as Waymark's identity engine.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import phonenumbers

JUNK = {"null", "undefined", "", "test@example.com"}


class Resolver:
    def __init__(self) -> None:
        self.parent: dict[tuple[str, str], tuple[str, str]] = {}
        self.user: dict[tuple[str, str], str] = {}
        """root -> the userId its set holds"""

    def find(self, key: tuple[str, str]) -> tuple[str, str]:
        self.parent.setdefault(key, key)
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def add(self, keys: list[tuple[str, str]]) -> None:
        for key in keys:
            root = self.find(key)
            if key[0] == "user_id":
                self.user.setdefault(root, key[1])
        for b in keys[1:]:
            ra, rb = self.find(keys[0]), self.find(b)
            if ra == rb:
                continue
            ua, ub = self.user.get(ra), self.user.get(rb)
            if ua is not None and ub is not None and ua != ub:
                continue
            self.parent[rb] = ra
            if ua is None and ub is not None:
                self.user[ra] = ub

    def mapping(self) -> dict[tuple[str, str], str]:
        return {key: "|".join(self.find(key)) for key in self.parent}


def _phone(value: str) -> str | None:
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def identifiers(msg: dict[str, Any]) -> list[tuple[str, str]]:
    """The identifiers one message carries; userId first, so links go through it."""
    keys: list[tuple[str, str]] = []
    for kind, field in (("user_id", "userId"), ("anonymous_id", "anonymousId")):
        value = msg.get(field)
        if isinstance(value, str) and value.strip() not in JUNK:
            keys.append((kind, value.strip()))
    traits = dict(msg.get("context", {}).get("traits", {}))
    traits.update(msg.get("traits", {}) if msg["type"] == "identify" else {})
    email = traits.get("email")
    if isinstance(email, str) and email.strip().lower() not in JUNK:
        keys.append(("email", email.strip().lower()))
    phone = traits.get("phone")
    if isinstance(phone, str) and (e164 := _phone(phone)):
        keys.append(("phone", e164))
    facebook = traits.get("facebook_id")
    if isinstance(facebook, str):
        keys.append(("facebook_id", facebook))
    return keys


def resolve(messages: Iterable[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """(kind, value) -> profile id, for every identifier in the messages (in time order)."""
    resolver = Resolver()
    for msg in messages:
        resolver.add(identifiers(msg))
    return resolver.mapping()
