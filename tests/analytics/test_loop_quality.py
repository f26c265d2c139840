"""The advocacy loop and journey quality on hand-made events whose answers are known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from waymark.analytics.api import Analytics, AnalyticsConfig, JourneyData
from waymark.analytics.errors import InvalidQuery
from waymark.analytics.schemas import STATE_SCHEMA, TRANSITION_SCHEMA
from waymark.core.eventframe import events_to_arrow
from waymark.core.events import Event
from waymark.journey.api import load_model

T0 = datetime(2026, 2, 1, tzinfo=UTC)


def _event(i: int, profile: str, name: str, hours: float, **kw: object) -> Event:
    at = T0 + timedelta(hours=hours)
    return Event(
        message_id=f"m{i}",
        type="track",
        event=name,
        timestamp=at,
        received_at=at,
        seq=i,
        **kw,  # type: ignore[arg-type]
    )


def _table(events: list[tuple[str, Event]]) -> pa.Table:
    table = events_to_arrow([e for _, e in events])
    return table.append_column("profile_id", pa.array([p for p, _ in events], pa.string()))


def _journeys(rows: list[tuple[str, str, str, str, datetime | None]]) -> JourneyData:
    """(profile, product, stage, furthest, purchased_at) states; transitions are not needed."""
    naive = T0.replace(tzinfo=None)
    states = pa.Table.from_pylist(
        [
            {
                "profile_id": p,
                "model": "hourglass",
                "product": product,
                "stage": stage,
                "furthest": furthest,
                "entered_at": naive,
                "last_evidence_at": naive,
                "purchased_at": None if bought is None else bought.replace(tzinfo=None),
            }
            for p, product, stage, furthest, bought in rows
        ],
        schema=STATE_SCHEMA,
    )
    return JourneyData(
        models=[load_model("hourglass")],
        transitions=TRANSITION_SCHEMA.empty_table(),
        states=states,
    )


def test_advocacy_loop(analytics: Analytics) -> None:
    events = [
        ("a", _event(1, "a", "Product Reviewed", 1, properties={"product_id": "kit", "rating": 5})),
        ("b", _event(2, "b", "Product Reviewed", 2, properties={"product_id": "kit", "rating": 3})),
        ("c", _event(3, "c", "Product Reviewed", 3, properties={"product_id": "pro", "rating": 4})),
        ("a", _event(4, "a", "Survey Responded", 4, properties={"score": 3})),
        ("a", _event(5, "a", "Survey Responded", 5, properties={"score": 10})),  # latest counts
        ("b", _event(6, "b", "Survey Responded", 6, properties={"score": 8})),
        ("c", _event(7, "c", "Survey Responded", 7, properties={"score": 2})),
        ("d", _event(8, "d", "Survey Responded", 8, properties={"score": 9})),
        ("a", _event(9, "a", "Referral Sent", 9)),
        ("a", _event(10, "a", "Referral Sent", 10)),
        ("b", _event(11, "b", "Referral Sent", 11)),
        ("r1", _event(12, "r1", "Signed Up", 12, properties={"referred_by": "a"})),
        ("r2", _event(13, "r2", "Signed Up", 13, campaign={"medium": "referral"})),
    ]
    bought = T0 + timedelta(days=1)
    journeys = _journeys(
        [
            ("a", "kit", "advocacy", "advocacy", bought),
            ("b", "kit", "retention", "expansion", bought),
            ("c", "pro", "advocacy", "advocacy", bought),
            ("d", "pro", "adoption", "adoption", bought),
            ("r1", "kit", "purchase", "purchase", bought),
            ("r2", "kit", "evaluation", "evaluation", None),
        ]
    )
    report = analytics.advocacy(journeys, _table(events))
    assert (report.reviews, report.average_rating) == (3, 4.0)
    assert (report.promoters, report.passives, report.detractors) == (2, 1, 1)
    assert report.nps == pytest.approx(25.0)
    assert (report.referrals_sent, report.referrers) == (3, 2)
    assert (report.referred, report.referred_purchasers) == (2, 1)
    assert report.k_factor == pytest.approx(1 / 5)  # 1 referred buyer per 5 buyers
    kit = next(p for p in report.products if p.product == "kit")
    assert (kit.customers, kit.advocates, kit.reviews, kit.average_rating) == (4, 1, 2, 4.0)
    pro = next(p for p in report.products if p.product == "pro")
    assert pro.advocacy_share == pytest.approx(0.5)


def test_journey_quality(analytics: Analytics) -> None:
    bought = T0 + timedelta(hours=10)
    events = [
        ("a", _event(1, "a", "Product Viewed", 0, user_id="u1")),
        ("a", _event(2, "a", "Ad Clicked", 5, properties={"product_id": "kit"})),
        ("a", _event(3, "a", "Ad Clicked", 20, properties={"product_id": "kit"})),  # after
        ("a", _event(4, "a", "Ad Clicked", 21, properties={"product_id": "pro"})),  # not bought
        ("b", _event(5, "b", "Call Received", 0, channel="call_centre")),
        ("b", _event(6, "b", "Call Received", 24 * 3, channel="call_centre")),  # repeat
        ("b", _event(7, "b", "Call Received", 24 * 20, channel="call_centre")),  # not repeat
        ("b", _event(8, "b", "Email Bounced", 1)),
        ("b", _event(9, "b", "Support Ticket Created", 2)),
        ("b", _event(10, "b", "Support Ticket Resolved", 5)),
        ("b", _event(11, "b", "Support Ticket Created", 30)),  # never resolved
        ("x", _event(12, "x", "Page Viewed", 1)),
    ]
    journeys = _journeys([("a", "kit", "adoption", "adoption", bought)])
    report = analytics.quality(journeys, _table(events))
    assert (report.events, report.recognised_events) == (12, 4)
    assert report.recognition_rate == pytest.approx(4 / 12)
    assert (report.exposures, report.exposures_after_purchase) == (3, 1)
    assert (report.contacts, report.repeat_contacts) == (3, 1)
    assert report.failed_messages == 1
    assert (report.problems, report.resolved) == (2, 1)
    assert report.median_resolution_seconds == pytest.approx(3 * 3600)


def test_config_errors_name_the_field() -> None:
    with pytest.raises(InvalidQuery) as err:
        AnalyticsConfig(repeat_contact_days=0)
    assert err.value.field == "repeat_contact_days"
    with pytest.raises(InvalidQuery) as err:
        AnalyticsConfig(retention_days=(30, -1))
    assert err.value.field == "retention_days"


def test_content_effectiveness_against_comparable_customers(analytics: Analytics) -> None:
    day = timedelta(days=1)
    naive = T0.replace(tzinfo=None)
    moves = [  # profile, from, to, day
        ("a", None, "evaluation", 0), ("a", "evaluation", "justification", 3),
        ("b", None, "evaluation", 0), ("b", "evaluation", "justification", 20),
        ("c", None, "evaluation", 0), ("c", "evaluation", "justification", 4),
        ("d", None, "evaluation", 0), ("d", "evaluation", "research", 2),
        ("e", None, "evaluation", 0), ("e", "evaluation", "justification", 0.5),
        ("f", None, "evaluation", 0),
    ]  # fmt: skip
    transitions = pa.Table.from_pylist(
        [
            {
                "profile_id": p,
                "model": "hourglass",
                "product": "kit",
                "from_stage": a,
                "to_stage": b,
                "at": naive + d * day,
                "seq": i,
            }
            for i, (p, a, b, d) in enumerate(moves)
        ],
        schema=TRANSITION_SCHEMA,
    )
    journeys = JourneyData(
        models=[load_model("hourglass")],
        transitions=transitions,
        states=_journeys([]).states,
    )
    events = [
        ("a", _event(1, "a", "Content Viewed", 24, properties={"content_id": "X"})),
        ("b", _event(2, "b", "Content Viewed", 48, properties={"content_id": "X"})),
        ("c", _event(3, "c", "Content Viewed", 24 * 10, properties={"content_id": "Y"})),
    ]
    report = analytics.effectiveness(journeys, _table(events), as_of=T0 + 60 * day, days=7)
    x = next(i for i in report.items if (i.content_id, i.stage) == ("X", "evaluation"))
    assert (x.engaged, x.progressed) == (2, 0.5)
    # c, d and f were still at evaluation a day in (the engaged customers' median delay);
    # only c moved on within the next 7 days; e had already left
    assert x.comparable == 3
    assert x.comparable_progressed == pytest.approx(1 / 3)
    assert x.lift == pytest.approx(0.5 - 1 / 3)
    y = next(i for i in report.items if i.content_id == "Y")
    assert (y.stage, y.engaged, y.progressed) == ("justification", 1, 0.0)
    with pytest.raises(InvalidQuery):
        analytics.effectiveness(journeys, _table(events), as_of=T0, days=0)
