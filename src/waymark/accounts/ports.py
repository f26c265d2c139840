"""What the accounts feature needs from storage. ``waymark.store.duckdb.accounts`` and
``waymark.store.memory.accounts`` implement it (one contract suite runs against both).

Tables are Arrow with the schemas of ``waymark.accounts._tables`` (``MEMBERS``, ``TRAITS``,
``JOURNEYS``, ``ROLES``); times are naive UTC ``timestamp[us]``. Every write is atomic with its
checkpoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol, runtime_checkable

import pyarrow as pa


class AccountTables(NamedTuple):
    members: pa.Table
    """``account_id``, ``profile_id``, ``joined_at``, ``group_role``, ``role_at``, ``role_seq``
    (the latest role a group call stated, and that call's time and seq)."""
    traits: pa.Table
    """``account_id``, ``key``, ``value`` (JSON text), ``at``, ``seq``: the latest value."""
    journeys: pa.Table
    """``account_id``, ``model``, ``product``, ``n``, ``from_stage``, ``to_stage``, ``at``."""
    roles: pa.Table
    """``account_id``, ``profile_id``, ``role``, ``at``, ``seq``: every role a member's group
    calls stated (``members`` holds the latest)."""


@runtime_checkable
class AccountStore(Protocol):
    def checkpoint(self) -> int:
        """The last log seq whose effects are stored (0 when nothing is)."""
        ...

    def load(self) -> AccountTables:
        """Everything stored (accounts are few next to events: streaming keeps them all)."""
        ...

    def save(self, *, accounts: Sequence[str], tables: AccountTables, checkpoint: int) -> None:
        """Replace every row of ``accounts`` by the given rows (which belong to them) and set
        the checkpoint, atomically."""
        ...

    def replace_all(self, tables: AccountTables, *, checkpoint: int) -> None:
        """Replace everything (a rebuild), atomically."""
        ...
