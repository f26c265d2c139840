"""The asyncio task that fires due steps. It sleeps until the next due time and no longer:
nothing polls while idle. A new timer earlier than the one it sleeps for wakes it early
(``notify``, safe from any thread); tests with a ``FakeClock`` move the clock and ``poke`` it.

Firing runs in a worker thread (the store and SMTP are blocking), one batch at a time, so the
server's event loop stays responsive and batches never overlap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Literal

from waymark.core.clock import Clock
from waymark.core.errors import WaymarkError

log = logging.getLogger(__name__)

SchedulerState = Literal["running", "stopped", "failing"]

MAX_SLEEP = 3600.0
"""Even with nothing due, look again hourly (a wall-clock jump, a timer added elsewhere)."""


class Scheduler:
    def __init__(
        self,
        *,
        fire: Callable[[], int],
        next_due: Callable[[], datetime | None],
        clock: Clock,
        max_sleep: float = MAX_SLEEP,
    ) -> None:
        self._fire = fire
        self._next_due = next_due
        self._clock = clock
        self._max_sleep = max_sleep
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._idle: asyncio.Event | None = None
        self._stopping = False
        self._target: datetime | None = None
        self.wakeups = 0
        """How many times the loop woke up (tests check that idle means asleep)."""
        self.fired = 0
        self.failures = 0
        """Cycles that failed in a row (0 once one succeeds)."""
        self.failed_cycles = 0
        """Cycles that failed since start."""

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def state(self) -> SchedulerState:
        """``running``, ``failing`` (the last cycle failed; it keeps trying) or ``stopped``."""
        if not self.running:
            return "stopped"
        return "failing" if self.failures else "running"

    async def start(self) -> None:
        if self.running:
            return
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="waymark-orchestrate-scheduler")

    async def stop(self) -> None:
        """Finish the batch in flight, then stop (timers stay in the store)."""
        self._stopping = True
        if self._wake is not None:
            self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None

    def notify(self, due: datetime | None) -> None:
        """A timer due at ``due`` was added; wake up if it is earlier than the current sleep.
        Safe to call from any thread (the pipeline runs in the writer thread)."""
        loop, wake = self._loop, self._wake
        if loop is None or wake is None or loop.is_closed():
            return
        target = self._target
        if due is None or target is None or due < target:
            loop.call_soon_threadsafe(self._poke_soon)

    def poke(self) -> None:
        """Look at the clock and the store again now (after moving a ``FakeClock``). Call it
        on the scheduler's event loop."""
        self._poke_soon()

    def _poke_soon(self) -> None:
        if self._idle is not None:
            self._idle.clear()
        if self._wake is not None:
            self._wake.set()

    async def wait_idle(self, timeout: float = 30.0) -> None:
        """Until everything due at the clock's ``now`` has run and the loop sleeps again."""
        assert self._idle is not None, "start() the scheduler first"
        await asyncio.wait_for(self._idle.wait(), timeout)

    async def _run(self) -> None:
        assert self._wake is not None
        assert self._idle is not None
        self.failures = 0
        while not self._stopping:
            self._wake.clear()
            try:
                while not self._stopping:
                    fired = await asyncio.to_thread(self._fire)
                    self.fired += fired
                    if fired == 0:
                        break
                nxt = await asyncio.to_thread(self._next_due)
                self.failures = 0
            except Exception as exc:
                # anything, not only a WaymarkError: a dead task would stop every flow for
                # every customer, silently, until a restart (which would die the same way)
                self.failures += 1
                self.failed_cycles += 1
                delay = min(2.0**self.failures, 60.0)
                if isinstance(exc, WaymarkError):
                    log.warning(
                        "orchestration cycle failed (%s); trying again in %.0f s", exc, delay
                    )
                else:
                    log.exception("orchestration cycle failed; trying again in %.0f s", delay)
                self._target = None
                await self._sleep(delay)
                continue
            self._target = nxt
            timeout = self._max_sleep
            if nxt is not None:
                timeout = min(max((nxt - self._clock.now()).total_seconds(), 0.0), self._max_sleep)
            if self._wake.is_set():
                continue  # poked or notified while firing: look again before sleeping
            if timeout <= 0:
                continue
            self._idle.set()
            await self._sleep(timeout)
        self._idle.set()

    async def _sleep(self, seconds: float) -> None:
        assert self._wake is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self.wakeups += 1
