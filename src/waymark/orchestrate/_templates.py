"""Sandboxed Jinja2 for message content: flow authors' templates cannot reach Python internals
or change what they are given, and an undefined name fails the render (so a typo is a failed
message with a reason, not an email that says "Hello ,")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment


@dataclass(frozen=True, eq=False)
class Environments:
    text: jinja2.Environment
    html: jinja2.Environment


def environments(search: Sequence[Path]) -> Environments:
    """Template environments that ``{% include %}``/``{% extends %}`` from ``search``."""
    loader = jinja2.FileSystemLoader([str(p) for p in search])

    def make(autoescape: bool) -> jinja2.Environment:
        return ImmutableSandboxedEnvironment(
            loader=loader,
            autoescape=autoescape,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )

    return Environments(text=make(False), html=make(True))


class RenderFailed(Exception):
    """A template could not be rendered (an undefined name, a sandbox violation, or any error
    the template raised on this customer's data, e.g. dividing a string)."""


Compiled = jinja2.Template | str
"""A compiled template, or the text itself when it has no template syntax (nothing to run)."""


def compile_text(env: jinja2.Environment, text: str) -> Compiled:
    """``TemplateSyntaxError`` for a bad template."""
    if not any(mark in text for mark in ("{{", "{%", "{#")):
        return text  # literal text, HTML or not, is exactly what the author wrote
    return env.from_string(text)


def render(template: Compiled, context: dict[str, Any], *, name: str = "") -> str:
    """``RenderFailed`` for any error while rendering, naming the field (``name``) and the
    error, never a traceback: the data is the customer's, and any of it can be odd (a
    ``"19.99"`` string where a number was expected)."""
    if isinstance(template, str):
        return template
    try:
        return template.render(context)
    except jinja2.TemplateError as exc:
        why = f"{type(exc).__name__}: {exc.message or exc}"
    except Exception as exc:  # a TypeError, ZeroDivisionError, ... raised by the template
        why = f"{type(exc).__name__}: {exc}"
    raise RenderFailed(f"{name}: {why}" if name else why) from None
