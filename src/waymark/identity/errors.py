"""Identity errors, each with a stable code:

WaymarkError
├── ConfigError
│   └── IdentityConfigError        identity.config_invalid  (names the field, file, line)
├── ValidationError
│   └── UnknownIdentifierType      identity.unknown_type
├── NotFound
│   └── ProfileNotFound            identity.profile_not_found
└── TransientError
    └── IdentityUnavailable        identity.unavailable  (not set up on this server)
"""

from __future__ import annotations

from waymark.core.errors import ConfigError, NotFound, TransientError, ValidationError


class IdentityConfigError(ConfigError):
    code = "identity.config_invalid"


class UnknownIdentifierType(ValidationError):
    code = "identity.unknown_type"


class ProfileNotFound(NotFound):
    code = "identity.profile_not_found"


class IdentityUnavailable(TransientError):
    code = "identity.unavailable"
