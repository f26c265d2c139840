"""The DuckDB store: every port's DuckDB implementation over one database file."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import duckdb

from waymark.core.errors import StorageError, StoreLocked
from waymark.core.ports import DEFAULT_DEDUPE_WINDOW
from waymark.runtime.services import FeatureStores
from waymark.store.duckdb._database import Database
from waymark.store.duckdb._rewrite import recover, rewrite_pending
from waymark.store.duckdb.accounts import DuckDBAccountStore
from waymark.store.duckdb.decide import (
    DuckDBAudienceHistory,
    DuckDBCatalogStore,
    DuckDBDecisionLog,
)
from waymark.store.duckdb.events import DuckDBEventLog
from waymark.store.duckdb.identity import DuckDBProfileStore
from waymark.store.duckdb.journey import DuckDBJourneyStore
from waymark.store.duckdb.orchestrate import DuckDBFlowStore
from waymark.store.duckdb.privacy import DuckDBPrivacyStore
from waymark.store.duckdb.scoring import DuckDBScoreStore

log = logging.getLogger(__name__)


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
        except (duckdb.CatalogException, _NeedsWrite):
            # A read-only open cannot create tables that a newer version added, nor finish a
            # rewrite a crash interrupted: upgrade the file with a short read-write open, then
            # open it read-only again.
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
        # before any store reads its tables: a crash inside privacy's rewrite may have left one
        # of them empty with its rows in the copy beside it
        with self.db.write_lock:
            if not self.db.read_only:
                recover(self.db.cursor())
            elif rewrite_pending(self.db.cursor()):
                raise _NeedsWrite
        self.events = DuckDBEventLog(self.db, dedupe_window=dedupe_window)
        self.profiles = DuckDBProfileStore(self.db)
        self.journeys = DuckDBJourneyStore(self.db)
        self.decisions = DuckDBDecisionLog(self.db)
        self.catalogs = DuckDBCatalogStore(self.db)
        self.audiences = DuckDBAudienceHistory(self.db)
        self.flows = DuckDBFlowStore(self.db)
        self.privacy = DuckDBPrivacyStore(self.db)
        self.scores = DuckDBScoreStore(self.db)
        self.accounts = DuckDBAccountStore(self.db)
        if not self.db.read_only and self.privacy.scrub_pending():
            # an erasure's wipe of freed space failed or was killed: the erased rows may
            # still be readable in the file until it has run
            log.warning("finishing an interrupted privacy scrub of %s", self.db.path)
            self.privacy.scrub()

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
            audiences=self.audiences,
            flows=self.flows,
            privacy=self.privacy,
            scores=self.scores,
            accounts=self.accounts,
        )

    def close(self) -> None:
        if not self.db.read_only:
            self.decisions.close()
        self.db.close()


class _NeedsWrite(Exception):
    """The file needs a read-write open before it can be read (an interrupted rewrite)."""


def _upgrade(data_dir: Path, dedupe_window: timedelta) -> None:
    """Create the tables this version adds, in a data directory an older version wrote."""
    try:
        DuckDBStore(data_dir, dedupe_window=dedupe_window).close()
    except StoreLocked:
        raise StorageError(
            f"the data in {data_dir} was written by an older Waymark and needs its tables"
            " upgraded, but another process holds it; stop that process or go through its API"
        ) from None
