"""Lead-scoring state in DuckDB (``waymark.scoring.ports.ScoreStore``), written and read as
Arrow: engagement per profile, the last label of every subject, and the checkpoint.

No keys or indexes (as for journeys): a save deletes the rows it replaces and inserts them in
one transaction; the whole state is read once at start-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import duckdb
import pyarrow as pa

from waymark.core.errors import StorageError
from waymark.scoring.api import LABELS_SCHEMA, SCORES_SCHEMA
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
CREATE TABLE IF NOT EXISTS scoring_engagement (
    profile_id VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    product VARCHAR NOT NULL,
    log_total DOUBLE NOT NULL,
    top VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS scoring_labels (
    subject VARCHAR NOT NULL,
    id VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    product VARCHAR NOT NULL,
    label VARCHAR,
    crossings BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS scoring_meta (key VARCHAR NOT NULL, value BIGINT NOT NULL);
"""
_SCORES_COLUMNS: Final = columns(SCORES_SCHEMA)
_LABEL_COLUMNS: Final = columns(LABELS_SCHEMA)


class DuckDBScoreStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        create_tables(db, _DDL, "scoring")

    def save(
        self, *, profiles: Sequence[str], scores: pa.Table, labels: pa.Table, checkpoint: int
    ) -> None:
        ids = pa.array(list(profiles), pa.string())
        try:
            with self._db.transaction() as con:
                delete_ids(con, ("scoring_engagement",), "profile_id", ids)
                con.register("_labels", labels)
                try:
                    con.execute(
                        "DELETE FROM scoring_labels l USING _labels n WHERE l.subject = n.subject "
                        "AND l.id = n.id AND l.model = n.model AND l.product = n.product"
                    )
                finally:
                    con.unregister("_labels")
                self._insert(con, scores, labels)
                set_checkpoint(con, "scoring_meta", checkpoint)
        except duckdb.Error as exc:
            raise StorageError(f"could not save scores: {exc}") from None

    def replace_all(self, *, scores: pa.Table, labels: pa.Table, checkpoint: int) -> None:
        try:
            with self._db.transaction() as con:
                con.execute("DELETE FROM scoring_engagement")
                con.execute("DELETE FROM scoring_labels")
                self._insert(con, scores, labels)
                set_checkpoint(con, "scoring_meta", checkpoint)
        except duckdb.Error as exc:
            raise StorageError(f"could not replace scores: {exc}") from None

    def _insert(self, con: duckdb.DuckDBPyConnection, scores: pa.Table, labels: pa.Table) -> None:
        insert_rows(con, "scoring_engagement", SCORES_SCHEMA, scores)
        insert_rows(con, "scoring_labels", LABELS_SCHEMA, labels)

    def _read(self, sql: str, schema: pa.Schema) -> pa.Table:
        return read_arrow(self._db, sql, guard="scoring_meta", what="scores", schema=schema)

    def checkpoint(self) -> int:
        return read_checkpoint(self._db, "scoring_meta", guard="scoring_meta", what="scores")

    def load(self) -> tuple[pa.Table, pa.Table]:
        scores = self._read(
            f"SELECT {_SCORES_COLUMNS} FROM scoring_engagement ORDER BY profile_id, model, product",
            SCORES_SCHEMA,
        )
        labels = self._read(
            f"SELECT {_LABEL_COLUMNS} FROM scoring_labels ORDER BY subject, id, model, product",
            LABELS_SCHEMA,
        )
        return scores, labels
