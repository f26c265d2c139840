"""Outside signals (``core.signals``): share of voice, mentions per stage and product, and
stage entries in the days after a signal against other days. DuckDB over the signal rows of
the event log and the journey transitions; no Python loop over either."""

from __future__ import annotations

import math
from typing import Any, get_args

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from waymark.analytics.contracts import (
    MentionCount,
    SignalPeriod,
    SignalsReport,
    StageLift,
    VoiceShare,
)
from waymark.analytics.errors import InvalidQuery
from waymark.core.signals import OURS, signal_mask
from waymark.journey.contracts import JourneyModel

_Z95 = 1.96

_SIGNALS = """
SELECT s.*, list_position($stages, s.stage) IS NOT NULL AS known FROM (
    SELECT "timestamp" AS ts, user_id,
        json_extract_string(properties, '$.kind') AS kind,
        json_extract_string(properties, '$.stage') AS stage,
        json_extract_string(properties, '$.product') AS product,
        json_extract_string(properties, '$.brand') AS brand,
        json_extract_string(properties, '$.model') AS model,
        coalesce(TRY_CAST(json_extract(properties, '$.reach') AS DOUBLE), 0) AS reach,
        TRY_CAST(json_extract(properties, '$.sentiment') AS DOUBLE) AS sentiment
    FROM raw
) s
WHERE (s.model IS NULL OR s.model = $model) AND ($product IS NULL OR s.product = $product)
"""

_VOICE = """
SELECT {key} AS key, brand, count(*) AS n, sum(reach) AS reach
FROM sig WHERE known GROUP BY ALL ORDER BY key, brand
"""

_MENTIONS = """
SELECT stage, product, kind, brand, count(*), sum(reach), avg(sentiment)
FROM sig WHERE known GROUP BY ALL
"""

_NAMED = """
SELECT count(*) FROM sig
WHERE user_id IS NOT NULL AND user_id IN (SELECT user_id FROM people)
"""

# Cells are (product, stage, day) for every product and stage with a signal of ``brand``, over
# every day from the first to the last day of any signal or entry. A cell is "after" when a
# signal day of its product and stage lies 1..$days days before it; "other" when it is neither
# after one nor a signal day itself.
_LAG = """
WITH s AS (
    SELECT DISTINCT product, stage, CAST(ts AS DATE) AS day FROM sig
    WHERE known AND brand = $brand
),
units AS (SELECT DISTINCT product, stage FROM s),
ent AS (
    SELECT product, to_stage AS stage, CAST("at" AS DATE) AS day, count(*) AS n
    FROM tr WHERE model = $model AND ($product IS NULL OR product = $product)
    GROUP BY ALL
),
bounds AS (
    SELECT min(day) AS lo, max(day) AS hi
    FROM (SELECT day FROM s UNION ALL SELECT day FROM ent)
),
days AS (SELECT CAST(unnest(generate_series(lo, hi, INTERVAL 1 DAY)) AS DATE) AS day FROM bounds),
cells AS (
    SELECT u.product, u.stage, d.day, coalesce(e.n, 0) AS n
    FROM units u CROSS JOIN days d
    LEFT JOIN ent e ON e.product = u.product AND e.stage = u.stage AND e.day = d.day
),
flagged AS (
    SELECT c.*,
        EXISTS (SELECT 1 FROM s WHERE s.product = c.product AND s.stage = c.stage
            AND s.day < c.day AND s.day >= c.day - CAST($days AS INTEGER)) AS after,
        EXISTS (SELECT 1 FROM s WHERE s.product = c.product AND s.stage = c.stage
            AND s.day = c.day) AS signal_day
    FROM cells c
)
SELECT stage,
    (SELECT count(*) FROM s WHERE s.stage = f.stage) AS signal_days,
    count(*) FILTER (WHERE after) AS n_after,
    avg(n) FILTER (WHERE after) AS mean_after,
    var_samp(n) FILTER (WHERE after) AS var_after,
    count(*) FILTER (WHERE NOT after AND NOT signal_day) AS n_other,
    avg(n) FILTER (WHERE NOT after AND NOT signal_day) AS mean_other,
    var_samp(n) FILTER (WHERE NOT after AND NOT signal_day) AS var_other
FROM flagged f GROUP BY stage
"""


def _voice(rows: list[tuple[Any, ...]]) -> list[VoiceShare]:
    grouped: dict[str, list[tuple[str, int, float]]] = {}
    for key, brand, n, reach in rows:
        grouped.setdefault(str(key), []).append((brand, int(n), float(reach or 0)))
    out: list[VoiceShare] = []
    for key, brands in grouped.items():
        ours = sum(n for b, n, _ in brands if b == OURS)
        ours_reach = sum(r for b, _, r in brands if b == OURS)
        total = sum(n for _, n, _ in brands)
        total_reach = sum(r for _, _, r in brands)
        out.append(
            VoiceShare(
                key=key,
                ours=ours,
                competitors={b: n for b, n, _ in brands if b != OURS},
                total=total,
                share=ours / total if total else None,
                ours_reach=ours_reach,
                total_reach=total_reach,
                reach_share=ours_reach / total_reach if total_reach else None,
            )
        )
    return out


def _lift(row: tuple[Any, ...]) -> StageLift:
    stage, signal_days, n_a, mean_a, var_a, n_o, mean_o, var_o = row
    difference = lift = low = high = None
    if mean_a is not None and mean_o is not None:
        difference = float(mean_a) - float(mean_o)
        lift = float(mean_a) / float(mean_o) if mean_o else None
        if var_a is not None and var_o is not None:
            se = math.sqrt(float(var_a) / n_a + float(var_o) / n_o)
            low, high = difference - _Z95 * se, difference + _Z95 * se
    return StageLift(
        stage=stage,
        signal_days=int(signal_days),
        days_after=int(n_a),
        days_other=int(n_o),
        entries_after=None if mean_a is None else float(mean_a),
        entries_other=None if mean_o is None else float(mean_o),
        lift=lift,
        difference=difference,
        ci_low=low,
        ci_high=high,
    )


def signals(
    con: duckdb.DuckDBPyConnection,
    model: JourneyModel,
    events: pa.Table,
    transitions: pa.Table,
    *,
    product: str | None,
    period: SignalPeriod,
    days: int,
    brand: str,
) -> SignalsReport:
    if days < 1:
        raise InvalidQuery("days must be at least 1", field="days")
    if period not in get_args(SignalPeriod):
        raise InvalidQuery(f"period is one of {', '.join(get_args(SignalPeriod))}", field="period")
    mask = signal_mask(events)
    raw = events.filter(mask).select(["timestamp", "user_id", "properties"])
    # the user ids signals name that customers' own events carry too (known people)
    named_ids = pc.unique(raw.column("user_id").drop_null())
    own = pc.and_(pc.invert(mask), pc.is_in(events.column("user_id"), value_set=named_ids))
    con.register("raw", raw)
    con.register("people", events.filter(own).select(["user_id"]))
    con.register("tr", transitions)
    stages = list(model.stage_names)
    sig = con.sql(
        _SIGNALS, params={"stages": stages, "model": model.name, "product": product}
    ).to_arrow_table()
    con.register("sig", sig)
    known = int(pc.sum(sig.column("known")).as_py() or 0)
    by_period = con.execute(
        _VOICE.format(key=f"strftime(date_trunc('{period}', ts), '%Y-%m-%d')")
    ).fetchall()
    by_stage = con.execute(_VOICE.format(key="stage")).fetchall()
    order = {s: i for i, s in enumerate(stages)}
    mentions = sorted(
        con.execute(_MENTIONS).fetchall(), key=lambda r: (order.get(r[0], 0), *r[1:4])
    )
    named = con.execute(_NAMED).fetchone()
    lag = con.execute(
        _LAG, {"model": model.name, "product": product, "days": days, "brand": brand}
    ).fetchall()
    lag.sort(key=lambda r: order.get(r[0], 0))
    return SignalsReport(
        model=model.name,
        product=product,
        period=period,
        days=days,
        brand=brand,
        signals=known,
        other_stage=sig.num_rows - known,
        named=0 if named is None else int(named[0]),
        by_period=_voice(by_period),
        by_stage=sorted(_voice(by_stage), key=lambda v: order.get(v.key, len(order))),
        mentions=[
            MentionCount(
                stage=r[0],
                product=r[1],
                kind=r[2],
                brand=r[3],
                mentions=int(r[4]),
                reach=float(r[5] or 0),
                sentiment=None if r[6] is None else float(r[6]),
            )
            for r in mentions
        ],
        lag=[_lift(r) for r in lag],
    )
