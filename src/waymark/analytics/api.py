"""Analytics facade: funnels and journey reports over the event log and the journey history.

Other packages import only this module, ``waymark.analytics.contracts`` and
``waymark.analytics.schemas``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TypeAlias

import duckdb
import pyarrow as pa

from waymark.analytics._funnel import run_funnel, validate
from waymark.analytics.contracts import FunnelQuery, FunnelResult

__all__ = ["Analytics", "EventSource", "funnel", "validate_funnel"]

EventSource: TypeAlias = pa.Table | pa.RecordBatchReader | duckdb.DuckDBPyRelation
"""Events with the columns of ``core.eventframe.EVENT_SCHEMA`` plus a profile column."""


def _table(source: EventSource) -> pa.Table:
    if isinstance(source, pa.Table):
        return source
    if isinstance(source, pa.RecordBatchReader):
        return source.read_all()
    return source.to_arrow_table()


class Analytics:
    """The analytics engine: an in-memory DuckDB used as a vectorised query engine over Arrow
    inputs (it stores nothing). Build one and reuse it: opening DuckDB costs more than a small
    report. Each call works on its own cursor, so threads may share an engine."""

    def __init__(self) -> None:
        self._db = duckdb.connect(":memory:")
        self._lock = threading.Lock()

    @contextmanager
    def _cursors(self) -> Iterator[_Cursors]:
        cursors = _Cursors(self)
        try:
            yield cursors
        finally:
            cursors.close()

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            return self._db.cursor()

    def funnel(
        self,
        query: FunnelQuery,
        events: EventSource,
        *,
        profile: str = "profile_id",
        transitions: pa.Table | None = None,
    ) -> FunnelResult:
        """Count profiles through ``query``'s steps, with ClickHouse ``windowFunnel``
        semantics.

        ``events`` has the columns of ``core.eventframe.EVENT_SCHEMA`` (what
        ``EventLog.scan`` gives) plus a ``profile`` column naming each event's profile
        (identity resolution's answer; ``user_id`` or ``anonymous_id`` will do where there is
        none). Stage steps need ``transitions`` (``schemas.TRANSITION_SCHEMA``), matched to the
        events that caused them by ``seq``.

        Raises ``InvalidQuery`` (naming the field) for a bad definition and ``InvalidInput``
        when the data lacks a needed column.
        """
        with self._cursors() as cursors:
            return run_funnel(
                cursors.new, query, _table(events), profile=profile, transitions=transitions
            )

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Analytics:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _Cursors:
    """The cursors one call opened, closed together when it ends."""

    def __init__(self, engine: Analytics) -> None:
        self._engine = engine
        self._open: list[duckdb.DuckDBPyConnection] = []

    def new(self) -> duckdb.DuckDBPyConnection:
        cursor = self._engine._cursor()
        self._open.append(cursor)
        return cursor

    def close(self) -> None:
        for cursor in self._open:
            cursor.close()


def funnel(
    query: FunnelQuery,
    events: EventSource,
    *,
    profile: str = "profile_id",
    transitions: pa.Table | None = None,
) -> FunnelResult:
    """``Analytics().funnel(...)`` on a throwaway engine (see ``Analytics.funnel``)."""
    with Analytics() as engine:
        return engine.funnel(query, events, profile=profile, transitions=transitions)


def validate_funnel(query: FunnelQuery) -> None:
    """Check a definition without running it (raises ``InvalidQuery``)."""
    validate(query)
