"""Sending through the real Segment Python SDK to a real ``waymark serve`` on 127.0.0.1: every
message arrives exactly once; failures the SDK reports are counted, not lost."""

from __future__ import annotations

from typing import Any

import pytest

from tests._server import ServerProcess
from waymark.sim import api


@pytest.mark.slow
def test_send_through_the_segment_sdk(preset: api.Preset, server: ServerProcess) -> None:
    """One server for both cases: starting it is the slow part."""
    pop = api.simulate(preset, customers=60, products=2, days=20, seed=3)
    progress: list[int] = []
    result = pop.send(server.url, server.write_key, progress=progress.append)
    assert result.sent == pop.size == sum(progress)
    assert result.failed == 0 and result.errors == ()
    with server.admin() as admin:
        stats = admin.get("/api/v1/inspect").json()
        stored = admin.get("/api/v1/events", params={"limit": 1000}).json()["events"]
    # the server also writes events of its own (the flows' sends) under another source
    assert stats["by_source"]["test"] == pop.size, stats
    sent = {m["messageId"]: m for chunk in pop.messages() for m in chunk}
    for event in (e for e in stored if e["source"] == "test"):
        msg = sent[event["message_id"]]
        assert event.get("user_id") == msg.get("userId")
        assert event.get("anonymous_id") == msg.get("anonymousId")
        assert event["channel"] == msg["context"]["channel"]
    # a server that refuses the write key: every message is reported failed, none stored
    few = api.simulate(preset, customers=5, products=1, days=5, seed=4)
    refused = few.send(server.url, "wrong-key")
    assert refused.sent == few.size == refused.failed
    assert refused.errors
    with server.admin() as admin:
        assert admin.get("/api/v1/inspect").json()["by_source"]["test"] == pop.size


def test_a_full_sdk_queue_waits_instead_of_dropping(preset: api.Preset) -> None:
    class Busy:
        """An SDK client whose queue is full every other call."""

        def __init__(self) -> None:
            self.calls: list[dict[str, Any]] = []
            self.refuse = True

        def _take(self, **kwargs: Any) -> tuple[bool, Any]:
            self.refuse = not self.refuse
            if not self.refuse:
                return False, None
            self.calls.append(kwargs)
            return True, kwargs

        track = identify = page = screen = _take

        def flush(self) -> None:
            pass

        def join(self) -> None:
            pass

    busy = Busy()
    pop = api.simulate(preset, customers=4, products=1, days=10, seed=3)
    result = pop.send("http://unused", "k", client_factory=lambda url, key, on_error: busy)
    assert result.sent == pop.size == len(busy.calls)
    ids = [c["message_id"] for c in busy.calls]
    assert len(set(ids)) == len(ids)
    assert all("library" in c["context"] for c in busy.calls)
