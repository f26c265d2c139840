"""Which stages (and purchase, and products) one event is evidence of: the streaming side.

Rules are indexed by (call type, event or page name), so an event is tested only against the
rules that could match it. The batch side (``_sql``) compiles the same rules to SQL; a property
test holds the two to the same answers. Comparisons are typed as documented on ``Condition``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from waymark.core.events import Event
from waymark.core.signals import OUTSIDE_SIGNAL
from waymark.journey.contracts import BRAND, Condition, EvidenceRule, JourneyModel

Test = Callable[[Event], bool]
_MISSING: Final = object()

PURCHASE: Final = -1
CONTENT: Final = -2
"""Targets that are not a stage position."""


@dataclass(frozen=True, slots=True)
class Hit:
    """What one event shows, for one product key."""

    product: str
    mask: int
    """Bit i set: evidence of stage i."""
    levels: tuple[tuple[int, int], ...]
    """(stage position, level position): the highest level shown, for stages with levels."""
    purchase: bool


def read(event: Event, path: tuple[str, ...]) -> Any:
    """The value at ``path`` (``_MISSING`` when absent). JSON null reads as absent."""
    if len(path) == 1:
        value = getattr(event, path[0])
        return _MISSING if value is None else value
    value = getattr(event, path[0])
    for key in path[1:]:
        if not isinstance(value, dict):
            return _MISSING
        value = value.get(key, _MISSING)
    return _MISSING if value is None else value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def same(value: Any, expected: Any) -> bool:
    """Typed equality: text equals text, numbers equal numbers, booleans equal booleans."""
    if isinstance(expected, bool):
        return value is expected
    if isinstance(expected, str):
        return isinstance(value, str) and value == expected
    return _is_number(value) and value == expected


def compile_condition(cond: Condition) -> Test:
    path, value = cond.path, cond.value
    if cond.op == "exists":
        want = bool(value)
        return lambda e: (read(e, path) is not _MISSING) is want
    if cond.op in ("equals", "not_equals"):
        negate = cond.op == "not_equals"
        return lambda e: same(read(e, path), value) is not negate
    if cond.op in ("in", "not_in"):
        negate = cond.op == "not_in"
        options = value if isinstance(value, tuple) else (value,)
        return lambda e: any(same(read(e, path), o) for o in options) is not negate
    bound = value
    if not _is_number(bound):
        raise ValueError(f"{cond.field}: {cond.op} needs a number")
    compare: Callable[[Any], bool] = {
        "gt": lambda v: v > bound,
        "gte": lambda v: v >= bound,
        "lt": lambda v: v < bound,
        "lte": lambda v: v <= bound,
    }[cond.op]

    def test(e: Event) -> bool:
        v = read(e, path)
        return _is_number(v) and compare(v)

    return test


def _compile_rule(rule: EvidenceRule) -> Test | None:
    """The rule's conditions as one test; None when it has none (the call type and name,
    already matched through the index, are the whole rule)."""
    tests = [compile_condition(c) for c in rule.where]
    if not tests:
        return None
    if len(tests) == 1:
        return tests[0]
    return lambda e: all(t(e) for t in tests)


IndexKey = tuple[str | None, str | None]


def _keys(rule: EvidenceRule) -> list[IndexKey]:
    """Index keys under which the rule can match: (type, event/page name), None a wildcard."""
    if rule.events:
        return [("track", name) for name in rule.events]
    if rule.names:
        types = (rule.type,) if rule.type else ("page", "screen")
        return [(t, n) for t in types for n in rule.names]
    return [(rule.type, None)]


Plan = tuple[tuple[int, int, Test | None], ...]
_PLAN_CACHE: Final = 4096
"""Distinct (type, name) plans kept per matcher; names come from clients, so it is capped."""


class ModelMatcher:
    """A model's rules, compiled for one event at a time."""

    def __init__(self, model: JourneyModel) -> None:
        self.model = model
        self._index: dict[IndexKey, list[tuple[int, int, Test | None]]] = {}
        self._plans: dict[IndexKey, Plan] = {}
        for s, stage in enumerate(model.stages):
            for rule in stage.evidence:
                self._add(rule, s, stage.level_index(rule.level))
        for rule in model.purchase:
            self._add(rule, PURCHASE, -1)
        for rule in model.content.rules:
            self._add(rule, CONTENT, -1)
        self._stage_pos = {stage.name: i for i, stage in enumerate(model.stages)}
        self._catalog = {
            cid: (self._stage_pos[stage], model.stages[self._stage_pos[stage]].level_index(level))
            for cid, stage, level in model.content.catalog
        }
        self.product_config = model.product
        self._product_fields = model.product.fields
        self._brand = model.product.product_less == "brand"
        content = model.content
        self._content_paths = (
            ("properties", content.stage_property),
            ("properties", content.level_property),
            ("properties", content.id_property),
        )

    def _add(self, rule: EvidenceRule, target: int, level: int) -> None:
        test = _compile_rule(rule)
        for key in _keys(rule):
            self._index.setdefault(key, []).append((target, level, test))

    def match(self, event: Event) -> list[Hit]:
        """One ``Hit`` per product the event is evidence for (none when it is no evidence)."""
        found = self.evidence(event)
        if found is None:
            return []
        mask, levels, purchase = found
        return [Hit(p, mask, levels, purchase) for p in self.products(event)]

    def evidence(self, event: Event) -> tuple[int, tuple[tuple[int, int], ...], bool] | None:
        """(stage mask, levels, purchase) of an event, before products; None when it is no
        evidence. The hot path of streaming placement."""
        if event.event == OUTSIDE_SIGNAL and event.type == "track":
            return None  # a press mention (...) is nobody's behaviour, whatever the rules say
        call = (event.type, event.event if event.type == "track" else event.name)
        plan = self._plans.get(call)
        if plan is None:
            plan = self._plan(call)
        if not plan:
            return None
        mask = 0
        purchase = False
        content = False
        levels: dict[int, int] | None = None
        for target, level, test in plan:
            if test is not None and not test(event):
                continue
            if target >= 0:
                mask |= 1 << target
                if level >= 0:
                    levels = levels or {}
                    if levels.get(target, -1) < level:
                        levels[target] = level
            elif target == PURCHASE:
                purchase = True
            else:
                content = True
        if content:
            levels = levels or {}
            mask = self._content(event, mask, levels)
        if not mask and not purchase:
            return None
        return mask, tuple(sorted(levels.items())) if levels else (), purchase

    def _plan(self, call: IndexKey) -> Plan:
        """The rules that can match calls of this type and name, in model order."""
        index = self._index
        plan = (
            *index.get(call, ()),
            *index.get((call[0], None), ()),
            *index.get((None, None), ()),
        )
        if len(self._plans) < _PLAN_CACHE:
            self._plans[call] = plan
        return plan

    def _content(self, event: Event, mask: int, levels: dict[int, int]) -> int:
        stage_path, level_path, id_path = self._content_paths
        tagged: list[tuple[int, int]] = []
        stage_name = read(event, stage_path)
        if isinstance(stage_name, str) and stage_name in self._stage_pos:
            pos = self._stage_pos[stage_name]
            level_name = read(event, level_path)
            level = (
                self.model.stages[pos].level_index(level_name)
                if isinstance(level_name, str)
                else -1
            )
            tagged.append((pos, level))
        content_id = read(event, id_path)
        if isinstance(content_id, str) and content_id in self._catalog:
            tagged.append(self._catalog[content_id])
        for pos, level in tagged:
            mask |= 1 << pos
            if level >= 0 and levels.get(pos, -1) < level:
                levels[pos] = level
        return mask

    def products(self, event: Event) -> list[str]:
        """The product keys the event names: the first product field with a value wins."""
        for path in self._product_fields:
            if len(path) == 2 and path[0] == "properties" and not path[1].endswith("[]"):
                text = product_text(event.properties.get(path[1]))  # the common case, fast
                if text is not None:
                    return [text]
                continue
            found = _product_values(event, path)
            if found:
                return found
        return [BRAND] if self._brand else []


def product_text(value: Any) -> str | None:
    """A product id as text: JSON strings and integers only (not empty, not booleans)."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _product_values(event: Event, path: tuple[str, ...]) -> list[str]:
    array_at = next((i for i, p in enumerate(path) if p.endswith("[]")), -1)
    if array_at < 0:
        text = product_text(read(event, path))
        return [text] if text is not None else []
    head = (*path[:array_at], path[array_at][:-2])
    items = read(event, head)
    if not isinstance(items, list):
        return []
    out: list[str] = []
    tail = path[array_at + 1 :]
    for item in items:
        value: Any = item
        for key in tail:
            value = value.get(key) if isinstance(value, dict) else None
        text = product_text(value)
        if text is not None and text not in out:
            out.append(text)
    return out
