"""Status of a journey as of a time: active, stalled (no progress at its stage for the stage's
``stall_after``) or lapsed (a post-purchase journey with no evidence for the stage's
``lapse_after``: seed 002's customers who go away). Lapsed wins over stalled.

One implementation, over NumPy arrays; a single journey is an array of one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

import numpy as np

from waymark.journey._machine import to_us
from waymark.journey.contracts import JourneyModel, Status

ACTIVE: Final = 0
STALLED: Final = 1
LAPSED: Final = 2
STATUSES: Final = (Status.ACTIVE, Status.STALLED, Status.LAPSED)
_NEVER: Final = np.iinfo(np.int64).max


def _us(value: timedelta | None) -> int:
    return _NEVER if value is None else value // timedelta(microseconds=1)


def status_codes(
    model: JourneyModel,
    stage: np.ndarray,
    entered_us: np.ndarray,
    last_evidence_us: np.ndarray,
    as_of: datetime,
) -> np.ndarray:
    """Status code per journey (``ACTIVE``, ``STALLED``, ``LAPSED``); ``stage`` are positions."""
    now = to_us(as_of)
    stall = np.array([_us(s.stall_after) for s in model.stages], dtype=np.int64)[stage]
    lapse = np.array(
        [_us(s.lapse_after) if s.phase == "post_purchase" else _NEVER for s in model.stages],
        dtype=np.int64,
    )[stage]
    out = np.full(len(stage), ACTIVE, dtype=np.int8)
    # compare as "now - since > limit" without overflowing for the "never" limit
    out[(stall != _NEVER) & (now - entered_us > stall)] = STALLED
    out[(lapse != _NEVER) & (now - last_evidence_us > lapse)] = LAPSED
    return out


def status_of(
    model: JourneyModel,
    stage: str,
    entered_at: datetime,
    last_evidence_at: datetime,
    as_of: datetime,
) -> Status:
    code = status_codes(
        model,
        np.array([model.stage_index(stage)]),
        np.array([to_us(entered_at)], dtype=np.int64),
        np.array([to_us(last_evidence_at)], dtype=np.int64),
        as_of,
    )[0]
    return STATUSES[int(code)]
