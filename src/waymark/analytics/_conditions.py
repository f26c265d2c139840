"""Step conditions as DuckDB SQL over an event table, with every value bound as a parameter.

A ``where`` key names a property (``product_id``), a dotted path into one of the JSON columns
(``properties.plan.tier``, ``campaign.source``, ``context.page.url``, ``traits.plan``), or a
plain event column (``channel``, ``name``, ``category``, ``source``). Comparisons are typed as
in journey models: a JSON string matches only a string value, a number only a number, a boolean
only a boolean.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from waymark.analytics.contracts import Scalar, WhereValue
from waymark.analytics.errors import InvalidQuery

JSON_COLUMNS: Final = ("properties", "campaign", "context", "traits")
TEXT_COLUMNS: Final = ("channel", "name", "category", "source", "type", "event")
_NUMERIC_JSON: Final = "('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT')"


@dataclass
class Sql:
    """SQL text with ``?`` placeholders and their values, in order."""

    text: str
    params: list[object] = field(default_factory=list)

    def __add__(self, other: Sql) -> Sql:
        return Sql(self.text + other.text, self.params + other.params)


@dataclass(frozen=True)
class FieldRef:
    column: str
    path: str | None
    """A DuckDB JSON path (``$."plan"``) into ``column``, or None for a plain column."""


def field_ref(key: str, *, field_name: str) -> FieldRef:
    """Where a ``where`` key (or breakdown path) points; raises ``InvalidQuery`` naming
    ``field_name`` for a key it cannot resolve."""
    parts = key.split(".")
    if not key or any(not p or '"' in p for p in parts):
        raise InvalidQuery(f"{field_name}: {key!r} is not a field name", field=field_name)
    if parts[0] in JSON_COLUMNS and len(parts) > 1:
        return FieldRef(parts[0], json_path(parts[1:]))
    if len(parts) == 1 and parts[0] in TEXT_COLUMNS:
        return FieldRef(parts[0], None)
    return FieldRef("properties", json_path(parts))


def json_path(parts: list[str]) -> str:
    return "$" + "".join(f'."{p}"' for p in parts)


def _scalar_sql(alias: str, ref: FieldRef, value: Scalar) -> Sql:
    col = f"{alias}.{ref.column}"
    if ref.path is None:
        if isinstance(value, str):
            return Sql(f"({col} = ?)", [value])
        return Sql("FALSE")
    path = ref.path
    if isinstance(value, bool):
        return Sql(
            f"(json_type({col}, ?) = 'BOOLEAN' AND json_extract_string({col}, ?) = ?)",
            [path, path, "true" if value else "false"],
        )
    if isinstance(value, str):
        return Sql(
            f"(json_type({col}, ?) = 'VARCHAR' AND json_extract_string({col}, ?) = ?)",
            [path, path, value],
        )
    return Sql(
        f"(json_type({col}, ?) IN {_NUMERIC_JSON} "
        f"AND TRY_CAST(json_extract_string({col}, ?) AS DOUBLE) = ?)",
        [path, path, float(value)],
    )


def value_sql(alias: str, ref: FieldRef, value: WhereValue) -> Sql:
    """``ref`` equals ``value`` (or one of a list of values)."""
    if isinstance(value, list):
        if not value:
            return Sql("FALSE")
        out = Sql("(")
        for i, v in enumerate(value):
            out = out + (Sql(" OR ") if i else Sql("")) + _scalar_sql(alias, ref, v)
        return out + Sql(")")
    return _scalar_sql(alias, ref, value)


def event_condition(
    alias: str,
    *,
    event: str | None,
    type_: str | None,
    where: Mapping[str, WhereValue],
    field_name: str,
) -> Sql:
    """An event matches: its name, its call type and every ``where`` condition."""
    parts: list[Sql] = []
    if event is not None:
        parts.append(Sql(f"({alias}.event = ?)", [event]))
    if type_ is not None:
        parts.append(Sql(f"({alias}.type = ?)", [type_]))
    for key, value in where.items():
        ref = field_ref(key, field_name=f"{field_name}.where.{key}")
        parts.append(value_sql(alias, ref, value))
    return _all(parts)


def stage_condition(
    alias: str, *, stage: str, model: str, where: Mapping[str, WhereValue], field_name: str
) -> Sql:
    """A stage transition matches: the stage entered, the model and the product."""
    parts = [Sql(f"({alias}.to_stage = ? AND {alias}.model = ?)", [stage, model])]
    for key, value in where.items():
        if key != "product":
            raise InvalidQuery(
                f"{field_name}.where: a stage step can only be narrowed by product, not {key!r}",
                field=f"{field_name}.where.{key}",
            )
        parts.append(value_sql(alias, FieldRef("product", None), value))
    return _all(parts)


def _all(parts: list[Sql]) -> Sql:
    if not parts:
        return Sql("TRUE")
    out = Sql("coalesce(")
    for i, p in enumerate(parts):
        out = out + (Sql(" AND ") if i else Sql("")) + p
    return out + Sql(", FALSE)")
