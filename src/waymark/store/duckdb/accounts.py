"""Accounts in DuckDB (``waymark.accounts.ports.AccountStore``): memberships, account traits
and account journey histories, written and read as Arrow. As for journeys, no keys or indexes:
a save deletes the accounts' rows and inserts them again in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import duckdb
import pyarrow as pa

from waymark.accounts.api import JOURNEYS_SCHEMA, MEMBERS_SCHEMA, TRAITS_SCHEMA, AccountTables
from waymark.core.errors import StorageError
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
CREATE TABLE IF NOT EXISTS account_meta (
    key VARCHAR NOT NULL,
    value BIGINT NOT NULL
);
"""
_TABLES: Final = (
    ("account_members", MEMBERS_SCHEMA, "account_id, profile_id"),
    ("account_traits", TRAITS_SCHEMA, "account_id, key"),
    ("account_journeys", JOURNEYS_SCHEMA, "account_id, model, product, n"),
)


def _columns(schema: pa.Schema) -> str:
    return ", ".join(f'"{name}"' for name in schema.names)  # "at" is a keyword


class DuckDBAccountStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        if not db.read_only:
            try:
                with db.transaction() as con:
                    con.execute(_DDL)
            except duckdb.Error as exc:
                raise StorageError(f"could not create the account tables: {exc}") from None

    def save(self, *, accounts: Sequence[str], tables: AccountTables, checkpoint: int) -> None:
        ids = pa.table({"id": pa.array(list(accounts), pa.string())})
        try:
            with self._db.transaction() as con:
                con.register("_ids", ids)
                try:
                    for table, _, _ in _TABLES:
                        con.execute(
                            f"DELETE FROM {table} WHERE account_id IN (SELECT id FROM _ids)"
                        )
                finally:
                    con.unregister("_ids")
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
            if rows.num_rows == 0:
                continue
            con.register("_rows", rows)
            try:
                con.execute(
                    f"INSERT INTO {table} ({_columns(schema)}) SELECT {_columns(schema)} FROM _rows"
                )
            finally:
                con.unregister("_rows")
        con.execute("DELETE FROM account_meta WHERE key = 'checkpoint'")
        con.execute("INSERT INTO account_meta VALUES ('checkpoint', $c)", {"c": checkpoint})

    def _read(self, sql: str, schema: pa.Schema | None = None) -> pa.Table:
        if self._db.read_only and not self._exists():
            return schema.empty_table() if schema is not None else pa.table({})
        try:
            got = self._db.cursor().sql(sql).to_arrow_table()
        except duckdb.Error as exc:
            raise StorageError(f"could not read accounts: {exc}") from None
        return got.cast(schema) if schema is not None and got.schema != schema else got

    def _exists(self) -> bool:
        row = (
            self._db.cursor()
            .execute(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_name = 'account_members'"
            )
            .fetchone()
        )
        return bool(row and row[0])

    def checkpoint(self) -> int:
        got = self._read("SELECT value FROM account_meta WHERE key = 'checkpoint'")
        return int(got.column(0)[0].as_py()) if got.num_rows else 0

    def load(self) -> AccountTables:
        return AccountTables(
            *(
                self._read(f"SELECT {_columns(schema)} FROM {table} ORDER BY {order}", schema)
                for table, schema, order in _TABLES
            )
        )
