"""The advocacy loop (seeds 001 and 004): reviews and ratings, NPS from survey answers,
referrals sent and the customers they brought, and who reaches advocacy per product."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from waymark.analytics._conditions import json_path
from waymark.analytics._profiled import register_events, require_profile
from waymark.analytics._stages import register
from waymark.analytics.config import AnalyticsConfig, advocacy_stage
from waymark.analytics.contracts import AdvocacyReport, ProductAdvocacy
from waymark.journey.contracts import JourneyModel

_REVIEWS = """
SELECT coalesce(json_extract_string(properties, '$.product_id'), '*') AS product,
    count(*) AS n,
    avg(TRY_CAST(json_extract_string(properties, $rating) AS DOUBLE)) AS rating
FROM ev WHERE list_contains($reviews, event::VARCHAR) GROUP BY ALL
"""

_NPS = """
WITH latest AS (
    SELECT arg_max(TRY_CAST(json_extract_string(properties, $score) AS DOUBLE), timestamp) AS x
    FROM ev
    WHERE list_contains($surveys, event::VARCHAR) AND profile IS NOT NULL
        AND TRY_CAST(json_extract_string(properties, $score) AS DOUBLE) IS NOT NULL
    GROUP BY profile
)
SELECT count(*) FILTER (WHERE x >= 9), count(*) FILTER (WHERE x >= 7 AND x < 9),
    count(*) FILTER (WHERE x < 7)
FROM latest
"""

_REFERRALS = """
WITH referred AS (
    SELECT DISTINCT profile FROM ev
    WHERE profile IS NOT NULL AND (json_extract_string(properties, $referral) IS NOT NULL
        OR json_extract_string(campaign, '$.medium') = 'referral')
),
buyers AS (SELECT DISTINCT profile_id AS profile FROM s WHERE purchased_at IS NOT NULL)
SELECT
    (SELECT count(*) FROM ev WHERE list_contains($referrals, event::VARCHAR)),
    (SELECT count(DISTINCT profile) FROM ev WHERE list_contains($referrals, event::VARCHAR)),
    (SELECT count(*) FROM referred),
    (SELECT count(*) FROM referred JOIN buyers USING (profile)),
    (SELECT count(*) FROM buyers)
"""

_PRODUCTS = """
SELECT s.product, count(*) AS customers, count(*) FILTER (WHERE f.pos >= $advocacy) AS advocates
FROM s JOIN m AS f ON f.stage = s.furthest GROUP BY ALL ORDER BY customers DESC, s.product
"""


def advocacy(
    con: duckdb.DuckDBPyConnection,
    model: JourneyModel,
    events: pa.Table,
    transitions: pa.Table,
    states: pa.Table,
    *,
    profile: str,
    config: AnalyticsConfig,
) -> AdvocacyReport:
    require_profile(events, profile)
    register(con, model, transitions, states, product=None)
    register_events(con, events, profile=profile)
    reviews = {
        product: (n, rating)
        for product, n, rating in con.execute(
            _REVIEWS,
            {"reviews": list(config.review_events), "rating": json_path([config.rating_property])},
        ).fetchall()
    }
    row = con.execute(
        _NPS, {"surveys": list(config.survey_events), "score": json_path([config.score_property])}
    ).fetchone()
    promoters, passives, detractors = row if row is not None else (0, 0, 0)
    answered = promoters + passives + detractors
    refs = con.execute(
        _REFERRALS,
        {
            "referrals": list(config.referral_events),
            "referral": json_path([config.referral_property]),
        },
    ).fetchone()
    sent, referrers, referred, referred_buyers, buyers = refs if refs is not None else (0,) * 5
    position = model.stage_index(advocacy_stage(model, config))
    products = [
        ProductAdvocacy(
            product=product,
            customers=customers,
            advocates=advocates,
            advocacy_share=advocates / customers if customers else None,
            reviews=reviews.get(product, (0, None))[0],
            average_rating=reviews.get(product, (0, None))[1],
        )
        for product, customers, advocates in con.execute(
            _PRODUCTS, {"advocacy": position}
        ).fetchall()
    ]
    total_reviews = sum(n for n, _ in reviews.values())
    rated = [(n, r) for n, r in reviews.values() if r is not None]
    return AdvocacyReport(
        model=model.name,
        reviews=total_reviews,
        average_rating=sum(n * r for n, r in rated) / sum(n for n, _ in rated) if rated else None,
        survey_responses=answered,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        nps=100.0 * (promoters - detractors) / answered if answered else None,
        referrals_sent=sent,
        referrers=referrers,
        referred=referred,
        referred_purchasers=referred_buyers,
        k_factor=referred_buyers / buyers if buyers else None,
        products=products,
    )
