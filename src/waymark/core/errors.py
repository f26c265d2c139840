"""One error hierarchy for all of Waymark.

Every error carries a stable ``code`` (``area.reason``) and a human message. Two mixins tell
callers what to do with it, and callers decide only by ``isinstance``:

    WaymarkError
    ├── ConfigError            (terminal) bad configuration: names the field
    │   └── ConfigFileError    (terminal) a configuration file: names file, line and field
    ├── ValidationError        (terminal) bad input from a client: names the field
    │   └── PayloadTooLarge    (terminal) a message or batch over its size limit
    ├── AuthError              (terminal) missing or wrong credentials
    ├── NotFound               (terminal) the thing asked for does not exist
    ├── Conflict               (terminal) the request conflicts with current state
    ├── StorageError           (transient) the store failed; retrying may succeed
    │   └── StoreLocked        (transient) another process holds the data directory
    └── DeliveryError          (transient) a channel could not deliver; retry later

``TransientError`` means "retry may help"; ``TerminalError`` means "retrying the same thing
will fail again". Adapters map these to HTTP statuses in one place (``waymark.api``).
"""

from __future__ import annotations

from typing import Any


class WaymarkError(Exception):
    """Base of every error Waymark raises on purpose."""

    code: str = "waymark.error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details: dict[str, Any] = details

    def __str__(self) -> str:
        return self.message


class TransientError(WaymarkError):
    """Retrying later may succeed (a store hiccup, a channel that is down)."""

    retry_after: float | None = None


class TerminalError(WaymarkError):
    """Retrying the same request will fail the same way."""


class ConfigError(TerminalError):
    code = "config.invalid"


class ConfigFileError(ConfigError):
    """A configuration file that cannot be used. The message starts ``file:line: field: ...``
    so editors and terminals can jump to the place; features subclass it with their code."""

    def __init__(
        self, message: str, *, file: str, line: int | None, field: str, **details: Any
    ) -> None:
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: {field}: {message}", **details)
        self.file = file
        self.line = line
        self.field = field


class ValidationError(TerminalError):
    code = "validation.invalid"

    def __init__(self, message: str, *, field: str | None = None, **details: Any) -> None:
        super().__init__(message, **details)
        self.field = field


class PayloadTooLarge(ValidationError):
    code = "validation.too_large"


class AuthError(TerminalError):
    code = "auth.unauthorized"


class NotFound(TerminalError):
    code = "not_found"


class Conflict(TerminalError):
    code = "conflict"


class StorageError(TransientError):
    code = "store.error"


class StoreLocked(StorageError):
    code = "store.locked"


class DeliveryError(TransientError):
    code = "delivery.failed"

    def __init__(self, message: str, *, retry_after: float | None = None, **details: Any) -> None:
        super().__init__(message, **details)
        self.retry_after = retry_after
