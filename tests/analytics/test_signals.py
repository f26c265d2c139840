"""The outside-signals report on a constructed dataset whose answer is worked out here by plain
loops over days, independently of the SQL."""

from __future__ import annotations

import math
import statistics
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest

from waymark.analytics.api import Analytics, JourneyData
from waymark.analytics.errors import InvalidQuery
from waymark.analytics.schemas import STATE_SCHEMA, TRANSITION_SCHEMA
from waymark.core.eventframe import events_to_arrow
from waymark.core.events import Event
from waymark.core.signals import OUTSIDE_SIGNAL
from waymark.journey.api import load_model

T0 = datetime(2026, 2, 1, 10, tzinfo=UTC)  # a Sunday
DAYS = 10
EVALUATION_ENTRIES = [1, 0, 0, 3, 2, 0, 0, 4, 1, 0]
"""Entries into evaluation of ``kit`` per day."""
RESEARCH_ENTRIES = [2, 2, 2, 2, 2, 2, 2, 2, 2, 2]
OUR_DAYS = (2, 6)


def _signal(i: int, day: int, stage: str, brand: str, **props: Any) -> Event:
    at = T0 + timedelta(days=day)
    user = props.pop("user_id", None)
    return Event(
        message_id=f"s{i}",
        type="track",
        event=OUTSIDE_SIGNAL,
        timestamp=at,
        received_at=at,
        anonymous_id=None if user else "press-desk",
        user_id=user,
        properties={
            "kind": "press",
            "stage": stage,
            "product": "kit",
            "brand": brand,
            "source": "news.example",
            **props,
        },
        seq=1000 + i,
    )


SIGNALS = [
    _signal(1, 2, "evaluation", "ours", reach=1000, sentiment=0.5),
    _signal(2, 6, "evaluation", "ours", reach=3000, sentiment=-0.5),
    _signal(3, 3, "evaluation", "rival", reach=2000),
    _signal(4, 4, "research", "rival", kind="comparison"),
    _signal(5, 5, "no-such-stage", "ours"),
    _signal(6, 8, "evaluation", "ours", product="pro"),
    _signal(7, 1, "research", "ours", kind="referral", user_id="u1"),
    _signal(8, 1, "research", "ours", kind="referral", user_id="ghost"),
    _signal(9, 1, "evaluation", "ours", model="value-journey"),
]


def _customer_event() -> Event:
    return Event(
        message_id="c1",
        type="track",
        event="Product Viewed",
        timestamp=T0,
        received_at=T0,
        user_id="u1",
        seq=1,
    )


def _events() -> pa.Table:
    events = [_customer_event(), *SIGNALS]
    table = events_to_arrow(events)
    profiles = [None if e.event == OUTSIDE_SIGNAL else "p-u1" for e in events]
    return table.append_column("profile_id", pa.array(profiles, pa.string()))


def _journeys() -> JourneyData:
    rows: list[dict[str, Any]] = []
    n = 0
    for stage, counts in (("evaluation", EVALUATION_ENTRIES), ("research", RESEARCH_ENTRIES)):
        for day, count in enumerate(counts):
            for _ in range(count):
                n += 1
                at = (T0 + timedelta(days=day, hours=1)).replace(tzinfo=None)
                rows.append(
                    {
                        "profile_id": f"p{n}",
                        "model": "hourglass",
                        "product": "kit",
                        "from_stage": None,
                        "to_stage": stage,
                        "at": at,
                        "seq": n,
                    }
                )
    return JourneyData(
        models=[load_model("hourglass")],
        transitions=pa.Table.from_pylist(rows, schema=TRANSITION_SCHEMA),
        states=STATE_SCHEMA.empty_table(),
    )


def _expected_lag(entries: list[int], signal_days: tuple[int, ...], window: int) -> dict[str, Any]:
    after = [d for d in range(DAYS) if any(0 < d - s <= window for s in signal_days)]
    other = [d for d in range(DAYS) if d not in after and d not in signal_days]
    a = [entries[d] for d in after]
    o = [entries[d] for d in other]
    diff = statistics.mean(a) - statistics.mean(o)
    ci = None
    if len(a) > 1 and len(o) > 1:
        se = math.sqrt(statistics.variance(a) / len(a) + statistics.variance(o) / len(o))
        ci = (diff - 1.96 * se, diff + 1.96 * se)
    return {
        "days_after": len(a),
        "days_other": len(o),
        "entries_after": statistics.mean(a),
        "entries_other": statistics.mean(o),
        "difference": diff,
        "lift": statistics.mean(a) / statistics.mean(o),
        "ci": ci,
    }


@pytest.mark.parametrize("window", [1, 2, 3])
def test_lag_compares_days_after_a_signal_with_other_days(
    analytics: Analytics, window: int
) -> None:
    report = analytics.signals(
        _journeys(), _events(), model="hourglass", product="kit", days=window
    )
    lag = {x.stage: x for x in report.lag}
    # our signals: evaluation on days 2 and 6, research (two referrals) on day 1
    evaluation = lag["evaluation"]
    want = _expected_lag(EVALUATION_ENTRIES, OUR_DAYS, window)
    assert evaluation.signal_days == len(OUR_DAYS)
    assert evaluation.days_after == want["days_after"]
    assert evaluation.days_other == want["days_other"]
    assert evaluation.entries_after == pytest.approx(want["entries_after"])
    assert evaluation.entries_other == pytest.approx(want["entries_other"])
    assert evaluation.difference == pytest.approx(want["difference"])
    assert evaluation.lift == pytest.approx(want["lift"])
    assert (evaluation.ci_low, evaluation.ci_high) == pytest.approx(want["ci"])
    research = lag["research"]
    flat = _expected_lag(RESEARCH_ENTRIES, (1,), window)
    assert research.signal_days == 1
    assert research.difference == pytest.approx(0.0)
    assert research.days_after == flat["days_after"]
    assert research.ci_low is None if flat["ci"] is None else research.ci_low == pytest.approx(0)
    assert set(lag) == {"evaluation", "research"}
    assert "association" in report.note


def test_share_of_voice_and_mentions(analytics: Analytics) -> None:
    report = analytics.signals(_journeys(), _events(), model="hourglass", period="week")
    # in: every signal about hourglass stages (the value-journey one and the unknown stage out)
    counted = [
        s
        for s in SIGNALS
        if s.properties["stage"] in load_model("hourglass").stage_names
        and s.properties.get("model", "hourglass") == "hourglass"
    ]
    assert report.signals == len(counted)
    assert report.other_stage == 1
    by_stage = {v.key: v for v in report.by_stage}
    for stage in ("evaluation", "research"):
        mine = [s for s in counted if s.properties["stage"] == stage]
        ours = sum(1 for s in mine if s.properties["brand"] == "ours")
        assert by_stage[stage].ours == ours
        assert by_stage[stage].total == len(mine)
        assert by_stage[stage].share == pytest.approx(ours / len(mine))
    assert by_stage["evaluation"].competitors == {"rival": 1}
    assert by_stage["evaluation"].reach_share == pytest.approx(4000 / 6000)

    def monday(d: datetime) -> date:
        return d.date() - timedelta(days=d.weekday())

    weeks: dict[str, list[Event]] = {}
    for s in counted:
        weeks.setdefault(monday(s.timestamp).isoformat(), []).append(s)
    assert [v.key for v in report.by_period] == sorted(weeks)
    for v in report.by_period:
        assert v.total == len(weeks[v.key])
        assert v.ours == sum(1 for s in weeks[v.key] if s.properties["brand"] == "ours")
    kinds = {(m.stage, m.product, m.kind, m.brand): m for m in report.mentions}
    ours_evaluation = kinds[("evaluation", "kit", "press", "ours")]
    assert ours_evaluation.mentions == 2
    assert ours_evaluation.reach == 4000
    assert ours_evaluation.sentiment == pytest.approx(0.0)
    # a referral naming u1 (who has events of their own) is named; "ghost" is nobody known
    assert report.named == 1


def test_product_filter_and_bad_days(analytics: Analytics) -> None:
    report = analytics.signals(_journeys(), _events(), product="pro")
    assert report.signals == 1 and report.by_stage[0].key == "evaluation"
    with pytest.raises(InvalidQuery) as err:
        analytics.signals(_journeys(), _events(), days=0)
    assert err.value.field == "days"
    with pytest.raises(InvalidQuery) as bad_period:
        analytics.signals(_journeys(), _events(), period="year")  # type: ignore[arg-type]
    assert bad_period.value.field == "period"
