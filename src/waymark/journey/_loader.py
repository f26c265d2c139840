"""A journey model file becomes a frozen ``JourneyModel``, or a ``ModelError`` naming the file,
the line and the field. Unknown keys are refused (a typo must not silently drop a rule)."""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Any, Final, TypeVar

from waymark.journey import _yamlnodes
from waymark.journey._checks import check_model
from waymark.journey._durations import parse_duration
from waymark.journey._yamlnodes import Node
from waymark.journey._yamlnodes import items as _list
from waymark.journey._yamlnodes import mapping as _mapping
from waymark.journey._yamlnodes import name as _name
from waymark.journey._yamlnodes import optional as _optional
from waymark.journey._yamlnodes import required as _required
from waymark.journey._yamlnodes import text as _text
from waymark.journey._yamlnodes import texts as _texts
from waymark.journey.contracts import (
    OPS,
    PHASES,
    Condition,
    ConditionValue,
    ContentEvidence,
    EvidenceRule,
    JourneyModel,
    Level,
    MovingBack,
    ProductConfig,
    Stage,
)

T = TypeVar("T")

_NAME: Final = re.compile(r"^[a-z][a-z0-9_-]*$")
_KEY: Final = re.compile(r"^[\w\- ]+(\[\])?$")
"""A key inside a JSON field: word characters, '-' and spaces (so it quotes safely in SQL)."""
JSON_ROOTS: Final = ("properties", "traits", "context", "campaign")
"""Event fields holding JSON objects: conditions may look inside them."""
PLAIN_FIELDS: Final = ("type", "event", "name", "category", "channel", "source")
"""Top-level event columns a condition may test directly."""
CALL_TYPES: Final = ("track", "identify", "page", "screen", "group", "alias")


def load_text(text: str, *, file: str) -> JourneyModel:
    """Parse and validate a model. ``file`` is used only in error messages."""
    root = _yamlnodes.parse(text, file=file)
    model = _model(root, file)
    check_model(model, root)
    return model


# -- helpers -------------------------------------------------------------------------------------


def _duration(node: Node) -> timedelta | None:
    if node.value is None:
        return None
    if not isinstance(node.value, str):
        raise node.fail(f"expected a duration such as 30d or 12h, got {node.value!r}")
    try:
        value = parse_duration(node.value)
    except ValueError as exc:
        raise node.fail(str(exc)) from None
    return value


def _path(node: Node, *, allow_array: bool) -> tuple[str, ...]:
    text = _text(node)
    parts = tuple(text.split("."))
    if any(not _KEY.match(p) for p in parts):
        raise node.fail(
            f"{text!r} is not a field path such as properties.plan (keys are letters, digits, "
            "'_', '-' or spaces)"
        )
    root = parts[0]
    if len(parts) == 1:
        if root not in PLAIN_FIELDS:
            raise node.fail(
                f"{text!r}: a field is one of {', '.join(PLAIN_FIELDS)} or a path inside "
                f"{', '.join(JSON_ROOTS)} (such as properties.plan)"
            )
        return parts
    if root not in JSON_ROOTS:
        raise node.fail(f"{text!r}: paths start with one of {', '.join(JSON_ROOTS)}")
    arrays = [p for p in parts if p.endswith("[]")]
    if arrays and (not allow_array or len(arrays) > 1 or parts[-1].endswith("[]")):
        raise node.fail(
            f"{text!r}: only a product field may read an array, once, as in "
            "properties.products[].product_id"
        )
    return parts


# -- conditions and rules ------------------------------------------------------------------------


def _scalar(node: Node) -> str | int | float | bool:
    value = node.value
    if isinstance(value, float) and not math.isfinite(value):
        raise node.fail(f"expected a finite number, got {value!r}")
    if isinstance(value, str | int | float | bool):
        return value
    raise node.fail(f"expected text, a number or true/false, got {value!r}")


def _number(node: Node) -> int | float:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise node.fail(f"expected a finite number, got {value!r}")
    return value


def _conditions(node: Node) -> tuple[Condition, ...]:
    if not isinstance(node.value, dict) or not node.value:
        raise node.fail("expected a mapping of field path to condition, e.g. properties.plan: pro")
    out: list[Condition] = []
    for key, value_node in node.value.items():
        path = _path(
            Node(key, value_node.line, value_node.field, value_node.file), allow_array=False
        )
        if not isinstance(value_node.value, dict):
            out.append(Condition(path=path, op="equals", value=_scalar(value_node)))
            continue
        if not value_node.value:
            raise value_node.fail(f"expected one of {', '.join(OPS)}")
        for op, arg in value_node.value.items():
            out.append(Condition(path=path, op=_op(arg, op), value=_argument(op, arg)))
    return tuple(out)


def _op(node: Node, op: str) -> Any:
    if op not in OPS:
        raise node.fail(f"unknown condition {op!r}; expected one of {', '.join(OPS)}")
    return op


def _argument(op: str, node: Node) -> ConditionValue:
    if op in ("in", "not_in"):
        items = _list(node)
        if not items:
            raise node.fail("expected at least one value")
        return tuple(_scalar(item) for item in items)
    if op == "exists":
        if not isinstance(node.value, bool):
            raise node.fail(f"expected true or false, got {node.value!r}")
        return node.value
    if op in ("gt", "gte", "lt", "lte"):
        return _number(node)
    return _scalar(node)


_RULE_KEYS: Final = ("event", "type", "name", "where", "level")


def rule(node: Node, *, levels: bool = True) -> EvidenceRule:
    """One evidence rule (also used for purchase and content rules, without levels)."""
    items = _mapping(node, _RULE_KEYS if levels else _RULE_KEYS[:-1])
    events = _texts(items["event"]) if "event" in items else ()
    names = _texts(items["name"]) if "name" in items else ()
    call_type = _text(items["type"]) if "type" in items else None
    if call_type is not None and call_type not in CALL_TYPES:
        raise items["type"].fail(f"{call_type!r} is not one of {', '.join(CALL_TYPES)}")
    if events:
        if call_type not in (None, "track"):
            raise items["event"].fail("event names apply to track calls only")
        call_type = "track"
    if names and call_type not in (None, "page", "screen"):
        raise items["name"].fail("names apply to page and screen calls only")
    where = _conditions(items["where"]) if "where" in items else ()
    if not (events or names or call_type or where):
        raise node.fail("a rule needs at least one of event, type, name or where")
    level = _optional(items, "level", _name, None)
    return EvidenceRule(type=call_type, events=events, names=names, where=where, level=level)


def _rules(node: Node, *, levels: bool) -> tuple[EvidenceRule, ...]:
    return tuple(rule(item, levels=levels) for item in _list(node))


# -- stages and the model ------------------------------------------------------------------------


def _stage(node: Node) -> Stage:
    items = _mapping(
        node,
        (
            "name",
            "title",
            "phase",
            "question",
            "description",
            "evidence",
            "levels",
            "stall_after",
            "lapse_after",
        ),
    )
    name = _name(_required(node, items, "name"))
    phase_node = _required(node, items, "phase")
    phase = _text(phase_node)
    if phase not in PHASES:
        raise phase_node.fail(f"{phase!r} is not one of {', '.join(PHASES)}")
    return Stage(
        name=name,
        title=_optional(items, "title", _text, name),
        phase=phase,  # checked against PHASES above
        question=_text(_required(node, items, "question")),
        description=_optional(items, "description", _text, ""),
        evidence=_optional(items, "evidence", lambda n: _rules(n, levels=True), ()),
        levels=_optional(items, "levels", _levels, ()),
        stall_after=_optional(items, "stall_after", _duration, None),
        lapse_after=_optional(items, "lapse_after", _duration, None),
    )


def _levels(node: Node) -> tuple[Level, ...]:
    out: list[Level] = []
    for item in _list(node):
        items = _mapping(item, ("name", "description"))
        out.append(
            Level(
                name=_name(_required(item, items, "name")),
                description=_optional(items, "description", _text, ""),
            )
        )
    return tuple(out)


def _product(node: Node) -> ProductConfig:
    items = _mapping(node, ("fields", "product_less"))
    fields = ProductConfig().fields
    if "fields" in items:
        listed = _list(items["fields"])
        if not listed:
            raise items["fields"].fail("expected at least one field")
        fields = tuple(_path(item, allow_array=True) for item in listed)
        for item, path in zip(listed, fields, strict=True):
            if len(path) == 1:
                raise item.fail("a product field is a path such as properties.product_id")
    product_less = "brand"
    if "product_less" in items:
        product_less = _text(items["product_less"])
        if product_less not in ("brand", "ignore"):
            raise items["product_less"].fail(f"{product_less!r} is not one of brand, ignore")
    return ProductConfig(fields=fields, product_less=product_less)  # type: ignore[arg-type]


def _moving_back(node: Node) -> MovingBack:
    items = _mapping(node, ("after",))
    after = _duration(items["after"]) if "after" in items else MovingBack().after
    return MovingBack(after=after or timedelta(0))


def _content(node: Node) -> ContentEvidence:
    items = _mapping(node, ("rules", "stage_property", "level_property", "id_property", "catalog"))
    default = ContentEvidence()
    return ContentEvidence(
        rules=_optional(items, "rules", lambda n: _rules(n, levels=False), ()),
        stage_property=_optional(items, "stage_property", _text, default.stage_property),
        level_property=_optional(items, "level_property", _text, default.level_property),
        id_property=_optional(items, "id_property", _text, default.id_property),
        catalog=_optional(items, "catalog", _catalog, ()),
    )


def _catalog(node: Node) -> tuple[tuple[str, str, str | None], ...]:
    if not isinstance(node.value, dict):
        raise node.fail("expected a mapping of content_id to a stage (or {stage, level})")
    out: list[tuple[str, str, str | None]] = []
    for content_id, entry in node.value.items():
        if isinstance(entry.value, dict):
            items = _mapping(entry, ("stage", "level"))
            stage = _name(_required(entry, items, "stage"))
            level = _optional(items, "level", _name, None)
        else:
            stage, level = _name(entry), None
        out.append((str(content_id), stage, level))
    return tuple(out)


_MODEL_KEYS: Final = (
    "name",
    "title",
    "description",
    "source",
    "product",
    "moving_back",
    "purchase",
    "content",
    "stages",
)


def _model(root: Node, file: str) -> JourneyModel:
    items = _mapping(root, _MODEL_KEYS)
    stages_node = _required(root, items, "stages")
    stages = tuple(_stage(item) for item in _list(stages_node))
    if not stages:
        raise stages_node.fail("a model needs at least one stage")
    purchase_node = _required(root, items, "purchase")
    purchase = _rules(purchase_node, levels=False)
    if not purchase:
        raise purchase_node.fail("at least one purchase rule is needed (e.g. Order Completed)")
    name = _name(_required(root, items, "name"))
    return JourneyModel(
        name=name,
        title=_optional(items, "title", _text, name),
        description=_optional(items, "description", _text, ""),
        source=file,
        stages=stages,
        purchase=purchase,
        product=_optional(items, "product", _product, ProductConfig()),
        content=_optional(items, "content", _content, ContentEvidence()),
        moving_back=_optional(items, "moving_back", _moving_back, MovingBack()),
    )


# The helpers other configuration files reuse (through ``journey.api``) besides the generic
# ones in ``_yamlnodes``: numbers and durations read as models read them.
number = _number
duration = _duration
