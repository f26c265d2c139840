"""Orchestration errors, with stable codes.

ConfigError
├── FlowInvalid            orchestrate.flow_invalid: names the file, line and field
└── ChannelConfigInvalid   orchestrate.channel_config: a channel setting (names the variable)
NotFound
├── UnknownFlow            orchestrate.unknown_flow
└── UnknownMessage         orchestrate.unknown_message
AuthError
└── BadToken               orchestrate.bad_token: a tracking, inbox or unsubscribe token
Conflict
└── FlowConflict           orchestrate.flow_conflict
ConfigError
└── OrchestrateUnavailable orchestrate.unavailable: the server runs no orchestrator
DeliveryError (transient)  delivery.failed: raised by channels; carries ``retry_after``
TerminalError
└── DeliveryRefused        delivery.refused: the receiver refused for good (no retry)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from waymark.core.errors import AuthError, ConfigError, Conflict, NotFound, TerminalError


class Problem:
    """One validation problem: where (field path, line) and what."""

    __slots__ = ("field", "line", "message")

    def __init__(self, field: str, message: str, line: int | None = None) -> None:
        self.field = field
        self.message = message
        self.line = line

    def render(self, file: str) -> str:
        where = f"{file}:{self.line}: " if self.line is not None else f"{file}: "
        return f"{where}{self.field}: {self.message}"


class FlowInvalid(ConfigError):
    code = "orchestrate.flow_invalid"

    def __init__(self, problems: Sequence[Problem], *, file: str, **details: Any) -> None:
        first = problems[0]
        text = "\n".join(p.render(file) for p in problems)
        super().__init__(text, **details)
        self.field = first.field
        self.file = file
        self.line = first.line
        self.problems = tuple(problems)


class ChannelConfigInvalid(ConfigError):
    code = "orchestrate.channel_config"

    def __init__(self, message: str, *, field: str, **details: Any) -> None:
        super().__init__(f"{field}: {message}", **details)
        self.field = field


class UnknownFlow(NotFound):
    code = "orchestrate.unknown_flow"


class UnknownMessage(NotFound):
    code = "orchestrate.unknown_message"


class BadToken(AuthError):
    code = "orchestrate.bad_token"


class FlowConflict(Conflict):
    code = "orchestrate.flow_conflict"


class DeliveryRefused(TerminalError):
    """The receiver refused the message for good (a 4xx answer, a rejected recipient)."""

    code = "delivery.refused"


class OrchestrateUnavailable(ConfigError):
    code = "orchestrate.unavailable"
