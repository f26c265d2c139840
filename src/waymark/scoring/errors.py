"""Lead-scoring errors, with stable codes.

ConfigFileError
└── ScoringConfigError   scoring.config_invalid: names the file, line and field
NotFound
└── SubjectNotFound      scoring.subject_not_found: no such profile or account
TransientError
└── ScoringUnavailable   scoring.unavailable: the server runs no lead scoring
"""

from __future__ import annotations

from waymark.core.errors import ConfigFileError, NotFound, TransientError


class ScoringConfigError(ConfigFileError):
    """A scoring file that cannot be used. The message starts ``file:line: field: ...``."""

    code = "scoring.config_invalid"


class SubjectNotFound(NotFound):
    code = "scoring.subject_not_found"


class ScoringUnavailable(TransientError):
    code = "scoring.unavailable"
