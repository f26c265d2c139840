"""Journey facade: models as configuration, and where each customer stands on them.

Other packages import only this module and ``waymark.journey.contracts``.
"""

from __future__ import annotations

from pathlib import Path

from waymark.journey._engine import StreamingEngine as JourneyEngine
from waymark.journey._loader import load_text
from waymark.journey._models import SHIPPED, load
from waymark.journey._rebuild import rebuild
from waymark.journey.contracts import JourneyModel

__all__ = [
    "SHIPPED_MODELS",
    "JourneyEngine",
    "load_model",
    "load_model_text",
    "rebuild",
]

SHIPPED_MODELS = SHIPPED


def load_model(name_or_path: str | Path) -> JourneyModel:
    """A validated, frozen model: a shipped one by name (``hourglass``, ``value-journey``,
    ``buy-own-advocate``) or a company's own YAML file by path.

    Raises ``ModelError`` (``journey.model_invalid``, naming file, line and field) for a bad
    model and ``ModelNotFound`` when there is no such model.
    """
    return load(name_or_path)


def load_model_text(text: str, *, file: str = "<text>") -> JourneyModel:
    """A model from YAML text (``file`` names it in error messages)."""
    return load_text(text, file=file)
