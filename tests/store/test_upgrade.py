"""A data directory written by an older version (fewer tables) still opens read-only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from waymark.core.errors import StorageError
from waymark.store.duckdb.store import DuckDBStore


def _older_data_dir(path: Path) -> None:
    store = DuckDBStore(path)
    store.db.execute("DROP TABLE decide_offers")
    store.close()


def test_read_only_open_upgrades_an_older_data_dir(tmp_path: Path) -> None:
    _older_data_dir(tmp_path)

    store = DuckDBStore(tmp_path, read_only=True)
    try:
        assert store.read_only
        tables = {row[0] for row in store.db.cursor().execute("SHOW TABLES").fetchall()}
        assert "decide_offers" in tables
    finally:
        store.close()


def test_upgrade_is_refused_clearly_while_another_process_reads(tmp_path: Path) -> None:
    _older_data_dir(tmp_path)
    # another process holding the file read-only blocks the read-write upgrade
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(tmp_path / "waymark.duckdb")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(StorageError, match="older Waymark"):
            DuckDBStore(tmp_path, read_only=True)
    finally:
        holder.kill()
        holder.communicate()


_HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("holding", flush=True)
time.sleep(120)
"""
