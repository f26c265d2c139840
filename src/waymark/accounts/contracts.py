"""What crosses the accounts boundary: frozen msgspec structs. Nothing here does I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class AccountTransition(msgspec.Struct, frozen=True, kw_only=True):
    """One change of an account's stage: ``from_stage`` is None when the account entered."""

    from_stage: str | None
    to_stage: str
    at: datetime


class AccountJourney(msgspec.Struct, frozen=True, kw_only=True):
    """An account's place on one model for one product, derived from its members."""

    model: str
    product: str
    stage: str
    entered_at: datetime
    rule: str
    """The rule that derived it: ``furthest``, ``majority`` or ``role:<name>``."""
    history: tuple[AccountTransition, ...] = ()


class AccountMembership(msgspec.Struct, frozen=True, kw_only=True):
    """One account a person belongs to, as their data export shows it."""

    account_id: str
    name: str | None
    role: str | None
    """Stated in their group call, else derived from their title (``accounts.roles``)."""
    joined_at: datetime
    """The time of their first group call to the account."""


class MemberStage(msgspec.Struct, frozen=True, kw_only=True):
    model: str
    product: str
    stage: str


class Member(msgspec.Struct, frozen=True, kw_only=True):
    profile_id: str
    role: str | None
    joined_at: datetime
    stages: tuple[MemberStage, ...] = ()


class StageMembers(msgspec.Struct, frozen=True, kw_only=True):
    """Who of the buying group is at one stage, and which roles the stage needs."""

    stage: str
    members: tuple[str, ...]
    roles: tuple[str, ...]
    """Roles of the members at this stage (sorted, without repeats)."""
    needed: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    """Needed roles that no member involved in this product holds."""


class BuyingGroup(msgspec.Struct, frozen=True, kw_only=True):
    """Per model and product: members by stage, and the roles missing at the account's stage."""

    model: str
    product: str
    stage: str
    stages: tuple[StageMembers, ...]
    missing: tuple[str, ...]


class AccountView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str | None
    kind: str | None
    traits: dict[str, Any]
    members: tuple[Member, ...]
    journeys: tuple[AccountJourney, ...]
    buying_groups: tuple[BuyingGroup, ...]


class AccountSummary(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str | None
    kind: str | None
    members: int
    stage: str | None = None
    """The account's stage on the filtered model and product (when one was asked for)."""


class AccountPage(msgspec.Struct, frozen=True, kw_only=True):
    total: int
    offset: int
    limit: int
    accounts: tuple[AccountSummary, ...]


class AccountStageCount(msgspec.Struct, frozen=True, kw_only=True):
    stage: str
    accounts: int
    """Accounts at this stage now."""
    reached: int
    """Accounts that have been at this stage or beyond."""
    members: int
    """People in some account who are at this stage now (their own journey)."""


class AccountProductHourglass(msgspec.Struct, frozen=True, kw_only=True):
    product: str
    accounts: int
    stages: tuple[AccountStageCount, ...]


class AccountBreakdown(msgspec.Struct, frozen=True, kw_only=True):
    """One account on one product: its stage and how many of its members are at each stage."""

    account_id: str
    product: str
    stage: str | None
    members: dict[str, int]


class AccountHourglass(msgspec.Struct, frozen=True, kw_only=True):
    """Accounts counted per stage per product (the account hourglass), and per account the
    members at each stage (the hourglass broken down by account)."""

    model: str
    products: tuple[AccountProductHourglass, ...]
    by_account: tuple[AccountBreakdown, ...]
