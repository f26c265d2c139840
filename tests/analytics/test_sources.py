"""When reports are rebuilt from a growing log: small logs before answering (a report includes
the events just sent); once a rebuild costs more than the budget, from the last snapshot at
once while one rebuild runs behind; never a deleted event after ``invalidate``."""

from __future__ import annotations

import threading
import time

import pyarrow as pa
import pyarrow.compute as pc

from tests.analytics._sim import World
from waymark.analytics.api import LogSources
from waymark.core.eventframe import arrow_to_events
from waymark.store.memory.events import MemoryEventLog


def _log_with(world: World, rows: int) -> tuple[MemoryEventLog, list[object]]:
    events = arrow_to_events(world.events.drop_columns(["profile_id"]))
    log = MemoryEventLog()
    log.append(events[:rows])
    return log, list(events[rows:])


def _seqs(table: pa.Table) -> int:
    return int(pc.max(table.column("seq")).as_py())


def test_a_cheap_rebuild_happens_before_answering(world: World) -> None:
    log, rest = _log_with(world, 500)
    sources = LogSources(log, [world.model])  # the default budget: 1 s
    first = sources.snapshot()
    assert _seqs(first.events) == log.max_seq()
    log.append(rest[:50])  # type: ignore[arg-type]
    again = sources.snapshot()
    assert _seqs(again.events) == log.max_seq() == first.version + 50
    assert again.journeys.states.num_rows >= first.journeys.states.num_rows
    assert sources.freshness().behind == 0


class _Gated(LogSources):
    """Rebuilds that, having read the log, wait for ``go`` before they are kept (a slow
    rebuild on a large log, on demand); ``read`` is set once a rebuild has read the log."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.go = threading.Event()
        self.go.set()
        self.read = threading.Event()
        self.loads = 0

    def _load(self, version: int):  # type: ignore[no-untyped-def]
        self.loads += 1
        built = super()._load(version)
        self.read.set()
        assert self.go.wait(timeout=30)
        return built


def test_a_costly_rebuild_runs_behind_while_the_last_snapshot_answers(world: World) -> None:
    log, rest = _log_with(world, 500)
    sources = _Gated(log, [world.model], sync_budget_s=0.0)  # every rebuild counts as costly
    first = sources.snapshot()
    assert sources.freshness().behind == 0
    sources.go.clear()
    log.append(rest[:50])  # type: ignore[arg-type]

    started = time.monotonic()
    answers = [sources.snapshot() for _ in range(5)]
    assert time.monotonic() - started < 5  # none of them waited for the rebuild
    assert all(a is first for a in answers)
    fresh = sources.freshness()
    assert fresh.refreshing and fresh.behind == 50
    assert sources.loads == 2  # the first, and one rebuild behind for all five requests

    sources.go.set()
    deadline = time.monotonic() + 30
    while sources.snapshot() is first and time.monotonic() < deadline:
        time.sleep(0.02)
    latest = sources.snapshot()
    assert latest.version == log.max_seq()
    assert _seqs(latest.events) == log.max_seq()
    assert sources.freshness().behind == 0


def test_invalidate_waits_for_a_rebuild_under_way_and_drops_the_snapshot(world: World) -> None:
    log, rest = _log_with(world, 500)
    sources = _Gated(log, [world.model], sync_budget_s=0.0)
    sources.snapshot()
    sources.go.clear()
    sources.read.clear()
    log.append(rest[:10])  # type: ignore[arg-type]
    sources.snapshot()  # starts a rebuild behind; it reads the log, then waits at the gate
    assert sources.read.wait(timeout=30)
    gone = [e.seq for e in log.events_after(0, limit=20)]
    assert log.delete(gone) == 20  # an erasure, after that rebuild read the rows
    threading.Timer(0.3, sources.go.set).start()
    sources.invalidate()  # returns only after the held rebuild ended, then drops what it kept
    assert not sources.freshness().refreshing
    rebuilt = sources.snapshot()
    assert not set(gone) & set(rebuilt.events.column("seq").to_pylist())
