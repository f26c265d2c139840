"""Invariants over random schedules: whatever the trigger times, waits and the way the clock
moves (small steps, big jumps, repeated events), every step runs exactly once, never before
it is due, and a run's steps run in order."""

from __future__ import annotations

import random
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.orchestrate.conftest import T0, Gate, Profiles, Recorder, Sink
from waymark.core.clock import FakeClock
from waymark.core.events import Event
from waymark.core.settings import Secret
from waymark.orchestrate.api import OrchestrateConfig, Orchestrator
from waymark.store.duckdb._database import Database
from waymark.store.duckdb.orchestrate import DuckDBFlowStore

FLOW = """\
id: steps
trigger: {{event: Go, delay: {delay}s}}
steps:
  - id: one
    send: {{channel: inbox, title: one}}
  - id: gap
    wait: {wait}s
  - id: two
    send: {{channel: inbox, title: two}}
"""


@pytest.mark.slow
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    delay=st.integers(0, 120),
    wait=st.integers(1, 300),
    starts=st.lists(st.integers(0, 600), min_size=1, max_size=25),
    moves=st.lists(st.integers(1, 400), min_size=1, max_size=15),
    repeat=st.booleans(),
)
def test_every_step_runs_once_in_order_never_early(
    delay: int, wait: int, starts: list[int], moves: list[int], repeat: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        flows = Path(tmp) / "flows"
        flows.mkdir()
        (flows / "f.yaml").write_text(FLOW.format(delay=delay, wait=wait))
        db = Database.open(Path(tmp) / "data")
        clock = FakeClock(T0)
        channel = Recorder("inbox")
        fired: list[tuple[str, str, float]] = []
        channel.on_send = lambda o: fired.append((o.profile_id, o.step_id, clock.now().timestamp()))
        profiles = Profiles()
        orch = Orchestrator(
            store=DuckDBFlowStore(db),
            profiles=profiles,
            gate=Gate(),
            sink=Sink(),
            clock=clock,
            config=OrchestrateConfig(
                flows_dir=flows, tracking_secret=Secret("x" * 20), stale=timedelta(days=30)
            ),
            channels={"inbox": channel},  # type: ignore[dict-item]
            rng=random.Random(0),
            stages={},
        )
        events = []
        for i, start in enumerate(starts):
            profiles.add(f"p{i}")
            at = T0 + timedelta(seconds=start)
            events.append(
                Event(
                    message_id=f"go-{i}",
                    type="track",
                    event="Go",
                    user_id=f"p{i}",
                    timestamp=at,
                    received_at=at,
                    seq=i + 1,
                )
            )
        orch.process(events)
        for move in moves:
            clock.advance(timedelta(seconds=move))
            orch.run_due()
            if repeat:
                orch.process(events)  # re-fed events start nothing new
        while (due := orch.next_due()) is not None:  # then let everything left come due
            clock.set(max(due, clock.now()))
            orch.run_due()
        db.close()
    assert sorted((p, s) for p, s, _ in fired) == sorted(
        (f"p{i}", s) for i in range(len(starts)) for s in ("one", "two")
    )
    by_run = {(p, s): t for p, s, t in fired}
    for i, start in enumerate(starts):
        first = by_run[(f"p{i}", "one")]
        second = by_run[(f"p{i}", "two")]
        assert first >= (T0 + timedelta(seconds=start + delay)).timestamp()
        assert second >= first + wait
