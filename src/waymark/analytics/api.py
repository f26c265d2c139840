"""Analytics facade: funnels and journey reports over the event log and the journey history.

Other packages import only this module, ``waymark.analytics.contracts`` and
``waymark.analytics.schemas``.
"""

from __future__ import annotations

from typing import TypeAlias

import duckdb
import pyarrow as pa

from waymark.analytics._funnel import run_funnel, validate
from waymark.analytics.contracts import FunnelQuery, FunnelResult

__all__ = ["funnel", "validate_funnel"]


EventSource: TypeAlias = pa.Table | pa.RecordBatchReader | duckdb.DuckDBPyRelation


def _table(source: EventSource) -> pa.Table:
    if isinstance(source, pa.Table):
        return source
    if isinstance(source, pa.RecordBatchReader):
        return source.read_all()
    return source.to_arrow_table()


def funnel(
    query: FunnelQuery,
    events: EventSource,
    *,
    profile: str = "profile_id",
    transitions: pa.Table | None = None,
) -> FunnelResult:
    """Count profiles through ``query``'s steps, with ClickHouse ``windowFunnel`` semantics.

    ``events`` has the columns of ``core.eventframe.EVENT_SCHEMA`` (what ``EventLog.scan``
    gives) plus a ``profile`` column naming each event's profile (identity resolution's
    answer; ``user_id`` or ``anonymous_id`` will do where there is none). Stage steps need
    ``transitions`` (``schemas.TRANSITION_SCHEMA``), matched to events by ``seq``.

    Raises ``InvalidQuery`` (naming the field) for a bad definition and ``InvalidInput`` when
    the data lacks a needed column.
    """
    return run_funnel(query, _table(events), profile=profile, transitions=transitions)


def validate_funnel(query: FunnelQuery) -> None:
    """Check a definition without running it (raises ``InvalidQuery``)."""
    validate(query)
