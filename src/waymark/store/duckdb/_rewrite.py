"""Rewriting tables in place, crash-safely, while the server keeps reading them.

A DELETE only marks rows; they stay readable in their row group until the whole group goes, and
a table's column statistics (min/max strings, kept in the file's metadata) only ever widen, so
an erased value can live on as a bound. Dropping the table and creating it again from its own
DDL frees every block of it and starts its statistics afresh; privacy's scrub then overwrites
the freed blocks. Each table goes through two transactions and a checkpoint:

1. copy out: the rows into ``_privacy_copy`` and the table's name, its ``CREATE TABLE`` and its
   indexes' ``CREATE INDEX`` into ``privacy_rewrite`` (the marker);
2. refill: drop the table, create it and its indexes again, copy the rows back, drop the copy
   and the marker. Other connections see the old table or the new one, never none (a reader
   between a separate drop and refill failed with "table does not exist");
3. checkpoint, so the old table's blocks are free for the scrub.

A crash leaves either no marker (nothing to do) or a marker with a whole copy beside it, made
after the erasure it follows. ``recover`` runs step 2 for it when the store opens: the table
comes back whole and nothing erased before the copy returns. Running it again finds no
marker, so it is idempotent.
"""

from __future__ import annotations

import time

import duckdb

COPY = "_privacy_copy"
MARKER = "privacy_rewrite"
SCRATCH = "privacy_scrub"
PENDING = "privacy_scrub_pending"
"""A row while a scrub is under way: one that failed or was killed runs again at the next
read-write open (until then the erased rows may be readable in freed blocks)."""
BOOKKEEPING = (COPY, MARKER, SCRATCH, PENDING)
"""Tables of the rewrite itself: never rewritten, never swept."""


def ensure_marker(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {MARKER} (table_name VARCHAR NOT NULL, "
        "create_sql VARCHAR NOT NULL, index_sql VARCHAR[] NOT NULL)"
    )


def copy_out(con: duckdb.DuckDBPyConnection, table: str) -> None:
    con.execute("BEGIN TRANSACTION")
    try:
        row = con.execute(
            "SELECT sql FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?",
            [table],
        ).fetchone()
        if row is None:
            raise LookupError(f"no table {table!r}")
        indexes = con.execute(
            "SELECT sql FROM duckdb_indexes() WHERE schema_name = 'main' AND table_name = ? "
            "AND sql IS NOT NULL",
            [table],
        ).fetchall()
        con.execute(f'CREATE OR REPLACE TABLE {COPY} AS SELECT * FROM "{table}"')
        con.execute(
            f"INSERT INTO {MARKER} VALUES (?, ?, ?)", [table, row[0], [i[0] for i in indexes]]
        )
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def checkpoint(con: duckdb.DuckDBPyConnection, *, wait_s: float = 30.0) -> None:
    """``CHECKPOINT``, waiting out other connections' transactions: DuckDB refuses while a
    write transaction is open (a registered Arrow view counts), or a read that began before
    the last write; this process holds either for milliseconds (the event log scans in short
    queries for this reason). ``FORCE CHECKPOINT`` would abort them."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            con.execute("CHECKPOINT")
            return
        except duckdb.TransactionException as exc:
            if "other write transactions" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def refill(con: duckdb.DuckDBPyConnection, table: str) -> None:
    con.execute("BEGIN TRANSACTION")
    try:
        row = con.execute(
            f"SELECT create_sql, index_sql FROM {MARKER} WHERE table_name = ?", [table]
        ).fetchone()
        if row is None:
            raise LookupError(f"no rewrite of {table!r} in progress")
        con.execute(f'DROP TABLE IF EXISTS "{table}"')
        con.execute(row[0])
        con.execute(f'INSERT INTO "{table}" SELECT * FROM {COPY}')
        for index in row[1]:
            con.execute(index)
        con.execute(f"DROP TABLE {COPY}")
        con.execute(f"DELETE FROM {MARKER}")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def rewrite_all(con: duckdb.DuckDBPyConnection) -> None:
    """Copy every table out and back (the caller holds the write lock)."""
    recover(con)  # a marker left by a failed run names rows the next copy would overwrite
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_type = 'BASE TABLE'"
    ).fetchall()
    for (table,) in rows:
        if table in BOOKKEEPING:
            continue
        copy_out(con, str(table))
        refill(con, str(table))
        checkpoint(con)  # frees the old table's blocks for the scrub to overwrite


def rewrite_pending(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a rewrite was interrupted (for a read-only open, which cannot finish it)."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?",
        [MARKER],
    ).fetchone()
    if not exists or not int(exists[0]):
        return False
    row = con.execute(f"SELECT count(*) FROM {MARKER}").fetchone()
    return bool(row and int(row[0]))


def recover(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Finish a rewrite a crash interrupted; returns the tables restored (usually none)."""
    ensure_marker(con)
    pending = [str(r[0]) for r in con.execute(f"SELECT table_name FROM {MARKER}").fetchall()]
    if pending:
        refill(con, pending[0])  # one table is in flight at a time
    con.execute(f"DROP TABLE IF EXISTS {COPY}")  # a copy without a marker was never used
    con.execute(f"DROP TABLE IF EXISTS {SCRATCH}")  # random bytes from an interrupted scrub
    return pending
