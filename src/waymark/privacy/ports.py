"""What privacy needs from storage: the request log, the suppression list, and a sweep of
every other store for rows that name a person (to export them, then to erase them)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from waymark.privacy.contracts import MessageSummary, PrivacyRequest, RequestStatus


class PrivacyStore(Protocol):
    def save_request(self, request: PrivacyRequest) -> None:
        """Insert or replace a request log entry."""
        ...

    def request(self, request_id: str) -> PrivacyRequest | None: ...

    def requests(
        self, *, status: RequestStatus | None = None, limit: int | None = 100
    ) -> list[PrivacyRequest]:
        """Newest first; only those with ``status`` when given; all when ``limit`` is None."""
        ...

    def suppressed(self) -> list[str]:
        """Every suppressed identifier hash."""
        ...

    def suppress(self, hashes: Sequence[str]) -> None: ...

    def unsuppress(self, hashes: Sequence[str]) -> None: ...

    def records(self, needles: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Rows of every table other than the event log and privacy's own that name one of
        the needles (a whole value, or a quoted string inside JSON text), by table."""
        ...

    def erase(self, needles: Sequence[str]) -> dict[str, int]:
        """Delete those rows; returns rows removed per table."""
        ...

    def scrub(self) -> None:
        """Make removed data unrecoverable from the files (rewrite freed space). One that
        fails or is killed must run again when the store next opens (DuckDB keeps a marker)."""
        ...

    def revoke_link(self, token_id: str, *, at: datetime) -> None:
        """One preference-centre link stops working."""
        ...

    def link_revoked(self, token_id: str) -> bool: ...

    def set_links_not_before(self, profile_id: str, at: datetime) -> None:
        """Every link of the profile issued before ``at`` stops working."""
        ...

    def links_not_before(self, profile_id: str) -> datetime | None: ...


class Messages(Protocol):
    def __call__(self, profile_id: str, *, limit: int) -> list[MessageSummary]:
        """The messages most recently sent to the profile, newest first."""
        ...


class Writers(Protocol):
    """The other writers of a person's data (orchestration's runs and sends, write-behind
    logs). An erasure runs inside ``hold``: they are paused, have forgotten the profiles (and
    start nothing new for them) and have written what they buffered, so the sweep that follows
    is the last word. ``hold`` yields the rows it removed, per table."""

    def settle(self) -> None:
        """Return once every event accepted before the call is in the log and processed.
        An erasure calls it after suppressing the person: a commit already past the
        suppression check when it began lands before the erasure reads what to delete."""
        ...

    def hold(self, profile_ids: Sequence[str]) -> AbstractContextManager[dict[str, int]]: ...
