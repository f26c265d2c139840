"""Privacy errors, each with a stable code."""

from __future__ import annotations

from typing import Literal

from waymark.core.errors import AuthError, NotFound, ValidationError

LinkProblem = Literal["malformed", "forged", "expired", "revoked", "gone", "form"]


class BadConsent(ValidationError):
    code = "privacy.bad_consent"


class RequestNotFound(NotFound):
    code = "privacy.request_not_found"


class PrivacyUnavailable(NotFound):
    code = "privacy.unavailable"


class BadLink(AuthError):
    """A preference-centre link that cannot be honoured; ``reason`` says why (the page tells
    the customer, without any of their data)."""

    code = "privacy.bad_link"

    def __init__(self, message: str, *, reason: LinkProblem) -> None:
        super().__init__(message, reason=reason)
        self.reason: LinkProblem = reason
