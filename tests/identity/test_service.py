"""The facade over a real DuckDB store and event log: persist, restart, rebuild, and the
same answers from memory (server) and from the store alone (CLI)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from tests.identity._gen import CONFIG, T0, event, fingerprint
from waymark.core.events import Event
from waymark.identity.api import IdentityService, StoredProfiles, attach_profiles
from waymark.identity.contracts import Resolution
from waymark.identity.errors import ProfileNotFound, UnknownIdentifierType
from waymark.store.duckdb.identity import DuckDBProfileStore
from waymark.store.duckdb.store import DuckDBStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBStore]:
    s = DuckDBStore(tmp_path / "data")
    yield s
    s.close()


def _story() -> list[Event]:
    """Ray on Facebook, the website, the phone app and the call centre; his son on the same
    iPad."""
    return [
        event(1, anonymous_id="fb-click-1", channel="social"),
        event(2, anonymous_id="ipad", channel="web"),
        event(
            3,
            type="identify",
            user_id="ray",
            anonymous_id="ipad",
            traits={"email": "Ray@Example.com", "name": "Ray"},
            channel="web",
        ),
        event(
            4,
            anonymous_id="fb-click-1",
            context={"traits": {"email": "ray@example.com"}},
            channel="social",
        ),
        event(5, type="identify", user_id="son", anonymous_id="ipad", channel="web"),
        event(
            6,
            anonymous_id="call-1",
            traits={"phone": "+44 7700 900123"},
            type="identify",
            channel="call_centre",
        ),
        event(7, type="identify", user_id="ray", traits={"phone": "07700900123"}, channel="mobile"),
        event(8, user_id="son", anonymous_id="ipad", channel="web"),
    ]


def _append(store: DuckDBStore, events: Sequence[Event]) -> list[Event]:
    store.events.append(events)
    return store.events.events_after(0)


def test_restart_resumes_from_the_stored_checkpoint(store: DuckDBStore) -> None:
    logged = _append(store, _story())
    first = IdentityService(CONFIG, store=DuckDBProfileStore(store.db))
    first.observe(logged[:5])
    first.flush()
    second = IdentityService(CONFIG, store=DuckDBProfileStore(store.db))
    assert second.checkpoint() == 5
    second.observe(logged)  # the first five are already in the stored state
    whole = IdentityService(CONFIG)
    whole.observe(logged)
    assert fingerprint(second._engine) == fingerprint(whole._engine)


def test_rebuild_from_the_log_equals_streaming_and_is_stored(store: DuckDBStore) -> None:
    logged = _append(store, _story())
    streamed = IdentityService(CONFIG)
    resolution = streamed.observe(logged)
    rebuilt = IdentityService(CONFIG, store=DuckDBProfileStore(store.db))
    report, assignment = rebuilt.rebuild(store.events)
    assert fingerprint(rebuilt._engine) == fingerprint(streamed._engine)
    assert assignment.column("profile_id").to_pylist() == list(resolution.final_profile_ids)
    assert (report.events, report.merges, report.refused) == (8, 2, 2)
    # ray and his son share the iPad: one component over the user_id limit, replayed whole
    assert (report.components, report.conflicting_components, report.replayed_events) == (1, 1, 8)
    restored = IdentityService(CONFIG, store=DuckDBProfileStore(store.db))
    assert fingerprint(restored._engine) == fingerprint(streamed._engine)


def test_attach_profiles_matches_the_assignment_by_seq(store: DuckDBStore) -> None:
    logged = _append(store, [*_story(), event(9, anonymous_id="null")])
    svc = IdentityService(CONFIG)
    _, assignment = svc.rebuild(store.events)
    expected = dict(
        zip(assignment["seq"].to_pylist(), assignment["profile_id"].to_pylist(), strict=True)
    )
    # batches in another order and size than the assignment, which holds only part of them
    part = assignment.slice(0, 5).take([4, 0, 3, 1, 2])
    batches = list(store.events.scan(batch_rows=3))[::-1]
    for batch in batches:
        seqs = batch.column("seq").to_pylist()
        assert attach_profiles(batch, assignment).to_pylist() == [expected[s] for s in seqs]
        partial = attach_profiles(batch, part).to_pylist()
        assert partial == [expected[s] if s <= 5 else None for s in seqs]
    assert expected[9] is None and expected[1] == svc.resolve("user_id", "ray")
    empty = assignment.slice(0, 0)
    assert attach_profiles(batches[0], empty).null_count == batches[0].num_rows
    assert len(logged) == 9


def test_stored_reads_equal_live_reads(store: DuckDBStore) -> None:
    logged = _append(store, _story())
    live = IdentityService(CONFIG, store=DuckDBProfileStore(store.db))
    live.observe(logged)
    live.flush()
    stored = StoredProfiles(DuckDBProfileStore(store.db), CONFIG)
    ray = live.resolve("email", " RAY@example.com")
    assert ray is not None
    for reader in (live, stored):
        assert reader.resolve("user_id", "ray") == ray
        assert reader.resolve("phone", "+447700900123") == ray
        assert reader.resolve("anonymous_id", "null") is None
    for pid in {p for e in logged if (p := live.resolve("anonymous_id", e.anonymous_id or "x"))}:
        assert stored.profile(pid) == live.profile(pid)
        assert stored.merges(pid) == live.merges(pid)
    assert stored.lookup("user_id", "ray") == live.lookup("user_id", "ray")
    for query in ("ray", "SON", "+44", "nobody", "i"):
        assert stored.search(query) == live.search(query)
    for pid in (ray, live.resolve("user_id", "son") or ""):
        assert stored.timeline(pid, store.events) == live.timeline(pid, store.events)
    absorbed = live.profile(ray).merged_ids
    assert absorbed and live.profile(absorbed[0]).id == ray == stored.profile(absorbed[0]).id


def test_profile_content(store: DuckDBStore) -> None:
    svc = IdentityService(CONFIG)
    svc.observe(_append(store, _story()))
    ray = svc.lookup("user_id", "ray")
    assert {(i.type, i.value) for i in ray.identities} == {
        ("user_id", "ray"),
        ("email", "ray@example.com"),
        ("phone", "+447700900123"),
        ("anonymous_id", "fb-click-1"),
        ("anonymous_id", "ipad"),
        ("anonymous_id", "call-1"),
    }
    assert ray.identities[0].type == "user_id"
    assert ray.channels == ("call_centre", "mobile", "social", "web")
    assert ray.event_count == 6
    assert ray.traits["name"].value == "Ray"
    ipad = next(i for i in ray.identities if i.value == "ipad")
    # the son's events on the iPad went to the son: the iPad's times are Ray's own
    assert ipad.last_seen == T0 + timedelta(minutes=3)
    son = svc.lookup("user_id", "son")
    assert [i.value for i in son.identities] == ["son"]
    assert [m.reason for m in svc.merges(son.id)] == ["limit:user_id", "limit:user_id"]


def test_timeline_holds_only_the_profiles_events_newest_first(store: DuckDBStore) -> None:
    svc = IdentityService(CONFIG)
    svc.observe(_append(store, _story()))
    ray = svc.resolve("user_id", "ray") or ""
    seqs = [e.seq for e in svc.timeline(ray, store.events)]
    # the call centre's anonymous id joined Ray through his phone number; the son's iPad
    # events (5, 8) carry Ray's device id but are the son's
    assert seqs == [7, 6, 4, 3, 2, 1]
    assert [e.seq for e in svc.timeline(ray, store.events, limit=2)] == [7, 6]
    before = T0 + timedelta(minutes=3)
    assert [e.seq for e in svc.timeline(ray, store.events, before=before)] == [2, 1]
    son = svc.resolve("user_id", "son") or ""
    assert [e.seq for e in svc.timeline(son, store.events)] == [8, 5]


def test_unknown_profiles_and_types(store: DuckDBStore) -> None:
    svc = IdentityService(CONFIG)
    stored = StoredProfiles(DuckDBProfileStore(store.db), CONFIG)
    for reader in (svc, stored):
        with pytest.raises(ProfileNotFound) as caught:
            reader.profile("p_nope")
        assert caught.value.code == "identity.profile_not_found"
        with pytest.raises(ProfileNotFound):
            reader.lookup("email", "nobody@x.com")
        with pytest.raises(ProfileNotFound):
            reader.merges("p_nope")
        with pytest.raises(UnknownIdentifierType):
            reader.resolve("fax", "1")


def test_listeners_and_automatic_flush(store: DuckDBStore) -> None:
    seen: list[Resolution] = []
    svc = IdentityService(CONFIG, store=DuckDBProfileStore(store.db), flush_every=3)
    svc.subscribe(lambda events, resolution: seen.append(resolution))
    logged = _append(store, _story())
    svc.observe(logged[:2])
    assert DuckDBProfileStore(store.db).checkpoint() == 0
    svc.observe(logged[2:4])
    assert DuckDBProfileStore(store.db).checkpoint() == 4
    assert [len(r.profile_ids) for r in seen] == [2, 2]
    assert len(seen[1].merges) == 1
    assert svc.stats["profiles"] == 1
    assert svc.profile_ids() == [svc.resolve("user_id", "ray")]
