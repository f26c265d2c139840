"""Firing due steps: the durable heart of orchestration.

One cycle takes the due timers (earliest first), works out what each step does, then

1. records every send as ``sending`` with its rendered payload (one transaction),
2. hands the sends to their channels in batches (each message carries its idempotency key),
3. appends the events the cycle produced (sent, trait updates) to the log,
4. records every outcome and the runs' next timers (one transaction).

A crash between 1 and 4 leaves the timers in place and the messages ``sending``: on restart
the same step runs again with the same payload and the same key. That is the contract:
at-least-once delivery with an idempotency key the receiver can dedupe on (the email
Message-ID, the webhook ``Idempotency-Key``); the inbox dedupes itself.
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import msgspec

from waymark.core.clock import Clock
from waymark.core.errors import WaymarkError
from waymark.core.events import Channel as EventChannel
from waymark.core.events import Event
from waymark.orchestrate import _render
from waymark.orchestrate._conditions import Scope, all_hold
from waymark.orchestrate._flow import Flow, FlowSet
from waymark.orchestrate._keys import step_key
from waymark.orchestrate._render import unsubscribe_url
from waymark.orchestrate._retry import backoff
from waymark.orchestrate._templates import RenderFailed
from waymark.orchestrate._tokens import Tokens
from waymark.orchestrate._triggers import channel_of, from_calendar, next_calendar
from waymark.orchestrate.channels._base import Channel, Outgoing, Result
from waymark.orchestrate.channels.email import address_ok
from waymark.orchestrate.config import OrchestrateConfig, SendSpec, Step
from waymark.orchestrate.contracts import DecidedContent, MessageStatus, ProfileView, RunStatus
from waymark.orchestrate.ports import (
    Completion,
    ContactGate,
    Decisions,
    DueTimer,
    EventSink,
    FlowStore,
    MessageRow,
    NewRun,
    NewTimer,
    Profiles,
    Reschedule,
    StepDone,
)

log = logging.getLogger(__name__)
_decode = msgspec.json.Decoder(dict[str, Any]).decode
_encode = msgspec.json.Encoder().encode
SOURCE = "waymark"
"""The source of events orchestration writes to the log."""
SENT_EVENTS = {"email": "Email Sent", "webhook": "Webhook Sent", "inbox": "Inbox Message Sent"}
_EVENT_CHANNEL = {
    "email": EventChannel.EMAIL.value,
    "webhook": EventChannel.SERVER.value,
    "inbox": EventChannel.WEB.value,
}
POLICY_CHANNEL = {"email": "email", "inbox": "web"}
"""The contact-policy channel each send channel counts as (webhooks name theirs)."""


@dataclass(frozen=True, eq=False)
class Deps:
    store: FlowStore
    profiles: Profiles
    gate: ContactGate
    decisions: Decisions | None
    sink: EventSink
    clock: Clock
    channels: Mapping[str, Channel]
    tokens: Tokens
    config: OrchestrateConfig
    rng: random.Random
    flows: Callable[[], FlowSet]
    preference_link: Callable[[str], str] | None = None


@dataclass(eq=False)
class _Send:
    timer: DueTimer
    flow: Flow
    step: Step
    channel: str
    row: MessageRow
    payload: dict[str, Any]


@dataclass(eq=False)
class _Cycle:
    now: datetime
    done: list[StepDone] = field(default_factory=list)
    rescheduled: list[Reschedule] = field(default_factory=list)
    messages: list[MessageRow] = field(default_factory=list)
    runs: list[NewRun] = field(default_factory=list)
    timers: list[NewTimer] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    profiles: dict[str, ProfileView | None] = field(default_factory=dict)

    def advance(self, t: DueTimer, flow: Flow, nxt: tuple[str | None, timedelta]) -> None:
        step, delay = nxt
        if step is None:
            self.done.append(StepDone(timer_id=t.timer_id, run_id=t.run_id, finish="done"))
            return
        assert t.run_id is not None
        timer = NewTimer(
            timer_id=step_key(t.run_id, step),
            flow_id=flow.id,
            step_id=step,
            due_at=self.now + delay,
            run_id=t.run_id,
            profile_id=t.profile_id,
            channel=channel_of(flow, step),
            context=t.run_context,
            started_at=t.run_started_at,
        )
        self.done.append(StepDone(timer_id=t.timer_id, run_id=t.run_id, next=timer))

    def finish(self, t: DueTimer, status: RunStatus, reason: str) -> None:
        self.done.append(
            StepDone(timer_id=t.timer_id, run_id=t.run_id, finish=status, reason=reason)
        )

    def marks(self) -> tuple[int, ...]:
        return tuple(len(x) for x in self._lists())

    def rewind(self, marks: tuple[int, ...]) -> None:
        """Forget what was added since ``marks()``."""
        for items, mark in zip(self._lists(), marks, strict=True):
            del items[mark:]

    def _lists(self) -> tuple[list[Any], ...]:
        return (self.done, self.rescheduled, self.messages, self.runs, self.timers, self.events)

    def completion(self) -> Completion:
        return Completion(
            at=self.now,
            done=self.done,
            rescheduled=self.rescheduled,
            messages=self.messages,
            runs=self.runs,
            timers=self.timers,
        )


@dataclass(eq=False)
class _At:
    """One due step being planned: builds its message rows and moves its run on."""

    t: DueTimer
    flow: Flow
    step: Step
    cycle: _Cycle
    sends: list[_Send]
    channel: str

    def row(self, status: MessageStatus, **fields: Any) -> MessageRow:
        t, now = self.t, self.cycle.now
        assert t.run_id is not None
        assert t.profile_id is not None
        fields.setdefault("created_at", t.first_tried_at or now)
        return MessageRow(
            message_id=t.timer_id,
            run_id=t.run_id,
            profile_id=t.profile_id,
            flow_id=self.flow.id,
            step_id=self.step.id,
            channel=self.channel,
            status=status,
            updated_at=now,
            **fields,
        )

    def advance(self) -> None:
        self.cycle.advance(self.t, self.flow, self.flow.after(self.step.id))

    def skip(self, reason: str) -> None:
        self.cycle.messages.append(self.row("skipped", reason=reason, attempts=self.t.attempts))
        self.advance()


class Engine:
    def __init__(self, deps: Deps) -> None:
        self._d = deps

    # -- one cycle ------------------------------------------------------------------------------

    def fire(self, limit: int | None = None) -> int:
        """Run the steps due now (at most ``limit``); returns how many timers it handled."""
        d = self._d
        now = d.clock.now()
        due = d.store.due(now, limit or d.config.batch)
        if not due:
            return 0
        flows = d.flows()
        cycle = _Cycle(now)
        sends: list[_Send] = []
        for timer in due:
            self._plan_isolated(timer, flows, cycle, sends)
        if sends:
            d.store.record_sending([s.row for s in sends])
            self._deliver(sends, cycle)
        if cycle.events:
            try:
                d.sink.append(cycle.events)
            except (WaymarkError, TimeoutError) as exc:
                # the messages went out; recording them again would send them twice, so the
                # cycle completes and only the "sent" events are lost (a timeout may still
                # commit them later: the log dedupes them on their message ids)
                log.warning(
                    "could not append %d orchestration events: %s",
                    len(cycle.events),
                    exc or type(exc).__name__,
                )
        d.store.complete(cycle.completion())
        return len(due)

    # -- planning -------------------------------------------------------------------------------

    def _profile(self, cycle: _Cycle, profile_id: str | None) -> ProfileView | None:
        if profile_id is None:
            return None
        if profile_id not in cycle.profiles:
            cycle.profiles[profile_id] = self._d.profiles.get(profile_id, cycle.now)
        return cycle.profiles[profile_id]

    def _plan_isolated(
        self, t: DueTimer, flows: FlowSet, cycle: _Cycle, sends: list[_Send]
    ) -> None:
        """Plan one timer; a bug or odd data in it fails that step alone, never the cycle (the
        timer would stay first in ``due()`` and stop every customer's flows)."""
        marks = cycle.marks(), len(sends)
        try:
            self._plan(t, flows, cycle, sends)
        except Exception as exc:
            log.exception("orchestration step %s of flow %s failed", t.step_id, t.flow_id)
            cycle.rewind(marks[0])  # drop what the step had half-planned
            del sends[marks[1] :]
            reason = f"internal: {type(exc).__name__}: {exc}"
            try:
                self._plan_failed(t, flows, cycle, reason)
            except Exception:
                log.exception("could not record the failure of timer %s", t.timer_id)
                cycle.rewind(marks[0])
                cycle.done.append(
                    StepDone(
                        timer_id=t.timer_id,
                        run_id=t.run_id,
                        finish="exited" if t.run_id is not None else None,
                        reason=reason,
                    )
                )

    def _plan_failed(self, t: DueTimer, flows: FlowSet, cycle: _Cycle, reason: str) -> None:
        """The step fails for good: a send's message is ``failed`` and the run moves on, as
        when a template does not render; any other step ends its run; a calendar date is
        skipped this time and comes again next year."""
        flow = flows.get(t.flow_id)
        if t.kind == "calendar" or t.run_id is None:
            cycle.done.append(StepDone(timer_id=t.timer_id))
            date = flow.doc.trigger.date if flow is not None and flow.doc.enabled else None
            if flow is not None and date is not None and date.every_year is not None:
                cycle.timers.append(next_calendar(flow, max(t.due_at, cycle.now)))
            return
        step = flow.step(t.step_id) if flow is not None else None
        if flow is None or step is None or step.send is None or t.profile_id is None:
            cycle.finish(t, "exited", reason)
            return
        at = _At(t, flow, step, cycle, [], step.send.channel)
        cycle.messages.append(at.row("failed", reason=reason, attempts=t.attempts))
        try:
            at.advance()
        except Exception:  # the flow cannot say what comes next either
            log.exception("flow %s cannot move on from step %s", t.flow_id, t.step_id)
            cycle.finish(t, "exited", reason)

    def _plan(self, t: DueTimer, flows: FlowSet, cycle: _Cycle, sends: list[_Send]) -> None:
        if t.kind == "calendar":
            self._calendar(t, flows, cycle)
            return
        flow = flows.get(t.flow_id)
        if flow is None:
            cycle.finish(t, "exited", f"flow {t.flow_id!r} was removed")
            return
        step = flow.step(t.step_id)
        if step is None:
            cycle.finish(t, "exited", f"step {t.step_id!r} is no longer in the flow")
            return
        context = _decode(t.run_context) if t.run_context else {}
        scope = Scope(
            trigger=context.get("trigger") or {},
            product=context.get("product"),
            started_at=t.run_started_at or t.due_at,
            now=cycle.now,
        )
        if step.branch is not None:
            profile = self._profile(cycle, t.profile_id)
            target = next((c.goto for c in step.branch if all_hold(c.when, profile, scope)), None)
            cycle.advance(t, flow, flow.goto(target) if target else flow.after(step.id))
        elif step.exit:
            cycle.finish(t, "done", f"exit at step {step.id!r}")
        elif step.update_traits is not None:
            self._update_traits(t, flow, step, step.update_traits, cycle)
        elif step.send is not None:
            self._plan_send(_At(t, flow, step, cycle, sends, step.send.channel), step.send, context)
        else:  # a wait is folded into the timer before it; never due by itself
            cycle.advance(t, flow, flow.after(step.id))

    def _update_traits(
        self, t: DueTimer, flow: Flow, step: Step, traits: dict[str, Any], cycle: _Cycle
    ) -> None:
        profile = self._profile(cycle, t.profile_id)
        if profile is not None and (profile.user_id or profile.anonymous_id):
            cycle.events.append(
                Event(
                    message_id=f"wm-{t.timer_id}",
                    type="identify",
                    timestamp=cycle.now,
                    received_at=cycle.now,
                    source=SOURCE,
                    user_id=profile.user_id,
                    anonymous_id=None if profile.user_id else profile.anonymous_id,
                    traits=traits,
                    context={"waymark": {"flow": flow.id, "step": step.id}},
                )
            )
        cycle.advance(t, flow, flow.after(step.id))

    def _plan_send(self, at: _At, send: SendSpec, context: dict[str, Any]) -> None:
        d, t, now, name = self._d, at.t, at.cycle.now, send.channel
        if t.payload is not None:
            # a send in flight before a crash, or a retry: same payload, same key
            row = at.row(
                "sending",
                attempts=t.attempts + 1,
                payload=t.payload,
                target=t.target,
                subject=t.subject,
                user_id=t.user_id,
                anonymous_id=t.anonymous_id,
                experience_id=t.experience_id,
                decision_id=t.decision_id,
                created_at=t.first_tried_at or now,
            )
            at.sends.append(_Send(t, at.flow, at.step, name, row, _decode(t.payload)))
            return
        stale_after = at.flow.stale_after or d.config.stale
        policy = at.flow.stale_policy or d.config.stale_policy
        if policy == "skip" and t.attempts == 0 and now - t.due_at > stale_after:
            late = _render_delta(now - t.due_at)
            at.skip(f"stale: due {late} before it could run (policy skip)")
            return
        channel = d.channels.get(name)
        why = f"no {name} channel" if channel is None else channel.unavailable()
        if why is not None:
            at.skip(why)
            return
        profile = self._profile(at.cycle, t.profile_id)
        if profile is None:
            at.skip("profile.unknown: no such profile")
            return
        policy_channel = POLICY_CHANNEL.get(name) if name != "webhook" else send.consent
        if policy_channel is not None:
            verdict = d.gate.check(profile, policy_channel, now, experience_id=send.experience)
            reason = f"{verdict.code}: {verdict.reason}".strip(": ")
            if verdict.action == "block":
                at.skip(reason)
                return
            if verdict.action == "defer" and verdict.until is not None:
                at.cycle.rescheduled.append(
                    Reschedule(
                        timer_id=t.timer_id,
                        due_at=verdict.until,
                        attempts=t.attempts,
                        state="deferred",
                        reason=reason,
                    )
                )
                return
        decided: DecidedContent | None = None
        if send.decide is not None:
            if d.decisions is None:
                at.skip("decide.unavailable: no decision engine")
                return
            decide_channel = send.decide.channel or policy_channel or name
            decided = d.decisions.decide(profile, decide_channel, send.decide.placement, now)
            if decided is None:
                at.skip("decide.nothing: no eligible experience")
                return
        target = at.flow.targets.get(send.target or "") if name == "webhook" else None
        if target is not None and target.missing is not None:
            at.skip(f"webhook.unconfigured: {target.missing}")
            return
        if name == "email" and not address_ok(profile.email or ""):
            at.skip("email.no_address: the profile has no email address")
            return
        ctx = _render.template_context(
            flow=at.flow,
            profile=profile,
            trigger=context.get("trigger") or {},
            kind=str(context.get("kind") or ""),
            product=context.get("product"),
            decided=decided,
            key=t.timer_id,
            links=self._links(name, t.timer_id, profile.profile_id),
            now=now,
        )
        try:
            payload = self._payload(at, send, ctx, profile)
        except RenderFailed as exc:
            at.cycle.messages.append(at.row("failed", reason=f"template.render_failed: {exc}"))
            at.advance()
            return
        row = at.row(
            "sending",
            attempts=t.attempts + 1,
            payload=_encode(payload).decode(),
            target=(profile.email or "") if name == "email" else (send.target or "inbox"),
            subject=str(payload.get("subject") or payload.get("title") or ""),
            user_id=profile.user_id,
            anonymous_id=profile.anonymous_id,
            experience_id=decided.experience_id if decided else send.experience,
            decision_id=decided.decision_id if decided else None,
        )
        at.sends.append(_Send(t, at.flow, at.step, name, row, payload))

    def _links(self, channel: str, key: str, profile_id: str) -> dict[str, str]:
        """The links an email's templates see; the engine adds them to every email too."""
        if channel != "email":
            return {}
        d = self._d
        links = {"unsubscribe": unsubscribe_url(d.tokens, d.config.public_url, key)}
        if d.preference_link is not None:
            links["preferences"] = d.preference_link(profile_id)
        return links

    def _payload(
        self, at: _At, send: SendSpec, ctx: dict[str, Any], profile: ProfileView
    ) -> dict[str, Any]:
        d, key = self._d, at.t.timer_id
        if send.channel == "email":
            return _render.email_payload(
                at.flow,
                at.step,
                send,
                ctx,
                to=profile.email or "",
                tokens=d.tokens,
                public_url=d.config.public_url,
                key=key,
                preferences=ctx["links"].get("preferences"),
            )
        if send.channel == "inbox":
            return _render.inbox_payload(at.flow, at.step, ctx)
        return _render.webhook_payload(
            at.flow, at.step, send, ctx, key=key, profile=profile, now=at.cycle.now
        )

    # -- delivering -----------------------------------------------------------------------------

    def _deliver(self, sends: Sequence[_Send], cycle: _Cycle) -> None:
        by_channel: defaultdict[str, list[_Send]] = defaultdict(list)
        for s in sends:
            by_channel[s.channel].append(s)
        for name, items in by_channel.items():
            outgoing = [
                Outgoing(
                    key=s.timer.timer_id,
                    profile_id=s.row.profile_id,
                    flow_id=s.flow.id,
                    step_id=s.step.id,
                    payload=s.payload,
                    attempt=s.row.attempts,
                )
                for s in items
            ]
            try:
                results = self._d.channels[name].send_batch(outgoing)
            except Exception as exc:  # a channel bug must not stall every timer
                log.exception("channel %s failed on a batch of %d", name, len(items))
                results = [Result(ok=False, transient=True, reason=f"internal: {exc!r}")] * len(
                    items
                )
            for s, result in zip(items, results, strict=True):
                self._outcome(s, result, cycle)

    def _outcome(self, s: _Send, result: Result, cycle: _Cycle) -> None:
        now, retry = cycle.now, self._d.config.retry
        row, attempts = s.row, s.row.attempts
        if result.ok:
            sent = msgspec.structs.replace(row, status="sent", reason="", sent_at=now)
            cycle.messages.append(sent)
            if (event := _sent_event(sent, now)) is not None:
                cycle.events.append(event)
            cycle.advance(s.timer, s.flow, s.flow.after(s.step.id))
            return
        if result.transient and attempts < retry.attempts:
            due = now + backoff(retry, attempts, self._d.rng, retry_after=result.retry_after)
            cycle.rescheduled.append(
                Reschedule(
                    timer_id=s.timer.timer_id,
                    due_at=due,
                    attempts=attempts,
                    state="retrying",
                    reason=result.reason,
                )
            )
            return
        status: MessageStatus = "dead" if s.channel == "webhook" else "failed"
        reason = result.reason + (
            f" (gave up after {attempts} attempts)" if result.transient else ""
        )
        cycle.messages.append(msgspec.structs.replace(row, status=status, reason=reason))
        cycle.advance(s.timer, s.flow, s.flow.after(s.step.id))

    # -- calendar dates -------------------------------------------------------------------------

    def _calendar(self, t: DueTimer, flows: FlowSet, cycle: _Cycle) -> None:
        flow = flows.get(t.flow_id)
        cycle.done.append(StepDone(timer_id=t.timer_id))
        if flow is None or not flow.doc.enabled or flow.doc.trigger.date is None:
            return
        if flow.doc.trigger.date.every_year is None:
            return
        d = self._d
        cycle.runs.extend(
            from_calendar(
                flow,
                t.due_at,
                t.step_id,
                d.profiles.ids(),
                get_profile=lambda pid: self._profile(cycle, pid),
                now=cycle.now,
            )
        )
        cycle.timers.append(next_calendar(flow, max(t.due_at, cycle.now)))


def _sent_event(row: MessageRow, now: datetime) -> Event | None:
    if not (row.user_id or row.anonymous_id):
        return None
    props: dict[str, Any] = {
        "message_id": row.message_id,
        "flow_id": row.flow_id,
        "step_id": row.step_id,
        "channel": row.channel,
    }
    for name in ("subject", "target", "experience_id", "decision_id"):
        value = getattr(row, name)
        if value:
            props[name] = value
    return Event(
        message_id=f"wm-sent-{row.message_id}",
        type="track",
        event=SENT_EVENTS.get(row.channel, "Message Sent"),
        timestamp=now,
        received_at=now,
        source=SOURCE,
        user_id=row.user_id,
        anonymous_id=None if row.user_id else row.anonymous_id,
        channel=_EVENT_CHANNEL.get(row.channel, EventChannel.SERVER.value),
        properties=props,
    )


def _render_delta(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"
