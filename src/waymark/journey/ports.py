"""What the journey feature needs from storage. ``waymark.store.duckdb.journey`` implements it.

Tables are Arrow with the schemas of ``waymark.journey._tables`` (``STATES``, ``TRANSITIONS``,
``EVIDENCE``); times are naive UTC ``timestamp[us]`` (evidence ``ts``: microseconds since the
epoch). Every write is atomic together with its checkpoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

import pyarrow as pa


@runtime_checkable
class JourneyStore(Protocol):
    def checkpoint(self) -> int:
        """The last log seq whose effects are stored (0 when nothing is)."""
        ...

    def save(
        self,
        *,
        profiles: Sequence[str],
        states: pa.Table,
        transitions: pa.Table,
        evidence: pa.Table,
        checkpoint: int,
    ) -> None:
        """Replace everything stored for ``profiles`` (journeys, histories, evidence) by the
        given rows (which belong to those profiles), and set the checkpoint, atomically. A
        profile given without rows is deleted (merged away)."""
        ...

    def replace_all(
        self, *, states: pa.Table, transitions: pa.Table, evidence: pa.Table, checkpoint: int
    ) -> None:
        """Replace everything (a rebuild), atomically."""
        ...

    def evidence(self, profile_ids: Sequence[str]) -> pa.Table:
        """The stored evidence rows of these profiles."""
        ...

    def journeys(self, profile_id: str) -> tuple[pa.Table, pa.Table]:
        """(states, transitions) of one profile."""
        ...

    def states(self) -> pa.Table:
        """Every profile's current journey states (the ``journeys`` states table, all profiles,
        no transitions): one read for walks over every profile."""
        ...

    def current(self, model: str, product: str | None = None) -> pa.Table:
        """Every journey of a model (of one product when given): columns ``stage``,
        ``entered_at``, ``last_evidence_at``, ``purchased_at``."""
        ...

    def stages_as_of(self, model: str, when: datetime) -> pa.Table:
        """Where every journey of a model stood at ``when`` (its last transition at or before
        it): columns ``profile_id``, ``product``, ``stage``."""
        ...

    def products(self, model: str) -> list[str]:
        """The products with at least one journey on the model."""
        ...
