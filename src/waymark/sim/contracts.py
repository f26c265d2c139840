"""Simulator contracts: the ground truth it writes, the derived state a check compares with it,
and the check's result. Frozen ``msgspec`` structs; nothing here does I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

import msgspec
import numpy as np
import numpy.typing as npt

IdentifierKind = Literal["user_id", "anonymous_id", "email", "phone", "facebook_id"]
Note = Literal["", "shared", "junk"]


class IdentifierTruth(msgspec.Struct, frozen=True, kw_only=True):
    """The true person behind one identifier, as it appears in the events (emails lower-case,
    phones E.164).

    ``note`` is ``shared`` for an identifier two people use (a family email, a borrowed
    browser: ``person`` is its owner) and ``junk`` for values that belong to nobody (``"null"``,
    a placeholder email; ``person`` is None). ``linkable`` says whether the events give a
    correct identity graph the evidence to link it to the person's other identifiers.
    """

    kind: IdentifierKind
    value: str
    person: str | None
    linkable: bool
    note: Note = ""


class PersonTruth(msgspec.Struct, frozen=True, kw_only=True):
    person: str
    home_kind: IdentifierKind
    """The identifier whose profile stands for the person (userId once signed up, else the
    first browser's anonymousId)."""
    home_value: str
    arrived_at: datetime
    signed_up_at: datetime | None = None
    referred_by: str | None = None


class StageTransition(msgspec.Struct, frozen=True, kw_only=True):
    """A true stage change, caused by the event ``message_id`` at ``at``."""

    person: str
    product: str
    from_stage: str | None
    to_stage: str
    at: datetime
    message_id: str


class GroundTruth(msgspec.Struct, frozen=True, kw_only=True):
    model: str
    stages: tuple[str, ...]
    start: date
    """Day 0 of the simulation (UTC)."""
    days: int
    products: tuple[str, ...]
    people: tuple[PersonTruth, ...]
    identifiers: tuple[IdentifierTruth, ...]
    transitions: tuple[StageTransition, ...]


@dataclass(frozen=True)
class StageTable:
    """Derived stages per (profile, product) per day: ``stages[k, d]`` is the position in
    ``names`` of the stage of ``keys[k]`` at the end of day ``d`` (-1: not on the journey).

    A dataclass around a NumPy matrix rather than a struct of tuples: 100k customers over 90
    days are tens of millions of cells.
    """

    names: tuple[str, ...]
    keys: tuple[tuple[str, str], ...]
    """(profile id, product id)"""
    stages: npt.NDArray[np.int16]


class CheckReport(msgspec.Struct, frozen=True, kw_only=True):
    """How derived state compares with the ground truth."""

    pairs: int
    """(person, product) journeys in the ground truth."""
    stage_agreement_end: float
    """Share of journeys whose derived stage equals the true one at the end of the last day."""
    stage_agreement_min: float
    """The lowest daily agreement, over the days on which some journey had started."""
    stage_agreement_by_day: tuple[float, ...]
    people: int
    false_merges: int
    """Pairs of different people whose unambiguous identifiers ended up in one profile
    (a profile holding k people counts k - 1)."""
    profiles_with_false_merges: int
    identifiers: int
    """Unambiguous identifiers of people (neither shared nor junk)."""
    identifiers_linked: float
    """Share of them whose profile is their person's profile."""
    linkable_identifiers: int
    linkable_linked: float
    """The same share over the identifiers the events make linkable."""
    unlinkable_kept_apart: float
    """Share of unlinkable identifiers that were (rightly) not linked to the person."""
    examples: tuple[str, ...] = ()
    """A few false merges and disagreements, to start debugging from."""

    def meets(self, *, end: float = 0.99, daily: float = 0.97) -> bool:
        """The issue's acceptance: stage agreement at the end and every day, no false merges."""
        return (
            self.stage_agreement_end >= end
            and self.stage_agreement_min >= daily
            and self.false_merges == 0
        )
