"""Crash safety: a 200 means committed, even when the server is SIGKILLed at random moments.

A client thread sends batches (unique messageIds) in a loop while the main thread kills the
real server process with SIGKILL and restarts it, again and again. Afterwards every batch that
was answered 200 is in the log exactly once, no batch is half-stored, and resending the
unacknowledged batches (and some acknowledged ones) creates no duplicates.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
import msgspec
import pytest

from tests._server import ServerProcess
from waymark.store.duckdb.store import DuckDBStore

BATCH = 50
KILLS = 10
# a start compiles every import when bytecode caching is off; allow for a busy machine
START_TIMEOUT = 120.0


def batch_body(number: int) -> bytes:
    now = datetime.now(UTC).isoformat()
    messages = [
        {
            "type": ("track", "page", "identify")[i % 3],
            "event": "Item Viewed",
            "name": "Home",
            "messageId": f"b{number}-m{i}",
            "userId": f"user-{number % 97}",
            "timestamp": now,
            "properties": {"batch": number, "i": i},
        }
        for i in range(BATCH)
    ]
    return msgspec.json.encode({"batch": messages, "sentAt": now})


class Sender(threading.Thread):
    """Sends new batches as fast as the server answers, like an SDK that gives up on a batch
    whose answer it did not get. A refused connection (nothing sent) is retried as is."""

    def __init__(self, server: ServerProcess) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.acked: list[int] = []
        self.unacked: list[int] = []
        self.failures: Counter[str] = Counter()
        self.stop_event = threading.Event()

    def run(self) -> None:
        number = 0
        with httpx.Client(auth=(self.server.write_key, ""), timeout=5.0) as client:
            while not self.stop_event.is_set():
                try:
                    response = client.post(
                        f"{self.server.url}/v1/batch", content=batch_body(number)
                    )
                except httpx.ConnectError:
                    time.sleep(0.02)  # the server is down and got nothing: try again
                    continue
                except httpx.HTTPError as exc:  # cut off mid-request: stored or not, unknown
                    self.failures[type(exc).__name__] += 1
                    self.unacked.append(number)
                else:
                    if response.status_code == 200 and response.json()["accepted"] == BATCH:
                        self.acked.append(number)
                    else:
                        self.failures[f"{response.status_code} {response.text[:200]}"] += 1
                        self.unacked.append(number)
                number += 1


def stored_message_ids(data_dir: Path) -> Counter[str]:
    store = DuckDBStore(data_dir, read_only=True)
    try:
        return Counter(
            mid for batch in store.events.scan() for mid in batch.column("message_id").to_pylist()
        )
    finally:
        store.close()


def batch_of(message_id: str) -> int:
    return int(message_id[1:].split("-", 1)[0])


@pytest.mark.slow
def test_acknowledged_batches_survive_sigkill_exactly_once(tmp_path: Path) -> None:
    rng = random.Random(20260301)
    server = ServerProcess(tmp_path / "data")
    try:
        run_crash_loop(server, rng)
    finally:
        server.kill()  # whatever happened, leave no server behind


def run_crash_loop(server: ServerProcess, rng: random.Random) -> None:
    server.start(timeout=START_TIMEOUT)
    sender = Sender(server)
    sender.start()
    try:
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.05, 0.8))
            server.kill()
            server.start(timeout=START_TIMEOUT)
        time.sleep(0.5)
    finally:
        sender.stop_event.set()
        sender.join(30)
    assert not sender.is_alive()
    server.stop()
    assert len(sender.acked) >= 10 * KILLS, f"the server hardly answered: {sender.failures}"
    assert sender.unacked, "no request was cut off by a kill; the test proves nothing"

    counts = stored_message_ids(server.data_dir)
    # exactly once: nothing stored twice, every acknowledged message present
    assert max(counts.values()) == 1
    for number in sender.acked:
        for i in range(BATCH):
            assert counts[f"b{number}-m{i}"] == 1, f"acknowledged batch {number} lost message {i}"
    # a batch is one transaction: whole or absent, never half
    per_batch = Counter(batch_of(mid) for mid in counts)
    assert set(per_batch.values()) == {BATCH}
    assert set(per_batch) <= set(sender.acked) | set(sender.unacked)

    # resend what was not acknowledged, and some of what was: nothing is stored twice
    server.start(timeout=START_TIMEOUT)
    resend = sender.unacked + rng.sample(sender.acked, min(20, len(sender.acked)))
    with httpx.Client(auth=(server.write_key, ""), timeout=10.0) as client:
        for number in resend:
            response = client.post(f"{server.url}/v1/batch", content=batch_body(number))
            assert response.status_code == 200, response.text
            reply = response.json()
            assert reply["accepted"] + reply["duplicates"] == BATCH
            already = per_batch.get(number, 0)
            assert reply["duplicates"] == already
    server.stop()

    after = stored_message_ids(server.data_dir)
    assert max(after.values()) == 1
    sent = set(sender.acked) | set(sender.unacked)
    assert Counter(batch_of(mid) for mid in after) == dict.fromkeys(sent, BATCH)
