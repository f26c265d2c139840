"""Simulator errors, with stable codes.

ConfigFileError
└── PresetError          sim.preset_invalid: names the file, the line and the field
NotFound
└── PresetNotFound       sim.preset_not_found
TerminalError
└── TruthError           sim.truth_invalid: a ground-truth directory that cannot be read
DeliveryError
└── SendFailed           sim.send_failed: the tracking API refused or lost messages
"""

from __future__ import annotations

from waymark.core.errors import ConfigFileError, DeliveryError, NotFound, TerminalError


class PresetError(ConfigFileError):
    """A preset that cannot be used. The message starts ``file:line: field: ...``."""

    code = "sim.preset_invalid"


class PresetNotFound(NotFound):
    code = "sim.preset_not_found"


class TruthError(TerminalError):
    code = "sim.truth_invalid"


class SendFailed(DeliveryError):
    code = "sim.send_failed"
