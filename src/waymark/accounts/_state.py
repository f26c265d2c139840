"""One account in memory: its members, its traits (latest value of each, last write by event
time then seq wins) and its journeys. Group calls and identity merges change it here; the
rules in ``_rules`` derive its journeys."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from waymark.accounts.contracts import AccountTransition

Stamp = tuple[datetime, int]
"""(event time, seq): the order in which last-write-wins compares statements."""


@dataclass
class Membership:
    joined_at: datetime
    """The time of the person's first group call to the account."""
    roles: list[tuple[Stamp, str]] = field(default_factory=list)
    """Every role the person's group calls to the account stated (raw text), in (event time,
    seq) order. All of them, not only the changes: a late call lands between two and may make
    the second one a change again."""

    @property
    def group_role(self) -> str | None:
        """The role the latest group call stated, if any did."""
        return self.roles[-1][1] if self.roles else None

    def group_roles(self) -> list[tuple[datetime, str]]:
        """The stated role from each moment on, ``(at, raw text)`` in time order: of several
        calls at one moment the last (by seq) holds."""
        out: list[tuple[datetime, str]] = []
        for (at, _), role in self.roles:
            if out and out[-1][0] == at:
                out[-1] = (at, role)
            else:
                out.append((at, role))
        return out

    def absorb(self, other: Membership) -> bool:
        """Fold another membership of the same person (an identity merge); True if changed."""
        before = (self.joined_at, len(self.roles))
        self.joined_at = min(self.joined_at, other.joined_at)
        if other.roles:
            self.roles = sorted(set(self.roles) | set(other.roles))
        return before != (self.joined_at, len(self.roles))


@dataclass
class AccountState:
    members: dict[str, Membership] = field(default_factory=dict)
    traits: dict[str, tuple[Any, datetime, int]] = field(default_factory=dict)
    journeys: dict[tuple[str, str], tuple[AccountTransition, ...]] = field(default_factory=dict)

    def join(self, profile_id: str, membership: Membership) -> bool:
        """Add or fold a membership; True when the member is new or it changed."""
        have = self.members.get(profile_id)
        if have is None:
            self.members[profile_id] = membership
            return True
        return have.absorb(membership)

    def set_traits(self, traits: dict[str, Any], stamp: Stamp, skip: tuple[str, ...]) -> None:
        for key, value in traits.items():
            if key in skip:
                continue
            have = self.traits.get(key)
            if have is None or stamp > (have[1], have[2]):
                self.traits[key] = (value, stamp[0], stamp[1])
