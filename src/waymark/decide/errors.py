"""Decide errors, with stable codes.

ConfigError
└── CatalogInvalid          decide.catalog_invalid: names the field (and file:line)
ValidationError
└── InvalidDecideRequest    decide.invalid_request
NotFound
├── UnknownDecision         decide.unknown_decision
├── UnknownExperience       decide.unknown_experience
└── UnknownAudience         decide.unknown_audience
"""

from __future__ import annotations

from typing import Any

from waymark.core.errors import ConfigError, NotFound, ValidationError


class CatalogInvalid(ConfigError):
    code = "decide.catalog_invalid"

    def __init__(
        self,
        message: str,
        *,
        field: str,
        file: str | None = None,
        line: int | None = None,
        **details: Any,
    ) -> None:
        where = f"{file or '<catalog>'}:{line}: " if line is not None else ""
        super().__init__(f"{where}{field}: {message}", **details)
        self.field = field
        self.file = file
        self.line = line


class DecideUnavailable(ConfigError):
    code = "decide.unavailable"


class UnknownProfile(NotFound):
    code = "decide.unknown_profile"


class InvalidDecideRequest(ValidationError):
    code = "decide.invalid_request"


class UnknownDecision(NotFound):
    code = "decide.unknown_decision"


class UnknownExperience(NotFound):
    code = "decide.unknown_experience"


class UnknownAudience(NotFound):
    code = "decide.unknown_audience"
