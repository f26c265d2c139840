"""Content coverage: experiences made for each stage of each product against the customers who
are there now; where customers wait with nothing made for them is a gap (seed 003's
post-purchase gap)."""

from __future__ import annotations

from collections.abc import Sequence

from waymark.analytics._insights import Coverage
from waymark.analytics.contracts import (
    ContentItem,
    CoverageReport,
    CoverageRow,
    HourglassReport,
)


def _counts(items: Sequence[ContentItem], model: str, stage: str, product: str) -> tuple[int, int]:
    made = generic = 0
    for item in items:
        if item.products and product not in item.products:
            continue
        stages = item.stages.get(model)
        if stages is None:
            generic += 1
        elif stage in stages:
            made += 1
    return made, generic


def coverage_of(items: Sequence[ContentItem]) -> Coverage:
    return Coverage(count=lambda model, stage, product: _counts(items, model, stage, product)[0])


def coverage(report: HourglassReport, items: Sequence[ContentItem]) -> CoverageReport:
    rows: list[CoverageRow] = []
    for product in report.products:
        for stage in product.stages:
            made, generic = _counts(items, report.model, stage.stage, product.product)
            rows.append(
                CoverageRow(
                    product=product.product,
                    stage=stage.stage,
                    title=stage.title,
                    phase=stage.phase,
                    customers=stage.customers,
                    experiences=made,
                    generic=generic,
                    gap=made == 0 and stage.customers > 0,
                )
            )
    return CoverageReport(model=report.model, rows=rows)
