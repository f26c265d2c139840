"""Every ProfileStore backend keeps the same contract (``waymark.identity.ports``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.identity._gen import CONFIG, event, fingerprint
from waymark.identity._engine import Engine
from waymark.identity._snapshot import engine_from, to_snapshot
from waymark.identity.ports import ProfileStore, Snapshot
from waymark.store.duckdb.identity import DuckDBProfileStore
from waymark.store.duckdb.store import DuckDBStore
from waymark.store.memory.identity import MemoryProfileStore


@pytest.fixture(params=["duckdb", "memory"])
def profile_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProfileStore]:
    if request.param == "memory":
        yield MemoryProfileStore()
        return
    store = DuckDBStore(tmp_path / "data")
    yield DuckDBProfileStore(store.db)
    store.close()


def _save(engine: Engine, store: ProfileStore) -> None:
    position = engine.logged
    changed, removed, records = engine.take_changes()
    store.save(
        to_snapshot(changed, engine, records, position),
        removed=sorted(removed),
        checkpoint=engine.checkpoint,
    )


def _two_devices(engine: Engine) -> None:
    engine.observe(
        [
            event(
                1,
                type="identify",
                user_id="u1",
                anonymous_id="laptop",
                traits={"name": "Ray", "email": "ray@osmo.com"},
            ),
            event(2, anonymous_id="phone"),
            event(3, type="identify", user_id="u2", anonymous_id="laptop"),
        ]
    )


def test_empty(profile_store: ProfileStore) -> None:
    assert isinstance(profile_store, ProfileStore)
    assert profile_store.checkpoint() == 0
    assert all(t.num_rows == 0 for t in profile_store.load())
    assert profile_store.find("user_id", "u1") is None
    assert profile_store.canonical("p_x") is None
    assert profile_store.profile_rows("p_x") == Snapshot.empty()
    assert profile_store.search_candidates("r", 10) == []


def test_saves_are_incremental_and_loads_whole(profile_store: ProfileStore) -> None:
    engine = Engine(CONFIG)
    _two_devices(engine)
    _save(engine, profile_store)
    engine.observe([event(4, type="identify", user_id="u1", anonymous_id="phone")])
    _save(engine, profile_store)
    assert profile_store.checkpoint() == 4
    restored = engine_from(CONFIG, profile_store.load(), profile_store.checkpoint())
    assert fingerprint(restored) == fingerprint(engine)
    # the absorbed profile's rows are gone; its id resolves to the survivor
    u1 = profile_store.find("user_id", "u1")
    phone_pid = profile_store.find("anonymous_id", "phone")
    assert u1 is not None and phone_pid == u1
    merged = engine.graph.profiles[u1].merged
    assert merged and profile_store.canonical(merged[0]) == u1
    assert profile_store.canonical(u1) == u1
    rows = profile_store.profile_rows(u1)
    assert rows.profiles.num_rows == 1
    assert sorted(rows.identifiers.column("value").to_pylist()) == [
        "laptop",
        "phone",
        "ray@osmo.com",
        "u1",
    ]
    kinds = rows.merges.column("kind").to_pylist()
    assert kinds == ["refused", "merge"]  # seq 3 refused u2 on the laptop, seq 4 merged phone


def test_replace_starts_again(profile_store: ProfileStore) -> None:
    engine = Engine(CONFIG)
    _two_devices(engine)
    _save(engine, profile_store)
    fresh = Engine(CONFIG)
    fresh.observe([event(9, user_id="z")])
    fresh.take_changes()
    profile_store.replace(
        to_snapshot(list(fresh.graph.profiles.values()), fresh, fresh.merge_log), checkpoint=9
    )
    assert profile_store.checkpoint() == 9
    assert profile_store.find("user_id", "u1") is None
    assert profile_store.find("user_id", "z") is not None
    assert profile_store.load().merges.num_rows == 0


def test_search_candidates_cover_identifier_prefixes_and_traits(
    profile_store: ProfileStore,
) -> None:
    engine = Engine(CONFIG)
    _two_devices(engine)
    _save(engine, profile_store)
    u1 = profile_store.find("user_id", "u1")
    assert profile_store.search_candidates("RAY@", 10) == [u1]
    assert u1 in profile_store.search_candidates("ray", 10)  # the name trait
    assert profile_store.search_candidates("nobody", 10) == []


def test_duckdb_read_only_before_anything_was_stored(tmp_path: Path) -> None:
    DuckDBStore(tmp_path / "d").close()  # an event log exists, identity tables do not
    from waymark.store.duckdb._database import Database

    db = Database.open(tmp_path / "d", read_only=True)
    try:
        store = DuckDBProfileStore(db)
        assert store.checkpoint() == 0
        assert store.load().profiles.num_rows == 0
        assert store.find("user_id", "u1") is None
    finally:
        db.close()
