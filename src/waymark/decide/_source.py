"""Catalog sources: YAML text with the line of every field, so errors can say file:line."""

from __future__ import annotations

import re
from typing import Any

import yaml

from waymark.decide.errors import CatalogInvalid

Path = tuple[str | int, ...]
_PATH_PART = re.compile(r"\.([A-Za-z_][\w-]*)|\[(\d+)\]|\[\.\.\.\]")


class Source:
    """Where a catalog came from, and the line of each field path in it (1-based)."""

    def __init__(self, name: str | None, lines: dict[Path, int] | None = None) -> None:
        self.name = name
        self._lines = lines or {}

    def line(self, path: Path) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        for cut in range(len(path), -1, -1):
            found = self._lines.get(path[:cut])
            if found is not None:
                return found
        return None

    def error(self, path: Path, message: str) -> CatalogInvalid:
        return CatalogInvalid(message, field=dotted(path), file=self.name, line=self.line(path))


def dotted(path: Path) -> str:
    """``("experiences", 3, "value")`` -> ``experiences[3].value``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "<root>"


def parse_msgspec_path(text: str) -> Path:
    """``$.experiences[3].value`` (from a msgspec error) -> ``("experiences", 3, "value")``."""
    parts: list[str | int] = []
    for m in _PATH_PART.finditer(text.removeprefix("$")):
        if m.group(1) is not None:
            parts.append(m.group(1))
        elif m.group(2) is not None:
            parts.append(int(m.group(2)))
    return tuple(parts)


def load_yaml(text: str, name: str | None) -> tuple[Any, Source]:
    """Parse YAML safely; a syntax error becomes ``CatalogInvalid`` with its line."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise CatalogInvalid(
            f"not valid YAML: {exc.problem or exc}", field="<root>", file=name, line=line
        ) from None
    finally:
        loader.dispose()
    lines: dict[Path, int] = {}
    if node is not None:
        _index(node, (), lines)
    return data, Source(name, lines)


def _index(node: yaml.Node, path: Path, lines: dict[Path, int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                child = (*path, str(key.value))
                lines[child] = key.start_mark.line + 1
                _index(value, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, (*path, i), lines)
