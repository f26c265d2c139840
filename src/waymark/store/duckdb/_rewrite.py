"""Rewriting tables in place, crash-safely.

A DELETE only marks rows; they stay readable in their row group until the whole group goes.
Emptying a table drops its groups (and index entries), so the checkpoint after it frees their
blocks, which privacy's scrub then overwrites. Each table goes through three steps:

1. copy out: in one transaction, the rows into ``_privacy_copy`` and the table's name into
   ``privacy_rewrite`` (the marker);
2. empty: delete every row, checkpoint;
3. refill: in one transaction, empty the table again, copy the rows back, drop the copy and
   the marker.

A crash leaves either no marker (nothing to do) or a marker with a whole copy beside it, made
after the erasure it follows. ``recover`` runs step 3 for it when the store opens: the rows come
back whether or not the table had been emptied, and nothing erased before the copy returns.
Running it again finds no marker, so it is idempotent.
"""

from __future__ import annotations

import duckdb

COPY = "_privacy_copy"
MARKER = "privacy_rewrite"
SCRATCH = "privacy_scrub"
BOOKKEEPING = (COPY, MARKER, SCRATCH)
"""Tables of the rewrite itself: never rewritten, never swept."""


def ensure_marker(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE TABLE IF NOT EXISTS {MARKER} (table_name VARCHAR NOT NULL)")


def copy_out(con: duckdb.DuckDBPyConnection, table: str) -> None:
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f'CREATE OR REPLACE TABLE {COPY} AS SELECT * FROM "{table}"')
        con.execute(f"INSERT INTO {MARKER} VALUES (?)", [table])
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def empty(con: duckdb.DuckDBPyConnection, table: str) -> None:
    con.execute(f'DELETE FROM "{table}"')
    con.execute("CHECKPOINT")


def refill(con: duckdb.DuckDBPyConnection, table: str) -> None:
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f'DELETE FROM "{table}"')
        con.execute(f'INSERT INTO "{table}" SELECT * FROM {COPY}')
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
        empty(con, str(table))
        refill(con, str(table))


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
