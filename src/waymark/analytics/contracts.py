"""Analytics contracts: report definitions in, plain results out. Nothing here does I/O.

A funnel is defined the way ``POST /api/v1/analytics/funnel`` and ``waymark report funnel``
take it; the field names are the public API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal

import msgspec

Scalar = str | int | float | bool
WhereValue = Scalar | list[Scalar]
"""A value an event field must equal, or a list of values it must equal one of. Typed: the
string ``"5"`` never matches the number ``5``."""

FunnelMode = Literal["ordered", "strict_order", "strict_deduplication", "any_order"]
FUNNEL_MODES: Final[tuple[FunnelMode, ...]] = (
    "ordered",
    "strict_order",
    "strict_deduplication",
    "any_order",
)
MAX_STEPS: Final = 32
"""As ``windowFunnel``."""
NONE_LABEL: Final = "(none)"
"""The breakdown value of rows that have none."""


class FunnelStep(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One step: an event (``event`` and/or ``type``, with ``where`` conditions) or the entry
    into a journey stage (``stage`` and ``model``; ``where`` may name the ``product``)."""

    event: str | None = None
    """A track event name, e.g. ``Product Viewed``."""
    type: str | None = None
    """A call type: ``track``, ``page``, ``screen``, ..."""
    stage: str | None = None
    model: str | None = None
    where: dict[str, WhereValue] = {}
    """Field conditions, all of which must hold. Keys: a property name (``product_id``), a
    dotted path into ``properties``, ``campaign``, ``context`` or ``traits``
    (``campaign.source``), or an event column (``channel``, ``name``, ``category``,
    ``source``). For stage steps: ``product``."""
    name: str | None = None
    """The step's label in results (default: derived from the definition)."""

    @property
    def is_stage(self) -> bool:
        return self.stage is not None

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        if self.stage is not None:
            base = f"{self.model}: {self.stage}" if self.model else self.stage
        else:
            base = self.event or self.type or "any event"
        if self.where:
            conds = ", ".join(f"{k}={v}" for k, v in sorted(self.where.items()))
            base = f"{base} ({conds})"
        return base


class FunnelExclusion(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Events that must not happen between two steps of a conversion.

    A conversion may not go from step ``after`` to step ``before`` (1-based; default: the
    whole funnel) across an exclusion event that happened strictly between the two steps'
    times. The profile still counts for the steps it reached before.
    """

    event: str | None = None
    type: str | None = None
    where: dict[str, WhereValue] = {}
    after: int = 1
    before: int | None = None


class FunnelQuery(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A funnel definition: the body of ``POST /api/v1/analytics/funnel``."""

    steps: tuple[FunnelStep, ...]
    window_seconds: int = 7 * 86_400
    """The whole conversion, first step to last, must fit in this many seconds."""
    mode: FunnelMode = "ordered"
    """``ordered``, ``strict_order``, ``strict_deduplication`` (``windowFunnel`` and its
    modes) or ``any_order`` (the k-th count is profiles doing any k of the steps)."""
    breakdown: str | None = None
    """``product``, ``channel``, ``campaign``, ``first_touch_source``,
    ``first_touch_channel``, or a dotted path (``properties.plan``, ``campaign.medium``)."""
    from_: datetime | None = msgspec.field(default=None, name="from")
    """Only events at or after this time."""
    to: datetime | None = None
    """Only events before this time."""
    exclusions: tuple[FunnelExclusion, ...] = ()


class FunnelStepResult(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    count: int
    """Profiles that reached this step."""
    conversion: float
    """Share of the first step's profiles that reached this step."""
    conversion_from_previous: float
    median_seconds_from_previous: float | None
    """Median time from the previous step to this one in the first conversion that reached
    this step (None for the first step, for ``any_order`` and when nobody reached it)."""


class FunnelResult(msgspec.Struct, frozen=True, kw_only=True):
    steps: list[FunnelStepResult]
    breakdown: dict[str, list[int]] = {}
    """Per breakdown value, the count at each step."""
    mode: FunnelMode = "ordered"
    window_seconds: int = 0
