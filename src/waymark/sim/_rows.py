"""The simulated events as columns, before they have identifiers or JSON: who, when, which
template, for which product, and why (their role)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import IntEnum
from typing import Self

import numpy as np
import numpy.typing as npt

from waymark.sim._evidence import Template


class Role(IntEnum):
    NEUTRAL = 0
    """Activity that is no stage evidence."""
    ENTRY = 1
    """The event that moves a person into a stage (a ground-truth transition)."""
    REINFORCE = 2
    """More evidence of the stage the person is in."""
    PURCHASE = 3
    SHIPPED = 4
    REFUND = 5
    SIGNUP = 6
    """The identify call of a sign-up (on the first device)."""
    SIGNED_UP = 7
    LOGIN = 8
    """An identify call when logging in on another device."""


SIGNAL_ROLES = (Role.ENTRY, Role.REINFORCE, Role.PURCHASE, Role.SHIPPED)
"""Events that are stage evidence: they must come from identifiers linked to the person."""


class Registry:
    """Templates by number, so rows can carry them as integers."""

    def __init__(self) -> None:
        self.templates: list[Template] = []
        self._ids: dict[int, int] = {}

    def id(self, template: Template) -> int:
        key = id(template)
        if key not in self._ids:
            self._ids[key] = len(self.templates)
            self.templates.append(template)
        return self._ids[key]

    def ids(self, templates: tuple[Template, ...]) -> npt.NDArray[np.int64]:
        return np.array([self.id(t) for t in templates], dtype=np.int64)


@dataclass
class Rows:
    person: npt.NDArray[np.int64]
    t: npt.NDArray[np.float64]
    template: npt.NDArray[np.int64]
    product: npt.NDArray[np.int64]
    """-1: the event names no product."""
    role: npt.NDArray[np.int8]
    visit: npt.NDArray[np.int64]
    """The visit an ENTRY row starts (-1 otherwise)."""
    slot: npt.NDArray[np.int64]
    """The device slot for identify calls (-1: chosen when routing)."""

    @classmethod
    def make(
        cls,
        person: npt.ArrayLike,
        t: npt.ArrayLike,
        template: npt.ArrayLike,
        product: npt.ArrayLike,
        *,
        role: Role,
        visit: npt.ArrayLike = -1,
        slot: npt.ArrayLike = -1,
    ) -> Self:
        person_a = np.asarray(person, dtype=np.int64)
        n = person_a.size

        def full(value: npt.ArrayLike, dtype: type) -> npt.NDArray[np.generic]:
            return np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy()

        return cls(
            person=person_a,
            t=full(t, np.float64),  # type: ignore[arg-type]
            template=full(template, np.int64),  # type: ignore[arg-type]
            product=full(product, np.int64),  # type: ignore[arg-type]
            role=np.full(n, int(role), dtype=np.int8),
            visit=full(visit, np.int64),  # type: ignore[arg-type]
            slot=full(slot, np.int64),  # type: ignore[arg-type]
        )

    @property
    def size(self) -> int:
        return int(self.person.size)

    def take(self, index: npt.NDArray[np.int64] | npt.NDArray[np.bool_]) -> Rows:
        return Rows(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    @staticmethod
    def concat(parts: list[Rows]) -> Rows:
        return Rows(
            **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Rows)}
        )
