"""Cohorts by the week or month a customer entered the journey (and optionally the stage they
entered at): the share reaching each stage; and post-purchase retention curves."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import duckdb
import pyarrow as pa

from waymark.analytics._stages import as_of_micros, register
from waymark.analytics.contracts import Cohort, CohortsReport, RetentionCurve
from waymark.analytics.errors import InvalidQuery
from waymark.journey.contracts import JourneyModel

_FORMAT = {"week": "%Y-%m-%d", "month": "%Y-%m"}

_COHORTS = """
WITH entry AS (
    SELECT profile_id, product, to_stage AS stage, "at" FROM t
    QUALIFY row_number() OVER (PARTITION BY profile_id, product ORDER BY "at", seq) = 1
),
c AS (
    SELECT strftime(date_trunc($period, entry.at), $fmt) AS label,
        CASE WHEN $by_stage THEN entry.stage END AS entry_stage,
        f.pos AS fpos
    FROM entry JOIN s USING (profile_id, product) JOIN m AS f ON f.stage = s.furthest
)
SELECT label, entry_stage, m.pos, count(*) FILTER (WHERE m.pos <= c.fpos) AS reached,
    count(*) AS size
FROM c CROSS JOIN m GROUP BY ALL ORDER BY label, entry_stage NULLS FIRST, m.pos
"""

_RETENTION = """
WITH p AS (
    SELECT strftime(date_trunc($period, purchased_at), $fmt) AS label,
        $as_of - epoch_us(purchased_at) AS age,
        epoch_us(last_evidence_at) - epoch_us(purchased_at) AS kept
    FROM s WHERE purchased_at IS NOT NULL
)
SELECT label, d, count(*) AS size,
    count(*) FILTER (WHERE age >= d * 86400000000) AS old,
    count(*) FILTER (WHERE age >= d * 86400000000 AND kept >= d * 86400000000) AS retained
FROM p CROSS JOIN (SELECT unnest($days) AS d) GROUP BY ALL ORDER BY label, d
"""


def cohorts(
    con: duckdb.DuckDBPyConnection,
    model: JourneyModel,
    transitions: pa.Table,
    states: pa.Table,
    *,
    as_of: datetime,
    product: str | None,
    period: Literal["week", "month"],
    by_entry_stage: bool,
    retention_days: tuple[int, ...],
) -> CohortsReport:
    if period not in _FORMAT:
        raise InvalidQuery("period is week or month", field="period")
    register(con, model, transitions, states, product=product)
    names = list(model.stage_names)
    params = {"period": period, "fmt": _FORMAT[period]}
    grouped: dict[tuple[str, str | None], tuple[int, dict[str, float]]] = {}
    for label, entry_stage, pos, reached, size in con.execute(
        _COHORTS, {**params, "by_stage": by_entry_stage}
    ).fetchall():
        shares = grouped.setdefault((label, entry_stage), (size, {}))[1]
        shares[names[pos]] = reached / size
    out = [
        Cohort(label=label, entry_stage=entry, size=size, shares=shares)
        for (label, entry), (size, shares) in grouped.items()
    ]
    days = sorted(set(retention_days))
    curves: dict[str, tuple[int, list[float | None]]] = {}
    for label, _, size, old, kept in con.execute(
        _RETENTION, {**params, "as_of": as_of_micros(as_of), "days": days}
    ).fetchall():
        curves.setdefault(label, (size, []))[1].append(kept / old if old else None)
    return CohortsReport(
        model=model.name,
        product=product,
        period=period,
        stages=names,
        cohorts=out,
        retention=[
            RetentionCurve(label=label, size=size, days=days, retained=retained)
            for label, (size, retained) in curves.items()
        ],
    )
