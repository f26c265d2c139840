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
    """``product``, ``account``, ``channel``, ``campaign``, ``first_touch_source``,
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


# -- journey reports -----------------------------------------------------------------------------

Status = Literal["active", "stalled", "lapsed"]
MoveKind = Literal["enter", "forward", "skip", "back"]
ENTRY: Final = "(entry)"
"""The ``from`` of a move that entered the journey."""


class StageReport(msgspec.Struct, frozen=True, kw_only=True):
    """One stage of one product's journey."""

    stage: str
    title: str
    phase: str
    customers: int
    """Profiles at this stage now."""
    active: int
    stalled: int
    """At this stage for longer than its ``stall_after`` without moving on."""
    lapsed: int
    """Post-purchase, without evidence for longer than its ``lapse_after`` (gone away)."""
    reached: int
    """Profiles whose furthest stage is this one or later (skipping counts as passing)."""
    entered: int
    """Profiles that were ever placed at this stage."""
    conversion_to_next: float | None
    """``reached`` of the next stage over ``reached`` of this one."""
    moved_on: float | None
    """Share of those who entered this stage who later moved to a later stage."""
    dropped: int
    """Profiles whose furthest stage is this one and who are now stalled or lapsed."""
    median_seconds: float | None
    """Median time in this stage over completed stays (entry to the next move)."""
    p90_seconds: float | None


GoalMetric = Literal["conversion", "median_time", "p90_time", "advocacy_share"]
GoalStatus = Literal["met", "missed", "no_data"]


class GoalCheck(msgspec.Struct, frozen=True, kw_only=True):
    """One stage goal (``goals.yaml``) against what the hourglass measured."""

    metric: GoalMetric
    """``conversion`` (to the next stage, at least), ``median_time`` and ``p90_time`` (in the
    stage, at most, in seconds), ``advocacy_share`` (of the product's customers, at least)."""
    stage: str | None
    """The stage (None for ``advocacy_share``)."""
    target: float
    actual: float | None
    status: GoalStatus
    gap: float | None
    """How far the actual is on the wrong side of the target, in its unit (share or seconds):
    positive when missed, 0 when met, None without data."""
    relative_gap: float | None
    """``gap / target``: how big the miss is, comparable between goals."""
    customers: int
    """The customers the figure is about (those who reached the stage; all for advocacy)."""


class ProductHourglass(msgspec.Struct, frozen=True, kw_only=True):
    product: str
    title: str
    customers: int
    stages: list[StageReport]
    comparison: dict[str, float | None]
    """``traffic_to_trial``, ``trial_to_purchase``, ``purchase_to_advocacy`` (and
    ``traffic_to_purchase``) as shares of ``reached``."""
    goals: list[GoalCheck] = []
    """The product's stage goals against the actuals (empty when it has none)."""


class HourglassReport(msgspec.Struct, frozen=True, kw_only=True):
    model: str
    as_of: datetime
    products: list[ProductHourglass]


class TransitionLink(msgspec.Struct, frozen=True, kw_only=True):
    from_: str = msgspec.field(name="from")
    """The stage left, or ``(entry)``."""
    to: str
    count: int
    kind: MoveKind


class PathCount(msgspec.Struct, frozen=True, kw_only=True):
    path: list[str]
    count: int


class TransitionsReport(msgspec.Struct, frozen=True, kw_only=True):
    """Stage moves of one model (one product or all), as Sankey links and a matrix."""

    model: str
    product: str | None
    stages: list[str]
    links: list[TransitionLink]
    matrix: list[list[int]]
    """``matrix[i][j]``: moves from row i to column j; row 0 is ``(entry)``, then the stages
    in model order; columns are the stages."""
    paths_to_purchase: list[PathCount]
    """The most common sequences of stages entered before the first purchase."""


class Cohort(msgspec.Struct, frozen=True, kw_only=True):
    label: str
    entry_stage: str | None
    size: int
    shares: dict[str, float]
    """Per stage, the share of the cohort that has reached it (or a later one)."""


class RetentionCurve(msgspec.Struct, frozen=True, kw_only=True):
    label: str
    """The purchase period."""
    size: int
    days: list[int]
    retained: list[float | None]
    """Per day count, the share of purchasers at least that long ago still showing evidence
    that long after purchase (None: nobody old enough)."""


class CohortsReport(msgspec.Struct, frozen=True, kw_only=True):
    model: str
    product: str | None
    period: Literal["week", "month"]
    stages: list[str]
    cohorts: list[Cohort]
    retention: list[RetentionCurve]


class Insight(msgspec.Struct, frozen=True, kw_only=True):
    """One item of the to-do list: a sentence with its numbers and the report behind it."""

    kind: str
    text: str
    customers: int
    gap: float
    """How far this is from the best comparable product (0..1); for ``kind`` ``goal`` (a
    missed stage goal) the shortfall as a share of the target, at most 1."""
    score: float
    """``customers * gap``: the ranking key (after missed goals, which come first)."""
    link: str
    model: str
    product: str
    stage: str | None = None


class InsightsReport(msgspec.Struct, frozen=True, kw_only=True):
    as_of: datetime
    insights: list[Insight]


class ContentItem(msgspec.Struct, frozen=True, kw_only=True):
    """A piece of content (an experience of the decide catalog) as coverage counts it."""

    id: str
    products: tuple[str, ...] = ()
    """Products it is about; empty: brand-wide (every product)."""
    stages: dict[str, tuple[str, ...]] = {}
    """Model -> the stages it is meant for; a model it does not name: any stage (generic)."""


class CoverageRow(msgspec.Struct, frozen=True, kw_only=True):
    product: str
    stage: str
    title: str
    phase: str
    customers: int
    experiences: int
    """Content made for this stage (and this product or brand-wide)."""
    generic: int
    """Content eligible at any stage of this model."""
    gap: bool
    """Customers are here and no content is made for this stage."""


class CoverageReport(msgspec.Struct, frozen=True, kw_only=True):
    model: str
    rows: list[CoverageRow]


class ProductAdvocacy(msgspec.Struct, frozen=True, kw_only=True):
    product: str
    customers: int
    """Profiles in this product's journey."""
    advocates: int
    """Of them, those who reached the advocacy stage."""
    advocacy_share: float | None
    reviews: int
    average_rating: float | None


class AdvocacyReport(msgspec.Struct, frozen=True, kw_only=True):
    """The advocacy loop (seeds 001, 004): reviews, NPS, referrals and their conversion."""

    model: str
    reviews: int
    average_rating: float | None
    survey_responses: int
    """Profiles that answered a survey (their latest score counts)."""
    promoters: int
    passives: int
    detractors: int
    nps: float | None
    """% promoters (9-10) minus % detractors (0-6), -100..100."""
    referrals_sent: int
    referrers: int
    referred: int
    """Profiles that arrived through a referral."""
    referred_purchasers: int
    k_factor: float | None
    """Referred purchasers per purchasing customer."""
    products: list[ProductAdvocacy]


class QualityReport(msgspec.Struct, frozen=True, kw_only=True):
    """Journey quality: are customers recognised, are they shown what no longer fits them, and
    how much hassle do they meet."""

    events: int
    recognised_events: int
    """Events tied to a known customer (a profile that has a user id)."""
    recognition_rate: float | None
    exposures: int
    """Acquisition ads and offers shown (``exposure_events``) for a product."""
    exposures_after_purchase: int
    """Of them, shown to a customer who had already bought that product."""
    irrelevant_share: float | None
    contacts: int
    """Call-centre contacts."""
    repeat_contacts: int
    """Contacts within ``repeat_contact_days`` of the same customer's previous one."""
    failed_messages: int
    problems: int
    resolved: int
    median_resolution_seconds: float | None
    """From a problem (``problem_events``) to the customer's next resolution."""


class ContentEffect(msgspec.Struct, frozen=True, kw_only=True):
    content_id: str
    stage: str
    engaged: int
    """Engagements with the item by customers at this stage (fully observed windows)."""
    progressed: float | None
    """Share of them that moved to a later stage within the window after engaging."""
    comparable: int
    """Stays at the same stage of customers who never engaged with the item, observed from
    the same point into the stay (the engaged customers' median delay)."""
    comparable_progressed: float | None
    lift: float | None
    """``progressed - comparable_progressed``."""


class EffectivenessReport(msgspec.Struct, frozen=True, kw_only=True):
    model: str
    days: int
    items: list[ContentEffect]


# -- outside signals (core.signals) --------------------------------------------------------------

SignalPeriod = Literal["day", "week", "month"]


class VoiceShare(msgspec.Struct, frozen=True, kw_only=True):
    """Mentions of our brand against named competitors' in one period or at one stage."""

    key: str
    """The period's first day (``2026-11-02``) or the stage."""
    ours: int
    competitors: dict[str, int]
    """Mentions per competitor named in ``brand``."""
    total: int
    share: float | None
    """``ours / total``: our share of voice."""
    ours_reach: float
    total_reach: float
    """Sums of ``reach`` (signals without one count 0)."""
    reach_share: float | None


class MentionCount(msgspec.Struct, frozen=True, kw_only=True):
    stage: str
    product: str
    kind: str
    brand: str
    mentions: int
    reach: float
    sentiment: float | None
    """Average ``sentiment`` of the mentions that carry one (-1..1)."""


class StageLift(msgspec.Struct, frozen=True, kw_only=True):
    """Entries into a stage per day in the days after a signal day about that stage (and
    product) against the other days. An association, not a cause."""

    stage: str
    signal_days: int
    """Distinct (product, day) pairs with a signal about this stage."""
    days_after: int
    """(product, day) cells within ``days`` after a signal day."""
    days_other: int
    """Cells neither after a signal day nor a signal day themselves."""
    entries_after: float | None
    """Mean stage entries per day in ``days_after`` cells."""
    entries_other: float | None
    lift: float | None
    """``entries_after / entries_other``."""
    difference: float | None
    """``entries_after - entries_other``, entries per day."""
    ci_low: float | None
    ci_high: float | None
    """An approximate 95% interval of ``difference`` (Welch: ±1.96 standard errors)."""


class SignalsReport(msgspec.Struct, frozen=True, kw_only=True):
    """Outside signals (press, review-site and social mentions, competitor comparison visits,
    partner referrals): share of voice, mentions per stage and product, and how stage entries
    in the days after relate to them."""

    model: str
    product: str | None
    period: SignalPeriod
    days: int
    """The window after a signal day the lag report looks at."""
    brand: str
    """Whose signals the lag report relates to stage entries (``ours`` by default)."""
    signals: int
    """Signals about this model's stages (and the product, when given)."""
    other_stage: int
    """Signals naming a stage this model does not have (left out of the figures)."""
    named: int
    """Signals whose ``userId`` belongs to a known customer (e.g. partner referrals); they are
    counted here and never move that customer's journey."""
    by_period: list[VoiceShare]
    by_stage: list[VoiceShare]
    mentions: list[MentionCount]
    lag: list[StageLift]
    note: str = (
        "Lag figures compare days after signals with other days: an association, not a cause."
    )
