"""The preference centre behind ``/preferences/{token}``: links are issued for a profile,
checked (signature, expiry, revocation, the person still known) before anything is read, and
answered with what Waymark holds about the person. The HTTP adapter renders it; consent changes
go through ``PrivacyService.consent_change`` like any other."""

from __future__ import annotations

from waymark.core.clock import Clock
from waymark.core.errors import NotFound
from waymark.identity.api import IdentityService
from waymark.identity.contracts import Profile
from waymark.journey.api import JourneyService
from waymark.privacy._links import PreferenceLinks
from waymark.privacy.contracts import (
    PURPOSES,
    LinkClaims,
    PreferenceLink,
    PreferencesView,
    RevokedLinks,
    StageView,
)
from waymark.privacy.errors import BadLink
from waymark.privacy.ports import Messages, PrivacyStore

RECENT_MESSAGES = 20
_HIDDEN_TRAITS = ("consent",)
"""Shown as consent, not as traits."""


class PreferenceCentre:
    def __init__(
        self,
        *,
        links: PreferenceLinks,
        store: PrivacyStore,
        identity: IdentityService,
        journeys: JourneyService | None,
        messages: Messages | None,
        clock: Clock,
    ) -> None:
        self._links = links
        self._store = store
        self._identity = identity
        self._journeys = journeys
        self._messages = messages
        self._clock = clock

    # -- links ---------------------------------------------------------------------------------

    def link(self, profile_id: str) -> PreferenceLink:
        """A new link for the profile (the profile must exist: ``NotFound`` otherwise)."""
        return self._links.link_for(self._identity.profile(profile_id).id)

    def open(self, token: str) -> tuple[LinkClaims, Profile]:
        """The claims and profile of a link that may be honoured now; ``BadLink`` saying why
        otherwise. Nothing about the person is read before the token checks out."""
        claims = self._links.verify(token)
        if self._store.link_revoked(claims.token_id):
            raise BadLink("this link has been withdrawn", reason="revoked")
        try:
            profile = self._identity.profile(claims.profile_id)
        except NotFound:
            raise BadLink("we hold no data for this link any more", reason="gone") from None
        not_before = self._store.links_not_before(profile.id)
        if not_before is not None and claims.issued_at < not_before:
            raise BadLink("this link has been withdrawn", reason="revoked")
        return claims, profile

    def form_key(self, claims: LinkClaims) -> str:
        return self._links.form_key(claims)

    def check_form(self, claims: LinkClaims, given: str | None) -> None:
        if not given or not self._links.form_key_ok(claims, given):
            raise BadLink("this form did not come from your preferences page", reason="form")

    def revoke(self, token_id: str) -> RevokedLinks:
        self._store.revoke_link(token_id, at=self._clock.now())
        return RevokedLinks(token_id=token_id)

    def revoke_all(self, profile_id: str) -> RevokedLinks:
        profile = self._identity.profile(profile_id)
        now = self._clock.now()
        self._store.set_links_not_before(profile.id, now)
        return RevokedLinks(profile_id=profile.id, not_before=now)

    # -- the page ------------------------------------------------------------------------------

    def view(self, claims: LinkClaims, profile: Profile) -> PreferencesView:
        return PreferencesView(
            profile_id=profile.id,
            identities=[(i.type, i.value) for i in profile.identities],
            traits={k: t.value for k, t in profile.traits.items() if not _hidden(k)},
            consent={p: profile.consent.get(p, False) for p in PURPOSES},
            stages=self._stages(profile.id),
            messages=(
                [] if self._messages is None else self._messages(profile.id, limit=RECENT_MESSAGES)
            ),
            expires_at=claims.expires_at,
        )

    def _stages(self, profile_id: str) -> list[StageView]:
        if self._journeys is None:
            return []
        return [
            StageView(model=j.model, product=j.product, stage=j.stage, since=j.since)
            for j in self._journeys.journeys(profile_id)
        ]


def _hidden(key: str) -> bool:
    return key in _HIDDEN_TRAITS or key.startswith("consent_")
