"""Accounts errors, with stable codes.

ConfigFileError
└── AccountsConfigError   accounts.config_invalid: accounts.yaml names its file, line and field
NotFound
└── AccountNotFound       accounts.account_not_found
"""

from __future__ import annotations

from waymark.core.errors import ConfigFileError, NotFound


class AccountsConfigError(ConfigFileError):
    code = "accounts.config_invalid"


class AccountNotFound(NotFound):
    code = "accounts.account_not_found"
