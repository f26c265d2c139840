"""A journey model as a small table (stage, position, phase, stall and lapse times) that report
queries join against, and the journey tables narrowed to one model (and product)."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from waymark.analytics.schemas import STATE_SCHEMA, TRANSITION_SCHEMA, require_columns
from waymark.core.eventframe import to_naive_utc
from waymark.journey.contracts import JourneyModel

_US = 1_000_000


def _micros(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * _US)


def stage_table(model: JourneyModel) -> pa.Table:
    return pa.table(
        {
            "stage": [s.name for s in model.stages],
            "pos": pa.array(range(len(model.stages)), pa.int64()),
            "phase": [s.phase for s in model.stages],
            "stall_us": pa.array(
                [
                    _micros(s.stall_after.total_seconds() if s.stall_after else None)
                    for s in model.stages
                ],
                pa.int64(),
            ),
            "lapse_us": pa.array(
                [
                    _micros(s.lapse_after.total_seconds() if s.lapse_after else None)
                    for s in model.stages
                ],
                pa.int64(),
            ),
        }
    )


def register(
    con: duckdb.DuckDBPyConnection,
    model: JourneyModel,
    transitions: pa.Table,
    states: pa.Table,
    *,
    product: str | None,
) -> None:
    """Register ``m`` (stages), ``t`` (transitions) and ``s`` (states) for one model (and
    product) on ``con``."""
    require_columns(transitions, TRANSITION_SCHEMA, what="the transitions table")
    require_columns(states, STATE_SCHEMA, what="the states table")
    con.register("m", stage_table(model))
    con.register("t", _narrow(transitions, model.name, product))
    con.register("s", _narrow(states, model.name, product))


def _narrow(table: pa.Table, model: str, product: str | None) -> pa.Table:
    keep = pc.equal(table.column("model"), model)
    if product is not None:
        keep = pc.and_(keep, pc.equal(table.column("product"), product))
    return table.filter(keep)


def as_of_micros(as_of: datetime) -> int:
    naive = to_naive_utc(as_of)
    assert naive is not None
    return (naive - datetime(1970, 1, 1)) // timedelta(microseconds=1)


STATUS_SQL = (
    "CASE WHEN m.lapse_us IS NOT NULL AND $as_of - epoch_us(s.last_evidence_at) >= m.lapse_us "
    "THEN 'lapsed' "
    "WHEN m.stall_us IS NOT NULL AND $as_of - epoch_us(s.entered_at) >= m.stall_us "
    "THEN 'stalled' ELSE 'active' END"
)
"""A state's status as of ``$as_of`` (joined with ``m`` on its current stage): lapsed when a
post-purchase stage saw no evidence for its ``lapse_after``, stalled when the profile has not
moved on for the stage's ``stall_after``."""
