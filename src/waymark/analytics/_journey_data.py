"""The journey engine's output as reports read it."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from waymark.analytics._journey_tables import journey_tables
from waymark.analytics.errors import InvalidQuery
from waymark.journey.contracts import JourneyModel, JourneyState


@dataclass(frozen=True)
class JourneyData:
    """The journey engine's output as reports read it: its models, every stage change
    (``schemas.TRANSITION_SCHEMA``) and where every profile stands (``schemas.STATE_SCHEMA``).
    """

    models: Sequence[JourneyModel]
    transitions: pa.Table
    states: pa.Table
    derived: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    """Encodings reports derive from the tables, kept with them (the tables never change)."""
    lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    @classmethod
    def from_states(
        cls, models: Sequence[JourneyModel], states: Iterable[JourneyState]
    ) -> JourneyData:
        """From the engine's ``JourneyState``s (their histories are the transitions)."""
        transitions, table = journey_tables(states)
        return cls(models=tuple(models), transitions=transitions, states=table)

    def model(self, name: str | None) -> JourneyModel:
        """The model called ``name`` (the first one when None); ``InvalidQuery`` otherwise."""
        if not self.models:
            raise InvalidQuery("no journey model is configured", field="model")
        if name is None:
            return self.models[0]
        for model in self.models:
            if model.name == name:
                return model
        known = ", ".join(m.name for m in self.models)
        raise InvalidQuery(f"no journey model {name!r} (known: {known})", field="model")
