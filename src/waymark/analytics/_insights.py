"""The to-do list: missed stage goals first, then where a product does worse than the best
comparable product, ranked by customers affected × the gap, each a sentence with its numbers
and a link to its report.

Rules are small functions over the hourglass reports (and content coverage when known), so a
new kind of insight is one function and one test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from waymark.analytics import _goals
from waymark.analytics.config import AnalyticsConfig
from waymark.analytics.contracts import (
    HourglassReport,
    Insight,
    ProductHourglass,
    StageReport,
)
from waymark.journey.contracts import BRAND


@dataclass(frozen=True)
class Coverage:
    """Content experiences per (model, stage, product) the decide catalog offers."""

    count: Callable[[str, str, str], int]


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _n(x: int) -> str:
    return f"{x:,}"


def _short(stage: StageReport) -> str:
    # "Evaluation: assess satisfaction of needs" reads as "Evaluation" in a sentence
    return stage.title.split(":", 1)[0].strip() or stage.stage


def _link(report: str, model: str, product: str) -> str:
    return f"/api/v1/analytics/{report}?{urlencode({'model': model, 'product': product})}"


def _comparable(report: HourglassReport) -> list[ProductHourglass]:
    # the brand-level journey is not a product to compare with
    return [p for p in report.products if p.product != BRAND]


def _conversion(report: HourglassReport, config: AnalyticsConfig) -> Iterator[Insight]:
    products = _comparable(report)
    if len(products) < 2:
        return
    n_stages = len(products[0].stages)
    for i in range(n_stages - 1):
        seen = [
            (p, p.stages[i])
            for p in products
            if p.stages[i].reached >= config.min_customers
            and p.stages[i].conversion_to_next is not None
        ]
        for product, stage in seen:
            rate = stage.conversion_to_next or 0.0
            others = [(q, s.conversion_to_next or 0.0) for q, s in seen if q is not product]
            if not others:
                continue
            best, best_rate = max(others, key=lambda o: o[1])
            gap = best_rate - rate
            if gap <= 0:
                continue
            nxt = product.stages[i + 1]
            yield Insight(
                kind="conversion",
                text=(
                    f"{_short(stage)} → {_short(nxt).lower()} for {product.title} converts "
                    f"{_pct(rate)} vs {_pct(best_rate)} for {best.title}: "
                    f"{_n(stage.reached)} customers"
                ),
                customers=stage.reached,
                gap=gap,
                score=stage.reached * gap,
                link=_link("hourglass", report.model, product.product),
                model=report.model,
                product=product.product,
                stage=stage.stage,
            )


def _stuck(
    report: HourglassReport,
    config: AnalyticsConfig,
    kind: str,
    count: Callable[[StageReport], int],
    verb: str,
) -> Iterator[Insight]:
    products = _comparable(report)
    n_stages = len(products[0].stages) if products else 0
    for i in range(n_stages):
        seen = [
            (p, p.stages[i], count(p.stages[i]) / p.stages[i].customers)
            for p in products
            if p.stages[i].customers >= config.min_customers
        ]
        for product, stage, share in seen:
            others = [(q, r) for q, _, r in seen if q is not product]
            if not others or count(stage) == 0:
                continue
            best, best_share = min(others, key=lambda o: o[1])
            gap = share - best_share
            if gap <= 0:
                continue
            yield Insight(
                kind=kind,
                text=(
                    f"{_n(count(stage))} customers {verb} in {_short(stage).lower()} for "
                    f"{product.title} ({_pct(share)} of those there vs {_pct(best_share)} for "
                    f"{best.title})"
                ),
                customers=count(stage),
                gap=gap,
                score=count(stage) * gap,
                link=_link("hourglass", report.model, product.product),
                model=report.model,
                product=product.product,
                stage=stage.stage,
            )


def _uncovered(
    report: HourglassReport, config: AnalyticsConfig, coverage: Coverage | None
) -> Iterator[Insight]:
    if coverage is None:
        return
    for product in report.products:
        for stage in product.stages:
            if stage.customers < config.min_customers:
                continue
            if coverage.count(report.model, stage.stage, product.product):
                continue
            yield Insight(
                kind="coverage",
                text=(
                    f"No content for {_short(stage).lower()} of {product.title}; "
                    f"{_n(stage.customers)} customers there"
                ),
                customers=stage.customers,
                gap=1.0,
                score=float(stage.customers),
                link=_link("coverage", report.model, product.product),
                model=report.model,
                product=product.product,
                stage=stage.stage,
            )


def insights(
    reports: Sequence[HourglassReport],
    config: AnalyticsConfig,
    coverage: Coverage | None = None,
) -> list[Insight]:
    """Every rule over every model's hourglass, best first: missed stage goals before
    anything else (a target the business set outranks a comparison it did not ask for)."""
    found: list[Insight] = []
    for report in reports:
        found.extend(_goals.misses(report, config))
        found.extend(_conversion(report, config))
        found.extend(_stuck(report, config, "stalled", lambda s: s.stalled, "stalled"))
        found.extend(_stuck(report, config, "lapsed", lambda s: s.lapsed, "went away"))
        found.extend(_uncovered(report, config, coverage))
    found.sort(key=lambda i: (i.kind != "goal", -i.score, i.text))
    return found[: config.max_insights]
