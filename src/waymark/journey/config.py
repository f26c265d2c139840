"""Which journey models run: ``journeys.yaml`` in the data directory, or the shipped three.

    models: [hourglass, value-journey, my-models/onboarding.yaml]

Each entry is a shipped model's name or a path (relative to the config file) to a model file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import msgspec
import yaml

from waymark.journey._models import SHIPPED, load
from waymark.journey._yamlnodes import read
from waymark.journey.contracts import JourneyModel
from waymark.journey.errors import ModelError

CONFIG_FILENAME: Final = "journeys.yaml"


class JourneyConfig(msgspec.Struct, frozen=True, kw_only=True):
    models: tuple[str, ...] = SHIPPED
    """Shipped model names or model file paths, in the order they are reported."""
    base: Path = Path()
    """Where relative model paths are resolved from."""

    def load_models(self) -> tuple[JourneyModel, ...]:
        """Load and validate every model; names must be unique."""
        out: list[JourneyModel] = []
        for entry in self.models:
            model = load(entry if entry in SHIPPED else self.base / entry)
            if any(m.name == model.name for m in out):
                raise ModelError(
                    f"model {model.name!r} is listed twice",
                    file=str(self.base / CONFIG_FILENAME),
                    line=None,
                    field="models",
                )
            out.append(model)
        return tuple(out)


def load_journey_config(path: Path) -> JourneyConfig:
    """Read ``journeys.yaml``; errors name the file, the line and the field."""
    text = read(path, error=ModelError)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
        raise ModelError(
            f"not valid YAML: {exc.problem}", file=str(path), line=line, field="(document)"
        ) from None
    if node is None:
        return JourneyConfig(base=path.parent)
    if not isinstance(node, yaml.MappingNode):
        raise ModelError("expected a mapping", file=str(path), line=1, field="(document)")
    models: list[str] = []
    for key, value in node.value:
        if key.value != "models":
            raise ModelError(
                f"unknown key {key.value!r}; expected models",
                file=str(path),
                line=key.start_mark.line + 1,
                field=str(key.value),
            )
        if not isinstance(value, yaml.SequenceNode) or not value.value:
            raise ModelError(
                "expected a list of model names or files",
                file=str(path),
                line=value.start_mark.line + 1,
                field="models",
            )
        for i, item in enumerate(value.value):
            if not isinstance(item, yaml.ScalarNode) or not str(item.value).strip():
                raise ModelError(
                    "expected a model name or a file path",
                    file=str(path),
                    line=item.start_mark.line + 1,
                    field=f"models[{i}]",
                )
            models.append(str(item.value).strip())
    return JourneyConfig(models=tuple(models) or SHIPPED, base=path.parent)


def config_for(data_dir: Path) -> JourneyConfig:
    """``journeys.yaml`` in the data directory when there is one, else the shipped models."""
    path = data_dir / CONFIG_FILENAME
    return load_journey_config(path) if path.exists() else JourneyConfig(base=data_dir)
