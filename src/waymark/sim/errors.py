"""Simulator errors, with stable codes.

ConfigError
└── PresetError          sim.preset_invalid: names the file, the line and the field
NotFound
└── PresetNotFound       sim.preset_not_found
TerminalError
└── TruthError           sim.truth_invalid: a ground-truth directory that cannot be read
DeliveryError
└── SendFailed           sim.send_failed: the tracking API refused or lost messages
"""

from __future__ import annotations

from typing import Any

from waymark.core.errors import ConfigError, DeliveryError, NotFound, TerminalError


class PresetError(ConfigError):
    """A preset that cannot be used. The message starts ``file:line: field: ...``."""

    code = "sim.preset_invalid"

    def __init__(
        self, message: str, *, file: str, line: int | None, field: str, **details: Any
    ) -> None:
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: {field}: {message}", **details)
        self.file = file
        self.line = line
        self.field = field


class PresetNotFound(NotFound):
    code = "sim.preset_not_found"


class TruthError(TerminalError):
    code = "sim.truth_invalid"


class SendFailed(DeliveryError):
    code = "sim.send_failed"
