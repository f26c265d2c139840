"""What orchestration needs from storage and from the rest of Waymark.

``FlowStore`` is implemented by ``waymark.store.duckdb.orchestrate``. ``Profiles``,
``ContactGate`` and ``Decisions`` are implemented by the runtime from the identity, journey and
decide facades (``waymark.orchestrate.adapters`` has implementations over the event log and
decide for when those are not wired). ``EventSink`` appends events (sent, trait updates) to the
event log through the runtime's group commit.

Durability contract of ``FlowStore`` (every backend): each method that writes is one
transaction; timers live until their step completes, so after a crash every due step is found
again by ``due``; a message recorded as ``sending`` keeps its payload, so a re-send after a
crash carries the same content and the same idempotency key.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

import msgspec

from waymark.core.events import Event
from waymark.orchestrate.config import Reentry
from waymark.orchestrate.contracts import (
    DecidedContent,
    InboxMessage,
    MessageRecord,
    MessageStatus,
    ProfileView,
    RunStatus,
    Verdict,
)

TimerKind = Literal["step", "calendar"]


class NewTimer(msgspec.Struct, frozen=True, kw_only=True):
    """A step (or a calendar date) that comes due at ``due_at``. ``timer_id`` is the step's
    idempotency key for step timers, so a step can have only one timer."""

    timer_id: str
    flow_id: str
    step_id: str
    due_at: datetime
    kind: TimerKind = "step"
    run_id: str | None = None
    profile_id: str | None = None
    channel: str | None = None
    """The send channel when the step is a send (for the "scheduled" delivery log)."""
    context: str | None = None
    """The run's trigger context (JSON), carried by each of its timers."""
    started_at: datetime | None = None
    """When the run's trigger happened."""


class NewRun(msgspec.Struct, frozen=True, kw_only=True):
    run_id: str
    flow_id: str
    profile_id: str
    occurrence: str
    started_at: datetime
    context: str
    """JSON: the trigger (event name, properties, product, stage) the templates see."""
    reentry: Reentry = "always"
    first: NewTimer | None = None


TimerState = Literal["pending", "sending", "retrying", "deferred"]
"""``pending``: not tried yet; ``sending``: a delivery was in flight (a crash left it);
``retrying``: waiting for the next attempt; ``deferred``: waiting for quiet hours to end."""


class DueTimer(msgspec.Struct, frozen=True, kw_only=True):
    """A due timer, with what a send recorded on its first attempt (re-sends reuse it)."""

    timer_id: str
    flow_id: str
    step_id: str
    due_at: datetime
    kind: TimerKind
    state: TimerState = "pending"
    attempts: int = 0
    run_id: str | None = None
    profile_id: str | None = None
    channel: str | None = None
    run_context: str | None = None
    run_started_at: datetime | None = None
    payload: str | None = None
    target: str = ""
    subject: str = ""
    user_id: str | None = None
    anonymous_id: str | None = None
    experience_id: str | None = None
    decision_id: str | None = None
    first_tried_at: datetime | None = None


class MessageRow(msgspec.Struct, frozen=True, kw_only=True):
    """A message as the store keeps it (``MessageRecord`` plus what re-sends need)."""

    message_id: str
    run_id: str
    profile_id: str
    flow_id: str
    step_id: str
    channel: str
    status: MessageStatus
    reason: str = ""
    target: str = ""
    subject: str = ""
    attempts: int = 0
    payload: str | None = None
    user_id: str | None = None
    anonymous_id: str | None = None
    experience_id: str | None = None
    decision_id: str | None = None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None = None
    due_at: datetime | None = None


class StepDone(msgspec.Struct, frozen=True, kw_only=True):
    """A timer's step completed: delete the timer, add the next one, maybe end the run."""

    timer_id: str
    run_id: str | None = None
    next: NewTimer | None = None
    finish: RunStatus | None = None
    reason: str = ""


class Reschedule(msgspec.Struct, frozen=True, kw_only=True):
    """Try the same step again later (a retry, or after quiet hours)."""

    timer_id: str
    due_at: datetime
    attempts: int
    state: Literal["retrying", "deferred"]
    reason: str = ""


class Completion(msgspec.Struct, frozen=True, kw_only=True):
    """Everything one scheduler cycle changes, written in one transaction."""

    at: datetime
    done: Sequence[StepDone] = ()
    rescheduled: Sequence[Reschedule] = ()
    messages: Sequence[MessageRow] = ()
    runs: Sequence[NewRun] = ()
    timers: Sequence[NewTimer] = ()
    """New calendar timers (the next year's date)."""


class InboxRow(msgspec.Struct, frozen=True, kw_only=True):
    message_id: str
    profile_id: str
    flow_id: str
    title: str
    body: str
    url: str | None
    created_at: datetime


class Contact(msgspec.Struct, frozen=True, kw_only=True):
    """A message sent to a profile (for contact caps)."""

    channel: str
    at: datetime
    experience_id: str | None = None


@runtime_checkable
class FlowStore(Protocol):
    """Flow runs, timers, the delivery log and inboxes (see the module docstring)."""

    def get_meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...

    def start_runs(
        self, runs: Sequence[NewRun], *, at: datetime, checkpoint: int | None = None
    ) -> int:
        """Insert the runs not already there (and their first timers), honouring each run's
        ``reentry``; with ``checkpoint``, store it in the same transaction. Returns the number
        of runs started."""
        ...

    def cancel_runs(
        self, pairs: Sequence[tuple[str, str]], *, status: RunStatus, reason: str, at: datetime
    ) -> int:
        """End the active runs of these (flow id, profile id) pairs and drop their timers."""
        ...

    def forget(self, profile_ids: Sequence[str]) -> dict[str, int]:
        """Delete everything held for these profiles (an erasure): their runs and run ends,
        timers and sends in flight, delivery log and inbox. Returns rows removed per table."""
        ...

    def ensure_timers(self, timers: Sequence[NewTimer], *, at: datetime) -> None:
        """Add timers that are not there yet (calendar dates)."""
        ...

    def next_due(self) -> datetime | None: ...

    def due(self, now: datetime, limit: int) -> list[DueTimer]:
        """Timers due at ``now``, earliest first (ties by id), with their run and any payload
        recorded for a send in flight."""
        ...

    def record_sending(self, messages: Sequence[MessageRow]) -> None:
        """Before delivering: each message's payload and details kept with its timer, the
        timer marked ``sending`` (a crash before ``complete`` leaves it so)."""
        ...

    def complete(self, completion: Completion) -> None:
        """One transaction: outcomes (``messages`` hold final statuses only), timers done or
        rescheduled, next timers, runs ended or started."""
        ...

    def messages(
        self,
        *,
        profile_id: str | None = None,
        flow_id: str | None = None,
        statuses: Sequence[MessageStatus] = (),
        limit: int = 100,
    ) -> list[MessageRecord]:
        """The delivery log: sends still to come (scheduled, sending, retrying; from the
        timers, soonest first), then outcomes (sent, failed, skipped, dead; newest first)."""
        ...

    def message(self, message_id: str) -> MessageRow | None: ...

    def contacts(self, profile_id: str, *, since: datetime) -> list[Contact]: ...

    def counts(self) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
        """(runs by flow and status, messages by flow and status)."""
        ...

    def activity(
        self, *, since: datetime, until: datetime
    ) -> tuple[dict[str, dict[str, int]], dict[tuple[str, str], dict[str, int]]]:
        """In ``(since, until]``: (runs by flow: ``started`` and ended by status; messages by
        (flow, step) and status, counted when they settled)."""
        ...

    def inbox_add(self, rows: Sequence[InboxRow]) -> None:
        """Idempotent by ``message_id``."""
        ...

    def inbox(self, profile_id: str, *, limit: int = 50) -> list[InboxMessage]: ...

    def inbox_read(self, profile_id: str, message_id: str, *, at: datetime) -> bool: ...

    def saved_flows(self) -> list[tuple[str, str]]:
        """(flow id, text) of flows saved through the admin API."""
        ...

    def save_flow(self, flow_id: str, text: str, *, at: datetime) -> None: ...

    def delete_flow(self, flow_id: str) -> bool: ...


@runtime_checkable
class Profiles(Protocol):
    def profile_id(self, event: Event) -> str | None:
        """The profile an event belongs to (after identity resolution)."""
        ...

    def get(self, profile_id: str, now: datetime) -> ProfileView | None: ...

    def ids(self) -> Iterator[str]:
        """Every profile id (calendar triggers go through them)."""
        ...


@runtime_checkable
class ContactGate(Protocol):
    """Consent, quiet hours and frequency caps (decide's contact policy)."""

    def check(
        self, profile: ProfileView, channel: str, now: datetime, *, experience_id: str | None
    ) -> Verdict: ...


@runtime_checkable
class Decisions(Protocol):
    """The next-best-experience engine, for send steps with ``decide``."""

    def decide(
        self, profile: ProfileView, channel: str, placement: str | None, now: datetime
    ) -> DecidedContent | None: ...


@runtime_checkable
class EventSink(Protocol):
    def append(self, events: Sequence[Event]) -> None:
        """Durably append (duplicates by message id are dropped by the log)."""
        ...
