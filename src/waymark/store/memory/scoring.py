"""Lead-scoring state in memory (``waymark.scoring.ports.ScoreStore``): the reference backend
the shared store suite holds DuckDB to."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from waymark.scoring.api import LABELS_SCHEMA, SCORES_SCHEMA

_LABEL_KEY = ("subject", "id", "model", "product")


def _keys_in_order(table: pa.Table) -> list[tuple[str, ...]]:
    cols = [table.column(k).to_pylist() for k in _LABEL_KEY]
    return list(zip(*cols, strict=True))


def _keys(table: pa.Table) -> set[tuple[str, ...]]:
    return set(_keys_in_order(table))


class MemoryScoreStore:
    def __init__(self) -> None:
        self._scores = SCORES_SCHEMA.empty_table()
        self._labels = LABELS_SCHEMA.empty_table()
        self._checkpoint = 0

    def checkpoint(self) -> int:
        return self._checkpoint

    def load(self) -> tuple[pa.Table, pa.Table]:
        scores = self._scores.sort_by(
            [(k, "ascending") for k in ("profile_id", "model", "product")]
        )
        labels = self._labels.sort_by([(k, "ascending") for k in _LABEL_KEY])
        return scores, labels

    def save(
        self, *, profiles: Sequence[str], scores: pa.Table, labels: pa.Table, checkpoint: int
    ) -> None:
        gone = pc.is_in(self._scores.column("profile_id"), pa.array(list(profiles), pa.string()))
        kept = self._scores.filter(pc.invert(gone))
        self._scores = pa.concat_tables([kept, scores.cast(SCORES_SCHEMA)])
        replaced = _keys(labels)
        old = self._labels
        keep = [k not in replaced for k in _keys_in_order(old)]
        self._labels = pa.concat_tables(
            [old.filter(pa.array(keep, pa.bool_())), labels.cast(LABELS_SCHEMA)]
        )
        self._checkpoint = checkpoint

    def replace_all(self, *, scores: pa.Table, labels: pa.Table, checkpoint: int) -> None:
        self._scores = scores.cast(SCORES_SCHEMA)
        self._labels = labels.cast(LABELS_SCHEMA)
        self._checkpoint = checkpoint
