"""Issuing and checking preference-centre links. Built before the rest of privacy, because
orchestration puts a link in every email it renders and privacy's erasure holds orchestration
still: both need this, neither needs the other to exist first."""

from __future__ import annotations

from pathlib import Path

from waymark.core.clock import Clock
from waymark.privacy._secret import installation_secret
from waymark.privacy._tokens import LinkTokens
from waymark.privacy.config import PrivacyConfig
from waymark.privacy.contracts import LinkClaims, PreferenceLink


class PreferenceLinks:
    def __init__(self, tokens: LinkTokens, *, clock: Clock, config: PrivacyConfig) -> None:
        self._tokens = tokens
        self._clock = clock
        self.config = config

    @classmethod
    def for_installation(
        cls, data_dir: Path, *, clock: Clock, config: PrivacyConfig
    ) -> PreferenceLinks:
        """Signed with the configured secret, else the one kept in ``data_dir``."""
        secret = (
            config.secret.reveal().encode()
            if config.secret is not None
            else installation_secret(data_dir)
        )
        return cls(LinkTokens(secret), clock=clock, config=config)

    def link_for(self, profile_id: str) -> PreferenceLink:
        token, claims = self._tokens.issue(
            profile_id, now=self._clock.now(), ttl=self.config.link_ttl
        )
        return PreferenceLink(
            url=f"{self.config.public_url}/preferences/{token}",
            token_id=claims.token_id,
            expires_at=claims.expires_at,
        )

    def url_for(self, profile_id: str) -> str:
        return self.link_for(profile_id).url

    def verify(self, token: str) -> LinkClaims:
        return self._tokens.verify(token, now=self._clock.now())

    def form_key(self, claims: LinkClaims) -> str:
        return self._tokens.form_key(claims)

    def form_key_ok(self, claims: LinkClaims, given: str) -> bool:
        return self._tokens.check_form_key(claims, given)
