"""Accounts in DuckDB (``waymark.accounts.ports.AccountStore``): memberships, the roles members'
group calls stated, account traits and account journey histories, written and read as Arrow.
As for journeys, no keys or indexes: a save deletes the accounts' rows and inserts them again
in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import duckdb
import pyarrow as pa

from waymark.accounts.api import (
    JOURNEYS_SCHEMA,
    MEMBERS_SCHEMA,
    ROLES_SCHEMA,
    TRAITS_SCHEMA,
    AccountTables,
)
from waymark.core.errors import StorageError
from waymark.store.duckdb._arrow import (
    columns,
    create_tables,
    delete_ids,
    insert_rows,
    read_arrow,
    read_checkpoint,
    set_checkpoint,
)
from waymark.store.duckdb._database import Database

_DDL: Final = """
CREATE TABLE IF NOT EXISTS account_members (
    account_id VARCHAR NOT NULL,
    profile_id VARCHAR NOT NULL,
    joined_at TIMESTAMP NOT NULL,
    group_role VARCHAR,
    role_at TIMESTAMP,
    role_seq BIGINT
);
CREATE TABLE IF NOT EXISTS account_traits (
    account_id VARCHAR NOT NULL,
    key VARCHAR NOT NULL,
    value VARCHAR NOT NULL,
    "at" TIMESTAMP NOT NULL,
    seq BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS account_journeys (
    account_id VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    product VARCHAR NOT NULL,
    n INTEGER NOT NULL,
    from_stage VARCHAR,
    to_stage VARCHAR NOT NULL,
    "at" TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS account_roles (
    account_id VARCHAR NOT NULL,
    profile_id VARCHAR NOT NULL,
    role VARCHAR NOT NULL,
    "at" TIMESTAMP NOT NULL,
    seq BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS account_meta (
    key VARCHAR NOT NULL,
    value BIGINT NOT NULL
);
"""
_GUARD: Final = "account_members"  # a read-only open of an older file may lack the tables
_TABLES: Final = (  # in the order of AccountTables
    ("account_members", MEMBERS_SCHEMA, "account_id, profile_id"),
    ("account_traits", TRAITS_SCHEMA, "account_id, key"),
    ("account_journeys", JOURNEYS_SCHEMA, "account_id, model, product, n"),
    ("account_roles", ROLES_SCHEMA, 'account_id, profile_id, "at", seq'),
)
_ADDED: Final = ("account_roles",)
"""Tables added after the others: a read-only open of a file written before may lack them
alone (its members still hold each one's latest role)."""


class DuckDBAccountStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        create_tables(db, _DDL, "account")

    def save(self, *, accounts: Sequence[str], tables: AccountTables, checkpoint: int) -> None:
        ids = pa.array(list(accounts), pa.string())
        try:
            with self._db.transaction() as con:
                delete_ids(con, (table for table, _, _ in _TABLES), "account_id", ids)
                self._insert(con, tables, checkpoint)
        except duckdb.Error as exc:
            raise StorageError(f"could not save accounts: {exc}") from None

    def replace_all(self, tables: AccountTables, *, checkpoint: int) -> None:
        try:
            with self._db.transaction() as con:
                for table, _, _ in _TABLES:
                    con.execute(f"DELETE FROM {table}")
                self._insert(con, tables, checkpoint)
        except duckdb.Error as exc:
            raise StorageError(f"could not replace accounts: {exc}") from None

    def _insert(
        self, con: duckdb.DuckDBPyConnection, tables: AccountTables, checkpoint: int
    ) -> None:
        for (table, schema, _), rows in zip(_TABLES, tables, strict=True):
            insert_rows(con, table, schema, rows)
        set_checkpoint(con, "account_meta", checkpoint)

    def checkpoint(self) -> int:
        return read_checkpoint(self._db, "account_meta", guard=_GUARD, what="accounts")

    def load(self) -> AccountTables:
        return AccountTables(
            *(
                read_arrow(
                    self._db,
                    f"SELECT {columns(schema)} FROM {table} ORDER BY {order}",
                    guard=table if table in _ADDED else _GUARD,
                    what="accounts",
                    schema=schema,
                )
                for table, schema, order in _TABLES
            )
        )
