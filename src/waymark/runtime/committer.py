"""Group commit: concurrent ingest requests share one durable append.

Each request submits its events and awaits a future. One writer task takes everything queued
since its last commit, appends it in one transaction on a dedicated thread, then resolves every
waiting request at once. Under load, commits grow larger instead of more frequent, so durable
throughput stays high while every 200 still means "committed".
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import msgspec

from waymark.core.errors import StorageError
from waymark.core.events import AppendResult, Event
from waymark.core.ports import EventLog

log = logging.getLogger(__name__)

OnCommit = Callable[[list[Event]], None]


class _Pending(msgspec.Struct):
    events: Sequence[Event]
    future: asyncio.Future[AppendResult]
    all_time: bool = False


class GroupCommitter:
    def __init__(
        self,
        event_log: EventLog,
        *,
        on_commit: OnCommit | None = None,
        max_commit_events: int = 50_000,
    ) -> None:
        self._log = event_log
        self._on_commit = on_commit
        self._max = max_commit_events
        self._queue: deque[_Pending] = deque()
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        # One thread: the log has one writer, and appends keep their order.
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="waymark-writer")

    async def start(self) -> None:
        self._wakeup = asyncio.Event()
        self._closing = False
        self._task = asyncio.create_task(self._run(), name="waymark-group-commit")

    async def stop(self) -> None:
        """Commit what is queued, then stop."""
        self._closing = True
        if self._wakeup is not None:
            self._wakeup.set()
        if self._task is not None:
            await self._task
            self._task = None
        self._writer.shutdown(wait=True)

    async def submit(
        self, events: Sequence[Event], *, dedupe_all_time: bool = False
    ) -> AppendResult:
        """Returns once the events are durable (or raises ``StorageError``)."""
        if self._wakeup is None or self._closing:
            raise StorageError("the server is shutting down; retry shortly")
        future: asyncio.Future[AppendResult] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(events, future, dedupe_all_time))
        self._wakeup.set()
        return await future

    async def _run(self) -> None:
        assert self._wakeup is not None
        loop = asyncio.get_running_loop()
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                group = self._take_group()
                await loop.run_in_executor(self._writer, self._commit, group, loop)
            if self._closing and not self._queue:
                return

    def _take_group(self) -> list[_Pending]:
        group: list[_Pending] = []
        size = 0
        while (
            self._queue
            and (not group or size + len(self._queue[0].events) <= self._max)
            and (not group or self._queue[0].all_time == group[0].all_time)
        ):
            item = self._queue.popleft()
            group.append(item)
            size += len(item.events)
        return group

    def _commit(self, group: list[_Pending], loop: asyncio.AbstractEventLoop) -> None:
        events = [e for item in group for e in item.events]
        try:
            result = self._log.append(events, dedupe_all_time=group[0].all_time)
        except Exception as exc:  # the store failed: every waiting request learns it
            log.exception("group commit of %d events failed", len(events))
            error = exc if isinstance(exc, StorageError) else StorageError(str(exc))
            for item in group:
                loop.call_soon_threadsafe(_fail, item.future, error)
            return
        if self._on_commit is not None and result.stored:
            stored = with_seqs(events, result)
            # processed before the requests are answered, so a 200 also means the profile and
            # journeys reflect the events (read-your-writes); processing shares this thread
            # with the next commit either way
            try:
                self._on_commit(stored)
            except Exception:  # derived state lags; it catches up from the log on restart
                log.exception("processing committed events failed")
        sizes = [len(i.events) for i in group]
        for item, part in zip(group, split_result(result, sizes), strict=True):
            loop.call_soon_threadsafe(_resolve, item.future, part)


def with_seqs(events: Sequence[Event], result: AppendResult) -> list[Event]:
    """The events the log stored, each with the seq it was given."""
    dup = set(result.duplicate_indexes)
    # Event is frozen, so a copy per event; without duplicates (the usual case) no filtering
    kept = [e for i, e in enumerate(events) if i not in dup] if dup else events
    seqs = range(result.first_seq, result.first_seq + len(kept))
    return [msgspec.structs.replace(e, seq=s) for e, s in zip(kept, seqs, strict=True)]


def split_result(result: AppendResult, sizes: list[int]) -> list[AppendResult]:
    """One group commit's result, split back per request."""
    parts: list[AppendResult] = []
    dup = sorted(result.duplicate_indexes)
    start = 0
    seq = result.first_seq
    for size in sizes:
        mine = tuple(i - start for i in dup if start <= i < start + size)
        stored = size - len(mine)
        parts.append(
            AppendResult(stored=stored, duplicates=len(mine), first_seq=seq, duplicate_indexes=mine)
        )
        seq += stored
        start += size
    return parts


def _resolve(future: asyncio.Future[AppendResult], value: AppendResult) -> None:
    if not future.done():
        future.set_result(value)


def _fail(future: asyncio.Future[AppendResult], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
