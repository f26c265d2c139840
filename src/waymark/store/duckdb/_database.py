"""One DuckDB database file in the data directory, opened once per process.

DuckDB allows one read-write process per file. Opening a directory that another process holds
raises ``StoreLocked`` naming that process, so the CLI can go through the server's API instead.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from waymark.core.errors import ConfigError, StorageError, StoreLocked

DB_FILENAME = "waymark.duckdb"
_PID = re.compile(r"PID (\d+)")


class Database:
    """The connection and a lock that serialises writers within this process.

    Readers use ``cursor()``: each cursor is its own connection to the same database, so
    reads from request threads do not wait for the writer's transaction.
    """

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        self.write_lock = threading.RLock()
        try:
            self._con = duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" in text.lower():
                pid = _PID.search(text)
                holder = f" (process {pid.group(1)})" if pid else ""
                raise StoreLocked(
                    f"the data directory {path.parent} is in use by another Waymark process"
                    f"{holder}",
                    pid=int(pid.group(1)) if pid else None,
                ) from None
            raise StorageError(f"cannot open {path}: {text}") from None
        except duckdb.Error as exc:
            raise StorageError(f"cannot open {path}: {exc}") from None

    @classmethod
    def open(cls, data_dir: Path, *, read_only: bool = False) -> Database:
        if data_dir.exists() and not data_dir.is_dir():
            raise ConfigError(f"--data {data_dir} is a file, not a directory", field="data_dir")
        if read_only:
            if not (data_dir / DB_FILENAME).exists():
                raise ConfigError(
                    f"no Waymark data in {data_dir} (expected {DB_FILENAME})", field="data_dir"
                )
        else:
            try:
                data_dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigError(
                    f"cannot create data directory {data_dir}: {exc.strerror}", field="data_dir"
                ) from None
        return cls(data_dir / DB_FILENAME, read_only=read_only)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self._con.cursor()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write transaction on the shared connection, serialised within the process."""
        with self.write_lock:
            con = self._con
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def execute(self, sql: str, params: list[object] | None = None) -> None:
        with self.write_lock:
            self._con.execute(sql, params)

    def close(self) -> None:
        with self.write_lock:
            self._con.close()
