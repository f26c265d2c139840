"""Feeds committed events, in seq order, to the features that derive state from them."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Protocol

from waymark.core import collector
from waymark.core.events import Event
from waymark.core.ports import EventLog

log = logging.getLogger(__name__)


class Processor(Protocol):
    """A streaming consumer of the log. ``checkpoint`` is the last seq it has durably
    processed, so after a restart it is fed the events after it."""

    name: str

    def checkpoint(self) -> int: ...

    def process(self, events: Sequence[Event]) -> None: ...

    def flush(self) -> None:
        """Persist state (and the checkpoint) now."""
        ...


class Pipeline:
    """Feeds each committed group to every processor. A processor that raises does not stop
    the others, and its checkpoint stays before the group it failed, so it is marked behind:
    from the next group on it is fed from the log after its own checkpoint (which holds the
    group it missed) until it has caught up. An event that fails on its own in that replay
    is skipped for that processor and logged, so one bad event cannot stall a feature.
    Without the log (``event_log`` None) a failure is only isolated."""

    def __init__(
        self,
        processors: Sequence[Processor] = (),
        *,
        event_log: EventLog | None = None,
        chunk: int = 50_000,
    ) -> None:
        self.processors = list(processors)
        self._log = event_log
        self._chunk = chunk
        self._behind: set[str] = set()
        self.skipped = 0
        """Events some processor skipped after failing on them alone (since start)."""

    def behind(self) -> list[str]:
        """The processors that failed on a group and have not caught up with the log yet."""
        return sorted(self._behind)

    def __call__(self, events: list[Event]) -> None:
        # a group allocates per event in every processor, over state of millions of long-lived
        # objects: with the collector on, its passes were about 30% of processing a group
        with collector.paused():
            for processor in self.processors:
                if processor.name in self._behind and self._log is not None:
                    self._replay(processor, self._log)
                    continue
                try:
                    processor.process(events)
                except Exception:
                    log.exception(
                        "%s failed on events %d..%d; it will be fed them again from the log",
                        processor.name,
                        events[0].seq if events else 0,
                        events[-1].seq if events else 0,
                    )
                    self._behind.add(processor.name)

    def _replay(self, processor: Processor, event_log: EventLog) -> None:
        for events in _after_checkpoint(event_log, processor, self._chunk):
            try:
                processor.process(events)
            except Exception:
                log.exception(
                    "%s failed again from seq %d: one event at a time",
                    processor.name,
                    events[0].seq,
                )
                self._one_at_a_time(processor, events)
        self._behind.discard(processor.name)
        log.info("%s has caught up with the log", processor.name)

    def _one_at_a_time(self, processor: Processor, events: Sequence[Event]) -> None:
        for event in events:
            if event.seq <= processor.checkpoint():
                continue
            try:
                processor.process([event])
            except Exception:
                self.skipped += 1
                log.exception(
                    "%s skipped event seq %d: it fails on its own", processor.name, event.seq
                )

    def catch_up(self, event_log: EventLog, *, chunk: int = 50_000) -> int:
        """Replay the log after each processor's checkpoint; returns events replayed."""
        replayed = 0
        for processor in self.processors:
            for events in _after_checkpoint(event_log, processor, chunk):
                with collector.paused():  # as for a committed group
                    processor.process(events)
                replayed += len(events)
            processor.flush()
        if replayed:
            log.info("caught up %d events from the log", replayed)
        return replayed

    def flush(self) -> None:
        for processor in self.processors:
            processor.flush()


def _after_checkpoint(
    event_log: EventLog, processor: Processor, chunk: int
) -> Iterator[list[Event]]:
    """The log after the processor's checkpoint (as it was at the start), in chunks."""
    after = processor.checkpoint()
    while events := event_log.events_after(after, limit=chunk):
        yield events
        after = events[-1].seq
