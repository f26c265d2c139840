"""The hourglass per product: where customers are now, how far they got, how long they stay,
who stalled or went away, and products side by side. One DuckDB query per model."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb

from waymark.analytics._coded import CODED_STATUS_SQL, register_coded
from waymark.analytics._journey_data import JourneyData
from waymark.analytics._journey_stats import StageStats, grouped, stage_stats
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
products AS (SELECT DISTINCT product FROM cur)
SELECT p.product, m.pos,
    coalesce(now.customers, 0) AS customers, coalesce(now.active, 0) AS active,
    coalesce(now.stalled, 0) AS stalled, coalesce(now.lapsed, 0) AS lapsed,
    coalesce(reached.reached, 0) AS reached, coalesce(dropped.dropped, 0) AS dropped
FROM products p CROSS JOIN m
LEFT JOIN now USING (product, pos)
LEFT JOIN reached USING (product, pos)
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
    history = grouped(coded.transitions)
    stats = stage_stats(con, history, max(len(coded.products), 1), len(model.stages))
    by_product: dict[int, list[tuple[Any, ...]]] = {}
    for row in rows:
        by_product.setdefault(row[0], []).append(row)
    products = [
        _product(
            model, coded.products[code], code=code, rows=stage_rows, stats=stats, config=config
        )
        for code, stage_rows in by_product.items()
    ]
    products.sort(key=lambda p: (-p.customers, p.product))
    return HourglassReport(model=model.name, as_of=as_of, products=products)


def _product(
    model: JourneyModel,
    product: str,
    *,
    code: int,
    rows: list[tuple[Any, ...]],
    stats: StageStats,
    config: AnalyticsConfig,
) -> ProductHourglass:
    stages: list[StageReport] = []
    for i, row in enumerate(rows):
        (_, pos, customers, active, stalled, lapsed, reached, dropped) = row
        entered, moved = int(stats.entered[code, pos]), int(stats.moved[code, pos])
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
                median_seconds=_seconds(stats.median_us.get((code, pos))),
                p90_seconds=_seconds(stats.p90_us.get((code, pos))),
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
