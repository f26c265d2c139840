"""Flow files into validated ``Flow``s: YAML (or JSON) text, msgspec shapes, the registered
rules, then templates compiled. Every error names the file, the line and the field."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import msgspec

from waymark.core.settings import Secret
from waymark.orchestrate._durations import parse_duration
from waymark.orchestrate._flow import Flow, Target
from waymark.orchestrate._rules import RULES, RuleContext, env_name
from waymark.orchestrate._templates import Compiled, Environments, compile_text
from waymark.orchestrate._yaml import FieldPath, Lines, field_name, load
from waymark.orchestrate.config import FlowDoc, Step
from waymark.orchestrate.errors import FlowInvalid, Problem

_AT = re.compile(r"- at `\$(.*)`$")
_UNKNOWN = re.compile(r"unknown field `([^`]+)`")
_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]")
_HTML_FIELDS = frozenset({"html"})
_TEMPLATE_FIELDS = ("subject", "text", "html", "from_name", "reply_to", "title", "body", "url")


def shipped_dir() -> Path:
    """The example flows that come with Waymark (the seed 000 story)."""
    return Path(str(resources.files("waymark.orchestrate") / "flows"))


@dataclass(frozen=True, eq=False)
class LoadContext:
    rules: RuleContext
    environ: Mapping[str, str]
    envs: Environments


def _path(text: str) -> FieldPath:
    return tuple(int(i) if i else name for name, i in _PART.findall(text))


def _shape_problem(exc: msgspec.ValidationError, lines: Lines) -> Problem:
    text = str(exc)
    m = _AT.search(text)
    path = _path(m.group(1)) if m else ()
    message = _AT.sub("", text).strip()
    unknown = _UNKNOWN.search(message)
    if unknown:  # point at the unknown key itself, not at the object holding it
        path = (*path, unknown.group(1))
        message = "unknown field (a typo?)"
    if path and path[-1] == "at" and "got `int`" in message:
        message += ' (write the time in quotes, e.g. at: "10:00")'
    return Problem(field_name(path), message, lines.line(path))


def load_flow_text(text: str, *, file: str, ctx: LoadContext, source: str | None = None) -> Flow:
    """One flow from YAML or JSON text; ``FlowInvalid`` lists every problem found."""
    data, lines = load(text, file=file)
    if not isinstance(data, dict):
        raise FlowInvalid(
            [Problem("(document)", "a flow is a mapping (id, trigger, steps)", 1)], file=file
        )
    try:
        doc = msgspec.convert(data, FlowDoc)
    except msgspec.ValidationError as exc:
        raise FlowInvalid([_shape_problem(exc, lines)], file=file) from None
    problems = [
        Problem(field_name(path), message, lines.line(path))
        for rule in RULES
        for path, message in rule.check(doc, ctx.rules)
    ]
    if problems:
        raise FlowInvalid(sorted(problems, key=lambda p: p.line or 0), file=file)
    templates, template_problems = _compile(doc, lines, ctx)
    if template_problems:
        raise FlowInvalid(template_problems, file=file)
    stale = doc.stale
    return Flow(
        doc=doc,
        source=source or file,
        text=text,
        version=hashlib.sha256(text.encode()).hexdigest()[:12],
        delay=parse_duration(doc.trigger.delay) if doc.trigger.delay else timedelta(0),
        offset=parse_duration(doc.trigger.date.offset) if doc.trigger.date else timedelta(0),
        stale_after=parse_duration(stale.after) if stale else None,
        stale_policy=stale.policy if stale else None,
        waits=tuple(parse_duration(s.wait) if s.wait else None for s in doc.steps),
        templates=templates,
        targets=_targets(doc, ctx.environ),
        positions={s.id: i for i, s in enumerate(doc.steps)},
    )


def _template_strings(step: Step) -> Iterator[tuple[FieldPath, str, str]]:
    """(path under the step, template key, text) for every template in a step."""
    send = step.send
    if send is None:
        return
    for name in _TEMPLATE_FIELDS:
        value = getattr(send, name)
        if isinstance(value, str):
            yield ("send", name), name, value
    yield from _payload_strings(send.payload, ("send", "payload"), "payload")


def _payload_strings(value: Any, path: FieldPath, key: str) -> Iterator[tuple[FieldPath, str, str]]:
    if isinstance(value, str):
        yield path, key, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _payload_strings(v, (*path, k), f"{key}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _payload_strings(v, (*path, i), f"{key}[{i}]")


def _compile(
    doc: FlowDoc, lines: Lines, ctx: LoadContext
) -> tuple[dict[str, Compiled], list[Problem]]:
    templates: dict[str, Compiled] = {}
    problems: list[Problem] = []
    for s, step in enumerate(doc.steps):
        for sub, key, text in _template_strings(step):
            path: FieldPath = ("steps", s, *sub)
            env = ctx.envs.html if key in _HTML_FIELDS else ctx.envs.text
            try:
                templates[f"{step.id}:{key}"] = compile_text(env, text)
            except jinja2.TemplateSyntaxError as exc:
                base = lines.start(path)
                line = None if base is None else base + max(exc.lineno - 1, 0)
                problems.append(Problem(field_name(path), f"template: {exc.message}", line))
    return templates, problems


def _targets(doc: FlowDoc, environ: Mapping[str, str]) -> dict[str, Target]:
    names = set(doc.webhooks)
    names.update(s.send.target for s in doc.steps if s.send is not None and s.send.target)
    out: dict[str, Target] = {}
    for name in sorted(names):
        spec = doc.webhooks.get(name)
        prefix = f"WAYMARK_WEBHOOK_{env_name(name)}"
        url = environ.get(f"{prefix}_URL")
        if url is None and spec is not None:
            url = environ.get(spec.url_env) if spec.url_env else spec.url
        secret = environ.get(f"{prefix}_SECRET")
        if secret is None and spec is not None:
            secret = environ.get(spec.secret_env) if spec.secret_env else spec.secret
        out[name] = Target(
            name=name,
            url=url or None,
            secret=Secret(secret) if secret else None,
            timeout=spec.timeout if spec is not None else 10.0,
        )
    return out


def load_dir(directory: Path, ctx: LoadContext) -> list[Flow]:
    """Every ``*.yaml`` / ``*.yml`` / ``*.json`` flow in a folder (not sub-folders)."""
    if not directory.is_dir():
        raise FlowInvalid(
            [Problem("flows_dir", "is not a folder of flow files")], file=str(directory)
        )
    flows: list[Flow] = []
    seen: dict[str, str] = {}
    for path in sorted(directory.iterdir()):
        if path.suffix not in (".yaml", ".yml", ".json") or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise FlowInvalid(
                [Problem("(document)", f"cannot read: {exc}")], file=str(path)
            ) from None
        flow = load_flow_text(text, file=str(path), ctx=ctx)
        if flow.id in seen:
            raise FlowInvalid(
                [Problem("id", f"flow id {flow.id!r} is also used by {seen[flow.id]}", 1)],
                file=str(path),
            )
        seen[flow.id] = str(path)
        flows.append(flow)
    return flows
