"""Every audience-history backend runs the same suite: counts replace the stored members,
changes are kept for a window and read back by time, exports are remembered, and a tracker
built afresh over the same history (a restart) diffs its first count against the last one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.store.conftest import BACKENDS
from waymark.core.errors import StorageError
from waymark.decide._sizes import KEEP, AudienceTracker
from waymark.decide.api import MemoryAudienceHistory
from waymark.decide.config import Audience
from waymark.decide.contracts import DecisionContext
from waymark.decide.ports import AudienceChange, AudienceCount, AudienceHistory
from waymark.store.duckdb._arrow import table_exists
from waymark.store.duckdb.store import DuckDBStore

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LATER = T0 + timedelta(days=3)


@dataclass
class Backend:
    """A history, and a way to get it back as a restarted process would."""

    kind: str
    path: Path
    history: AudienceHistory = field(default_factory=MemoryAudienceHistory)
    store: DuckDBStore | None = None

    def reopen(self) -> AudienceHistory:
        if self.store is not None:
            self.store.close()
            self.store = DuckDBStore(self.path)
            self.history = self.store.audiences
        return self.history

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    found = Backend(str(request.param), tmp_path / "data")
    if request.param == "duckdb":
        found.store = DuckDBStore(found.path)
        found.history = found.store.audiences
    yield found
    found.close()


def count(at: datetime, **members: list[str]) -> AudienceCount:
    return AudienceCount(at, {name: frozenset(ids) for name, ids in members.items()})


def test_nothing_before_the_first_count(backend: Backend) -> None:
    history = backend.history
    assert history.last_count() is None
    assert history.changes(since=T0 - KEEP) == []
    assert history.exports() == {}


def test_a_count_replaces_the_members_and_adds_its_changes(backend: Backend) -> None:
    history = backend.history
    history.record_count(count(T0, owners=["a", "b"], vip=["a"]), [], forget_before=T0 - KEEP)
    assert history.last_count() == count(T0, owners=["a", "b"], vip=["a"])
    changes = [
        AudienceChange(LATER, "vip", 0, 1),
        AudienceChange(LATER, "owners", 1, 1),
    ]
    # vip is empty now: an audience nobody is in is left out
    history.record_count(
        count(LATER, owners=["b", "c"], vip=[]), changes, forget_before=LATER - KEEP
    )
    assert history.last_count() == count(LATER, owners=["b", "c"])
    assert history.changes(since=T0) == sorted(changes)  # oldest first, then by audience
    assert history.changes(since=LATER) == sorted(changes)  # the bound is inclusive
    assert history.changes(since=LATER + timedelta(microseconds=1)) == []
    stored = history.changes(since=T0)[0]
    assert stored.at.tzinfo is not None and stored.at == LATER


def test_an_empty_count_is_still_a_count(backend: Backend) -> None:
    backend.history.record_count(count(T0, owners=[]), [], forget_before=T0 - KEEP)
    assert backend.history.last_count() == count(T0)


def test_changes_older_than_the_window_are_dropped(backend: Backend) -> None:
    history = backend.history
    old = AudienceChange(T0, "owners", 2, 0)
    history.record_count(count(T0, owners=["a", "b"]), [old], forget_before=T0 - KEEP)
    late = T0 + KEEP + timedelta(days=1)
    new = AudienceChange(late, "owners", 1, 0)
    history.record_count(count(late, owners=["a", "b", "c"]), [new], forget_before=late - KEEP)
    assert history.changes(since=T0 - KEEP) == [new]


def test_exports_keep_the_last_one_per_audience(backend: Backend) -> None:
    history = backend.history
    history.record_export("owners", T0)
    history.record_export("vip", T0)
    history.record_export("owners", LATER)
    assert history.exports() == {"owners": LATER, "vip": T0}


def test_the_history_survives_a_restart(backend: Backend) -> None:
    change = AudienceChange(LATER, "owners", 1, 0)
    backend.history.record_count(count(LATER, owners=["a"]), [change], forget_before=T0)
    backend.history.record_export("owners", LATER)
    history = backend.reopen()
    assert history.last_count() == count(LATER, owners=["a"])
    assert history.changes(since=T0) == [change]
    assert history.exports() == {"owners": LATER}


OWNERS = Audience(name="owners", purpose="suppression", traits=())


def people(ids: list[str], now: datetime) -> list[DecisionContext]:
    return [
        DecisionContext(profile_id=p, now=now, identifiers={"email": [f"{p}@example.com"]})
        for p in ids
    ]


def test_a_restarted_tracker_diffs_its_first_count_against_the_stored_one(
    backend: Backend,
) -> None:
    before = AudienceTracker(ttl_s=0, history=backend.history)
    before.count([OWNERS], lambda: people(["a", "b"], T0), now=T0)
    before.exported("owners", T0)
    after = AudienceTracker(ttl_s=0, history=backend.reopen())
    counted = after.count([OWNERS], lambda: people(["b", "c", "d"], LATER), now=LATER)
    [row] = after.activity([OWNERS], counted, since=T0)
    assert (row.size, row.added, row.removed, row.last_export) == (3, 2, 1, T0)


def test_a_count_the_store_refuses_leaves_the_previous_one_current(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracker = AudienceTracker(ttl_s=0, history=backend.history)
    tracker.count([OWNERS], lambda: people(["a"], T0), now=T0)

    def refuse(*args: object, **kwargs: object) -> None:
        raise StorageError("disk full")

    with monkeypatch.context() as patched:
        patched.setattr(backend.history, "record_count", refuse)
        with pytest.raises(StorageError):
            tracker.count([OWNERS], lambda: people(["a", "b"], LATER), now=LATER)
    # the join is found by the next count that is stored, not lost with the refused one
    later = LATER + timedelta(hours=1)
    counted = tracker.count([OWNERS], lambda: people(["a", "b"], later), now=later)
    [row] = tracker.activity([OWNERS], counted, since=T0)
    assert (row.size, row.added, row.removed) == (2, 1, 0)


def test_held_profiles_are_forgotten_by_the_current_count(backend: Backend) -> None:
    """An erasure holds the tracker: the person is gone from the count in memory, so the
    next count neither reports them as leaving nor writes them back."""
    tracker = AudienceTracker(ttl_s=3600, history=backend.history)
    tracker.count([OWNERS], lambda: people(["a", "b"], T0), now=T0)
    with tracker.held(["a"]) as removed:
        # and the stored members, in both backends alike (memory is not swept by privacy)
        assert removed == {"decide_audience_members": 1}
        assert backend.history.last_count() == count(T0, owners=["b"])
    shared = tracker.count([OWNERS], lambda: people(["b"], LATER), now=LATER)
    assert shared.members == {"owners": frozenset({"b"})}  # the recent count, less "a"
    tracker.ttl_s = 0
    counted = tracker.count([OWNERS], lambda: people(["b"], LATER), now=LATER)
    [row] = tracker.activity([OWNERS], counted, since=T0)
    assert (row.size, row.removed) == (1, 0)
    assert backend.history.last_count() == count(LATER, owners=["b"])


def test_a_read_only_open_of_an_older_data_dir_reads_an_empty_history(tmp_path: Path) -> None:
    older = DuckDBStore(tmp_path)
    for table in (
        "decide_audience_counts",
        "decide_audience_members",
        "decide_audience_changes",
        "decide_audience_exports",
    ):
        older.db.execute(f"DROP TABLE {table}")
    older.close()
    store = DuckDBStore(tmp_path, read_only=True)
    try:
        assert not table_exists(store.db, "decide_audience_members")  # not upgraded: read as is
        history = store.audiences
        assert history.last_count() is None
        assert history.changes(since=T0) == []
        assert history.exports() == {}
        with pytest.raises(StorageError, match="audience"):
            history.record_export("owners", T0)
    finally:
        store.close()
