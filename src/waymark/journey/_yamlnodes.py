"""YAML read as a tree that remembers line numbers, so every validation error can name the
file, the line and the field (PyYAML's node marks)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from waymark.journey.errors import ModelError


@dataclass(frozen=True)
class Node:
    """A YAML value with where it was written. ``value`` is a dict of ``Node``s, a list of
    ``Node``s, or a plain scalar."""

    value: Any
    line: int
    field: str
    file: str

    def fail(self, message: str, *, field: str | None = None) -> ModelError:
        """An error for this node (or for a missing child ``field`` of this mapping)."""
        return ModelError(message, file=self.file, line=self.line, field=field or self.field)

    def child(self, name: str) -> str:
        return f"{self.field}.{name}" if self.field else name


def parse(text: str, *, file: str) -> Node:
    """Parse one YAML document into ``Node``s; syntax errors name the line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise ModelError(
            f"not valid YAML: {exc.problem}", file=file, line=line, field="(document)"
        ) from None
    if root is None:
        raise ModelError("the file is empty", file=file, line=1, field="(document)")
    return _convert(root, "", file, yaml.SafeLoader(""))


def _convert(node: yaml.Node, field: str, file: str, loader: yaml.SafeLoader) -> Node:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)
            if not isinstance(key, str):
                raise ModelError(
                    f"keys must be text, got {key!r}",
                    file=file,
                    line=key_node.start_mark.line + 1,
                    field=field or "(document)",
                )
            name = f"{field}.{key}" if field else key
            if key in out:
                raise ModelError(
                    "given twice", file=file, line=key_node.start_mark.line + 1, field=name
                )
            out[key] = _convert(value_node, name, file, loader)
        return Node(out, line, field, file)
    if isinstance(node, yaml.SequenceNode):
        items = [_convert(item, f"{field}[{i}]", file, loader) for i, item in enumerate(node.value)]
        return Node(items, line, field, file)
    try:
        value = loader.construct_object(node)
    except yaml.constructor.ConstructorError as exc:
        raise ModelError(str(exc.problem), file=file, line=line, field=field) from None
    return Node(value, line, field, file)
