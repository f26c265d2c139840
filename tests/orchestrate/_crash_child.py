"""The process the crash test kills: an orchestrator on a DuckDB data directory, driven by a
fake clock from ``start`` until ``end``, delivering to an append-only file.

    python -m tests.orchestrate._crash_child DATA FLOWS SINK PROGRESS START END

Every delivery is one ``write`` of ``<key> <step>\\n`` to SINK (O_APPEND), which survives a
SIGKILL of this process. PROGRESS holds the fake time reached, so the test can restart later.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from waymark.core.clock import FakeClock
from waymark.core.events import Event
from waymark.orchestrate.api import OrchestrateConfig, Orchestrator
from waymark.orchestrate.channels._base import DELIVERED, Outgoing, Result
from waymark.orchestrate.contracts import ALLOW, ProfileView, Verdict
from waymark.store.duckdb._database import Database
from waymark.store.duckdb.orchestrate import DuckDBFlowStore

TICK = timedelta(seconds=2)


class AnyProfiles:
    def profile_id(self, event: Event) -> str | None:
        return event.user_id

    def get(self, profile_id: str, now: datetime) -> ProfileView | None:
        return ProfileView(profile_id=profile_id, user_id=profile_id)

    def ids(self) -> Iterator[str]:
        return iter(())


class AllowAll:
    def check(
        self, profile: ProfileView, channel: str, now: datetime, *, experience_id: str | None
    ) -> Verdict:
        return ALLOW


class NoEvents:
    def append(self, events: Sequence[Event]) -> None:
        pass


class FileChannel:
    name = "inbox"

    def __init__(self, path: str) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def unavailable(self) -> str | None:
        return None

    def send_batch(self, items: Sequence[Outgoing]) -> list[Result]:
        for item in items:
            os.write(self._fd, f"{item.key} {item.step_id}\n".encode())
        return [DELIVERED for _ in items]


def build(data: Path, flows: Path, sink: str, clock: FakeClock) -> tuple[Database, Orchestrator]:
    db = Database.open(data)
    channel = FileChannel(sink)
    orch = Orchestrator(
        store=DuckDBFlowStore(db),
        profiles=AnyProfiles(),
        gate=AllowAll(),
        sink=NoEvents(),
        clock=clock,
        config=OrchestrateConfig(flows_dir=flows, batch=250),
        channels={"inbox": channel, "email": channel, "webhook": channel},
        environ={},
        stages={},  # no stage triggers here: skip loading the journey models
    )
    return db, orch


def main(argv: list[str]) -> int:
    data, flows, sink, progress, start, end = argv
    clock = FakeClock(datetime.fromisoformat(start))
    stop = datetime.fromisoformat(end)
    db, orch = build(Path(data), Path(flows), sink, clock)
    marker = Path(progress)
    while True:
        orch.run_due()
        tmp = marker.with_suffix(".tmp")
        tmp.write_text(clock.now().isoformat())
        tmp.replace(marker)
        if clock.now() >= stop and orch.next_due() is None:
            break
        clock.advance(TICK)
    db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
