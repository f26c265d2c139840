"""Typed configuration: the flow document (one YAML file or admin API body per flow) and the
orchestrator's settings from the environment.

Field shapes are checked by msgspec; rules spanning fields (exactly one trigger kind, known
steps and stages, durations, templates) are registered in ``waymark.orchestrate._rules``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import msgspec

from waymark.core.errors import ConfigError
from waymark.core.settings import DEFAULT_PUBLIC_URL, Secret, parse_public_url
from waymark.orchestrate._durations import parse_duration

Op = Literal["eq", "ne", "in", "not_in", "exists", "missing", "gt", "gte", "lt", "lte"]
OPS: tuple[Op, ...] = ("eq", "ne", "in", "not_in", "exists", "missing", "gt", "gte", "lt", "lte")
ChannelName = Literal["email", "webhook", "inbox"]
Reentry = Literal["always", "once", "replace"]
StaleAction = Literal["send", "skip"]


class _Doc(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base: flow documents reject fields they do not know, so typos fail the load."""


class Condition(_Doc, frozen=True, kw_only=True):
    """One test. Exactly one of ``field``, ``trait``, ``event``, ``journey`` says what it tests.

    - ``field``: a field of the triggering event (``properties.total``, ``channel``).
    - ``trait``: a profile trait (dots reach into objects: ``address.country``).
    - ``event``: the profile did this event (label, e.g. ``Review Submitted``), ``within`` a
      time or ``since_trigger``; ``absent: true`` inverts it.
    - ``journey``: the profile's current stage on this model for ``product`` (default: the
      run's product), compared with ``op``/``value`` (e.g. ``op: in, value: [adoption]``).
    """

    field: str | None = None
    trait: str | None = None
    event: str | None = None
    journey: str | None = None
    product: str | None = None
    op: Op = "eq"
    value: Any = None
    within: str | None = None
    since_trigger: bool = False
    absent: bool = False
    properties: dict[str, Any] = {}
    """For ``event``: each given property must be equal in the event."""


class StageTrigger(_Doc, frozen=True, kw_only=True):
    model: str
    """A journey model name (``hourglass``, ``value-journey``, ``buy-own-advocate``)."""
    product: str | None = None
    """Only changes for this product (default: any product)."""
    enter: str | None = None
    leave: str | None = None
    direction: Literal["enter", "forward", "back"] | None = None


class DateTrigger(_Doc, frozen=True, kw_only=True):
    """A calendar date every year (``every_year: "12-10"``), or a date relative to a trait
    (``trait: trial_ends_at, offset: -3d``), at a time of day in a time zone."""

    every_year: str | None = None
    trait: str | None = None
    offset: str = "0s"
    at: str = "10:00"
    timezone: str = "UTC"


class ScoreLabelTrigger(_Doc, frozen=True, kw_only=True):
    """A lead-score label reached (``waymark.scoring``): "became sales-qualified". The run is
    the person's (for an account: its first member by id); ``trigger.account`` names the
    account. Once per crossing: a label lost and reached again starts a new run."""

    label: str
    subject: Literal["person", "account"] = "person"
    product: str | None = None
    """Only for this product (default: any product)."""
    model: str | None = None


class Trigger(_Doc, frozen=True, kw_only=True):
    """What starts a run. Exactly one of ``event``, ``stage``, ``date``, ``audience``,
    ``score_label``."""

    event: str | None = None
    """An event label: a track event name (``Order Shipped``) or ``page: <name>``."""
    stage: StageTrigger | None = None
    date: DateTrigger | None = None
    audience: str | None = None
    """Joining this audience (fed by the runtime from decide's audiences)."""
    score_label: ScoreLabelTrigger | None = None
    where: tuple[Condition, ...] = ()
    delay: str | None = None
    """Start this long after the trigger, e.g. ``3d`` after ``Order Delivered``."""


class DecideSpec(_Doc, frozen=True, kw_only=True):
    """Let the next-best-experience engine choose the content (``content.*`` in templates)."""

    placement: str | None = None
    channel: str | None = None
    """The decide channel, when it differs from the send channel (e.g. ``web`` for inbox)."""


class SendSpec(_Doc, frozen=True, kw_only=True):
    channel: ChannelName
    decide: DecideSpec | None = None
    # email
    subject: str | None = None
    text: str | None = None
    html: str | None = None
    from_name: str | None = None
    reply_to: str | None = None
    track: bool = True
    """Email: rewrite links through the click redirect and add the open pixel."""
    # inbox
    title: str | None = None
    body: str | None = None
    url: str | None = None
    # webhook
    target: str | None = None
    payload: dict[str, Any] = {}
    """Webhook JSON ``data``; string values anywhere inside are templates."""
    consent: str | None = None
    """Webhook: the contact-policy channel this send counts as (e.g. ``ads`` for an ad
    audience sync); without it, webhooks are system notifications and not gated."""
    experience: str | None = None
    """Fixed content: the catalog experience it stands for (contact caps per experience)."""


class BranchCase(_Doc, frozen=True, kw_only=True):
    when: tuple[Condition, ...] = ()
    """Every condition must hold; an empty ``when`` is the ``else`` case."""
    goto: str
    """A later step's id, or ``exit``."""


class Step(_Doc, frozen=True, kw_only=True):
    """One step. Exactly one of ``wait``, ``branch``, ``send``, ``update_traits``, ``exit``."""

    id: str
    name: str = ""
    wait: str | None = None
    branch: tuple[BranchCase, ...] | None = None
    send: SendSpec | None = None
    update_traits: dict[str, Any] | None = None
    exit: bool | None = None


class WebhookTarget(_Doc, frozen=True, kw_only=True):
    """Where a webhook goes. ``url``/``secret`` may come from the environment instead
    (``url_env``/``secret_env``, or ``WAYMARK_WEBHOOK_<NAME>_URL`` / ``_SECRET``)."""

    url: str | None = None
    url_env: str | None = None
    secret: str | None = None
    secret_env: str | None = None
    timeout: float = 10.0


class Stale(_Doc, frozen=True, kw_only=True):
    """Steps that come due while Waymark is down run on restart, in order; a send later than
    ``after`` follows ``policy`` (``send`` anyway, or ``skip`` with the reason recorded)."""

    after: str = "1d"
    policy: StaleAction = "skip"


class FlowDoc(_Doc, frozen=True, kw_only=True):
    """One flow, as written in YAML."""

    id: str
    name: str = ""
    description: str = ""
    enabled: bool = True
    trigger: Trigger
    steps: tuple[Step, ...]
    reentry: Reentry = "always"
    """``always``: a run per trigger occurrence; ``once``: at most one run per profile ever;
    ``replace``: a new occurrence cancels the profile's active run of this flow."""
    exit_on: tuple[str, ...] = ()
    """Event labels that end the profile's active runs of this flow (e.g. ``Order Cancelled``)."""
    stale: Stale | None = None
    vars: dict[str, Any] = {}
    """Constants the templates see as ``vars.*`` (video links, the company name)."""
    webhooks: dict[str, WebhookTarget] = {}


# -- settings ------------------------------------------------------------------------------------


class RetryPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """Exponential backoff with jitter for transient delivery failures."""

    first: timedelta = timedelta(seconds=30)
    factor: float = 2.0
    longest: timedelta = timedelta(hours=6)
    attempts: int = 8
    """Deliveries tried before a message is failed (email) or dead-lettered (webhook)."""
    jitter: float = 0.5
    """The share of each delay that is random (0: none, 1: anywhere from 0 to the delay)."""


class OrchestrateConfig(msgspec.Struct, frozen=True, kw_only=True):
    flows_dir: Path | None = None
    """Flow files (``--flows``, ``WAYMARK_FLOWS``); None: the shipped seed 000 flows."""
    smtp_url: Secret | None = None
    """``WAYMARK_SMTP_URL``: ``smtp://user:pass@host:port?starttls=1`` (``smtps://`` for TLS
    from the start). None: email sends are recorded as skipped (channel not configured)."""
    email_from: str = "Waymark <waymark@localhost>"
    """``WAYMARK_EMAIL_FROM``: the sender address, optionally with a display name."""
    public_url: str = DEFAULT_PUBLIC_URL
    """``WAYMARK_PUBLIC_URL``: the server's address as customers reach it (tracking links)."""
    tracking_secret: Secret | None = None
    """``WAYMARK_TRACKING_SECRET``: signs tracking, unsubscribe and inbox tokens; when unset
    a random one is generated once and kept in the store."""
    stale: timedelta = timedelta(days=1)
    stale_policy: StaleAction = "skip"
    retry: RetryPolicy = RetryPolicy()
    batch: int = 500
    """Due steps fired per scheduler cycle."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str], **overrides: object) -> OrchestrateConfig:
        """Settings from an explicit environment mapping (``os.environ`` at start-up)."""
        values: dict[str, object] = {}
        if raw := environ.get("WAYMARK_FLOWS"):
            values["flows_dir"] = Path(raw)
        if raw := environ.get("WAYMARK_SMTP_URL"):
            values["smtp_url"] = Secret(raw)
        if raw := environ.get("WAYMARK_EMAIL_FROM"):
            values["email_from"] = raw
        if raw := environ.get("WAYMARK_PUBLIC_URL"):
            values["public_url"] = parse_public_url(raw)
        if raw := environ.get("WAYMARK_TRACKING_SECRET"):
            values["tracking_secret"] = Secret(raw)
        if raw := environ.get("WAYMARK_STALE_AFTER"):
            try:
                values["stale"] = parse_duration(raw)
            except ValueError as exc:
                raise ConfigError(
                    f"WAYMARK_STALE_AFTER: {exc}", field="WAYMARK_STALE_AFTER"
                ) from None
        if raw := environ.get("WAYMARK_STALE_POLICY"):
            if raw not in ("send", "skip"):
                raise ConfigError(
                    f"WAYMARK_STALE_POLICY must be send or skip, got {raw!r}",
                    field="WAYMARK_STALE_POLICY",
                )
            values["stale_policy"] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
