"""A funnel definition from YAML (what ``waymark report funnel`` reads): the same fields as the
API's JSON body, with errors naming the file, the line and the field."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import yaml

from waymark.analytics._funnel import validate
from waymark.analytics.contracts import FunnelQuery
from waymark.analytics.errors import InvalidQuery

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _line(root: yaml.Node | None, field: str | None) -> int | None:
    """The 1-based line of ``field`` (``steps[1].model``) in the composed YAML, or of the
    deepest part of it that exists."""
    if root is None:
        return None
    node: yaml.Node = root
    for name, index in _PART.findall(field or ""):
        nxt: yaml.Node | None = None
        if name and isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if getattr(k, "value", None) == name), None)
            if nxt is None:
                break
        elif index and isinstance(node, yaml.SequenceNode) and int(index) < len(node.value):
            nxt = node.value[int(index)]
        if nxt is None:
            break
        node = nxt
    return int(node.start_mark.line) + 1


def load_funnel(text: str, *, file: str = "<text>") -> FunnelQuery:
    """A checked funnel definition; raises ``InvalidQuery`` with ``file:line: field: why``."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else "?"
        raise InvalidQuery(f"{file}:{line}: not valid YAML: {exc.problem}", field=None) from None
    if not isinstance(data, dict):
        raise InvalidQuery(f"{file}:1: a funnel definition is a mapping with steps", field=None)
    try:
        query = msgspec.convert(data, FunnelQuery, strict=False)
    except msgspec.ValidationError as exc:
        text_ = str(exc)
        field = text_.rsplit("`$.", 1)[-1].rstrip("`") if "`$." in text_ else None
        where = f"{file}:{_line(root, field)}"
        raise InvalidQuery(f"{where}: {field or 'definition'}: {text_}", field=field) from None
    try:
        validate(query)
    except InvalidQuery as exc:
        raise InvalidQuery(
            f"{file}:{_line(root, exc.field)}: {exc.message}", field=exc.field
        ) from None
    return query
