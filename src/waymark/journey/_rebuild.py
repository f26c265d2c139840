"""Batch rebuild: the evidence rules run as SQL over Arrow batches of the log (vectorised), and
the stage machine runs over the evidence rows (``_fold``), giving exactly the state streaming
the same events gives, as Arrow tables ready for the store."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from waymark.journey._fold import fold
from waymark.journey._machine import ModelRules
from waymark.journey._sql import CATALOG, evidence_query
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
    """One table of evidence rows per model, sorted by (profile, time, seq, position), and the
    number of events read.

    ``batches`` pairs each scanned batch (``EVENT_SCHEMA`` columns) with the resolved profile
    id of each of its rows (a string array of the same length).
    """
    con = duckdb.connect()
    events = 0
    try:
        queries = [evidence_query(m, _RELATION)[0] for m in models]
        for model in models:
            if model.content.catalog and model.content.rules:
                con.register(CATALOG, _catalog(model))
        parts: list[list[pa.Table]] = [[] for _ in models]
        for batch, profile_ids in batches:
            if len(profile_ids) != batch.num_rows:
                raise ValueError("one profile id per event is needed")
            events += batch.num_rows
            table = pa.Table.from_batches([batch]).append_column(
                "profile_id", pa.array(profile_ids, pa.string())
            )
            con.register(_RELATION, table)
            try:
                for m, sql in enumerate(queries):
                    parts[m].append(con.sql(sql).to_arrow_table())
            finally:
                con.unregister(_RELATION)
        out: list[pa.Table] = []
        for tables in parts:
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
        return out, events
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
