"""How far each group gets through a funnel: ClickHouse ``windowFunnel`` levels, vectorised.

Input is one array of *rows* sorted by ``(group, ts, code)``: an event matching several steps
is one row per step (ClickHouse adds such an event once per condition and sorts the pairs by
``(timestamp, condition)``), ``code`` 0 is an event that matches no step (only present for
``strict_order``, where it breaks a chain), ``1..n`` the step, and ``n+1+e`` marks an event of
exclusion ``e``.

ClickHouse walks each group's list once, keeping per level the start time of the latest chain
that reached it. That start time never decreases along the list, so "the latest valid row of
level j-1 before this row" is also the one with the best (latest) start: a level is a
*forward fill*, which ``np.searchsorted`` over the positions of the previous level's valid rows
does for every row at once, without a loop per group. The strict modes stop the walk early; the
stop is the first row breaking a rule, found per group with the first valid position of each
level (``first``). Everything is O(rows x steps) NumPy work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

I64 = NDArray[np.int64]
Bools = NDArray[np.bool_]


@dataclass(frozen=True)
class Rows:
    """Rows sorted by ``(group, ts, code)``."""

    group: I64
    ts: I64
    code: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.group.shape[0])


@dataclass(frozen=True)
class Exclusion:
    """Events with ``code`` break a chain between step ``after`` and step ``before``."""

    code: int
    after: int
    before: int


@dataclass(frozen=True)
class Levels:
    """Per group (ascending ``group`` value): the level reached and, for each step k >= 2
    reached, the time from step k-1 to step k in the first chain that reached step k
    (``gaps[:, k-2]``; -1 when not reached or not defined)."""

    group: I64
    level: I64
    gaps: I64


def _group_index(group: I64) -> tuple[I64, I64, I64]:
    """Dense index of each row's group, the first row of each group, and its group value."""
    n = group.shape[0]
    is_first = np.ones(n, dtype=np.bool_)
    if n:
        is_first[1:] = group[1:] != group[:-1]
    starts = np.flatnonzero(is_first).astype(np.int64)
    gid = (np.cumsum(is_first) - 1).astype(np.int64)
    return gid, starts, group[starts]


def _first_per_group(positions: I64, gid: I64, n_groups: int, fill: int) -> I64:
    """For sorted row positions, the first one of each group (``fill`` where none)."""
    out = np.full(n_groups, fill, dtype=np.int64)
    if positions.shape[0]:
        g = gid[positions]
        head = np.ones(positions.shape[0], dtype=np.bool_)
        head[1:] = g[1:] != g[:-1]
        out[g[head]] = positions[head]
    return out


def _positions_by_code(code: I64, n_steps: int) -> list[I64]:
    """Row positions of each code 0..n_steps, ascending: one stable radix sort of the small
    codes instead of a pass over the rows per code."""
    small = code.astype(np.int16)
    order = np.argsort(small, kind="stable")
    counts = np.bincount(small[small <= n_steps], minlength=n_steps + 1)
    bounds = np.concatenate(([0], np.cumsum(counts)))
    return [order[bounds[j] : bounds[j + 1]].astype(np.int64) for j in range(n_steps + 1)]


def _latest_before(candidates: I64, positions: I64) -> tuple[I64, Bools]:
    """For each position, the latest candidate position strictly before it (index into
    ``candidates``) and whether there is one."""
    k = np.searchsorted(candidates, positions, side="left") - 1
    has = k >= 0
    return np.where(has, k, 0), has


def ordered_levels(
    rows: Rows,
    n_steps: int,
    window: int,
    *,
    strict_order: bool = False,
    strict_deduplication: bool = False,
    exclusions: Sequence[Exclusion] = (),
) -> Levels:
    """``windowFunnel(window[, 'strict_order'][, 'strict_deduplication'])`` per group, plus
    exclusions: a chain may not pass from step ``after`` to step ``before`` (or any step in
    between) across an exclusion event that happened strictly between the two steps' times.
    """
    n = len(rows)
    ts, code = rows.ts, rows.code
    gid, starts, values = _group_index(rows.group)
    n_groups = int(starts.shape[0])
    row_start = starts[gid]
    none = n  # "no such position": after every row

    step_rows = _positions_by_code(code, n_steps)
    first = np.full((n_steps + 1, n_groups), none, dtype=np.int64)
    pred_of_first = np.full((n_steps + 1, n_groups), none, dtype=np.int64)

    valid_pos = step_rows[1]
    valid_start = ts[valid_pos]
    first[1] = _first_per_group(valid_pos, gid, n_groups, none)
    for j in range(2, n_steps + 1):
        cand_rows = step_rows[j]
        k, ok = _latest_before(valid_pos, cand_rows)
        prev = valid_pos[k] if valid_pos.shape[0] else np.zeros_like(cand_rows)
        start = valid_start[k] if valid_pos.shape[0] else np.zeros_like(cand_rows)
        ok &= prev >= row_start[cand_rows]
        ok &= ts[cand_rows] <= start + window
        blocking = [x.code for x in exclusions if x.after < j <= x.before]
        if blocking:
            marks = np.flatnonzero(np.isin(code, blocking)).astype(np.int64)
            xk, has_x = _latest_before(marks, cand_rows)
            if marks.shape[0]:
                mark = marks[xk]
                # exclusion rows sort after step rows of the same time, so the latest one
                # before this row happened strictly earlier; it blocks a predecessor that
                # happened strictly before it
                ok &= ~(has_x & (mark >= row_start[cand_rows]) & (ts[prev] < ts[mark]))
        valid_pos, valid_start = cand_rows[ok], start[ok]
        first[j] = _first_per_group(valid_pos, gid, n_groups, none)
        heads = first[j] < none
        pos_in_valid = np.searchsorted(valid_pos, first[j][heads])
        pred_of_first[j][heads] = prev[ok][pos_in_valid]

    stop = np.full(n_groups, none, dtype=np.int64)
    if strict_deduplication:
        for j in range(2, n_steps + 1):
            q = step_rows[j]
            repeat = q[q > first[j][gid[q]]]
            stop = np.minimum(stop, _first_per_group(repeat, gid, n_groups, none))
    if strict_order:
        q = step_rows[0]
        other = q[q > first[1][gid[q]]]
        stop = np.minimum(stop, _first_per_group(other, gid, n_groups, none))
        for j in range(2, n_steps + 1):
            q = step_rows[j]
            g = gid[q]
            early = q[(q > first[1][g]) & (q < first[j - 1][g])]
            stop = np.minimum(stop, _first_per_group(early, gid, n_groups, none))

    reached = first[1:] < stop[None, :]
    level = reached.sum(axis=0).astype(np.int64)
    gaps = np.full((n_groups, max(n_steps - 1, 0)), -1, dtype=np.int64)
    for j in range(2, n_steps + 1):
        hit = reached[j - 1]
        gaps[hit, j - 2] = ts[first[j][hit]] - ts[pred_of_first[j][hit]]
    return Levels(group=values, level=level, gaps=gaps)


def any_order_levels(rows: Rows, n_steps: int, window: int) -> Levels:
    """The most distinct steps any group completes within one window, in any order.

    A window ``[t, t + window]`` starts at an event's time (the best window always does); an
    event matching several steps counts for each, as in ``windowFunnel``.
    """
    ts, code = rows.ts, rows.code
    keep = (code >= 1) & (code <= n_steps)
    group, ts, code = rows.group[keep], ts[keep], code[keep]
    gid, starts, values = _group_index(group)
    n = int(group.shape[0])
    new_tie = np.ones(n, dtype=np.bool_)
    if n:
        new_tie[1:] = (gid[1:] != gid[:-1]) | (ts[1:] != ts[:-1])
    window_starts = np.flatnonzero(new_tie).astype(np.int64)
    count = np.zeros(window_starts.shape[0], dtype=np.int64)
    for j in range(1, n_steps + 1):
        pos = np.flatnonzero(code == j).astype(np.int64)
        if not pos.shape[0]:
            continue
        nxt = np.searchsorted(pos, window_starts, side="left")
        has = nxt < pos.shape[0]
        hit = pos[np.where(has, nxt, 0)]
        count += has & (gid[hit] == gid[window_starts]) & (ts[hit] <= ts[window_starts] + window)
    level = np.zeros(starts.shape[0], dtype=np.int64)
    if window_starts.shape[0]:
        # window starts are sorted and each group has at least one, starting at its first row
        level = np.maximum.reduceat(count, np.searchsorted(window_starts, starts))
    gaps = np.full((starts.shape[0], max(n_steps - 1, 0)), -1, dtype=np.int64)
    return Levels(group=values, level=level, gaps=gaps)
