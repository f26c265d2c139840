"""Content effectiveness: do customers who engage with an item at a stage move on within N days
more often than comparable customers at the same stage who did not?

"Comparable" is every stay at the same stage of a customer who never engaged with the item,
looked at from the same point into the stay as the engaged customers typically engaged (their
median delay since entering the stage), and only if still at the stage then. Both sides count
only windows that are fully observed by ``as_of``.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pyarrow as pa

from waymark.analytics._conditions import json_path
from waymark.analytics._profiled import register_events, require_profile
from waymark.analytics._stages import as_of_micros, register
from waymark.analytics.contracts import ContentEffect, EffectivenessReport
from waymark.journey.contracts import JourneyModel

_SQL = """
WITH stays AS (
    SELECT t.profile_id, m.pos, t.to_stage AS stage, epoch_us(t.at) AS enter,
        lead(epoch_us(t.at)) OVER w AS leave, lead(m.pos) OVER w AS next_pos
    FROM t JOIN m ON m.stage = t.to_stage
    WINDOW w AS (PARTITION BY t.profile_id, t.product ORDER BY t.at, t.seq)
),
eng AS (
    SELECT DISTINCT profile, json_extract_string(properties, $item) AS item,
        epoch_us(timestamp) AS ts
    FROM ev WHERE profile IS NOT NULL AND json_extract_string(properties, $item) IS NOT NULL
),
treated AS (
    SELECT e.item, s.stage, e.ts - s.enter AS delay,
        coalesce(s.next_pos > s.pos AND s.leave <= e.ts + $window, FALSE) AS moved
    FROM eng e JOIN stays s ON s.profile_id = e.profile AND s.enter <= e.ts
        AND (s.leave IS NULL OR e.ts < s.leave)
    WHERE e.ts + $window <= $as_of
),
tstats AS (
    SELECT item, stage, count(*) AS n, avg(moved::INTEGER) AS rate,
        quantile_disc(delay, 0.5) AS delay
    FROM treated GROUP BY ALL
),
engaged AS (SELECT DISTINCT item, profile FROM eng),
control AS (
    SELECT x.item, x.stage, count(*) AS n,
        avg(coalesce(s.next_pos > s.pos AND s.leave <= s.enter + x.delay + $window, FALSE)::INTEGER)
            AS rate
    FROM tstats x JOIN stays s ON s.stage = x.stage
    WHERE NOT EXISTS (
            SELECT 1 FROM engaged g WHERE g.item = x.item AND g.profile = s.profile_id
        )
        AND (s.leave IS NULL OR s.leave > s.enter + x.delay)
        AND s.enter + x.delay + $window <= $as_of
    GROUP BY ALL
)
SELECT x.item, x.stage, x.n, x.rate, coalesce(c.n, 0), c.rate
FROM tstats x LEFT JOIN control c USING (item, stage)
ORDER BY x.n DESC, x.item, x.stage
"""


def effectiveness(
    con: duckdb.DuckDBPyConnection,
    model: JourneyModel,
    events: pa.Table,
    transitions: pa.Table,
    states: pa.Table,
    *,
    profile: str,
    as_of: datetime,
    days: int,
) -> EffectivenessReport:
    require_profile(events, profile)
    register(con, model, transitions, states, product=None)
    register_events(con, events, profile=profile)
    rows = con.execute(
        _SQL,
        {
            "item": json_path([model.content.id_property]),
            "window": days * 86_400_000_000,
            "as_of": as_of_micros(as_of),
        },
    ).fetchall()
    items = [
        ContentEffect(
            content_id=item,
            stage=stage,
            engaged=n,
            progressed=rate,
            comparable=m,
            comparable_progressed=base,
            lift=None if rate is None or base is None else rate - base,
        )
        for item, stage, n, rate, m, base in rows
    ]
    return EffectivenessReport(model=model.name, days=days, items=items)
