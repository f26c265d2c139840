"""Experience content as sandboxed Jinja2 templates.

The sandbox is stricter than Jinja2's default one: templates see only the mapping they are
given (``traits.first_name`` reads a key) and no attribute or method of any Python object,
and they cannot call anything but filters. Every problem a template can have is found when
the catalog loads: syntax, unknown filters, names outside the context, unsafe access.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from jinja2 import ChainableUndefined, Template, TemplateError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

CONTEXT_NAMES: Final = frozenset(
    {
        "profile_id",
        "traits",
        "company",
        "product",
        "product_name",
        "stage",
        "channel",
        "placement",
        "experience_id",
        "experience_name",
        "decision_id",
        "today",
    }
)
"""What a template may name; ``traits`` is the customer's trait mapping."""

_SAMPLE: Final[Mapping[str, Any]] = {
    "profile_id": "p-sample",
    "traits": {"first_name": "Ray", "email": "ray@example.com", "address": {"city": "Leeds"}},
    "company": "Example",
    "product": "kit",
    "product_name": "Kit",
    "stage": "evaluation",
    "channel": "web",
    "placement": "home",
    "experience_id": "x",
    "experience_name": "X",
    "decision_id": "d-sample",
    "today": "2024-01-01",
}


_LOADS: Final = (nodes.Import, nodes.FromImport, nodes.Include, nodes.Extends)
_DATA_ERRORS: Final = (ArithmeticError, TypeError, ValueError, LookupError)
"""What an expression over customer data can raise (``{{ traits.a / traits.b }}``)."""

Compiled = Template | str
"""A compiled template, or the text of one that uses no names."""


class _StrictSandbox(SandboxedEnvironment):
    """No attribute of any object and no call: only mapping keys and filters."""

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return False

    def is_safe_callable(self, obj: Any) -> bool:
        return False


class TemplateProblem(Exception):
    """A template that cannot be used; the loader turns it into a field-named error."""


class Templates:
    """One sandbox per catalog; compiled templates are plain callables of a context."""

    def __init__(self) -> None:
        # autoescape: trait values come from customers and may end up in HTML
        self._env = _StrictSandbox(autoescape=True, undefined=ChainableUndefined)

    def compile(self, source: str) -> Compiled:
        """Parse, check the names it uses and trial-render it; ``TemplateProblem`` if bad.

        A template that uses no name is rendered once here and kept as its text."""
        try:
            ast = self._env.parse(source)
            names = meta.find_undeclared_variables(ast)
            unknown = names - CONTEXT_NAMES
            if unknown:
                raise TemplateProblem(
                    f"unknown name(s) {', '.join(sorted(unknown))}; templates may use "
                    f"{', '.join(sorted(CONTEXT_NAMES))}"
                )
            if any(True for _ in ast.find_all(nodes.Call)):
                raise TemplateProblem("templates may not call functions or methods")
            if any(True for _ in ast.find_all(_LOADS)):
                raise TemplateProblem("templates may not import, include or extend others")
            template = self._env.from_string(source)
            text = template.render(_SAMPLE)
        except TemplateProblem:
            raise
        except TemplateError as exc:
            lineno = getattr(exc, "lineno", None)
            line = f" (template line {lineno})" if lineno else ""
            raise TemplateProblem(f"{exc.message or type(exc).__name__}{line}") from None
        except _DATA_ERRORS as exc:
            raise TemplateProblem(f"fails on sample data: {exc}") from None
        return template if names else text

    @staticmethod
    def render(compiled: Compiled, context: dict[str, Any]) -> str:
        """Render a compiled template. Raises ``TemplateProblem`` (a data-dependent failure)."""
        if isinstance(compiled, str):
            return compiled
        try:
            # shared=True skips copying the environment globals into every context: templates
            # cannot call anything, so they have no use for them
            ctx = compiled.new_context(context, shared=True)
            return str(compiled.environment.concat(compiled.root_render_func(ctx)))
        except TemplateError as exc:
            raise TemplateProblem(exc.message or type(exc).__name__) from None
        except _DATA_ERRORS as exc:
            raise TemplateProblem(str(exc)) from None
