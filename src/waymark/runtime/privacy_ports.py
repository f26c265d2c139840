"""Privacy's ports on ingest, orchestration and decide.

What an erasure waits for and holds still besides the log: the commits in flight (the group
committer's barrier), orchestration (no cycle runs, the person's runs, timers and messages go,
no run starts for them again), decide's write-behind log (what it buffered is written
first, so the sweep after it finds it) and decide's audience counts (none runs, and the last
count forgets the person, so none writes them back): ``privacy.ports.Writers``. And the
messages a person was sent, for their preference page: ``privacy.ports.Messages``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from typing import Protocol, runtime_checkable

from waymark.orchestrate.api import Orchestrator
from waymark.privacy.contracts import MessageSummary


@runtime_checkable
class Buffered(Protocol):
    def flush(self) -> None: ...


class ErasureWriters:
    def __init__(
        self,
        orchestrator: Orchestrator | None,
        buffered: Sequence[object],
        *,
        settle: Callable[[], None] = lambda: None,
        held: Sequence[Callable[[Sequence[str]], AbstractContextManager[dict[str, int]]]] = (),
    ) -> None:
        """``settle`` waits for the commits in flight (the group committer's barrier); each
        of ``held`` holds another writer still while the profiles are erased
        (``Decider.audiences_held``) and yields the rows it removed, by table."""
        self._orchestrator = orchestrator
        self._buffered = [b for b in buffered if isinstance(b, Buffered)]
        self._held = list(held)
        self.settle = settle

    @contextmanager
    def hold(self, profile_ids: Sequence[str]) -> Iterator[dict[str, int]]:
        counts: dict[str, int] = {}
        with ExitStack() as stack:
            if self._orchestrator is not None:
                stack.enter_context(self._orchestrator.paused())
                counts.update(self._orchestrator.forget(profile_ids))
            for hold in self._held:
                for table, n in stack.enter_context(hold(profile_ids)).items():
                    counts[table] = counts.get(table, 0) + n
            for log in self._buffered:
                log.flush()
            yield counts


class FlowMessages:
    def __init__(self, orchestrator: Orchestrator) -> None:
        self._orchestrator = orchestrator

    def __call__(self, profile_id: str, *, limit: int) -> list[MessageSummary]:
        found = self._orchestrator.messages(profile_id=profile_id, limit=limit).messages
        return [
            MessageSummary(
                channel=m.channel,
                subject=m.subject,
                status=m.status,
                at=m.sent_at or m.updated_at,
            )
            for m in found
        ]
