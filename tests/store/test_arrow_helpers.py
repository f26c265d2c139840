"""The helpers the DuckDB stores share: tables created unless read-only, reads that answer
empty where a read-only open lacks the store's tables, checkpoints, and deletes by id."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from waymark.core.errors import StorageError
from waymark.store.duckdb._arrow import (
    create_tables,
    delete_ids,
    read_arrow,
    read_checkpoint,
    set_checkpoint,
    table_exists,
)
from waymark.store.duckdb._database import Database

_DDL = (
    "CREATE TABLE IF NOT EXISTS t_rows (profile_id VARCHAR NOT NULL, n BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS t_meta (key VARCHAR NOT NULL, value BIGINT NOT NULL)",
)
_SCHEMA = pa.schema([("profile_id", pa.string()), ("n", pa.int64())])


def test_tables_are_created_and_checkpoints_read_back(tmp_path: Path) -> None:
    db = Database(tmp_path / "w.duckdb")
    try:
        create_tables(db, _DDL, "test")
        assert read_checkpoint(db, "t_meta", guard="t_rows", what="test") == 0
        with db.transaction() as con:
            set_checkpoint(con, "t_meta", 41)
            set_checkpoint(con, "t_meta", 42)
        assert read_checkpoint(db, "t_meta", guard="t_rows", what="test") == 42
    finally:
        db.close()


def test_delete_ids_removes_only_those_ids_from_every_table(tmp_path: Path) -> None:
    db = Database(tmp_path / "w.duckdb")
    try:
        create_tables(db, (*_DDL, _DDL[0].replace("t_rows", "t_more")), "test")
        with db.transaction() as con:
            for table in ("t_rows", "t_more"):
                con.execute(f"INSERT INTO {table} VALUES ('a', 1), ('b', 2), ('c', 3)")
            delete_ids(con, ("t_rows", "t_more"), "profile_id", pa.array(["a", "c"]))
        for table in ("t_rows", "t_more"):
            got = read_arrow(db, f"SELECT * FROM {table}", guard="t_rows", what="test")
            assert got.column("profile_id").to_pylist() == ["b"]
    finally:
        db.close()


def test_a_read_only_open_without_the_tables_creates_nothing_and_reads_empty(
    tmp_path: Path,
) -> None:
    Database(tmp_path / "w.duckdb").close()  # a file from before the store existed
    db = Database(tmp_path / "w.duckdb", read_only=True)
    try:
        create_tables(db, _DDL, "test")
        assert not table_exists(db, "t_rows")
        got = read_arrow(db, "SELECT * FROM t_rows", guard="t_rows", what="test", schema=_SCHEMA)
        assert got.schema == _SCHEMA and got.num_rows == 0
        assert read_checkpoint(db, "t_meta", guard="t_rows", what="test") == 0
    finally:
        db.close()


def test_a_failed_read_is_a_storage_error_naming_what_was_read(tmp_path: Path) -> None:
    db = Database(tmp_path / "w.duckdb")
    try:
        with pytest.raises(StorageError, match="could not read test rows"):
            read_arrow(db, "SELECT * FROM no_such_table", guard="t_rows", what="test rows")
        with pytest.raises(StorageError, match="could not create the test tables"):
            create_tables(db, "CREATE TABLE broken (", "test")
    finally:
        db.close()
