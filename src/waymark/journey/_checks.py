"""Checks across a whole model, after its shape is known to be right. Each check is a small
registered function with a stable code; adding one is one function and one test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

from waymark.journey._yamlnodes import Node
from waymark.journey.contracts import JourneyModel
from waymark.journey.errors import ModelError

Problem = tuple[tuple[str | int, ...], str]
"""Where (a path into the YAML: keys and list positions) and what is wrong."""


@dataclass(frozen=True)
class Check:
    code: str
    run: Callable[[JourneyModel], Iterator[Problem]]


def _unique_stages(model: JourneyModel) -> Iterator[Problem]:
    seen: set[str] = set()
    for i, stage in enumerate(model.stages):
        if stage.name in seen:
            yield ("stages", i, "name"), f"stage {stage.name!r} is defined twice"
        seen.add(stage.name)


def _phases_in_order(model: JourneyModel) -> Iterator[Problem]:
    if model.stages[0].phase != "pre_purchase":
        yield ("stages", 0, "phase"), "the first stage must be pre_purchase (customers enter there)"
    post = False
    for i, stage in enumerate(model.stages):
        if stage.phase == "post_purchase":
            post = True
        elif post:
            yield (
                ("stages", i, "phase"),
                "pre_purchase stages must all come before the post_purchase ones",
            )


def _lapse_after_purchase(model: JourneyModel) -> Iterator[Problem]:
    for i, stage in enumerate(model.stages):
        if stage.lapse_after is not None and stage.phase != "post_purchase":
            yield (
                ("stages", i, "lapse_after"),
                "only post_purchase stages lapse; use stall_after before purchase",
            )


def _levels_known(model: JourneyModel) -> Iterator[Problem]:
    for i, stage in enumerate(model.stages):
        names = [level.name for level in stage.levels]
        for j, name in enumerate(names):
            if name in names[:j]:
                yield ("stages", i, "levels", j, "name"), f"level {name!r} is defined twice"
        for j, rule in enumerate(stage.evidence):
            if rule.level is not None and rule.level not in names:
                known = ", ".join(names) if names else "none (the stage has no levels)"
                yield (
                    ("stages", i, "evidence", j, "level"),
                    f"unknown level {rule.level!r}; levels of {stage.name}: {known}",
                )


def _catalog_known(model: JourneyModel) -> Iterator[Problem]:
    stages = {stage.name: stage for stage in model.stages}
    for content_id, stage_name, level in model.content.catalog:
        stage = stages.get(stage_name)
        where: tuple[str | int, ...] = ("content", "catalog", content_id)
        if stage is None:
            yield where, f"unknown stage {stage_name!r}; stages: {', '.join(stages)}"
        elif level is not None and stage.level_index(level) < 0:
            yield where, f"unknown level {level!r} of stage {stage_name}"


MAX_STAGES: Final = 62
"""Stage sets are 64-bit masks in the batch rebuild."""


def _not_too_many(model: JourneyModel) -> Iterator[Problem]:
    if len(model.stages) > MAX_STAGES:
        yield ("stages",), f"at most {MAX_STAGES} stages, got {len(model.stages)}"


CHECKS: Final[tuple[Check, ...]] = (
    Check("journey.too_many_stages", _not_too_many),
    Check("journey.stage_duplicate", _unique_stages),
    Check("journey.phase_order", _phases_in_order),
    Check("journey.lapse_before_purchase", _lapse_after_purchase),
    Check("journey.level_unknown", _levels_known),
    Check("journey.catalog_unknown", _catalog_known),
)


def check_model(model: JourneyModel, root: Node) -> None:
    """Raise a ``ModelError`` (file, line, field) for the first problem any check finds."""
    for check in CHECKS:
        for where, message in check.run(model):
            node = _locate(root, where)
            raise ModelError(
                message, file=root.file, line=node.line, field=node.field, check=check.code
            )


def _locate(root: Node, where: tuple[str | int, ...]) -> Node:
    """The deepest node along ``where`` that exists (so a line can always be given)."""
    node = root
    for step in where:
        value = node.value
        child = None
        if isinstance(step, int) and isinstance(value, list) and step < len(value):
            child = value[step]
        if isinstance(step, str) and isinstance(value, dict):
            child = value.get(step)
        if child is None:
            break
        node = child
    return node
