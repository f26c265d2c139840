"""The true journeys: for every (person, product) a semi-Markov walk over the model's stages.

A walk enters at a pre-purchase stage, stays a gamma-distributed time, then moves to the next
stage drawn from the preset (forward, skipping, back, or ``exit``: going quiet). All walks take
their steps together as NumPy arrays, so 100k people cost a few dozen array operations per
step rather than a Python loop per person.

Two rules of the journey model shape the timing, so that the stage a perfect engine derives
from the emitted events is exactly the true stage:

- moving back: evidence of an earlier stage counts only after ``moving_back.after`` without
  evidence of the current stage, so a backward move waits at least that long (and the activity
  of the stage it leaves stops that long before it);
- purchase: a move into the post-purchase phase is an order (at ``t_buy``) followed by the
  delivery days; the new stage starts on delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from waymark.sim._plan import Plan

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

BACK_MARGIN: Final = 0.25
"""Days beyond the model's moving-back wait, so clock rounding can never decide a move."""
MAX_STEPS: Final = 500


@dataclass(frozen=True)
class Chains:
    person: IntArray
    product: IntArray
    start: FloatArray
    entry: IntArray


@dataclass(frozen=True)
class Visits:
    """One row per stay in a stage, in no particular order."""

    chain: IntArray
    stage: IntArray
    prev: IntArray
    """The stage before (-1 on entering the journey)."""
    t_enter: FloatArray
    t_exit: FloatArray
    """When the next move happens (may be beyond the horizon)."""
    nxt: IntArray
    """The next stage; ``len(stages)`` for exit."""
    t_buy: FloatArray
    """When the order is placed (NaN when this stay does not end in a purchase)."""
    returned: BoolArray
    """The first post-purchase stay of a returned order: a refund at ``t_exit``, then quiet."""

    @property
    def size(self) -> int:
        return int(self.chain.size)


def draw(cum: FloatArray, u: FloatArray) -> IntArray:
    """Categorical draws: ``cum`` is one cumulative row, or one row per draw."""
    out: IntArray
    if cum.ndim == 1:
        out = np.minimum(np.searchsorted(cum, u, side="right"), cum.size - 1).astype(np.int64)
    else:
        out = np.minimum((u[:, None] >= cum).sum(axis=1), cum.shape[1] - 1).astype(np.int64)
    return out


def walk(
    plan: Plan,
    chains: Chains,
    *,
    days: float,
    delivery: tuple[float, float],
    returns: float,
    rng: np.random.Generator,
) -> Visits:
    """Every stay of every chain up to the horizon ``days``."""
    n_stages = len(plan.stages)
    stage = chains.entry.copy()
    now = chains.start.copy()
    prev = np.full(stage.size, -1, dtype=np.int64)
    active = np.flatnonzero(now < days)
    parts: list[tuple[IntArray, ...]] = []
    floats: list[tuple[FloatArray, ...]] = []
    flags: list[BoolArray] = []
    for _ in range(MAX_STEPS):
        if active.size == 0:
            break
        s = stage[active]
        t0 = now[active]
        p = prev[active]
        dwell = rng.gamma(2.0, plan.dwell[s] / 2.0)
        nxt = draw(plan.next_cum[s], rng.random(active.size))
        moving = nxt < n_stages
        target = np.where(moving, nxt, 0)
        # a returned order: the first stay after delivery ends in a refund and silence
        first_post = plan.post[s] & ((p < 0) | ~plan.post[np.maximum(p, 0)])
        returned = first_post & (rng.random(active.size) < returns)
        nxt = np.where(returned, n_stages, nxt)
        moving &= ~returned
        back = moving & (target < s)
        dwell = np.where(back, np.maximum(dwell, plan.back_after_days + 2 * BACK_MARGIN), dwell)
        buying = moving & plan.post[target] & ~plan.post[s]
        t_buy = np.where(buying, t0 + dwell, np.nan)
        ship = rng.uniform(delivery[0], delivery[1], active.size)
        t_exit = t0 + dwell + np.where(buying, ship, 0.0)
        parts.append((active, s, p, nxt))
        floats.append((t0, t_exit, t_buy))
        flags.append(returned)
        cont = moving & (t_exit < days)
        prev[active] = s
        stage[active] = nxt
        now[active] = t_exit
        active = active[cont]
    return Visits(
        chain=np.concatenate([x[0] for x in parts]) if parts else np.empty(0, np.int64),
        stage=np.concatenate([x[1] for x in parts]) if parts else np.empty(0, np.int64),
        prev=np.concatenate([x[2] for x in parts]) if parts else np.empty(0, np.int64),
        nxt=np.concatenate([x[3] for x in parts]) if parts else np.empty(0, np.int64),
        t_enter=np.concatenate([x[0] for x in floats]) if floats else np.empty(0),
        t_exit=np.concatenate([x[1] for x in floats]) if floats else np.empty(0),
        t_buy=np.concatenate([x[2] for x in floats]) if floats else np.empty(0),
        returned=np.concatenate(flags) if flags else np.empty(0, np.bool_),
    )
