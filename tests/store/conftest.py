"""Every event-log backend runs the same suite (see test_event_log.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from waymark.core.ports import EventLog
from waymark.store.duckdb.store import DuckDBStore
from waymark.store.memory.events import MemoryEventLog

BACKENDS = ("duckdb", "memory")


@pytest.fixture(params=BACKENDS)
def event_log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventLog]:
    if request.param == "memory":
        yield MemoryEventLog()
        return
    store = DuckDBStore(tmp_path / "data")
    yield store.events
    store.close()
