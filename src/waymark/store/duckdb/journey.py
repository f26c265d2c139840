"""Journey state in DuckDB: current journeys, their transition histories and the evidence the
stage machine was fed (``waymark.journey.ports.JourneyStore``), written and read as Arrow.

No primary keys or indexes (as for identity): a save deletes a profile's rows and inserts them
again in one transaction, and reads are columnar scans. Histories stay queryable, so "where
was every journey on day D" is one query over the transitions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

import duckdb
import pyarrow as pa

from waymark.core.errors import StorageError
from waymark.journey.api import EVIDENCE_SCHEMA, STATES_SCHEMA, TRANSITIONS_SCHEMA
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

_DDL: Final = """
CREATE TABLE IF NOT EXISTS journey_states (
    model VARCHAR NOT NULL,
    profile_id VARCHAR NOT NULL,
    product VARCHAR NOT NULL,
    stage VARCHAR NOT NULL,
    furthest VARCHAR NOT NULL,
    entered_at TIMESTAMP NOT NULL,
    last_evidence_at TIMESTAMP NOT NULL,
    purchased_at TIMESTAMP,
    level VARCHAR
);
CREATE TABLE IF NOT EXISTS journey_transitions (
    model VARCHAR NOT NULL,
    profile_id VARCHAR NOT NULL,
    product VARCHAR NOT NULL,
    n INTEGER NOT NULL,
    from_stage VARCHAR,
    to_stage VARCHAR NOT NULL,
    "at" TIMESTAMP NOT NULL,
    seq BIGINT NOT NULL,
    message_id VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS journey_evidence (
    model VARCHAR NOT NULL,
    profile_id VARCHAR NOT NULL,
    ts BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    pos INTEGER NOT NULL,
    product VARCHAR NOT NULL,
    mask BIGINT NOT NULL,
    levels VARCHAR,
    purchase BOOLEAN NOT NULL,
    message_id VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS journey_meta (
    key VARCHAR NOT NULL,
    value BIGINT NOT NULL
);
"""
_GUARD: Final = "journey_states"  # a read-only open of an older file may lack the tables
_TABLES: Final = (
    ("journey_states", STATES_SCHEMA),
    ("journey_transitions", TRANSITIONS_SCHEMA),
    ("journey_evidence", EVIDENCE_SCHEMA),
)


def _naive(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


class DuckDBJourneyStore:
    """``waymark.journey.ports.JourneyStore`` on DuckDB."""

    def __init__(self, db: Database) -> None:
        self._db = db
        create_tables(db, _DDL, "journey")

    # -- writing -------------------------------------------------------------------------------

    def save(
        self,
        *,
        profiles: Sequence[str],
        states: pa.Table,
        transitions: pa.Table,
        evidence: pa.Table,
        checkpoint: int,
    ) -> None:
        ids = pa.array(list(profiles), pa.string())
        try:
            with self._db.transaction() as con:
                delete_ids(con, (table for table, _ in _TABLES), "profile_id", ids)
                self._insert(con, (states, transitions, evidence))
                set_checkpoint(con, "journey_meta", checkpoint)
        except duckdb.Error as exc:
            raise StorageError(f"could not save journey state: {exc}") from None

    def replace_all(
        self, *, states: pa.Table, transitions: pa.Table, evidence: pa.Table, checkpoint: int
    ) -> None:
        try:
            with self._db.transaction() as con:
                for table, _ in _TABLES:
                    con.execute(f"DELETE FROM {table}")
                self._insert(con, (states, transitions, evidence))
                set_checkpoint(con, "journey_meta", checkpoint)
        except duckdb.Error as exc:
            raise StorageError(f"could not replace journey state: {exc}") from None

    def _insert(self, con: duckdb.DuckDBPyConnection, tables: Sequence[pa.Table]) -> None:
        for (table, schema), rows in zip(_TABLES, tables, strict=True):
            insert_rows(con, table, schema, rows)

    # -- reading -------------------------------------------------------------------------------

    def _read(
        self, sql: str, params: dict[str, object] | None = None, schema: pa.Schema | None = None
    ) -> pa.Table:
        return read_arrow(
            self._db, sql, guard=_GUARD, what="journey state", params=params, schema=schema
        )

    def checkpoint(self) -> int:
        return read_checkpoint(self._db, "journey_meta", guard=_GUARD, what="journey state")

    def evidence(self, profile_ids: Sequence[str]) -> pa.Table:
        if not profile_ids:
            return EVIDENCE_SCHEMA.empty_table()
        return self._read(
            f"SELECT {columns(EVIDENCE_SCHEMA)} FROM journey_evidence "
            "WHERE list_contains($ids, profile_id) ORDER BY profile_id, ts, seq, pos",
            {"ids": list(profile_ids)},
            EVIDENCE_SCHEMA,
        )

    def journeys(self, profile_id: str) -> tuple[pa.Table, pa.Table]:
        params: dict[str, object] = {"p": profile_id}
        states = self._read(
            f"SELECT {columns(STATES_SCHEMA)} FROM journey_states WHERE profile_id = $p "
            "ORDER BY model, product",
            params,
            STATES_SCHEMA,
        )
        transitions = self._read(
            f"SELECT {columns(TRANSITIONS_SCHEMA)} FROM journey_transitions "
            "WHERE profile_id = $p ORDER BY model, product, n",
            params,
            TRANSITIONS_SCHEMA,
        )
        return states, transitions

    def states(self) -> pa.Table:
        return self._read(
            f"SELECT {columns(STATES_SCHEMA)} FROM journey_states "
            "ORDER BY profile_id, model, product",
            None,
            STATES_SCHEMA,
        )

    def current(self, model: str, product: str | None = None) -> pa.Table:
        where = "WHERE model = $m" + (" AND product = $q" if product is not None else "")
        params: dict[str, object] = {"m": model}
        if product is not None:
            params["q"] = product
        return self._read(
            "SELECT stage, entered_at, last_evidence_at, purchased_at FROM journey_states " + where,
            params,
            pa.schema(
                [
                    ("stage", pa.string()),
                    ("entered_at", pa.timestamp("us")),
                    ("last_evidence_at", pa.timestamp("us")),
                    ("purchased_at", pa.timestamp("us")),
                ]
            ),
        )

    def stages_as_of(self, model: str, when: datetime) -> pa.Table:
        return self._read(
            "SELECT profile_id, product, arg_max(to_stage, n) AS stage FROM journey_transitions "
            'WHERE model = $m AND "at" <= $w GROUP BY profile_id, product '
            "ORDER BY profile_id, product",
            {"m": model, "w": _naive(when)},
            pa.schema(
                [("profile_id", pa.string()), ("product", pa.string()), ("stage", pa.string())]
            ),
        )

    def products(self, model: str) -> list[str]:
        got = self._read(
            "SELECT DISTINCT product FROM journey_states WHERE model = $m ORDER BY product",
            {"m": model},
        )
        return [str(v) for v in got.column(0).to_pylist()] if got.num_rows else []
