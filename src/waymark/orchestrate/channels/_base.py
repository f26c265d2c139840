"""The batching base every channel shares (after Quix Streams' sink base): a channel opens one
session per batch (an SMTP connection, an HTTP client) and sends each message through it; it
only implements ``session`` and ``send_one``.

A channel raises ``DeliveryError`` (transient, optional ``retry_after``) or a ``TerminalError``
(``DeliveryRefused``); the base turns them into ``Result``s. The engine, not the channel,
decides when to retry (durably, as a timer), so a retry survives a restart.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import msgspec

from waymark.core.errors import DeliveryError, TerminalError

S = TypeVar("S")


class Outgoing(msgspec.Struct, frozen=True, kw_only=True):
    """One message to deliver. ``key`` is the idempotency key (the same on every attempt)."""

    key: str
    profile_id: str
    flow_id: str
    step_id: str
    payload: dict[str, Any]
    attempt: int = 1


class Result(msgspec.Struct, frozen=True, kw_only=True):
    ok: bool
    transient: bool = False
    reason: str = ""
    retry_after: float | None = None


DELIVERED = Result(ok=True)


class Channel(Protocol):
    @property
    def name(self) -> str: ...

    def unavailable(self) -> str | None:
        """Why nothing can be sent on this channel now (not configured), else None."""
        ...

    def send_batch(self, items: Sequence[Outgoing]) -> list[Result]:
        """One result per item, in order. Never raises for a delivery problem."""
        ...


class BatchingChannel(ABC, Generic[S]):
    name: ClassVar[str]
    max_batch: ClassVar[int] = 100
    stop_on_transient: ClassVar[bool] = False
    """True when a transient error means the session is broken (SMTP): the rest of the
    chunk is not attempted and is retried later."""

    def unavailable(self) -> str | None:
        return None

    @abstractmethod
    def session(self) -> AbstractContextManager[S]:
        """One connection for a chunk; raise ``DeliveryError`` if it cannot be opened."""

    @abstractmethod
    def send_one(self, session: S, item: Outgoing) -> None:
        """Deliver one message or raise ``DeliveryError`` / ``TerminalError``."""

    def send_batch(self, items: Sequence[Outgoing]) -> list[Result]:
        results: list[Result] = []
        for start in range(0, len(items), self.max_batch):
            results.extend(self._chunk(items[start : start + self.max_batch]))
        return results

    def _chunk(self, chunk: Sequence[Outgoing]) -> list[Result]:
        out: list[Result] = []
        try:
            with self.session() as session:
                for item in chunk:
                    result = self._attempt(session, item)
                    out.append(result)
                    if result.transient and self.stop_on_transient:
                        break
        except DeliveryError as exc:
            if len(out) < len(chunk):
                # the session failed before these were tried: they go again later
                out.append(_transient(exc))
        except TerminalError as exc:
            if len(out) < len(chunk):
                out.append(Result(ok=False, reason=exc.message))
        while len(out) < len(chunk):
            out.append(
                Result(
                    ok=False,
                    transient=True,
                    reason=f"not attempted: {out[-1].reason}" if out else "not attempted",
                    retry_after=out[-1].retry_after if out else None,
                )
            )
        return out

    def _attempt(self, session: S, item: Outgoing) -> Result:
        try:
            self.send_one(session, item)
        except DeliveryError as exc:
            return _transient(exc)
        except TerminalError as exc:
            return Result(ok=False, reason=exc.message)
        return DELIVERED


def _transient(exc: DeliveryError) -> Result:
    return Result(ok=False, transient=True, reason=exc.message, retry_after=exc.retry_after)
