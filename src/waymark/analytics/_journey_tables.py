"""The journey engine's states (and their histories) as the Arrow tables reports read.

Reports read exactly the engine's ``JourneyState.history``, so conversions and times in stage
reconcile with the engine row for row.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import pyarrow as pa

from waymark.analytics.schemas import STATE_SCHEMA, TRANSITION_SCHEMA
from waymark.core.eventframe import to_naive_utc
from waymark.journey.contracts import JourneyState


def _naive(value: datetime | None) -> datetime | None:
    return to_naive_utc(value)


def journey_tables(states: Iterable[JourneyState]) -> tuple[pa.Table, pa.Table]:
    """``(transitions, states)`` with ``TRANSITION_SCHEMA`` and ``STATE_SCHEMA``."""
    t: dict[str, list[object]] = {f.name: [] for f in TRANSITION_SCHEMA}
    s: dict[str, list[object]] = {f.name: [] for f in STATE_SCHEMA}
    for state in states:
        s["profile_id"].append(state.profile_id)
        s["model"].append(state.model)
        s["product"].append(state.product)
        s["stage"].append(state.stage)
        s["furthest"].append(state.furthest)
        s["entered_at"].append(_naive(state.entered_at))
        s["last_evidence_at"].append(_naive(state.last_evidence_at))
        s["purchased_at"].append(_naive(state.purchased_at))
        for step in state.history:
            t["profile_id"].append(state.profile_id)
            t["model"].append(state.model)
            t["product"].append(state.product)
            t["from_stage"].append(step.from_stage)
            t["to_stage"].append(step.to_stage)
            t["at"].append(_naive(step.at))
            t["seq"].append(step.seq)
    return (
        pa.Table.from_pydict(t, schema=TRANSITION_SCHEMA),
        pa.Table.from_pydict(s, schema=STATE_SCHEMA),
    )
