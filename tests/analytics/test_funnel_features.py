"""Exclusions, stage steps, product and first-touch breakdowns, typed conditions, inputs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.analytics._data import NAMES, T0, Ev, event_sets, to_table
from tests.analytics._oracle import chdb_counts
from tests.analytics._reference import window_funnel
from waymark.analytics._funnel import run_funnel
from waymark.analytics.api import Analytics, funnel, validate_funnel
from waymark.analytics.contracts import (
    FunnelExclusion,
    FunnelMode,
    FunnelQuery,
    FunnelStep,
    WhereValue,
)
from waymark.analytics.errors import InvalidInput, InvalidQuery
from waymark.analytics.schemas import TRANSITION_SCHEMA
from waymark.core.eventframe import events_to_arrow
from waymark.core.events import Event

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ORDERED: tuple[FunnelMode, ...] = ("ordered", "strict_order", "strict_deduplication")


def _steps_of(evs: list[Ev], names: list[str]) -> dict[int, list[tuple[int, frozenset[int]]]]:
    per: dict[int, list[tuple[int, frozenset[int]]]] = {}
    for e in evs:
        matched = frozenset(i + 1 for i, n in enumerate(names) if n == e.name)
        per.setdefault(e.profile, []).append((e.micros, matched))
    return per


@pytest.mark.slow
@SETTINGS
@given(
    evs=event_sets(),
    names=st.lists(st.sampled_from(NAMES[:3]), min_size=1, max_size=4),
    mode=st.sampled_from(ORDERED),
    window=st.integers(0, 15),
)
def test_reference_equals_chdb(
    evs: list[Ev], names: list[str], mode: FunnelMode, window: int
) -> None:
    """The plain-Python reference the exclusion test relies on is windowFunnel itself."""
    expected, _ = chdb_counts(evs, [f"ev = '{n}'" for n in names], mode, window * 10**6)
    levels = [
        window_funnel(
            rows,
            len(names),
            window * 10**6,
            strict_order=mode == "strict_order",
            strict_deduplication=mode == "strict_deduplication",
        )
        for rows in _steps_of(evs, names).values()
    ]
    assert [sum(lv >= k for lv in levels) for k in range(1, len(names) + 1)] == expected


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    evs=event_sets(),
    names=st.lists(st.sampled_from(NAMES[:3]), min_size=2, max_size=4),
    mode=st.sampled_from(ORDERED),
    window=st.integers(0, 15),
    span=st.tuples(st.integers(1, 4), st.integers(2, 4)),
)
def test_exclusions_equal_reference(
    analytics: Analytics,
    evs: list[Ev],
    names: list[str],
    mode: FunnelMode,
    window: int,
    span: tuple[int, int],
) -> None:
    n = len(names)
    after, before = min(span[0], n - 1), min(max(span[1], span[0] + 1), n)
    query = FunnelQuery(
        steps=tuple(FunnelStep(event=x) for x in names),
        window_seconds=window,
        mode=mode,
        exclusions=(FunnelExclusion(event="D", after=after, before=before),),
    )
    got = [s.count for s in analytics.funnel(query, to_table(evs), profile="user_id").steps]
    levels = []
    for p, rows in _steps_of(evs, names).items():
        marks = [(e.micros, after, before) for e in evs if e.profile == p and e.name == "D"]
        levels.append(
            window_funnel(
                rows,
                n,
                window * 10**6,
                strict_order=mode == "strict_order",
                strict_deduplication=mode == "strict_deduplication",
                exclusions=marks,
            )
        )
    assert got == [sum(lv >= k for lv in levels) for k in range(1, n + 1)]


def test_exclusion_between_steps_only_blocks_that_conversion(analytics: Analytics) -> None:
    ev = [
        Ev(0, 0, "A", None, "web"),
        Ev(0, 1_000_000, "D", None, "web"),  # cancels the first attempt
        Ev(0, 2_000_000, "B", None, "web"),
        Ev(1, 0, "A", None, "web"),
        Ev(1, 2_000_000, "B", None, "web"),
        Ev(1, 3_000_000, "D", None, "web"),  # after the conversion: harmless
        Ev(2, 0, "A", None, "web"),
        Ev(2, 1_000_000, "D", None, "web"),
        Ev(2, 2_000_000, "A", None, "web"),  # a fresh attempt after the exclusion counts
        Ev(2, 3_000_000, "B", None, "web"),
    ]
    query = FunnelQuery(
        steps=(FunnelStep(event="A"), FunnelStep(event="B")),
        window_seconds=60,
        exclusions=(FunnelExclusion(event="D"),),
    )
    assert [s.count for s in analytics.funnel(query, to_table(ev), profile="user_id").steps] == [
        3,
        2,
    ]


@st.composite
def transitions_for(draw: st.DrawFn, evs: list[Ev]) -> pa.Table:
    """Stage entries caused by some of the events (by seq), as the journey engine records."""
    rows: list[dict[str, object]] = []
    for i, e in enumerate(evs):
        for product in draw(st.sets(st.sampled_from(("kit", "pro")), max_size=2)):
            rows.append(
                {
                    "profile_id": f"p{e.profile}",
                    "model": "hourglass",
                    "product": product,
                    "from_stage": None,
                    "to_stage": draw(st.sampled_from(("evaluation", "purchase"))),
                    "at": e.at.replace(tzinfo=None),
                    "seq": i + 1,
                }
            )
    return pa.Table.from_pylist(rows, schema=TRANSITION_SCHEMA)


@pytest.mark.slow
@SETTINGS
@given(data=st.data(), evs=event_sets(), mode=st.sampled_from((*ORDERED, "any_order")))
def test_stage_steps_equal_chdb(
    analytics: Analytics, data: st.DataObject, evs: list[Ev], mode: FunnelMode
) -> None:
    transitions = data.draw(transitions_for(evs))
    n = data.draw(st.integers(1, 4))
    steps: list[FunnelStep] = []
    conds: list[str] = []
    for _ in range(n):
        if data.draw(st.booleans()):
            name = data.draw(st.sampled_from(NAMES))
            steps.append(FunnelStep(event=name))
            conds.append(f"ev = '{name}'")
        else:
            stage = data.draw(st.sampled_from(("evaluation", "purchase")))
            product = data.draw(st.sampled_from((None, "kit")))
            where: dict[str, WhereValue] = {} if product is None else {"product": product}
            steps.append(FunnelStep(stage=stage, model="hourglass", where=where))
            seqs = {
                r["seq"]
                for r in transitions.to_pylist()
                if r["to_stage"] == stage and (product is None or r["product"] == product)
            }
            conds.append(f"seq IN ({', '.join(map(str, sorted(seqs))) or '0'})")
    query = FunnelQuery(steps=tuple(steps), window_seconds=10, mode=mode)
    got = analytics.funnel(query, to_table(evs), profile="user_id", transitions=transitions)
    expected, _ = chdb_counts(evs, conds, mode, 10 * 10**6)
    assert [s.count for s in got.steps] == expected


@pytest.mark.slow
@SETTINGS
@given(
    evs=event_sets(products=True),
    names=st.lists(st.sampled_from(NAMES), min_size=1, max_size=4),
    mode=st.sampled_from((*ORDERED, "any_order")),
    window=st.integers(0, 15),
)
def test_product_breakdown_equals_chdb(
    analytics: Analytics, evs: list[Ev], names: list[str], mode: FunnelMode, window: int
) -> None:
    query = FunnelQuery(
        steps=tuple(FunnelStep(event=x) for x in names),
        window_seconds=window,
        mode=mode,
        breakdown="product",
    )
    got = analytics.funnel(query, to_table(evs), profile="user_id")
    expected, by = chdb_counts(
        evs, [f"ev = '{x}'" for x in names], mode, window * 10**6, by="product"
    )
    assert [s.count for s in got.steps] == expected
    assert got.breakdown == by


def _event(i: int, user: str, name: str, seconds: float, **kw: object) -> Event:
    at = T0 + timedelta(seconds=seconds)
    return Event(
        message_id=f"m{i}",
        type="track",
        event=name,
        timestamp=at,
        received_at=at,
        user_id=user,
        seq=i,
        **kw,  # type: ignore[arg-type]
    )


def test_order_of_several_products_counts_for_each(analytics: Analytics) -> None:
    events = [
        _event(1, "u1", "Viewed", 0, properties={"product_id": "kit"}),
        _event(2, "u1", "Viewed", 1, properties={"product_id": "pro"}),
        _event(
            3,
            "u1",
            "Order Completed",
            2,
            properties={"products": [{"product_id": "kit"}, {"product_id": "pro"}]},
        ),
        _event(4, "u2", "Viewed", 0, properties={"product_id": "kit"}),
    ]
    query = FunnelQuery(
        steps=(FunnelStep(event="Viewed"), FunnelStep(event="Order Completed")),
        breakdown="product",
    )
    got = analytics.funnel(query, events_to_arrow(events), profile="user_id")
    assert got.breakdown == {"kit": [2, 1], "pro": [1, 1]}
    assert [s.count for s in got.steps] == [2, 1]


def test_first_touch_source_is_the_profile_s_earliest_campaign_even_before_the_range(
    analytics: Analytics,
) -> None:
    events = [
        _event(1, "u1", "Visit", 0, campaign={"source": "google"}),
        _event(2, "u1", "Visit", 100, campaign={"source": "newsletter"}),
        _event(3, "u1", "Signup", 101),
        _event(4, "u2", "Visit", 100, campaign={"source": "newsletter"}),
        _event(5, "u2", "Signup", 150),
        _event(6, "u3", "Visit", 100),
    ]
    query = FunnelQuery(
        steps=(FunnelStep(event="Visit"), FunnelStep(event="Signup")),
        breakdown="first_touch_source",
        from_=T0 + timedelta(seconds=50),
    )
    got = analytics.funnel(query, events_to_arrow(events), profile="user_id")
    assert got.breakdown == {"google": [1, 1], "newsletter": [1, 1], "(none)": [1, 0]}


def test_where_conditions_are_typed(analytics: Analytics) -> None:
    events = [
        _event(1, "u1", "E", 0, properties={"n": 5}),
        _event(2, "u2", "E", 0, properties={"n": "5"}),
        _event(3, "u3", "E", 0, properties={"n": 5.0, "ok": True}),
        _event(4, "u4", "E", 0, properties={"ok": "true", "deep": {"x": "y"}}),
        _event(5, "u5", "E", 0, properties={"deep": {"x": "z"}}, channel="email"),
        _event(6, "u6", "E", 0, campaign={"source": "ads"}),
    ]
    table = events_to_arrow(events)

    def count(where: dict[str, object]) -> int:
        q = FunnelQuery(steps=(FunnelStep(event="E", where=where),))  # type: ignore[arg-type]
        return analytics.funnel(q, table, profile="user_id").steps[0].count

    assert count({"n": 5}) == 2
    assert count({"n": "5"}) == 1
    assert count({"ok": True}) == 1
    assert count({"ok": "true"}) == 1
    assert count({"deep.x": ["y", "z"]}) == 2
    assert count({"properties.deep.x": "z"}) == 1
    assert count({"channel": "email"}) == 1
    assert count({"campaign.source": "ads"}) == 1
    assert count({"n": []}) == 0


def test_median_time_from_previous_step(analytics: Analytics) -> None:
    events = [
        _event(1, "u1", "A", 0),
        _event(2, "u1", "A", 10),
        _event(3, "u1", "B", 30),  # 20 s after the latest A
        _event(4, "u2", "A", 0),
        _event(5, "u2", "B", 40),
        _event(6, "u3", "A", 0),
        _event(7, "u3", "B", 60),
        _event(8, "u3", "B", 61),
    ]
    query = FunnelQuery(steps=(FunnelStep(event="A"), FunnelStep(event="B")), window_seconds=100)
    steps = analytics.funnel(query, events_to_arrow(events), profile="user_id").steps
    assert steps[0].median_seconds_from_previous is None
    assert steps[1].median_seconds_from_previous == 40.0
    assert steps[1].conversion == 1.0


def test_inputs_arrow_reader_and_duckdb_relation_give_the_same_answer(analytics: Analytics) -> None:
    evs = [Ev(p, s * 10**6, n, None, "web") for p in range(3) for s, n in enumerate("ABCA"[p:])]
    table = to_table(evs)
    query = FunnelQuery(steps=(FunnelStep(event="A"), FunnelStep(event="B")), window_seconds=9)
    direct = funnel(query, table, profile="user_id")  # the throwaway-engine shortcut
    con = duckdb.connect()
    try:
        rel = con.from_arrow(table)
        assert analytics.funnel(query, rel, profile="user_id") == direct
    finally:
        con.close()
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches())
    assert analytics.funnel(query, reader, profile="user_id") == direct
    assert [s.count for s in direct.steps] == [3, 1]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (FunnelQuery(steps=()), "steps"),
        (FunnelQuery(steps=(FunnelStep(stage="purchase"),)), "steps[0].model"),
        (FunnelQuery(steps=(FunnelStep(event="A", stage="x", model="m"),)), "steps[0].stage"),
        (FunnelQuery(steps=(FunnelStep(event="A"),), window_seconds=-1), "window_seconds"),
        (
            FunnelQuery(
                steps=(FunnelStep(event="A"),),
                from_=datetime(2026, 2, 1, tzinfo=UTC),
                to=datetime(2026, 1, 1, tzinfo=UTC),
            ),
            "from",
        ),
        (
            FunnelQuery(
                steps=(FunnelStep(event="A"), FunnelStep(event="B")),
                exclusions=(FunnelExclusion(event="X", after=2, before=2),),
            ),
            "exclusions[0].after",
        ),
        (
            FunnelQuery(
                steps=(FunnelStep(event="A"), FunnelStep(event="B")),
                mode="any_order",
                exclusions=(FunnelExclusion(event="X"),),
            ),
            "exclusions",
        ),
    ],
)
def test_invalid_definitions_name_the_field(query: FunnelQuery, field: str) -> None:
    with pytest.raises(InvalidQuery) as err:
        validate_funnel(query)
    assert err.value.field == field
    assert err.value.code == "analytics.invalid_query"


def test_bad_where_key_and_stage_without_history_name_the_field(analytics: Analytics) -> None:
    table = to_table([Ev(0, 0, "A", None, "web")])
    with pytest.raises(InvalidQuery) as err:
        analytics.funnel(
            FunnelQuery(steps=(FunnelStep(event="A", where={"a..b": 1}),)),
            table,
            profile="user_id",
        )
    assert err.value.field == "steps[0].where.a..b"
    with pytest.raises(InvalidQuery) as err:
        analytics.funnel(
            FunnelQuery(steps=(FunnelStep(stage="purchase", model="hourglass"),)),
            table,
            profile="user_id",
        )
    assert err.value.field == "steps[0].stage"
    with pytest.raises(InvalidInput) as missing:
        analytics.funnel(FunnelQuery(steps=(FunnelStep(event="A"),)), table, profile="nobody")
    assert missing.value.code == "analytics.invalid_input"


@pytest.mark.slow
@SETTINGS
@given(
    evs=event_sets(types=True),
    names=st.lists(st.sampled_from(NAMES), min_size=1, max_size=4),
    plan=st.sampled_from((None, "x", 1)),
    page=st.booleans(),
    mode=st.sampled_from((*ORDERED, "any_order")),
    excluded=st.booleans(),
    breakdown=st.sampled_from((None, "channel", "type")),
    lo=st.integers(0, 30),
)
def test_fast_rows_equal_the_general_sql_rows(
    evs: list[Ev],
    names: list[str],
    plan: str | int | None,
    page: bool,
    mode: FunnelMode,
    excluded: bool,
    breakdown: str | None,
    lo: int,
) -> None:
    """The vectorised row builder and the general SQL one give the same funnel."""
    steps = [FunnelStep(event=n) for n in names]
    if plan is not None:
        steps[0] = FunnelStep(event=names[0], where={"plan": plan})
    if page:
        steps.append(FunnelStep(type="page"))
    query = FunnelQuery(
        steps=tuple(steps),
        window_seconds=12,
        mode=mode,
        breakdown=breakdown,
        from_=T0 + timedelta(seconds=lo),
        exclusions=(FunnelExclusion(event="D"),)
        if excluded and mode != "any_order" and len(steps) > 1
        else (),
    )
    table = to_table(evs)
    con = duckdb.connect()
    try:
        fast = run_funnel(con.cursor, query, table, profile="user_id")
        general = run_funnel(con.cursor, query, table, profile="user_id", general=True)
    finally:
        con.close()
    assert fast == general
