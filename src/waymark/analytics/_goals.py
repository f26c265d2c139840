"""Stage goals against the hourglass: per product, each target with the actual, met or missed,
and by how much; and the misses as to-do items (they rank before every other kind)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

from waymark.analytics._goals_config import Goals, ProductGoals
from waymark.analytics.config import AnalyticsConfig, advocacy_stage
from waymark.analytics.contracts import (
    GoalCheck,
    GoalMetric,
    HourglassReport,
    Insight,
    ProductHourglass,
    StageReport,
)
from waymark.journey.contracts import JourneyModel

_AT_MOST: frozenset[GoalMetric] = frozenset({"median_time", "p90_time"})


def _check(
    metric: GoalMetric, stage: str | None, target: float, actual: float | None, customers: int
) -> GoalCheck:
    if actual is None:
        return GoalCheck(
            metric=metric,
            stage=stage,
            target=target,
            actual=None,
            status="no_data",
            gap=None,
            relative_gap=None,
            customers=customers,
        )
    short = actual - target if metric in _AT_MOST else target - actual
    gap = max(short, 0.0)
    return GoalCheck(
        metric=metric,
        stage=stage,
        target=target,
        actual=actual,
        status="missed" if gap > 0 else "met",
        gap=gap,
        # a target of 0 can only be missed by an "at most" goal, entirely
        relative_gap=gap / target if target > 0 else (1.0 if gap > 0 else 0.0),
        customers=customers,
    )


def _stage_checks(stage: StageReport, goals: ProductGoals) -> Iterator[GoalCheck]:
    goal = goals.stages.get(stage.stage)
    if goal is None:
        return
    if goal.conversion is not None:
        actual = stage.conversion_to_next if stage.reached else None
        yield _check("conversion", stage.stage, goal.conversion, actual, stage.reached)
    if goal.median_seconds is not None:
        yield _check(
            "median_time", stage.stage, goal.median_seconds, stage.median_seconds, stage.entered
        )
    if goal.p90_seconds is not None:
        yield _check("p90_time", stage.stage, goal.p90_seconds, stage.p90_seconds, stage.entered)


def checks(
    product: ProductHourglass, model: JourneyModel, goals: ProductGoals, config: AnalyticsConfig
) -> list[GoalCheck]:
    """Every goal of the product against its hourglass, in stage order, advocacy last."""
    out = [c for stage in product.stages for c in _stage_checks(stage, goals)]
    if goals.advocacy_share is not None and product.stages:
        everyone = product.stages[0].reached
        target = advocacy_stage(model, config)
        advocates = next((s.reached for s in product.stages if s.stage == target), 0)
        actual = advocates / everyone if everyone else None
        out.append(_check("advocacy_share", None, goals.advocacy_share, actual, everyone))
    return out


def with_goals(
    report: HourglassReport, model: JourneyModel, goals: Goals, config: AnalyticsConfig
) -> HourglassReport:
    """The report with each product's goals checked (the brand journey's only when
    ``goals.yaml`` names ``*``)."""
    products = [
        ProductHourglass(
            product=p.product,
            title=p.title,
            customers=p.customers,
            stages=p.stages,
            comparison=p.comparison,
            goals=checks(p, model, goals.of(model.name, p.product), config),
        )
        for p in report.products
    ]
    return HourglassReport(model=report.model, as_of=report.as_of, products=products)


def _days(seconds: float) -> str:
    days = seconds / 86_400
    return f"{days:.1f} days" if days < 10 else f"{days:.0f} days"


def _sentence(check: GoalCheck, product: ProductHourglass) -> str:
    actual, target, gap = check.actual or 0.0, check.target, check.gap or 0.0
    stage = next((s for s in product.stages if s.stage == check.stage), None)
    where = (stage.title.split(":", 1)[0].strip() if stage else check.stage) or ""
    if check.metric == "conversion":
        return (
            f"{where} of {product.title} converts {actual:.0%} to the next stage against a goal "
            f"of {target:.0%} ({gap * 100:.0f} points short): {check.customers:,} customers"
        )
    if check.metric == "advocacy_share":
        return (
            f"{actual:.0%} of {product.title}'s customers reach advocacy against a goal of "
            f"{target:.0%} ({gap * 100:.0f} points short): {check.customers:,} customers"
        )
    which = "Median" if check.metric == "median_time" else "90th-percentile"
    return (
        f"{which} time in {where.lower()} for {product.title} is {_days(actual)} against a goal "
        f"of at most {_days(target)} ({_days(gap)} over): {check.customers:,} customers"
    )


def misses(report: HourglassReport, config: AnalyticsConfig) -> Iterator[Insight]:
    """Missed goals as to-do items, sized by customers × the relative gap."""
    for product in report.products:
        for check in product.goals:
            if check.status != "missed" or check.customers < config.min_customers:
                continue
            size = min(check.relative_gap or 0.0, 1.0)
            yield Insight(
                kind="goal",
                text=_sentence(check, product),
                customers=check.customers,
                gap=size,
                score=check.customers * size,
                link="/api/v1/analytics/hourglass?"
                + urlencode({"model": report.model, "product": product.product}),
                model=report.model,
                product=product.product,
                stage=check.stage,
            )
