"""Labels tied to stages: the last label in the configured list whose score and stage
thresholds both hold (lists go from the weakest, marketing-qualified, to the strongest)."""

from __future__ import annotations

from collections.abc import Sequence

from waymark.journey.contracts import JourneyModel
from waymark.scoring.config import Label


def label_of(
    labels: Sequence[Label], model: JourneyModel, score: float, stage: str | None
) -> str | None:
    position = model.stage_index(stage) if stage is not None else -1
    found: str | None = None
    for label in labels:
        if score < label.min_score:
            continue
        if label.min_stage is not None and position < model.stage_index(label.min_stage):
            continue
        found = label.name
    return found
