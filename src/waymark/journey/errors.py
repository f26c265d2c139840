"""Journey errors, with stable codes.

ConfigFileError
└── ModelError           journey.model_invalid: a model file names its file, line and field
NotFound
├── ModelNotFound        journey.model_not_found
└── ProfileNotFound      journey.profile_not_found
"""

from __future__ import annotations

from waymark.core.errors import ConfigFileError, NotFound, TransientError


class ModelError(ConfigFileError):
    """A journey model that cannot be used. The message starts ``file:line: field: ...``."""

    code = "journey.model_invalid"


class ModelNotFound(NotFound):
    code = "journey.model_not_found"


class ProfileNotFound(NotFound):
    code = "journey.profile_not_found"


class JourneysUnavailable(TransientError):
    code = "journey.unavailable"
