"""The hourglass per product: where customers are now, how far they got, how long they stay,
who stalled or went away, and products side by side. One DuckDB query per model."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb

from waymark.analytics._coded import CODED_STATUS_SQL, register_coded
from waymark.analytics._journey_data import JourneyData
from waymark.analytics._stages import as_of_micros
from waymark.analytics.config import (
    AnalyticsConfig,
    advocacy_stage,
    purchase_stage,
    trial_stage,
)
from waymark.analytics.contracts import HourglassReport, ProductHourglass, StageReport
from waymark.journey.contracts import BRAND, JourneyModel

_SQL = f"""
WITH cur AS (
    SELECT s.product, s.pos, s.fpos, {CODED_STATUS_SQL} AS status
    FROM s JOIN m ON m.pos = s.pos
),
now AS (
    SELECT product, pos, count(*) AS customers,
        count(*) FILTER (WHERE status = 'active') AS active,
        count(*) FILTER (WHERE status = 'stalled') AS stalled,
        count(*) FILTER (WHERE status = 'lapsed') AS lapsed
    FROM cur GROUP BY ALL
),
reached AS (
    SELECT cur.product, m.pos, count(*) AS reached FROM cur JOIN m ON m.pos <= cur.fpos
    GROUP BY ALL
),
dropped AS (
    SELECT product, fpos AS pos, count(*) AS dropped FROM cur WHERE status <> 'active'
    GROUP BY ALL
),
moves AS (
    SELECT product, jid, to_pos, from_pos, at_us,
        lead(at_us) OVER (PARTITION BY jid ORDER BY at_us, seq) AS next_us
    FROM t
),
stays AS (
    SELECT product, to_pos AS pos, count(DISTINCT jid) AS entered,
        quantile_cont(next_us - at_us, 0.5) FILTER (WHERE next_us IS NOT NULL) AS median_us,
        quantile_cont(next_us - at_us, 0.9) FILTER (WHERE next_us IS NOT NULL) AS p90_us
    FROM moves GROUP BY ALL
),
moved AS (
    SELECT product, from_pos AS pos, count(DISTINCT jid) AS moved FROM t
    WHERE from_pos >= 0 AND to_pos > from_pos GROUP BY ALL
),
products AS (SELECT DISTINCT product FROM cur)
SELECT p.product, m.pos,
    coalesce(now.customers, 0) AS customers, coalesce(now.active, 0) AS active,
    coalesce(now.stalled, 0) AS stalled, coalesce(now.lapsed, 0) AS lapsed,
    coalesce(reached.reached, 0) AS reached, coalesce(stays.entered, 0) AS entered,
    coalesce(moved.moved, 0) AS moved, coalesce(dropped.dropped, 0) AS dropped,
    stays.median_us, stays.p90_us
FROM products p CROSS JOIN m
LEFT JOIN now USING (product, pos)
LEFT JOIN reached USING (product, pos)
LEFT JOIN stays USING (product, pos)
LEFT JOIN moved USING (product, pos)
LEFT JOIN dropped USING (product, pos)
ORDER BY p.product, m.pos
"""


def _share(num: int, den: int) -> float | None:
    return num / den if den else None


def _seconds(micros: float | None) -> float | None:
    return None if micros is None else micros / 1_000_000


def hourglass(
    con: duckdb.DuckDBPyConnection,
    model: JourneyModel,
    journeys: JourneyData,
    *,
    as_of: datetime,
    product: str | None,
    config: AnalyticsConfig,
) -> HourglassReport:
    coded = register_coded(con, model, journeys, product=product)
    rows = con.execute(_SQL, {"as_of": as_of_micros(as_of)}).fetchall()
    by_product: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        by_product.setdefault(coded.products[row[0]], []).append(row)
    products = [
        _product(model, name, stage_rows, config) for name, stage_rows in by_product.items()
    ]
    products.sort(key=lambda p: (-p.customers, p.product))
    return HourglassReport(model=model.name, as_of=as_of, products=products)


def _product(
    model: JourneyModel, product: str, rows: list[tuple[Any, ...]], config: AnalyticsConfig
) -> ProductHourglass:
    stages: list[StageReport] = []
    for i, row in enumerate(rows):
        (_, pos, customers, active, stalled, lapsed, reached, entered, moved, dropped) = row[:10]
        stage = model.stages[pos]
        nxt = rows[i + 1][6] if i + 1 < len(rows) else None
        stages.append(
            StageReport(
                stage=stage.name,
                title=stage.title,
                phase=stage.phase,
                customers=customers,
                active=active,
                stalled=stalled,
                lapsed=lapsed,
                reached=reached,
                entered=entered,
                conversion_to_next=None if nxt is None else _share(nxt, reached),
                moved_on=_share(moved, entered),
                dropped=dropped,
                median_seconds=_seconds(row[10]),
                p90_seconds=_seconds(row[11]),
            )
        )
    reached_at = {s.stage: s.reached for s in stages}
    traffic = stages[0].reached if stages else 0
    trial = trial_stage(model, config)
    purchase = reached_at.get(purchase_stage(model), 0)
    advocacy = reached_at.get(advocacy_stage(model, config), 0)
    comparison: dict[str, float | None] = {}
    if trial is not None:
        comparison["traffic_to_trial"] = _share(reached_at[trial], traffic)
        comparison["trial_to_purchase"] = _share(purchase, reached_at[trial])
    comparison["traffic_to_purchase"] = _share(purchase, traffic)
    comparison["purchase_to_advocacy"] = _share(advocacy, purchase)
    return ProductHourglass(
        product=product,
        title="Brand (no product)" if product == BRAND else product,
        customers=sum(s.customers for s in stages),
        stages=stages,
        comparison=comparison,
    )
