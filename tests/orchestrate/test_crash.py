"""Crash test: 10,000 steps (5,000 runs of two sends, ten seconds apart) come due over a minute
of fake time while the process running them is SIGKILLed four times, and restarted later
in fake time (so steps are missed during the downtime). Afterwards every step was delivered,
every step's outcome was recorded once, and the only repeats are re-sends of steps that were
in flight at a kill, with the same idempotency key (so a receiver that dedupes sees each
exactly once)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.orchestrate._crash_child import build
from waymark.core.clock import FakeClock
from waymark.core.events import Event
from waymark.orchestrate._keys import run_id, step_key

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
RUNS = 5_000
SPREAD = timedelta(seconds=60)
FLOW = """\
id: ticks
trigger: {event: Tick}
steps:
  - id: first
    send: {channel: inbox, title: one}
  - id: pause
    wait: 10s
  - id: second
    send: {channel: inbox, title: two}
"""
ROOT = Path(__file__).resolve().parents[2]


def tick(i: int) -> Event:
    at = T0 + SPREAD * i / RUNS
    return Event(
        message_id=f"tick-{i}",
        type="track",
        event="Tick",
        user_id=f"user-{i % 250}",
        timestamp=at,
        received_at=at,
        seq=i + 1,
    )


def spawn(tmp: Path, start: datetime, end: datetime) -> subprocess.Popen[bytes]:
    args = [
        tmp / "data",
        tmp / "flows",
        tmp / "sink.log",
        tmp / "progress",
        start.isoformat(),
        end.isoformat(),
    ]
    with (tmp / "child.err").open("ab") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.orchestrate._crash_child", *map(str, args)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


def progress(tmp: Path) -> datetime | None:
    try:
        return datetime.fromisoformat((tmp / "progress").read_text())
    except (OSError, ValueError):
        return None


@pytest.mark.slow
def test_sigkill_again_and_again_loses_nothing_and_repeats_only_in_flight_steps(
    tmp_path: Path,
) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "ticks.yaml").write_text(FLOW)
    db, orch = build(
        tmp_path / "data", tmp_path / "flows", str(tmp_path / "sink.log"), FakeClock(T0)
    )
    events = [tick(i) for i in range(RUNS)]
    orch.process(events)
    db.close()

    rng = random.Random(20260601)
    end = T0 + SPREAD + timedelta(seconds=15)
    start, kills, restarts_late = T0, 0, 0
    began = time.monotonic()
    while kills < 4:
        (tmp_path / "progress").unlink(missing_ok=True)
        proc = spawn(tmp_path, start, end)
        # wait until it is firing, then kill it at a random moment
        while proc.poll() is None and (progress(tmp_path) or start) < start + timedelta(seconds=2):
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.4))
        if proc.poll() is not None:
            break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        kills += 1
        reached = progress(tmp_path) or start
        # restart a few fake seconds later: the steps due in between were missed
        start = reached + timedelta(seconds=rng.uniform(1.0, 5.0))
        restarts_late += 1
    final = spawn(tmp_path, start, end)
    final.wait(timeout=240)
    assert final.returncode == 0, (tmp_path / "child.err").read_text()[-2000:]
    elapsed = time.monotonic() - began
    assert kills >= 3, "the child finished before it could be killed; make it slower"

    lines = (tmp_path / "sink.log").read_text().splitlines()
    delivered = Counter(line.split()[0] for line in lines)
    expected = {
        step_key(run_id("ticks", e.user_id or "", f"{e.source}/{e.message_id}"), step)
        for e in events
        for step in ("first", "second")
    }
    assert set(delivered) == expected  # nothing lost, nothing unknown
    repeats = {k: n for k, n in delivered.items() if n > 1}
    # only steps in flight at a kill repeat (at most one batch per kill), each at most once
    # more per kill, and always with the same key
    assert sum(n - 1 for n in repeats.values()) <= kills * 250
    # order: a run's first send always went out before its second
    first_seen: dict[str, int] = {}
    for i, line in enumerate(lines):
        first_seen.setdefault(line.split()[0], i)
    for e in events[:: max(1, RUNS // 500)]:
        rid = run_id("ticks", e.user_id or "", f"{e.source}/{e.message_id}")
        assert first_seen[step_key(rid, "first")] < first_seen[step_key(rid, "second")]
    # missed steps ran in due order: first sends (due T0 + i * 12 ms) went out in i order
    order = [
        first_seen[
            step_key(run_id("ticks", e.user_id or "", f"{e.source}/{e.message_id}"), "first")
        ]
        for e in events
    ]
    assert order == sorted(order)

    db, orch = build(
        tmp_path / "data", tmp_path / "flows", str(tmp_path / "sink.log"), FakeClock(end)
    )
    try:
        flow = orch.flow("ticks")
        assert flow.runs == {"done": RUNS}
        assert flow.messages == {"sent": 2 * RUNS}
        assert orch.next_due() is None
        resent = [m for m in orch.messages(limit=3 * RUNS).messages if m.attempts > 1]
        assert {m.message_id for m in resent} <= set(repeats)
    finally:
        db.close()
    print(f"\ncrash test: {kills} kills, {len(repeats)} keys re-sent, {elapsed:.1f} s")
