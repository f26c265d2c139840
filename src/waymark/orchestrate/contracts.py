"""What crosses the orchestrate boundary: the delivery log, flows, inbox messages, and the
views of a profile, a contact-policy verdict and a decision that the runtime hands in.

Orchestrate does not read identity, journey or decide state itself: the runtime implements
``waymark.orchestrate.ports`` (``Profiles``, ``ContactGate``, ``Decisions``) from their facades
and passes these structs in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

MessageStatus = Literal["scheduled", "sending", "retrying", "sent", "failed", "skipped", "dead"]
MESSAGE_STATUSES: tuple[MessageStatus, ...] = (
    "scheduled",
    "sending",
    "retrying",
    "sent",
    "failed",
    "skipped",
    "dead",
)
RunStatus = Literal["active", "done", "exited", "replaced", "cancelled"]


class MessageRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One message of one run's step: what was (or will be) sent, and what happened."""

    message_id: str
    """The idempotency key: one per (profile, flow, trigger occurrence, step). The email
    Message-ID and the webhook ``Idempotency-Key`` carry it."""
    profile_id: str
    flow_id: str
    step_id: str
    run_id: str
    channel: str
    status: MessageStatus
    reason: str = ""
    """Why it was skipped, failed, dead-lettered, or is still waiting (quiet hours, retry)."""
    target: str = ""
    """The email address, the webhook target name, or ``inbox``."""
    subject: str = ""
    attempts: int = 0
    experience_id: str | None = None
    decision_id: str | None = None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None = None
    due_at: datetime | None = None
    """When a scheduled or retrying message will (next) be tried."""


class MessageList(msgspec.Struct, frozen=True, kw_only=True):
    messages: list[MessageRecord]
    profile_id: str | None = None
    flow_id: str | None = None


class FlowSummary(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    description: str
    enabled: bool
    source: str
    """The file it was loaded from, or ``api`` when it was saved through the admin API."""
    version: str
    trigger: str
    """The trigger in words, e.g. ``3d after event Order Delivered``."""
    steps: list[str]
    """Step ids with their kind, e.g. ``ask-review (send email)``."""
    active: int = 0
    """Runs in progress."""
    sent: int = 0
    scheduled: int = 0
    failed: int = 0
    """Messages failed or dead-lettered."""
    runs: dict[str, int] = {}
    """Run count by status (active, done, exited, replaced, cancelled)."""
    messages: dict[str, int] = {}
    """Message count by status."""


class FlowList(msgspec.Struct, frozen=True, kw_only=True):
    flows: list[FlowSummary]


class InboxMessage(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    title: str
    body: str
    url: str | None = None
    flow_id: str
    created_at: datetime
    read_at: datetime | None = None


class Inbox(msgspec.Struct, frozen=True, kw_only=True):
    profile_id: str
    unread: int
    messages: list[InboxMessage]


class AudienceJoined(msgspec.Struct, frozen=True, kw_only=True):
    """A profile became a member of an audience (the runtime computes memberships)."""

    profile_id: str
    audience: str
    at: datetime
    occurrence: str = ""
    """What makes this joining distinct from an earlier one (default: the time)."""


# -- views handed in by the runtime --------------------------------------------------------------


class StagePosition(msgspec.Struct, frozen=True, kw_only=True):
    model: str
    product: str
    stage: str


class RecentEvent(msgspec.Struct, frozen=True, kw_only=True):
    label: str
    at: datetime
    properties: dict[str, Any] = {}


class ProfileView(msgspec.Struct, frozen=True, kw_only=True):
    """What a flow may know about a customer when it runs a step."""

    profile_id: str
    user_id: str | None = None
    anonymous_id: str | None = None
    """Events orchestration writes (sent, opened, trait updates) carry these ids."""
    email: str | None = None
    traits: dict[str, Any] = {}
    consent: dict[str, bool] = {}
    timezone: str | None = None
    stages: tuple[StagePosition, ...] = ()
    recent: tuple[RecentEvent, ...] = ()
    """Recent events, newest first (for ``event`` conditions)."""


Action = Literal["allow", "block", "defer"]


class Verdict(msgspec.Struct, frozen=True, kw_only=True):
    """The contact policy's answer for one send: allow it, block it (consent, caps) with a
    code, or defer it to ``until`` (quiet hours)."""

    action: Action
    code: str = ""
    reason: str = ""
    until: datetime | None = None


ALLOW = Verdict(action="allow")


class DecidedContent(msgspec.Struct, frozen=True, kw_only=True):
    """The next best experience chosen for a send step (templates see ``content.*``)."""

    experience_id: str
    decision_id: str
    content: dict[str, str]
    reason: str = ""


class StepActivity(msgspec.Struct, frozen=True, kw_only=True):
    """A send step's messages settled in a window, by status (sent, failed, skipped, dead)."""

    step_id: str
    channel: str
    messages: dict[str, int] = {}


class FlowActivity(msgspec.Struct, frozen=True, kw_only=True):
    """One flow over a recent window."""

    id: str
    name: str
    enabled: bool
    started: int = 0
    """Runs that started in the window."""
    ended: dict[str, int] = {}
    """Runs that ended in the window, by how: done, exited, replaced, cancelled."""
    active: int = 0
    """Runs in progress now."""
    steps: tuple[StepActivity, ...] = ()
    dead_letters: int = 0
    """Webhook messages given up on in the window (see ``/api/v1/webhooks/dead-letters``)."""


class FlowsActivity(msgspec.Struct, frozen=True, kw_only=True):
    since: datetime
    until: datetime
    flows: tuple[FlowActivity, ...] = ()
