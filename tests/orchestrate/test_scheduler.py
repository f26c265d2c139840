"""The scheduler sleeps until the next due step, wakes early for an earlier one, never polls
while idle, and can be driven by a fake clock."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from tests.orchestrate.conftest import T0, Builder
from waymark.core.clock import FakeClock, SystemClock

FLOW = """\
id: {id}
trigger: {{event: {event}, delay: {delay}}}
steps:
  - id: note
    send: {{channel: inbox, title: hi}}
"""


def flows(**delays: str) -> dict[str, str]:
    return {f"{k}.yaml": FLOW.format(id=k, event=k.title(), delay=v) for k, v in delays.items()}


def test_it_sleeps_until_due_and_not_longer(build: Builder) -> None:
    kit = build(flows(soon="1s"), clock=SystemClock())  # type: ignore[arg-type]
    kit.profiles.add("ray")
    sent_at: list[datetime] = []
    kit.channels["inbox"].on_send = lambda item: sent_at.append(datetime.now(UTC))

    async def scenario() -> tuple[datetime, int]:
        await kit.orch.start()
        kit.orch.process([kit.event("Soon", at=datetime.now(UTC))])
        due = kit.orch.next_due()
        assert due is not None
        deadline = time.monotonic() + 10
        while not sent_at and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        await kit.orch.stop()
        return due, kit.orch.scheduler.wakeups

    due, wakeups = asyncio.run(scenario())
    [sent] = sent_at
    assert sent >= due  # never early
    assert sent - due < timedelta(seconds=3)  # and not much later, even on a busy machine
    assert wakeups <= 3  # woken for the new timer and once when it came due: no polling


def test_idle_means_asleep(build: Builder) -> None:
    kit = build(flows(soon="1s"), clock=SystemClock())  # type: ignore[arg-type]

    async def scenario() -> int:
        await kit.orch.start()
        await asyncio.sleep(0.6)
        wakeups = kit.orch.scheduler.wakeups
        await kit.orch.stop()
        return wakeups

    assert asyncio.run(scenario()) == 0
    assert kit.orch.scheduler.fired == 0


def test_an_earlier_timer_wakes_it_early(build: Builder) -> None:
    kit = build(flows(late="1h", soon="1s"), clock=SystemClock())  # type: ignore[arg-type]
    kit.profiles.add("ray")
    sent: list[tuple[str, datetime]] = []
    kit.channels["inbox"].on_send = lambda item: sent.append((item.flow_id, datetime.now(UTC)))

    async def scenario() -> datetime:
        await kit.orch.start()
        kit.orch.process([kit.event("Late", at=datetime.now(UTC))])
        await asyncio.sleep(0.3)  # now it sleeps for an hour
        kit.orch.process([kit.event("Soon", at=datetime.now(UTC))])
        due = kit.orch.next_due()
        assert due is not None
        deadline = time.monotonic() + 10
        while not sent and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        await kit.orch.stop()
        return due

    due = asyncio.run(scenario())
    [(flow, at)] = sent
    assert flow == "soon"
    assert due <= at < due + timedelta(seconds=3)
    assert kit.orch.scheduler.wakeups <= 4


def test_a_fake_clock_drives_it(build: Builder) -> None:
    clock = FakeClock(T0)
    kit = build(flows(later="3d"), clock=clock)
    kit.profiles.add("ray")

    async def scenario() -> list[int]:
        await kit.orch.start()
        kit.orch.process([kit.event("Later")])
        counts = []
        for step in (
            timedelta(days=2),
            timedelta(days=1) - timedelta(seconds=1),
            timedelta(seconds=1),
        ):
            clock.advance(step)
            kit.orch.scheduler.poke()
            await kit.orch.scheduler.wait_idle()
            counts.append(len(kit.sent("inbox")))
        await kit.orch.stop()
        return counts

    assert asyncio.run(scenario()) == [0, 0, 1]


def test_stop_is_prompt_and_start_again_works(build: Builder) -> None:
    kit = build(flows(later="1h"), clock=SystemClock())  # type: ignore[arg-type]

    async def scenario() -> float:
        await kit.orch.start()
        await asyncio.sleep(0.1)
        start = time.monotonic()
        await kit.orch.stop()
        took = time.monotonic() - start
        await kit.orch.start()
        assert kit.orch.scheduler.running
        await kit.orch.stop()
        return took

    assert asyncio.run(scenario()) < 0.5
