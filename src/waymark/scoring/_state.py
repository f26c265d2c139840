"""Engagement kept so that decay costs nothing to store: every contribution is held as
``log2(points) + (t - EPOCH) / half_life`` (its value "anchored" at a fixed epoch), so the sum
at any moment is ``2 ** (log_total - (now - EPOCH) / half_life)``. Decay is applied at read
time, a stored score never goes stale, and, since decay scales every contribution alike, the
largest contributions stay the largest: the explanation (top ``k``) is kept exactly.

Log space because anchored values grow as ``2 ** (days / half_life)``: years of events with a
short half-life would overflow a float.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final, NamedTuple

EPOCH_US: Final = int(datetime(2020, 1, 1, tzinfo=UTC).timestamp() * 1_000_000)
DAY_US: Final = 86_400_000_000
NONE: Final = -math.inf


class Top(NamedTuple):
    """One contribution kept to explain a score."""

    lv: float
    """log2 of its anchored value (sorts contributions for every read time at once)."""
    seq: int
    ts: int
    """Event time, microseconds since the Unix epoch."""
    rule: str
    evidence: str
    stage: str
    points: float
    """Points when earned (rule points times stage weight), before decay."""


def anchored(points: float, ts_us: int, half_life_us: float) -> float:
    return math.log2(points) + (ts_us - EPOCH_US) / half_life_us


def decay_exponent(now_us: int, half_life_us: float) -> float:
    return (now_us - EPOCH_US) / half_life_us


MAX_EXPONENT: Final = 1000.0
"""A decayed value is ``2 ** x``; an event dated decades ahead of the read time (a client's
clock, a typo in an import) makes ``x`` large enough to overflow a float, which raised in
every later read of that person's scores. Capped, such a contribution is merely enormous."""


def power2(exponent: float) -> float:
    return float(2.0 ** min(exponent, MAX_EXPONENT))


def log_add(a: float, b: float) -> float:
    """log2(2**a + 2**b) without overflow."""
    if a == NONE:
        return b
    if b == NONE:
        return a
    hi, lo = (a, b) if a >= b else (b, a)
    return hi + math.log2(1.0 + 2.0 ** (lo - hi))


def order(t: Top) -> tuple[float, int]:
    """Largest first, then the earlier event: the same order streaming and rebuild keep."""
    return (-t.lv, t.seq)


@dataclass(slots=True)
class KeyScore:
    """Engagement of one profile for one (model, product)."""

    log_total: float = NONE
    top: list[Top] = field(default_factory=list)

    def add(self, t: Top, keep: int) -> None:
        self.log_total = log_add(self.log_total, t.lv)
        self._keep([*self.top, t], keep)

    def absorb(self, other: KeyScore, keep: int) -> None:
        self.log_total = log_add(self.log_total, other.log_total)
        self._keep([*self.top, *other.top], keep)

    def _keep(self, items: list[Top], keep: int) -> None:
        items.sort(key=order)
        self.top = items[:keep]

    def value(self, now_us: int, half_life_us: float) -> float:
        if self.log_total == NONE:
            return 0.0
        return power2(self.log_total - decay_exponent(now_us, half_life_us))
