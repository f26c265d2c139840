"""YAML read with the line of every value, so validation errors name file, line and field.

``load`` returns plain Python data (what ``yaml.safe_load`` gives) and a ``Lines`` map from
field paths (``("steps", 2, "send", "subject")``) to the line they were written on.
"""

from __future__ import annotations

from typing import Any

import yaml

from waymark.orchestrate.errors import FlowInvalid, Problem

FieldPath = tuple[str | int, ...]


class Lines:
    """Field path -> line number (1-based); unknown paths fall back to their nearest parent."""

    def __init__(self, lines: dict[FieldPath, int] | None = None) -> None:
        self._lines = lines or {}

    def line(self, path: FieldPath) -> int | None:
        while True:
            if path in self._lines:
                return self._lines[path]
            if not path:
                return None
            path = path[:-1]


def field_name(path: FieldPath) -> str:
    """``("steps", 2, "send")`` -> ``steps[2].send``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(document)"


def load(text: str, *, file: str) -> tuple[Any, Lines]:
    """Parse one YAML document; a syntax error raises ``FlowInvalid`` with its line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise FlowInvalid(
            [Problem("(document)", f"not valid YAML: {exc.problem}", line)], file=file
        ) from None
    if root is None:
        raise FlowInvalid([Problem("(document)", "the file is empty", 1)], file=file)
    lines: dict[FieldPath, int] = {}
    data = _convert(root, (), lines, yaml.SafeLoader(""), file)
    return data, Lines(lines)


def _convert(
    node: yaml.Node,
    path: FieldPath,
    lines: dict[FieldPath, int],
    loader: yaml.SafeLoader,
    file: str,
) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                raise FlowInvalid(
                    [Problem(field_name(path), f"keys must be text, got {key!r}", line)], file=file
                )
            if key in out:
                raise FlowInvalid(
                    [Problem(field_name((*path, key)), "given twice", line)], file=file
                )
            out[key] = _convert(value_node, (*path, key), lines, loader, file)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(item, (*path, i), lines, loader, file) for i, item in enumerate(node.value)
        ]
    try:
        return loader.construct_object(node)
    except yaml.constructor.ConstructorError as exc:
        raise FlowInvalid(
            [Problem(field_name(path), str(exc.problem), lines[path])], file=file
        ) from None
