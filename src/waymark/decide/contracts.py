"""What crosses the decide boundary: the context a decision is made in, and the decision.

``DecisionContext`` is decide's own input contract so the feature does not depend on how
identity and journeys store their state; the runtime builds it from their facades.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

Outcome = Literal["viewed", "clicked", "converted"]
OUTCOMES: tuple[Outcome, ...] = ("viewed", "clicked", "converted")


class JourneyPosition(msgspec.Struct, frozen=True, kw_only=True):
    """Where the customer stands on one journey model for one product."""

    model: str
    product: str
    stage: str
    """The current stage (customers move back, so this may be behind ``furthest``)."""
    furthest: str | None = None
    """The furthest stage ever reached; ``None`` means the same as ``stage``."""
    phase: str | None = None
    """e.g. ``pre_purchase`` / ``post_purchase``, when the model has phases."""
    purchased: bool = False
    since: datetime | None = None
    """When the customer entered the current stage."""


class RecentEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One recent event, newest first in ``DecisionContext.recent_events``."""

    name: str
    """The event's label: the track event, or ``page: <name>``."""
    at: datetime
    channel: str | None = None
    properties: dict[str, Any] = {}


class ContactRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One experience sent or shown to the customer (for contact caps)."""

    experience_id: str
    channel: str
    at: datetime


class LeadScore(msgspec.Struct, frozen=True, kw_only=True):
    """A lead score of the customer (``person``) or of an account they belong to."""

    subject: Literal["person", "account"]
    model: str
    product: str
    score: float
    label: str | None = None


class DecisionContext(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a decision for one customer at one moment may look at."""

    profile_id: str
    now: datetime
    identifiers: dict[str, list[str]] = {}
    """Identifier type -> values, e.g. ``{"email": ["ray@example.com"]}``."""
    traits: dict[str, Any] = {}
    consent: dict[str, bool] = {}
    """Channel -> consent. A missing channel counts as "not asked" (see ``ConsentPolicy``)."""
    positions: tuple[JourneyPosition, ...] = ()
    recent_events: tuple[RecentEvent, ...] = ()
    contacts: tuple[ContactRecord, ...] = ()
    consumed: frozenset[str] = frozenset()
    """Experiences the customer has already consumed (clicked or converted on)."""
    open_support_case: bool = False
    timezone: str | None = None
    """IANA zone name for quiet hours, e.g. ``Europe/London``; UTC when unknown."""
    scores: tuple[LeadScore, ...] = ()


class DecideRequest(msgspec.Struct, frozen=True, kw_only=True):
    """One ask for the next best experiences on a channel."""

    channel: str
    placement: str | None = None
    count: int = 1


class Exclusion(msgspec.Struct, frozen=True):
    """A catalog experience that was a candidate on the channel but could not be chosen."""

    experience_id: str
    policy: str
    """The stable code of the first policy that excluded it, e.g. ``suppress.after_purchase``."""


class Scored(msgspec.Struct, frozen=True):
    """An eligible experience and the parts of its arbitration score."""

    experience_id: str
    score: float
    propensity: float
    """The Thompson sample of the click (or conversion) probability."""
    context_weight: float
    value: float
    lever: float
    stage: str
    """The bandit's stage key for this customer and experience."""


class Chosen(msgspec.Struct, frozen=True, kw_only=True):
    """One experience offered to the customer, with its content and its reason."""

    id: str
    kind: str
    score: float
    content: dict[str, str]
    reason: str
    stage: str


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    """A logged decision: what was offered, what was considered and what was excluded why."""

    decision_id: str
    profile_id: str
    channel: str
    placement: str | None
    at: datetime
    holdout: bool
    experiences: tuple[Chosen, ...]
    candidates: tuple[Scored, ...]
    """Every eligible experience, ranked by score (best first)."""
    excluded: tuple[Exclusion, ...]
    catalog_version: str = ""


class Feedback(msgspec.Struct, frozen=True, kw_only=True):
    """A customer's response to an offered experience, from an ``Experience *`` event."""

    decision_id: str
    experience_id: str
    outcome: Outcome
    stage: str | None = None
    """The bandit stage key; looked up from the logged decision when absent."""


class AudienceMember(msgspec.Struct, frozen=True, kw_only=True):
    """One audience member in the form ad platforms accept: SHA-256 of normalised values."""

    email_sha256: tuple[str, ...] = ()
    phone_sha256: tuple[str, ...] = ()


class AudiencePage(msgspec.Struct, frozen=True, kw_only=True):
    audience: str
    members: tuple[AudienceMember, ...]
    next_cursor: str | None = None
    """Pass as ``cursor`` to get the next page; ``None`` on the last page."""


class GroupOutcomes(msgspec.Struct, frozen=True, kw_only=True):
    """What one group (treated or holdout) got of an experience, and how it responded."""

    chosen: int = 0
    viewed: int = 0
    clicked: int = 0
    converted: int = 0


class ExperiencePerformance(msgspec.Struct, frozen=True, kw_only=True):
    """One experience over a window of decisions (feedback counts toward the decision's time)."""

    experience_id: str
    considered: int = 0
    """Decisions on its channels that looked at it (eligible or excluded)."""
    eligible: int = 0
    """Decisions where it passed every policy and was ranked."""
    excluded: dict[str, int] = {}
    """Exclusion code -> decisions it stopped this experience in."""
    treated: GroupOutcomes = GroupOutcomes()
    holdout: GroupOutcomes = GroupOutcomes()


class CatalogPerformance(msgspec.Struct, frozen=True, kw_only=True):
    """Every experience's recent performance, from the decision log."""

    since: datetime
    until: datetime
    decisions: int = 0
    holdout_decisions: int = 0
    experiences: tuple[ExperiencePerformance, ...] = ()


class AudienceActivity(msgspec.Struct, frozen=True, kw_only=True):
    """One audience: its size now and how it changed over a recent window."""

    name: str
    purpose: str
    size: int
    """Members with an e-mail or phone an ad platform can match (what an export sends)."""
    added: int = 0
    removed: int = 0
    """Members who joined / left between counts in the window (sizes are counted on request,
    at most once a minute; the changes are stored, so a restart keeps them, and the first
    count after one is compared with the last count before it)."""
    last_export: datetime | None = None
    """When the last page of an export of this audience was served."""


class AudiencesActivity(msgspec.Struct, frozen=True, kw_only=True):
    counted_at: datetime
    since: datetime
    audiences: tuple[AudienceActivity, ...] = ()
