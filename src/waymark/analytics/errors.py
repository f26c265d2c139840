"""Analytics errors. Each names the field at fault.

WaymarkError
├── ValidationError
│   └── InvalidQuery          analytics.invalid_query: a report or funnel definition is wrong
└── ConfigError
    ├── InvalidInput          analytics.invalid_input: the data given lacks a needed column
    └── ConfigFileError
        └── GoalsInvalid      analytics.goals_invalid: goals.yaml (file:line: field: why)
"""

from __future__ import annotations

from waymark.core.errors import ConfigError, ConfigFileError, TransientError, ValidationError


class InvalidQuery(ValidationError):
    code = "analytics.invalid_query"


class InvalidInput(ConfigError):
    code = "analytics.invalid_input"


class AnalyticsUnavailable(TransientError):
    code = "analytics.unavailable"


class GoalsInvalid(ConfigFileError):
    """Stage goals that cannot be used; the message starts ``file:line: field:``."""

    code = "analytics.goals_invalid"
