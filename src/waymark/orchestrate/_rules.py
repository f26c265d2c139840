"""Validation rules for flow documents, registered as small classes: each has a stable
``code``, and yields (field path, message) for what it finds wrong. Adding a rule is one class
in ``RULES`` and one test."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from waymark.orchestrate._durations import parse_duration
from waymark.orchestrate._yaml import FieldPath
from waymark.orchestrate.config import Condition, FlowDoc, SendSpec, Step

Finding = tuple[FieldPath, str]
_STEP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_MONTH_DAY = re.compile(r"^(\d\d)-(\d\d)$")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
STEP_KINDS = ("wait", "branch", "send", "update_traits", "exit")
EXIT = "exit"


@dataclass(frozen=True)
class RuleContext:
    stages: Mapping[str, tuple[str, ...]]
    """Journey model name -> its stage names."""
    env_targets: frozenset[str]
    """Webhook target names defined by ``WAYMARK_WEBHOOK_<NAME>_URL`` (lower-case)."""


class Rule(Protocol):
    @property
    def code(self) -> str: ...

    def check(self, doc: FlowDoc, ctx: RuleContext) -> Iterator[Finding]: ...


def _conditions(doc: FlowDoc) -> Iterator[tuple[FieldPath, Condition]]:
    for i, cond in enumerate(doc.trigger.where):
        yield ("trigger", "where", i), cond
    for s, step in enumerate(doc.steps):
        for c, case in enumerate(step.branch or ()):
            for i, cond in enumerate(case.when):
                yield ("steps", s, "branch", c, "when", i), cond


def _duration(value: str | None, path: FieldPath) -> Iterator[Finding]:
    if value is None:
        return
    try:
        parse_duration(value)
    except ValueError as exc:
        yield path, str(exc)


class TriggerKind:
    code = "trigger.kind"

    def check(self, doc: FlowDoc, ctx: RuleContext) -> Iterator[Finding]:
        t = doc.trigger
        kinds = ("event", "stage", "date", "audience", "score_label")
        given = [k for k in kinds if getattr(t, k) is not None]
        if len(given) != 1:
            yield (
                ("trigger",),
                f"give exactly one of {', '.join(kinds)}"
                + (f" (got {', '.join(given)})" if given else ""),
            )
        if t.event is not None and not t.event.strip():
            yield ("trigger", "event"), "must not be empty"
        if t.date is not None and t.delay is not None:
            yield ("trigger", "delay"), "a date trigger takes offset, not delay"


class Durations:
    code = "flow.duration"

    def check(self, doc: FlowDoc, ctx: RuleContext) -> Iterator[Finding]:
        yield from _duration(doc.trigger.delay, ("trigger", "delay"))
        if doc.trigger.delay is not None and doc.trigger.delay.strip().startswith("-"):
            yield ("trigger", "delay"), "must not be negative"
        if doc.trigger.date is not None:
            yield from _duration(doc.trigger.date.offset, ("trigger", "date", "offset"))
        if doc.stale is not None:
            yield from _duration(doc.stale.after, ("stale", "after"))
        for s, step in enumerate(doc.steps):
            yield from _duration(step.wait, ("steps", s, "wait"))
            if step.wait is not None and step.wait.strip().startswith("-"):
                yield ("steps", s, "wait"), "must not be negative"
        for path, cond in _conditions(doc):
            yield from _duration(cond.within, (*path, "within"))


class DateTrigger:
    code = "trigger.date"

    def check(self, doc: FlowDoc, ctx: RuleContext) -> Iterator[Finding]:
        date = doc.trigger.date
        if date is None:
            return
        base = ("trigger", "date")
        if (date.every_year is None) == (date.trait is None):
            yield base, "give exactly one of every_year (a month-day) and trait"
        if date.every_year is not None:
            m = _MONTH_DAY.match(date.every_year)
            month, day = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
            if not (1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month - 1]):
                yield (*base, "every_year"), f'{date.every_year!r} is not a month-day like "12-10"'
        if not _TIME.match(date.at):
            yield (*base, "at"), f'{date.at!r} is not a time of day like "10:00" (quote it)'
        try:
            ZoneInfo(date.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            yield (*base, "timezone"), f"{date.timezone!r} is not an IANA time zone name"


class StageTrigger:
    code = "trigger.stage"

    def check(self, doc: FlowDoc, ctx: RuleContext) -> Iterator[Finding]:
        stage = doc.trigger.stage
        if stage is None:
            return
        base = ("trigger", "stage")
        names = ctx.stages.get(stage.model)
        if names is None:
            known = ", ".join(sorted(ctx.stages))
            yield (*base, "model"), f"unknown journey model {stage.model!r} (known: {known})"
            return
        for key in ("enter", "leave"):
            value = getattr(stage, key)
            if value is not None and value not in names:
                yield (*base, key), f"{stage.model} has no stage {value!r} ({', '.join(names)})"


def _kinds(step: Step) -> list[str]:
    return [k for k in STEP_KINDS if getattr(step, k) is not None]


class StepShape:
    code = "step.shape"

    def check(self, doc: FlowDoc, ctx: RuleContext) -> Iterator[Finding]:
        if not doc.steps:
            yield ("steps",), "a flow needs at least one step"
        seen: set[str] = set()
        for s, step in enumerate(doc.steps):
            kinds = _kinds(step)
            if len(kinds) != 1:
                got = f" (got {', '.join(kinds)})" if kinds else ""
                yield ("steps", s), f"give exactly one of {', '.join(STEP_KINDS)}{got}"
            if not _STEP_ID.match(step.id) or step.id == EXIT:
                yield (
                    ("steps", s, "id"),
                    f"{step.id!r} is not a step id (letters, digits, - _ . ; not 'exit')",
                )
            if step.id in seen:
                yield ("steps", s, "id"), f"step id {step.id!r} is used twice"
            seen.add(step.id)
            if step.exit is False:
                yield ("steps", s, "exit"), "write exit: true (or leave the step out)"
            if step.update_traits is not None and not step.update_traits:
                yield ("steps", s, "update_traits"), "name at least one trait"
        if doc.steps and doc.steps[-1].wait is not None:
            yield ("steps", len(doc.steps) - 1, "wait"), "a wait as the last step does nothing"


class Gotos:
    code = "step.goto"

    def check(self, doc: FlowDoc, ctx: RuleContext) -> Iterator[Finding]:
        position = {step.id: s for s, step in enumerate(doc.steps)}
        for s, step in enumerate(doc.steps):
            cases = step.branch or ()
            if step.branch is not None and not cases:
                yield ("steps", s, "branch"), "a branch needs at least one case"
            for c, case in enumerate(cases):
                path = ("steps", s, "branch", c, "goto")
                if not case.when and c != len(cases) - 1:
                    yield ("steps", s, "branch", c), "the else case (no when) must come last"
                if case.goto == EXIT:
                    continue
                target = position.get(case.goto)
                if target is None:
                    yield path, f"no step {case.goto!r} in this flow (or write exit)"
                elif target <= s:
                    # forward only: a run visits each step at most once, so (run, step) is a
                    # unique idempotency key
                    yield path, f"goto must jump forward; {case.goto!r} is not after this step"


class Conditions:
    code = "condition.shape"

    def check(self, doc: FlowDoc, ctx: RuleContext) -> Iterator[Finding]:
        for path, cond in _conditions(doc):
            yield from self._one(path, cond, ctx)

    def _one(self, path: FieldPath, cond: Condition, ctx: RuleContext) -> Iterator[Finding]:
        subjects = [k for k in ("field", "trait", "event", "journey") if getattr(cond, k)]
        if len(subjects) != 1:
            yield path, "give exactly one of field, trait, event, journey"
            return
        kind = subjects[0]
        if kind != "event":
            for key in ("within", "since_trigger", "absent", "properties"):
                if getattr(cond, key) not in (None, False, {}):
                    yield (*path, key), "only for event conditions"
            yield from _op_value(path, cond)
        if kind == "journey":
            names = ctx.stages.get(cond.journey or "")
            if names is None:
                yield (*path, "journey"), f"unknown journey model {cond.journey!r}"
            else:
                values = cond.value if isinstance(cond.value, list | tuple) else [cond.value]
                for v in values:
                    if cond.op not in ("exists", "missing") and v not in names:
                        yield (*path, "value"), f"{cond.journey} has no stage {v!r}"
        elif cond.product is not None:
            yield (*path, "product"), "only for journey conditions"
        if kind == "event" and cond.op != "eq":
            yield (*path, "op"), "event conditions take within/absent/properties, not op"


def _op_value(path: FieldPath, cond: Condition) -> Iterator[Finding]:
    value: Any = cond.value
    if cond.op in ("in", "not_in") and not isinstance(value, list | tuple):
        yield (*path, "value"), f"{cond.op} needs a list of values"
    elif cond.op in ("exists", "missing") and value is not None:
        yield (*path, "value"), f"{cond.op} takes no value"
    elif cond.op in ("gt", "gte", "lt", "lte") and (
        isinstance(value, bool) or not isinstance(value, int | float | str)
    ):
        yield (*path, "value"), f"{cond.op} needs a number or text to compare with"


_FIELDS = {
    "email": ("subject", "text", "html", "from_name", "reply_to"),
    "inbox": ("title", "body", "url"),
    "webhook": ("target", "payload", "consent"),
}


class SendShape:
    code = "send.shape"

    def check(self, doc: FlowDoc, ctx: RuleContext) -> Iterator[Finding]:
        for s, step in enumerate(doc.steps):
            if step.send is not None:
                yield from self._one(("steps", s, "send"), step.send, doc, ctx)

    def _one(
        self, path: FieldPath, send: SendSpec, doc: FlowDoc, ctx: RuleContext
    ) -> Iterator[Finding]:
        for channel, names in _FIELDS.items():
            if channel == send.channel:
                continue
            for name in names:
                if getattr(send, name) not in (None, {}):
                    yield (*path, name), f"only for {channel} sends, this one is {send.channel}"
        if send.channel == "email":
            if not send.subject:
                yield (*path, "subject"), "an email needs a subject"
            if not (send.text or send.html):
                yield (*path, "text"), "an email needs text or html (or both)"
        elif send.channel == "inbox":
            if not (send.title or send.body):
                yield (*path, "title"), "an inbox message needs a title or a body"
        elif send.channel == "webhook":
            if not send.target:
                yield (*path, "target"), "a webhook send names its target"
            elif send.target not in doc.webhooks and send.target.lower() not in ctx.env_targets:
                yield (
                    (*path, "target"),
                    f"no webhook target {send.target!r}: declare it under webhooks: or set "
                    f"WAYMARK_WEBHOOK_{env_name(send.target)}_URL",
                )
        if send.decide is not None and send.experience is not None:
            yield (*path, "experience"), "decide chooses the experience; leave this out"


class Targets:
    code = "webhook.target"

    def check(self, doc: FlowDoc, ctx: RuleContext) -> Iterator[Finding]:
        for name, target in doc.webhooks.items():
            path: FieldPath = ("webhooks", name)
            if target.url is not None and target.url_env is not None:
                yield (*path, "url"), "give url or url_env, not both"
            if target.secret is not None and target.secret_env is not None:
                yield (*path, "secret"), "give secret or secret_env, not both"
            if target.url is not None and not target.url.startswith(("http://", "https://")):
                yield (*path, "url"), f"{target.url!r} is not an http(s) URL"
            if target.timeout <= 0:
                yield (*path, "timeout"), "must be positive"


class ExitOn:
    code = "flow.exit_on"

    def check(self, doc: FlowDoc, ctx: RuleContext) -> Iterator[Finding]:
        for i, label in enumerate(doc.exit_on):
            if not label.strip():
                yield ("exit_on", i), "must not be empty"
        if not _STEP_ID.match(doc.id):
            yield ("id",), f"{doc.id!r} is not a flow id (letters, digits, - _ .)"


def env_name(target: str) -> str:
    """``shipping-provider`` -> ``SHIPPING_PROVIDER`` (for ``WAYMARK_WEBHOOK_<NAME>_URL``)."""
    return re.sub(r"[^A-Za-z0-9]", "_", target).upper()


RULES: tuple[Rule, ...] = (
    TriggerKind(),
    Durations(),
    DateTrigger(),
    StageTrigger(),
    StepShape(),
    Gotos(),
    Conditions(),
    SendShape(),
    Targets(),
    ExitOn(),
)
