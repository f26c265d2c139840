"""The DuckDB store: every port's DuckDB implementation over one database file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from waymark.core.ports import DEFAULT_DEDUPE_WINDOW
from waymark.store.duckdb._database import Database
from waymark.store.duckdb.events import DuckDBEventLog


class DuckDBStore:
    def __init__(
        self,
        data_dir: Path,
        *,
        read_only: bool = False,
        dedupe_window: timedelta = DEFAULT_DEDUPE_WINDOW,
    ) -> None:
        self.data_dir = data_dir
        self.db = Database.open(data_dir, read_only=read_only)
        try:
            self.events = DuckDBEventLog(self.db, dedupe_window=dedupe_window)
        except BaseException:
            self.db.close()
            raise

    @property
    def read_only(self) -> bool:
        return self.db.read_only

    def close(self) -> None:
        self.db.close()
