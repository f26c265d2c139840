"""The privacy facade: other packages use only this module and ``contracts``.

``PrivacyService`` answers consent (current state from identity, changes from the log), builds
the ``Consent Updated`` event a change is recorded as (the caller appends it through the group
commit), exports everything held about a person, and erases them: events out of the log,
derived state rebuilt, every other store swept, identifiers suppressed as hashes, freed space
rewritten, and a request log entry with no personal data as the tombstone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from uuid import uuid4

import msgspec

from waymark.accounts.api import AccountsService
from waymark.core.clock import Clock
from waymark.core.events import Event
from waymark.core.ports import EventLog
from waymark.identity.api import IdentityService
from waymark.identity.contracts import Profile
from waymark.journey.api import JourneyService
from waymark.privacy._consent import changes_of, check_consent, consent_event
from waymark.privacy._links import PreferenceLinks
from waymark.privacy._preferences import PreferenceCentre
from waymark.privacy._suppress import SuppressingLog, Suppression, identifier_hash
from waymark.privacy.config import PrivacyConfig
from waymark.privacy.contracts import (
    PURPOSES,
    ConsentView,
    ExportDocument,
    PrivacyRequest,
    RequestKind,
    RequestList,
    RequestStatus,
)
from waymark.privacy.errors import RequestNotFound
from waymark.privacy.ports import Messages, PrivacyStore, Writers
from waymark.scoring.api import ScoringService

__all__ = [
    "PreferenceCentre",
    "PreferenceLinks",
    "PrivacyConfig",
    "PrivacyService",
    "SuppressingLog",
    "Suppression",
    "identifier_hash",
]

log = logging.getLogger(__name__)


class PrivacyService:
    def __init__(
        self,
        *,
        identity: IdentityService,
        journeys: JourneyService | None,
        event_log: EventLog,
        store: PrivacyStore,
        suppression: Suppression,
        clock: Clock,
        config: PrivacyConfig | None = None,
        writers: Writers | None = None,
        links: PreferenceLinks,
        messages: Messages | None = None,
        accounts: AccountsService | None = None,
        scoring: ScoringService | None = None,
    ) -> None:
        """``writers``: what else writes a person's data (orchestration), held still while
        an erasure runs. ``links`` issues and checks preference-centre links (orchestration
        has the same object); ``messages`` lists what was sent to a person (the page);
        ``accounts`` and ``scoring`` give the memberships and lead scores an export shows."""
        self._identity = identity
        self._journeys = journeys
        self._log = event_log
        self._store = store
        self.suppression = suppression
        self._clock = clock
        self.config = config or PrivacyConfig()
        self._erasing = threading.Lock()  # one erasure (and its rebuild) at a time
        self._writers: Writers = writers or _NoWriters()
        self._accounts = accounts
        self._scoring = scoring
        self.preferences = PreferenceCentre(
            links=links,
            store=store,
            identity=identity,
            journeys=journeys,
            messages=messages,
            clock=clock,
        )

    # -- consent -------------------------------------------------------------------------------

    def consent(self, profile_id: str) -> ConsentView:
        profile = self._identity.profile(profile_id)
        return ConsentView(
            profile_id=profile.id,
            consent=dict(profile.consent),
            changes=changes_of(self.events_of(profile)),
        )

    def consent_change(
        self, profile_id: str, consent: Mapping[str, object], *, source: str
    ) -> Event:
        """The ``Consent Updated`` event recording the change; append it through the group
        commit so it is durable and reaches every derived store."""
        checked = check_consent(consent)
        profile = self._identity.profile(profile_id)
        return consent_event(profile, checked, source=source, now=self._clock.now())

    def unsubscribe_all(self, profile_id: str, *, source: str) -> Event:
        """Consent withdrawn for every purpose, as one ``Consent Updated`` event."""
        return self.consent_change(profile_id, dict.fromkeys(PURPOSES, False), source=source)

    # -- export --------------------------------------------------------------------------------

    def events_of(self, profile: Profile) -> list[Event]:
        """The person's events, oldest first (by their user and anonymous ids)."""
        users = [i.value for i in profile.identities if i.type == "user_id"]
        anons = [i.value for i in profile.identities if i.type == "anonymous_id"]
        if not (users or anons):
            return []
        found = self._log.latest(
            user_ids=users, anonymous_ids=anons, limit=self.config.export_event_limit
        )
        return sorted(found, key=lambda e: e.seq)

    def export(self, profile_id: str) -> ExportDocument:
        profile = self._identity.profile(profile_id)
        journeys = [] if self._journeys is None else self._journeys.journeys(profile.id)
        return ExportDocument(
            profile_id=profile.id,
            generated_at=self._clock.now(),
            profile=profile,
            events=self.events_of(profile),
            journeys=list(journeys),
            accounts=[] if self._accounts is None else self._accounts.memberships_of(profile.id),
            scores=[] if self._scoring is None else list(self._scoring.person(profile.id).scores),
            records=self._store.records(_needles(profile, [])),
        )

    # -- requests ------------------------------------------------------------------------------

    def open_request(self, kind: RequestKind, profile_id: str) -> PrivacyRequest:
        """Log a request (status ``pending``) for a profile that exists."""
        profile = self._identity.profile(profile_id)
        now = self._clock.now()
        request = PrivacyRequest(
            id=f"pr_{uuid4().hex[:20]}",
            kind=kind,
            status="pending",
            received_at=now,
            due_at=now + self.config.deadline,
            subject_hashes=tuple(identifier_hash(i.type, i.value) for i in profile.identities),
        )
        self._store.save_request(request)
        return request

    def request(self, request_id: str) -> PrivacyRequest:
        found = self._store.request(request_id)
        if found is None:
            raise RequestNotFound(f"no privacy request {request_id!r}", request_id=request_id)
        return _flagged(found, self._clock.now())

    def requests(
        self,
        *,
        status: RequestStatus | None = None,
        overdue: bool | None = None,
        limit: int = 100,
    ) -> RequestList:
        """The request log, newest first, each flagged ``overdue`` when it is not completed
        and past its due time; filtered by status and/or overdue."""
        now = self._clock.now()
        found = [_flagged(r, now) for r in self._store.requests(status=status, limit=None)]
        if overdue is not None:
            found = [r for r in found if r.overdue == overdue]
        listed = found[:limit]
        return RequestList(requests=listed, overdue=sum(r.overdue for r in listed))

    # -- erasure -------------------------------------------------------------------------------

    def erase(
        self, request_id: str, profile_id: str, *, rebuild: Callable[[], None]
    ) -> PrivacyRequest:
        """Carry out an erasure request. ``rebuild`` recomputes derived state from the log
        (the runtime's ``rebuild_derived``). The request ends ``completed`` or ``failed``."""
        request = self.request(request_id)
        try:
            with self._erasing:
                counts = self._erase(profile_id, rebuild)
        except Exception as exc:  # the request log must say it failed; the caller may retry
            log.exception("erasure %s failed", request_id)
            done = _replace(request, status="failed", error=str(exc)[:500])
        else:
            done = _replace(
                request, status="completed", completed_at=self._clock.now(), counts=counts
            )
        self._store.save_request(done)
        return done

    def _erase(self, profile_id: str, rebuild: Callable[[], None]) -> dict[str, int]:
        # suppress first: from here on their devices cannot add to the log; then wait for
        # commits already past the check, which may also have linked new identifiers, and
        # suppress those too, until nothing new turns up
        profile = self._identity.profile(profile_id)
        suppressed: set[str] = set()
        while hashes := {identifier_hash(i.type, i.value) for i in profile.identities} - suppressed:
            self._store.suppress(sorted(hashes))
            self.suppression.add(hashes)
            suppressed |= hashes
            self._writers.settle()
            profile = self._identity.profile(profile.id)
        events = self.events_of(profile)
        with self._writers.hold([profile.id, *profile.merged_ids]) as held:
            counts = {"events": self._log.delete([e.seq for e in events]), **held}
            rebuild()
            for table, n in self._store.erase(_needles(profile, events)).items():
                counts[table] = counts.get(table, 0) + n
            try:
                self._store.scrub()
            except Exception as exc:
                raise RuntimeError(
                    "the person's data is deleted, but overwriting the space it freed in the "
                    f"data file failed ({exc}); that runs again when the server next starts"
                ) from exc
        return counts


class _NoWriters:
    def settle(self) -> None:
        pass

    @contextmanager
    def hold(self, profile_ids: Sequence[str]) -> Iterator[dict[str, int]]:
        yield {}


def _needles(profile: Profile, events: list[Event]) -> list[str]:
    """Every string that names the person: profile ids and identifier values, also as they
    arrived in events (before normalisation)."""
    found = {profile.id, *profile.merged_ids, *(i.value for i in profile.identities)}
    for event in events:
        found.update(v for v in (event.user_id, event.anonymous_id) if v)
    return sorted(found)


def _flagged(request: PrivacyRequest, now: datetime) -> PrivacyRequest:
    overdue = request.status != "completed" and now > request.due_at
    return request if overdue == request.overdue else _replace(request, overdue=overdue)


def _replace(request: PrivacyRequest, **changes: object) -> PrivacyRequest:
    return msgspec.structs.replace(request, **changes)
