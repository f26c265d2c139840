"""Analytics configuration: typed, validated once, passed in.

The defaults fit the shipped journey models; a company's own model names its stages here.
"""

from __future__ import annotations

from typing import Final

import msgspec

from waymark.analytics.errors import InvalidQuery
from waymark.journey.contracts import JourneyModel


class AnalyticsConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    trial_stage: dict[str, str] = msgspec.field(
        default_factory=lambda: {"hourglass": "evaluation", "value-journey": "subscribe"}
    )
    """Per model, the stage that counts as a trial in the product comparison (traffic → trial
    → purchase → advocacy). A model without one has no traffic → trial column."""
    advocacy_stage: dict[str, str] = {}
    """Per model, the advocacy stage (default: a stage named ``advocacy`` or ``advocate``,
    else the last stage)."""
    min_customers: int = 20
    """Insights ignore products and stages with fewer customers than this (noise)."""
    max_insights: int = 50
    retention_days: tuple[int, ...] = (7, 30, 60, 90, 180)
    """Days after purchase at which retention curves are measured."""
    review_events: tuple[str, ...] = ("Product Reviewed",)
    rating_property: str = "rating"
    survey_events: tuple[str, ...] = ("Survey Responded",)
    score_property: str = "score"
    """A 0-10 answer ("how likely are you to recommend us"), read as NPS."""
    referral_events: tuple[str, ...] = ("Referral Sent",)
    referral_property: str = "referred_by"
    """A profile whose event carries this property (or campaign medium ``referral``) arrived
    through a referral."""
    exposure_events: tuple[str, ...] = ("Ad Impression", "Ad Clicked", "Offer Shown")
    """Acquisition ads and offers; shown after the product was bought they are irrelevant."""
    failure_events: tuple[str, ...] = ("Email Bounced", "Message Failed", "Delivery Failed")
    problem_events: tuple[str, ...] = ("Support Ticket Created",)
    resolution_events: tuple[str, ...] = ("Support Ticket Resolved",)
    contact_channel: str = "call_centre"
    repeat_contact_days: int = 7

    def __post_init__(self) -> None:
        if self.min_customers < 1:
            raise InvalidQuery("min_customers must be at least 1", field="min_customers")
        if self.max_insights < 1:
            raise InvalidQuery("max_insights must be at least 1", field="max_insights")
        if any(d <= 0 for d in self.retention_days):
            raise InvalidQuery("retention_days must be positive", field="retention_days")
        if self.repeat_contact_days < 1:
            raise InvalidQuery(
                "repeat_contact_days must be at least 1", field="repeat_contact_days"
            )


ADVOCACY_NAMES: Final = ("advocacy", "advocate")


def purchase_stage(model: JourneyModel) -> str:
    """The stage where the customer buys: the last pre-purchase stage."""
    pre = [s.name for s in model.stages if s.phase == "pre_purchase"]
    return pre[-1] if pre else model.stages[0].name


def advocacy_stage(model: JourneyModel, config: AnalyticsConfig) -> str:
    if model.name in config.advocacy_stage:
        return config.advocacy_stage[model.name]
    for stage in model.stages:
        if stage.name in ADVOCACY_NAMES:
            return stage.name
    return model.stages[-1].name


def trial_stage(model: JourneyModel, config: AnalyticsConfig) -> str | None:
    stage = config.trial_stage.get(model.name)
    return stage if stage in model.stage_names else None
