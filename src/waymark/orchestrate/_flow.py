"""A validated flow, ready to run: parsed durations, compiled templates, resolved webhook
targets, and the step arithmetic (which step comes next, after how long)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property

from waymark.core.settings import Secret
from waymark.orchestrate._templates import Compiled
from waymark.orchestrate.config import FlowDoc, StaleAction, Step


@dataclass(frozen=True, eq=False)
class Target:
    """A webhook receiver with its URL and signing secret resolved from file and environment."""

    name: str
    url: str | None
    secret: Secret | None
    timeout: float = 10.0

    @property
    def missing(self) -> str | None:
        """Why sends to it cannot go out (None when it is fully configured)."""
        if self.url is None:
            return f"webhook target {self.name!r} has no URL"
        if self.secret is None:
            return f"webhook target {self.name!r} has no signing secret"
        return None


@dataclass(frozen=True, eq=False)
class Flow:
    doc: FlowDoc
    source: str
    """The file it came from, or ``api``."""
    text: str
    version: str
    delay: timedelta
    offset: timedelta
    stale_after: timedelta | None
    stale_policy: StaleAction | None
    waits: tuple[timedelta | None, ...]
    templates: Mapping[str, Compiled]
    """``"<step id>:<field>"`` (``"ask:subject"``, ``"sync:payload.items[0].id"``) -> template."""
    targets: Mapping[str, Target]
    positions: Mapping[str, int] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.doc.id

    def step(self, step_id: str) -> Step | None:
        i = self.positions.get(step_id)
        return None if i is None else self.doc.steps[i]

    def _from(self, index: int) -> tuple[str | None, timedelta]:
        delay = timedelta(0)
        steps = self.doc.steps
        while index < len(steps) and self.waits[index] is not None:
            delay += self.waits[index] or timedelta(0)
            index += 1
        return (steps[index].id if index < len(steps) else None), delay

    def first(self) -> tuple[str | None, timedelta]:
        """The first step that does something, and the waits before it."""
        return self._first

    @cached_property
    def _first(self) -> tuple[str | None, timedelta]:
        # the same for every run the flow starts (a thousand per committed group)
        return self._from(0)

    def after(self, step_id: str) -> tuple[str | None, timedelta]:
        """The step after ``step_id`` (None: the run is over) and the waits in between."""
        return self._from(self.positions[step_id] + 1)

    def goto(self, step_id: str) -> tuple[str | None, timedelta]:
        if step_id == "exit":
            return None, timedelta(0)
        return self._from(self.positions[step_id])


class FlowSet:
    """The enabled flows, indexed by what triggers them. Immutable: a change builds a new one."""

    def __init__(self, flows: Iterable[Flow]) -> None:
        self.all: dict[str, Flow] = {f.id: f for f in flows}
        by_event: defaultdict[str, list[Flow]] = defaultdict(list)
        exits: defaultdict[str, list[Flow]] = defaultdict(list)
        by_model: defaultdict[str, list[Flow]] = defaultdict(list)
        by_audience: defaultdict[str, list[Flow]] = defaultdict(list)
        by_trait: defaultdict[str, list[Flow]] = defaultdict(list)
        by_label: defaultdict[str, list[Flow]] = defaultdict(list)
        calendars: list[Flow] = []
        for flow in self.all.values():
            if not flow.doc.enabled:
                continue
            t = flow.doc.trigger
            if t.event is not None:
                by_event[t.event].append(flow)
            elif t.stage is not None:
                by_model[t.stage.model].append(flow)
            elif t.audience is not None:
                by_audience[t.audience].append(flow)
            elif t.score_label is not None:
                by_label[t.score_label.label].append(flow)
            elif t.date is not None and t.date.trait is not None:
                by_trait[t.date.trait].append(flow)
            elif t.date is not None:
                calendars.append(flow)
            for label in flow.doc.exit_on:
                exits[label].append(flow)
        self.by_event = dict(by_event)
        self.exits = dict(exits)
        self.by_model = dict(by_model)
        self.by_audience = dict(by_audience)
        self.by_trait = dict(by_trait)
        self.by_label = dict(by_label)
        self.calendars = tuple(calendars)

    def get(self, flow_id: str) -> Flow | None:
        return self.all.get(flow_id)
