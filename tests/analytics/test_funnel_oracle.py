"""Funnel counts equal ClickHouse ``windowFunnel`` (chdb) on random event sets, for every mode,
window, step count, date range and breakdown; ``any_order`` equals a chdb array formulation."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import chdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.analytics._data import NAMES, T0, Ev, event_sets, to_table, values_sql
from waymark.analytics.api import funnel
from waymark.analytics.contracts import FunnelMode, FunnelQuery, FunnelStep

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def funnel_steps(draw: st.DrawFn) -> list[FunnelStep]:
    n = draw(st.integers(1, 5))
    steps = []
    for _ in range(n):
        name = draw(st.sampled_from(NAMES))
        plan = draw(st.sampled_from((None, None, "x", ["x", "y"])))
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


def _counts(levels: Counter[int], n: int) -> list[int]:
    return [sum(c for lv, c in levels.items() if lv >= k) for k in range(1, n + 1)]


def _oracle(
    evs: list[Ev],
    steps: list[FunnelStep],
    mode: FunnelMode,
    window_us: int,
    where: str,
) -> tuple[list[int], dict[str, list[int]]]:
    """Per-step counts overall and by channel, from one chdb query."""
    conds = [_ch_condition(s) for s in steps]
    n = len(steps)
    if not evs:
        return [0] * n, {}
    if mode == "any_order":
        bits = " + ".join(f"({c}) * {1 << i}" for i, c in enumerate(conds))
        level = (
            "arrayMax(arrayMap(x -> bitCount(arrayReduce('groupBitOr', arrayMap(y -> "
            f"if(y.1 >= x.1 AND y.1 <= x.1 + {window_us}, y.2, 0), evs))), evs))"
        )
        inner = (
            "SELECT {keys}, " + level + " AS level FROM (SELECT {keys}, "
            f"groupArray((t, toUInt64({bits}))) AS evs FROM {values_sql(evs)} "
            f"WHERE ({' OR '.join(conds)}) AND {where} GROUP BY {{keys}})"
        )
    else:
        params = str(window_us) + ("" if mode == "ordered" else f", '{mode}'")
        # strict_order sees every customer action; the other modes only matching rows
        rows = "typ IN ('track', 'page', 'screen')" if mode == "strict_order" else "1"
        inner = (
            "SELECT {keys}, "
            f"windowFunnel({params})(t, {', '.join(conds)}) AS level "
            f"FROM {values_sql(evs)} WHERE {rows} AND {where} GROUP BY {{keys}}"
        )
    sql = (
        f"SELECT '*', level, count() FROM ({inner.format(keys='uid')}) GROUP BY level "
        f"UNION ALL SELECT ch, level, count() FROM ({inner.format(keys='uid, ch')}) "
        "GROUP BY ch, level"
    )
    overall: Counter[int] = Counter()
    by: dict[str, Counter[int]] = {}
    for line in str(chdb.query(sql, "TSV")).strip().splitlines():
        key, level, count = line.split("\t")
        target = overall if key == "*" else by.setdefault(key, Counter())
        target[int(level)] += int(count)
    breakdown = {k: _counts(c, n) for k, c in by.items()}
    return _counts(overall, n), {k: v for k, v in breakdown.items() if v[0]}


@SETTINGS
@given(
    evs=event_sets(types=True),
    steps=funnel_steps(),
    mode=st.sampled_from(("ordered", "strict_order", "strict_deduplication", "any_order")),
    window=st.integers(0, 15),
    breakdown=st.booleans(),
)
def test_funnel_equals_chdb(
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
    result = funnel(query, to_table(evs), profile="user_id")
    expected, expected_by = _oracle(evs, steps, mode, window * 1_000_000, "1")
    assert [s.count for s in result.steps] == expected
    if breakdown:
        assert result.breakdown == expected_by


@SETTINGS
@given(
    evs=event_sets(),
    steps=funnel_steps(),
    mode=st.sampled_from(("ordered", "strict_order", "strict_deduplication")),
    window=st.integers(0, 15),
    bounds=st.tuples(st.integers(0, 40), st.integers(1, 41)).filter(lambda b: b[0] < b[1]),
)
def test_date_range_equals_chdb_on_the_range(
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
    result = funnel(query, to_table(evs), profile="user_id")
    where = f"t >= {lo * 1_000_000} AND t < {hi * 1_000_000}"
    expected, _ = _oracle(evs, steps, mode, window * 1_000_000, where)
    assert [s.count for s in result.steps] == expected


@pytest.mark.parametrize("mode", ["ordered", "strict_order", "strict_deduplication"])
def test_known_sequences(mode: FunnelMode) -> None:
    """A-B-D-C-B against A, B, C, D (the cases windowFunnel's documentation discusses)."""
    evs = [Ev(0, i * 1_000_000, name, None, "web") for i, name in enumerate("ABDCB")]
    query = FunnelQuery(
        steps=tuple(FunnelStep(event=n) for n in "ABCD"), window_seconds=100, mode=mode
    )
    counts = [s.count for s in funnel(query, to_table(evs), profile="user_id").steps]
    expected, _ = _oracle(evs, list(query.steps), mode, 100_000_000, "1")
    assert counts == expected
    assert counts == {"ordered": [1, 1, 1, 0], "strict_order": [1, 1, 0, 0]}.get(mode, [1, 1, 1, 0])
