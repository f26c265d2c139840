"""When to try a failed delivery again: exponential backoff with jitter, never sooner than
the receiver's ``Retry-After``."""

from __future__ import annotations

import random
from datetime import timedelta

from waymark.orchestrate.config import RetryPolicy


def backoff(
    policy: RetryPolicy, attempt: int, rng: random.Random, *, retry_after: float | None = None
) -> timedelta:
    """The wait before attempt ``attempt + 1`` (``attempt`` counts from 1)."""
    base = policy.first.total_seconds() * policy.factor ** max(attempt - 1, 0)
    base = min(base, policy.longest.total_seconds())
    # "equal jitter": keep part of the delay so retries stay spread out but never bunch at 0
    delay = base * (1 - policy.jitter) + rng.uniform(0, base * policy.jitter)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return timedelta(seconds=delay)
