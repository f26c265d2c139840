"""The catalog document: experiences, the policies around them, and ad audiences.

These Structs are the typed form of a catalog YAML file (or an admin API body). Field
shapes are checked by msgspec; the rules that span fields (known channels, stages, products,
templates, ids) are checked by ``waymark.decide._rules`` when the catalog is loaded.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal, get_args

import msgspec

Kind = Literal[
    "ad",
    "content",
    "offer",
    "message",
    "script",
    "review_request",
    "referral_request",
    "story_request",
]
Purpose = Literal[
    "awareness",
    "consideration",
    "conversion",
    "onboarding",
    "service",
    "retention",
    "expansion",
    "advocacy",
]
PURPOSES: tuple[Purpose, ...] = get_args(Purpose)
TraitOp = Literal["eq", "ne", "in", "not_in", "exists", "missing", "gt", "gte", "lt", "lte"]
NO_STAGE = "none"
"""The stage name that means "not placed on this model for this product yet"."""


class _Doc(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base: catalog documents reject fields they do not know, so typos fail the load."""


class Caps(_Doc, frozen=True):
    """At most this many contacts per rolling day / week (7 days) / month (30 days)."""

    day: int | None = None
    week: int | None = None
    month: int | None = None


class TraitCondition(_Doc, frozen=True):
    trait: str
    """A trait name; dots reach into nested objects (``address.country``)."""
    op: TraitOp = "eq"
    value: Any = None


class EventCondition(_Doc, frozen=True):
    event: str
    """The event label (``Video Watched``, ``page: Genius Kit``)."""
    properties: dict[str, Any] = {}
    """Each given property must be equal in the event."""
    within_days: float | None = None
    min_count: int = 1
    absent: bool = False
    """True: the condition holds when there is no such event (in the window)."""


class ScoreCondition(_Doc, frozen=True):
    """A lead score (``waymark.scoring``): holds when some score of the subject (for the
    product, when given) reaches ``min_score`` and carries ``label``, when given. E.g.
    ``{product: genius-kit, label: sales-qualified}`` or ``{subject: account, min_score: 50}``."""

    product: str | None = None
    subject: Literal["person", "account"] = "person"
    model: str | None = None
    min_score: float | None = None
    label: str | None = None


class Conditions(_Doc, frozen=True):
    traits: tuple[TraitCondition, ...] = ()
    events: tuple[EventCondition, ...] = ()
    scores: tuple[ScoreCondition, ...] = ()


class Season(_Doc, frozen=True):
    """A yearly window, month-day inclusive (``12-01`` to ``12-24``); may wrap the year."""

    start: str
    end: str


class Prior(_Doc, frozen=True):
    """Beta prior of the response probability: ``alpha`` successes, ``beta`` failures."""

    alpha: float = 1.0
    beta: float = 1.0


class Experience(_Doc, frozen=True):
    id: str
    kind: Kind
    purpose: Purpose
    channels: tuple[str, ...]
    name: str = ""
    products: tuple[str, ...] = ()
    """Products it is about; empty means brand-wide (all the customer's products count)."""
    placements: tuple[str, ...] = ()
    """Empty: any request on its channels, whatever placement it names. Listed: only requests
    naming one of them (a request naming none does not get it)."""
    stages: dict[str, tuple[str, ...]] = {}
    """Model -> stages where it is eligible (the customer's current stage); empty: any."""
    conditions: Conditions = Conditions()
    value: float = 1.0
    lever: float = 1.0
    """Business lever: a multiplier the business sets to push or hold back an experience."""
    weights: dict[str, float] = {}
    """Context weight per channel or placement name (missing: 1.0)."""
    caps: Caps = Caps()
    valid_from: date | None = None
    valid_until: date | None = None
    season: Season | None = None
    prior: Prior | None = None
    why: str = ""
    """A plain-words sentence saying what it is for; starts every reason."""
    template: dict[str, str] = {}
    """Content fields (``headline``, ``body``, ``url``...) as sandboxed Jinja2 templates."""


class AcquisitionSuppression(_Doc, frozen=True):
    purposes: tuple[Purpose, ...] = ("awareness",)
    until: dict[str, str] = {}
    """Model -> the last stage at which these purposes are still shown for a product; once the
    customer's furthest stage for that product is beyond it, they are suppressed."""


class SupportCaseSuppression(_Doc, frozen=True):
    enabled: bool = True
    allow_purposes: tuple[Purpose, ...] = ("service",)
    """What may still be offered while a support case is open."""


class Suppression(_Doc, frozen=True):
    acquisition: AcquisitionSuppression = AcquisitionSuppression()
    after_purchase: tuple[Purpose, ...] = ("awareness", "consideration", "conversion")
    """Purposes never offered for a product the customer has bought."""
    consumed_again: bool = False
    """False: an experience the customer already consumed is not offered again."""
    support_case: SupportCaseSuppression = SupportCaseSuppression()


class QuietHours(_Doc, frozen=True):
    start: str = "21:00"
    end: str = "08:00"
    channels: tuple[str, ...] = ("email", "sms", "call_centre")
    """Channels that reach out to the customer (a page they open is never quiet)."""


class ContactPolicy(_Doc, frozen=True):
    total: Caps = Caps()
    """The global cap: contacts on ``total_channels`` counted together."""
    total_channels: tuple[str, ...] = ("email", "sms", "ads", "social", "call_centre", "mobile")
    """Channels that count towards and are limited by the global cap (pages the customer opens
    on the web are not contacts)."""
    channels: dict[str, Caps] = {}
    quiet_hours: QuietHours | None = None


class ConsentPolicy(_Doc, frozen=True):
    required: tuple[str, ...] = ("email", "sms", "ads", "social", "call_centre")
    """Channels used only with an explicit yes; on others only an explicit no blocks."""


class Holdout(_Doc, frozen=True):
    share: float = 0.0
    salt: str = "waymark"
    """Changing the salt reshuffles who is held out."""
    defaults: dict[str, str] = {}
    """Channel -> the default experience the holdout group gets (none when missing)."""


class Arbitration(_Doc, frozen=True):
    model: str = "hourglass"
    """The journey model whose stages key the propensity (Beta-Bernoulli per stage)."""
    outcome: Literal["clicked", "converted"] = "clicked"
    prior: Prior = Prior()


class Policy(_Doc, frozen=True):
    suppression: Suppression = Suppression()
    contact: ContactPolicy = ContactPolicy()
    consent: ConsentPolicy = ConsentPolicy()
    holdout: Holdout = Holdout()
    arbitration: Arbitration = Arbitration()


class Audience(_Doc, frozen=True):
    name: str
    purpose: Literal["targeting", "suppression"] = "targeting"
    """Targeting lists need the customer's ``ads`` consent; suppression lists do not."""
    products: tuple[str, ...] = ()
    stages: dict[str, tuple[str, ...]] = {}
    purchased: bool | None = None
    traits: tuple[TraitCondition, ...] = ()


class CatalogDoc(_Doc, frozen=True):
    """One catalog document, as written in YAML."""

    version: int = 1
    company: str = ""
    products: dict[str, str] = {}
    """Product id -> display name (templates see it as ``product_name``)."""
    policy: Policy = Policy()
    experiences: tuple[Experience, ...] = ()
    audiences: tuple[Audience, ...] = ()
