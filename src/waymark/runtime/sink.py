"""Events the platform writes itself (messages sent, emails opened, traits a flow sets) go
through the same group commit as the tracking API, so they are durable and processed like
any other event."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from waymark.core.errors import StorageError
from waymark.core.events import Event
from waymark.runtime.committer import GroupCommitter


class CommitSink:
    """``orchestrate.ports.EventSink`` for code running in worker threads; bound to the
    server's event loop when the app starts."""

    def __init__(self, committer: GroupCommitter, *, timeout_s: float = 60.0) -> None:
        self._committer = committer
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timeout = timeout_s

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def append(self, events: Sequence[Event]) -> None:
        if self._loop is None:
            raise StorageError("the event sink is not started (no running server)")
        future = asyncio.run_coroutine_threadsafe(self._committer.submit(events), self._loop)
        future.result(timeout=self._timeout)

    def settle(self) -> None:
        """Return once everything submitted before the call is committed and processed: an
        empty submission queues behind it, and the one writer commits in order. Without a
        running server (the CLI) nothing can be in flight."""
        loop = self._loop
        if loop is None or loop.is_closed() or not loop.is_running():
            return
        self.append([])
