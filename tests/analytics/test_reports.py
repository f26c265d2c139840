"""Journey reports reconcile with the journey engine's own history and state, on a simulated
population run through ingest, identity and the engine as the runtime runs them."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import chdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from tests.analytics._sim import World
from waymark.analytics.api import Analytics, JourneyData
from waymark.analytics.config import purchase_stage
from waymark.analytics.contracts import ENTRY, FunnelQuery, FunnelStep
from waymark.journey.contracts import JourneyModel, JourneyState

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def journeys(world: World) -> JourneyData:
    return JourneyData.from_states([world.model], world.states)


def _status(model: JourneyModel, state: JourneyState, as_of: datetime) -> str:
    stage = model.stages[model.stage_index(state.stage)]
    if stage.lapse_after is not None and as_of - state.last_evidence_at >= stage.lapse_after:
        return "lapsed"
    if stage.stall_after is not None and as_of - state.entered_at >= stage.stall_after:
        return "stalled"
    return "active"


def test_hourglass_reconciles_with_the_engine(
    analytics: Analytics, world: World, journeys: JourneyData
) -> None:
    model, as_of = world.model, world.end + timedelta(days=10)
    report = analytics.hourglass(journeys, as_of=as_of)
    states = world.states
    assert {p.product for p in report.products} == {s.product for s in states}
    assert sum(p.customers for p in report.products) == len(states)
    for product in report.products:
        mine = [s for s in states if s.product == product.product]
        for pos, row in enumerate(product.stages):
            here = [s for s in mine if s.stage == row.stage]
            assert row.customers == len(here)
            status = Counter(_status(model, s, as_of) for s in here)
            assert (row.active, row.stalled, row.lapsed) == (
                status["active"],
                status["stalled"],
                status["lapsed"],
            )
            reached = [s for s in mine if model.stage_index(s.furthest) >= pos]
            assert row.reached == len(reached)
            entered = {s.profile_id for s in mine for t in s.history if t.to_stage == row.stage}
            assert row.entered == len(entered)
            moved = {
                s.profile_id
                for s in mine
                for t in s.history
                if t.from_stage == row.stage
                and model.stage_index(t.to_stage) > model.stage_index(row.stage)
            }
            assert row.moved_on == (len(moved) / len(entered) if entered else None)
            dropped = [
                s for s in mine if s.furthest == row.stage and _status(model, s, as_of) != "active"
            ]
            assert row.dropped == len(dropped)
            stays = [
                (b.at - a.at).total_seconds()
                for s in mine
                for a, b in zip(s.history, s.history[1:], strict=False)
                if a.to_stage == row.stage
            ]
            if stays:
                assert row.median_seconds == pytest.approx(float(np.percentile(stays, 50)))
                assert row.p90_seconds == pytest.approx(float(np.percentile(stays, 90)))
            else:
                assert row.median_seconds is None
        for a, b in zip(product.stages, product.stages[1:], strict=False):
            assert a.conversion_to_next == (b.reached / a.reached if a.reached else None)


def test_transitions_reconcile_with_the_engine(
    analytics: Analytics, world: World, journeys: JourneyData
) -> None:
    report = analytics.transitions(journeys, paths=5)
    moves = Counter((t.from_stage or ENTRY, t.to_stage) for s in world.states for t in s.history)
    assert {(link.from_, link.to): link.count for link in report.links} == dict(moves)
    assert sum(map(sum, report.matrix)) == sum(moves.values())
    index = {name: i for i, name in enumerate(world.model.stage_names)}
    for link in report.links:
        if link.from_ == ENTRY:
            assert link.kind == "enter"
        else:
            step = index[link.to] - index[link.from_]
            assert link.kind == ("forward" if step == 1 else "skip" if step > 1 else "back")
            assert report.matrix[index[link.from_] + 1][index[link.to]] == link.count
    assert {link.kind for link in report.links} >= {"enter", "forward", "skip"}
    purchase = purchase_stage(world.model)
    paths: Counter[tuple[str, ...]] = Counter()
    for s in world.states:
        stages = [t.to_stage for t in s.history]
        if purchase in stages and stages.index(purchase) > 0:
            paths[tuple(stages[: stages.index(purchase)])] += 1
    # ties in stage order
    top = sorted(paths.items(), key=lambda kv: (-kv[1], [index[s] for s in kv[0]]))[:5]
    assert [(tuple(p.path), p.count) for p in report.paths_to_purchase] == top


def test_cohorts_and_retention_reconcile_with_the_engine(
    analytics: Analytics, world: World, journeys: JourneyData
) -> None:
    as_of = world.end
    report = analytics.cohorts(journeys, as_of=as_of, period="week", by_entry_stage=True)
    model = world.model
    groups: dict[tuple[str, str], list[JourneyState]] = defaultdict(list)
    for s in world.states:
        first = s.history[0]
        monday = (first.at - timedelta(days=first.at.weekday())).strftime("%Y-%m-%d")
        groups[(monday, first.to_stage)].append(s)
    assert {(c.label, c.entry_stage): c.size for c in report.cohorts} == {
        k: len(v) for k, v in groups.items()
    }
    for cohort in report.cohorts:
        members = groups[(cohort.label, cohort.entry_stage or "")]
        for pos, name in enumerate(model.stage_names):
            reached = sum(1 for s in members if model.stage_index(s.furthest) >= pos)
            assert cohort.shares[name] == pytest.approx(reached / len(members))
    bought = [s for s in world.states if s.purchased_at is not None]
    assert sum(c.size for c in report.retention) == len(bought)
    for curve in report.retention:
        members = [
            s
            for s in bought
            if s.purchased_at is not None
            and (s.purchased_at - timedelta(days=s.purchased_at.weekday())).strftime("%Y-%m-%d")
            == curve.label
        ]
        for days, share in zip(curve.days, curve.retained, strict=True):
            span = timedelta(days=days)
            old = [s for s in members if s.purchased_at and as_of - s.purchased_at >= span]
            kept = [
                s for s in old if s.purchased_at and s.last_evidence_at - s.purchased_at >= span
            ]
            assert share == (len(kept) / len(old) if old else None)


def test_funnel_over_the_simulator_equals_chdb(
    analytics: Analytics, world: World, tmp_path: Path
) -> None:
    """Event and stage steps over the simulated log, against windowFunnel on the same rows."""
    journeys = JourneyData.from_states([world.model], world.states)
    steps = (
        FunnelStep(event="Product Viewed"),
        FunnelStep(stage="evaluation", model=world.model.name),
        FunnelStep(event="Checkout Started"),
        FunnelStep(stage="purchase", model=world.model.name),
    )
    bought = set(
        pc.filter(
            journeys.transitions.column("seq"),
            pc.equal(journeys.transitions.column("to_stage"), "purchase"),
        ).to_pylist()
    )
    evaluated = set(
        pc.filter(
            journeys.transitions.column("seq"),
            pc.equal(journeys.transitions.column("to_stage"), "evaluation"),
        ).to_pylist()
    )
    events = world.events.filter(pc.is_valid(world.events.column("profile_id")))
    rows = pa.table(
        {
            "uid": events.column("profile_id"),
            "t": pc.cast(pc.cast(events.column("timestamp"), pa.int64()), pa.uint64()),
            "ev": pc.fill_null(events.column("event"), ""),
            "seq": events.column("seq"),
            "typ": events.column("type"),
        }
    )
    pq.write_table(rows, tmp_path / "ev.parquet")
    conds = (
        "ev = 'Product Viewed'",
        f"seq IN ({', '.join(map(str, sorted(evaluated)))})",
        "ev = 'Checkout Started'",
        f"seq IN ({', '.join(map(str, sorted(bought)))})",
    )
    for mode in ("ordered", "strict_order", "strict_deduplication"):
        window = 14 * 86_400
        result = analytics.funnel(
            FunnelQuery(steps=steps, window_seconds=window, mode=mode),  # type: ignore[arg-type]
            events,
            transitions=journeys.transitions,
        )
        params = f"{window * 10**6}" + ("" if mode == "ordered" else f", '{mode}'")
        where = "typ IN ('track', 'page', 'screen')" if mode == "strict_order" else "1"
        sql = (
            "SELECT level, count() FROM (SELECT uid, "
            f"windowFunnel({params})(t, {', '.join(conds)}) AS level "
            f"FROM file('{tmp_path / 'ev.parquet'}', Parquet) WHERE {where} GROUP BY uid) "
            "GROUP BY level"
        )
        levels = Counter[int]()
        answer = chdb.query(sql, "TSV")  # type: ignore[no-untyped-call]
        for line in str(answer).strip().splitlines():
            level, count = line.split("\t")
            levels[int(level)] = int(count)
        expected = [sum(c for lv, c in levels.items() if lv >= k) for k in range(1, 5)]
        assert [s.count for s in result.steps] == expected
        if mode == "ordered":
            assert expected[3] > 0  # the simulation reaches purchase through these steps


def test_reports_do_not_depend_on_the_order_of_the_history_rows(
    analytics: Analytics, world: World, journeys: JourneyData
) -> None:
    shuffled = journeys.transitions.take(
        np.random.default_rng(5).permutation(journeys.transitions.num_rows)
    )
    other = JourneyData(models=journeys.models, transitions=shuffled, states=journeys.states)
    as_of = world.end
    assert analytics.hourglass(other, as_of=as_of) == analytics.hourglass(journeys, as_of=as_of)
    assert analytics.transitions(other) == analytics.transitions(journeys)
