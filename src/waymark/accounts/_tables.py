"""Account state as Arrow tables (what the store persists and the rebuild produces), and the
one converter per direction between them and the in-memory ``AccountState``s."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

import msgspec
import pyarrow as pa

from waymark.accounts._state import AccountState, Membership, Stamp
from waymark.accounts.contracts import AccountTransition
from waymark.accounts.ports import AccountTables

_TS: Final = pa.timestamp("us")

MEMBERS: Final = pa.schema(
    [
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("profile_id", pa.string(), nullable=False),
        pa.field("joined_at", _TS, nullable=False),
        pa.field("group_role", pa.string()),
        pa.field("role_at", _TS),
        pa.field("role_seq", pa.int64()),
    ]
)
ROLES: Final = pa.schema(
    [
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("profile_id", pa.string(), nullable=False),
        pa.field("role", pa.string(), nullable=False),
        pa.field("at", _TS, nullable=False),
        pa.field("seq", pa.int64(), nullable=False),
    ]
)
"""Every role a member's group calls stated (``MEMBERS`` keeps the latest, as it always did:
a data directory written before this table existed still knows each member's current role)."""
TRAITS: Final = pa.schema(
    [
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("key", pa.string(), nullable=False),
        pa.field("value", pa.string(), nullable=False),
        pa.field("at", _TS, nullable=False),
        pa.field("seq", pa.int64(), nullable=False),
    ]
)
JOURNEYS: Final = pa.schema(
    [
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("model", pa.string(), nullable=False),
        pa.field("product", pa.string(), nullable=False),
        pa.field("n", pa.int32(), nullable=False),
        pa.field("from_stage", pa.string()),
        pa.field("to_stage", pa.string(), nullable=False),
        pa.field("at", _TS, nullable=False),
    ]
)
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


def empty_tables() -> AccountTables:
    return AccountTables(
        MEMBERS.empty_table(), TRAITS.empty_table(), JOURNEYS.empty_table(), ROLES.empty_table()
    )


def _naive(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(tzinfo=None)


def _aware(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC)


def to_tables(accounts: Mapping[str, AccountState]) -> AccountTables:
    members: list[dict[str, Any]] = []
    roles: list[dict[str, Any]] = []
    traits: list[dict[str, Any]] = []
    journeys: list[dict[str, Any]] = []
    for account_id, state in accounts.items():
        for profile_id, m in state.members.items():
            latest = m.roles[-1][0] if m.roles else None
            members.append(
                {
                    "account_id": account_id,
                    "profile_id": profile_id,
                    "joined_at": _naive(m.joined_at),
                    "group_role": m.group_role,
                    "role_at": None if latest is None else _naive(latest[0]),
                    "role_seq": None if latest is None else latest[1],
                }
            )
            roles.extend(
                {
                    "account_id": account_id,
                    "profile_id": profile_id,
                    "role": role,
                    "at": _naive(at),
                    "seq": seq,
                }
                for (at, seq), role in m.roles
            )
        for key, (value, at, seq) in state.traits.items():
            traits.append(
                {
                    "account_id": account_id,
                    "key": key,
                    "value": _encode(value).decode(),
                    "at": _naive(at),
                    "seq": seq,
                }
            )
        for (model, product), history in state.journeys.items():
            for n, t in enumerate(history):
                journeys.append(
                    {
                        "account_id": account_id,
                        "model": model,
                        "product": product,
                        "n": n,
                        "from_stage": t.from_stage,
                        "to_stage": t.to_stage,
                        "at": _naive(t.at),
                    }
                )
    return AccountTables(
        pa.Table.from_pylist(members, MEMBERS),
        pa.Table.from_pylist(traits, TRAITS),
        pa.Table.from_pylist(journeys, JOURNEYS),
        pa.Table.from_pylist(roles, ROLES),
    )


def from_tables(tables: AccountTables) -> dict[str, AccountState]:
    """In-memory state (journeys only when the table holds them; a rebuild derives them)."""
    out: dict[str, AccountState] = {}

    def account(account_id: str) -> AccountState:
        return out.setdefault(account_id, AccountState())

    stated: dict[tuple[str, str], set[tuple[Stamp, str]]] = {}
    for row in tables.roles.to_pylist():
        stamp = (_aware(row["at"]), int(row["seq"]))
        stated.setdefault((row["account_id"], row["profile_id"]), set()).add((stamp, row["role"]))
    for row in tables.members.to_pylist():
        key = (row["account_id"], row["profile_id"])
        roles = stated.get(key, set())
        if row["group_role"] is not None and row["role_at"] is not None:
            # the latest role; the only one a file written before the roles table holds
            roles.add(((_aware(row["role_at"]), int(row["role_seq"])), row["group_role"]))
        account(row["account_id"]).members[row["profile_id"]] = Membership(
            joined_at=_aware(row["joined_at"]), roles=sorted(roles)
        )
    for row in tables.traits.to_pylist():
        account(row["account_id"]).traits[row["key"]] = (
            _decode(row["value"]),
            _aware(row["at"]),
            int(row["seq"]),
        )
    histories: dict[tuple[str, str, str], list[tuple[int, AccountTransition]]] = {}
    for row in tables.journeys.to_pylist():
        histories.setdefault((row["account_id"], row["model"], row["product"]), []).append(
            (
                row["n"],
                AccountTransition(
                    from_stage=row["from_stage"], to_stage=row["to_stage"], at=_aware(row["at"])
                ),
            )
        )
    for (account_id, model, product), rows in histories.items():
        account(account_id).journeys[(model, product)] = tuple(t for _, t in sorted(rows))
    return out
