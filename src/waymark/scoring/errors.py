"""Lead-scoring errors, with stable codes.

ConfigError
└── ScoringConfigError   scoring.config_invalid: names the file, line and field
NotFound
└── SubjectNotFound      scoring.subject_not_found: no such profile or account
TransientError
└── ScoringUnavailable   scoring.unavailable: the server runs no lead scoring
"""

from __future__ import annotations

from typing import Any

from waymark.core.errors import ConfigError, NotFound, TransientError


class ScoringConfigError(ConfigError):
    """A scoring file that cannot be used. The message starts ``file:line: field: ...``."""

    code = "scoring.config_invalid"

    def __init__(
        self, message: str, *, file: str, line: int | None, field: str, **details: Any
    ) -> None:
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: {field}: {message}", **details)
        self.file = file
        self.line = line
        self.field = field


class SubjectNotFound(NotFound):
    code = "scoring.subject_not_found"


class ScoringUnavailable(TransientError):
    code = "scoring.unavailable"
