"""A reference accounts store in memory: the port's contract in its plainest form (Arrow tables
and filters), the second backend ``tests/store/test_accounts.py`` runs against."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from waymark.accounts.api import (
    JOURNEYS_SCHEMA,
    MEMBERS_SCHEMA,
    ROLES_SCHEMA,
    TRAITS_SCHEMA,
    AccountTables,
)


class MemoryAccountStore:
    def __init__(self) -> None:
        schemas = (MEMBERS_SCHEMA, TRAITS_SCHEMA, JOURNEYS_SCHEMA, ROLES_SCHEMA)
        self._tables = AccountTables(*(s.empty_table() for s in schemas))
        self._checkpoint = 0
        self._lock = threading.Lock()

    def checkpoint(self) -> int:
        return self._checkpoint

    def load(self) -> AccountTables:
        return self._tables

    def save(self, *, accounts: Sequence[str], tables: AccountTables, checkpoint: int) -> None:
        ids = pa.array(list(accounts), pa.string())
        with self._lock:

            def keep(table: pa.Table) -> pa.Table:
                return table.filter(pc.invert(pc.is_in(table.column("account_id"), ids)))

            self._tables = AccountTables(
                *(
                    pa.concat_tables([keep(old), new.cast(old.schema)])
                    for old, new in zip(self._tables, tables, strict=True)
                )
            )
            self._checkpoint = checkpoint

    def replace_all(self, tables: AccountTables, *, checkpoint: int) -> None:
        with self._lock:
            self._tables = AccountTables(
                *(new.cast(old.schema) for old, new in zip(self._tables, tables, strict=True))
            )
            self._checkpoint = checkpoint
