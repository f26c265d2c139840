"""YAML with line numbers: the data, plus where each key path was written, so that every error
in a preset names the file, the line and the field."""

from __future__ import annotations

import re
from typing import Any, Final

import yaml

from waymark.sim.errors import PresetError

Path = tuple[str | int, ...]

_STEP: Final = re.compile(
    r"\.([A-Za-z_][\w]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\[\"([^\"]*)\"\]|\[(\.\.\.)\]"
)
ANY_KEY: Final = "..."
"""msgspec does not print mapping keys in its error paths; ``resolve_keys`` finds them."""
_JSON_TYPES: Final = {
    "str": (str,),
    "int": (int,),
    "float": (float,),
    "bool": (bool,),
    "null": (type(None),),
    "array": (list,),
    "object": (dict,),
}


class Located:
    """A parsed YAML document and the line of every key path in it."""

    def __init__(self, data: Any, lines: dict[Path, int], file: str) -> None:
        self.data = data
        self.file = file
        self._lines = lines

    def line(self, path: Path) -> int | None:
        """The line of ``path``, or of its nearest written ancestor."""
        while path:
            if path in self._lines:
                return self._lines[path]
            path = path[:-1]
        return self._lines.get((), None)

    def fail(self, path: Path, message: str) -> PresetError:
        return PresetError(message, file=self.file, line=self.line(path), field=field_name(path))


def field_name(path: Path) -> str:
    """``("journey", "stages", "research", "next")`` -> ``journey.stages.research.next``."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif re.fullmatch(r"[A-Za-z_][\w-]*", step):
            out += f".{step}" if out else step
        else:
            out += f"[{step!r}]"
    return out or "(document)"


def parse_msgspec_path(text: str) -> Path:
    """The key path of a msgspec error location such as ``$.products[0].price``."""
    steps: list[str | int] = []
    for match in _STEP.finditer(text.removeprefix("$")):
        name, index, quoted, dquoted, anykey = match.groups()
        if name is not None:
            steps.append(name)
        elif index is not None:
            steps.append(int(index))
        elif anykey is not None:
            steps.append(ANY_KEY)
        else:
            steps.append(quoted if quoted is not None else dquoted)
    return tuple(steps)


def resolve_keys(data: Any, path: Path, *, got: str | None, unknown: str | None) -> Path:
    """Fill in the mapping keys msgspec left out (``[...]``): the first key under which the
    rest of the path exists and holds what the error complains about."""
    if ANY_KEY not in path:
        return path
    at = path.index(ANY_KEY)
    node = _walk_data(data, path[:at])
    if not isinstance(node, dict):
        return path[:at]
    for key in node:
        candidate = resolve_keys(data, (*path[:at], key, *path[at + 1 :]), got=got, unknown=unknown)
        if ANY_KEY in candidate:
            continue
        value = _walk_data(data, candidate)
        if value is _NOTHING:
            continue
        if unknown is not None and not (isinstance(value, dict) and unknown in value):
            continue
        if got is not None and not isinstance(value, _JSON_TYPES.get(got, (object,))):
            continue
        return candidate
    return path[:at]


_NOTHING: Final = object()


def _walk_data(data: Any, path: Path) -> Any:
    for step in path:
        found = (isinstance(step, int) and isinstance(data, list) and step < len(data)) or (
            isinstance(step, str) and isinstance(data, dict) and step in data
        )
        if not found:
            return _NOTHING
        data = data[step]
    return data


def load(text: str, *, file: str) -> Located:
    """Parse one YAML document; syntax errors name the line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise PresetError(
            f"not valid YAML: {exc.problem}",
            file=file,
            line=mark.line + 1 if mark is not None else None,
            field="(document)",
        ) from None
    if root is None:
        raise PresetError("the file is empty", file=file, line=1, field="(document)")
    lines: dict[Path, int] = {}
    _walk(root, (), lines)
    return Located(data, lines, file)


def _walk(node: yaml.Node, path: Path, lines: dict[Path, int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            child = (*path, key)
            lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), lines)
