"""``scoring.yaml`` becomes a frozen ``ScoringConfig``, or a ``ScoringConfigError`` naming the
file, the line and the field. The YAML is read with journey's line-keeping parser, so both
features report errors the same way; unknown keys are refused (a typo must not drop a rule)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from waymark.journey.api import (
    YamlNode,
    parse_yaml,
    read_yaml_file,
    yaml_items,
    yaml_mapping,
    yaml_required,
    yaml_text,
    yaml_texts,
)
from waymark.journey.contracts import JourneyModel
from waymark.scoring.config import (
    FIT_OPS,
    AccountRules,
    EngagementRule,
    FitRule,
    Label,
    ModelScoring,
    ScoringConfig,
)
from waymark.scoring.errors import ScoringConfigError


def load_scoring(
    path: Path, models: Sequence[JourneyModel], *, only_running: bool = False
) -> ScoringConfig:
    text = read_yaml_file(path, error=ScoringConfigError)
    return load_scoring_text(text, models, file=str(path), only_running=only_running)


def load_scoring_text(
    text: str,
    models: Sequence[JourneyModel],
    *,
    file: str = "<text>",
    only_running: bool = False,
) -> ScoringConfig:
    """Validate against the running journey models (model and stage names must exist).
    ``only_running``: skip blocks of models that are not running (the shipped file, which
    scores the hourglass, must not fail a company that runs only its own models)."""
    root = parse_yaml(text, file=file, error=ScoringConfigError)
    by_name = {m.name: m for m in models}
    models_node = yaml_required(root, yaml_mapping(root, ("models",)), "models")
    if only_running:
        if not isinstance(models_node.value, dict):
            raise models_node.fail("expected a mapping of journey model names")
        blocks = dict(models_node.value)
    else:
        blocks = yaml_mapping(models_node, tuple(by_name) or ("(no journey models)",))
    return ScoringConfig(
        models=tuple(
            _model(name, node, by_name[name]) for name, node in blocks.items() if name in by_name
        )
    )


_MODEL_KEYS = (
    "half_life_days",
    "stage_weights",
    "fit",
    "engagement",
    "labels",
    "products",
    "account",
    "explain_top",
)


def _model(name: str, node: YamlNode, model: JourneyModel) -> ModelScoring:
    keys = yaml_mapping(node, _MODEL_KEYS)
    stages = [s.name for s in model.stages]
    weights: dict[str, float] = {}
    if "stage_weights" in keys:
        for stage, w in yaml_mapping(keys["stage_weights"], tuple(stages)).items():
            weights[stage] = _number(w, minimum=0.0)
    evidence_points: float = 1.0
    engagement: tuple[EngagementRule, ...] = ()
    if "engagement" in keys:
        evidence_points, engagement = _engagement(keys["engagement"])
    labels = _labels(keys["labels"], stages) if "labels" in keys else ()
    product_labels: dict[str, tuple[Label, ...]] = {}
    if "products" in keys:
        products = keys["products"]
        if not isinstance(products.value, dict):
            raise products.fail("expected a mapping of product ids")
        for product, pnode in products.value.items():
            labels_node = yaml_required(pnode, yaml_mapping(pnode, ("labels",)), "labels")
            product_labels[product] = _labels(labels_node, stages)
    account = AccountRules()
    if "account" in keys:
        akeys = yaml_mapping(keys["account"], ("top_members", "fit", "labels"))
        account = AccountRules(
            top_members=int(_number(akeys["top_members"], minimum=1, whole=True))
            if "top_members" in akeys
            else 3,
            fit=_fit(akeys["fit"]) if "fit" in akeys else (),
            labels=_labels(akeys["labels"], stages) if "labels" in akeys else None,
        )
    return ModelScoring(
        model=name,
        half_life_days=_number(keys["half_life_days"], minimum=1e-6)
        if "half_life_days" in keys
        else 14.0,
        stage_weights=weights,
        fit=_fit(keys["fit"]) if "fit" in keys else (),
        evidence_points=evidence_points,
        engagement=engagement,
        labels=labels,
        product_labels=product_labels,
        account=account,
        explain_top=int(_number(keys["explain_top"], minimum=1, whole=True))
        if "explain_top" in keys
        else 5,
    )


def _engagement(node: YamlNode) -> tuple[float, tuple[EngagementRule, ...]]:
    keys = yaml_mapping(node, ("evidence_points", "rules"))
    default = _number(keys["evidence_points"], minimum=0.0) if "evidence_points" in keys else 1.0
    rules: list[EngagementRule] = []
    for item in yaml_items(keys["rules"]) if "rules" in keys else []:
        r = yaml_mapping(item, ("id", "events", "names", "points"))
        events = yaml_texts(r["events"]) if "events" in r else ()
        names = yaml_texts(r["names"]) if "names" in r else ()
        if not events and not names:
            raise item.fail("give events or names (the evidence this rule scores)")
        points = _number(yaml_required(item, r, "points"), minimum=0.0)
        rule_id = yaml_text(r["id"]) if "id" in r else ", ".join((*events, *names))
        rules.append(EngagementRule(id=rule_id, events=events, names=names, points=points))
    return default, tuple(rules)


def _fit(node: YamlNode) -> tuple[FitRule, ...]:
    out: list[FitRule] = []
    for item in yaml_items(node):
        r = yaml_mapping(item, ("trait", "points", *FIT_OPS))
        trait = yaml_text(yaml_required(item, r, "trait"))
        points = _number(yaml_required(item, r, "points"))
        ops = [op for op in FIT_OPS if op in r]
        if len(ops) != 1:
            raise item.fail(f"give exactly one of {', '.join(FIT_OPS)}")
        op = ops[0]
        vnode = r[op]
        value: Any = vnode.value
        if op in ("gte", "gt", "lte", "lt"):
            value = _number(vnode)
        elif op == "matches":
            try:
                re.compile(yaml_text(vnode))
            except re.error as exc:
                raise vnode.fail(f"not a valid regular expression: {exc}") from None
        elif op == "in":
            value = tuple(_scalar(v) for v in yaml_items(vnode))
        elif op == "exists":
            if not isinstance(value, bool):
                raise vnode.fail("expected true or false")
        else:
            value = _scalar(vnode)
        out.append(FitRule(trait=trait, op=op, value=value, points=points))
    return tuple(out)


def _labels(node: YamlNode, stages: list[str]) -> tuple[Label, ...]:
    out: list[Label] = []
    for item in yaml_items(node):
        r = yaml_mapping(item, ("name", "min_score", "min_stage"))
        name_node = yaml_required(item, r, "name")
        min_score = _number(yaml_required(item, r, "min_score"))
        stage = None
        if "min_stage" in r:
            stage = yaml_text(r["min_stage"])
            if stage not in stages:
                raise r["min_stage"].fail(f"no stage {stage!r} ({', '.join(stages)})")
        name = yaml_text(name_node)
        if any(lab.name == name for lab in out):
            raise name_node.fail(f"label {name!r} is given twice")
        out.append(Label(name=name, min_score=min_score, min_stage=stage))
    return tuple(out)


# -- node helpers --------------------------------------------------------------------------------


def _scalar(node: YamlNode) -> str | int | float | bool:
    if not isinstance(node.value, str | int | float | bool):
        raise node.fail("expected a single value")
    return node.value


def _number(node: YamlNode, *, minimum: float | None = None, whole: bool = False) -> float:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise node.fail("expected a number")
    if whole and not isinstance(value, int):
        raise node.fail("expected a whole number")
    if minimum is not None and value < minimum:
        raise node.fail(f"must be at least {minimum:g}")
    return float(value)
