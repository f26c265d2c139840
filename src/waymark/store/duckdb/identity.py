"""Identity state in DuckDB: profiles, identifiers, aliases and the merge log, written and
read as Arrow tables (``waymark.identity.ports``).

No primary keys or indexes: a save deletes a profile's rows and inserts them again in one
transaction, which DuckDB's ART indexes do not allow for the same key, and point reads over
a few million identifier rows are a columnar scan of milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pyarrow as pa

from waymark.core.errors import StorageError
from waymark.identity.ports import ALIASES, IDENTIFIERS, MERGES, PROFILES, Snapshot
from waymark.store.duckdb._arrow import (
    columns,
    create_tables,
    delete_ids,
    insert_rows,
    read_arrow,
    read_checkpoint,
    set_checkpoint,
)
from waymark.store.duckdb._database import Database

_DDL = """
CREATE TABLE IF NOT EXISTS identity_profiles (
    profile_id VARCHAR NOT NULL,
    created_seq BIGINT NOT NULL,
    event_count BIGINT NOT NULL,
    first_seen TIMESTAMP,
    last_seen TIMESTAMP,
    channels VARCHAR[],
    traits VARCHAR,
    merged_ids VARCHAR[]
);
CREATE TABLE IF NOT EXISTS identity_identifiers (
    type VARCHAR NOT NULL,
    value VARCHAR NOT NULL,
    profile_id VARCHAR NOT NULL,
    first_seen TIMESTAMP NOT NULL,
    last_seen TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS identity_aliases (
    absorbed_id VARCHAR NOT NULL,
    profile_id VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS identity_merges (
    pos BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    message_id VARCHAR NOT NULL,
    "at" TIMESTAMP NOT NULL,
    kind VARCHAR NOT NULL,
    profile_id VARCHAR,
    other_id VARCHAR,
    identifier_type VARCHAR NOT NULL,
    identifier_value VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    detail VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS identity_meta (
    key VARCHAR NOT NULL,
    value BIGINT NOT NULL
);
"""
_GUARD = "identity_profiles"  # a read-only open of an older file may lack the tables
_TABLES = {
    "profiles": ("identity_profiles", PROFILES),
    "identifiers": ("identity_identifiers", IDENTIFIERS),
    "aliases": ("identity_aliases", ALIASES),
    "merges": ("identity_merges", MERGES),
}


class DuckDBProfileStore:
    """``waymark.identity.ports.ProfileStore`` on DuckDB."""

    def __init__(self, db: Database) -> None:
        self._db = db
        create_tables(db, _DDL, "identity")

    def _read(
        self, sql: str, params: dict[str, object] | None = None, schema: pa.Schema | None = None
    ) -> pa.Table:
        return read_arrow(
            self._db, sql, guard=_GUARD, what="identity state", params=params, schema=schema
        )

    def _table(
        self, name: str, where: str = "", params: dict[str, object] | None = None
    ) -> pa.Table:
        table, schema = _TABLES[name]
        order = " ORDER BY pos" if name == "merges" else ""
        return self._read(f"SELECT {columns(schema)} FROM {table} {where}{order}", params, schema)

    # -- writing -------------------------------------------------------------------------------

    def save(self, changes: Snapshot, *, removed: Sequence[str], checkpoint: int) -> None:
        ids = pa.concat_arrays(
            [
                changes.profiles.column("profile_id").combine_chunks(),
                pa.array(list(removed), pa.string()),
            ]
        )
        owned = ("identity_profiles", "identity_identifiers", "identity_aliases")
        try:
            with self._db.transaction() as con:
                delete_ids(con, owned, "profile_id", ids)
                self._insert(con, changes)
                set_checkpoint(con, "identity_meta", checkpoint)
        except duckdb.Error as exc:
            raise StorageError(f"could not save identity state: {exc}") from None

    def replace(self, snapshot: Snapshot, *, checkpoint: int) -> None:
        try:
            with self._db.transaction() as con:
                for table, _ in _TABLES.values():
                    con.execute(f"DELETE FROM {table}")
                self._insert(con, snapshot)
                set_checkpoint(con, "identity_meta", checkpoint)
        except duckdb.Error as exc:
            raise StorageError(f"could not replace identity state: {exc}") from None

    def _insert(self, con: duckdb.DuckDBPyConnection, snapshot: Snapshot) -> None:
        for field, (table, schema) in _TABLES.items():
            insert_rows(con, table, schema, getattr(snapshot, field))

    # -- reading -------------------------------------------------------------------------------

    def checkpoint(self) -> int:
        return read_checkpoint(self._db, "identity_meta", guard=_GUARD, what="identity state")

    def load(self) -> Snapshot:
        return Snapshot(*(self._table(name) for name in _TABLES))

    def find(self, type: str, value: str) -> str | None:
        got = self._read(
            "SELECT profile_id FROM identity_identifiers WHERE type = $t AND value = $v LIMIT 1",
            {"t": type, "v": value},
        )
        return str(got.column(0)[0].as_py()) if got.num_rows else None

    def canonical(self, profile_id: str) -> str | None:
        got = self._read(
            "SELECT profile_id FROM identity_profiles WHERE profile_id = $p "
            "UNION ALL SELECT profile_id FROM identity_aliases WHERE absorbed_id = $p LIMIT 1",
            {"p": profile_id},
        )
        return str(got.column(0)[0].as_py()) if got.num_rows else None

    def profile_rows(self, profile_id: str) -> Snapshot:
        params: dict[str, object] = {"p": profile_id}
        profiles = self._table("profiles", "WHERE profile_id = $p", params)
        if profiles.num_rows == 0:
            return Snapshot.empty()
        merged = profiles.column("merged_ids")[0].as_py() or []
        names: dict[str, object] = {"ids": [profile_id, *merged]}
        return Snapshot(
            profiles,
            self._table("identifiers", "WHERE profile_id = $p", params),
            self._table("aliases", "WHERE profile_id = $p", params),
            self._table(
                "merges",
                "WHERE list_contains($ids, profile_id) OR list_contains($ids, other_id)",
                names,
            ),
        )

    def search_candidates(self, query: str, limit: int) -> list[str]:
        got = self._read(
            "SELECT profile_id FROM ("
            " SELECT profile_id FROM identity_identifiers WHERE starts_with(lower(value), $q)"
            " UNION SELECT profile_id FROM identity_profiles WHERE contains(lower(traits), $q)"
            ") ORDER BY profile_id LIMIT $n",
            {"q": query.lower(), "n": limit},
        )
        return [str(v) for v in got.column(0).to_pylist()] if got.num_rows else []

    def close(self) -> None:
        """The database belongs to the ``DuckDBStore``; it closes it."""
