"""``scoring.yaml`` becomes a frozen ``ScoringConfig``, or a ``ScoringConfigError`` naming the
file, the line and the field. The YAML is read with journey's line-keeping parser, so both
features report errors the same way; unknown keys are refused (a typo must not drop a rule)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from waymark.journey.api import YamlNode, parse_yaml
from waymark.journey.contracts import JourneyModel
from waymark.journey.errors import ModelError
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
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScoringConfigError(
            f"cannot read: {exc}", file=str(path), line=None, field="(file)"
        ) from None
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
    try:
        root = parse_yaml(text, file=file)
        by_name = {m.name: m for m in models}
        top = _mapping(root, ("models",))
        if "models" not in top:
            raise root.fail("missing", field="models")
        allowed = None if only_running else tuple(by_name) or ("(no journey models)",)
        blocks = _mapping(top["models"], allowed)
        return ScoringConfig(
            models=tuple(
                _model(name, node, by_name[name])
                for name, node in blocks.items()
                if name in by_name
            )
        )
    except ModelError as exc:
        raise ScoringConfigError(
            str(exc).split(": ", 2)[-1], file=exc.file, line=exc.line, field=exc.field
        ) from None


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
    keys = _mapping(node, _MODEL_KEYS)
    stages = [s.name for s in model.stages]
    weights: dict[str, float] = {}
    if "stage_weights" in keys:
        for stage, w in _mapping(keys["stage_weights"], tuple(stages)).items():
            weights[stage] = _number(w, minimum=0.0)
    evidence_points: float = 1.0
    engagement: tuple[EngagementRule, ...] = ()
    if "engagement" in keys:
        evidence_points, engagement = _engagement(keys["engagement"])
    labels = _labels(keys["labels"], stages) if "labels" in keys else ()
    product_labels: dict[str, tuple[Label, ...]] = {}
    if "products" in keys:
        for product, pnode in _mapping(keys["products"], None).items():
            pkeys = _mapping(pnode, ("labels",))
            if "labels" not in pkeys:
                raise pnode.fail("missing", field=pnode.child("labels"))
            product_labels[product] = _labels(pkeys["labels"], stages)
    account = AccountRules()
    if "account" in keys:
        akeys = _mapping(keys["account"], ("top_members", "fit", "labels"))
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
    keys = _mapping(node, ("evidence_points", "rules"))
    points = _number(keys["evidence_points"], minimum=0.0) if "evidence_points" in keys else 1.0
    rules: list[EngagementRule] = []
    for item in _list(keys["rules"]) if "rules" in keys else []:
        r = _mapping(item, ("id", "events", "names", "points"))
        events = _strings(r["events"]) if "events" in r else ()
        names = _strings(r["names"]) if "names" in r else ()
        if not events and not names:
            raise item.fail("give events or names (the evidence this rule scores)")
        if "points" not in r:
            raise item.fail("missing", field=item.child("points"))
        rule_id = _text(r["id"]) if "id" in r else ", ".join((*events, *names))
        rules.append(
            EngagementRule(
                id=rule_id, events=events, names=names, points=_number(r["points"], minimum=0.0)
            )
        )
    return points, tuple(rules)


def _fit(node: YamlNode) -> tuple[FitRule, ...]:
    out: list[FitRule] = []
    for item in _list(node):
        r = _mapping(item, ("trait", "points", *FIT_OPS))
        for needed in ("trait", "points"):
            if needed not in r:
                raise item.fail("missing", field=item.child(needed))
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
                re.compile(_text(vnode))
            except re.error as exc:
                raise vnode.fail(f"not a valid regular expression: {exc}") from None
        elif op == "in":
            value = tuple(_scalar(v) for v in _list(vnode))
        elif op == "exists":
            if not isinstance(value, bool):
                raise vnode.fail("expected true or false")
        else:
            value = _scalar(vnode)
        out.append(
            FitRule(trait=_text(r["trait"]), op=op, value=value, points=_number(r["points"]))
        )
    return tuple(out)


def _labels(node: YamlNode, stages: list[str]) -> tuple[Label, ...]:
    out: list[Label] = []
    for item in _list(node):
        r = _mapping(item, ("name", "min_score", "min_stage"))
        for needed in ("name", "min_score"):
            if needed not in r:
                raise item.fail("missing", field=item.child(needed))
        stage = None
        if "min_stage" in r:
            stage = _text(r["min_stage"])
            if stage not in stages:
                raise r["min_stage"].fail(f"no stage {stage!r} ({', '.join(stages)})")
        name = _text(r["name"])
        if any(lab.name == name for lab in out):
            raise r["name"].fail(f"label {name!r} is given twice")
        out.append(Label(name=name, min_score=_number(r["min_score"]), min_stage=stage))
    return tuple(out)


# -- node helpers --------------------------------------------------------------------------------


def _mapping(node: YamlNode, allowed: tuple[str, ...] | None) -> Mapping[str, YamlNode]:
    if not isinstance(node.value, dict):
        raise node.fail("expected a mapping")
    if allowed is not None:
        for key, child in node.value.items():
            if key not in allowed:
                raise child.fail(f"unknown key {key!r}; expected one of {', '.join(allowed)}")
    return dict(node.value)


def _list(node: YamlNode) -> list[YamlNode]:
    if not isinstance(node.value, list):
        raise node.fail("expected a list")
    return list(node.value)


def _text(node: YamlNode) -> str:
    if not isinstance(node.value, str) or not node.value.strip():
        raise node.fail("expected text")
    return node.value.strip()


def _strings(node: YamlNode) -> tuple[str, ...]:
    return tuple(_text(item) for item in _list(node))


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
