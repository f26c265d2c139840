"""A funnel query end to end: validate, build rows, sort, compute levels, count."""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import numpy as np
import pyarrow as pa

from waymark.analytics._fastframe import fast_frame, plain_breakdown
from waymark.analytics._frame import Frame, build_frame
from waymark.analytics._levels import Exclusion, Levels, Rows, any_order_levels, ordered_levels
from waymark.analytics._sort import sort_rows
from waymark.analytics.contracts import (
    MAX_STEPS,
    FunnelQuery,
    FunnelResult,
    FunnelStepResult,
)
from waymark.analytics.errors import InvalidQuery

_US = 1_000_000


def validate(query: FunnelQuery) -> None:
    """Raise ``InvalidQuery`` naming the first field that is wrong."""
    n = len(query.steps)
    if not 1 <= n <= MAX_STEPS:
        raise InvalidQuery(f"a funnel has 1 to {MAX_STEPS} steps, got {n}", field="steps")
    for i, step in enumerate(query.steps):
        if step.is_stage:
            if step.event is not None or step.type is not None:
                raise InvalidQuery(
                    f"steps[{i}]: a step is either an event or a stage, not both",
                    field=f"steps[{i}].stage",
                )
            if not step.model:
                raise InvalidQuery(
                    f"steps[{i}]: a stage step names its journey model", field=f"steps[{i}].model"
                )
        elif step.model is not None:
            raise InvalidQuery(f"steps[{i}]: model only goes with stage", field=f"steps[{i}].model")
    if query.window_seconds < 0:
        raise InvalidQuery("window_seconds must not be negative", field="window_seconds")
    if query.from_ is not None and query.to is not None and query.from_ >= query.to:
        raise InvalidQuery("from must be before to", field="from")
    for i, x in enumerate(query.exclusions):
        before = n if x.before is None else x.before
        if not 1 <= x.after < before <= n:
            raise InvalidQuery(
                f"exclusions[{i}]: need 1 <= after < before <= {n} (steps are numbered from 1)",
                field=f"exclusions[{i}].after",
            )
    if query.exclusions and query.mode == "any_order":
        raise InvalidQuery(
            "exclusions lie between ordered steps; they do not apply to any_order",
            field="exclusions",
        )
    if query.breakdown is not None and not query.breakdown:
        raise InvalidQuery("breakdown is empty", field="breakdown")


def _rows(frame: Frame, query: FunnelQuery, *, by_value: bool) -> Rows:
    n = len(query.steps)
    n_values = len(frame.labels)
    group = frame.profile * n_values + frame.value if by_value else frame.profile
    if not query.exclusions and bool(np.all(np.bitwise_count(frame.mask) <= 1)):
        # the usual case, every event matching at most one step: one row per event, its
        # code read off the single bit (log2 is exact on powers of two)
        keep = frame.mask != 0
        if query.mode == "strict_order":
            keep |= frame.action
        rows = np.flatnonzero(keep)
        mask = frame.mask[rows]
        code = np.zeros(rows.shape[0], dtype=np.int64)
        hit = mask != 0
        code[hit] = np.log2(mask[hit].astype(np.float64)).astype(np.int64) + 1
        return sort_rows(group[rows], frame.ts[rows], code)
    picks: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for k in range(n):
        idx = np.flatnonzero(frame.mask & np.uint64(1 << k))
        picks.append(idx)
        codes.append(np.full(idx.shape[0], k + 1, dtype=np.int64))
    if query.mode == "strict_order":
        idx = np.flatnonzero((frame.mask == 0) & frame.action)
        picks.append(idx)
        codes.append(np.zeros(idx.shape[0], dtype=np.int64))
    for e in range(len(query.exclusions)):
        idx = np.flatnonzero(frame.xmask & np.uint64(1 << e))
        picks.append(idx)
        codes.append(np.full(idx.shape[0], n + 1 + e, dtype=np.int64))
    take = np.concatenate(picks) if picks else np.zeros(0, dtype=np.int64)
    return sort_rows(group[take], frame.ts[take], np.concatenate(codes))


def _levels(rows: Rows, query: FunnelQuery) -> Levels:
    n = len(query.steps)
    window = query.window_seconds * _US
    if query.mode == "any_order":
        return any_order_levels(rows, n, window)
    return ordered_levels(
        rows,
        n,
        window,
        strict_order=query.mode == "strict_order",
        strict_deduplication=query.mode == "strict_deduplication",
        exclusions=[
            Exclusion(code=n + 1 + e, after=x.after, before=n if x.before is None else x.before)
            for e, x in enumerate(query.exclusions)
        ],
    )


def _step_results(query: FunnelQuery, levels: Levels) -> list[FunnelStepResult]:
    out: list[FunnelStepResult] = []
    counts = [int((levels.level >= k).sum()) for k in range(1, len(query.steps) + 1)]
    for k, step in enumerate(query.steps, start=1):
        count = counts[k - 1]
        median: float | None = None
        if k >= 2 and query.mode != "any_order" and count:
            gaps = levels.gaps[levels.level >= k, k - 2]
            median = float(np.median(gaps)) / _US
        out.append(
            FunnelStepResult(
                name=step.label,
                count=count,
                conversion=count / counts[0] if counts[0] else 0.0,
                conversion_from_previous=(
                    1.0 if k == 1 and count else (count / counts[k - 2] if counts[k - 2] else 0.0)
                ),
                median_seconds_from_previous=median,
            )
        )
    return out


def _rank(item: tuple[str, list[int]]) -> tuple[int, str]:
    return (-item[1][0], item[0])


def run_funnel(
    cursor: Callable[[], duckdb.DuckDBPyConnection],
    query: FunnelQuery,
    events: pa.Table,
    *,
    profile: str,
    transitions: pa.Table | None = None,
    general: bool = False,
) -> FunnelResult:
    """``cursor`` gives a fresh DuckDB cursor (closed by the caller's engine). ``general``
    forces the SQL path for every row set (tests hold both paths to the same answers)."""
    validate(query)

    def frame_for(breakdown: bool) -> Frame:
        plain = not breakdown or plain_breakdown(query.breakdown) is not None
        if plain and not general:
            return fast_frame(
                cursor, query, events, profile=profile, transitions=transitions, breakdown=breakdown
            )
        return build_frame(
            cursor(), query, events, profile=profile, transitions=transitions, breakdown=breakdown
        )

    frame = frame_for(False)
    steps = _step_results(query, _levels(_rows(frame, query, by_value=False), query))
    breakdown: dict[str, list[int]] = {}
    if query.breakdown is not None:
        frame = frame_for(True)
        levels = _levels(_rows(frame, query, by_value=True), query)
        value = levels.group % len(frame.labels)
        for k in range(1, len(query.steps) + 1):
            per_value = np.bincount(value[levels.level >= k], minlength=len(frame.labels))
            for code, label in enumerate(frame.labels):
                breakdown.setdefault(label, []).append(int(per_value[code]))
        # biggest first: the values that matter most head the answer
        breakdown = dict(sorted(((k, c) for k, c in breakdown.items() if c[0]), key=_rank))
    return FunnelResult(
        steps=steps, breakdown=breakdown, mode=query.mode, window_seconds=query.window_seconds
    )
