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

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import pyarrow as pa

from waymark.core.signals import OUTSIDE_SIGNAL
from waymark.journey.contracts import (
    BRAND,
    Condition,
    EvidenceRule,
    JourneyModel,
    ProductConfig,
)

_NUMBER_TYPES: Final = "('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT')"
_PRODUCT_TYPES: Final = "('VARCHAR', 'BIGINT', 'UBIGINT', 'HUGEINT')"
CATALOG: Final = "_journey_catalog"
"""Prefix of the relations of (content_id, stage_pos, level_pos), one per model with a
content catalog."""


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


def _content_parts(model: JourneyModel, paths: Paths, m: int = 0) -> _Content:
    """Evidence from content tagged with a stage (a property, or the catalog ``cat{m}``), for
    the ``m``-th model of the query (its content flag is the column ``content_hit{m}``)."""
    hit, cat = f"content_hit{m}", f"cat{m}"
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
            f"CASE WHEN {hit} AND coalesce({tag} = {_lit(stage.name)}, false) THEN "
            f"(CASE {level} {by_name} ELSE -1 END) ELSE -1 END"
        ]
    if content.catalog:
        mask = f"({mask} | coalesce(CAST(1 AS BIGINT) << {cat}.stage_pos, 0))"
        for i, exprs in levels.items():
            exprs.append(
                f"coalesce(CASE WHEN {hit} AND {cat}.stage_pos = {i} THEN {cat}.level_pos END, -1)"
            )
    matched = _any(content.rules, paths)
    return _Content(matched, f"(CASE WHEN {hit} THEN {mask} ELSE 0 END)", levels)


def catalog_relation(m: int) -> str:
    """The relation holding the ``m``-th model's content catalog."""
    return f"{CATALOG}{m}"


def _calls(models: Sequence[JourneyModel]) -> str:
    """Events some rule of some model could match, by call type and name only: one ``IN`` per
    call type, so the first step filters cheaply."""
    names: dict[str, set[str]] = {}
    any_of: set[str] = set()
    wildcard = False
    for rule in (r for model in models for r in _all_rules(model)):
        if rule.events:
            names.setdefault("track", set()).update(rule.events)
        elif rule.names:
            for kind in (rule.type,) if rule.type else ("page", "screen"):
                names.setdefault(kind, set()).update(rule.names)
        elif rule.type is not None:
            any_of.add(rule.type)
        else:
            wildcard = True
    if wildcard:
        return "true"
    parts = [f'"type" IN ({", ".join(_lit(t) for t in sorted(any_of))})'] if any_of else []
    for kind, listed in sorted(names.items()):
        if kind in any_of:
            continue
        column = '"event"' if kind == "track" else '"name"'
        options = ", ".join(_lit(n) for n in sorted(listed))
        parts.append(f'("type" = {_lit(kind)} AND {column} IN ({options}))')
    return " OR ".join(parts) or "false"


CALLS: Final = "_journey_calls"
"""The relation of ``Query.calls``."""


def _static(rule: EvidenceRule) -> bool:
    """A rule decided by the call type and name alone (most rules): it goes in the calls
    table, joined once, instead of being an expression evaluated on every row."""
    return not rule.where and bool(rule.events or rule.names)


def _call_keys(rule: EvidenceRule) -> list[tuple[str, str]]:
    if rule.events:
        return [("track", e) for e in rule.events]
    kinds = (rule.type,) if rule.type else ("page", "screen")
    return [(k, n) for k in kinds if k is not None for n in rule.names]


def _calls_table(models: Sequence[JourneyModel]) -> pa.Table:
    """Per (call type, name) that some static rule names, per model ``m``: ``smask{m}`` (the
    stages those rules show), ``spurchase{m}``, ``scontent{m}`` and ``slv{m}_{stage}`` (the
    highest level they show)."""
    keys = sorted(
        {k for model in models for r in _all_rules(model) if _static(r) for k in _call_keys(r)}
    )
    index = {k: n for n, k in enumerate(keys)}
    columns: dict[str, list[object]] = {
        "call_type": [k[0] for k in keys],
        "call_name": [k[1] for k in keys],
    }
    for m, model in enumerate(models):
        mask = [0] * len(keys)
        purchase = [False] * len(keys)
        content = [False] * len(keys)
        levels = {i: [-1] * len(keys) for i, st in enumerate(model.stages) if st.levels}
        for i, stage in enumerate(model.stages):
            for rule in filter(_static, stage.evidence):
                lv = stage.level_index(rule.level)
                for key in _call_keys(rule):
                    mask[index[key]] |= 1 << i
                    if i in levels:
                        levels[i][index[key]] = max(levels[i][index[key]], lv)
        for rule in filter(_static, model.purchase):
            for key in _call_keys(rule):
                purchase[index[key]] = True
        for rule in filter(_static, model.content.rules):
            for key in _call_keys(rule):
                content[index[key]] = True
        columns[f"smask{m}"] = list(mask)
        columns[f"spurchase{m}"] = list(purchase)
        columns[f"scontent{m}"] = list(content)
        for i, values in levels.items():
            columns[f"slv{m}_{i}"] = list(values)

    def kind(name: str) -> pa.DataType:
        if name.startswith("call_"):
            return pa.string()
        return pa.int64() if name.startswith(("smask", "slv")) else pa.bool_()

    return pa.table({name: pa.array(values, kind(name)) for name, values in columns.items()})


def _absent(column: str) -> str:
    """The value of a calls-table column for a call no static rule names."""
    if column.startswith(("spurchase", "scontent")):
        return "false"
    return "-1" if column.startswith("slv") else "0"


def _dynamic_any(rules: tuple[EvidenceRule, ...], paths: Paths) -> str:
    return _any(tuple(r for r in rules if not _static(r)), paths)


@dataclass(frozen=True)
class Query:
    """One query for several models: one row per event that is evidence for some model, with
    per model ``m`` the columns ``purchase{m}``, ``mask{m}``, ``lv{m}_{stage}`` and
    ``products{g}`` (``g`` = ``product_group[m]``: models naming products the same way share
    it)."""

    sql: str
    leveled: tuple[tuple[int, ...], ...]
    product_group: tuple[int, ...]
    calls: pa.Table
    """Register as ``CALLS`` before running ``sql``."""


def evidence_query(models: Sequence[JourneyModel], relation: str) -> Query:
    """The evidence of every model over ``relation``, reading each event and JSON path once."""
    paths = Paths(columns=True)
    contents = [_content_parts(model, paths, m) for m, model in enumerate(models)]
    columns: list[str] = []
    leveled_all: list[tuple[int, ...]] = []
    groups: dict[ProductConfig, int] = {}
    product_group: list[int] = []
    joins: list[str] = []
    for m, (model, content) in enumerate(zip(models, contents, strict=True)):
        bits = [
            f"(CASE WHEN {_dynamic_any(stage.evidence, paths)} THEN {1 << i} ELSE 0 END)"
            for i, stage in enumerate(model.stages)
            if any(not _static(r) for r in stage.evidence)
        ]
        columns.append(f"(spurchase{m} OR {_dynamic_any(model.purchase, paths)}) AS purchase{m}")
        columns.append(f"(smask{m} | {' | '.join(bits) or '0'} | {content.mask}) AS mask{m}")
        leveled = tuple(i for i, s in enumerate(model.stages) if s.levels)
        for i in leveled:
            stage = model.stages[i]
            exprs = [f"slv{m}_{i}"]
            exprs += [
                f"CASE WHEN {rule_sql(rule, paths)} THEN {stage.level_index(rule.level)} "
                "ELSE -1 END"
                for rule in stage.evidence
                if rule.level is not None and not _static(rule)
            ]
            exprs.extend(content.levels.get(i, []))
            columns.append(f"greatest(-1, {', '.join(exprs)}) AS lv{m}_{i}")
        leveled_all.append(leveled)
        if model.product not in groups:
            groups[model.product] = len(groups)
            columns.append(f"{_product_sql(model, paths)} AS products{groups[model.product]}")
        product_group.append(groups[model.product])
        if model.content.catalog and model.content.rules:
            id_kind, id_text = paths.kind_text(("properties", model.content.id_property))
            joins.append(
                f"LEFT JOIN {catalog_relation(m)} AS cat{m} "
                f"ON {id_kind} = 'VARCHAR' AND cat{m}.content_id = {id_text}"
            )
    calls = _calls_table(models)
    static = [c for c in calls.column_names if c not in ("call_type", "call_name")]
    defaults = "".join(f", coalesce(s.{c}, {_absent(c)}) AS {c}" for c in static)
    hits = "".join(
        f", (scontent{m} OR {_dynamic_any(model.content.rules, paths)}) AS content_hit{m}"
        for m, model in enumerate(models)
    )
    evidence = " OR ".join(f"mask{m} <> 0 OR purchase{m}" for m in range(len(models)))
    select = "".join(f",\n           {c}" for c in columns)
    sql = f"""
WITH cand AS MATERIALIZED (
    SELECT e.profile_id, e."timestamp", e.seq, e.message_id, e."type", e."event", e."name",
           e.category, e.channel, e.source, e.properties {paths.select()} {defaults}
    FROM {relation} AS e
    LEFT JOIN {CALLS} AS s
      ON s.call_type = e."type"
     AND s.call_name = (CASE WHEN e."type" = 'track' THEN e."event" ELSE e."name" END)
    WHERE ({_calls(models)})
      AND NOT (e."type" = 'track' AND e."event" IS NOT DISTINCT FROM '{OUTSIDE_SIGNAL}')
), hits AS (
    SELECT * {hits} FROM cand
), flagged AS MATERIALIZED (
    SELECT profile_id, epoch_us("timestamp") AS ts, seq, message_id{select}
    FROM hits {" ".join(joins)}
)
SELECT * FROM flagged WHERE {evidence or "false"}
"""
    return Query(
        sql=sql, leveled=tuple(leveled_all), product_group=tuple(product_group), calls=calls
    )
