"""Orchestration test kit: a real DuckDB flow store, in-memory profiles, a gate and a decision
engine the test scripts, a recording channel, and a builder for an ``Orchestrator`` over flows
written inline."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from waymark.core.clock import FakeClock
from waymark.core.events import Event
from waymark.core.settings import Secret
from waymark.orchestrate.api import OrchestrateConfig, Orchestrator, RetryPolicy
from waymark.orchestrate.channels._base import DELIVERED, Outgoing, Result
from waymark.orchestrate.contracts import ALLOW, DecidedContent, ProfileView, Verdict
from waymark.store.duckdb._database import Database
from waymark.store.duckdb.orchestrate import DuckDBFlowStore

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Profiles:
    def __init__(self) -> None:
        self.views: dict[str, ProfileView] = {}

    def add(self, profile_id: str, **fields: Any) -> ProfileView:
        fields.setdefault("user_id", profile_id)
        view = ProfileView(profile_id=profile_id, **fields)
        self.views[profile_id] = view
        return view

    def profile_id(self, event: Event) -> str | None:
        return event.user_id or event.anonymous_id

    def get(self, profile_id: str, now: datetime) -> ProfileView | None:
        return self.views.get(profile_id)

    def ids(self) -> Iterator[str]:
        return iter(sorted(self.views))


class Gate:
    """Allows everything unless a verdict is set for a (profile, channel)."""

    def __init__(self) -> None:
        self.verdicts: dict[tuple[str, str], Verdict] = {}
        self.asked: list[tuple[str, str]] = []

    def check(
        self, profile: ProfileView, channel: str, now: datetime, *, experience_id: str | None
    ) -> Verdict:
        self.asked.append((profile.profile_id, channel))
        return self.verdicts.get((profile.profile_id, channel), ALLOW)


class Decisions:
    def __init__(self) -> None:
        self.content: dict[str, str] | None = {
            "headline": "Hello",
            "body": "Body",
            "url": "https://x.example/a",
        }
        self.calls: list[tuple[str, str, str | None]] = []

    def decide(
        self, profile: ProfileView, channel: str, placement: str | None, now: datetime
    ) -> DecidedContent | None:
        self.calls.append((profile.profile_id, channel, placement))
        if self.content is None:
            return None
        return DecidedContent(
            experience_id="exp-1", decision_id=f"dec-{len(self.calls)}", content=self.content
        )


class Sink:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def append(self, events: Sequence[Event]) -> None:
        self.events.extend(events)


@dataclass
class Recorder:
    """A channel that records what it was given and answers from a script."""

    name: str
    results: list[Result] = field(default_factory=list)
    sent: list[Outgoing] = field(default_factory=list)
    on_send: Callable[[Outgoing], None] | None = None

    def unavailable(self) -> str | None:
        return None

    def send_batch(self, items: Sequence[Outgoing]) -> list[Result]:
        out = []
        for item in items:
            self.sent.append(item)
            if self.on_send is not None:
                self.on_send(item)
            out.append(self.results.pop(0) if self.results else DELIVERED)
        return out


@dataclass
class Kit:
    orch: Orchestrator
    store: DuckDBFlowStore
    clock: FakeClock
    profiles: Profiles
    gate: Gate
    decisions: Decisions
    sink: Sink
    channels: dict[str, Recorder]
    db: Database
    flows_dir: Path

    def event(
        self, name: str, user: str = "ray", *, at: datetime | None = None, **props: Any
    ) -> Event:
        when = at or self.clock.now()
        return Event(
            message_id=f"m-{name}-{user}-{when.timestamp()}-{len(props)}-{sorted(props.items())!r}",
            type="track",
            event=name,
            user_id=user,
            timestamp=when,
            received_at=when,
            properties=props,
            seq=1,
        )

    def advance(self, delta: timedelta) -> int:
        self.clock.advance(delta)
        return self.orch.run_due()

    def sent(self, channel: str = "email") -> list[Outgoing]:
        return self.channels[channel].sent


Builder = Callable[..., Kit]


@pytest.fixture
def build(tmp_path: Path) -> Iterator[Builder]:
    """``build({"name.yaml": text, ...}, **config)`` -> a ``Kit`` over those flows."""
    opened: list[Database] = []

    def make(
        flows: Mapping[str, str],
        *,
        db: Database | None = None,
        channels: dict[str, Recorder] | None = None,
        environ: Mapping[str, str] | None = None,
        profiles: Profiles | None = None,
        clock: FakeClock | None = None,
        http: httpx.Client | None = None,
        **config: Any,
    ) -> Kit:
        """With ``http``, the orchestrator builds its own channels (webhooks through that
        client, the inbox in the store, email as configured) instead of recorders."""
        flows_dir = tmp_path / "flows"
        flows_dir.mkdir(exist_ok=True)
        for name, text in flows.items():
            (flows_dir / name).write_text(text)
        if db is None:
            db = Database.open(tmp_path / "data")
            opened.append(db)
        store = DuckDBFlowStore(db)
        clock = clock or FakeClock(T0)
        if http is None:
            channels = channels or {n: Recorder(n) for n in ("email", "webhook", "inbox")}
        kit_profiles = profiles or Profiles()
        gate, decisions, sink = Gate(), Decisions(), Sink()
        config.setdefault("retry", RetryPolicy(first=timedelta(minutes=1), attempts=3, jitter=0.0))
        config.setdefault("tracking_secret", Secret("test-secret-0123456789"))
        orch = Orchestrator(
            store=store,
            profiles=kit_profiles,
            gate=gate,
            sink=sink,
            clock=clock,
            config=OrchestrateConfig(
                flows_dir=flows_dir, public_url="https://wm.example", **config
            ),
            decisions=decisions,
            channels=channels,
            http=http,
            environ=environ or {},
            rng=random.Random(7),
        )
        return Kit(
            orch, store, clock, kit_profiles, gate, decisions, sink, channels or {}, db, flows_dir
        )

    yield make
    for db in opened:
        db.close()
