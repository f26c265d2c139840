"""An erasure and a commit in flight: an event of the person that passed the suppression check
before the erasure began, and is still being written when it runs, must not survive it.

The log here holds one chosen append at a gate, inside the committer's writer thread (after
the suppression check), so the order is fixed rather than left to chance: the gate opens only
when the erasure has finished or after two seconds, whichever comes first. An erasure that
does not wait for commits in flight finishes first and the event lands after it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.privacy._people import ANN, AUTH, ZED, batch, profile_id_of, until
from tests.privacy.test_http import _files_mentioning
from waymark.api.app import create_app
from waymark.core.clock import FakeClock
from waymark.core.events import AppendResult, Event
from waymark.core.ports import EventLog
from waymark.core.settings import Settings
from waymark.decide.contracts import DecisionContext
from waymark.decide.ports import ContextSource
from waymark.runtime.services import Services, build_services
from waymark.store.duckdb.store import DuckDBStore

T = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
IN_FLIGHT = "zed-in-flight"
NEW_ANON = "anon-zed-second-phone-4e1d"


class GatedLog:
    """An event log whose append of the ``IN_FLIGHT`` message waits for ``release``."""

    def __init__(self, inner: EventLog) -> None:
        self._inner = inner
        self.entered = threading.Event()
        self.release = threading.Event()

    def append(self, events: Sequence[Event], *, dedupe_all_time: bool = False) -> AppendResult:
        if any(e.message_id == IN_FLIGHT for e in events):
            self.entered.set()
            self.release.wait(timeout=30)
        return self._inner.append(events, dedupe_all_time=dedupe_all_time)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@pytest.fixture
def gated(settings: Settings, clock: FakeClock) -> Iterator[tuple[TestClient, GatedLog, Path]]:
    store = DuckDBStore(settings.data_dir)
    log = GatedLog(store.events)
    services = build_services(settings, event_log=log, stores=store.features(), clock=clock)  # type: ignore[arg-type]
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        yield client, log, settings.data_dir
    store.close()


Status = Callable[[], dict[str, Any]]


def _erase_in_background(
    client: TestClient, admin_headers: dict[str, str], pid: str
) -> tuple[threading.Thread, list[int], Status]:
    """DELETE the profile from a thread (the in-process client waits for the erasure, the
    DELETE's background task, before it answers); the request id comes from the request log.
    Returns the thread, where its status code lands, and a read of the request's status."""
    deleted: list[int] = []
    eraser = threading.Thread(
        target=lambda: deleted.append(
            client.delete(f"/api/v1/profiles/{pid}", headers=admin_headers).status_code
        )
    )
    eraser.start()

    def requests() -> list[dict[str, Any]]:
        got = client.get("/api/v1/privacy/requests", headers=admin_headers).json()
        listed: list[dict[str, Any]] = got["requests"]
        return listed

    (logged,) = until(requests)
    url = f"/api/v1/privacy/requests/{logged['id']}"

    def status() -> dict[str, Any]:
        got: dict[str, Any] = client.get(url, headers=admin_headers).json()
        return got

    return eraser, deleted, status


def test_an_event_in_flight_when_the_erasure_starts_is_erased_too(
    gated: tuple[TestClient, GatedLog, Path], admin_headers: dict[str, str]
) -> None:
    client, log, data_dir = gated
    assert client.post("/v1/batch", json=batch(ZED, "z"), headers=AUTH).status_code == 200
    assert client.post("/v1/batch", json=batch(ANN, "a"), headers=AUTH).status_code == 200
    pid = profile_id_of(client, admin_headers, ZED["email"])
    # the same person from a second phone: accepted, checked, and now being written
    in_flight = {
        "type": "track",
        "userId": ZED["user"],
        "anonymousId": NEW_ANON,
        "event": "Product Viewed",
        "properties": {"product_id": "kit-1"},
        "messageId": IN_FLIGHT,
    }
    answers: list[int] = []
    sender = threading.Thread(
        target=lambda: answers.append(
            client.post("/v1/batch", json={"batch": [in_flight]}, headers=AUTH).status_code
        )
    )
    sender.start()
    assert log.entered.wait(timeout=30), "the in-flight append never reached the log"

    eraser, deleted, status = _erase_in_background(client, admin_headers, pid)

    opens_at = time.monotonic() + 2.0
    while status()["status"] == "pending" and time.monotonic() < opens_at:
        time.sleep(0.05)
    log.release.set()
    for thread in (sender, eraser):
        thread.join(timeout=60)
    assert answers == [200]
    assert deleted == [202]

    done = until(lambda: s if (s := status())["status"] != "pending" else None)
    assert done["status"] == "completed", done
    assert done["counts"]["events"] == 4, "the three of the batch and the one in flight"
    # nothing of the person anywhere, the second phone included; the other person untouched
    for ident in ({"anonymous_id": NEW_ANON}, {"user_id": ZED["user"]}):
        looked = client.get("/api/v1/profiles/lookup", params=ident, headers=admin_headers)
        assert looked.status_code == 404, (ident, looked.text)
    assert profile_id_of(client, admin_headers, ANN["email"])
    assert _files_mentioning(data_dir, [ZED["user"], NEW_ANON, ZED["email"], pid]) == {}
    # and the second phone is suppressed too: it cannot re-create them
    again = {k: v for k, v in in_flight.items() if k != "userId"} | {"messageId": "zed-after"}
    assert client.post("/v1/batch", json={"batch": [again]}, headers=AUTH).status_code == 200
    looked = client.get(
        "/api/v1/profiles/lookup", params={"anonymous_id": NEW_ANON}, headers=admin_headers
    )
    assert looked.status_code == 404


class GatedContexts:
    """Profile contexts whose walk, once every profile is read, waits for ``release`` (or two
    seconds) before the audience count that walks them can store its members."""

    def __init__(self, inner: ContextSource) -> None:
        self._inner = inner
        self.entered = threading.Event()
        self.release = threading.Event()

    def resolve(self, reference: Mapping[str, str]) -> str | None:
        return self._inner.resolve(reference)

    def context(self, profile_id: str, now: datetime) -> DecisionContext | None:
        return self._inner.context(profile_id, now)

    def contexts(self, now: datetime, *, events: bool = True) -> Iterator[DecisionContext]:
        yield from list(self._inner.contexts(now, events=events))
        self.entered.set()
        self.release.wait(timeout=2.0)


def test_an_audience_count_in_flight_does_not_write_the_person_back(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    assert client.post("/v1/batch", json=batch(ZED, "z"), headers=AUTH).status_code == 200
    assert client.post("/v1/batch", json=batch(ANN, "a"), headers=AUTH).status_code == 200
    pid = profile_id_of(client, admin_headers, ZED["email"])
    assert services.sink is not None and services.decide is not None
    services.sink.settle()
    decider = services.decide
    gate = GatedContexts(decider._source())
    decider._contexts = gate
    # a count has read the person and is about to store its members
    counter = threading.Thread(target=lambda: decider.audiences(now=T, days=7))
    counter.start()
    assert gate.entered.wait(timeout=30), "the count never read the profiles"

    eraser, deleted, status = _erase_in_background(client, admin_headers, pid)

    # an erasure that does not wait for the count finishes while the count is held
    done = until(lambda: got if (got := status())["status"] != "pending" else None)
    gate.release.set()
    for thread in (counter, eraser):
        thread.join(timeout=60)
    assert deleted == [202]
    assert done["status"] == "completed", done
    last = decider._audiences.history.last_count()
    assert last is not None
    assert pid not in set().union(*last.members.values())
    assert _files_mentioning(services.settings.data_dir, [pid]) == {}
