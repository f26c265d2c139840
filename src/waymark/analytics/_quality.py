"""Journey quality (seed 000): how many events are tied to a known customer, acquisition ads and
offers shown after the product was bought, and the customer's hassle: repeat call-centre
contacts, failed messages, time from a problem to its resolution."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from waymark.analytics._profiled import register_events, require_profile
from waymark.analytics.config import AnalyticsConfig
from waymark.analytics.contracts import QualityReport
from waymark.core.signals import signal_mask

_SQL = """
WITH known AS (SELECT DISTINCT profile FROM ev WHERE user_id IS NOT NULL AND profile IS NOT NULL),
shown AS (
    SELECT ev.profile, ev.timestamp,
        json_extract_string(ev.properties, '$.product_id') AS product
    FROM ev WHERE list_contains($exposures, ev.event::VARCHAR)
),
contacts AS (
    SELECT epoch_us(timestamp) - lag(epoch_us(timestamp)) OVER (
        PARTITION BY profile ORDER BY timestamp, seq) AS since
    FROM ev WHERE channel::VARCHAR = $channel AND profile IS NOT NULL
),
problems AS (
    SELECT profile, timestamp AS at FROM ev
    WHERE list_contains($problems, event::VARCHAR) AND profile IS NOT NULL
),
fixes AS (
    SELECT profile, timestamp AS at FROM ev
    WHERE list_contains($fixes, event::VARCHAR) AND profile IS NOT NULL
),
solved AS (
    SELECT epoch_us(f.at) - epoch_us(p.at) AS took
    FROM problems p ASOF JOIN fixes f ON f.profile = p.profile AND f.at >= p.at
)
SELECT
    (SELECT count(*) FROM ev),
    (SELECT count(*) FROM ev JOIN known USING (profile)),
    (SELECT count(*) FROM shown),
    (SELECT count(*) FROM shown JOIN s ON s.profile_id = shown.profile
        AND s.product = shown.product AND s.purchased_at <= shown.timestamp),
    (SELECT count(*) FROM contacts),
    (SELECT count(*) FROM contacts WHERE since <= $repeat),
    (SELECT count(*) FROM ev WHERE list_contains($failures, event::VARCHAR)),
    (SELECT count(*) FROM problems),
    (SELECT count(*) FROM solved),
    (SELECT quantile_cont(took, 0.5) FROM solved)
"""


def quality(
    con: duckdb.DuckDBPyConnection,
    events: pa.Table,
    states: pa.Table,
    *,
    profile: str,
    config: AnalyticsConfig,
) -> QualityReport:
    require_profile(events, profile)
    # quality is about customers' own events: outside signals are nobody's
    register_events(con, events.filter(pc.invert(signal_mask(events))), profile=profile)
    con.register("s", states)
    row = con.execute(
        _SQL,
        {
            "exposures": list(config.exposure_events),
            "channel": config.contact_channel,
            "problems": list(config.problem_events),
            "fixes": list(config.resolution_events),
            "failures": list(config.failure_events),
            "repeat": config.repeat_contact_days * 86_400_000_000,
        },
    ).fetchone()
    assert row is not None
    n, known, shown, late, contacts, repeats, failed, problems, solved, took = row
    return QualityReport(
        events=n,
        recognised_events=known,
        recognition_rate=known / n if n else None,
        exposures=shown,
        exposures_after_purchase=late,
        irrelevant_share=late / shown if shown else None,
        contacts=contacts,
        repeat_contacts=repeats,
        failed_messages=failed,
        problems=problems,
        resolved=solved,
        median_resolution_seconds=None if took is None else took / 1_000_000,
    )
