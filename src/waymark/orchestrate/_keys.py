"""Deterministic ids: the same trigger occurrence always gives the same run, and the same run
and step always give the same idempotency key, across restarts and re-fed events."""

from __future__ import annotations

import hashlib


def _digest(*parts: str) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(part.encode())
        h.update(b"\x1f")
    return h.hexdigest()


def run_id(flow_id: str, profile_id: str, occurrence: str) -> str:
    return _digest("run", flow_id, profile_id, occurrence)


def step_key(run: str, step_id: str) -> str:
    """The idempotency key of one step of one run (steps run at most once per run)."""
    return _digest("step", run, step_id)


def calendar_timer(flow_id: str, when: str) -> str:
    return _digest("calendar", flow_id, when)
