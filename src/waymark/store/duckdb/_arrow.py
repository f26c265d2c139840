"""Helpers the DuckDB stores share for tables written from and read into Arrow."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from waymark.store.duckdb._database import Database


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
