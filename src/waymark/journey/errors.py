"""Journey errors, with stable codes.

ConfigError
└── ModelError           journey.model_invalid: a model file names its file, line and field
NotFound
├── ModelNotFound        journey.model_not_found
└── ProfileNotFound      journey.profile_not_found
"""

from __future__ import annotations

from typing import Any

from waymark.core.errors import ConfigError, NotFound, TransientError


class ModelError(ConfigError):
    """A journey model that cannot be used. The message starts ``file:line: field: ...``."""

    code = "journey.model_invalid"

    def __init__(
        self, message: str, *, file: str, line: int | None, field: str, **details: Any
    ) -> None:
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: {field}: {message}", **details)
        self.file = file
        self.line = line
        self.field = field


class ModelNotFound(NotFound):
    code = "journey.model_not_found"


class ProfileNotFound(NotFound):
    code = "journey.profile_not_found"


class JourneysUnavailable(TransientError):
    code = "journey.unavailable"
