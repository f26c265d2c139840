"""Privacy errors, each with a stable code."""

from __future__ import annotations

from waymark.core.errors import NotFound, ValidationError


class BadConsent(ValidationError):
    code = "privacy.bad_consent"


class RequestNotFound(NotFound):
    code = "privacy.request_not_found"


class PrivacyUnavailable(NotFound):
    code = "privacy.unavailable"
