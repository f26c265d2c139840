"""Stage goals as configuration: the shipped ``goals.yaml`` and an optional ``goals.yaml`` in
the data directory, read with the journey models' YAML helpers so that errors read the same
(``file:line: field: why``) and checked against the models that run."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Final

import msgspec

from waymark.analytics.errors import GoalsInvalid
from waymark.journey.api import (
    YamlNode,
    parse_yaml,
    read_yaml_file,
    yaml_duration,
    yaml_mapping,
    yaml_number,
)
from waymark.journey.contracts import BRAND, JourneyModel

GOALS_FILENAME: Final = "goals.yaml"
_SHIPPED: Final = "goals.yaml (shipped)"


class StageGoal(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    conversion: float | None = None
    """At least this share of those who reached the stage reach the next one."""
    median_seconds: float | None = None
    """At most this median time in the stage (completed stays)."""
    p90_seconds: float | None = None
    """At most this 90th percentile of time in the stage."""

    def over(self, other: StageGoal) -> StageGoal:
        """This goal, with ``other``'s targets where this one sets none."""
        return StageGoal(
            conversion=other.conversion if self.conversion is None else self.conversion,
            median_seconds=(
                other.median_seconds if self.median_seconds is None else self.median_seconds
            ),
            p90_seconds=other.p90_seconds if self.p90_seconds is None else self.p90_seconds,
        )


class ProductGoals(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    advocacy_share: float | None = None
    """At least this share of the product's customers reach the advocacy stage."""
    stages: dict[str, StageGoal] = {}

    def over(self, other: ProductGoals) -> ProductGoals:
        names = [*other.stages, *(s for s in self.stages if s not in other.stages)]
        return ProductGoals(
            advocacy_share=(
                other.advocacy_share if self.advocacy_share is None else self.advocacy_share
            ),
            stages={
                n: self.stages.get(n, StageGoal()).over(other.stages.get(n, StageGoal()))
                for n in names
            },
        )


class ModelGoals(msgspec.Struct, frozen=True, kw_only=True):
    default: ProductGoals = ProductGoals()
    products: dict[str, ProductGoals] = {}


class Goals(msgspec.Struct, frozen=True, kw_only=True):
    """Targets per model, product and stage."""

    models: dict[str, ModelGoals] = {}

    def of(self, model: str, product: str) -> ProductGoals:
        """The product's goals: its own entry over the model's default, goal by goal. The
        brand-level journey (``*``, events naming no product) has only goals set for it by
        name: the default is about products."""
        goals = self.models.get(model)
        if goals is None:
            return ProductGoals()
        own = goals.products.get(product)
        if product == BRAND:
            return own or ProductGoals()
        return goals.default if own is None else own.over(goals.default)


def _share(node: YamlNode) -> float:
    value = float(yaml_number(node))
    if not 0 <= value <= 1:
        raise node.fail(f"expected a share from 0 to 1 (0.4 for 40%), got {node.value!r}")
    return value


def _seconds(node: YamlNode) -> float:
    value = yaml_duration(node)
    if value is None or value.total_seconds() <= 0:
        raise node.fail(f"expected a positive duration such as 14d or 36h, got {node.value!r}")
    return value.total_seconds()


def _stage_goal(node: YamlNode, model: JourneyModel, stage: str) -> StageGoal:
    items = yaml_mapping(node, ("conversion", "median_time", "p90_time"))
    if not items:
        raise node.fail("expected at least one of conversion, median_time, p90_time")
    if "conversion" in items and stage == model.stages[-1].name:
        raise items["conversion"].fail(f"{stage!r} is the last stage of {model.name}: no next")
    return StageGoal(
        conversion=_share(items["conversion"]) if "conversion" in items else None,
        median_seconds=_seconds(items["median_time"]) if "median_time" in items else None,
        p90_seconds=_seconds(items["p90_time"]) if "p90_time" in items else None,
    )


def _product_goals(node: YamlNode, model: JourneyModel) -> ProductGoals:
    items = yaml_mapping(node, ("advocacy_share", "stages"))
    stages: dict[str, StageGoal] = {}
    if "stages" in items:
        stage_nodes = yaml_mapping(items["stages"], model.stage_names)
        stages = {name: _stage_goal(n, model, name) for name, n in stage_nodes.items()}
    share = items.get("advocacy_share")
    return ProductGoals(advocacy_share=None if share is None else _share(share), stages=stages)


def _model_goals(node: YamlNode, model: JourneyModel) -> ModelGoals:
    items = yaml_mapping(node, ("default", "products"))
    products: dict[str, ProductGoals] = {}
    if "products" in items:
        listed = items["products"]
        if not isinstance(listed.value, dict):
            raise listed.fail("expected a mapping of product id to its goals")
        products = {str(k): _product_goals(v, model) for k, v in listed.value.items()}
    default = _product_goals(items["default"], model) if "default" in items else ProductGoals()
    return ModelGoals(default=default, products=products)


def parse_goals(text: str, *, file: str, models: Sequence[JourneyModel]) -> Goals:
    """Goals from YAML text, checked against ``models``; ``GoalsInvalid`` names the file, the
    line and the field."""
    return _goals(parse_yaml(text, file=file, error=GoalsInvalid), models, skip_unknown=False)


def _goals(root: YamlNode, models: Sequence[JourneyModel], *, skip_unknown: bool) -> Goals:
    by_name = {m.name: m for m in models}
    if skip_unknown and isinstance(root.value, dict):
        kept = {k: v for k, v in root.value.items() if k in by_name}
        root = YamlNode(kept, root.line, root.field, root.file, root.error)
    listed = yaml_mapping(root, tuple(by_name))
    return Goals(models={name: _model_goals(n, by_name[name]) for name, n in listed.items()})


def _shipped(models: Sequence[JourneyModel]) -> Goals:
    """The shipped goals, for the shipped models only (a company's own model, even one that
    reuses a shipped name, has stages of its own)."""
    text = resources.files("waymark.analytics").joinpath(GOALS_FILENAME).read_text("utf-8")
    shipped = [m for m in models if m.source == f"{m.name}.yaml"]
    root = parse_yaml(text, file=_SHIPPED, error=GoalsInvalid)
    return _goals(root, shipped, skip_unknown=True)


def load_goals(data_dir: Path | None, models: Sequence[JourneyModel]) -> Goals:
    """The shipped goals of the models that run, with the data directory's ``goals.yaml``
    replacing the goals of each model it names."""
    shipped = _shipped(models)
    path = None if data_dir is None else data_dir / GOALS_FILENAME
    if path is None or not path.exists():
        return shipped
    text = read_yaml_file(path, error=GoalsInvalid)
    own = parse_goals(text, file=str(path), models=models)
    return Goals(models={**shipped.models, **own.models})
