"""Finding a model: a shipped name (``hourglass``) or a path to a company's own file."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Final

from waymark.journey._loader import load_text
from waymark.journey.contracts import JourneyModel
from waymark.journey.errors import ModelNotFound

SHIPPED: Final = ("hourglass", "value-journey", "buy-own-advocate")
"""The models that come with Waymark, in ``waymark/journey/models/<name>.yaml``."""


def load(name_or_path: str | Path) -> JourneyModel:
    """A shipped model by name, or a model file by path."""
    if isinstance(name_or_path, str) and name_or_path in SHIPPED:
        ref = resources.files("waymark.journey").joinpath("models", f"{name_or_path}.yaml")
        return load_text(ref.read_text(encoding="utf-8"), file=f"{name_or_path}.yaml")
    path = Path(name_or_path)
    if not path.is_file():
        raise ModelNotFound(
            f"no journey model {str(name_or_path)!r}: not a shipped model "
            f"({', '.join(SHIPPED)}) and not a file"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelNotFound(f"cannot read journey model {path}: {exc}") from None
    return load_text(text, file=str(path))
