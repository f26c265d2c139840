"""The simulator's configuration: a preset (YAML) describing a company, its products, its
customers' channels and how they move through a journey model.

A preset is read by ``waymark.sim.api.load_preset``, which checks its shape here (unknown keys
are refused, so a typo never silently falls back to a default) and its meaning against the
journey model in ``_validate`` (stage names, transition rules); every error names the file, the
line and the field. Weights (``{name: weight}``) need not sum to one: they are normalised.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import msgspec

ChannelName = Literal[
    "web", "mobile", "client", "ads", "social", "email", "call_centre", "shipping", "support"
]
"""Where an event of the tracking plan is sent from. ``client`` is the web site or the app,
whichever the person has at hand."""

CallType = Literal["track", "page", "screen"]


class _Spec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class ProductSpec(_Spec, frozen=True, kw_only=True, forbid_unknown_fields=True):
    id: str
    """The ``product_id`` events carry (what the journey model reads)."""
    name: str
    sku: str = ""
    price: float
    category: str = "learning-kits"
    weight: float = 1.0
    """Relative share of people interested in this product."""


class PeopleSpec(_Spec, frozen=True, kw_only=True, forbid_unknown_fields=True):
    products: tuple[float, ...] = (0.7, 0.22, 0.08)
    """Weights of being interested in 1, 2, 3, ... products."""
    next_product_days: float = 20.0
    """Mean days between starting to look at one product and the next."""
    devices: tuple[float, ...] = (0.45, 0.4, 0.15)
    """Weights of browsing on 1, 2, 3, ... web devices (browsers)."""
    app: float = 0.35
    """Share who install the companion app (an extra device) at some point."""
    second_device_login: float = 0.7
    """Share of extra devices (and apps) that are ever logged in (the rest stay anonymous)."""
    phone: float = 0.55
    """Share who give a phone number when they sign up."""
    facebook: float = 0.45
    """Share with a Facebook account that engages with the brand's page..."""
    facebook_login: float = 0.6
    """...of whom this share link it by signing in with Facebook (the rest stay unlinkable)."""
    arrival_spread: float = 0.85
    """Arrivals are spread uniformly over this share of the simulated days."""


class StageSpec(_Spec, frozen=True, kw_only=True, forbid_unknown_fields=True):
    dwell_days: float
    """Mean days in the stage before the next move (gamma distributed, shape 2)."""
    activity_per_day: float = 0.5
    """Events per day while in the stage, besides the one that moved the person here."""
    reinforce: float = 0.6
    """Share of that activity that is evidence of this same stage (the rest is neutral)."""
    next: dict[str, float]
    """Weights of the next stage; ``exit`` means going quiet (drop-out or churn)."""
    signals: dict[str, float] = {}
    """Weights of the tracking-plan entries that show this stage (default: every entry the
    model counts as evidence of it, equally, plus stage-tagged content)."""


class JourneySpec(_Spec, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How people move through one journey model's stages (stage names are the model's)."""

    entry: dict[str, float]
    """Weights of the pre-purchase stage a person enters at."""
    referral_entry: dict[str, float] = {}
    """Weights of the stage referred people enter at (default: ``entry``)."""
    signup: dict[str, float] = {}
    """Chance of signing up on entering each pre-purchase stage (a purchase always signs up)."""
    stages: dict[str, StageSpec]
    content_share: float = 0.25
    """Share of stage evidence that is stage-tagged content (a page with content_stage)."""
    delivery_days: tuple[float, float] = (2.0, 6.0)
    """Days from order to delivery (uniform between the two)."""
    returns: float = 0.03
    """Share of orders returned (a refund, then the person goes quiet)."""


class ChannelsSpec(_Spec, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pre_purchase: dict[ChannelName, float]
    """Weights of the channels neutral activity comes through before purchase."""
    post_purchase: dict[ChannelName, float]


class ReferralSpec(_Spec, frozen=True, kw_only=True, forbid_unknown_fields=True):
    invites: float = 1.2
    """Mean people invited per referral event."""
    join: float = 0.35
    """Chance an invited person comes and joins the population."""
    lag_days: float = 4.0
    """Mean days from the invitation to the first visit."""
    rounds: int = 4
    """Generations of referrals simulated (referred people refer others)."""


class AdversarialSpec(_Spec, frozen=True, kw_only=True, forbid_unknown_fields=True):
    shared_email: float = 0.01
    """Share of signed-up people whose household partner signs up with the same email."""
    shared_device: float = 0.005
    """Share of signed-up people whose browser is later logged into by another person."""
    junk_ids: float = 0.02
    """Share of people whose client sends userId "null"/"undefined" before login, and whose
    server-side events carry anonymousId "null"/"undefined"."""
    placeholder_email: float = 0.003
    """Share of people who type a placeholder email (test@example.com) at sign-up."""
    email_variants: float = 0.2
    """Share of identify calls that spell the email with different case and spaces."""
    phone_variants: float = 0.5
    """Share of phone traits written with spaces or dashes instead of E.164."""


class TrackingSpec(_Spec, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How one entry of the tracking plan is sent."""

    event: str | None = None
    """The track event (default: the entry's key). Page and screen entries use ``name``."""
    type: CallType = "track"
    name: str | None = None
    """Page or screen name."""
    channel: ChannelName = "client"
    properties: dict[str, Any] = {}
    """Fixed properties (for instance ``order_type: add_on``)."""
    referral: bool = False
    """Sending it invites friends (who may join the population)."""


class NeutralSpec(_Spec, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pre_purchase: dict[str, float]
    """Weights of tracking-plan entries that are no stage evidence, before purchase."""
    post_purchase: dict[str, float]


class SimConfig(_Spec, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: str
    description: str = ""
    model: str = "hourglass"
    """The journey model whose stages are simulated (a shipped name or a path)."""
    start: date = date(2024, 11, 1)
    company: str = "Example Co"
    domain: str = "example.com"
    """The company's web domain (page URLs)."""
    products: tuple[ProductSpec, ...]
    people: PeopleSpec = PeopleSpec()
    channels: ChannelsSpec
    journeys: dict[str, JourneySpec]
    """Per journey model (by name): the stage settings used when that model is simulated."""
    referrals: ReferralSpec = ReferralSpec()
    adversarial: AdversarialSpec = AdversarialSpec()
    tracking: dict[str, TrackingSpec]
    neutral: NeutralSpec
    content: dict[str, tuple[str, ...]] = {}
    """Titles of content pages tagged with each stage."""
    identity: dict[str, Any] = {}
    """The company's identity settings (``waymark.identity``'s ``identity:`` section) that
    ``--check`` resolves the simulated events with: which traits carry which identifiers."""
