"""Deterministic ids: the same trigger occurrence always gives the same run, and the same run
and step always give the same idempotency key, across restarts and re-fed events."""

from __future__ import annotations

import hashlib


def _digest(*parts: str) -> str:
    # each part followed by a unit separator, hashed in one update (the same bytes as an
    # update per part and separator: ids stay what they were; two ids per started run)
    data = ("\x1f".join(parts) + "\x1f").encode()
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def run_id(flow_id: str, profile_id: str, occurrence: str) -> str:
    return _digest("run", flow_id, profile_id, occurrence)


def step_key(run: str, step_id: str) -> str:
    """The idempotency key of one step of one run (steps run at most once per run)."""
    return _digest("step", run, step_id)


def calendar_timer(flow_id: str, when: str) -> str:
    return _digest("calendar", flow_id, when)
