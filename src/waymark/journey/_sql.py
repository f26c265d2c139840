"""A model's evidence rules as one SQL query over a batch of events: the batch side.

The query reads a relation with the columns of ``core.eventframe.EVENT_SCHEMA`` plus
``profile_id`` and answers one row per (event, product) that is evidence: its time, seq,
message id, stage mask, levels (one column per stage with levels), purchase flag and product.
``_match`` is the per-event twin; a property test holds them to the same answers.

Shape, for speed: (1) keep only events whose call type and name some rule names, reading each
JSON path the rules need once (``json_type`` and text); (2) compute the mask, levels, purchase
flag and product list from those columns; (3) one row per product. Steps 1 and 2 are
materialised so DuckDB does not evaluate the expressions again in the filters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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


@dataclass
class Paths:
    """Where a JSON path's type and text come from: computed inline (``columns=False``), or
    columns of the first step of the query, each path read once."""

    columns: bool = False
    found: dict[tuple[str, ...], int] = field(default_factory=dict)

    def kind_text(self, path: tuple[str, ...]) -> tuple[str, str]:
        """(SQL for the JSON type, SQL for the text) of ``root.a.b``."""
        if not self.columns:
            root, jp = f'"{path[0]}"', _json_path(path[1:])
            return f"json_type({root}, {jp})", f"json_extract_string({root}, {jp})"
        k = self.found.setdefault(path, len(self.found))
        return f"t{k}", f"v{k}"

    def select(self) -> str:
        """The columns of the first step."""
        out = []
        for path, k in self.found.items():
            root, jp = f'"{path[0]}"', _json_path(path[1:])
            out.append(
                f"json_type({root}, {jp}) AS t{k}, json_extract_string({root}, {jp}) AS v{k}"
            )
        return "".join(f", {c}" for c in out)


def _typed_equals(path: tuple[str, ...], value: str | int | float | bool, paths: Paths) -> str:
    """SQL for typed equality, NULL-free (false when absent)."""
    if len(path) == 1:
        if isinstance(value, str):
            return f'coalesce("{path[0]}" = {_lit(value)}, false)'
        return "false"  # top-level columns are text
    kind, text = paths.kind_text(path)
    if isinstance(value, bool):
        return f"coalesce({kind} = 'BOOLEAN' AND {text} = {_lit(str(value).lower())}, false)"
    if isinstance(value, str):
        return f"coalesce({kind} = 'VARCHAR' AND {text} = {_lit(value)}, false)"
    return (
        f"coalesce({kind} IN {_NUMBER_TYPES} AND TRY_CAST({text} AS DOUBLE) = {_number(value)}, "
        "false)"
    )


def _exists(path: tuple[str, ...], paths: Paths) -> str:
    if len(path) == 1:
        return f'("{path[0]}" IS NOT NULL)'
    kind, _ = paths.kind_text(path)
    return f"coalesce({kind} <> 'NULL', false)"


_COMPARE: Final = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def condition_sql(cond: Condition, paths: Paths | None = None) -> str:
    """One condition as a boolean SQL expression that is never NULL."""
    paths = paths or Paths()
    path, value = cond.path, cond.value
    if cond.op == "exists":
        sql = _exists(path, paths)
        return sql if value else f"(NOT {sql})"
    if cond.op in ("equals", "not_equals"):
        if isinstance(value, tuple) or value is None:
            raise TypeError(f"{cond.field}: {cond.op} needs one value")
        sql = _typed_equals(path, value, paths)
        return sql if cond.op == "equals" else f"(NOT {sql})"
    if cond.op in ("in", "not_in"):
        options = value if isinstance(value, tuple) else (value,)
        sql = (
            "(" + " OR ".join(_typed_equals(path, o, paths) for o in options if o is not None) + ")"
        )
        return sql if cond.op == "in" else f"(NOT {sql})"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{cond.field}: {cond.op} needs a number")
    if len(path) == 1:
        return "false"
    kind, text = paths.kind_text(path)
    return (
        f"coalesce({kind} IN {_NUMBER_TYPES} AND "
        f"TRY_CAST({text} AS DOUBLE) {_COMPARE[cond.op]} {_number(value)}, false)"
    )


def _call_sql(rule: EvidenceRule) -> str:
    """The part of a rule that looks only at the call type and its name."""
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
    return "(" + " AND ".join(parts or ["true"]) + ")"


def rule_sql(rule: EvidenceRule, paths: Paths | None = None) -> str:
    paths = paths or Paths()
    parts = [_call_sql(rule), *(condition_sql(c, paths) for c in rule.where)]
    return "(" + " AND ".join(parts) + ")"


def _any(rules: tuple[EvidenceRule, ...], paths: Paths) -> str:
    return "(" + " OR ".join(rule_sql(r, paths) for r in rules) + ")" if rules else "false"


def _all_rules(model: JourneyModel) -> list[EvidenceRule]:
    return [
        *(r for s in model.stages for r in s.evidence),
        *model.purchase,
        *model.content.rules,
    ]


def _product_sql(model: JourneyModel, paths: Paths) -> str:
    """The list of product keys an event names (NULL when it names none and is not brand)."""
    options: list[str] = []
    for path in model.product.fields:
        array_at = next((i for i, p in enumerate(path) if p.endswith("[]")), -1)
        if array_at < 0:
            kind, text = paths.kind_text(path)
            options.append(
                f"CASE WHEN {kind} IN {_PRODUCT_TYPES} AND {text} <> '' THEN [{text}] END"
            )
            continue
        head = "".join(f'."{k}"' for k in (*path[1:array_at], path[array_at][:-2]))
        tail = "".join(f'."{k}"' for k in path[array_at + 1 :])
        root, jp = f'"{path[0]}"', _lit(f"${head}[*]{tail}")
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


def _content_parts(model: JourneyModel, paths: Paths) -> _Content:
    """Evidence from content tagged with a stage (a property, or the catalog)."""
    content = model.content
    if not content.rules:
        return _Content("false", "0", {})
    stage_kind, stage_text = paths.kind_text(("properties", content.stage_property))
    level_kind, level_text = paths.kind_text(("properties", content.level_property))
    tag = f"(CASE WHEN {stage_kind} = 'VARCHAR' THEN {stage_text} END)"
    level = f"(CASE WHEN {level_kind} = 'VARCHAR' THEN {level_text} END)"
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
    matched = _any(content.rules, paths)
    return _Content(matched, f"(CASE WHEN content_hit THEN {mask} ELSE 0 END)", levels)


def evidence_query(model: JourneyModel, relation: str) -> tuple[str, tuple[int, ...]]:
    """(SQL, positions of the stages with levels, in the order of their ``lv_`` columns)."""
    paths = Paths(columns=True)
    content = _content_parts(model, paths)
    bits = [
        f"(CASE WHEN {_any(stage.evidence, paths)} THEN {1 << i} ELSE 0 END)"
        for i, stage in enumerate(model.stages)
        if stage.evidence
    ]
    leveled = tuple(i for i, s in enumerate(model.stages) if s.levels)
    level_cols: list[str] = []
    for i in leveled:
        stage = model.stages[i]
        exprs = [
            f"CASE WHEN {rule_sql(rule, paths)} THEN {stage.level_index(rule.level)} ELSE -1 END"
            for rule in stage.evidence
            if rule.level is not None
        ]
        exprs.extend(content.levels.get(i, []))
        level_cols.append(f"greatest(-1, {', '.join(exprs) or '-1'}) AS lv_{i}")
    purchase = _any(model.purchase, paths)
    products = _product_sql(model, paths)
    catalog = model.content.catalog
    cat_join = ""
    if catalog and model.content.rules:
        id_kind, id_text = paths.kind_text(("properties", model.content.id_property))
        cat_join = (
            f"LEFT JOIN {CATALOG} AS cat ON {id_kind} = 'VARCHAR' AND cat.content_id = {id_text}"
        )
    calls = " OR ".join(_call_sql(r) for r in _all_rules(model)) or "false"
    select_levels = "".join(f", {c}" for c in level_cols)
    outer_levels = "".join(f", lv_{i}" for i in leveled)
    sql = f"""
WITH cand AS MATERIALIZED (
    SELECT profile_id, "timestamp", seq, message_id, "type", "event", "name", category,
           channel, source, properties {paths.select()}
    FROM {relation}
    WHERE {calls}
), hits AS (
    SELECT *, {content.matched} AS content_hit FROM cand
), flagged AS MATERIALIZED (
    SELECT profile_id, epoch_us("timestamp") AS ts, seq, message_id,
           {purchase} AS purchase,
           ({" | ".join(bits) or "0"} | {content.mask}) AS mask
           {select_levels},
           {products} AS products
    FROM hits {cat_join}
)
SELECT profile_id, ts, seq, message_id, purchase, mask{outer_levels},
       UNNEST(products) AS product, UNNEST(range(len(products))) AS pos
FROM flagged
WHERE (mask <> 0 OR purchase) AND products IS NOT NULL
"""
    return sql, leveled
