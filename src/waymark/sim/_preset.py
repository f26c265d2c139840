"""Finding and reading a preset: a shipped name (``learning-kits``) or a path to a YAML file."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Final

import msgspec

from waymark.core.errors import WaymarkError
from waymark.identity.api import IdentityConfig
from waymark.journey.api import load_model
from waymark.journey.contracts import JourneyModel
from waymark.sim import _yamllines
from waymark.sim._plan import Plan, build
from waymark.sim.config import SimConfig
from waymark.sim.errors import PresetError, PresetNotFound

SHIPPED: Final = ("learning-kits",)
_AT: Final = re.compile(r" - at `(\$[^`]*)`$")


def read_text(name_or_path: str | Path) -> tuple[str, str]:
    """(text, file name for messages) of a shipped preset or a preset file."""
    if isinstance(name_or_path, str) and name_or_path in SHIPPED:
        ref = resources.files("waymark.sim").joinpath("presets", f"{name_or_path}.yaml")
        return ref.read_text(encoding="utf-8"), f"{name_or_path}.yaml"
    path = Path(name_or_path)
    if not path.is_file():
        raise PresetNotFound(
            f"no simulator preset {str(name_or_path)!r}: not a shipped preset "
            f"({', '.join(SHIPPED)}) and not a file"
        )
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise PresetNotFound(f"cannot read simulator preset {path}: {exc}") from None


def parse(text: str, *, file: str) -> tuple[SimConfig, _yamllines.Located]:
    located = _yamllines.load(text, file=file)
    if not isinstance(located.data, dict):
        raise located.fail((), "a preset is a mapping (name, products, journey, ...)")
    try:
        config = msgspec.convert(located.data, SimConfig, strict=True)
    except msgspec.ValidationError as exc:
        message = str(exc)
        match = _AT.search(message)
        path = _yamllines.parse_msgspec_path(match.group(1)) if match else ()
        text_only = _AT.sub("", message)
        unknown = re.match(r"Object contains unknown field `([^`]*)`", text_only)
        got = re.search(r"got `(\w+)`", text_only)
        path = _yamllines.resolve_keys(
            located.data,
            path,
            got=got.group(1) if got else None,
            unknown=unknown.group(1) if unknown else None,
        )
        if unknown:
            path = (*path, unknown.group(1))
            text_only = "unknown key"
        raise located.fail(path, text_only) from None
    return config, located


def load(
    name_or_path: str | Path, *, model: str | Path | None = None
) -> tuple[SimConfig, Plan, IdentityConfig]:
    """A checked preset, its plan and its identity settings. ``model`` overrides the preset's
    journey model."""
    text, file = read_text(name_or_path)
    config, located = parse(text, file=file)
    if model is not None:
        config = msgspec.structs.replace(config, model=str(model))
    return config, plan_for(config, located), identity_for(config, located)


def identity_for(config: SimConfig, located: _yamllines.Located | None = None) -> IdentityConfig:
    """The preset's ``identity:`` section as Waymark's identity settings."""
    try:
        return IdentityConfig.from_mapping(config.identity)
    except WaymarkError as exc:
        field = str(exc.details.get("field") or getattr(exc, "field", "") or "identity")
        path: tuple[str | int, ...] = tuple(field.split("."))
        message = str(exc).split(": ", 1)[-1]
        if located is not None:
            raise located.fail(path, message) from None
        raise PresetError(message, file="<config>", line=None, field=field) from None


def plan_for(config: SimConfig, located: _yamllines.Located | None = None) -> Plan:
    """Check ``config`` against its journey model; errors name the preset's line and field."""

    def fail(path: tuple[str | int, ...], message: str) -> PresetError:
        if located is not None:
            return located.fail(path, message)
        return PresetError(message, file="<config>", line=None, field=_yamllines.field_name(path))

    try:
        journey_model: JourneyModel = load_model(config.model)
    except WaymarkError as exc:
        raise fail(("model",), f"cannot load journey model {config.model!r}: {exc}") from None
    return build(config, journey_model, fail)
