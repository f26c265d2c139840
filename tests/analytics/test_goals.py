"""Stage goals: configuration errors naming file:line:field, actual against target on
generated populations whose figures are worked out here independently of the engine, and the
to-do list ranking every missed goal above everything else."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from waymark.analytics.api import (
    Analytics,
    AnalyticsConfig,
    JourneyData,
    load_goals,
    parse_goals,
)
from waymark.analytics.contracts import GoalCheck
from waymark.analytics.errors import GoalsInvalid
from waymark.analytics.schemas import STATE_SCHEMA, TRANSITION_SCHEMA
from waymark.journey.api import load_model
from waymark.journey.contracts import JourneyModel

MODEL = load_model("hourglass")
STAGES = MODEL.stage_names
T0 = datetime(2026, 1, 5, tzinfo=UTC)
AS_OF = datetime(2026, 12, 1, tzinfo=UTC)
PRODUCTS = ("kit", "pro")


# -- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "field", "words"),
    [
        ("hourglass:\n  default:\n    stages:\n      evaluaton: {conversion: 0.5}\n", 4,
         "hourglass.default.stages.evaluaton", "unknown key"),
        ("hourglass:\n  default:\n    stages:\n      advocacy: {conversion: 0.5}\n", 4,
         "hourglass.default.stages.advocacy.conversion", "last stage"),
        ("hourglass:\n  products:\n    kit:\n      advocacy_share: 1.5\n", 4,
         "hourglass.products.kit.advocacy_share", "from 0 to 1"),
        ("hourglass:\n  default:\n    stages:\n      research: {median_time: soon}\n", 4,
         "hourglass.default.stages.research.median_time", "duration"),
        ("hourglass:\n  default:\n    stages:\n      research: {p90_time: 0d}\n", 4,
         "hourglass.default.stages.research.p90_time", "positive"),
        ("hourglass:\n  default:\n    stages:\n      research: {}\n", 4,
         "hourglass.default.stages.research", "at least one"),
        ("onboarding: {default: {}}\n", 1, "onboarding", "unknown key"),
        ("hourglass:\n  default:\n    advocacy_share: [1]\n", 3,
         "hourglass.default.advocacy_share", "number"),
        ("hourglass: [\n", 2, "(document)", "not valid YAML"),
    ],
)  # fmt: skip
def test_errors_name_file_line_and_field(text: str, line: int, field: str, words: str) -> None:
    with pytest.raises(GoalsInvalid) as err:
        parse_goals(text, file="goals.yaml", models=[MODEL])
    assert str(err.value).startswith(f"goals.yaml:{line}: {field}: ")
    assert words in str(err.value)
    assert err.value.code == "analytics.goals_invalid"


def test_data_dir_file_replaces_a_model_and_products_override_the_default(
    tmp_path: Path,
) -> None:
    models = [MODEL, load_model("value-journey")]
    shipped = load_goals(None, models)
    assert shipped.of("hourglass", "any").stages["evaluation"].conversion is not None
    (tmp_path / "goals.yaml").write_text(
        "hourglass:\n"
        "  default:\n"
        "    advocacy_share: 0.2\n"
        "    stages: {evaluation: {conversion: 0.3, median_time: 2d}}\n"
        "  products:\n"
        "    kit:\n"
        "      stages: {evaluation: {conversion: 0.6}, research: {p90_time: 12h}}\n"
    )
    goals = load_goals(tmp_path, models)
    kit, other = goals.of("hourglass", "kit"), goals.of("hourglass", "other")
    assert kit.stages["evaluation"].conversion == 0.6
    assert kit.stages["evaluation"].median_seconds == 2 * 86_400  # from the default
    assert kit.stages["research"].p90_seconds == 12 * 3600
    assert kit.advocacy_share == 0.2
    assert other.stages["evaluation"].conversion == 0.3
    assert "engagement" not in other.stages  # the shipped hourglass goals are replaced
    # value-journey keeps the shipped goals
    assert goals.models["value-journey"] == shipped.models["value-journey"]
    (tmp_path / "goals.yaml").write_text("hourglass:\n  default:\n    stages: {x: {}}\n")
    with pytest.raises(GoalsInvalid, match=r"goals.yaml:3: hourglass.default.stages.x"):
        load_goals(tmp_path, models)


# -- actual against target -------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    product: str
    furthest: int
    hours: tuple[int, ...]
    """Hours spent in each stage before moving on (one per completed stay)."""


people = st.builds(
    lambda product, furthest, hours: Person(product, furthest, tuple(hours[:furthest])),
    st.sampled_from(PRODUCTS),
    st.integers(0, len(STAGES) - 1),
    st.lists(st.integers(1, 400), min_size=len(STAGES), max_size=len(STAGES)),
)


def journeys_of(population: list[Person], model: JourneyModel = MODEL) -> JourneyData:
    transitions: list[dict[str, Any]] = []
    states: list[dict[str, Any]] = []
    seq = 0
    for i, person in enumerate(population):
        at = (T0 + timedelta(minutes=i)).replace(tzinfo=None)
        previous = None
        for pos in range(person.furthest + 1):
            seq += 1
            transitions.append(
                {"profile_id": f"p{i}", "model": model.name, "product": person.product,
                 "from_stage": previous, "to_stage": STAGES[pos], "at": at, "seq": seq}
            )  # fmt: skip
            previous = STAGES[pos]
            if pos < person.furthest:
                at += timedelta(hours=person.hours[pos])
        states.append(
            {"profile_id": f"p{i}", "model": model.name, "product": person.product,
             "stage": previous, "furthest": previous, "entered_at": at,
             "last_evidence_at": at, "purchased_at": None}
        )  # fmt: skip
    return JourneyData(
        models=[model],
        transitions=pa.Table.from_pylist(transitions, schema=TRANSITION_SCHEMA),
        states=pa.Table.from_pylist(states, schema=STATE_SCHEMA),
    )


@st.composite
def goal_texts(draw: st.DrawFn) -> str:
    """A goals.yaml with random targets for a few stages, per product and by default."""

    def block(indent: str) -> str:
        lines = [f"{indent}advocacy_share: {draw(st.integers(0, 100)) / 100}", f"{indent}stages:"]
        for stage in draw(st.sets(st.sampled_from(STAGES[:-1]), min_size=1, max_size=4)):
            conversion = draw(st.integers(0, 100)) / 100
            median = draw(st.integers(1, 400))
            lines.append(f"{indent}  {stage}: {{conversion: {conversion}, median_time: {median}h}}")
        return "\n".join(lines)

    default, kit = block("    "), block("      ")
    return f"hourglass:\n  default:\n{default}\n  products:\n    kit:\n{kit}"


def expected_actual(population: list[Person], product: str, check: GoalCheck) -> float | None:
    """The figure a goal is about, computed from the people directly."""
    mine = [p for p in population if p.product == product]
    reached = [sum(1 for p in mine if p.furthest >= s) for s in range(len(STAGES))]
    if check.metric == "advocacy_share":
        return reached[-1] / reached[0] if reached[0] else None
    s = STAGES.index(check.stage or "")
    if check.metric == "conversion":
        return reached[s + 1] / reached[s] if reached[s] else None
    stays = [p.hours[s] * 3600.0 for p in mine if p.furthest > s]
    return statistics.median(stays) if stays else None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(population=st.lists(people, min_size=1, max_size=40), text=goal_texts())
def test_actual_against_target(population: list[Person], text: str) -> None:
    goals = parse_goals(text, file="goals.yaml", models=[MODEL])
    with Analytics(goals=goals) as engine:
        report = engine.hourglass(journeys_of(population), as_of=AS_OF)
    assert {p.product for p in report.products} == {p.product for p in population}
    for product in report.products:
        own = goals.of("hourglass", product.product)
        want = (1 if own.advocacy_share is not None else 0) + sum(
            (g.conversion is not None) + (g.median_seconds is not None) for g in own.stages.values()
        )
        assert len(product.goals) == want
        for check in product.goals:
            actual = expected_actual(population, product.product, check)
            if actual is None:
                assert check.status == "no_data" and check.actual is None
                continue
            assert check.actual == pytest.approx(actual)
            at_least = check.metric in ("conversion", "advocacy_share")
            met = actual >= check.target if at_least else actual <= check.target
            assert check.status == ("met" if met else "missed")
            shortfall = check.target - actual if at_least else actual - check.target
            assert check.gap == pytest.approx(max(shortfall, 0.0))


# -- the to-do list --------------------------------------------------------------------------


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(population=st.lists(people, min_size=2, max_size=60), text=goal_texts())
def test_every_missed_goal_ranks_above_every_other_item(
    population: list[Person], text: str
) -> None:
    goals = parse_goals(text, file="goals.yaml", models=[MODEL])
    config = AnalyticsConfig(min_customers=1, max_insights=1000)
    with Analytics(config, goals=goals) as engine:
        journeys = journeys_of(population)
        todo = engine.insights(journeys, as_of=AS_OF).insights
        report = engine.hourglass(journeys, as_of=AS_OF)
    kinds = [i.kind for i in todo]
    first_other = next((n for n, k in enumerate(kinds) if k != "goal"), len(kinds))
    assert all(k != "goal" for k in kinds[first_other:])
    misses = [(p.product, c) for p in report.products for c in p.goals if c.status == "missed"]
    assert len(misses) == first_other
    # misses among themselves: the biggest (customers × relative gap, at most 1) first
    sizes = [i.score for i in todo[:first_other]]
    assert sizes == sorted(sizes, reverse=True)
    for (_, check), item in zip(
        sorted(misses, key=lambda m: -m[1].customers * min(m[1].relative_gap or 0, 1)),
        todo,
        strict=False,
    ):
        assert item.score == pytest.approx(check.customers * min(check.relative_gap or 0, 1))


def test_a_miss_reads_as_a_sentence_with_its_numbers() -> None:
    population = [Person("kit", 4, (10, 10, 10, 10))] * 3 + [Person("kit", 3, (10, 10, 10))] * 7
    goals = parse_goals(
        "hourglass:\n  default:\n    stages: {evaluation: {conversion: 0.5}}\n",
        file="goals.yaml",
        models=[MODEL],
    )
    with Analytics(AnalyticsConfig(min_customers=1), goals=goals) as engine:
        todo = engine.insights(journeys_of(population), as_of=AS_OF).insights
    assert todo[0].kind == "goal" and todo[0].stage == "evaluation"
    # 3 of the 10 who reached evaluation went on: 30% against 50%, 20 points short
    assert "30%" in todo[0].text and "50%" in todo[0].text and "20 points short" in todo[0].text
    assert todo[0].customers == 10 and todo[0].gap == pytest.approx(0.4)


def test_the_brand_journey_has_goals_only_when_named() -> None:
    text = "hourglass:\n  default:\n    advocacy_share: 0.5\n"
    assert (
        parse_goals(text, file="g.yaml", models=[MODEL]).of("hourglass", "*").advocacy_share is None
    )
    named = text + "  products:\n    '*': {advocacy_share: 0.2}\n"
    assert (
        parse_goals(named, file="g.yaml", models=[MODEL]).of("hourglass", "*").advocacy_share == 0.2
    )
