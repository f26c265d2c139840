"""Journey contracts: the frozen model a YAML file becomes, and the state and stage-change
results the engine gives out. Nothing here does I/O.

A model is built only by ``waymark.journey.api.load_model`` (which validates it); other
packages read these structs and never construct models themselves.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final, Literal

import msgspec

Phase = Literal["pre_purchase", "post_purchase"]
PHASES: Final[tuple[Phase, ...]] = ("pre_purchase", "post_purchase")

Op = Literal["equals", "not_equals", "in", "not_in", "exists", "gt", "gte", "lt", "lte"]
OPS: Final[tuple[Op, ...]] = (
    "equals",
    "not_equals",
    "in",
    "not_in",
    "exists",
    "gt",
    "gte",
    "lt",
    "lte",
)

Scalar = str | int | float | bool
ConditionValue = Scalar | tuple[Scalar, ...] | None

BRAND: Final = "*"
"""The product key of brand-level evidence (an event that names no product), when the model's
``product.product_less`` is ``brand``."""


class Condition(msgspec.Struct, frozen=True, kw_only=True):
    """One test on one field of an event.

    ``path`` is ``("properties", "plan")`` for ``properties.plan`` or ``("channel",)`` for a
    top-level column. Comparisons are typed: a string value matches only a JSON string, a number
    only a JSON number, a boolean only a JSON boolean (so ``"5"`` never equals ``5``).
    """

    path: tuple[str, ...]
    op: Op
    value: ConditionValue = None

    @property
    def field(self) -> str:
        return ".".join(self.path)


class EvidenceRule(msgspec.Struct, frozen=True, kw_only=True):
    """Which events show that a customer is at a stage.

    ``type`` is the call type (``track``, ``page``, ``screen``, ...); ``events`` are track event
    names (any of them); ``names`` page/screen names; every condition in ``where`` must hold.
    """

    type: str | None = None
    events: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    where: tuple[Condition, ...] = ()
    level: str | None = None
    """For a stage with levels (value journey's ``aware``): the level this evidence shows."""


class Level(msgspec.Struct, frozen=True, kw_only=True):
    """A graded sub-state of a stage (the four awareness levels of seed 004's ``aware``)."""

    name: str
    description: str = ""


class Stage(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    title: str
    phase: Phase
    question: str
    """The question the customer asks at this stage (seed 003 / seed 004)."""
    description: str = ""
    evidence: tuple[EvidenceRule, ...] = ()
    levels: tuple[Level, ...] = ()
    stall_after: timedelta | None = None
    """No progress for this long at this stage means ``stalled`` (None: never stalls)."""
    lapse_after: timedelta | None = None
    """Post-purchase only: no evidence for this long means ``lapsed`` (customers who go away)."""

    def level_index(self, name: str | None) -> int:
        """Position of a level in ``levels``; -1 for no level."""
        if name is None:
            return -1
        for i, level in enumerate(self.levels):
            if level.name == name:
                return i
        return -1


class ContentEvidence(msgspec.Struct, frozen=True, kw_only=True):
    """Content tagged with a stage is evidence of that stage.

    An event matching ``rules`` (e.g. ``Content Viewed``, any page) whose ``stage_property``
    names a stage, or whose ``id_property`` is in ``catalog``, is evidence of that stage, with
    the level in ``level_property`` (or the catalog's) when the stage has levels.
    """

    rules: tuple[EvidenceRule, ...] = ()
    stage_property: str = "content_stage"
    level_property: str = "content_level"
    id_property: str = "content_id"
    catalog: tuple[tuple[str, str, str | None], ...] = ()
    """(content_id, stage, level or None), from the model file or a content catalog."""


class ProductConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Where an event names its product(s).

    ``fields`` are tried in order and the first with a value wins; ``properties.products[].x``
    reads every item of an array (an order of several products is evidence for each).
    """

    fields: tuple[tuple[str, ...], ...] = (("properties", "product_id"),)
    product_less: Literal["brand", "ignore"] = "brand"
    """An event without a product: evidence of the brand-level journey (product ``*``) or none."""


class MovingBack(msgspec.Struct, frozen=True, kw_only=True):
    """When evidence of an earlier stage moves a customer back (seed 003: "move backwards").

    Evidence of an earlier stage moves the customer back only once ``after`` has passed since
    the last evidence of the current stage or a later one, so one stray blog visit does not undo
    an evaluation. Once the product is purchased, pre-purchase evidence never moves the customer
    back out of the post-purchase phase.
    """

    after: timedelta = timedelta(days=3)


class JourneyModel(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    title: str
    description: str = ""
    source: str = ""
    """The file the model was loaded from (for error messages and docs)."""
    stages: tuple[Stage, ...]
    purchase: tuple[EvidenceRule, ...]
    """Events that are a purchase of the product they name: post-purchase stages need one."""
    product: ProductConfig = ProductConfig()
    content: ContentEvidence = ContentEvidence()
    moving_back: MovingBack = MovingBack()

    def stage_index(self, name: str) -> int:
        """Position of a stage; raises ``KeyError`` for an unknown name."""
        for i, stage in enumerate(self.stages):
            if stage.name == name:
                return i
        raise KeyError(name)

    @property
    def stage_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.stages)


# -- results -------------------------------------------------------------------------------------


class Status(StrEnum):
    ACTIVE = "active"
    STALLED = "stalled"
    LAPSED = "lapsed"


class Transition(msgspec.Struct, frozen=True, kw_only=True):
    """One stage change: ``from_stage`` is None when the customer entered the journey."""

    from_stage: str | None
    to_stage: str
    at: datetime
    seq: int
    """The log seq of the event that caused it."""
    message_id: str


class JourneyState(msgspec.Struct, frozen=True, kw_only=True):
    """Where one profile stands on one model for one product."""

    model: str
    profile_id: str
    product: str
    stage: str
    furthest: str
    entered_at: datetime
    """When the current stage was entered (the time of the event that moved the customer)."""
    last_evidence_at: datetime
    purchased_at: datetime | None = None
    level: str | None = None
    history: tuple[Transition, ...] = ()


class JourneyView(msgspec.Struct, frozen=True, kw_only=True):
    """A state with its status computed as of a time (what the API answers)."""

    model: str
    product: str
    stage: str
    phase: Phase
    furthest: str
    since: datetime
    status: Status
    level: str | None = None
    purchased_at: datetime | None = None
    history: tuple[Transition, ...] = ()


class StageChanged(msgspec.Struct, frozen=True, kw_only=True):
    """Emitted when a profile's stage for a product changes; decide/orchestrate subscribe.

    ``from_stage`` is None on entering a journey. ``direction`` is ``forward``, ``back`` or
    ``enter``. When a late event or an identity merge rewrites a history, the change is from the
    stage the profile was in before to the stage it is in now.
    """

    model: str
    profile_id: str
    product: str
    from_stage: str | None
    to_stage: str
    phase: Phase
    direction: Literal["enter", "forward", "back"]
    furthest: str
    at: datetime
    seq: int
    message_id: str


class StageCount(msgspec.Struct, frozen=True, kw_only=True):
    stage: str
    status: Status
    count: int


class StageCounts(msgspec.Struct, frozen=True, kw_only=True):
    """Counts per stage and status for one model (and optionally one product)."""

    model: str
    product: str | None
    as_of: datetime
    counts: tuple[StageCount, ...]


class StageAsOf(msgspec.Struct, frozen=True, kw_only=True):
    profile_id: str
    product: str
    stage: str
