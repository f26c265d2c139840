"""The DuckDB store: every port's DuckDB implementation over one database file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb

from waymark.core.errors import StorageError, StoreLocked
from waymark.core.ports import DEFAULT_DEDUPE_WINDOW
from waymark.runtime.services import FeatureStores
from waymark.store.duckdb._database import Database
from waymark.store.duckdb.accounts import DuckDBAccountStore
from waymark.store.duckdb.decide import DuckDBCatalogStore, DuckDBDecisionLog
from waymark.store.duckdb.events import DuckDBEventLog
from waymark.store.duckdb.identity import DuckDBProfileStore
from waymark.store.duckdb.journey import DuckDBJourneyStore
from waymark.store.duckdb.orchestrate import DuckDBFlowStore
from waymark.store.duckdb.privacy import DuckDBPrivacyStore


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
            self._open_ports(dedupe_window)
        except duckdb.CatalogException:
            # A read-only open cannot create tables that a newer version added: upgrade the
            # file with a short read-write open, then open it read-only again.
            self.db.close()
            if not read_only:
                raise
            _upgrade(data_dir, dedupe_window)
            self.db = Database.open(data_dir, read_only=True)
            try:
                self._open_ports(dedupe_window)
            except BaseException:
                self.db.close()
                raise
        except BaseException:
            self.db.close()
            raise

    def _open_ports(self, dedupe_window: timedelta) -> None:
        self.events = DuckDBEventLog(self.db, dedupe_window=dedupe_window)
        self.profiles = DuckDBProfileStore(self.db)
        self.journeys = DuckDBJourneyStore(self.db)
        self.decisions = DuckDBDecisionLog(self.db)
        self.catalogs = DuckDBCatalogStore(self.db)
        self.flows = DuckDBFlowStore(self.db)
        self.privacy = DuckDBPrivacyStore(self.db)
        self.accounts = DuckDBAccountStore(self.db)

    @property
    def read_only(self) -> bool:
        return self.db.read_only

    def features(self) -> FeatureStores:
        """The feature ports over this database, for ``runtime.build_services``."""
        return FeatureStores(
            profiles=self.profiles,
            journeys=self.journeys,
            decisions=self.decisions,
            catalogs=self.catalogs,
            flows=self.flows,
            privacy=self.privacy,
            accounts=self.accounts,
        )

    def close(self) -> None:
        if not self.db.read_only:
            self.decisions.close()
        self.db.close()


def _upgrade(data_dir: Path, dedupe_window: timedelta) -> None:
    """Create the tables this version adds, in a data directory an older version wrote."""
    try:
        DuckDBStore(data_dir, dedupe_window=dedupe_window).close()
    except StoreLocked:
        raise StorageError(
            f"the data in {data_dir} was written by an older Waymark and needs its tables"
            " upgraded, but another process holds it; stop that process or go through its API"
        ) from None
