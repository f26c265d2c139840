"""YAML read as a tree that remembers line numbers, so every validation error can name the
file, the line and the field (PyYAML's node marks).

Other features' configuration files (accounts, ...) parse through here too, with their own
``ConfigFileError`` subclass, so the helpers below are written once (exported by
``waymark.journey.api``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final, TypeVar

import yaml

from waymark.core.errors import ConfigFileError
from waymark.journey.errors import ModelError

T = TypeVar("T")

_NAME: Final = re.compile(r"^[a-z][a-z0-9_-]*$")


@dataclass(frozen=True)
class Node:
    """A YAML value with where it was written. ``value`` is a dict of ``Node``s, a list of
    ``Node``s, or a plain scalar."""

    value: Any
    line: int
    field: str
    file: str
    error: type[ConfigFileError] = ModelError
    """The error raised for this file (each feature names its own code)."""
    key_line: int | None = None
    """The line of the key this value is under (a block value starts on a later line)."""

    def fail(self, message: str, *, field: str | None = None) -> ConfigFileError:
        """An error for this node (or for a missing child ``field`` of this mapping)."""
        return self.error(message, file=self.file, line=self.line, field=field or self.field)

    def child(self, name: str) -> str:
        return f"{self.field}.{name}" if self.field else name


def read(path: Path, *, error: type[ConfigFileError] = ModelError) -> str:
    """A configuration file's text, for ``parse``; a file that cannot be read (missing, a
    directory, not UTF-8) is ``error`` naming the file, as ``parse`` names the line."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read: {exc}", file=str(path), line=None, field="(file)") from None


def parse(text: str, *, file: str, error: type[ConfigFileError] = ModelError) -> Node:
    """Parse one YAML document into ``Node``s; syntax errors name the line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise error(
            f"not valid YAML: {exc.problem}", file=file, line=line, field="(document)"
        ) from None
    if root is None:
        raise error("the file is empty", file=file, line=1, field="(document)")
    return _convert(root, "", file, yaml.SafeLoader(""), error)


def _convert(
    node: yaml.Node,
    field: str,
    file: str,
    loader: yaml.SafeLoader,
    error: type[ConfigFileError],
) -> Node:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)
            if not isinstance(key, str):
                raise error(
                    f"keys must be text, got {key!r}",
                    file=file,
                    line=key_node.start_mark.line + 1,
                    field=field or "(document)",
                )
            name = f"{field}.{key}" if field else key
            if key in out:
                raise error("given twice", file=file, line=key_node.start_mark.line + 1, field=name)
            value = _convert(value_node, name, file, loader, error)
            out[key] = replace(value, key_line=key_node.start_mark.line + 1)
        return Node(out, line, field, file, error)
    if isinstance(node, yaml.SequenceNode):
        items = [
            _convert(item, f"{field}[{i}]", file, loader, error)
            for i, item in enumerate(node.value)
        ]
        return Node(items, line, field, file, error)
    try:
        value = loader.construct_object(node)
    except yaml.constructor.ConstructorError as exc:
        raise error(str(exc.problem), file=file, line=line, field=field) from None
    return Node(value, line, field, file, error)


# -- validating helpers (each error names the node's file, line and field) ----------------------


def mapping(node: Node, allowed: tuple[str, ...]) -> dict[str, Node]:
    """The node's keys, refusing unknown ones (a typo must not silently drop a rule)."""
    if not isinstance(node.value, dict):
        raise node.fail(f"expected a mapping with keys {', '.join(allowed)}")
    unknown = [k for k in node.value if k not in allowed]
    if unknown:
        key = unknown[0]
        child: Node = node.value[key]
        # the key's line: a block value (a mapping or list under the key) starts below it
        raise child.error(
            f"unknown key {key!r}; expected one of {', '.join(allowed)}",
            file=child.file,
            line=child.key_line or child.line,
            field=child.field,
        )
    return dict(node.value)


def required(parent: Node, items: dict[str, Node], key: str) -> Node:
    if key not in items:
        raise parent.fail("is required", field=parent.child(key))
    return items[key]


def text(node: Node) -> str:
    if not isinstance(node.value, str) or not node.value.strip():
        raise node.fail(f"expected non-empty text, got {node.value!r}")
    return node.value.strip()


def name(node: Node) -> str:
    value = text(node)
    if not _NAME.match(value):
        raise node.fail(f"{value!r} must be lower-case letters, digits, '-' or '_'")
    return value


def items(node: Node) -> list[Node]:
    if not isinstance(node.value, list):
        raise node.fail("expected a list")
    return list(node.value)


def texts(node: Node) -> tuple[str, ...]:
    """One text or a list of texts."""
    if isinstance(node.value, list):
        if not node.value:
            raise node.fail("expected at least one name")
        return tuple(text(item) for item in node.value)
    return (text(node),)


def optional(entries: dict[str, Node], key: str, convert: Callable[[Node], T], default: T) -> T:
    return convert(entries[key]) if key in entries else default
