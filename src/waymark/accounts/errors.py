"""Accounts errors, with stable codes.

ConfigFileError
└── AccountsConfigError   accounts.config_invalid: accounts.yaml names its file, line and field
NotFound
├── AccountNotFound       accounts.account_not_found
└── UnknownModel          accounts.model_not_found: a filter names a model that is not running
ValidationError
└── UnknownStage          accounts.stage_invalid: a filter names a stage the model lacks
"""

from __future__ import annotations

from waymark.core.errors import ConfigFileError, NotFound, ValidationError


class AccountsConfigError(ConfigFileError):
    code = "accounts.config_invalid"


class AccountNotFound(NotFound):
    code = "accounts.account_not_found"


class UnknownModel(NotFound):
    code = "accounts.model_not_found"


class UnknownStage(ValidationError):
    code = "accounts.stage_invalid"
