"""A processor that fails on a committed group: the others still get it, and the one that
failed is fed it again from the log (its checkpoint stayed before it) instead of moving past
it with the next group; an event that fails on its own is skipped, not retried for ever.
Before, a failure was logged, the next group moved every checkpoint on, and the failed
group's events were never processed by that feature, nor by those after it (found by review).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from starlette.testclient import TestClient

from tests.privacy._people import AUTH
from waymark.core.events import Event
from waymark.runtime.pipeline import Pipeline
from waymark.runtime.services import Services
from waymark.store.memory.events import MemoryEventLog

AT = datetime(2026, 3, 1, tzinfo=UTC)


class Recorder:
    """Remembers what it was fed; fails on events named in ``fail`` (``times`` times each,
    -1: always) and, like the real processors, ignores events at or before its checkpoint."""

    def __init__(self, name: str, fail: Sequence[str] = (), times: int = 1) -> None:
        self.name = name
        self.seen: list[str] = []
        self._fail = dict.fromkeys(fail, times)
        self._checkpoint = 0

    def checkpoint(self) -> int:
        return self._checkpoint

    def process(self, events: Sequence[Event]) -> None:
        fresh = [e for e in events if e.seq > self._checkpoint]
        for event in fresh:
            left = self._fail.get(event.message_id, 0)
            if left:
                self._fail[event.message_id] = left - 1
                raise RuntimeError(f"cannot process {event.message_id}")
        self.seen.extend(e.message_id for e in fresh)
        if fresh:
            self._checkpoint = fresh[-1].seq

    def flush(self) -> None:
        pass


def _commit(log: MemoryEventLog, pipeline: Pipeline, *ids: str) -> None:
    """What the group committer does: append, then feed the stored group."""
    first = log.append(
        [Event(message_id=i, type="track", event="Seen", timestamp=AT, received_at=AT) for i in ids]
    ).first_seq
    pipeline(log.events_after(first - 1))


def test_a_failed_group_is_fed_again_and_the_others_are_not_held_up() -> None:
    log = MemoryEventLog()
    flaky, steady = Recorder("flaky", fail=["a2"]), Recorder("steady")
    pipeline = Pipeline([flaky, steady], event_log=log)
    _commit(log, pipeline, "a1")
    _commit(log, pipeline, "a2", "a3")  # flaky fails once on this group
    assert steady.seen == ["a1", "a2", "a3"]  # not held up by the one before it
    assert pipeline.behind() == ["flaky"]
    _commit(log, pipeline, "a4")
    assert flaky.seen == ["a1", "a2", "a3", "a4"]  # nothing lost, in order
    assert pipeline.behind() == []
    assert pipeline.skipped == 0


def test_an_event_that_always_fails_is_skipped_for_that_processor_only() -> None:
    log = MemoryEventLog()
    flaky, steady = Recorder("flaky", fail=["bad"], times=-1), Recorder("steady")
    pipeline = Pipeline([flaky, steady], event_log=log)
    _commit(log, pipeline, "b1", "bad", "b2")
    _commit(log, pipeline, "b3")
    assert flaky.seen == ["b1", "b2", "b3"]
    assert steady.seen == ["b1", "bad", "b2", "b3"]
    assert pipeline.skipped == 1
    assert pipeline.behind() == []


def test_through_the_app_a_group_journeys_failed_on_is_placed_with_the_next(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    assert services.journeys is not None
    journeys = services.journeys
    real, calls = journeys.observe, []

    def fails_once(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a transient fault in journeys (test)")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    journeys.observe = fails_once  # type: ignore[method-assign]
    first = {"type": "track", "userId": "eve-7", "event": "Signed Up", "messageId": "m-e"}
    assert client.post("/v1/batch", json={"batch": [first]}, headers=AUTH).status_code == 200
    assert client.get("/healthz").json()["processing_behind"] == ["derived"]
    for user, message in (("alice-7", "m-a"), ("bob-7", "m-b")):
        sent = {"type": "track", "userId": user, "event": "Signed Up", "messageId": message}
        assert client.post("/v1/batch", json={"batch": [sent]}, headers=AUTH).status_code == 200
    for user in ("eve-7", "alice-7", "bob-7"):
        pid = client.get(
            "/api/v1/profiles/lookup", params={"user_id": user}, headers=admin_headers
        ).json()["id"]
        placed = client.get(f"/api/v1/profiles/{pid}/journeys", headers=admin_headers).json()
        assert placed["journeys"], f"{user} was never placed"
    health = client.get("/healthz").json()
    assert health["processing_behind"] == [] and health["processing_skipped"] == 0
