"""Lead-scoring contracts: scores with their explanations, and label changes. Frozen, no I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

Subject = Literal["person", "account"]


class Contribution(msgspec.Struct, frozen=True, kw_only=True):
    """One reason a score is what it is. ``points`` are after decay at the read time."""

    kind: Literal["trait", "event"]
    rule: str
    evidence: str
    """The event label (``Demo Requested``) or the trait and its value (``title=Head of IT``)."""
    points: float
    stage: str | None = None
    at: datetime | None = None
    seq: int | None = None
    member: str | None = None
    """For an account's score: the member profile the evidence came from."""


class Score(msgspec.Struct, frozen=True, kw_only=True):
    model: str
    product: str
    score: float
    fit: float
    engagement: float
    stage: str | None
    """The current stage (for an account: its members' furthest current stage)."""
    label: str | None
    contributions: tuple[Contribution, ...] = ()


class ScoreList(msgspec.Struct, frozen=True, kw_only=True):
    subject: Subject
    id: str
    as_of: datetime
    scores: tuple[Score, ...] = ()


class ScoreLabelChanged(msgspec.Struct, frozen=True, kw_only=True):
    """A subject's label for one product changed (``None``: no label)."""

    subject: Subject
    id: str
    model: str
    product: str
    old: str | None
    new: str | None
    at: datetime
    profile_id: str
    """The person the change is about (for an account: its first member by id), whose flow
    run a trigger starts."""
    occurrence: str
    """Unique per crossing and the same when it is replayed: an idempotency key."""
