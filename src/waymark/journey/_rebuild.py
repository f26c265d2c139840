"""Batch rebuild: the evidence rules run as SQL over Arrow batches of the log (vectorised), and
the stage machine runs over the evidence rows (``_fold``), giving exactly the state streaming
the same events gives, as Arrow tables ready for the store."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from waymark.journey._fold import fold
from waymark.journey._machine import ModelRules
from waymark.journey._sql import CALLS, catalog_relation, evidence_query
from waymark.journey._tables import EVIDENCE, STATES, TRANSITIONS
from waymark.journey.contracts import JourneyModel

_RELATION = "_journey_events"


@dataclass(frozen=True)
class Rebuilt:
    """Every journey of every profile, as the store keeps them (``_tables`` schemas)."""

    states: pa.Table
    transitions: pa.Table
    evidence: pa.Table
    events: int
    """Events read."""


def evidence_tables(
    models: Sequence[JourneyModel],
    batches: Iterable[tuple[pa.RecordBatch, pa.Array]],
) -> tuple[list[pa.Table], int]:
    """One table of evidence rows per model, grouped by profile and in (time, seq, position)
    order within a profile, and the number of events read.

    ``batches`` pairs each scanned batch (``EVENT_SCHEMA`` columns) with the resolved profile
    id of each of its rows (a string array of the same length). One query per batch finds the
    evidence of every model at once (each event and JSON path read once); the rows are sorted
    once, then split per model and per product.
    """
    query = evidence_query(models, _RELATION)
    con = duckdb.connect()
    events = 0
    parts: list[pa.Table] = []
    try:
        con.register(CALLS, query.calls)
        for m, model in enumerate(models):
            if model.content.catalog and model.content.rules:
                con.register(catalog_relation(m), _catalog(model))
        for batch, profile_ids in batches:
            if len(profile_ids) != batch.num_rows:
                raise ValueError("one profile id per event is needed")
            events += batch.num_rows
            table = pa.Table.from_batches([batch]).append_column(
                "profile_id", pa.array(profile_ids, pa.string())
            )
            con.register(_RELATION, table)
            try:
                parts.append(con.sql(query.sql).to_arrow_table())
            finally:
                con.unregister(_RELATION)
    finally:
        con.close()
    if not parts:
        return [_empty_evidence(model) for model in models], events
    found = pa.concat_tables(parts).combine_chunks()
    # Group by profile in time order. Any order of profiles will do, so sort by dictionary
    # codes (integers) instead of the id strings.
    codes = pc.dictionary_encode(found.column("profile_id")).combine_chunks().indices
    order = np.lexsort(
        (
            found.column("seq").to_numpy(),
            found.column("ts").to_numpy(),
            codes.to_numpy(zero_copy_only=False),
        )
    )
    return [
        _per_model(found, order, m, query.leveled[m], query.product_group[m])
        for m in range(len(models))
    ], events


def _empty_evidence(model: JourneyModel) -> pa.Table:
    leveled = {f"lv_{i}": pa.array([], pa.int64()) for i, s in enumerate(model.stages) if s.levels}
    return pa.table(
        {
            "profile_id": pa.array([], pa.string()),
            "ts": pa.array([], pa.int64()),
            "seq": pa.array([], pa.int64()),
            "message_id": pa.array([], pa.string()),
            "purchase": pa.array([], pa.bool_()),
            "mask": pa.array([], pa.int64()),
            **leveled,
            "product": pa.array([], pa.string()),
            "pos": pa.array([], pa.int64()),
        }
    )


def _per_model(
    found: pa.Table, order: np.ndarray, m: int, leveled: tuple[int, ...], group: int
) -> pa.Table:
    """The ``m``-th model's rows: events that are its evidence, in ``order``, one row per
    product they name. Each column is taken once, through the combined indices."""
    keep = pc.and_(
        pc.or_(pc.not_equal(found.column(f"mask{m}"), 0), found.column(f"purchase{m}")),
        pc.is_valid(found.column(f"products{group}")),
    ).to_numpy(zero_copy_only=False)
    rows = order[keep[order]]
    lists = found.column(f"products{group}").combine_chunks().take(pa.array(rows))
    parents = pc.list_parent_indices(lists).to_numpy()
    offsets = lists.offsets.to_numpy()
    # position in its event's product list: flat index minus where that list starts
    pos = np.arange(len(parents), dtype=np.int64) + offsets[0] - offsets[parents]
    take = pa.array(rows[parents])
    columns: dict[str, pa.Array | pa.ChunkedArray] = {
        "profile_id": found.column("profile_id").take(take),
        "ts": found.column("ts").take(take),
        "seq": found.column("seq").take(take),
        "message_id": found.column("message_id").take(take),
        "purchase": found.column(f"purchase{m}").take(take),
        "mask": found.column(f"mask{m}").take(take),
    }
    for i in leveled:
        columns[f"lv_{i}"] = found.column(f"lv{m}_{i}").take(take)
    columns["product"] = pc.list_flatten(lists)
    columns["pos"] = pa.array(pos)
    return pa.table(columns)


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


def _stored_evidence(model: JourneyModel, table: pa.Table) -> pa.Table:
    """The evidence rows in the store's shape (levels as ``stage:level`` text)."""
    n = table.num_rows
    levels: pa.Array = pa.nulls(n, pa.string())
    parts = []
    for i, stage in enumerate(model.stages):
        if stage.levels:
            lv = table.column(f"lv_{i}")
            text = pc.binary_join_element_wise(f"{i}", pc.cast(lv, pa.string()), ":")
            parts.append(pc.if_else(pc.greater_equal(lv, 0), text, pa.scalar(None, pa.string())))
    if len(parts) == 1:
        levels = parts[0]
    elif parts:
        levels = pc.binary_join_element_wise(*parts, ",", null_handling="skip")
        levels = pc.if_else(pc.equal(levels, ""), pa.scalar(None, pa.string()), levels)
    return pa.table(
        {
            "model": pa.array([model.name] * n, pa.string()),
            "profile_id": table.column("profile_id"),
            "ts": table.column("ts"),
            "seq": table.column("seq"),
            "pos": pc.cast(table.column("pos"), pa.int32()),
            "product": table.column("product"),
            "mask": table.column("mask"),
            "levels": levels,
            "purchase": table.column("purchase"),
            "message_id": table.column("message_id"),
        },
        schema=EVIDENCE,
    )


def rebuild(
    models: Sequence[JourneyModel],
    batches: Iterable[tuple[pa.RecordBatch, pa.Array]],
) -> Rebuilt:
    """Place every profile from the whole log at once."""
    tables, events = evidence_tables(models, batches)
    states: list[pa.Table] = [STATES.empty_table()]
    transitions: list[pa.Table] = [TRANSITIONS.empty_table()]
    evidence: list[pa.Table] = [EVIDENCE.empty_table()]
    for model, table in zip(models, tables, strict=True):
        if table.num_rows == 0:
            continue
        s, t = fold(ModelRules(model), table)
        states.append(s)
        transitions.append(t)
        evidence.append(_stored_evidence(model, table))
    return Rebuilt(
        states=pa.concat_tables(states),
        transitions=pa.concat_tables(transitions),
        evidence=pa.concat_tables(evidence),
        events=events,
    )
