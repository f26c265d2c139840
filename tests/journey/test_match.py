"""The per-event matcher (streaming) and the SQL compiler (rebuild) agree on every event."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.journey._strategies import T0, conditions, events, models
from waymark.core.eventframe import events_to_arrow
from waymark.core.events import Event
from waymark.journey._match import ModelMatcher, compile_condition
from waymark.journey._rebuild import evidence_tables
from waymark.journey._sql import condition_sql
from waymark.journey.api import SHIPPED_MODELS, load_model
from waymark.journey.contracts import BRAND, Condition, JourneyModel

Row = tuple[int, str, int, tuple[tuple[int, int], ...], bool]


def _python(model: JourneyModel, batch: list[Event]) -> set[Row]:
    matcher = ModelMatcher(model)
    return {
        (e.seq, hit.product, hit.mask, hit.levels, hit.purchase)
        for e in batch
        for hit in matcher.match(e)
    }


def _sql(model: JourneyModel, batch: list[Event]) -> set[Row]:
    arrow = events_to_arrow(batch).to_batches()[0]
    (table,), _ = evidence_tables([model], [(arrow, pa.array(["p"] * len(batch)))])
    if table.num_rows == 0:
        return set()
    leveled = [i for i, s in enumerate(model.stages) if s.levels]
    rows = table.to_pylist()
    return {
        (
            r["seq"],
            r["product"],
            r["mask"],
            tuple((i, r[f"lv_{i}"]) for i in leveled if r[f"lv_{i}"] >= 0),
            r["purchase"],
        )
        for r in rows
    }


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=models(), batch=events(count=40))
def test_sql_and_python_find_the_same_evidence(model: JourneyModel, batch: list[Event]) -> None:
    assert _sql(model, batch) == _python(model, batch)


@settings(max_examples=15, deadline=None)
@given(name=st.sampled_from(SHIPPED_MODELS), batch=events(count=60))
def test_shipped_models_agree(name: str, batch: list[Event]) -> None:
    model = load_model(name)
    assert _sql(model, batch) == _python(model, batch)


def _track(name: str, **props: object) -> Event:
    return Event(
        message_id="m1",
        type="track",
        event=name,
        timestamp=T0,
        received_at=T0 + timedelta(seconds=1),
        properties=props,
        seq=1,
    )


@pytest.mark.parametrize(
    ("event", "stages", "products", "purchase"),
    [
        (_track("Product Viewed", product_id="genius"), {"evaluation"}, ["genius"], False),
        (_track("Ad Clicked"), {"engagement"}, [BRAND], False),
        (
            _track("Order Completed", products=[{"product_id": "a"}, {"product_id": "b"}]),
            {"purchase"},
            ["a", "b"],
            True,
        ),
        (
            _track("Order Completed", product_id="a", order_type="upsell"),
            {"purchase", "expansion"},
            ["a"],
            True,
        ),
        (_track("Survey Responded", product_id="a", score=10), {"advocacy"}, ["a"], False),
        (_track("Survey Responded", product_id="a", score="10"), set(), [], False),
        (_track("Content Viewed", content_stage="research"), {"research"}, [BRAND], False),
        (_track("Content Viewed"), set(), [], False),
        (_track("Video Playback Started"), set(), [], False),
    ],
)
def test_hourglass_evidence_examples(
    event: Event, stages: set[str], products: list[str], purchase: bool
) -> None:
    model = load_model("hourglass")
    hits = ModelMatcher(model).match(event)
    assert [h.product for h in hits] == products
    for hit in hits:
        assert {s.name for i, s in enumerate(model.stages) if hit.mask >> i & 1} == stages
        assert hit.purchase is purchase


def test_awareness_level_is_the_highest_shown() -> None:
    model = load_model("value-journey")
    matcher = ModelMatcher(model)
    (plain,) = matcher.match(_track("Ad Clicked"))
    (problem,) = matcher.match(_track("Ad Clicked", content_level="problem_aware"))
    (product,) = matcher.match(_track("Ad Clicked", content_level="problem_aware", product_id="g"))
    aware = model.stage_index("aware")
    levels = [lv.name for lv in model.stages[aware].levels]
    assert [levels[dict(h.levels)[aware]] for h in (plain, problem, product)] == [
        "unaware",
        "problem_aware",
        "product_aware",
    ]


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(conds=st.lists(conditions(), min_size=1, max_size=16), batch=events(count=40))
def test_every_condition_means_the_same_in_sql_and_python(
    conds: list[Condition], batch: list[Event]
) -> None:
    table = events_to_arrow(batch)
    columns = ", ".join(f"{condition_sql(c)} AS c{i}" for i, c in enumerate(conds))
    con = duckdb.connect()
    try:
        con.register("ev", table)
        rows = con.sql(f"SELECT seq, {columns} FROM ev ORDER BY seq").fetchall()
    finally:
        con.close()
    tests = [compile_condition(c) for c in conds]
    expected = [(e.seq, *(t(e) for t in tests)) for e in batch]
    assert rows == expected


@pytest.mark.slow
@settings(max_examples=10, deadline=None)
@given(batch=events(count=60), extra=models())
def test_one_query_for_several_models_equals_one_per_model(
    batch: list[Event], extra: JourneyModel
) -> None:
    chosen = [*(load_model(n) for n in SHIPPED_MODELS), extra]
    arrow = events_to_arrow(batch).to_batches()[0]
    ids = pa.array([f"p{e.seq % 3}" for e in batch])
    together, _ = evidence_tables(chosen, [(arrow, ids)])
    for model, table in zip(chosen, together, strict=True):
        (alone,), _ = evidence_tables([model], [(arrow, ids)])
        # profiles come in any order, each profile's rows in time order
        assert _by_profile(table) == _by_profile(alone)


def _by_profile(table: pa.Table) -> dict[str, list[dict[str, object]]]:
    rows: dict[str, list[dict[str, object]]] = {}
    previous = None
    for row in table.to_pylist():
        profile = str(row["profile_id"])
        assert profile == previous or profile not in rows  # each profile's rows together
        rows.setdefault(profile, []).append(row)
        previous = profile
    for found in rows.values():
        assert found == sorted(found, key=lambda r: (r["ts"], r["seq"], r["pos"]))
    return rows
