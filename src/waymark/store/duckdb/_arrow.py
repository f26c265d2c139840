"""Helpers the DuckDB stores share: creating their tables, and tables written from and read
into Arrow."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import duckdb
import pyarrow as pa

from waymark.core.errors import StorageError
from waymark.store.duckdb._database import Database


def create_tables(db: Database, ddl: str | Sequence[str], what: str) -> None:
    """Run a store's ``CREATE TABLE IF NOT EXISTS`` statements in one transaction, unless the
    file is open read-only: a read-only open (the CLI beside a server) must not write, and
    reads fall back to empty tables where an older file lacks them (``read_arrow``)."""
    if db.read_only:
        return
    try:
        with db.transaction() as con:
            for statement in (ddl,) if isinstance(ddl, str) else ddl:
                con.execute(statement)
    except duckdb.Error as exc:
        raise StorageError(f"could not create the {what} tables: {exc}") from None


def columns(schema: pa.Schema) -> str:
    """The schema's column names, quoted (some, like ``at``, are SQL keywords)."""
    return ", ".join(f'"{name}"' for name in schema.names)


def insert_rows(
    con: duckdb.DuckDBPyConnection, table: str, schema: pa.Schema, rows: pa.Table
) -> None:
    """Append an Arrow table's rows to ``table`` in one statement, by column name."""
    if rows.num_rows == 0:
        return
    con.register("_rows", rows)
    try:
        con.execute(f"INSERT INTO {table} ({columns(schema)}) SELECT {columns(schema)} FROM _rows")
    finally:
        con.unregister("_rows")


def set_checkpoint(con: duckdb.DuckDBPyConnection, meta_table: str, checkpoint: int) -> None:
    """Record the last applied log seq in a ``(key, value)`` meta table."""
    con.execute(f"DELETE FROM {meta_table} WHERE key = 'checkpoint'")
    con.execute(f"INSERT INTO {meta_table} VALUES ('checkpoint', $c)", {"c": checkpoint})


def table_exists(db: Database, table: str) -> bool:
    """Whether ``table`` exists (a read-only open of an older file may lack it)."""
    row = (
        db.cursor()
        .execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = $t", {"t": table}
        )
        .fetchone()
    )
    return bool(row and row[0])


def read_arrow(
    db: Database,
    sql: str,
    *,
    guard: str,
    what: str,
    params: dict[str, object] | None = None,
    schema: pa.Schema | None = None,
) -> pa.Table:
    """``sql``'s rows as Arrow, cast to ``schema`` when given. A read-only open of a file that
    lacks the store's ``guard`` table (written before the feature existed) reads as empty."""
    if db.read_only and not table_exists(db, guard):
        return schema.empty_table() if schema is not None else pa.table({})
    try:
        got = db.cursor().sql(sql, params=params or {}).to_arrow_table()
    except duckdb.Error as exc:
        raise StorageError(f"could not read {what}: {exc}") from None
    return got.cast(schema) if schema is not None and got.schema != schema else got


def read_checkpoint(db: Database, meta_table: str, *, guard: str, what: str) -> int:
    """The last applied log seq ``set_checkpoint`` recorded; 0 before the first save."""
    got = read_arrow(
        db, f"SELECT value FROM {meta_table} WHERE key = 'checkpoint'", guard=guard, what=what
    )
    return int(got.column(0)[0].as_py()) if got.num_rows else 0


def delete_ids(
    con: duckdb.DuckDBPyConnection, tables: Iterable[str], column: str, ids: pa.Array
) -> None:
    """Delete the rows whose ``column`` is one of ``ids`` from each table: a save deletes the
    rows it replaces, then inserts them again (no keys or indexes to upsert on)."""
    con.register("_ids", pa.table({"id": ids}))
    try:
        for table in tables:
            con.execute(f"DELETE FROM {table} WHERE {column} IN (SELECT id FROM _ids)")
    finally:
        con.unregister("_ids")
