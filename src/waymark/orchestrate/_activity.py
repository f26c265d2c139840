"""Each flow's recent activity (runs started and ended, messages per send step), assembled
from the store's aggregates in the order of the flow's own steps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from waymark.orchestrate._flow import Flow
from waymark.orchestrate.contracts import FlowActivity, FlowsActivity, StepActivity


def _steps(flow: Flow, messages: Mapping[tuple[str, str], dict[str, int]]) -> list[StepActivity]:
    return [
        StepActivity(
            step_id=step.id,
            channel=step.send.channel,
            messages=dict(sorted(messages.get((flow.id, step.id), {}).items())),
        )
        for step in flow.doc.steps
        if step.send is not None
    ]


def flows_activity(
    flows: Iterable[Flow],
    *,
    runs: Mapping[str, dict[str, int]],
    messages: Mapping[tuple[str, str], dict[str, int]],
    active: Mapping[str, int],
    since: datetime,
    until: datetime,
) -> FlowsActivity:
    out: list[FlowActivity] = []
    for flow in sorted(flows, key=lambda f: f.id):
        counted = runs.get(flow.id, {})
        steps = _steps(flow, messages)
        out.append(
            FlowActivity(
                id=flow.id,
                name=flow.doc.name or flow.id,
                enabled=flow.doc.enabled,
                started=counted.get("started", 0),
                ended={k: n for k, n in sorted(counted.items()) if k != "started"},
                active=active.get(flow.id, 0),
                steps=tuple(steps),
                dead_letters=sum(s.messages.get("dead", 0) for s in steps),
            )
        )
    return FlowsActivity(since=since, until=until, flows=tuple(out))
