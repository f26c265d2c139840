"""The journey models a catalog's stages refer to, as decide needs them: ordered stage names."""

from __future__ import annotations

from collections.abc import Mapping

from waymark.journey.api import SHIPPED_MODELS, load_model


def journey_stages(names: tuple[str, ...] = SHIPPED_MODELS) -> Mapping[str, tuple[str, ...]]:
    """Model name -> its stage names in order, for the shipped models (or the named ones).

    Loading parses the model files, so call it once at start-up and pass the result on."""
    return {model.name: model.stage_names for model in map(load_model, names)}
