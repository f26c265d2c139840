"""Builders shared by the decide tests: small catalogs from plain data, contexts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from waymark.decide.api import Catalog, build_catalog, journey_stages
from waymark.decide.contracts import DecisionContext, JourneyPosition

MODELS = journey_stages()
"""The shipped journey models' stages, loaded once for the whole test module."""
NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
"""A Monday afternoon in March (outside the shipped catalog's holiday season)."""


def experience(id: str, **fields: Any) -> dict[str, Any]:
    return {"id": id, "kind": "content", "purpose": "consideration", "channels": ["web"]} | fields


def catalog(*experiences: dict[str, Any], **doc: Any) -> Catalog:
    data: dict[str, Any] = {"experiences": list(experiences)} | doc
    return build_catalog(data, models=MODELS)


def at(stage: str, product: str = "kit", *, model: str = "hourglass", **kw: Any) -> JourneyPosition:
    return JourneyPosition(model=model, product=product, stage=stage, **kw)


def context(profile_id: str = "p1", **fields: Any) -> DecisionContext:
    values: dict[str, Any] = {"profile_id": profile_id, "now": NOW} | fields
    return DecisionContext(**values)
