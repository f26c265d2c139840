"""Stage names of the seed journey models, for loading a catalog without the journey feature.

The runtime passes the loaded journey models' stage names instead (``JourneyModel.name`` ->
``stage_names``); these are only the fallback for tests, benchmarks and standalone use.
TODO(decide): drop once ``waymark.journey.api`` exposes the built-in models.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

SEED_MODELS: Final[Mapping[str, tuple[str, ...]]] = {
    "hourglass": (
        "engagement",
        "education",
        "research",
        "evaluation",
        "justification",
        "purchase",
        "adoption",
        "retention",
        "expansion",
        "advocacy",
    ),
    "value_journey": (
        "aware",
        "engage",
        "subscribe",
        "convert",
        "excite",
        "ascend",
        "advocate",
        "promote",
    ),
    "buy_own_advocate": ("buy", "own", "advocate"),
}
