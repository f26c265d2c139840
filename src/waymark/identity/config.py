"""Typed identity configuration: identifier types, their priority, limits and blocked values.

Built once at start-up (``IdentityConfig.default()``, ``IdentityConfig.from_mapping(...)`` or
``load_identity_config(path)`` for YAML) and passed in. Every error names the field, and for
YAML the file and line.

    # identity.yaml
    identity:
      priority: [user_id, crm_id, email, phone, facebook_id, anonymous_id]
      limits: {email: 3}
      blocked_values: ["test@example.com"]
      phone_region: GB
      types:
        crm_id: {fields: [traits.crm_id], limit: 1}
        facebook_id: {fields: [context.traits.facebook_id, properties.fb_user]}
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final, Literal

import msgspec
import phonenumbers
import yaml

from waymark.identity.errors import IdentityConfigError

IdentifierKind = Literal["plain", "email", "phone"]
KINDS: Final[tuple[IdentifierKind, ...]] = ("plain", "email", "phone")

USER_ID: Final = "user_id"
ANONYMOUS_ID: Final = "anonymous_id"
EMAIL: Final = "email"
PHONE: Final = "phone"
# user_id and anonymous_id come from the event's own columns, not from traits
COLUMN_TYPES: Final = (USER_ID, ANONYMOUS_ID)

DEFAULT_LIMIT: Final = 5
DEFAULT_BLOCKED: Final[tuple[str, ...]] = (
    "",
    "null",
    "undefined",
    "anonymous",
    "-1",
    # exports from Python and pandas write these for missing values
    "none",
    "nan",
)
FIELD_ROOTS: Final = ("traits", "context", "properties")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
# field names that JSON writes unescaped, so the rebuild can find them in the raw text
_PART = re.compile(r'^[^"\\\x00-\x1f]+$')


class IdentifierType(msgspec.Struct, frozen=True, kw_only=True):
    """One kind of identifier and where events carry it."""

    name: str
    """``user_id``, ``email``, ``crm_id``, ...: lower case, digits and underscores."""
    kind: IdentifierKind = "plain"
    """How values are normalised: ``plain`` (trimmed), ``email`` (trimmed, lower-cased, must
    look like an address), ``phone`` (E.164 where parseable, else digits only)."""
    fields: tuple[str, ...] = ()
    """Dotted paths read from each event: ``traits.x``, ``context.traits.x``, ``properties.x``,
    ``context.device.id``. ``user_id``/``anonymous_id`` also come from the event's columns."""
    limit: int = DEFAULT_LIMIT
    """At most this many values of the type per profile; a merge that would exceed it is
    refused."""


class IdentityConfig(msgspec.Struct, frozen=True, kw_only=True):
    types: tuple[IdentifierType, ...]
    """Every identifier type, highest priority first. When an event's identifiers conflict,
    the lowest-priority offending one is dropped."""
    blocked_values: frozenset[str] = frozenset(DEFAULT_BLOCKED)
    """Values never used as identifiers (compared trimmed and lower-cased). Values made only
    of ``0`` and ``-`` are always blocked."""
    phone_region: str | None = None
    """ISO country (``GB``) for phone numbers written without ``+country``; without it such
    numbers are kept as digits only."""
    alias_previous_type: str = ANONYMOUS_ID
    """The type an ``alias`` call's ``previousId`` is read as."""
    trait_history: int = 10
    """How many previous values of each trait a profile keeps."""

    @classmethod
    def default(cls) -> IdentityConfig:
        return cls.from_mapping({})

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], *, where: Callable[[str], str] | None = None
    ) -> IdentityConfig:
        """Validate a plain mapping (the ``identity:`` section of a YAML file).

        ``where(field)`` names the place a field came from (file and line) in errors."""
        return _parse(data, where or (lambda field: ""))

    def type_named(self, name: str) -> IdentifierType | None:
        for t in self.types:
            if t.name == name:
                return t
        return None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.types)


def _builtin() -> dict[str, IdentifierType]:
    return {
        USER_ID: IdentifierType(name=USER_ID, limit=1),
        EMAIL: IdentifierType(
            name=EMAIL, kind="email", fields=("traits.email", "context.traits.email")
        ),
        PHONE: IdentifierType(
            name=PHONE, kind="phone", fields=("traits.phone", "context.traits.phone")
        ),
        ANONYMOUS_ID: IdentifierType(name=ANONYMOUS_ID),
    }


_TOP_KEYS: Final = {
    "types",
    "priority",
    "limits",
    "blocked_values",
    "phone_region",
    "alias_previous_type",
    "trait_history",
}
_TYPE_KEYS: Final = {"fields", "kind", "limit"}


def _parse(data: Mapping[str, Any], where: Callable[[str], str]) -> IdentityConfig:
    def fail(field: str, message: str) -> IdentityConfigError:
        place = where(field)
        prefix = f"{place}: " if place else ""
        return IdentityConfigError(
            f"{prefix}identity.{field}: {message}", field=f"identity.{field}"
        )

    if not isinstance(data, Mapping):
        raise fail("", "must be a mapping")
    for key in data:
        if key not in _TOP_KEYS:
            raise fail(str(key), f"unknown setting; expected one of {', '.join(sorted(_TOP_KEYS))}")

    types = _builtin()
    raw_types = data.get("types") or {}
    if not isinstance(raw_types, Mapping):
        raise fail("types", "must be a mapping of type name to {fields, kind, limit}")
    custom: list[str] = []
    for name, spec in raw_types.items():
        types[str(name)] = _parse_type(str(name), spec, types.get(str(name)), fail)
        if name not in COLUMN_TYPES and name not in (EMAIL, PHONE):
            custom.append(str(name))

    limits = data.get("limits") or {}
    if not isinstance(limits, Mapping):
        raise fail("limits", "must be a mapping of type name to a positive integer")
    for name, limit in limits.items():
        if name not in types:
            raise fail(f"limits.{name}", f"no identifier type {name!r}")
        types[name] = msgspec.structs.replace(
            types[name], limit=_positive(limit, f"limits.{name}", fail)
        )

    default_order = [USER_ID, EMAIL, PHONE, *custom, ANONYMOUS_ID]
    priority = data.get("priority")
    if priority is None:
        order = default_order
    else:
        if not isinstance(priority, list) or not all(isinstance(p, str) for p in priority):
            raise fail("priority", "must be a list of identifier type names")
        order = list(priority)
        for name in order:
            if name not in types:
                raise fail("priority", f"no identifier type {name!r}")
        if len(set(order)) != len(order):
            raise fail("priority", "lists a type twice")
        missing = [n for n in default_order if n not in order]
        if missing:
            raise fail("priority", f"must list every type; missing {', '.join(missing)}")

    blocked = data.get("blocked_values") or []
    if not isinstance(blocked, list) or not all(isinstance(b, str | int) for b in blocked):
        raise fail("blocked_values", "must be a list of strings")
    region = data.get("phone_region")
    if region is not None and (
        not isinstance(region, str) or region.upper() not in phonenumbers.SUPPORTED_REGIONS
    ):
        raise fail("phone_region", f"{region!r} is not a known ISO country code such as GB")
    alias_type = data.get("alias_previous_type", ANONYMOUS_ID)
    if alias_type not in types:
        raise fail("alias_previous_type", f"no identifier type {alias_type!r}")
    history = data.get("trait_history", 10)
    if not isinstance(history, int) or isinstance(history, bool) or not 0 <= history <= 1000:
        raise fail("trait_history", "must be an integer from 0 to 1000")

    return IdentityConfig(
        types=tuple(types[n] for n in order),
        blocked_values=frozenset(DEFAULT_BLOCKED) | {str(b).strip().lower() for b in blocked},
        phone_region=region.upper() if isinstance(region, str) else None,
        alias_previous_type=str(alias_type),
        trait_history=history,
    )


def _parse_type(
    name: str,
    spec: Any,
    base: IdentifierType | None,
    fail: Callable[[str, str], IdentityConfigError],
) -> IdentifierType:
    field = f"types.{name}"
    if not _NAME.match(name):
        raise fail(field, "type names are lower case letters, digits and _ (at most 32)")
    if spec is None:
        spec = {}
    if not isinstance(spec, Mapping):
        raise fail(field, "must be a mapping with fields, kind and limit")
    for key in spec:
        if key not in _TYPE_KEYS:
            raise fail(
                f"{field}.{key}", f"unknown setting; expected {', '.join(sorted(_TYPE_KEYS))}"
            )
    current = base or IdentifierType(name=name)
    kind = spec.get("kind", current.kind)
    if kind not in KINDS:
        raise fail(f"{field}.kind", f"must be one of {', '.join(KINDS)}")
    if base is not None and name in COLUMN_TYPES and kind != "plain":
        raise fail(f"{field}.kind", f"{name} is always plain")
    fields = spec.get("fields", list(current.fields))
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise fail(f"{field}.fields", "must be a list of dotted paths such as traits.crm_id")
    for i, path in enumerate(fields):
        parts = path.split(".")
        if len(parts) < 2 or parts[0] not in FIELD_ROOTS or not all(map(_PART.match, parts)):
            raise fail(
                f"{field}.fields[{i}]",
                f"{path!r} must start with traits., context. or properties. and name a field",
            )
    if base is None and not fields:
        raise fail(f"{field}.fields", "a custom identifier type needs at least one field")
    limit = _positive(spec.get("limit", current.limit), f"{field}.limit", fail)
    return IdentifierType(name=name, kind=kind, fields=tuple(fields), limit=limit)


def _positive(value: Any, field: str, fail: Callable[[str, str], IdentityConfigError]) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise fail(field, f"must be a positive integer, got {value!r}")
    return value


def load_identity_config(path: Path) -> IdentityConfig:
    """Read the ``identity:`` section of a YAML file; errors name the file and line."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise IdentityConfigError(f"cannot read {path}: {exc.strerror}", field="identity") from None
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise IdentityConfigError(f"{path}: not valid YAML: {exc}", field="identity") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise IdentityConfigError(f"{path}:1: expected a mapping", field="identity")
    lines: dict[str, int] = {}
    if root is not None:
        _key_lines(root, "", lines)

    def where(field: str) -> str:
        key = "identity." + field if field else "identity"
        while key and key not in lines:
            key = key.rpartition(".")[0]
        return f"{path}:{lines.get(key, 1)}"

    return IdentityConfig.from_mapping(data.get("identity") or {}, where=where)


def _key_lines(node: yaml.Node, path: str, lines: dict[str, int]) -> None:
    """Record the line of every mapping key and list item by dotted path."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = f"{path}.{key_node.value}" if path else str(key_node.value)
            lines[child] = key_node.start_mark.line + 1
            _key_lines(value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            child = f"{path}[{i}]"
            lines[child] = item.start_mark.line + 1
            _key_lines(item, child, lines)
