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
    """Field path -> line number (1-based): the line of its key (``line``), or the line its
    text starts on (``start``: the next line for a ``|`` or ``>`` block); unknown paths fall
    back to their nearest parent."""

    def __init__(
        self, lines: dict[FieldPath, int] | None = None, starts: dict[FieldPath, int] | None = None
    ) -> None:
        self._lines = lines or {}
        self._starts = starts or {}

    @staticmethod
    def _find(table: dict[FieldPath, int], path: FieldPath) -> int | None:
        while True:
            if path in table:
                return table[path]
            if not path:
                return None
            path = path[:-1]

    def line(self, path: FieldPath) -> int | None:
        return self._find(self._lines, path)

    def start(self, path: FieldPath) -> int | None:
        return self._find(self._starts, path) or self.line(path)


def field_name(path: FieldPath) -> str:
    """``("steps", 2, "send")`` -> ``steps[2].send``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(document)"


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[FieldPath, int] = {(): 1}
        self.starts: dict[FieldPath, int] = {}
        self.loader = yaml.SafeLoader("")

    def fail(self, path: FieldPath, message: str, line: int | None) -> FlowInvalid:
        return FlowInvalid([Problem(field_name(path), message, line)], file=self.file)

    def convert(self, node: yaml.Node, path: FieldPath) -> Any:
        line = node.start_mark.line + 1
        self.lines.setdefault(path, line)
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.loader.construct_object(key_node)
                key_line = key_node.start_mark.line + 1
                if not isinstance(key, str):
                    raise self.fail(path, f"keys must be text, got {key!r}", key_line)
                if key in out:
                    raise self.fail((*path, key), "given twice", key_line)
                self.lines[(*path, key)] = key_line
                out[key] = self.convert(value_node, (*path, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
        block = isinstance(node, yaml.ScalarNode) and node.style in ("|", ">")
        self.starts[path] = line + 1 if block else line
        try:
            return self.loader.construct_object(node)
        except yaml.constructor.ConstructorError as exc:
            raise self.fail(path, str(exc.problem), line) from None


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
    reader = _Reader(file)
    data = reader.convert(root, ())
    return data, Lines(reader.lines, reader.starts)
