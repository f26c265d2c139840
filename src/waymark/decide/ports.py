"""What decide needs from storage and from the rest of Waymark.

``DecisionLog``, ``CatalogStore`` and ``AudienceHistory`` are implemented by
``waymark.store.duckdb.decide`` (and by ``waymark.decide._memory`` for tests and embedding).
``ContextSource`` is implemented by the runtime from identity and journeys: decide never reads
their state directly.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import NamedTuple, Protocol, runtime_checkable

from waymark.decide.contracts import (
    CatalogPerformance,
    ContactRecord,
    Decision,
    DecisionContext,
    Outcome,
)

FeedbackKey = tuple[str, str, Outcome]
"""(decision id, experience id, outcome)."""


class History(NamedTuple):
    contacts: list[ContactRecord]
    consumed: frozenset[str]


class AudienceChange(NamedTuple):
    """How many joined and left one audience at one count (against the count before it)."""

    at: datetime
    audience: str
    added: int
    removed: int


class AudienceCount(NamedTuple):
    """The last count: when it was taken and the profile ids in each audience."""

    at: datetime
    members: dict[str, frozenset[str]]


@runtime_checkable
class DecisionLog(Protocol):
    """Every decision, kept so it can be explained later and its feedback attributed."""

    def save(self, decision: Decision) -> None: ...

    def get(self, decision_id: str) -> Decision | None: ...

    def mark_feedback(self, keys: Sequence[FeedbackKey]) -> list[bool]:
        """Record that these (decision, experience, outcome) were counted; for each key, False
        if it already was (so a repeated ``Experience Clicked`` does not count twice). A key
        repeated within ``keys`` is new only the first time."""
        ...

    def offer_stages(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The bandit stage each (decision, experience) was offered at, for those offered
        (one look-up for a whole batch of feedback)."""
        ...

    def history(self, profile_id: str, *, since: datetime) -> History:
        """What was offered to a profile since a time (for contact caps) and what it
        consumed (clicked or converted on), in one look-up."""
        ...

    def performance(self, *, since: datetime, until: datetime) -> CatalogPerformance:
        """Per experience seen in decisions made in ``(since, until]``: how often it was
        considered, eligible, excluded (per code) and chosen, and the feedback on those
        decisions, for treated and holdout customers apart. Experiences no decision in the
        window saw are left out."""
        ...


@runtime_checkable
class CatalogStore(Protocol):
    """The current catalog document (JSON text) as last set through the admin API."""

    def load(self) -> str | None: ...

    def save(self, document: str, *, version: str, at: datetime) -> None: ...


@runtime_checkable
class AudienceHistory(Protocol):
    """What audience counts leave behind, kept across restarts: the joins and leaves each
    count found, the members at the last count (the next count, maybe in another process,
    is diffed against them) and each audience's last export.

    The members name profiles: a backend must keep them where privacy's erasure sweep finds
    and deletes them (in DuckDB, one row per member)."""

    def record_count(
        self, count: AudienceCount, changes: Sequence[AudienceChange], *, forget_before: datetime
    ) -> None:
        """In one step: ``count`` replaces the stored members, ``changes`` are added, and
        changes older than ``forget_before`` are dropped."""
        ...

    def last_count(self) -> AudienceCount | None:
        """The count ``record_count`` stored last (None before the first), without the
        audiences that had no members."""
        ...

    def changes(self, *, since: datetime) -> list[AudienceChange]:
        """The changes at or after ``since``, oldest first."""
        ...

    def forget(self, profile_ids: Sequence[str]) -> int:
        """The stored members lose these profiles (an erasure: privacy's sweep would find
        DuckDB's rows too, but not a backend's memory); returns the memberships removed."""
        ...

    def record_export(self, audience: str, at: datetime) -> None:
        """The last page of an export of ``audience`` was served at ``at``."""
        ...

    def exports(self) -> dict[str, datetime]:
        """Each exported audience's last export."""
        ...


@runtime_checkable
class ContextSource(Protocol):
    """Builds decision contexts from identity and journeys."""

    def resolve(self, reference: Mapping[str, str]) -> str | None:
        """A profile id from ``{"id": ...}`` or ``{"<identifier type>": "<value>"}``."""
        ...

    def context(self, profile_id: str, now: datetime) -> DecisionContext | None: ...

    def contexts(self, now: datetime, *, events: bool = True) -> Iterator[DecisionContext]:
        """Every profile's context, in profile id order (for audience exports). ``events=False``
        may leave ``recent_events`` empty: audiences do not read them, and reading every
        profile's timeline is most of the cost."""
        ...
