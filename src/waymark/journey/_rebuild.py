"""Batch rebuild: the evidence rules run as SQL over Arrow batches of the log (vectorised), and
only the evidence rows (far fewer than events) go through the stage machine, profile by profile.

The result is a ``StreamingEngine`` holding exactly the state streaming the same events would
have built, so the runtime can keep streaming from the rebuilt state.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from waymark.journey._engine import StreamingEngine
from waymark.journey._machine import Evidence
from waymark.journey._sql import CATALOG, evidence_query
from waymark.journey.contracts import JourneyModel

_RELATION = "_journey_events"


def evidence_tables(
    models: Sequence[JourneyModel],
    batches: Iterable[tuple[pa.RecordBatch, pa.Array]],
) -> list[pa.Table]:
    """One table of evidence rows per model, sorted by (profile, time, seq, position).

    ``batches`` pairs each scanned batch (``EVENT_SCHEMA`` columns) with the resolved profile
    id of each of its rows (a string array of the same length).
    """
    con = duckdb.connect()
    try:
        queries = [evidence_query(m, _RELATION) for m in models]
        parts: list[list[pa.Table]] = [[] for _ in models]
        for batch, profile_ids in batches:
            if len(profile_ids) != batch.num_rows:
                raise ValueError("one profile id per event is needed")
            table = pa.Table.from_batches([batch]).append_column(
                "profile_id", pa.array(profile_ids, pa.string())
            )
            con.register(_RELATION, table)
            try:
                for m, (model, (sql, _)) in enumerate(zip(models, queries, strict=True)):
                    if model.content.catalog and model.content.rules:
                        con.register(CATALOG, _catalog(model))
                    parts[m].append(con.sql(sql).to_arrow_table())
            finally:
                con.unregister(_RELATION)
        out: list[pa.Table] = []
        for m, tables in enumerate(parts):
            if not tables:
                out.append(pa.table({}))
                continue
            table = pa.concat_tables(tables)
            order = pc.sort_indices(
                table,
                sort_keys=[
                    ("profile_id", "ascending"),
                    ("ts", "ascending"),
                    ("seq", "ascending"),
                    ("pos", "ascending"),
                ],
            )
            out.append(table.take(order))
            del parts[m][:]
        return out
    finally:
        con.close()


def _catalog(model: JourneyModel) -> pa.Table:
    entries = model.content.catalog
    positions = {s.name: i for i, s in enumerate(model.stages)}
    return pa.table(
        {
            "content_id": pa.array([cid for cid, _, _ in entries], pa.string()),
            "stage_pos": pa.array([positions[stage] for _, stage, _ in entries], pa.int64()),
            "level_pos": pa.array(
                [model.stages[positions[stage]].level_index(level) for _, stage, level in entries],
                pa.int64(),
            ),
        }
    )


def rebuild(
    models: Sequence[JourneyModel],
    batches: Iterable[tuple[pa.RecordBatch, pa.Array]],
) -> StreamingEngine:
    """Place every profile from the whole log at once."""
    engine = StreamingEngine(models)
    tables = evidence_tables(models, batches)
    for model, table in zip(models, tables, strict=True):
        if table.num_rows == 0:
            continue
        leveled = [
            (i, table.column(f"lv_{i}").to_pylist())
            for i, stage in enumerate(model.stages)
            if stage.levels
        ]
        profile_ids = table.column("profile_id").to_pylist()
        rows = zip(
            table.column("ts").to_pylist(),
            table.column("seq").to_pylist(),
            table.column("pos").to_pylist(),
            table.column("product").to_pylist(),
            table.column("mask").to_pylist(),
            table.column("purchase").to_pylist(),
            table.column("message_id").to_pylist(),
            strict=True,
        )
        items: list[Evidence] = []
        current: str = profile_ids[0]
        for n, (ts, seq, pos, product, mask, purchase, message_id) in enumerate(rows):
            profile = profile_ids[n]
            if profile != current:
                engine.restore(current, model.name, items)
                items = []
                current = profile
            levels = tuple((i, col[n]) for i, col in leveled if col[n] >= 0)
            items.append(Evidence(ts, seq, pos, product, mask, levels, purchase, message_id))
        engine.restore(current, model.name, items)
    engine.refold_all()
    return engine
