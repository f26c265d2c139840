"""Funnel counts equal ClickHouse ``windowFunnel`` (chdb) on random event sets, for every mode,
window, step count, date range and breakdown; ``any_order`` equals a chdb array formulation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.analytics._data import NAMES, T0, Ev, event_sets, to_table
from tests.analytics._oracle import chdb_counts
from waymark.analytics.api import Analytics
from waymark.analytics.contracts import FunnelMode, FunnelQuery, FunnelStep, WhereValue

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def funnel_steps(draw: st.DrawFn) -> list[FunnelStep]:
    n = draw(st.integers(1, 5))
    steps = []
    for _ in range(n):
        name = draw(st.sampled_from(NAMES))
        options: tuple[WhereValue | None, ...] = (None, None, "x", ["x", "y"])
        plan = draw(st.sampled_from(options))
        steps.append(FunnelStep(event=name, where={} if plan is None else {"plan": plan}))
    return steps


def _ch_condition(step: FunnelStep) -> str:
    cond = f"ev = '{step.event}'"
    plan = step.where.get("plan")
    if isinstance(plan, list):
        cond += " AND plan IN (" + ", ".join(f"'{p}'" for p in plan) + ")"
    elif plan is not None:
        cond += f" AND plan = '{plan}'"
    return f"({cond})"


def _oracle(
    evs: list[Ev], steps: list[FunnelStep], mode: FunnelMode, window_us: int, where: str
) -> tuple[list[int], dict[str, list[int]]]:
    return chdb_counts(evs, [_ch_condition(s) for s in steps], mode, window_us, where=where)


@pytest.mark.slow
@SETTINGS
@given(
    evs=event_sets(types=True),
    steps=funnel_steps(),
    mode=st.sampled_from(("ordered", "strict_order", "strict_deduplication", "any_order")),
    window=st.integers(0, 15),
    breakdown=st.booleans(),
)
def test_funnel_equals_chdb(
    analytics: Analytics,
    evs: list[Ev],
    steps: list[FunnelStep],
    mode: FunnelMode,
    window: int,
    breakdown: bool,
) -> None:
    query = FunnelQuery(
        steps=tuple(steps),
        window_seconds=window,
        mode=mode,
        breakdown="channel" if breakdown else None,
    )
    result = analytics.funnel(query, to_table(evs), profile="user_id")
    expected, expected_by = _oracle(evs, steps, mode, window * 1_000_000, "1")
    assert [s.count for s in result.steps] == expected
    if breakdown:
        assert result.breakdown == expected_by


@pytest.mark.slow
@SETTINGS
@given(
    evs=event_sets(),
    steps=funnel_steps(),
    mode=st.sampled_from(("ordered", "strict_order", "strict_deduplication")),
    window=st.integers(0, 15),
    bounds=st.tuples(st.integers(0, 40), st.integers(1, 41)).filter(lambda b: b[0] < b[1]),
)
def test_date_range_equals_chdb_on_the_range(
    analytics: Analytics,
    evs: list[Ev],
    steps: list[FunnelStep],
    mode: FunnelMode,
    window: int,
    bounds: tuple[int, int],
) -> None:
    lo, hi = bounds
    query = FunnelQuery(
        steps=tuple(steps),
        window_seconds=window,
        mode=mode,
        from_=T0 + timedelta(seconds=lo),
        to=T0 + timedelta(seconds=hi),
    )
    result = analytics.funnel(query, to_table(evs), profile="user_id")
    where = f"t >= {lo * 1_000_000} AND t < {hi * 1_000_000}"
    expected, _ = _oracle(evs, steps, mode, window * 1_000_000, where)
    assert [s.count for s in result.steps] == expected


@pytest.mark.parametrize("mode", ["ordered", "strict_order", "strict_deduplication"])
def test_known_sequences(analytics: Analytics, mode: FunnelMode) -> None:
    """A-B-D-C-B against A, B, C, D (the cases windowFunnel's documentation discusses)."""
    evs = [Ev(0, i * 1_000_000, name, None, "web") for i, name in enumerate("ABDCB")]
    query = FunnelQuery(
        steps=tuple(FunnelStep(event=n) for n in "ABCD"), window_seconds=100, mode=mode
    )
    counts = [s.count for s in analytics.funnel(query, to_table(evs), profile="user_id").steps]
    expected, _ = _oracle(evs, list(query.steps), mode, 100_000_000, "1")
    assert counts == expected
    assert counts == {"ordered": [1, 1, 1, 0], "strict_order": [1, 1, 0, 0]}.get(mode, [1, 1, 1, 0])


@pytest.mark.parametrize("mode", ["ordered", "strict_order", "strict_deduplication", "any_order"])
def test_the_window_is_inclusive(analytics: Analytics, mode: FunnelMode) -> None:
    """A chain exactly ``window`` long converts; one microsecond longer does not."""
    evs = [
        Ev(0, 0, "A", None, "web"),
        Ev(0, 5_000_000, "B", None, "web"),
        Ev(1, 0, "A", None, "web"),
        Ev(1, 5_000_001, "B", None, "web"),
        Ev(2, 7_000_000, "A", None, "web"),
        Ev(2, 7_000_000, "B", None, "web"),  # same instant: window 0 still converts
    ]
    steps = [FunnelStep(event="A"), FunnelStep(event="B")]
    for window in (0, 5):
        query = FunnelQuery(steps=tuple(steps), window_seconds=window, mode=mode)
        counts = [s.count for s in analytics.funnel(query, to_table(evs), profile="user_id").steps]
        expected, _ = _oracle(evs, steps, mode, window * 1_000_000, "1")
        assert counts == expected == [3, 2 if window == 5 else 1]


def test_strict_order_is_broken_by_another_action_but_not_by_identify(
    analytics: Analytics,
) -> None:
    evs = [
        Ev(0, 0, "A", None, "web"),
        Ev(0, 1_000_000, "X", None, "web"),  # another action between the steps
        Ev(0, 2_000_000, "B", None, "web"),
        Ev(1, 0, "A", None, "web"),
        Ev(1, 1_000_000, "X", None, "web", type="identify"),  # bookkeeping, not an action
        Ev(1, 2_000_000, "B", None, "web"),
        Ev(2, 0, "X", None, "web", type="page"),  # before the first step: harmless
        Ev(2, 1_000_000, "A", None, "web"),
        Ev(2, 2_000_000, "B", None, "web"),
    ]
    steps = [FunnelStep(event="A"), FunnelStep(event="B")]
    query = FunnelQuery(steps=tuple(steps), window_seconds=60, mode="strict_order")
    counts = [s.count for s in analytics.funnel(query, to_table(evs), profile="user_id").steps]
    expected, _ = _oracle(evs, steps, "strict_order", 60_000_000, "1")
    assert counts == expected == [3, 2]
