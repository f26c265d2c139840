"""Orchestration facade: flows that send messages on events, stage changes, delays and dates,
durably, on real channels (email over SMTP, signed webhooks, the in-app inbox).

Other packages import only this module and ``contracts``. The runtime builds one
``Orchestrator`` from the store's ``FlowStore`` and the ports it implements, feeds it committed
events (``process``, it is a pipeline processor), stage changes (``on_stage_changes``) and
audience joins, and starts its scheduler in the app lifespan (``await start()`` /
``await stop()``).
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from waymark.core.clock import Clock
from waymark.core.events import Event
from waymark.journey.api import SHIPPED_MODELS, load_model
from waymark.journey.contracts import StageChanged
from waymark.orchestrate import _triggers
from waymark.orchestrate._activity import flows_activity
from waymark.orchestrate._durations import format_duration
from waymark.orchestrate._engine import SOURCE, Deps, Engine
from waymark.orchestrate._flow import Flow, FlowSet, Target
from waymark.orchestrate._keys import run_id
from waymark.orchestrate._loader import LoadContext, load_dir, load_flow_text, shipped_dir
from waymark.orchestrate._rules import RuleContext
from waymark.orchestrate._scheduler import Scheduler
from waymark.orchestrate._templates import environments
from waymark.orchestrate._tokens import Tokens
from waymark.orchestrate.adapters import DeciderDecisions, LogProfiles, PolicyGate
from waymark.orchestrate.channels._base import Channel
from waymark.orchestrate.channels.email import EmailChannel, SmtpConfig
from waymark.orchestrate.channels.inbox import InboxChannel
from waymark.orchestrate.channels.webhook import SIGNATURE_HEADER, WebhookChannel, verify
from waymark.orchestrate.config import OrchestrateConfig, RetryPolicy
from waymark.orchestrate.contracts import (
    AudienceJoined,
    FlowList,
    FlowsActivity,
    FlowSummary,
    Inbox,
    MessageList,
    MessageStatus,
)
from waymark.orchestrate.errors import FlowConflict, UnknownFlow, UnknownMessage
from waymark.orchestrate.ports import (
    Contact,
    ContactGate,
    Decisions,
    EventSink,
    FlowStore,
    NewRun,
    Profiles,
)
from waymark.scoring.contracts import ScoreLabelChanged

__all__ = [
    "SIGNATURE_HEADER",
    "DeciderDecisions",
    "LogProfiles",
    "LoopSink",
    "OrchestrateConfig",
    "Orchestrator",
    "PolicyGate",
    "RetryPolicy",
    "SmtpConfig",
    "check_flows",
    "shipped_flows_dir",
    "verify_signature",
]

log = logging.getLogger(__name__)
verify_signature = verify
TRACKING_SECRET_KEY = "tracking_secret"


def shipped_flows_dir() -> Path:
    """The example flows of the seed 000 story (the default ``--flows``)."""
    return shipped_dir()


def _stages() -> dict[str, tuple[str, ...]]:
    return {name: load_model(name).stage_names for name in SHIPPED_MODELS}


def _context(
    flows_dir: Path | None, environ: Mapping[str, str], stages: Mapping[str, tuple[str, ...]] | None
) -> LoadContext:
    search = [p / "templates" for p in (flows_dir, shipped_dir()) if p is not None]
    targets = frozenset(
        k.removeprefix("WAYMARK_WEBHOOK_").removesuffix("_URL").lower().replace("_", "-")
        for k in environ
        if k.startswith("WAYMARK_WEBHOOK_") and k.endswith("_URL")
    )
    targets |= frozenset(t.replace("-", "_") for t in targets)
    return LoadContext(
        rules=RuleContext(stages=stages if stages is not None else _stages(), env_targets=targets),
        environ=environ,
        envs=environments(search),
    )


def check_flows(
    directory: Path,
    *,
    environ: Mapping[str, str] = {},
    stages: Mapping[str, tuple[str, ...]] | None = None,
) -> list[FlowSummary]:
    """Validate a folder of flow files (``FlowInvalid`` names file, line and field)."""
    ctx = _context(directory, environ, stages)
    return [_summary(f, {}, {}) for f in load_dir(directory, ctx)]


class LoopSink:
    """``EventSink`` for an engine running in a worker thread: appends through a coroutine
    (the runtime's group commit) on the event loop, and waits until it is durable."""

    def __init__(
        self, submit: Callable[[Sequence[Event]], Any], loop: asyncio.AbstractEventLoop
    ) -> None:
        self._submit = submit
        self._loop = loop

    def append(self, events: Sequence[Event]) -> None:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(self._submit(events), self._loop)
        future.result(timeout=60)


class Orchestrator:
    """Flows, their durable runs, the scheduler and the channels, over one ``FlowStore``."""

    name = "orchestrate"

    def __init__(
        self,
        *,
        store: FlowStore,
        profiles: Profiles,
        gate: ContactGate,
        sink: EventSink,
        clock: Clock,
        config: OrchestrateConfig | None = None,
        decisions: Decisions | None = None,
        channels: Mapping[str, Channel] | None = None,
        http: httpx.Client | None = None,
        environ: Mapping[str, str] | None = None,
        rng: random.Random | None = None,
        stages: Mapping[str, tuple[str, ...]] | None = None,
        preference_link: Callable[[str], str] | None = None,
    ) -> None:
        """``preference_link``: the URL of a profile's preference centre, put in every email
        (privacy's signed links; without it emails carry only the unsubscribe link)."""
        self._store = store
        self._profiles = profiles
        self._clock = clock
        self.config = config or OrchestrateConfig()
        # erased people: no run starts for them in this process again (after a restart they
        # are unknown to identity, so no trigger finds them)
        self._forgotten: set[str] = set()
        self._firing = threading.RLock()  # a cycle, or an erasure that must not overlap one
        self._ctx = _context(self.config.flows_dir, environ or {}, stages)
        self._tokens = Tokens(self._secret())
        self._flows = self._load()
        self._own_http = http is None and channels is None
        self._http = http or httpx.Client(follow_redirects=False)
        self.channels: Mapping[str, Channel] = channels or self._default_channels()
        self._engine = Engine(
            Deps(
                store=store,
                profiles=profiles,
                gate=gate,
                decisions=decisions,
                sink=sink,
                clock=clock,
                channels=self.channels,
                tokens=self._tokens,
                config=self.config,
                rng=rng or random.Random(),
                flows=lambda: self._flows,
                preference_link=preference_link,
            )
        )
        self.scheduler = Scheduler(fire=self.fire, next_due=store.next_due, clock=clock)
        self._checkpoint = int(store.get_meta("checkpoint") or 0)
        self._saved_checkpoint = self._checkpoint
        self._ensure_calendars()

    # -- set-up ---------------------------------------------------------------------------------

    def _secret(self) -> bytes:
        if self.config.tracking_secret is not None:
            return self.config.tracking_secret.reveal().encode()
        stored = self._store.get_meta(TRACKING_SECRET_KEY)
        if stored is None:
            stored = secrets.token_hex(32)
            self._store.set_meta(TRACKING_SECRET_KEY, stored)
        return stored.encode()

    def _default_channels(self) -> dict[str, Channel]:
        smtp = SmtpConfig.from_url(self.config.smtp_url.reveal()) if self.config.smtp_url else None
        return {
            "email": EmailChannel(smtp, sender=self.config.email_from, clock=self._clock),
            "webhook": WebhookChannel(self._http, targets=self._target, clock=self._clock),
            "inbox": InboxChannel(self._store, clock=self._clock),
        }

    def _target(self, flow_id: str, name: str) -> Target | None:
        flow = self._flows.get(flow_id)
        return None if flow is None else flow.targets.get(name)

    def _load(self) -> FlowSet:
        directory = self.config.flows_dir or shipped_dir()
        flows = {f.id: f for f in load_dir(directory, self._ctx)}
        for flow_id, text in self._store.saved_flows():
            # flows saved through the admin API win over a file with the same id
            flows[flow_id] = load_flow_text(
                text, file=f"<saved flow {flow_id}>", ctx=self._ctx, source="api"
            )
        return FlowSet(flows.values())

    def _ensure_calendars(self) -> None:
        now = self._clock.now()
        timers = [_triggers.next_calendar(f, now) for f in self._flows.calendars]
        if timers:
            self._store.ensure_timers(timers, at=now)
            self.scheduler.notify(min(t.due_at for t in timers))

    def reload(self) -> None:
        """Read the flows folder (and saved flows) again."""
        self._flows = self._load()
        self._ensure_calendars()

    def close(self) -> None:
        if self._own_http:
            self._http.close()

    # -- the pipeline processor -----------------------------------------------------------------

    def checkpoint(self) -> int:
        return self._checkpoint

    def process(self, events: Sequence[Event]) -> None:
        """Start the runs these committed events trigger and end the runs they exit."""
        if not events:
            return
        now = self._clock.now()
        runs, exits = _triggers.from_events(
            events,
            self._flows,
            profile_of_event=self._profiles.profile_id,
            get_profile=lambda pid: self._profiles.get(pid, now),
            now=now,
        )
        runs = self._not_forgotten(runs)
        last = max(self._checkpoint, *(e.seq for e in events))
        if exits:
            self._store.cancel_runs(exits, status="exited", reason="exit_on event", at=now)
        if runs:
            self._store.start_runs(runs, at=now, checkpoint=last)
            self._saved_checkpoint = last
            self.scheduler.notify(_triggers.earliest_due(runs))
        self._checkpoint = last

    def flush(self) -> None:
        if self._checkpoint != self._saved_checkpoint:
            self._store.set_meta("checkpoint", str(self._checkpoint))
            self._saved_checkpoint = self._checkpoint

    def on_stage_changes(self, changes: Sequence[StageChanged]) -> int:
        """Start the runs journey stage changes trigger; returns how many started."""
        now = self._clock.now()
        runs = _triggers.from_stage_changes(
            changes, self._flows, get_profile=lambda pid: self._profiles.get(pid, now), now=now
        )
        return self._start(runs, now)

    def on_label_changes(self, changes: Sequence[ScoreLabelChanged]) -> int:
        """Start the runs lead-label crossings trigger; returns how many started."""
        now = self._clock.now()
        runs = _triggers.from_label_changes(
            changes, self._flows, get_profile=lambda pid: self._profiles.get(pid, now), now=now
        )
        return self._start(runs, now)

    def on_audience_joined(self, joins: Sequence[AudienceJoined]) -> int:
        now = self._clock.now()
        runs = _triggers.from_audience(
            joins, self._flows, get_profile=lambda pid: self._profiles.get(pid, now), now=now
        )
        return self._start(runs, now)

    def _not_forgotten(self, runs: list[NewRun]) -> list[NewRun]:
        if not self._forgotten:
            return runs
        return [r for r in runs if r.profile_id not in self._forgotten]

    def _start(self, runs: list[NewRun], now: datetime) -> int:
        runs = self._not_forgotten(runs)
        if not runs:
            return 0
        started = self._store.start_runs(runs, at=now)
        self.scheduler.notify(_triggers.earliest_due(runs))
        return started

    # -- firing ---------------------------------------------------------------------------------

    def fire(self, limit: int | None = None) -> int:
        """Run one batch of due steps now (the scheduler calls this; tests may too)."""
        with self._firing:
            return self._engine.fire(limit)

    # -- erasure --------------------------------------------------------------------------------

    @contextmanager
    def paused(self) -> Iterator[None]:
        """No cycle runs inside: a cycle already planned would otherwise write the rows of a
        person an erasure has just removed."""
        with self._firing:
            yield

    def forget(self, profile_ids: Sequence[str]) -> dict[str, int]:
        """Cancel and delete the runs, timers, messages and inbox of these profiles, and start
        no run for them from now on. Returns rows removed per table."""
        with self._firing:
            self._forgotten.update(profile_ids)
            return self._store.forget(profile_ids)

    def run_due(self) -> int:
        """Run every step due at the clock's current time; returns how many ran."""
        total = 0
        while fired := self.fire():
            total += fired
        return total

    def next_due(self) -> datetime | None:
        return self._store.next_due()

    async def start(self) -> None:
        await self.scheduler.start()

    async def stop(self) -> None:
        await self.scheduler.stop()
        self.flush()

    # -- flows ----------------------------------------------------------------------------------

    def flows(self) -> FlowList:
        runs, messages = self._store.counts()
        return FlowList(
            flows=[
                _summary(f, runs.get(f.id, {}), messages.get(f.id, {}))
                for f in sorted(self._flows.all.values(), key=lambda f: f.id)
            ]
        )

    def activity(self, *, now: datetime, days: int) -> FlowsActivity:
        """Every flow's runs and messages over the last ``days`` days."""
        since = now - timedelta(days=days)
        runs, messages = self._store.activity(since=since, until=now)
        current, _ = self._store.counts()
        return flows_activity(
            self._flows.all.values(),
            runs=runs,
            messages=messages,
            active={f: by.get("active", 0) for f, by in current.items()},
            since=since,
            until=now,
        )

    def flow(self, flow_id: str) -> FlowSummary:
        flow = self._flows.get(flow_id)
        if flow is None:
            raise UnknownFlow(f"no flow {flow_id!r}", flow_id=flow_id)
        runs, messages = self._store.counts()
        return _summary(flow, runs.get(flow_id, {}), messages.get(flow_id, {}))

    def flow_text(self, flow_id: str) -> str:
        flow = self._flows.get(flow_id)
        if flow is None:
            raise UnknownFlow(f"no flow {flow_id!r}", flow_id=flow_id)
        return flow.text

    def put_flow(self, text: str) -> FlowSummary:
        """Validate and save a flow (YAML or JSON); it replaces a flow with the same id."""
        flow = load_flow_text(text, file="<request body>", ctx=self._ctx, source="api")
        self._store.save_flow(flow.id, text, at=self._clock.now())
        self.reload()
        return self.flow(flow.id)

    def delete_flow(self, flow_id: str) -> None:
        """Remove a flow saved through the API (its active runs end at their next step)."""
        if not self._store.delete_flow(flow_id):
            if flow_id in self._flows.all:
                raise FlowConflict(
                    f"flow {flow_id!r} comes from {self._flows.all[flow_id].source}; "
                    "remove or disable it there"
                )
            raise UnknownFlow(f"no flow {flow_id!r}", flow_id=flow_id)
        self.reload()

    # -- the delivery log -----------------------------------------------------------------------

    def messages(
        self,
        *,
        profile_id: str | None = None,
        flow_id: str | None = None,
        statuses: Sequence[MessageStatus] = (),
        limit: int = 100,
    ) -> MessageList:
        if flow_id is not None and flow_id not in self._flows.all:
            raise UnknownFlow(f"no flow {flow_id!r}", flow_id=flow_id)
        return MessageList(
            profile_id=profile_id,
            flow_id=flow_id,
            messages=self._store.messages(
                profile_id=profile_id, flow_id=flow_id, statuses=statuses, limit=limit
            ),
        )

    def dead_letters(self, *, limit: int = 100) -> MessageList:
        """Webhooks that were refused or ran out of retries."""
        return MessageList(messages=self._store.messages(statuses=("dead",), limit=limit))

    def contacts(self, profile_id: str, *, since: datetime) -> list[Contact]:
        """Messages sent to a profile (for decide's contact history)."""
        return self._store.contacts(profile_id, since=since)

    # -- the inbox ------------------------------------------------------------------------------

    def inbox_token(self, profile_id: str) -> str:
        """The public token a website passes to read this profile's inbox."""
        return self._tokens.inbox(profile_id)

    def inbox(self, profile_id: str, token: str, *, limit: int = 50) -> Inbox:
        self._tokens.check_inbox(profile_id, token)
        messages = self._store.inbox(profile_id, limit=limit)
        return Inbox(
            profile_id=profile_id,
            unread=sum(1 for m in messages if m.read_at is None),
            messages=messages,
        )

    def mark_read(self, profile_id: str, token: str, message_id: str) -> None:
        self._tokens.check_inbox(profile_id, token)
        if not self._store.inbox_read(profile_id, message_id, at=self._clock.now()):
            raise UnknownMessage(f"no inbox message {message_id!r} for this profile")

    # -- tracking -------------------------------------------------------------------------------

    def _tracked(self, kind: str, token: str, *, parts: int) -> tuple[list[str], Any]:
        values = self._tokens.verify(kind, token, parts=parts)
        row = self._store.message(values[0])
        if row is None:
            raise UnknownMessage("the message this link belongs to is not known here")
        return values, row

    def opened(self, token: str) -> list[Event]:
        """Events for an open-pixel hit (``Email Opened``; ``Experience Viewed`` when decide
        chose the content). Repeats dedupe in the log by message id."""
        _, row = self._tracked("open", token, parts=1)
        return self._events(row, "Email Opened", "Experience Viewed", suffix="open")

    def clicked(self, token: str) -> tuple[str, list[Event]]:
        """The URL to redirect to, and the ``Email Link Clicked`` events."""
        (_, url), row = self._tracked("click", token, parts=2)
        events = self._events(
            row, "Email Link Clicked", "Experience Clicked", suffix=f"click-{url}", url=url
        )
        return url, events

    def unsubscribed(self, token: str) -> list[Event]:
        """``Unsubscribed`` and the ``consent_email: false`` trait (identity reads it)."""
        _, row = self._tracked("unsubscribe", token, parts=1)
        events = self._events(row, "Unsubscribed", None, suffix="unsubscribe")
        if events:
            now = self._clock.now()
            events.append(
                Event(
                    message_id=f"wm-unsubscribe-identify-{row.message_id}",
                    type="identify",
                    timestamp=now,
                    received_at=now,
                    source=SOURCE,
                    user_id=row.user_id,
                    anonymous_id=None if row.user_id else row.anonymous_id,
                    channel="email",
                    traits={"consent_email": False},
                )
            )
        return events

    def _events(
        self, row: Any, name: str, feedback: str | None, *, suffix: str, url: str | None = None
    ) -> list[Event]:
        if not (row.user_id or row.anonymous_id):
            return []
        now = self._clock.now()
        props: dict[str, Any] = {
            "message_id": row.message_id,
            "flow_id": row.flow_id,
            "step_id": row.step_id,
            "email_subject": row.subject,
        }
        if url is not None:
            props["link_url"] = url
        base = {
            "type": "track",
            "timestamp": now,
            "received_at": now,
            "source": SOURCE,
            "user_id": row.user_id,
            "anonymous_id": None if row.user_id else row.anonymous_id,
            "channel": "email",
        }
        token = run_id("event", row.message_id, suffix)
        out = [Event(message_id=f"wm-{token}", event=name, properties=props, **base)]
        if feedback and row.decision_id and row.experience_id:
            out.append(
                Event(
                    message_id=f"wm-fb-{token}",
                    event=feedback,
                    properties={
                        "decision_id": row.decision_id,
                        "experience_id": row.experience_id,
                        "channel": "email",
                    },
                    **base,
                )
            )
        return out


def _describe_trigger(flow: Flow) -> str:
    t = flow.doc.trigger
    if t.event is not None:
        text = f"event {t.event}"
        if flow.delay:
            text = f"{format_duration(flow.delay)} after {text}"
    elif t.stage is not None:
        s = t.stage
        parts = [f"enter {s.enter}" if s.enter else "", f"leave {s.leave}" if s.leave else ""]
        moves = " and ".join(p for p in parts if p) or "any stage change"
        text = f"{moves} on {s.model}" + (f" for {s.product}" if s.product else "")
    elif t.score_label is not None:
        sl = t.score_label
        whose = "an account" if sl.subject == "account" else "a lead"
        text = f"{whose} becomes {sl.label}" + (f" for {sl.product}" if sl.product else "")
    elif t.date is not None and t.date.every_year is not None:
        text = f"every year on {t.date.every_year} at {t.date.at} {t.date.timezone}"
    elif t.date is not None:
        text = f"{format_duration(flow.offset)} from trait {t.date.trait}"
    else:
        text = f"joining audience {t.audience}"
    if t.where:
        text += f" (if {len(t.where)} condition{'s' if len(t.where) > 1 else ''})"
    return text


def _describe_step(flow: Flow, i: int) -> str:
    step = flow.doc.steps[i]
    if step.wait is not None:
        kind = f"wait {step.wait}"
    elif step.branch is not None:
        kind = "branch"
    elif step.send is not None:
        kind = f"send {step.send.channel}" + (" (decide)" if step.send.decide else "")
    elif step.update_traits is not None:
        kind = "update traits"
    else:
        kind = "exit"
    return f"{step.id} ({kind})"


def _summary(flow: Flow, runs: dict[str, int], messages: dict[str, int]) -> FlowSummary:
    return FlowSummary(
        id=flow.id,
        name=flow.doc.name or flow.id,
        description=flow.doc.description,
        enabled=flow.doc.enabled,
        source=flow.source,
        version=flow.version,
        trigger=_describe_trigger(flow),
        steps=[_describe_step(flow, i) for i in range(len(flow.doc.steps))],
        active=runs.get("active", 0),
        sent=messages.get("sent", 0),
        scheduled=messages.get("scheduled", 0) + messages.get("retrying", 0),
        failed=messages.get("failed", 0) + messages.get("dead", 0),
        runs=runs,
        messages=messages,
    )
