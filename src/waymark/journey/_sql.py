"""A model's evidence rules as one SQL query over a batch of events: the batch side.

The query reads a relation with the columns of ``core.eventframe.EVENT_SCHEMA`` plus
``profile_id`` and answers one row per (event, product) that is evidence: its time, seq,
message id, stage mask, levels (one column per stage with levels), purchase flag and product.
``_match`` is the per-event twin; a property test holds them to the same answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from waymark.journey.contracts import BRAND, Condition, EvidenceRule, JourneyModel

_NUMBER_TYPES: Final = "('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT')"
_PRODUCT_TYPES: Final = "('VARCHAR', 'BIGINT', 'UBIGINT', 'HUGEINT')"
CATALOG: Final = "_journey_catalog"
"""Relation of (content_id, stage_pos, level_pos) when the model has a content catalog."""


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _json_path(path: tuple[str, ...]) -> str:
    return _lit("$" + "".join(f'."{key}"' for key in path))


def _number(value: float) -> str:
    return repr(float(value))


def _typed_equals(path: tuple[str, ...], value: str | int | float | bool) -> str:
    """SQL for typed equality, NULL-free (false when absent)."""
    if len(path) == 1:
        column = f'"{path[0]}"'
        if isinstance(value, str):
            return f"coalesce({column} = {_lit(value)}, false)"
        return "false"  # top-level columns are text
    root, jp = f'"{path[0]}"', _json_path(path[1:])
    kind = f"json_type({root}, {jp})"
    text = f"json_extract_string({root}, {jp})"
    if isinstance(value, bool):
        return f"coalesce({kind} = 'BOOLEAN' AND {text} = {_lit(str(value).lower())}, false)"
    if isinstance(value, str):
        return f"coalesce({kind} = 'VARCHAR' AND {text} = {_lit(value)}, false)"
    return (
        f"coalesce({kind} IN {_NUMBER_TYPES} AND TRY_CAST({text} AS DOUBLE) = {_number(value)}, "
        "false)"
    )


def _exists(path: tuple[str, ...]) -> str:
    if len(path) == 1:
        return f'("{path[0]}" IS NOT NULL)'
    kind = f'json_type("{path[0]}", {_json_path(path[1:])})'
    return f"coalesce({kind} <> 'NULL', false)"


_COMPARE: Final = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def condition_sql(cond: Condition) -> str:
    """One condition as a boolean SQL expression that is never NULL."""
    path, value = cond.path, cond.value
    if cond.op == "exists":
        sql = _exists(path)
        return sql if value else f"(NOT {sql})"
    if cond.op in ("equals", "not_equals"):
        if isinstance(value, tuple) or value is None:
            raise TypeError(f"{cond.field}: {cond.op} needs one value")
        sql = _typed_equals(path, value)
        return sql if cond.op == "equals" else f"(NOT {sql})"
    if cond.op in ("in", "not_in"):
        options = value if isinstance(value, tuple) else (value,)
        sql = "(" + " OR ".join(_typed_equals(path, o) for o in options if o is not None) + ")"
        return sql if cond.op == "in" else f"(NOT {sql})"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{cond.field}: {cond.op} needs a number")
    if len(path) == 1:
        return "false"
    root, jp = f'"{path[0]}"', _json_path(path[1:])
    return (
        f"coalesce(json_type({root}, {jp}) IN {_NUMBER_TYPES} AND "
        f"TRY_CAST(json_extract_string({root}, {jp}) AS DOUBLE) {_COMPARE[cond.op]} "
        f"{_number(value)}, false)"
    )


def rule_sql(rule: EvidenceRule) -> str:
    parts: list[str] = []
    if rule.events:
        parts.append("\"type\" = 'track'")
        parts.append(f'coalesce("event" IN ({", ".join(_lit(e) for e in rule.events)}), false)')
    elif rule.type is not None:
        parts.append(f'"type" = {_lit(rule.type)}')
    elif rule.names:
        parts.append("\"type\" IN ('page', 'screen')")
    if rule.names:
        parts.append(f'coalesce("name" IN ({", ".join(_lit(n) for n in rule.names)}), false)')
    parts.extend(condition_sql(c) for c in rule.where)
    return "(" + " AND ".join(parts or ["true"]) + ")"


def _any(rules: tuple[EvidenceRule, ...]) -> str:
    return "(" + " OR ".join(rule_sql(r) for r in rules) + ")" if rules else "false"


def _product_sql(model: JourneyModel) -> str:
    """The list of product keys an event names (NULL when it is not evidence of any)."""
    options: list[str] = []
    for path in model.product.fields:
        root = f'"{path[0]}"'
        array_at = next((i for i, p in enumerate(path) if p.endswith("[]")), -1)
        if array_at < 0:
            jp = _json_path(path[1:])
            text = f"json_extract_string({root}, {jp})"
            options.append(
                f"CASE WHEN json_type({root}, {jp}) IN {_PRODUCT_TYPES} AND {text} <> '' "
                f"THEN [{text}] END"
            )
            continue
        head = "".join(f'."{k}"' for k in (*path[1:array_at], path[array_at][:-2]))
        tail = "".join(f'."{k}"' for k in path[array_at + 1 :])
        jp = _lit(f"${head}[*]{tail}")
        # Items of the right type and not empty; NULL when none, so the next field is tried.
        options.append(
            f"nullif(list_distinct(list_filter(list_transform("
            f"list_zip(json_type({root}, {jp}), json_extract_string({root}, {jp})), "
            f"lambda x: CASE WHEN x[1] IN {_PRODUCT_TYPES} AND x[2] <> '' THEN x[2] END), "
            f"lambda x: x IS NOT NULL)), [])"
        )
    if model.product.product_less == "brand":
        options.append(f"[{_lit(BRAND)}]")
    return options[0] if len(options) == 1 else f"coalesce({', '.join(options)})"


@dataclass(frozen=True)
class _Content:
    matched: str
    """Whether the event is a content engagement (a content rule matched)."""
    mask: str
    levels: dict[int, list[str]]
    """Level expressions per stage with levels."""


def _content_parts(model: JourneyModel) -> _Content:
    """Evidence from content tagged with a stage (a property, or the catalog)."""
    content = model.content
    if not content.rules:
        return _Content("false", "0", {})
    stage_jp = _json_path((content.stage_property,))
    level_jp = _json_path((content.level_property,))
    tag = (
        f"CASE WHEN json_type(\"properties\", {stage_jp}) = 'VARCHAR' THEN "
        f'json_extract_string("properties", {stage_jp}) END'
    )
    level = (
        f"CASE WHEN json_type(\"properties\", {level_jp}) = 'VARCHAR' THEN "
        f'json_extract_string("properties", {level_jp}) END'
    )
    whens = " ".join(f"WHEN {_lit(s.name)} THEN {1 << i}" for i, s in enumerate(model.stages))
    mask = f"(CASE {tag} {whens} ELSE 0 END)"
    levels: dict[int, list[str]] = {}
    for i, stage in enumerate(model.stages):
        if not stage.levels:
            continue
        by_name = " ".join(f"WHEN {_lit(lv.name)} THEN {j}" for j, lv in enumerate(stage.levels))
        levels[i] = [
            f"CASE WHEN content_hit AND coalesce({tag} = {_lit(stage.name)}, false) THEN "
            f"(CASE {level} {by_name} ELSE -1 END) ELSE -1 END"
        ]
    if content.catalog:
        mask = f"({mask} | coalesce(CAST(1 AS BIGINT) << cat.stage_pos, 0))"
        for i, exprs in levels.items():
            exprs.append(
                f"coalesce(CASE WHEN content_hit AND cat.stage_pos = {i} "
                "THEN cat.level_pos END, -1)"
            )
    return _Content(_any(content.rules), f"(CASE WHEN content_hit THEN {mask} ELSE 0 END)", levels)


def evidence_query(model: JourneyModel, relation: str) -> tuple[str, tuple[int, ...]]:
    """(SQL, positions of the stages with levels, in the order of their ``lv_`` columns)."""
    content = _content_parts(model)
    bits = [
        f"(CASE WHEN {_any(stage.evidence)} THEN {1 << i} ELSE 0 END)"
        for i, stage in enumerate(model.stages)
        if stage.evidence
    ]
    leveled = tuple(i for i, s in enumerate(model.stages) if s.levels)
    level_cols: list[str] = []
    for i in leveled:
        stage = model.stages[i]
        exprs = [
            f"CASE WHEN {rule_sql(rule)} THEN {stage.level_index(rule.level)} ELSE -1 END"
            for rule in stage.evidence
            if rule.level is not None
        ]
        exprs.extend(content.levels.get(i, []))
        level_cols.append(f"greatest(-1, {', '.join(exprs) or '-1'}) AS lv_{i}")
    catalog = model.content.catalog
    cat_join = ""
    if catalog and model.content.rules:
        id_jp = _json_path((model.content.id_property,))
        cat_join = (
            f"LEFT JOIN {CATALOG} AS cat ON json_type(e.\"properties\", {id_jp}) = 'VARCHAR' "
            f'AND cat.content_id = json_extract_string(e."properties", {id_jp})'
        )
    select_levels = "".join(f", {c}" for c in level_cols)
    outer_levels = "".join(f", lv_{i}" for i in leveled)
    sql = f"""
WITH hits AS (
    SELECT e.*, {content.matched} AS content_hit
    FROM {relation} AS e
), flagged AS (
    SELECT profile_id, epoch_us("timestamp") AS ts, seq, message_id,
           {_any(model.purchase)} AS purchase,
           ({" | ".join(bits) or "0"} | {content.mask}) AS mask
           {select_levels},
           {_product_sql(model)} AS products
    FROM hits AS e {cat_join}
)
SELECT profile_id, ts, seq, message_id, purchase, mask{outer_levels},
       UNNEST(products) AS product, UNNEST(range(len(products))) AS pos
FROM flagged
WHERE (mask <> 0 OR purchase) AND products IS NOT NULL
"""
    return sql, leveled
