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
from waymark.store.duckdb._arrow import columns, insert_rows, set_checkpoint, table_exists
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
        if not db.read_only:
            try:
                with db.transaction() as con:
                    con.execute(_DDL)
            except duckdb.Error as exc:
                raise StorageError(f"could not create the scoring tables: {exc}") from None

    def save(
        self, *, profiles: Sequence[str], scores: pa.Table, labels: pa.Table, checkpoint: int
    ) -> None:
        ids = pa.table({"id": pa.array(list(profiles), pa.string())})
        try:
            with self._db.transaction() as con:
                con.register("_ids", ids)
                con.register("_labels", labels)
                try:
                    con.execute(
                        "DELETE FROM scoring_engagement WHERE profile_id IN (SELECT id FROM _ids)"
                    )
                    con.execute(
                        "DELETE FROM scoring_labels l USING _labels n WHERE l.subject = n.subject "
                        "AND l.id = n.id AND l.model = n.model AND l.product = n.product"
                    )
                finally:
                    con.unregister("_ids")
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

    def _read(self, sql: str, schema: pa.Schema | None = None) -> pa.Table:
        if self._db.read_only and not table_exists(self._db, "scoring_meta"):
            return schema.empty_table() if schema is not None else pa.table({})
        try:
            got = self._db.cursor().sql(sql).to_arrow_table()
        except duckdb.Error as exc:
            raise StorageError(f"could not read scores: {exc}") from None
        return got.cast(schema) if schema is not None and got.schema != schema else got

    def checkpoint(self) -> int:
        got = self._read("SELECT value FROM scoring_meta WHERE key = 'checkpoint'")
        return int(got.column(0)[0].as_py()) if got.num_rows else 0

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
