"""One bad step never stops the scheduler: a template that raises a plain Python error on a
customer's data fails that message with the reason, the other customers' flows go on, the
scheduler survives any error from a cycle, ``/healthz`` says how it is, and the app's shutdown
drains its commits even when stopping the scheduler raises."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.orchestrate.conftest import T0, Builder
from tests.orchestrate.test_api import api_orchestrator, event, track
from waymark.api.app import create_app
from waymark.core.clock import FakeClock
from waymark.orchestrate._scheduler import Scheduler
from waymark.orchestrate.api import Orchestrator
from waymark.runtime.services import Services
from waymark.store.duckdb.store import DuckDBStore

RECEIPT = """\
id: receipt
trigger: {event: Order Completed}
steps:
  - id: thanks
    send: {channel: inbox, title: "You paid {{ trigger.properties.total / 100 }}"}
"""

WELCOME = """\
id: welcome
trigger: {event: Signed Up}
steps:
  - id: hello
    send: {channel: inbox, title: Welcome}
"""


@pytest.fixture
def orch(
    services: Services,
    store: DuckDBStore,
    clock: FakeClock,
    tmp_path_factory: pytest.TempPathFactory,
) -> Orchestrator:
    flows = tmp_path_factory.mktemp("flows")
    (flows / "receipt.yaml").write_text(RECEIPT)
    (flows / "welcome.yaml").write_text(WELCOME)
    return api_orchestrator(services, store, clock, flows)


def _messages(client: TestClient, user: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/profiles/{user}/messages", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["messages"]  # type: ignore[no-any-return]


def test_a_template_error_fails_one_message_and_the_scheduler_goes_on(
    orch: Orchestrator,
    services: Services,
    store: DuckDBStore,
    clock: FakeClock,
    admin_headers: dict[str, str],
) -> None:
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        # an SDK sent the total as a string: "19.99" / 100 is a TypeError in the template;
        # it is due first, so a cycle that dies on it would never reach anything else
        now = clock.now()
        track(store, orch, now, event("Order Completed", now, properties={"total": "19.99"}))
        clock.advance(timedelta(seconds=1))
        later = clock.now()
        track(store, orch, later, event("Signed Up", later, user_id="ann"))

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ann = _messages(client, "ann", admin_headers)
            if ann and ann[0]["status"] == "sent":
                break
            time.sleep(0.05)
        [hello] = _messages(client, "ann", admin_headers)
        assert (hello["step_id"], hello["status"]) == ("hello", "sent")
        [thanks] = _messages(client, "ray", admin_headers)
        assert (thanks["step_id"], thanks["status"]) == ("thanks", "failed")
        assert thanks["reason"].startswith("template.render_failed: thanks.title: TypeError:")
        assert "Traceback" not in thanks["reason"]

        health = client.get("/healthz").json()
        assert health["scheduler"] == "running"
        assert health["scheduler_failed_cycles"] == 0
        nxt = orch.next_due()  # the bad timer is done, not first in line forever
        assert nxt is None or nxt > clock.now()
    assert orch.scheduler.state == "stopped"  # and the shutdown above raised nothing


class _Boom(Exception):
    pass


def test_a_step_that_raises_fails_alone(
    orch: Orchestrator, store: DuckDBStore, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any unexpected error while planning one timer (not only a template's) fails that step's
    message with an ``internal:`` reason; the other timers in the batch run."""
    from waymark.orchestrate import _render

    real = _render.inbox_payload

    def inbox_payload(flow: Any, step: Any, ctx: dict[str, Any]) -> dict[str, Any]:
        if flow.id == "welcome" and ctx["profile"]["user_id"] == "ray":
            raise _Boom("a bug")
        return real(flow, step, ctx)

    monkeypatch.setattr(_render, "inbox_payload", inbox_payload)
    now = clock.now()
    track(store, orch, now, event("Signed Up", now))
    clock.advance(timedelta(seconds=1))
    later = clock.now()
    track(store, orch, later, event("Signed Up", later, user_id="ann"))
    assert orch.fire() == 2
    [ray] = orch.messages(profile_id="ray").messages
    assert (ray.status, ray.reason) == ("failed", "internal: _Boom: a bug")
    [ann] = orch.messages(profile_id="ann").messages
    assert ann.status == "sent"
    nxt = orch.next_due()
    assert nxt is None or nxt > clock.now()


def test_shutdown_drains_commits_even_when_stopping_the_scheduler_raises(
    orch: Orchestrator, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    async def stop() -> None:
        raise _Boom("scheduler")

    real_stop, real_flush = services.committer.stop, services.pipeline.flush

    async def committer_stop() -> None:
        calls.append("committer.stop")
        await real_stop()

    def flush() -> None:
        calls.append("pipeline.flush")
        real_flush()

    monkeypatch.setattr(orch, "stop", stop)
    monkeypatch.setattr(services.committer, "stop", committer_stop)
    monkeypatch.setattr(services.pipeline, "flush", flush)
    with pytest.raises(_Boom), TestClient(create_app(services)):
        pass
    assert calls == ["committer.stop", "pipeline.flush"]


def test_the_scheduler_survives_an_unexpected_error_in_a_cycle() -> None:
    clock = FakeClock(T0)
    cycles: list[str] = []

    def fire() -> int:
        cycles.append("fire")
        if len(cycles) == 1:
            raise RuntimeError("not a WaymarkError")
        return 0

    def next_due() -> datetime | None:
        return None

    scheduler = Scheduler(fire=fire, next_due=next_due, clock=clock)

    async def scenario() -> None:
        await scheduler.start()
        deadline = time.monotonic() + 5
        while not cycles and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        assert scheduler.running
        assert scheduler.state == "failing"
        scheduler.poke()  # instead of waiting out the backoff
        await scheduler.wait_idle(5)
        assert scheduler.state == "running"
        await scheduler.stop()

    asyncio.run(scenario())
    assert cycles == ["fire", "fire"]
    assert (scheduler.failures, scheduler.failed_cycles) == (0, 1)
    assert scheduler.state == "stopped"


def test_a_sink_timeout_does_not_fail_the_cycle(build: Builder) -> None:
    """The log's group commit not answering in time (``TimeoutError``) is a transient failure
    like a ``WaymarkError``: the messages went out, the cycle completes."""
    kit = build({"welcome.yaml": WELCOME})
    kit.profiles.add("ray")

    def append(events: object) -> None:
        raise TimeoutError

    kit.sink.append = append  # type: ignore[method-assign]
    kit.orch.process([kit.event("Signed Up")])
    assert kit.orch.run_due() == 1
    [m] = kit.orch.messages(profile_id="ray").messages
    assert m.status == "sent"
    assert kit.orch.next_due() is None


def test_healthz_documents_the_scheduler(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    health = doc["components"]["schemas"]["Health"]["properties"]["scheduler"]
    assert set(health["enum"]) == {"running", "failing", "stopped", "disabled"}
