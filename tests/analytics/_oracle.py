"""ClickHouse (chdb) as the funnel oracle: one query per example gives the per-step counts
overall and per breakdown value."""

from __future__ import annotations

from collections import Counter

import chdb

from tests.analytics._data import Ev, values_sql
from waymark.analytics.contracts import FunnelMode


def _counts(levels: Counter[int], n: int) -> list[int]:
    return [sum(c for lv, c in levels.items() if lv >= k) for k in range(1, n + 1)]


def chdb_counts(
    evs: list[Ev],
    conds: list[str],
    mode: FunnelMode,
    window_us: int,
    *,
    where: str = "1",
    by: str = "ch",
) -> tuple[list[int], dict[str, list[int]]]:
    """Counts reaching each step overall, and per value of column ``by`` (ClickHouse
    ``GROUP BY uid, by``). ``conds`` are ClickHouse conditions over ``values_sql`` columns."""
    n = len(conds)
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
        f"UNION ALL SELECT {by}, level, count() FROM ({inner.format(keys='uid, ' + by)}) "
        f"GROUP BY {by}, level"
    )
    overall: Counter[int] = Counter()
    per: dict[str, Counter[int]] = {}
    answer = chdb.query(sql, "TSV")  # type: ignore[no-untyped-call]
    for line in str(answer).strip("\n").splitlines():
        key, level, count = line.split("\t")
        target = overall if key == "*" else per.setdefault(key, Counter())
        target[int(level)] += int(count)
    breakdown = {k: _counts(c, n) for k, c in per.items()}
    return _counts(overall, n), {k: v for k, v in breakdown.items() if v[0]}
